#!/usr/bin/env python3
"""Prints the full wrap and unwrap matrices of a `cargo bench --bench wrap` run as Markdown
tables: one row per provider, algorithm and material, one column per wrapping key spec, the
criterion median of each cell in microseconds ("-" where the compatibility rules or the
provider leave the cell out).

    scripts/bench_tables.py [criterion_dir[,criterion_dir...]]    # default target/criterion

With several criterion directories (copies of target/criterion from repeated runs), each cell
is the lowest of its run medians: on a machine whose speed drifts, interference only ever adds
time.
"""

import json
import sys
from pathlib import Path

crits = [Path(d) for d in (sys.argv[1] if len(sys.argv) > 1 else "target/criterion").split(",")]
SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
PROVIDERS = ["rustcrypto", "aws-lc"]
ALGORITHMS = [
    "RSAES_OAEP_SHA_1",
    "RSAES_OAEP_SHA_256",
    "RSA_AES_KEY_WRAP_SHA_1",
    "RSA_AES_KEY_WRAP_SHA_256",
    "RSAES_PKCS1_V1_5",
]
MATERIALS = ["sym32", "hmac64", "p384_pkcs8", "rsa4096_pkcs8"]


def medians(group):
    found = {}
    for d in crits:
        for bench in d.glob(f"{group}/*/new/benchmark.json"):
            meta = json.loads(bench.read_text())
            parts = tuple(meta["function_id"].split("/"))
            if len(parts) != 4:
                continue
            est = json.loads((bench.parent / "estimates.json").read_text())
            us = est["median"]["point_estimate"] / 1e3
            found[parts] = min(us, found.get(parts, us))
    return found


def table(group):
    found = medians(group)
    if not found:
        print(f"(no `{group}` results under {', '.join(map(str, crits))})\n")
        return
    runs = f", lowest of {len(crits)} run medians" if len(crits) > 1 else ""
    print(f"`{group}/<provider>/<algorithm>/<spec>/<material>`, criterion median{runs}, µs:\n")
    print("| provider | algorithm | material | " + " | ".join(SPECS) + " |")
    print("|---|---|---|" + "---|" * len(SPECS))
    for provider in PROVIDERS:
        for alg in ALGORITHMS:
            for mat in MATERIALS:
                cells = [found.get((provider, alg, spec, mat)) for spec in SPECS]
                if all(c is None for c in cells):
                    continue
                shown = ["-" if c is None else f"{c:,.1f}" for c in cells]
                print(f"| {provider} | {alg} | {mat} | " + " | ".join(shown) + " |")
    print()


for group in ["unwrap", "wrap"]:
    table(group)
