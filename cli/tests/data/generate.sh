#!/usr/bin/env bash
# Derives the key-format fixtures of the kms-import tool's tests from the repository's own test
# keys (tests/data/), with the OpenSSL 3 command line. Test keys only: never use them elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
src=../../../tests/data
mat=$src/material
pass=pass:kms-import-test

# The RSA-2048 wrapping key pair in every form `wrap --public-key` and `unwrap --private-key` take.
openssl pkey -pubin -inform DER -in $src/wrapping_rsa_2048.spki.der -outform PEM -out wrapping.spki.pem
openssl rsa -pubin -inform DER -in $src/wrapping_rsa_2048.spki.der -RSAPublicKey_out -outform DER -out wrapping.pkcs1pub.der
openssl rsa -pubin -inform DER -in $src/wrapping_rsa_2048.spki.der -RSAPublicKey_out -outform PEM -out wrapping.pkcs1pub.pem
{ base64 -w0 $src/wrapping_rsa_2048.spki.der; echo; } > wrapping.spki.b64
openssl pkey -inform DER -in $src/wrapping_rsa_2048.pk8.der -outform PEM -out wrapping.pk8.pem
openssl rsa -inform DER -in $src/wrapping_rsa_2048.pk8.der -traditional -outform DER -out wrapping.pkcs1.der
openssl rsa -inform DER -in $src/wrapping_rsa_2048.pk8.der -traditional -outform PEM -out wrapping.pkcs1.pem
# Encrypted forms, all refused: PKCS#8 (PEM and DER) and OpenSSL's legacy PEM encryption.
openssl pkcs8 -topk8 -inform DER -in $src/wrapping_rsa_2048.pk8.der -v2 aes-256-cbc -passout $pass -outform PEM -out wrapping.enc.pk8.pem
openssl pkcs8 -topk8 -inform DER -in $src/wrapping_rsa_2048.pk8.der -v2 aes-256-cbc -passout $pass -outform DER -out wrapping.enc.pk8.der
openssl rsa -inform DER -in $src/wrapping_rsa_2048.pk8.der -traditional -aes256 -passout $pass -outform PEM -out wrapping.enc.pkcs1.pem

# Asymmetric key material for `import --key-material`, in the forms besides PKCS#8 DER (SEC1
# DER keys are in tests/data/material already).
openssl pkey -inform DER -in $mat/rsa_2048.der -outform PEM -out rsa_2048.pk8.pem
openssl rsa -inform DER -in $mat/rsa_2048.der -traditional -outform DER -out rsa_2048.pkcs1.der
openssl rsa -inform DER -in $mat/rsa_2048.der -traditional -outform PEM -out rsa_2048.pkcs1.pem
openssl ec -inform DER -in $mat/ec_p256.der -outform PEM -out ec_p256.sec1.pem
openssl pkey -inform DER -in $mat/ec_p521.der -outform PEM -out ec_p521.pk8.pem
openssl pkcs8 -topk8 -inform DER -in $mat/ec_p256.der -v2 aes-256-cbc -passout $pass -outform PEM -out ec_p256.enc.pk8.pem
