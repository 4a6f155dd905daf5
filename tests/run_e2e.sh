#!/usr/bin/env bash
# End-to-end tests of kms-import-server: builds it, installs boto3, cryptography and the AWS
# CLI into a venv under target/, then drives the server with boto3 and with the AWS CLI plus
# the openssl CLI. Needs python3 (with venv and pip), openssl and a Rust toolchain.
#
#   tests/run_e2e.sh
#   KMS_IMPORT_SERVER_BIN=target/release/kms-import-server tests/run_e2e.sh   # a binary built already
#
# Exits non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/e2e-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements-e2e.txt

if [ -n "${KMS_IMPORT_SERVER_BIN:-}" ]; then
  server=$KMS_IMPORT_SERVER_BIN
  [ -x "$server" ] || { echo "KMS_IMPORT_SERVER_BIN=$server is not an executable" >&2; exit 2; }
else
  cargo build --release -p kms-import-server
  server=target/release/kms-import-server
fi

export PATH="$PWD/$venv/bin:$PATH"
status=0
echo "== boto3"
python tests/e2e_boto3.py --server "$server" || status=1
echo "== AWS CLI"
bash tests/e2e_awscli.sh "$server" || status=1
exit $status
