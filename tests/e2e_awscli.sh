#!/usr/bin/env bash
# One import as a user does it with the AWS CLI and the openssl CLI, against the example server:
# create-key --origin EXTERNAL, get-parameters-for-import, wrap with OpenSSL (RSAES_OAEP_SHA_256
# as AWS documents it), import-key-material with fileb://, describe-key shows Enabled.
#
#   tests/e2e_awscli.sh target/release/kms-import-server
#
# Needs `aws` (AWS CLI v1 or v2), `openssl` 3.x and `base64` on PATH. Ends with
# `N passed, M failed` and exits non-zero on any failure.
set -uo pipefail

server=${1:?usage: $0 PATH-TO-SERVER-BINARY}
work=$(mktemp -d)
passed=0
failed=0
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT

check() { # name, command...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name"
    return 1
  fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$server" --listen "127.0.0.1:$port" --rate-limits off >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  grep -q "^listening on " "$work/server.log" 2>/dev/null && break
  sleep 0.1
done
check "server starts" grep -q "^listening on http://127.0.0.1:$port" "$work/server.log" || finish

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true
kms() { aws --endpoint-url "http://127.0.0.1:$port" kms "$@"; }

key_id=$(kms create-key --origin EXTERNAL --description "imported with the AWS CLI" \
  --query KeyMetadata.KeyId --output text)
check "create-key --origin EXTERNAL" test -n "$key_id" || finish
state=$(kms describe-key --key-id "$key_id" --query KeyMetadata.KeyState --output text)
check "new key is PendingImport" test "$state" = PendingImport

kms get-parameters-for-import --key-id "$key_id" \
  --wrapping-algorithm RSAES_OAEP_SHA_256 --wrapping-key-spec RSA_4096 \
  --query '[ImportToken,PublicKey]' --output text >"$work/params.txt"
# One call's token and public key belong together: take both from the same answer.
cut -f1 "$work/params.txt" | base64 -d >"$work/ImportToken.bin"
cut -f2 "$work/params.txt" | base64 -d >"$work/WrappingPublicKey.bin"
check "public key is a DER RSA-4096 key" \
  sh -c "openssl pkey -pubin -inform DER -in '$work/WrappingPublicKey.bin' -noout -text | grep -q '4096 bit'"
check "import token is non-empty" test -s "$work/ImportToken.bin"

openssl rand -out "$work/PlaintextKeyMaterial.bin" 32
openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$work/WrappingPublicKey.bin" \
  -in "$work/PlaintextKeyMaterial.bin" -out "$work/EncryptedKeyMaterial.bin" \
  -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
check "openssl wraps the material" test "$(wc -c <"$work/EncryptedKeyMaterial.bin")" -eq 512

check "import-key-material" kms import-key-material --key-id "$key_id" \
  --encrypted-key-material "fileb://$work/EncryptedKeyMaterial.bin" \
  --import-token "fileb://$work/ImportToken.bin" \
  --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE >/dev/null

state=$(kms describe-key --key-id "$key_id" --query '[KeyMetadata.KeyState,KeyMetadata.ExpirationModel]' --output text)
check "describe-key shows Enabled, DOES_NOT_EXPIRE" test "$state" = "Enabled	KEY_MATERIAL_DOES_NOT_EXPIRE"

# The imported key encrypts and decrypts.
printf 'hello from the cli' >"$work/plain.txt"
kms encrypt --key-id "$key_id" --plaintext "fileb://$work/plain.txt" \
  --query CiphertextBlob --output text | base64 -d >"$work/cipher.bin"
kms decrypt --ciphertext-blob "fileb://$work/cipher.bin" \
  --query Plaintext --output text | base64 -d >"$work/back.txt"
check "encrypt/decrypt round trip" cmp -s "$work/plain.txt" "$work/back.txt"

# The token is used up.
if kms import-key-material --key-id "$key_id" \
  --encrypted-key-material "fileb://$work/EncryptedKeyMaterial.bin" \
  --import-token "fileb://$work/ImportToken.bin" \
  --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE >/dev/null 2>"$work/err.txt"; then
  check "second use of a token is refused" false
else
  check "second use of a token is refused" grep -q InvalidImportTokenException "$work/err.txt"
fi

# Keys are regional: the same key id, asked for in another Region, is not found there.
if kms describe-key --region us-west-2 --key-id "$key_id" >/dev/null 2>"$work/err.txt"; then
  check "another Region does not see the key" false
else
  check "another Region does not see the key" grep -q NotFoundException "$work/err.txt"
fi

check "server still running" kill -0 "$server_pid"
finish
