#!/usr/bin/env python3
"""Interoperability of `kms-import wrap` and `kms-import unwrap` with Python `cryptography`.

Python generates a fresh RSA wrapping key per size, wraps fresh material with every algorithm
and `kms-import unwrap` must recover the same bytes; `kms-import wrap` wraps and Python must
recover the bytes. Negative cases (flipped byte, wrong key, wrong algorithm, truncated) must exit
non-zero, print one `error: <Exception>: ...` line and leave no output file.

Build the tool first:

    cargo build --release -p kms-import-cli
    python3 tests/interop_python.py [--bin-dir target/release]

The binary directory may also be given as KMS_IMPORT_BIN_DIR. The last line printed is
`N passed, M failed`; the exit status is non-zero when anything failed.
"""

import argparse
import base64
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import (
    aes_key_unwrap_with_padding,
    aes_key_wrap_with_padding,
)

OAEP_SHA1 = "RSAES_OAEP_SHA_1"
OAEP_SHA256 = "RSAES_OAEP_SHA_256"
RSA_AES_SHA1 = "RSA_AES_KEY_WRAP_SHA_1"
RSA_AES_SHA256 = "RSA_AES_KEY_WRAP_SHA_256"
PKCS1 = "RSAES_PKCS1_V1_5"
ALGORITHMS = [OAEP_SHA1, OAEP_SHA256, RSA_AES_SHA1, RSA_AES_SHA256, PKCS1]


def rsa_padding(alg):
    if alg in (OAEP_SHA1, RSA_AES_SHA1):
        return padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    if alg in (OAEP_SHA256, RSA_AES_SHA256):
        return padding.OAEP(
            mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None
        )
    return padding.PKCS1v15()


def is_rsa_aes(alg):
    return alg in (RSA_AES_SHA1, RSA_AES_SHA256)


def py_wrap(public_key, alg, material):
    if is_rsa_aes(alg):
        aes_key = os.urandom(32)
        return public_key.encrypt(aes_key, rsa_padding(alg)) + aes_key_wrap_with_padding(
            aes_key, material
        )
    return public_key.encrypt(material, rsa_padding(alg))


def py_unwrap(private_key, alg, blob):
    k = private_key.key_size // 8
    if is_rsa_aes(alg):
        aes_key = private_key.decrypt(blob[:k], rsa_padding(alg))
        assert len(aes_key) == 32, "RSA part is not a 32-byte key"
        return aes_key_unwrap_with_padding(aes_key, blob[k:])
    assert len(blob) == k, f"ciphertext is {len(blob)} bytes, modulus {k}"
    return private_key.decrypt(blob, rsa_padding(alg))


def der_private(key):
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def der_spki(key):
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class Runner:
    def __init__(self, bin_dir, work):
        self.tool = os.path.join(bin_dir, "kms-import")
        if not os.access(self.tool, os.X_OK):
            sys.exit(f"missing binary {self.tool}: run `cargo build --release -p kms-import-cli`")
        self.work = work
        self.counter = 0
        self.passed = 0
        self.failed = 0

    def path(self, name):
        self.counter += 1
        return os.path.join(self.work, f"{self.counter:04d}-{name}")

    def write(self, name, data):
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        return p

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}")

    def run(self, binary, alg, key_flag, key_path, in_path):
        out = self.path("out.bin")
        proc = subprocess.run(
            [self.tool, binary, "--algorithm", alg, key_flag, key_path, "--in", in_path, "--out", out],
            capture_output=True,
        )
        data = None
        if os.path.exists(out):
            with open(out, "rb") as f:
                data = f.read()
        leftovers = [n for n in os.listdir(self.work) if ".tmp-" in n]
        return proc, data, leftovers

    def unwrap(self, alg, pk8_path, blob):
        return self.run("unwrap", alg, "--private-key", pk8_path, self.write("blob", blob))

    def wrap(self, alg, spki_path, material):
        return self.run("wrap", alg, "--public-key", spki_path, self.write("mat", material))

    def expect_success(self, name, proc, data, leftovers, expected=None):
        ok = proc.returncode == 0 and data is not None and not leftovers
        if ok and expected is not None:
            ok = data == expected
        stderr = proc.stderr.decode(errors="replace").strip()
        self.check(name, ok, f"status={proc.returncode} stderr={stderr!r}")
        return data if ok else None

    def expect_failure(self, name, proc, data, leftovers, exception=None):
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        ok = (
            proc.returncode != 0
            and data is None
            and not leftovers
            and len(lines) == 1
            and lines[0].startswith("error: ")
            and "Exception: " in lines[0]
        )
        if ok and exception is not None:
            ok = lines[0].startswith(f"error: {exception}: ")
        self.check(name, ok, f"status={proc.returncode} out={data is not None} stderr={lines!r}")


def materials():
    p384 = ec.generate_private_key(ec.SECP384R1())
    rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "symmetric-32": os.urandom(32),
        "hmac-64": os.urandom(64),
        "p384-pkcs8": der_private(p384),
        "rsa2048-pkcs8": der_private(rsa2048),
    }


