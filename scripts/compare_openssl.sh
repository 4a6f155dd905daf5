#!/usr/bin/env bash
# Side-by-side unwrap timing: the crate (every provider compiled in) against OpenSSL, on the same
# fixture keys and the same fresh RSAES_OAEP_SHA_256 ciphertexts, in one run.
#
#   scripts/compare_openssl.sh [N]      # N ciphertexts per key size (default 40)
#
# Env: CPU (default 0) pins every timed process with taskset; ROUNDS (default 5) passes of the
# crate over the ciphertexts; FEATURES (default aws-lc) for the crate's build; SPEED_SECONDS
# (default 3) for `openssl speed`.
#
# Prints, per key size: the crate's median unwrap per provider (in-process, no process start),
# `openssl pkeyutl -decrypt` per invocation (including process start), `openssl speed`'s
# private-key operation time, and the ratios crate / openssl speed.
set -euo pipefail

N=${1:-40}
CPU=${CPU:-0}
ROUNDS=${ROUNDS:-5}
FEATURES=${FEATURES:-aws-lc}
SPEED_SECONDS=${SPEED_SECONDS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=$ROOT/tests/data
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PIN=(taskset -c "$CPU")

OAEP=(-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256)

echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(openssl version)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# N=$N ciphertexts per size, crate rounds=$ROUNDS, pinned to CPU $CPU"

for bits in 2048 3072 4096; do
  cp "$DATA/wrapping_rsa_$bits.pk8.der" "$WORK/rsa_$bits.pk8.der"
  for ((i = 0; i < N; i++)); do
    openssl rand -out "$WORK/pt_${bits}_$i.bin" 32
    openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$DATA/wrapping_rsa_$bits.spki.der" \
      "${OAEP[@]}" -in "$WORK/pt_${bits}_$i.bin" -out "$WORK/ct_${bits}_$i.bin"
  done
done

# The crate: one process, every provider, every ciphertext checked against its plaintext.
(cd "$ROOT" && cargo bench --quiet --features "$FEATURES" --bench unwrap_files --no-run 2>/dev/null)
crate_out=$(cd "$ROOT" && COMPARE_DIR=$WORK COMPARE_ROUNDS=$ROUNDS "${PIN[@]}" \
  cargo bench --quiet --features "$FEATURES" --bench unwrap_files 2>/dev/null)
echo "$crate_out"

# OpenSSL CLI: N invocations per size, wall time including process start.
declare -A cli_us
for bits in 2048 3072 4096; do
  start=$(date +%s%N)
  for ((i = 0; i < N; i++)); do
    "${PIN[@]}" openssl pkeyutl -decrypt -keyform DER -inkey "$WORK/rsa_$bits.pk8.der" "${OAEP[@]}" \
      -in "$WORK/ct_${bits}_$i.bin" -out "$WORK/out.bin"
    cmp -s "$WORK/out.bin" "$WORK/pt_${bits}_$i.bin" || { echo "openssl: plaintext mismatch" >&2; exit 1; }
  done
  end=$(date +%s%N)
  cli_us[$bits]=$(( (end - start) / N / 1000 ))
  echo "openssl-pkeyutl $bits per_invocation_us=${cli_us[$bits]}"
done

# OpenSSL's own private-key operation rate (RSA sign = the same private-key exponentiation).
speed=$("${PIN[@]}" openssl speed -elapsed -seconds "$SPEED_SECONDS" rsa2048 rsa3072 rsa4096 2>/dev/null)
declare -A speed_us
for bits in 2048 3072 4096; do
  # Line: "rsa 2048 bits 0.000247s 0.000007s   4048.2 140000.0" (sign s, verify s, sign/s, verify/s)
  s=$(awk -v b="$bits" '$1 == "rsa" && $2 == b && $3 == "bits" {print $4}' <<<"$speed" | tr -d s)
  speed_us[$bits]=$(awk -v s="$s" 'BEGIN {printf "%.1f", s * 1e6}')
  echo "openssl-speed $bits private_op_us=${speed_us[$bits]}"
done

echo
printf '%-6s %-11s %12s %14s %16s %14s\n' bits provider crate_us speed_us crate/speed cli_us
while read -r _ provider bits _ median _; do
  us=${median#median_us=}
  ratio=$(awk -v a="$us" -v b="${speed_us[$bits]}" 'BEGIN {printf "%.2f", a / b}')
  printf '%-6s %-11s %12s %14s %16s %14s\n' "$bits" "$provider" "$us" "${speed_us[$bits]}" "${ratio}x" "${cli_us[$bits]}"
done <<<"$crate_out"
