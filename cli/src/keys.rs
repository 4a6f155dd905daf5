//! Key files in the forms people have: DER or PEM; SubjectPublicKeyInfo or PKCS#1 public keys
//! (and the base64 line `aws kms get-parameters-for-import --output text` prints); PKCS#8,
//! PKCS#1 (RSA) or SEC1 (EC) private keys. Everything is brought to the two forms the library
//! takes, SPKI DER and PKCS#8 DER. Encrypted private keys are refused.
//!
//! Only the outer structure is looked at here (which kind of key a file holds); the library's
//! own parsers and validation check the contents. Private bytes live in zeroizing buffers.

use base64ct::{Base64, Encoding};
use zeroize::Zeroizing;

use crate::common::Failure;
use kms_import::KeySpec;

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const CONTEXT_0: u8 = 0xa0;

/// DER of the OID 1.2.840.113549.1.1.1 (rsaEncryption), tag and length included.
const OID_RSA_ENCRYPTION: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];
/// DER NULL: the parameters of rsaEncryption.
const NULL: &[u8] = &[0x05, 0x00];
/// DER of the OID 1.2.840.10045.2.1 (id-ecPublicKey).
const OID_EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const OID_P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
const OID_SECP256K1: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x0a];

/// A file holding an encrypted private key: refused, with how to decrypt it.
fn encrypted(what: &str) -> Failure {
    Failure(
        "ValidationException",
        format!(
            "{what} is an encrypted private key; this tool takes unencrypted keys only \
             (decrypt it first, e.g. `openssl pkey -in KEY -out key.der -outform DER`)"
        ),
    )
}

fn invalid(message: String) -> Failure {
    Failure("ValidationException", message)
}

/// One TLV of DER: its tag, its content and what follows it.
struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    rest: &'a [u8],
}

/// Reads one TLV (single-byte tags, definite lengths of up to four bytes). `None` for anything
/// else; that is enough to tell key formats apart, and the library's parsers decide the rest.
fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let (&tag, after_tag) = input.split_first()?;
    let (&first, mut after_len) = after_tag.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let (bytes, rest) = (after_len.get(..n)?, after_len.get(n..)?);
        after_len = rest;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    Some(Tlv {
        tag,
        content: after_len.get(..len)?,
        rest: after_len.get(len..)?,
    })
}

/// The tags of the elements of a DER SEQUENCE that spans the whole input, or `None` when the
/// input is not one.
fn sequence_tags(der: &[u8]) -> Option<Vec<u8>> {
    let outer = tlv(der)?;
    if outer.tag != SEQUENCE || !outer.rest.is_empty() {
        return None;
    }
    let mut tags = Vec::new();
    let mut rest = outer.content;
    while !rest.is_empty() {
        let t = tlv(rest)?;
        tags.push(t.tag);
        rest = t.rest;
    }
    Some(tags)
}

/// What the outer structure of a DER key says it is.
#[derive(Debug, PartialEq, Eq)]
enum DerKind {
    /// SubjectPublicKeyInfo: SEQUENCE { AlgorithmIdentifier, BIT STRING }.
    Spki,
    /// PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }.
    Pkcs1Public,
    /// PKCS#8 PrivateKeyInfo / OneAsymmetricKey: SEQUENCE { INTEGER, AlgorithmIdentifier, OCTET STRING, .. }.
    Pkcs8,
    /// PKCS#8 EncryptedPrivateKeyInfo: SEQUENCE { AlgorithmIdentifier, OCTET STRING }.
    EncryptedPkcs8,
    /// PKCS#1 RSAPrivateKey: SEQUENCE { INTEGER version, INTEGER n, INTEGER e, .. }.
    Pkcs1Private,
    /// SEC1 ECPrivateKey: SEQUENCE { INTEGER 1, OCTET STRING, `[0]`?, `[1]`? }.
    Sec1,
    Unknown,
}

