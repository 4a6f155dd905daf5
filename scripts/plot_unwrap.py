#!/usr/bin/env python3
"""Draws unwrap time by wrapping algorithm and wrapping key size, for every provider, from
criterion's output of `cargo bench --bench wrap` (target/criterion/unwrap/*/new/), as a
hand-written SVG (no plotting library needed). Also prints the medians as a Markdown table.

    scripts/plot_unwrap.py [criterion_dir[,criterion_dir...]] [out.svg] [material]

Defaults: target/criterion, docs/unwrap.svg, auto: per algorithm the first material it carries
of p384_pkcs8 (every algorithm but PKCS#1 v1.5), sym32, hmac64, rsa4096_pkcs8. Several
criterion directories (copies of target/criterion from repeated runs) give each cell the lowest
of its run medians: on a machine whose speed drifts, interference only ever adds time.
"""

import json
import sys
from pathlib import Path

crits = [Path(d) for d in (sys.argv[1] if len(sys.argv) > 1 else "target/criterion").split(",")]
crit = ",".join(str(c) for c in crits)
out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/unwrap.svg")
material = sys.argv[3] if len(sys.argv) > 3 else "auto"
ORDER = ["p384_pkcs8", "sym32", "hmac64", "rsa4096_pkcs8"] if material == "auto" else [material]

found = {}  # (provider, alg, spec, material) -> lowest run median, ms
for d in crits:
    for bench in d.glob("unwrap/*/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        key = tuple(meta["function_id"].split("/"))
        est = json.loads((bench.parent / "estimates.json").read_text())
        ms = est["median"]["point_estimate"] / 1e6
        found[key] = min(ms, found.get(key, ms))
rows, used = {}, {}
for (provider, alg, spec, mat), ms in found.items():
    best = next((m for m in ORDER if (provider, alg, spec, m) in found), None)
    if mat == best:
        rows[(provider, alg, spec)] = ms
        used[alg] = mat

if not rows:
    sys.exit(f"no unwrap results for {material} under {crit}")

ALGS = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
        "RSA_AES_KEY_WRAP_SHA_256", "RSAES_PKCS1_V1_5"]
SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
providers = sorted({p for p, _, _ in rows}, key=lambda p: (p != "rustcrypto", p))
algs = [a for a in ALGS if any(k[1] == a for k in rows)]

print(f"| provider | algorithm | " + " | ".join(SPECS) + " |")
print("|---|---|" + "---|" * len(SPECS))
for p in providers:
    for a in algs:
        cells = [f"{rows[(p, a, s)]:.3f}" if (p, a, s) in rows else "refused" for s in SPECS]
        print(f"| {p} | {a} ({used.get(a, '-')}) | " + " | ".join(cells) + " |")

# Grouped bars: one group per spec, one bar per (provider, algorithm); linear ms axis.
COLORS = {"rustcrypto": ["#1f4e79", "#2e75b6", "#5b9bd5", "#9dc3e6", "#c9dcef"],
          "aws-lc": ["#7f3f00", "#c55a11", "#f4b183", "#f8cbad", "#fbe5d6"]}
series = [(p, a) for p in providers for a in algs]
W, H, left, top, bottom = 980, 470, 70, 40, 150
plot_w, plot_h = W - left - 20, H - top - bottom
vmax = max(rows.values()) * 1.08
group_w = plot_w / len(SPECS)
bar_w = group_w * 0.85 / len(series)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
       f'font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<text x="{W/2}" y="22" text-anchor="middle" font-size="15">Unwrap time by algorithm and '
       f'wrapping key (criterion median{" (lowest of %d runs)" % len(crits) if len(crits) > 1 else ""}, ms; lower is better)</text>']
for i in range(6):
    v = vmax * i / 5
    y = top + plot_h - plot_h * v / vmax
    svg.append(f'<line x1="{left}" x2="{left+plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
    svg.append(f'<text x="{left-6}" y="{y+4:.1f}" text-anchor="end">{v:.1f}</text>')
svg.append(f'<text x="18" y="{top+plot_h/2}" transform="rotate(-90 18 {top+plot_h/2})" '
           f'text-anchor="middle">ms per unwrap</text>')
for gi, spec in enumerate(SPECS):
    x0 = left + gi * group_w + group_w * 0.075
    for si, (p, a) in enumerate(series):
        v = rows.get((p, a, spec))
        if v is None:
            continue
        h = plot_h * v / vmax
        x = x0 + si * bar_w
        color = COLORS.get(p, COLORS["rustcrypto"])[algs.index(a) % 5]
        svg.append(f'<rect x="{x:.1f}" y="{top+plot_h-h:.1f}" width="{bar_w*0.9:.1f}" '
                   f'height="{h:.1f}" fill="{color}"><title>{p} {a} {spec}: {v:.3f} ms'
                   f'</title></rect>')
    svg.append(f'<text x="{left+gi*group_w+group_w/2:.1f}" y="{top+plot_h+18}" '
               f'text-anchor="middle">{spec}</text>')
for si, (p, a) in enumerate(series):
    col, row = divmod(si, 5)
    x, y = left + col * 330, top + plot_h + 40 + row * 18
    color = COLORS.get(p, COLORS["rustcrypto"])[algs.index(a) % 5]
    svg.append(f'<rect x="{x}" y="{y-10}" width="12" height="12" fill="{color}"/>')
    svg.append(f'<text x="{x+18}" y="{y}">{p} {a} ({used.get(a, "")})</text>')
svg.append("</svg>")
out.parent.mkdir(parents=True, exist_ok=True)
out.write_text("\n".join(svg) + "\n")
print(f"\nwrote {out}", file=sys.stderr)
