#!/usr/bin/env bash
# Side-by-side unwrap timing: the crate against OpenSSL, on the same fixture keys and the same
# fresh RSAES_OAEP_SHA_256 ciphertexts, in one run.
#
#   scripts/compare_openssl.sh [N]      # N ciphertexts per key size (default 40)
#
# Env: CPU (default 0) pins every timed process with taskset; REPEAT (default 3) rounds, each
# measuring everything once, so that drift on a shared machine hits both sides alike; ROUNDS
# (default 2) passes of the in-process crate over the ciphertexts per round; SPEED_SECONDS
# (default 3) for `openssl speed`.
#
# Measured per key size, in every round:
#   crate      the crate's unwrap, in process (no process start), median per provider
#              (pure Rust and AWS-LC, both compiled in);
#   speed      `openssl speed`'s RSA private-key operation time (sign: the same exponentiation);
#   pkeyutl    `openssl pkeyutl -decrypt`, median per invocation (process start, key load, one
#              private operation);
#   example    the `unwrap` example, median per invocation, built once without and once with
#              `--features aws-lc` (process start, key load, one private operation).
# The summary gives the median over the rounds of each time and of each round's ratios
# crate / speed and example / pkeyutl. Every output is checked against its plaintext.
set -euo pipefail

N=${1:-40}
CPU=${CPU:-0}
REPEAT=${REPEAT:-3}
ROUNDS=${ROUNDS:-2}
SPEED_SECONDS=${SPEED_SECONDS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/tests/data
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PIN=(taskset -c "$CPU")
SIZES=(2048 3072 4096)
BACKENDS=(rustcrypto aws-lc)
OAEP=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256)

# Every measurement is appended to $RESULTS as "<round> <what> <backend|-> <bits> <us>".
RESULTS=$WORK/results.txt
: >"$RESULTS"

median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(openssl version)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# N=$N ciphertexts per size, $REPEAT rounds, crate passes per round=$ROUNDS, pinned to CPU $CPU"

for bits in "${SIZES[@]}"; do
  cp "$DATA/wrapping_rsa_$bits.pk8.der" "$WORK/rsa_$bits.pk8.der"
  for ((i = 0; i < N; i++)); do
    openssl rand -out "$WORK/pt_${bits}_$i.bin" 32
    openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$DATA/wrapping_rsa_$bits.spki.der" \
      "${OAEP[@]}" -in "$WORK/pt_${bits}_$i.bin" -out "$WORK/ct_${bits}_$i.bin"
  done
done

# Builds first, so that no compiler runs while anything is timed.
(cd "$ROOT" && cargo build --quiet --release -p kms-import-cli 2>/dev/null)
cp "$ROOT/target/release/kms-import" "$WORK/kms-import-rustcrypto"
(cd "$ROOT" && cargo build --quiet --release -p kms-import-cli --features aws-lc 2>/dev/null)
cp "$ROOT/target/release/kms-import" "$WORK/kms-import-aws-lc"
(cd "$ROOT" && cargo bench --quiet --features aws-lc --bench unwrap_files --no-run 2>/dev/null)

# Times one command per ciphertext of a size and prints the median wall time per invocation, in
# microseconds. The clock is bash's own EPOCHREALTIME (no process, no subshell), read just
# around the command, so checking the output is not counted.
# Usage: per_invocation <bits> <input flag> <output flag> <command...>
per_invocation() {
  local bits=$1 in_flag=$2 out_flag=$3
  shift 3
  local t0 t1
  : >"$WORK/times.txt"
  for ((i = 0; i < N; i++)); do
    rm -f "$WORK/out.bin"
    t0=${EPOCHREALTIME/[.,]/}
    "${PIN[@]}" "$@" "$in_flag" "$WORK/ct_${bits}_$i.bin" "$out_flag" "$WORK/out.bin"
    t1=${EPOCHREALTIME/[.,]/}
    cmp -s "$WORK/out.bin" "$WORK/pt_${bits}_$i.bin" || { echo "$1: plaintext mismatch" >&2; exit 1; }
    echo $((t1 - t0)) >>"$WORK/times.txt"
  done
  median <"$WORK/times.txt"
}

