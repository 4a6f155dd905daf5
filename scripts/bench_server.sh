#!/usr/bin/env bash
# The kms-import-server figures of BENCHMARKS.md: DescribeKey, Encrypt/Decrypt and the import
# flow at 1, 8 and 64 clients; DescribeKey idle and under an RSA_4096 import load of 8 clients;
# resident memory with 100,000 keys. Everything runs on loopback against a release build.
#
#   scripts/bench_server.sh [SECONDS_PER_RUN] [-- extra server flags, e.g. --store ...]
#   INSTANCES=2 scripts/bench_server.sh 10 -- --store postgres://... --secrets FILE
#
# Each run is bounded by SECONDS_PER_RUN (default 10) and a request budget. The server runs
# with --rate-limits off (AWS's quotas would throttle the import flow) and logs to a file.
# With INSTANCES=N, N servers start with the same flags (they must share a store) and every
# client sends its requests to them in turn.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
[ "${1:-}" = "--" ] && shift
extra=("$@")

cargo build --release -q -p kms-import-server --bin kms-import-server --example loadgen
server=target/release/kms-import-server
loadgen=target/release/examples/loadgen
log=$(mktemp)
instances=${INSTANCES:-1}
pids=()
addrs=()

start() {
  stop
  for _ in $(seq 1 "$instances"); do
    local out addr=
    out=$(mktemp)
    "$server" --listen 127.0.0.1:0 --rate-limits off "${extra[@]}" "$@" >"$out" 2>>"$log" &
    pids+=($!)
    for _ in $(seq 1 100); do
      addr=$(sed -n 's|^listening on http://||p' "$out")
      [ -n "$addr" ] && break
      sleep 0.1
    done
    [ -n "$addr" ] || { echo "server did not start" >&2; exit 1; }
    addrs+=(--addr "$addr")
  done
}

stop() {
  for p in "${pids[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  pids=()
  addrs=()
}
trap stop EXIT

run() {
  echo "## loadavg $(cut -d' ' -f1-3 /proc/loadavg); $loadgen $*"
  "$loadgen" "${addrs[@]}" --duration "$secs" --requests 10000000 "$@"
  echo
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(uname -r), $instances instance(s), server flags: --rate-limits off ${extra[*]}"
start
for c in 1 8 64; do
  run --scenario describe --concurrency "$c"
done
for c in 1 8 64; do
  run --scenario encrypt --concurrency "$c"
done
for c in 1 8 64; do
  run --scenario import --wrapping-key-spec RSA_2048 --concurrency "$c"
done

# The item-4 target: DescribeKey's p99 idle, then under 8 clients importing with RSA_4096.
start
run --scenario describe --concurrency 1
run --scenario describe-under-import --concurrency 1 --import-clients 8 --wrapping-key-spec RSA_4096

# Memory: a fresh server, then 100,000 keys.
start
echo "## loadavg $(cut -d' ' -f1-3 /proc/loadavg); $loadgen --scenario create-keys --concurrency 8 --requests 100000"
"$loadgen" "${addrs[@]}" --duration 600 --scenario create-keys --concurrency 8 --requests 100000 \
  --warmup 0 --server-pid "${pids[0]}"
stop
echo "server log: $(wc -l <"$log") lines"
rm -f "$log"