fn der_kind(der: &[u8]) -> DerKind {
    let Some(tags) = sequence_tags(der) else {
        return DerKind::Unknown;
    };
    match tags.as_slice() {
        [SEQUENCE, BIT_STRING] => DerKind::Spki,
        [SEQUENCE, OCTET_STRING] => DerKind::EncryptedPkcs8,
        [INTEGER, INTEGER] => DerKind::Pkcs1Public,
        [INTEGER, SEQUENCE, OCTET_STRING, ..] => DerKind::Pkcs8,
        [INTEGER, INTEGER, INTEGER, ..] => DerKind::Pkcs1Private,
        [INTEGER, OCTET_STRING, ..] => DerKind::Sec1,
        _ => DerKind::Unknown,
    }
}

/// Appends a DER length.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// A DER TLV built from parts, in one allocation of the exact size (no stray copies of a
/// private key are left behind by a growing buffer).
fn build(tag: u8, parts: &[&[u8]]) -> Zeroizing<Vec<u8>> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Zeroizing::new(Vec::with_capacity(len + 6));
    out.push(tag);
    push_len(&mut out, len);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// SPKI DER around a PKCS#1 RSAPublicKey.
fn spki_from_pkcs1(pkcs1: &[u8]) -> Vec<u8> {
    let alg = build(SEQUENCE, &[OID_RSA_ENCRYPTION, NULL]);
    let bits = build(BIT_STRING, &[&[0], pkcs1]);
    build(SEQUENCE, &[&alg, &bits]).to_vec()
}

/// PKCS#8 DER around a PKCS#1 RSAPrivateKey.
fn pkcs8_from_pkcs1(pkcs1: &[u8]) -> Zeroizing<Vec<u8>> {
    let alg = build(SEQUENCE, &[OID_RSA_ENCRYPTION, NULL]);
    let key = build(OCTET_STRING, &[pkcs1]);
    build(SEQUENCE, &[&[INTEGER, 1, 0], &alg, &key])
}

fn curve_oid(spec: KeySpec) -> Option<&'static [u8]> {
    match spec {
        KeySpec::EccNistP256 => Some(OID_P256),
        KeySpec::EccNistP384 => Some(OID_P384),
        KeySpec::EccNistP521 => Some(OID_P521),
        KeySpec::EccSecgP256k1 => Some(OID_SECP256K1),
        _ => None,
    }
}

/// PKCS#8 DER around a SEC1 ECPrivateKey for `spec`'s curve, as `openssl pkcs8 -topk8` writes
/// it: the curve named in the AlgorithmIdentifier, and the inner key without its own copy of
/// the parameters. A SEC1 key naming another curve is refused.
fn pkcs8_from_sec1(sec1: &[u8], spec: KeySpec) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let wrong = || {
        Failure(
            "IncorrectKeyMaterialException",
            format!("the EC private key is not a valid SEC1 key on the curve of {spec}"),
        )
    };
    let curve = curve_oid(spec).ok_or_else(wrong)?;
    let outer = tlv(sec1).ok_or_else(wrong)?;
    let mut inner: Vec<&[u8]> = Vec::new();
    let mut rest = outer.content;
    while !rest.is_empty() {
        let t = tlv(rest).ok_or_else(wrong)?;
        let whole = &rest[..rest.len() - t.rest.len()];
        if t.tag == CONTEXT_0 {
            let named = tlv(t.content).ok_or_else(wrong)?;
            if named.tag != OID || !named.rest.is_empty() || t.content != curve {
                return Err(wrong());
            }
        } else {
            inner.push(whole);
        }
        rest = t.rest;
    }
    let ec = build(SEQUENCE, &inner);
    let alg = build(SEQUENCE, &[OID_EC_PUBLIC_KEY, curve]);
    let key = build(OCTET_STRING, &[&ec]);
    Ok(build(SEQUENCE, &[&[INTEGER, 1, 0], &alg, &key]))
}

