#!/bin/sh
# Regenerates every fixture in this directory. Needs the OpenSSL 3 CLI and python3 (stdlib only).
# Keys are random: rerunning replaces them all, and nothing in the tests depends on their values.
set -eu
cd "$(dirname "$0")"

topk8() { openssl pkcs8 -topk8 -nocrypt -inform DER -outform DER; }
spki() { openssl pkey -inform DER -in "$1" -pubout -outform DER -out "$2"; }

# RSA: PKCS#8 DER private keys and their DER SubjectPublicKeyInfo.
for bits in 2048 3072 4096; do
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:$bits -outform DER | topk8 > rsa_$bits.der
    spki rsa_$bits.der rsa_$bits.spki.der
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_pubexp:3 \
    -outform DER | topk8 > rsa_2048_e3.der
spki rsa_2048_e3.der rsa_2048_e3.spki.der
# Negative RSA inputs: three primes, a 2047-bit modulus, the RSASSA-PSS key OID.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -pkeyopt rsa_keygen_primes:3 \
    -outform DER | topk8 > rsa_2048_3prime.der
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2047 -outform DER | topk8 > rsa_2047.der
openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -outform DER | topk8 > rsa_pss_2048.der

# EC: for each curve a PKCS#8 key as OpenSSL writes it (embedded uncompressed public point, no
# parameters inside ECPrivateKey), the same key without the public point, with a compressed and
# with a hybrid point, and its SubjectPublicKeyInfo.
for pair in p256:P-256 p384:P-384 p521:P-521 k256:secp256k1; do
    name=${pair%%:*}; curve=${pair#*:}
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:$curve -outform DER | topk8 > ec_$name.der
    spki ec_$name.der ec_$name.spki.der
    openssl ec -inform DER -in ec_$name.der -no_public -outform DER 2>/dev/null | topk8 > ec_${name}_nopub.der
    openssl ec -inform DER -in ec_$name.der -conv_form compressed -outform DER 2>/dev/null | topk8 > ec_${name}_compressed.der
    openssl ec -inform DER -in ec_$name.der -conv_form hybrid -outform DER 2>/dev/null | topk8 > ec_${name}_hybrid.der
    # The SEC1 ("traditional") form, which carries the curve OID inside ECPrivateKey too.
    openssl ec -inform DER -in ec_$name.der -outform DER 2>/dev/null > ec_${name}.sec1.der
done
# A second P-256 key, whose public point is spliced into the first one below.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -outform DER | topk8 > ec_p256_other.der
# Explicit curve parameters instead of a named curve.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:explicit \
    -outform DER | topk8 > ec_p256_explicit.der

# Byte-level variants (BER forms, truncation, splices) that no CLI writes.
python3 derive.py
