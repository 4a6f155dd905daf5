#!/usr/bin/env python3
"""End-to-end test of the example server through the official AWS SDK for Python.

Builds nothing: it is given the server binary, starts it on a free loopback port, drives the
import flows with boto3, wraps key material client-side with `cryptography`, and checks every
answer. Ends with the line `N passed, M failed`; exits non-zero on any failure or when the
server died.

    python3 tests/e2e_boto3.py --server target/release/kms-import-server
"""

import argparse
import datetime as dt
import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

IMPORTABLE_SPECS = [
    "SYMMETRIC_DEFAULT",
    "HMAC_224",
    "HMAC_256",
    "HMAC_384",
    "HMAC_512",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
]
OAEP = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
RSA_AES = ["RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"]
WRAPPING_KEY_SPECS = ["RSA_2048", "RSA_3072", "RSA_4096"]
HMAC_HASH = {
    "HMAC_224": ("HMAC_SHA_224", hashlib.sha224, 28),
    "HMAC_256": ("HMAC_SHA_256", hashlib.sha256, 32),
    "HMAC_384": ("HMAC_SHA_384", hashlib.sha384, 48),
    "HMAC_512": ("HMAC_SHA_512", hashlib.sha512, 64),
}
CURVES = {
    "ECC_NIST_P256": (ec.SECP256R1, "ECDSA_SHA_256", hashes.SHA256),
    "ECC_NIST_P384": (ec.SECP384R1, "ECDSA_SHA_384", hashes.SHA384),
    "ECC_NIST_P521": (ec.SECP521R1, "ECDSA_SHA_512", hashes.SHA512),
    "ECC_SECG_P256K1": (ec.SECP256K1, "ECDSA_SHA_256", hashes.SHA256),
}


def valid_pairs(spec):
    """(wrapping algorithm, wrapping key spec) pairs the import accepts for `spec` (spec §6.3,
    RSAES_PKCS1_V1_5 excluded)."""
    if spec == "SYMMETRIC_DEFAULT" or spec.startswith("HMAC_"):
        algorithms = OAEP
    elif spec.startswith("RSA_"):
        algorithms = RSA_AES
    else:
        algorithms = OAEP + RSA_AES
    return [
        (a, w)
        for a in algorithms
        for w in WRAPPING_KEY_SPECS
        # P-521 PKCS#8 (241 bytes) exceeds the RSA-2048 OAEP plaintext limit.
        if not (spec == "ECC_NIST_P521" and a in OAEP and w == "RSA_2048")
    ]


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {name} {detail}".rstrip(), flush=True)
        return ok

    def error(self, name, code, call, message=None, contains=None, no_message=False):
        """`call` must fail with error `code` (and `message` exactly, or containing
        `contains`; with `no_message`, an error body without a `message` member, as AWS
        sends for some errors: botocore then shows an empty Message and no modeled
        `message` field)."""
        try:
            call()
        except ClientError as e:
            got = e.response.get("Error", {})
            ok = got.get("Code") == code
            if message is not None:
                ok = ok and got.get("Message") == message
            if contains is not None:
                ok = ok and contains in (got.get("Message") or "")
            if no_message:
                ok = ok and got.get("Message") == "" and "message" not in e.response
            return self.check(
                name, ok, f"got {got.get('Code')}: {got.get('Message')!r} {e.response.get('message')!r}"
            )
        return self.check(name, False, f"succeeded, expected {code}")

    def run(self, name, call):
        """`call` must succeed; returns its result, or None after recording the failure."""
        try:
            return call()
        except ClientError as e:
            self.check(name, False, f"{e.response.get('Error')}")
        except Exception as e:  # noqa: BLE001: any crash is one failed check
            self.check(name, False, repr(e))
        return None


def make_material(spec):
    """(material bytes, private key object or None)."""
    if spec == "SYMMETRIC_DEFAULT":
        return os.urandom(32), None
    if spec in HMAC_HASH:
        return os.urandom(HMAC_HASH[spec][2]), None
    if spec.startswith("RSA_"):
        key = rsa.generate_private_key(public_exponent=65537, key_size=int(spec[4:]))
    else:
        key = ec.generate_private_key(CURVES[spec][0]())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return der, key


def oaep(algorithm):
    h = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)


def wrap(algorithm, public_key_der, material):
    """Wraps `material` as a client does: OAEP, or RSA-OAEP(AES key) || AES-KWP(material)."""
    public_key = serialization.load_der_public_key(public_key_der)
    if algorithm in OAEP:
        return public_key.encrypt(material, oaep(algorithm))
    aes_key = os.urandom(32)
    return public_key.encrypt(aes_key, oaep(algorithm)) + aes_key_wrap_with_padding(
        aes_key, material
    )


def flip(blob, index):
    b = bytearray(blob)
    b[index] ^= 0x01
    return bytes(b)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, log):
    port = free_port()
    proc = subprocess.Popen(
        # AWS's request-rate quotas would throttle this suite's back-to-back imports.
        [binary, "--listen", f"127.0.0.1:{port}", "--rate-limits", "off"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} during startup")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start listening within 30 s")


def epoch(value):
    return int(value.timestamp()) if isinstance(value, dt.datetime) else None


