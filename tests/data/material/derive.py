"""Derives byte-level fixture variants from the keys generate.sh made with OpenSSL.

Standard library only. Each output is named for what is wrong with it (or, for the valid `_params`
keys, for the optional field it adds); README.md lists them.
"""


def read(name):
    with open(name, "rb") as f:
        return f.read()


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def enc_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag, content):
    return bytes([tag]) + enc_len(len(content)) + content


def parse(data):
    """Splits DER into a list of (tag, content) pairs (one level, definite lengths only)."""
    out = []
    i = 0
    while i < len(data):
        tag = data[i]
        first = data[i + 1]
        i += 2
        if first < 0x80:
            length = first
        else:
            k = first & 0x7F
            length = int.from_bytes(data[i : i + k], "big")
            i += k
        out.append((tag, data[i : i + length]))
        i += length
    return out


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def unseq(der):
    [(tag, content)] = parse(der)
    assert tag == 0x30
    return parse(content)


def rebuild(items):
    return b"".join(tlv(t, c) for t, c in items)


OID_EC_PUBLIC_KEY = bytes.fromhex("06072a8648ce3d0201")
OID_SECP256K1 = bytes.fromhex("06052b8104000a")
P256_ORDER = bytes.fromhex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")


def pkcs8_ec(curve_oid_tlv, sec1, version=0, public_key=None):
    parts = [
        tlv(0x02, bytes([version])),
        seq(OID_EC_PUBLIC_KEY, curve_oid_tlv),
        tlv(0x04, sec1),
    ]
    if public_key is not None:
        parts.append(tlv(0x81, b"\x00" + public_key))
    return seq(*parts)


def ec_parts(pkcs8):
    """(version, algorithm-identifier items, ECPrivateKey items) of a PKCS#8 EC key."""
    items = unseq(pkcs8)
    alg = parse(items[1][1])
    sec1 = unseq(items[2][1])
    return items, alg, sec1


def sec1_public_point(sec1_items):
    for tag, content in sec1_items:
        if tag == 0xA1:
            [(bit_tag, bits)] = parse(content)
            assert bit_tag == 0x03 and bits[0] == 0
            return bits[1:]
    raise ValueError("no public key")


def sec1(scalar, params=None, point=None):
    parts = [tlv(0x02, b"\x01"), tlv(0x04, scalar)]
    if params is not None:
        parts.append(tlv(0xA0, params))
    if point is not None:
        parts.append(tlv(0xA1, tlv(0x03, b"\x00" + point)))
    return seq(*parts)


# Valid keys carrying the optional fields OpenSSL's PKCS#8 writer leaves out.
for name in ["p256", "p384", "p521", "k256"]:
    _, alg, _ = ec_parts(read(f"ec_{name}.der"))
    curve = tlv(alg[1][0], alg[1][1])
    write(f"ec_{name}_params.der", pkcs8_ec(curve, read(f"ec_{name}.sec1.der")))

items, alg, sec1_items = ec_parts(read("ec_p256.der"))
p256_oid = tlv(alg[1][0], alg[1][1])
scalar = sec1_items[1][1]
point = sec1_public_point(sec1_items)
other_point = sec1_public_point(ec_parts(read("ec_p256_other.der"))[2])

# PKCS#8 v2 (RFC 5958 OneAsymmetricKey) with the public key in its own [1] field: not RFC 5208.
write("ec_p256_v2.der", pkcs8_ec(p256_oid, sec1(scalar), version=1, public_key=point))

# ECPrivateKey faults.
write("ec_p256_params_mismatch.der", pkcs8_ec(p256_oid, sec1(scalar, params=OID_SECP256K1, point=point)))
write("ec_p256_wrong_pub.der", pkcs8_ec(p256_oid, sec1(scalar, point=other_point)))
hybrid_point = sec1_public_point(ec_parts(read("ec_p256_hybrid.der"))[2])
flipped = bytes([hybrid_point[0] ^ 0x01]) + hybrid_point[1:]
write("ec_p256_hybrid_bad_parity.der", pkcs8_ec(p256_oid, sec1(scalar, point=flipped)))
write("ec_p256_scalar_zero.der", pkcs8_ec(p256_oid, sec1(bytes(32))))
write("ec_p256_scalar_order.der", pkcs8_ec(p256_oid, sec1(P256_ORDER)))
write("ec_p256_scalar_short.der", pkcs8_ec(p256_oid, sec1(scalar[1:])))
write("ec_p256_no_curve.der", seq(tlv(0x02, b"\x00"), seq(OID_EC_PUBLIC_KEY), tlv(0x04, sec1(scalar))))
write("ec_p256_sec1_version0.der", pkcs8_ec(p256_oid, seq(tlv(0x02, b"\x00"), tlv(0x04, scalar))))

# BER encodings of a valid key that are not DER.
p256 = read("ec_p256.der")
assert p256[:3] == b"\x30\x81\x87"
write("ber_p256_long_length.der", b"\x30\x82\x00\x87" + p256[3:])
write("ber_p256_indefinite_length.der", b"\x30\x80" + p256[3:] + b"\x00\x00")
octet = rebuild(items[:2]) + b"\x04\x81" + bytes([len(items[2][1])]) + items[2][1]
write("ber_p256_inner_long_length.der", tlv(0x30, octet))
key = items[2][1]
constructed = tlv(0x24, tlv(0x04, key[:40]) + tlv(0x04, key[40:]))
write("ber_p256_constructed_octet_string.der", tlv(0x30, rebuild(items[:2]) + constructed))
rsa = read("rsa_2048.der")
assert rsa[:2] == b"\x30\x82"
write("ber_rsa_2048_long_length.der", b"\x30\x83\x00" + rsa[2:])

# Truncation and trailing bytes.
write("truncated_p256.der", p256[:-1])
write("truncated_rsa_2048.der", rsa[:-100])
write("trailing_p256.der", p256 + b"\x00\x00")
write("trailing_rsa_2048.der", rsa + b"\x00")

# RSA faults.
rsa_items = unseq(rsa)
rsa_key = unseq(rsa_items[2][1])
names = ["version", "n", "e", "d", "p", "q", "dp", "dq", "qinv"]


def rsa_with(field, value):
    key_items = list(rsa_key)
    i = names.index(field)
    key_items[i] = (0x02, value)
    inner = tlv(0x30, rebuild(key_items))
    return tlv(0x30, rebuild(rsa_items[:2]) + tlv(0x04, inner))


def flip_low_bit(value):
    return value[:-1] + bytes([value[-1] ^ 0x01])


write("rsa_2048_bad_dp.der", rsa_with("dp", flip_low_bit(rsa_key[names.index("dp")][1])))
write("rsa_2048_bad_qinv.der", rsa_with("qinv", flip_low_bit(rsa_key[names.index("qinv")][1])))
write("rsa_2048_bad_d.der", rsa_with("d", flip_low_bit(rsa_key[names.index("d")][1])))
write("rsa_2048_version1.der", rsa_with("version", b"\x01"))
rsa_alg = parse(rsa_items[1][1])
no_null = tlv(0x30, tlv(rsa_alg[0][0], rsa_alg[0][1]))
write("rsa_2048_no_null.der", tlv(0x30, rebuild(rsa_items[:1]) + no_null + rebuild(rsa_items[2:])))