for ((round = 1; round <= REPEAT; round++)); do
  # The crate in process: one line per provider and size, "unwrap <provider> <bits> n=.. median_us=.. mean_us=..".
  crate_out=$(cd "$ROOT" && COMPARE_DIR=$WORK COMPARE_ROUNDS=$ROUNDS "${PIN[@]}" \
    cargo bench --quiet --features aws-lc --bench unwrap_files 2>/dev/null)
  while read -r _ provider bits _ median _; do
    echo "$round crate $provider $bits ${median#median_us=}" >>"$RESULTS"
  done <<<"$crate_out"

  speed=$("${PIN[@]}" openssl speed -elapsed -seconds "$SPEED_SECONDS" rsa2048 rsa3072 rsa4096 2>/dev/null)
  for bits in "${SIZES[@]}"; do
    # Line: "rsa 2048 bits 0.000247s 0.000007s   4048.2 140000.0" (sign s, verify s, sign/s, verify/s)
    s=$(awk -v b="$bits" '$1 == "rsa" && $2 == b && $3 == "bits" {print $4}' <<<"$speed" | tr -d s)
    echo "$round speed - $bits $(awk -v s="$s" 'BEGIN {printf "%.1f", s * 1e6}')" >>"$RESULTS"
  done

  for bits in "${SIZES[@]}"; do
    us=$(per_invocation "$bits" -in -out openssl pkeyutl -decrypt -keyform DER \
      -inkey "$WORK/rsa_$bits.pk8.der" "${OAEP[@]}")
    echo "$round pkeyutl - $bits $us" >>"$RESULTS"
    for backend in "${BACKENDS[@]}"; do
      us=$(per_invocation "$bits" --in --out "$WORK/kms-import-$backend" unwrap \
        --algorithm RSAES_OAEP_SHA_256 --private-key "$WORK/rsa_$bits.pk8.der")
      echo "$round example $backend $bits $us" >>"$RESULTS"
    done
  done
  echo "# round $round done: $(cut -d' ' -f1-3 /proc/loadavg)"
done

echo
echo "# every measurement: round, what, backend, bits, microseconds"
cat "$RESULTS"

value() { awk -v r="$1" -v w="$2" -v b="$3" -v n="$4" '$1 == r && $2 == w && $3 == b && $4 == n {print $5}' "$RESULTS"; }
med_of() { awk -v w="$1" -v b="$2" -v n="$3" '$2 == w && $3 == b && $4 == n {print $5}' "$RESULTS" | median; }
med_ratio() { # median over rounds of value(what1, b1) / value(what2, b2)
  for ((round = 1; round <= REPEAT; round++)); do
    awk -v a="$(value "$round" "$1" "$2" "$5")" -v c="$(value "$round" "$3" "$4" "$5")" 'BEGIN {printf "%.3f\n", a / c}'
  done | median | awk '{printf "%.2f", $1}'
}

# Usage: summary <title> <what> <yardstick what>: per backend and size, the medians of <what>
# and of its yardstick, and the median of their per-round ratio.
summary() {
  echo
  echo "# $1"
  printf '%-6s %-11s %12s %12s %16s\n' bits backend "$2_us" "$3_us" "$2/$3"
  for backend in "${BACKENDS[@]}"; do
    for bits in "${SIZES[@]}"; do
      printf '%-6s %-11s %12s %12s %15sx\n' "$bits" "$backend" "$(med_of "$2" "$backend" "$bits")" \
        "$(med_of "$3" - "$bits")" "$(med_ratio "$2" "$backend" "$3" - "$bits")"
    done
  done
}

summary "in process, against openssl speed (target: aws-lc within 1.1x, rustcrypto within 3x)" crate speed
summary "per invocation, the unwrap example against openssl pkeyutl -decrypt" example pkeyutl