class E2E:
    def __init__(self, kms, r):
        self.kms = kms
        self.r = r

    # --- helpers -------------------------------------------------------------------------

    def create(self, spec, origin="EXTERNAL"):
        kwargs = {"KeySpec": spec, "Origin": origin}
        if spec.startswith("RSA_") or spec.startswith("ECC_"):
            kwargs["KeyUsage"] = "SIGN_VERIFY"
        elif spec.startswith("HMAC_"):
            kwargs["KeyUsage"] = "GENERATE_VERIFY_MAC"
        return self.kms.create_key(**kwargs)["KeyMetadata"]

    def params(self, key_id, algorithm, wrapping_key_spec):
        return self.kms.get_parameters_for_import(
            KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=wrapping_key_spec
        )

    def import_material(self, key_id, params, blob, **kwargs):
        return self.kms.import_key_material(
            KeyId=key_id,
            ImportToken=params["ImportToken"],
            EncryptedKeyMaterial=blob,
            **kwargs,
        )

    def describe(self, key_id):
        return self.kms.describe_key(KeyId=key_id)["KeyMetadata"]

    # --- the happy path, per key spec ----------------------------------------------------

    def flow(self, spec):
        """Every valid (algorithm, wrapping key spec) pair, one key, one material; the full
        lifecycle on the first pair. Returns (metadata, material, private key)."""
        r = self.r
        meta = self.create(spec)
        key_id, arn = meta["KeyId"], meta["Arn"]
        r.check(f"{spec}: new EXTERNAL key is PendingImport", meta["KeyState"] == "PendingImport")
        material, private_key = make_material(spec)
        for n, (algorithm, wks) in enumerate(valid_pairs(spec)):
            tag = f"{spec} {algorithm} {wks}"
            params = r.run(f"{tag}: GetParametersForImport", lambda: self.params(key_id, algorithm, wks))
            if params is None:
                continue
            r.check(f"{tag}: parameters name the key ARN", params["KeyId"] == arn)
            valid_for = params["ParametersValidTo"] - dt.datetime.now(dt.timezone.utc)
            r.check(
                f"{tag}: parameters valid for 24 hours",
                dt.timedelta(hours=23, minutes=58) < valid_for <= dt.timedelta(hours=24),
            )
            blob = wrap(algorithm, params["PublicKey"], material)
            if n > 0:
                out = r.run(
                    f"{tag}: re-import of the same material",
                    lambda: self.import_material(
                        key_id, params, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"
                    ),
                )
                r.check(f"{tag}: import answers the key ARN", out is not None and out["KeyId"] == arn)
                continue
            valid_to = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=30)
            out = r.run(
                f"{tag}: ImportKeyMaterial",
                lambda: self.import_material(
                    key_id, params, blob, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to
                ),
            )
            r.check(f"{tag}: import answers the key ARN", out is not None and out["KeyId"] == arn)
            d = self.describe(key_id)
            r.check(f"{spec}: Enabled after import", d["KeyState"] == "Enabled" and d["Enabled"])
            r.check(
                f"{spec}: KEY_MATERIAL_EXPIRES with the ValidTo sent",
                d.get("ExpirationModel") == "KEY_MATERIAL_EXPIRES"
                and epoch(d.get("ValidTo")) == int(valid_to.timestamp()),
                f"{d.get('ExpirationModel')} {d.get('ValidTo')} vs {valid_to}",
            )
            self.use(spec, key_id, material, private_key)
            r.run(f"{spec}: DeleteImportedKeyMaterial", lambda: self.kms.delete_imported_key_material(KeyId=key_id))
            d = self.describe(key_id)
            r.check(f"{spec}: PendingImport after delete", d["KeyState"] == "PendingImport")
            r.check(f"{spec}: no ExpirationModel after delete", "ExpirationModel" not in d, str(d.get("ExpirationModel")))
            r.check(f"{spec}: no ValidTo after delete", "ValidTo" not in d)
            params = r.run(f"{tag}: parameters for re-import", lambda: self.params(key_id, algorithm, wks))
            if params is None:
                continue
            blob = wrap(algorithm, params["PublicKey"], material)
            r.run(
                f"{tag}: re-import after delete, DOES_NOT_EXPIRE",
                lambda: self.import_material(key_id, params, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
            )
            d = self.describe(key_id)
            r.check(f"{spec}: Enabled after re-import", d["KeyState"] == "Enabled")
            r.check(
                f"{spec}: DOES_NOT_EXPIRE and no ValidTo after re-import",
                d.get("ExpirationModel") == "KEY_MATERIAL_DOES_NOT_EXPIRE" and "ValidTo" not in d,
            )
        return meta, material, private_key

    def use(self, spec, key_id, material, private_key):
        r, kms = self.r, self.kms
        message = b"the quick brown fox"
        if spec in HMAC_HASH:
            alg, hfn, _ = HMAC_HASH[spec]
            out = r.run(f"{spec}: GenerateMac", lambda: kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm=alg))
            expected = hmac.new(material, message, hfn).digest()
            r.check(f"{spec}: MAC equals the local HMAC of the material", out is not None and out["Mac"] == expected)
            r.check(
                f"{spec}: VerifyMac accepts the MAC",
                r.run(f"{spec}: VerifyMac", lambda: kms.verify_mac(KeyId=key_id, Message=message, MacAlgorithm=alg, Mac=expected)) is not None,
            )
            r.error(
                f"{spec}: VerifyMac refuses a wrong MAC, with no message",
                "KMSInvalidMacException",
                lambda: kms.verify_mac(KeyId=key_id, Message=message, MacAlgorithm=alg, Mac=flip(expected, 0)),
                no_message=True,
            )
            r.error(
                f"{spec}: Sign with an HMAC key is refused",
                "InvalidKeyUsageException",
                lambda: kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_256"),
            )
        elif spec == "SYMMETRIC_DEFAULT":
            context = {"purpose": "e2e", "n": "1"}
            out = r.run(
                f"{spec}: Encrypt",
                lambda: kms.encrypt(KeyId=key_id, Plaintext=message, EncryptionContext=context),
            )
            if out is None:
                return
            blob = out["CiphertextBlob"]
            back = r.run(f"{spec}: Decrypt without KeyId", lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext=context))
            r.check(f"{spec}: Decrypt returns the plaintext", back is not None and back["Plaintext"] == message)
            r.check(
                f"{spec}: Decrypt names the key",
                back is not None and back["KeyId"] == self.describe(key_id)["Arn"],
            )
            r.error(
                f"{spec}: Decrypt with another encryption context fails, with no message",
                "InvalidCiphertextException",
                lambda: kms.decrypt(CiphertextBlob=blob, EncryptionContext={"purpose": "other", "n": "1"}),
                no_message=True,
            )
            r.error(
                f"{spec}: Decrypt without the encryption context fails",
                "InvalidCiphertextException",
                lambda: kms.decrypt(CiphertextBlob=blob),
            )
            for index in (0, 20, 50, len(blob) // 2, len(blob) - 1):
                r.error(
                    f"{spec}: flipped ciphertext byte {index} is refused",
                    "InvalidCiphertextException",
                    lambda: kms.decrypt(CiphertextBlob=flip(blob, index), EncryptionContext=context),
                )
            r.error(
                f"{spec}: truncated ciphertext is refused, with no message",
                "InvalidCiphertextException",
                lambda: kms.decrypt(CiphertextBlob=blob[:40], EncryptionContext=context),
                no_message=True,
            )
            self.symmetric_ciphertext = (blob, context)
            r.error(
                f"{spec}: GenerateMac with a symmetric key is refused",
                "InvalidKeyUsageException",
                lambda: kms.generate_mac(KeyId=key_id, Message=message, MacAlgorithm="HMAC_SHA_256"),
            )
        else:
            public = private_key.public_key()
            pub = r.run(f"{spec}: GetPublicKey", lambda: kms.get_public_key(KeyId=key_id))
            local_spki = public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            r.check(f"{spec}: GetPublicKey is the public half of the material", pub is not None and pub["PublicKey"] == local_spki)
            if spec.startswith("RSA_"):
                algorithms = [
                    ("RSASSA_PSS_SHA_256", padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256()),
                    ("RSASSA_PKCS1_V1_5_SHA_384", padding.PKCS1v15(), hashes.SHA384()),
                ]
            else:
                _, alg, h = CURVES[spec]
                algorithms = [(alg, None, h())]
            for alg, pad, h in algorithms:
                out = r.run(f"{spec}: Sign {alg}", lambda: kms.sign(KeyId=key_id, Message=message, SigningAlgorithm=alg))
                if out is None:
                    continue
                try:
                    if pad is None:
                        public.verify(out["Signature"], message, ec.ECDSA(h))
                    else:
                        public.verify(out["Signature"], message, pad, h)
                    ok = True
                except InvalidSignature:
                    ok = False
                r.check(f"{spec}: {alg} signature verifies locally", ok)
                r.check(
                    f"{spec}: Verify accepts the signature",
                    r.run(f"{spec}: Verify", lambda: kms.verify(KeyId=key_id, Message=message, Signature=out["Signature"], SigningAlgorithm=alg)) is not None,
                )
                r.error(
                    f"{spec}: Verify refuses another message, with no message text",
                    "KMSInvalidSignatureException",
                    lambda: kms.verify(KeyId=key_id, Message=message + b"!", Signature=out["Signature"], SigningAlgorithm=alg),
                    no_message=True,
                )
            r.error(
                f"{spec}: Encrypt with a SIGN_VERIFY key is refused",
                "InvalidKeyUsageException",
                lambda: kms.encrypt(KeyId=key_id, Plaintext=message, EncryptionAlgorithm="RSAES_OAEP_SHA_256"),
            )

    # --- error paths ---------------------------------------------------------------------

    def errors(self, sym, sym_material, hmac_meta, p521_meta):
        r, kms = self.r, self.kms
        key_id, arn = sym["KeyId"], sym["Arn"]
        valid_to = lambda days: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=days)  # noqa: E731

        # Origin AWS_KMS.
        aws = self.create("SYMMETRIC_DEFAULT", origin="AWS_KMS")
        r.check("AWS_KMS key is Enabled at once", aws["KeyState"] == "Enabled")
        good = self.params(key_id, "RSAES_OAEP_SHA_256", "RSA_2048")
        blob = wrap("RSAES_OAEP_SHA_256", good["PublicKey"], sym_material)
        origin_msg = f"{aws['Arn']} origin is AWS_KMS which is not valid for this operation."
        r.error(
            "GetParametersForImport on an AWS_KMS key",
            "UnsupportedOperationException",
            lambda: self.params(aws["KeyId"], "RSAES_OAEP_SHA_256", "RSA_2048"),
            message=origin_msg,
        )
        r.error(
            "ImportKeyMaterial on an AWS_KMS key",
            "UnsupportedOperationException",
            lambda: self.import_material(aws["KeyId"], good, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
            message=origin_msg,
        )
        r.error(
            "DeleteImportedKeyMaterial on an AWS_KMS key",
            "UnsupportedOperationException",
            lambda: kms.delete_imported_key_material(KeyId=aws["KeyId"]),
            message=origin_msg,
        )

        # Ciphertext of one key refused by another.
        if getattr(self, "symmetric_ciphertext", None):
            ct, context = self.symmetric_ciphertext
            r.error(
                "Decrypt with another key's id is refused",
                "IncorrectKeyException",
                lambda: kms.decrypt(CiphertextBlob=ct, EncryptionContext=context, KeyId=aws["KeyId"]),
            )
            mine = r.run("Encrypt under the AWS_KMS key", lambda: kms.encrypt(KeyId=aws["KeyId"], Plaintext=b"x"))
            if mine:
                back = r.run("Decrypt under the AWS_KMS key", lambda: kms.decrypt(CiphertextBlob=mine["CiphertextBlob"]))
                r.check("AWS_KMS key round trip", back is not None and back["Plaintext"] == b"x")
                r.error(
                    "AWS_KMS ciphertext refused by the imported key",
                    "IncorrectKeyException",
                    lambda: kms.decrypt(CiphertextBlob=mine["CiphertextBlob"], KeyId=key_id),
                )

        # Token from another key.
        other = self.create("SYMMETRIC_DEFAULT")
        foreign = self.params(other["KeyId"], "RSAES_OAEP_SHA_256", "RSA_2048")
        r.error(
            "token of another key",
            "InvalidImportTokenException",
            lambda: self.import_material(
                key_id, foreign, wrap("RSAES_OAEP_SHA_256", foreign["PublicKey"], sym_material),
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            ),
        )
        # Altered token, at its start, middle and end.
        token = good["ImportToken"]
        for index in (0, len(token) // 2, len(token) - 1):
            altered = dict(good, ImportToken=flip(token, index))
            r.error(
                f"token with byte {index} flipped",
                "InvalidImportTokenException",
                lambda: self.import_material(key_id, altered, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
            )
        # Altered wrapped material.
        for index in (0, len(blob) // 2, len(blob) - 1):
            r.error(
                f"wrapped material with byte {index} flipped",
                "InvalidCiphertextException",
                lambda: self.import_material(key_id, good, flip(blob, index), ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
            )
        # Hash mismatch: the token says OAEP SHA-256, the client used SHA-1.
        r.error(
            "material wrapped with SHA-1 under a SHA-256 token",
            "InvalidCiphertextException",
            lambda: self.import_material(
                key_id, good, wrap("RSAES_OAEP_SHA_1", good["PublicKey"], sym_material),
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            ),
        )
        # ValidTo rules (a failed import leaves the token usable).
        r.error(
            "no ExpirationModel and no ValidTo",
            "ValidationException",
            lambda: self.import_material(key_id, good, blob),
            message="A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
        )
        r.error(
            "KEY_MATERIAL_EXPIRES without ValidTo",
            "ValidationException",
            lambda: self.import_material(key_id, good, blob, ExpirationModel="KEY_MATERIAL_EXPIRES"),
            message="A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
        )
        r.error(
            "ValidTo in the past",
            "ValidationException",
            lambda: self.import_material(key_id, good, blob, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to(-1)),
        )
        r.error(
            "ValidTo more than 365 days ahead",
            "ValidationException",
            lambda: self.import_material(key_id, good, blob, ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to(366)),
        )
        r.error(
            "ValidTo with KEY_MATERIAL_DOES_NOT_EXPIRE",
            "ValidationException",
            lambda: self.import_material(key_id, good, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", ValidTo=valid_to(30)),
        )
        # Different material on re-import.
        r.error(
            "different material on re-import",
            "IncorrectKeyMaterialException",
            lambda: self.import_material(
                key_id, good, wrap("RSAES_OAEP_SHA_256", good["PublicKey"], os.urandom(32)),
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
            ),
        )
        # The same token after all those failures still imports; then it is used up.
        r.check(
            "token accepted after failed imports",
            r.run("import after failures", lambda: self.import_material(key_id, good, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")) is not None,
        )
        r.error(
            "token reused after a successful import",
            "InvalidImportTokenException",
            lambda: self.import_material(key_id, good, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
        )

        # Aliases: refused by the import operations, resolved by the others.
        alias = f"alias/e2e-{uuid.uuid4().hex[:8]}"
        alias_arn = arn.split(":key/")[0] + ":" + alias
        r.run("CreateAlias", lambda: kms.create_alias(AliasName=alias, TargetKeyId=key_id))
        r.error("CreateAlias twice", "AlreadyExistsException", lambda: kms.create_alias(AliasName=alias, TargetKeyId=key_id))
        r.error(
            "CreateAlias under alias/aws/",
            "InvalidAliasNameException",
            lambda: kms.create_alias(AliasName="alias/aws/e2e", TargetKeyId=key_id),
        )
        listed = r.run("ListAliases", lambda: kms.list_aliases(KeyId=key_id))
        r.check(
            "ListAliases shows the alias for its key",
            listed is not None and [a["AliasName"] for a in listed["Aliases"]] == [alias],
        )
        for name, ident in (("alias name", alias), ("alias ARN", alias_arn)):
            r.check(f"DescribeKey by {name}", self.describe(ident)["KeyId"] == key_id)
            code = "NotFoundException" if ident == alias else "InvalidArnException"
            r.error(f"GetParametersForImport by {name}", code, lambda: self.params(ident, "RSAES_OAEP_SHA_256", "RSA_2048"))
            r.error(
                f"ImportKeyMaterial by {name}",
                code,
                lambda: self.import_material(ident, good, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
            )
            r.error(f"DeleteImportedKeyMaterial by {name}", code, lambda: kms.delete_imported_key_material(KeyId=ident))
        ct = r.run("Encrypt by alias", lambda: kms.encrypt(KeyId=alias, Plaintext=b"via alias"))
        if ct:
            back = r.run("Decrypt by alias ARN", lambda: kms.decrypt(CiphertextBlob=ct["CiphertextBlob"], KeyId=alias_arn))
            r.check("alias round trip", back is not None and back["Plaintext"] == b"via alias")
        r.run("DeleteAlias", lambda: kms.delete_alias(AliasName=alias))
        r.error("DescribeKey by a deleted alias", "NotFoundException", lambda: self.describe(alias))
        r.error("DeleteAlias of a missing alias", "NotFoundException", lambda: kms.delete_alias(AliasName=alias))

        # Unknown and malformed key ids.
        missing = str(uuid.uuid4())
        missing_arn = arn.split(":key/")[0] + ":key/" + missing
        r.error(
            "GetParametersForImport of an unknown key",
            "NotFoundException",
            lambda: self.params(missing, "RSAES_OAEP_SHA_256", "RSA_2048"),
            message=f"Key '{missing_arn}' does not exist",
        )
        r.error(
            "ImportKeyMaterial of an unknown key",
            "NotFoundException",
            lambda: self.import_material(missing, good, blob, ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"),
            message=f"Key '{missing_arn}' does not exist",
        )
        r.error("DescribeKey of an unknown key", "NotFoundException", lambda: self.describe(missing))
        for bad in ("not-a-key-id", "1234abcd-12ab-34cd-56ef"):
            r.error(
                f"malformed key id {bad!r}",
                "NotFoundException",
                lambda: self.params(bad, "RSAES_OAEP_SHA_256", "RSA_2048"),
                message=f"Invalid keyId '{bad}'",
            )

        # Incompatible pairs, refused at GetParametersForImport.
        for alg in RSA_AES:
            r.error(
                f"{alg} for a symmetric key",
                "UnsupportedOperationException",
                lambda: self.params(key_id, alg, "RSA_4096"),
            )
        for alg in OAEP:
            r.error(
                f"{alg} under RSA_2048 for ECC_NIST_P521",
                "UnsupportedOperationException",
                lambda: self.params(p521_meta["KeyId"], alg, "RSA_2048"),
            )
        r.error(
            "RSAES_PKCS1_V1_5 is refused",
            "UnsupportedOperationException",
            lambda: self.params(key_id, "RSAES_PKCS1_V1_5", "RSA_2048"),
        )

        # ImportType on an HMAC key.
        hmac_id = hmac_meta["KeyId"]
        hp = self.params(hmac_id, "RSAES_OAEP_SHA_256", "RSA_2048")
        hblob = wrap("RSAES_OAEP_SHA_256", hp["PublicKey"], os.urandom(32))
        r.error(
            "ImportType on an HMAC key",
            "UnsupportedOperationException",
            lambda: self.import_material(
                hmac_id, hp, hblob, ImportType="EXISTING_KEY_MATERIAL", ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE"
            ),
        )

        # Key states: disable, schedule and cancel deletion.
        r.run("DisableKey", lambda: kms.disable_key(KeyId=key_id))
        r.error("Encrypt with a disabled key", "DisabledException", lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), message=f"{arn} is disabled.")
        r.run("EnableKey", lambda: kms.enable_key(KeyId=key_id))
        sched = r.run("ScheduleKeyDeletion", lambda: kms.schedule_key_deletion(KeyId=aws["KeyId"], PendingWindowInDays=7))
        r.check("ScheduleKeyDeletion answers PendingDeletion", sched is not None and sched["KeyState"] == "PendingDeletion")
        r.error(
            "Encrypt with a key pending deletion",
            "KMSInvalidStateException",
            lambda: kms.encrypt(KeyId=aws["KeyId"], Plaintext=b"x"),
            message=f"{aws['Arn']} is pending deletion.",
        )
        r.run("CancelKeyDeletion", lambda: kms.cancel_key_deletion(KeyId=aws["KeyId"]))
        r.check("cancelled key is Disabled", self.describe(aws["KeyId"])["KeyState"] == "Disabled")
        r.error("EnableKey by alias is refused", "NotFoundException", lambda: kms.enable_key(KeyId="alias/whatever"))
        r.error(
            "Encrypt with a key pending import",
            "KMSInvalidStateException",
            lambda: kms.encrypt(KeyId=other["KeyId"], Plaintext=b"x"),
            message=f"{other['Arn']} is pending import.",
        )

    def listing(self, expected_ids):
        r, kms = self.r, self.kms
        seen, marker, pages = [], None, 0
        while pages < 100:
            kwargs = {"Limit": 2}
            if marker:
                kwargs["Marker"] = marker
            out = r.run("ListKeys page", lambda: kms.list_keys(**kwargs))
            if out is None:
                return
            pages += 1
            seen += [k["KeyId"] for k in out["Keys"]]
            if not out.get("Truncated"):
                break
            marker = out["NextMarker"]
        r.check("ListKeys pages cover every key once", sorted(seen) == sorted(set(seen)) and set(expected_ids) <= set(seen))
        r.check("ListKeys paginates with Limit", pages > 1)


    # --- rotation of imported material (symmetric keys) ------------------------------------

    def rotation(self):
        r = self.r
        alg, wks = "RSAES_OAEP_SHA_256", "RSA_2048"
        meta = self.create("SYMMETRIC_DEFAULT")
        key_id = meta["KeyId"]
        first, second, third = os.urandom(32), os.urandom(32), os.urandom(32)

        def imp(material, **kwargs):
            p = self.params(key_id, alg, wks)
            return self.import_material(
                key_id, p, wrap(alg, p["PublicKey"], material),
                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE", **kwargs)

        out1 = r.run("rotation: first import", lambda: imp(first))
        first_id = out1["KeyMaterialId"] if out1 else None
        r.check("rotation: KeyMaterialId is 64 lowercase hex",
                bool(first_id) and len(first_id) == 64 and all(c in "0123456789abcdef" for c in first_id))
        r.check("rotation: DescribeKey shows CurrentKeyMaterialId",
                self.describe(key_id).get("CurrentKeyMaterialId") == first_id)
        old = r.run("rotation: encrypt before rotating",
                    lambda: self.kms.encrypt(KeyId=key_id, Plaintext=b"before rotation"))
        r.error("rotation: nothing pending", "KMSInvalidStateException",
                lambda: self.kms.rotate_key_on_demand(KeyId=key_id),
                contains="No available key material pending rotation")
        r.error("rotation: different bytes without ImportType are EXISTING and refused",
                "IncorrectKeyMaterialException", lambda: imp(second))
        r.error("rotation: EXISTING with a KeyMaterialId that is not this material's",
                "IncorrectKeyMaterialException",
                lambda: imp(second, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first_id))
        out2 = r.run("rotation: NEW_KEY_MATERIAL import",
                     lambda: imp(second, ImportType="NEW_KEY_MATERIAL",
                                 KeyMaterialDescription="second material"))
        second_id = out2["KeyMaterialId"] if out2 else None
        r.check("rotation: pending material does not change CurrentKeyMaterialId",
                self.describe(key_id).get("CurrentKeyMaterialId") == first_id)
        r.error("rotation: a second NEW while one is pending", "KMSInvalidStateException",
                lambda: imp(third, ImportType="NEW_KEY_MATERIAL"))
        listed = r.run("rotation: ListKeyRotations ALL_KEY_MATERIAL",
                       lambda: self.kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL"))
        states = {e.get("KeyMaterialId"): e.get("KeyMaterialState") for e in (listed or {}).get("Rotations", [])}
        r.check("rotation: both materials listed, CURRENT and PENDING_ROTATION",
                states.get(first_id) == "CURRENT" and states.get(second_id) == "PENDING_ROTATION", str(states))
        r.run("rotation: RotateKeyOnDemand", lambda: self.kms.rotate_key_on_demand(KeyId=key_id))
        r.check("rotation: CurrentKeyMaterialId follows the rotation",
                self.describe(key_id).get("CurrentKeyMaterialId") == second_id)
        listed = r.run("rotation: ListKeyRotations after rotating",
                       lambda: self.kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL"))
        states = {e.get("KeyMaterialId"): e.get("KeyMaterialState") for e in (listed or {}).get("Rotations", [])}
        r.check("rotation: previous material NON_CURRENT, new one CURRENT",
                states.get(first_id) == "NON_CURRENT" and states.get(second_id) == "CURRENT", str(states))
        only = r.run("rotation: ListKeyRotations ROTATIONS_ONLY",
                     lambda: self.kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ROTATIONS_ONLY"))
        rotated = [e.get("KeyMaterialId") for e in (only or {}).get("Rotations", [])]
        r.check("rotation: ROTATIONS_ONLY lists the rotated-in material", rotated == [second_id], str(rotated))
        if old:
            back = r.run("rotation: ciphertext from before the rotation decrypts",
                         lambda: self.kms.decrypt(CiphertextBlob=old["CiphertextBlob"]))
            r.check("rotation: old plaintext back", back is not None and back["Plaintext"] == b"before rotation")
        new = r.run("rotation: encrypt after rotating", lambda: self.kms.encrypt(KeyId=key_id, Plaintext=b"after"))
        if new:
            back = r.run("rotation: new ciphertext decrypts", lambda: self.kms.decrypt(CiphertextBlob=new["CiphertextBlob"]))
            r.check("rotation: new plaintext back", back is not None and back["Plaintext"] == b"after")
        # Losing any permanently associated material makes the key unusable.
        r.run("rotation: delete the NON_CURRENT material",
              lambda: self.kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=first_id))
        r.check("rotation: PendingImport once any associated material is gone",
                self.describe(key_id)["KeyState"] == "PendingImport")
        r.run("rotation: re-import the deleted material",
              lambda: imp(first, ImportType="EXISTING_KEY_MATERIAL", KeyMaterialId=first_id))
        r.check("rotation: Enabled again", self.describe(key_id)["KeyState"] == "Enabled")
        for name, ident in [("alias name", "alias/rotation-e2e"),
                            ("alias ARN", "arn:aws:kms:us-east-1:111122223333:alias/rotation-e2e")]:
            r.error(f"rotation: RotateKeyOnDemand refuses an {name}",
                    "NotFoundException" if name == "alias name" else "InvalidArnException",
                    lambda ident=ident: self.kms.rotate_key_on_demand(KeyId=ident))
        hmac = self.create("HMAC_256")
        p = self.params(hmac["KeyId"], alg, wks)
        r.error("rotation: ImportType on an HMAC key", "UnsupportedOperationException",
                lambda: self.import_material(hmac["KeyId"], p, wrap(alg, p["PublicKey"], os.urandom(32)),
                                            ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
                                            ImportType="NEW_KEY_MATERIAL"))
        r.error("rotation: RotateKeyOnDemand on a key pending import", "KMSInvalidStateException",
                lambda: self.kms.rotate_key_on_demand(KeyId=hmac["KeyId"]))


# --- AWS's answers in the operations served (recorded AWS responses) -----------------------

CMK_MESSAGE = "The key ID in the request does not identify a CMK that can perform this operation."


def enum_list(message):
    """The values of `... Member must satisfy enum value set: [A, B, C]`."""
    marker = "Member must satisfy enum value set: ["
    if marker not in message or not message.endswith("]"):
        return None
    return message.split(marker, 1)[1][:-1].split(", ")


class AwsAnswers:
    def __init__(self, kms, other_region_kms, port, r):
        self.kms, self.west, self.port, self.r = kms, other_region_kms, port, r

    def run_all(self):
        for part in (self.regions, self.empty_messages, self.aws_kms_rotation, self.create_key_checks,
                     self.mac_and_rsa_wording, self.enum_order, self.raw_bodies):
            try:
                part()
            except Exception as e:  # noqa: BLE001: one crashed part is one failure
                self.r.check(f"aws answers: {part.__name__}", False, repr(e))

    def regions(self):
        """Keys are regional: the credential scope's Region selects them."""
        r, kms, west = self.r, self.kms, self.west
        key = kms.create_key(Description="regional")["KeyMetadata"]
        key_id, arn = key["KeyId"], key["Arn"]
        west_arn = arn.replace(":us-east-1:", ":us-west-2:")
        alias = f"alias/regional-{uuid.uuid4().hex[:8]}"
        kms.create_alias(AliasName=alias, TargetKeyId=key_id)
        ct = kms.encrypt(KeyId=key_id, Plaintext=b"regional")["CiphertextBlob"]
        r.error("region: DescribeKey by id from another Region", "NotFoundException",
                lambda: west.describe_key(KeyId=key_id), message=f"Key '{west_arn}' does not exist")
        r.error("region: DescribeKey by this Region's ARN from another Region", "NotFoundException",
                lambda: west.describe_key(KeyId=arn), message="Invalid arn us-east-1")
        r.error("region: DescribeKey by an ARN naming another Region", "NotFoundException",
                lambda: kms.describe_key(KeyId=west_arn), message="Invalid arn us-west-2")
        r.error("region: Encrypt by id from another Region", "NotFoundException",
                lambda: west.encrypt(KeyId=key_id, Plaintext=b"x"), message=f"Key '{west_arn}' does not exist")
        r.error("region: Encrypt by alias from another Region", "NotFoundException",
                lambda: west.encrypt(KeyId=alias, Plaintext=b"x"),
                message=f"Alias {west_arn.split(':key/')[0]}:{alias} is not found.")
        r.error("region: GetParametersForImport from another Region", "NotFoundException",
                lambda: west.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                       WrappingKeySpec="RSA_2048"),
                message=f"Key '{west_arn}' does not exist")
        r.error("region: DisableKey from another Region", "NotFoundException",
                lambda: west.disable_key(KeyId=key_id), message=f"Key '{west_arn}' does not exist")
        r.error("region: Decrypt of this Region's ciphertext from another Region", "InvalidCiphertextException",
                lambda: west.decrypt(CiphertextBlob=ct), no_message=True)
        listed = r.run("region: ListKeys from another Region", lambda: west.list_keys())
        r.check("region: another Region lists no key", listed is not None and listed["Keys"] == [], str(listed))
        listed = r.run("region: ListAliases from another Region", lambda: west.list_aliases())
        r.check("region: another Region lists no alias", listed is not None and listed["Aliases"] == [])
        r.error("region: CreateAlias from another Region", "NotFoundException",
                lambda: west.create_alias(AliasName=f"{alias}-w", TargetKeyId=key_id))
        # Every Region is served: a key made from another Region belongs to that Region.
        made = r.run("region: CreateKey from another Region", lambda: west.create_key(Description="west"))
        if made is not None:
            w_id, w_arn = made["KeyMetadata"]["KeyId"], made["KeyMetadata"]["Arn"]
            r.check("region: its ARN names its Region", ":us-west-2:" in w_arn, w_arn)
            got = r.run("region: DescribeKey in its Region", lambda: west.describe_key(KeyId=w_id))
            r.check("region: described there", got is not None and got["KeyMetadata"]["Arn"] == w_arn)
            r.error("region: DescribeKey of it from the default Region", "NotFoundException",
                    lambda: kms.describe_key(KeyId=w_id), message=f"Key '{w_arn.replace(':us-west-2:', ':us-east-1:')}' does not exist")
            keys = [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
            r.check("region: the default Region does not list it", w_id not in keys)
            wkeys = [k["KeyId"] for k in west.list_keys()["Keys"]]
            r.check("region: its Region lists it", wkeys == [w_id], str(wkeys))
            w_alias = f"{alias}"
            r.run("region: the same alias name in another Region",
                  lambda: west.create_alias(AliasName=w_alias, TargetKeyId=w_id))
            got = r.run("region: the alias resolves per Region", lambda: west.describe_key(KeyId=w_alias))
            r.check("region: to that Region's key", got is not None and got["KeyMetadata"]["KeyId"] == w_id)
            r.check("region: and to this Region's key here",
                    kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_id)
            west.delete_alias(AliasName=w_alias)
            west.schedule_key_deletion(KeyId=w_id, PendingWindowInDays=7)
        r.check("region: this Region still sees its key", kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyId"] == key_id)
        back = r.run("region: this Region still decrypts", lambda: kms.decrypt(CiphertextBlob=ct))
        r.check("region: plaintext back", back is not None and back["Plaintext"] == b"regional")

    def empty_messages(self):
        r, kms = self.r, self.kms
        sym = kms.create_key()["KeyMetadata"]
        ct = kms.encrypt(KeyId=sym["KeyId"], Plaintext=b"x")["CiphertextBlob"]
        r.error("Decrypt of a ciphertext with extra bytes: no message", "InvalidCiphertextException",
                lambda: kms.decrypt(CiphertextBlob=ct + b"bad_data", KeyId=sym["KeyId"]), no_message=True)
        r.error("Decrypt of garbage: no message", "InvalidCiphertextException",
                lambda: kms.decrypt(CiphertextBlob=b"not a ciphertext at all"), no_message=True)
        hmac_key = kms.create_key(KeySpec="HMAC_224", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
        r.error("Decrypt naming an HMAC key", "IncorrectKeyException",
                lambda: kms.decrypt(CiphertextBlob=ct, KeyId=hmac_key["KeyId"]), message=CMK_MESSAGE)
        mac = kms.generate_mac(KeyId=hmac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_224")["Mac"]
        r.error("VerifyMac of another message: no message", "KMSInvalidMacException",
                lambda: kms.verify_mac(KeyId=hmac_key["KeyId"], Message=b"n", MacAlgorithm="HMAC_SHA_224", Mac=mac),
                no_message=True)
        ecc = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        sig = kms.sign(KeyId=ecc["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
        r.error("Verify of another message: no message", "KMSInvalidSignatureException",
                lambda: kms.verify(KeyId=ecc["KeyId"], Message=b"n", Signature=sig, SigningAlgorithm="ECDSA_SHA_256"),
                no_message=True)
        r.error("RotateKeyOnDemand on an asymmetric key: no message", "UnsupportedOperationException",
                lambda: kms.rotate_key_on_demand(KeyId=ecc["KeyId"]), no_message=True)

    def aws_kms_rotation(self):
        r, kms = self.r, self.kms
        created = kms.create_key(Description="generated")["KeyMetadata"]
        key_id, arn = created["KeyId"], created["Arn"]
        first = created.get("CurrentKeyMaterialId")
        r.check("AWS_KMS symmetric: CreateKey reports CurrentKeyMaterialId",
                bool(first) and len(first) == 64 and all(c in "0123456789abcdef" for c in first), str(first))
        r.check("AWS_KMS symmetric: DescribeKey reports the same CurrentKeyMaterialId",
                kms.describe_key(KeyId=key_id)["KeyMetadata"].get("CurrentKeyMaterialId") == first)
        old = kms.encrypt(KeyId=key_id, Plaintext=b"before")["CiphertextBlob"]
        out = r.run("AWS_KMS symmetric: RotateKeyOnDemand", lambda: kms.rotate_key_on_demand(KeyId=key_id))
        r.check("AWS_KMS symmetric: RotateKeyOnDemand answers the key ARN", out is not None and out["KeyId"] == arn)
        second = kms.describe_key(KeyId=key_id)["KeyMetadata"].get("CurrentKeyMaterialId")
        r.check("AWS_KMS symmetric: rotation changes CurrentKeyMaterialId", bool(second) and second != first)
        new = kms.encrypt(KeyId=key_id, Plaintext=b"after")["CiphertextBlob"]
        r.check("AWS_KMS symmetric: a new ciphertext differs in material", new[:70] != old[:70])
        back = r.run("AWS_KMS symmetric: old ciphertext decrypts", lambda: kms.decrypt(CiphertextBlob=old))
        r.check("AWS_KMS symmetric: old plaintext back under the old material",
                back is not None and back["Plaintext"] == b"before" and back.get("KeyMaterialId") == first)
        back = r.run("AWS_KMS symmetric: new ciphertext decrypts", lambda: kms.decrypt(CiphertextBlob=new, KeyId=key_id))
        r.check("AWS_KMS symmetric: new plaintext back under the new material",
                back is not None and back["Plaintext"] == b"after" and back.get("KeyMaterialId") == second)
        for n in range(2, 11):
            r.run(f"AWS_KMS symmetric: on-demand rotation {n}", lambda: kms.rotate_key_on_demand(KeyId=key_id))
        r.error("AWS_KMS symmetric: the eleventh on-demand rotation", "LimitExceededException",
                lambda: kms.rotate_key_on_demand(KeyId=key_id),
                message="The on-demand rotations limit has been reached for the given keyId. No more "
                        f"on-demand rotations can be performed for this key: {arn}")
        back = r.run("AWS_KMS symmetric: the first ciphertext still decrypts", lambda: kms.decrypt(CiphertextBlob=old))
        r.check("AWS_KMS symmetric: first plaintext back", back is not None and back["Plaintext"] == b"before")
        kms.disable_key(KeyId=key_id)
        r.error("AWS_KMS symmetric: RotateKeyOnDemand on a disabled key", "DisabledException",
                lambda: kms.rotate_key_on_demand(KeyId=key_id), message=f"{arn} is disabled.")
        hmac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
        r.check("AWS_KMS HMAC key reports no CurrentKeyMaterialId", "CurrentKeyMaterialId" not in hmac_key)

    def create_key_checks(self):
        r, kms = self.r, self.kms
        r.error("CreateKey HMAC_256 without KeyUsage", "ValidationException",
                lambda: kms.create_key(KeySpec="HMAC_256"),
                message="You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.")
        long_key = "a" * 129
        r.error("CreateKey with a 129-character TagKey", "ValidationException",
                lambda: kms.create_key(Tags=[{"TagKey": long_key, "TagValue": "value1"}]),
                message=f"1 validation error detected: Value '{long_key}' at 'tags.1.member.tagKey' failed to "
                        "satisfy constraint: Member must have length less than or equal to 128")
        long_value = "v" * 257
        r.error("CreateKey with a 257-character TagValue", "ValidationException",
                lambda: kms.create_key(Tags=[{"TagKey": "k", "TagValue": "v"}, {"TagKey": "tag1", "TagValue": long_value}]),
                message=f"1 validation error detected: Value '{long_value}' at 'tags.2.member.tagValue' failed to "
                        "satisfy constraint: Member must have length less than or equal to 256")
        ok = r.run("CreateKey with well-formed Tags", lambda: kms.create_key(Tags=[{"TagKey": "k", "TagValue": ""}]))
        r.check("CreateKey with well-formed Tags answers Enabled", ok is not None and ok["KeyMetadata"]["KeyState"] == "Enabled")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        r.error("CreateAlias without the alias/ prefix", "ValidationException",
                lambda: kms.create_alias(AliasName=f"noprefix-{uuid.uuid4().hex[:8]}", TargetKeyId=key_id),
                message='Alias must start with the prefix "alias/". Please see '
                        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")

    def mac_and_rsa_wording(self):
        r, kms = self.r, self.kms
        h224 = kms.create_key(KeySpec="HMAC_224", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        r.error("GenerateMac with HMAC_SHA_256 on HMAC_224", "InvalidKeyUsageException",
                lambda: kms.generate_mac(KeyId=h224, Message=b"m", MacAlgorithm="HMAC_SHA_256"),
                message="Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.")
        h256 = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        mac = kms.generate_mac(KeyId=h256, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
        r.error("VerifyMac with HMAC_SHA_512 on HMAC_256", "InvalidKeyUsageException",
                lambda: kms.verify_mac(KeyId=h256, Message=b"m", MacAlgorithm="HMAC_SHA_512", Mac=mac),
                message="Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.")
        rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
        for alg, limit in (("RSAES_OAEP_SHA_1", 214), ("RSAES_OAEP_SHA_256", 190)):
            r.error(f"Encrypt {limit + 1} bytes with {alg} under RSA_2048", "ValidationException",
                    lambda: kms.encrypt(KeyId=rsa_key, Plaintext=b"p" * (limit + 1), EncryptionAlgorithm=alg),
                    message=f"Algorithm {alg} and key spec RSA_2048 cannot encrypt data larger than {limit} bytes.")
            out = r.run(f"Encrypt {limit} bytes with {alg} under RSA_2048",
                        lambda: kms.encrypt(KeyId=rsa_key, Plaintext=b"p" * limit, EncryptionAlgorithm=alg))
            if out:
                back = r.run(f"Decrypt {alg}", lambda: kms.decrypt(KeyId=rsa_key, CiphertextBlob=out["CiphertextBlob"],
                                                                  EncryptionAlgorithm=alg))
                r.check(f"{alg} round trip at the limit", back is not None and back["Plaintext"] == b"p" * limit)
                r.error(f"Decrypt of an altered {alg} ciphertext: no message", "InvalidCiphertextException",
                        lambda: kms.decrypt(KeyId=rsa_key, CiphertextBlob=flip(out["CiphertextBlob"], 9),
                                            EncryptionAlgorithm=alg), no_message=True)

    def enum_order(self):
        """Enum lists in validation messages keep the order of the botocore model."""
        r, kms = self.r, self.kms
        model = kms.meta.service_model
        h256 = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        cases = [
            ("KeySpec", "keySpec", lambda: kms.create_key(KeySpec="HMAC_random")),
            ("KeyUsageType", "keyUsage", lambda: kms.create_key(KeySpec="HMAC_256", KeyUsage="RANDOM")),
            ("MacAlgorithmSpec", "macAlgorithm",
             lambda: kms.generate_mac(KeyId=h256, Message=b"m", MacAlgorithm="INVALID")),
            ("WrappingKeySpec", "wrappingKeySpec",
             lambda: kms.get_parameters_for_import(KeyId=h256, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                                   WrappingKeySpec="RSA_1024")),
        ]
        for shape, member, call in cases:
            try:
                call()
                r.check(f"enum order {shape}: refused", False, "succeeded")
                continue
            except ClientError as e:
                err = e.response["Error"]
            listed = enum_list(err.get("Message", ""))
            order = model.shape_for(shape).enum
            r.check(
                f"enum order {shape}: ValidationException at '{member}' in the model's order",
                err.get("Code") == "ValidationException"
                and f"at '{member}'" in err.get("Message", "")
                and listed is not None
                and set(listed) <= set(order)
                and listed == [v for v in order if v in listed],
                f"{err} vs {order}",
            )

    def raw_bodies(self):
        """What goes over the wire: no empty `message` member, and what boto3 cannot send."""
        import http.client
        import json

        def send(op, body, region="us-east-1"):
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                conn.request("POST", "/", body=json.dumps(body), headers={
                    "X-Amz-Target": f"TrentService.{op}",
                    "Content-Type": "application/x-amz-json-1.1",
                    "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/{region}/kms/aws4_request, "
                                     "SignedHeaders=host, Signature=00",
                })
                resp = conn.getresponse()
                return resp.status, json.loads(resp.read() or b"{}")
            finally:
                conn.close()

        r = self.r
        status, doc = send("Decrypt", {"CiphertextBlob": "AAAA"})
        r.check("raw: Decrypt of garbage has no message member",
                status == 400 and doc == {"__type": "InvalidCiphertextException"}, f"{status} {doc}")
        status, doc = send("CreateKey", {"Tags": [{"TagKey": "k"}]})
        r.check("raw: a Tag without TagValue is a ValidationException",
                status == 400 and doc.get("__type") == "ValidationException"
                and doc.get("message") == "1 validation error detected: Value null at 'tags.1.member.tagValue' "
                                          "failed to satisfy constraint: Member must not be null", f"{status} {doc}")
        status, doc = send("DescribeKey", {"KeyId": str(uuid.uuid4())}, region="eu-central-1")
        r.check("raw: the Authorization header's Region selects the keys",
                status == 400 and doc.get("__type") == "NotFoundException"
                and ":eu-central-1:" in doc.get("message", ""), f"{status} {doc}")


def raw_http(port, r):
    """Malformed requests get AWS JSON errors and never take the server down."""
    import http.client
    import json

    def send(method, headers, body):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            conn.request(method, "/", body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    target = {"X-Amz-Target": "TrentService.DescribeKey", "Content-Type": "application/x-amz-json-1.1"}
    cases = [
        ("GET", "GET /", {}, None),
        ("no target", "POST", {"Content-Type": "application/x-amz-json-1.1"}, b"{}"),
        ("unknown target", "POST", dict(target, **{"X-Amz-Target": "TrentService.Frobnicate"}), b"{}"),
        ("bad JSON", "POST", target, b"{\"KeyId\": "),
        ("JSON array", "POST", target, b"[1,2]"),
        ("wrong member type", "POST", target, b"{\"KeyId\": 7}"),
        ("oversized body", "POST", target, b"{\"KeyId\":\"" + b"a" * (1 << 21) + b"\"}"),
        ("bad base64", "POST", dict(target, **{"X-Amz-Target": "TrentService.ImportKeyMaterial"}),
         b"{\"KeyId\":\"x\",\"ImportToken\":\"!!\",\"EncryptedKeyMaterial\":\"AA==\"}"),
    ]
    for name, method, headers, body in cases:
        if method == "GET /":
            method = "GET"
        try:
            status, ctype, doc = send(method, headers, body)
            r.check(
                f"raw HTTP {name}: JSON error",
                400 <= status < 500 and ctype == "application/x-amz-json-1.1" and "__type" in doc,
                f"{status} {ctype} {doc}",
            )
        except Exception as e:  # noqa: BLE001
            r.check(f"raw HTTP {name}: JSON error", False, repr(e))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="path of the built example server")
    parser.add_argument("--specs", nargs="*", default=IMPORTABLE_SPECS, help="key specs to run")
    args = parser.parse_args()

    started = time.monotonic()
    r = Results()
    log = tempfile.NamedTemporaryFile(prefix="kms-e2e-server-", suffix=".log", delete=False)
    proc, port = start_server(args.server, log)
    print(f"server on 127.0.0.1:{port}, log {log.name}", flush=True)
    try:
        kms = boto3.client(
            "kms",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=120),
        )
        e2e = E2E(kms, r)
        keys = {}
        for spec in args.specs:
            t0 = time.monotonic()
            keys[spec] = e2e.flow(spec)
            print(f"{spec}: {len(valid_pairs(spec))} pairs in {time.monotonic() - t0:.1f} s", flush=True)
        if {"SYMMETRIC_DEFAULT", "HMAC_256", "ECC_NIST_P521"} <= keys.keys():
            e2e.errors(keys["SYMMETRIC_DEFAULT"][0], keys["SYMMETRIC_DEFAULT"][1], keys["HMAC_256"][0], keys["ECC_NIST_P521"][0])
        e2e.rotation()
        e2e.listing([m["KeyId"] for m, _, _ in keys.values()])
        west = boto3.client(
            "kms",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-west-2",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"total_max_attempts": 1}, read_timeout=120),
        )
        AwsAnswers(kms, west, port, r).run_all()
        raw_http(port, r)
        r.check("server still running", proc.poll() is None, f"exit {proc.returncode}")
    except Exception as e:  # noqa: BLE001: report, count, and still stop the server
        r.check("test driver", False, repr(e))
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=10)
                r.check("server stops cleanly on SIGTERM", code == 0, f"exit {code}")
            except subprocess.TimeoutExpired:
                proc.kill()
                r.check("server stops cleanly on SIGTERM", False, "still running after 10 s")
        else:
            r.check("server alive at the end", False, f"exit {proc.returncode}")
        log.close()
    with open(log.name, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    r.check("server logged one line per request", sum(1 for l in lines if " request " in l and "operation=" in l) > 100)
    print(f"wall time {time.monotonic() - started:.1f} s", flush=True)
    if r.failed:
        print("server log tail:\n" + "\n".join(lines[-20:]))
    print(f"{r.passed} passed, {r.failed} failed")
    return 1 if r.failed else 0


if __name__ == "__main__":
    sys.exit(main())