/// One PEM block: its label, whether it carried RFC 1421 headers that say it is encrypted, and
/// its decoded content.
struct PemBlock {
    label: String,
    encrypted: bool,
    der: Result<Zeroizing<Vec<u8>>, ()>,
}

/// Whether the bytes look like PEM text (a `-----BEGIN ` line somewhere).
fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every PEM block in `text`, in order. Text outside the blocks (comments `openssl` writes,
/// "Bag Attributes") is ignored.
fn pem_blocks(text: &[u8]) -> Vec<PemBlock> {
    let text = String::from_utf8_lossy(text);
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        // Sized once: a growing buffer would leave copies of a private key's text behind.
        let mut body = Zeroizing::new(String::with_capacity(text.len()));
        let mut encrypted = false;
        let mut closed = false;
        for line in lines.by_ref() {
            let line = line.trim();
            if line == end {
                closed = true;
                break;
            }
            if line.contains(':') {
                // RFC 1421 headers; OpenSSL's legacy encryption writes `Proc-Type: 4,ENCRYPTED`.
                encrypted |= line.starts_with("Proc-Type:") && line.contains("ENCRYPTED");
                encrypted |= line.starts_with("DEK-Info:");
                continue;
            }
            body.push_str(line);
        }
        let der = if closed {
            Base64::decode_vec(&body)
                .map(Zeroizing::new)
                .map_err(|_| ())
        } else {
            Err(())
        };
        blocks.push(PemBlock {
            label: label.to_owned(),
            encrypted,
            der,
        });
    }
    blocks
}

/// The base64 text of a whole file (whitespace removed), decoded; `None` when it is not base64.
fn base64_file(bytes: &[u8]) -> Option<Vec<u8>> {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if text.is_empty() {
        return None;
    }
    Base64::decode_vec(&text).ok()
}

/// A wrapping public key file as SPKI DER: DER or PEM, SPKI or PKCS#1, or the base64 line the
/// AWS CLI prints for GetParametersForImport's `PublicKey`.
pub fn public_key_spki(bytes: &[u8], what: &str) -> Result<Vec<u8>, Failure> {
    let der: Vec<u8> = if is_pem(bytes) {
        let blocks = pem_blocks(bytes);
        let block = blocks
            .iter()
            .find(|b| b.label.ends_with("PUBLIC KEY") || b.label.contains("PRIVATE KEY"))
            .ok_or_else(|| invalid(format!("{what}: no PEM PUBLIC KEY block in the file")))?;
        if block.label.contains("PRIVATE KEY") {
            return Err(invalid(format!(
                "{what} holds a private key; give the wrapping public key"
            )));
        }
        let der = block
            .der
            .as_ref()
            .map_err(|()| invalid(format!("{what}: the PEM {} block is damaged", block.label)))?;
        der.to_vec()
    } else if der_kind(bytes) != DerKind::Unknown {
        bytes.to_vec()
    } else {
        base64_file(bytes).ok_or_else(|| {
            invalid(format!(
                "{what} is neither a DER nor a PEM public key, nor the base64 text the AWS CLI prints"
            ))
        })?
    };
    match der_kind(&der) {
        DerKind::Spki => Ok(der),
        DerKind::Pkcs1Public => Ok(spki_from_pkcs1(&der)),
        DerKind::Pkcs8 | DerKind::Pkcs1Private | DerKind::Sec1 | DerKind::EncryptedPkcs8 => {
            Err(invalid(format!(
                "{what} holds a private key; give the wrapping public key"
            )))
        }
        DerKind::Unknown => Err(invalid(format!(
            "{what} is not an RSA public key (SubjectPublicKeyInfo or PKCS#1)"
        ))),
    }
}