def compatible(alg, kind):
    if alg == PKCS1:
        return kind == "symmetric-32"
    if kind == "rsa2048-pkcs8":
        return is_rsa_aes(alg)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get(
        "KMS_IMPORT_BIN_DIR",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release"),
    )
    parser.add_argument("--bin-dir", default=default_dir)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kms-import-py-") as work:
        r = Runner(args.bin_dir, work)
        mats = materials()
        keys = {}
        for bits in (2048, 3072, 4096):
            key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            spki = der_spki(key)
            keys[bits] = (
                key,
                r.write(f"rsa{bits}.pk8.der", der_private(key)),
                r.write(f"rsa{bits}.spki.der", spki),
                # The text `aws kms get-parameters-for-import --output text` prints.
                r.write(f"rsa{bits}.spki.b64", base64.b64encode(spki) + b"\n"),
            )

        for bits, (key, pk8, spki, spki_b64) in keys.items():
            for alg in ALGORITHMS:
                for kind, material in mats.items():
                    if not compatible(alg, kind):
                        continue
                    tag = f"{alg}/{bits}/{kind}"
                    # Python wraps, the crate unwraps.
                    blob = py_wrap(key.public_key(), alg, material)
                    r.expect_success(f"py->crate {tag}", *r.unwrap(alg, pk8, blob),
                                     expected=material)
                    # The crate wraps (DER and base64 public key), Python unwraps.
                    for form, path in (("der", spki), ("base64", spki_b64)):
                        out = r.expect_success(f"crate->py {tag} {form}",
                                               *r.wrap(alg, path, material))
                        if out is not None:
                            try:
                                back = py_unwrap(key, alg, out)
                                r.check(f"crate->py {tag} {form} bytes", back == material)
                            except Exception as e:  # noqa: BLE001 - any failure is a failure
                                r.check(f"crate->py {tag} {form} bytes", False, repr(e))

        # Negative cases on RSA_2048 and RSA_4096 keys.
        key2048, pk8_2048, spki_2048, _ = keys[2048]
        key4096, pk8_4096, _, _ = keys[4096]
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        material = mats["symmetric-32"]
        for alg in (OAEP_SHA1, OAEP_SHA256, RSA_AES_SHA1, RSA_AES_SHA256):
            blob = py_wrap(key2048.public_key(), alg, material)
            k = 256
            positions = [0, k // 2, k - 1] + ([k, len(blob) - 1] if is_rsa_aes(alg) else [])
            for i in positions:
                flipped = bytearray(blob)
                flipped[i] ^= 0x01
                r.expect_failure(f"flipped byte {i} {alg}", *r.unwrap(alg, pk8_2048, bytes(flipped)),
                                 exception="InvalidCiphertextException")
            r.expect_failure(f"wrong key (same size) {alg}",
                             *r.unwrap(alg, r.write("other.pk8", der_private(other)), blob),
                             exception="InvalidCiphertextException")
            r.expect_failure(f"wrong key (RSA_4096) {alg}", *r.unwrap(alg, pk8_4096, blob),
                             exception="InvalidCiphertextException")
            for wrong in ALGORITHMS[:4]:
                if wrong != alg:
                    r.expect_failure(f"wrong algorithm {alg} as {wrong}",
                                     *r.unwrap(wrong, pk8_2048, blob),
                                     exception="InvalidCiphertextException")
            for cut in (1, 8, len(blob) - k + 1 if is_rsa_aes(alg) else k // 2):
                r.expect_failure(f"truncated by {cut} {alg}", *r.unwrap(alg, pk8_2048, blob[:-cut]),
                                 exception="InvalidCiphertextException")
            r.expect_failure(f"empty {alg}", *r.unwrap(alg, pk8_2048, b""))
        # PKCS#1 v1.5: implicit rejection turns a flipped byte into a different message (exit
        # 0), so only the publicly checkable faults must fail; a flip must not return the
        # original material.
        blob = py_wrap(key2048.public_key(), PKCS1, material)
        r.expect_failure(f"truncated {PKCS1}", *r.unwrap(PKCS1, pk8_2048, blob[:-1]),
                         exception="InvalidCiphertextException")
        flipped = bytearray(blob)
        flipped[100] ^= 0x01
        proc, data, _ = r.unwrap(PKCS1, pk8_2048, bytes(flipped))
        r.check(f"flipped {PKCS1} never yields the material", data != material)
        r.expect_failure(f"wrong algorithm {PKCS1} as {OAEP_SHA256}",
                         *r.unwrap(OAEP_SHA256, pk8_2048, blob),
                         exception="InvalidCiphertextException")
        # Refusals on the wrap side.
        r.expect_failure("OAEP material over the RSA_2048 limit",
                         *r.wrap(OAEP_SHA256, spki_2048, os.urandom(191)),
                         exception="ValidationException")
        r.expect_failure("SM2PKE", *r.wrap("SM2PKE", spki_2048, material),
                         exception="UnsupportedOperationException")
        r.expect_failure("unknown algorithm", *r.wrap("RSAES_OAEP_SHA_512", spki_2048, material),
                         exception="ValidationException")
        r.expect_failure("garbage public key", *r.wrap(OAEP_SHA256, r.write("junk", b"junk!"),
                                                       material))
        r.expect_failure("private key as public key", *r.wrap(OAEP_SHA256, pk8_2048, material))

        print(f"{r.passed} passed, {r.failed} failed")
        return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