/// A private key as PKCS#8 DER, from DER or PEM; PKCS#8, PKCS#1 (RSA) or SEC1 (EC). `spec`
/// names the key spec the key is for: SEC1 keys need it (their curve goes into the PKCS#8
/// header) and it says which conversions apply; `None` means an RSA wrapping key.
pub fn private_key_pkcs8(
    bytes: &[u8],
    spec: Option<KeySpec>,
    what: &str,
) -> Result<Zeroizing<Vec<u8>>, Failure> {
    let der: Zeroizing<Vec<u8>> = if is_pem(bytes) {
        let blocks = pem_blocks(bytes);
        let block = blocks
            .into_iter()
            .find(|b| b.label.contains("PRIVATE KEY") || b.label.ends_with("PUBLIC KEY"))
            .ok_or_else(|| invalid(format!("{what}: no PEM PRIVATE KEY block in the file")))?;
        if block.encrypted || block.label.starts_with("ENCRYPTED") {
            return Err(encrypted(what));
        }
        if block.label.ends_with("PUBLIC KEY") {
            return Err(invalid(format!(
                "{what} holds a public key; a private key is needed"
            )));
        }
        block
            .der
            .map_err(|()| invalid(format!("{what}: the PEM {} block is damaged", block.label)))?
    } else {
        Zeroizing::new(bytes.to_vec())
    };
    let is_rsa = spec.is_none_or(KeySpec::is_rsa);
    let is_ec = spec.is_some_and(KeySpec::is_ecc);
    match (der_kind(&der), spec) {
        (DerKind::EncryptedPkcs8, _) => Err(encrypted(what)),
        (DerKind::Spki | DerKind::Pkcs1Public, _) => Err(invalid(format!(
            "{what} holds a public key; a private key is needed"
        ))),
        (DerKind::Pkcs1Private, _) if is_rsa => Ok(pkcs8_from_pkcs1(&der)),
        (DerKind::Sec1, Some(spec)) if is_ec => pkcs8_from_sec1(&der, spec),
        (DerKind::Pkcs1Private, Some(spec)) => Err(Failure(
            "IncorrectKeyMaterialException",
            format!("{what} is an RSA private key (PKCS#1); the key spec is {spec}"),
        )),
        (DerKind::Sec1, _) => Err(Failure(
            "IncorrectKeyMaterialException",
            format!(
                "{what} is an EC private key (SEC1); the key spec is {}",
                spec.map_or("an RSA wrapping key", KeySpec::as_str)
            ),
        )),
        // PKCS#8, or something the library's own parser will refuse with its own message.
        _ => Ok(der),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_through_the_reader() {
        for len in [0usize, 1, 127, 128, 255, 256, 65535, 65536] {
            let content = vec![7u8; len];
            let der = build(OCTET_STRING, &[&content]);
            let t = tlv(&der).unwrap();
            assert_eq!(
                (t.tag, t.content.len(), t.rest.len()),
                (OCTET_STRING, len, 0)
            );
        }
    }

    #[test]
    fn reader_refuses_truncated_and_indefinite_lengths() {
        assert!(tlv(&[]).is_none());
        assert!(tlv(&[0x30]).is_none());
        assert!(tlv(&[0x30, 0x80, 0x00, 0x00]).is_none());
        assert!(tlv(&[0x04, 0x05, 1, 2]).is_none());
        assert!(tlv(&[0x04, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert_eq!(der_kind(b"junk!"), DerKind::Unknown);
        // Trailing bytes after the outer SEQUENCE: not a key.
        assert_eq!(der_kind(&[0x30, 0x00, 0x00]), DerKind::Unknown);
    }

    #[test]
    fn pem_headers_mark_legacy_encryption() {
        let pem = b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        let blocks = pem_blocks(pem);
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].encrypted);
        let e = private_key_pkcs8(pem, None, "key").err().unwrap();
        assert!(e.1.contains("encrypted"), "{}", e.1);
    }

    #[test]
    fn unterminated_pem_is_damaged() {
        let e = public_key_spki(b"-----BEGIN PUBLIC KEY-----\nAAAA\n", "key")
            .err()
            .unwrap();
        assert!(e.1.contains("damaged"), "{}", e.1);
    }
}
