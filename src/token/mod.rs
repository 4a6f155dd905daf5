//! Import tokens: the stateless, sealed half of GetParametersForImport's answer.
//!
//! A token carries everything ImportKeyMaterial needs to know about the parameters it was issued
//! with (the KMS key it is bound to, the wrapping algorithm and key spec, the 24-hour validity and
//! the wrapping private key), sealed with AES-256-GCM-SIV under a service *sealing key*. Because
//! the token holds its own state, any service instance that has the same [`SealingKeys`] opens any
//! token; nothing is stored between the two calls except, after a successful import, the token's
//! id in the key record's [`UsedTokens`] ledger.
//!
//! # Token format (version 1)
//!
//! All integers are big-endian.
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 8 | [`SealingKeyId`] of the sealing key |
//! | 9 | 12 | nonce, drawn from the caller's RNG for every token |
//! | 21 | *n* | AES-256-GCM-SIV ciphertext of the payload (same length as the payload) |
//! | 21 + *n* | 16 | AES-256-GCM-SIV tag |
//!
//! The fixed overhead is [`TOKEN_OVERHEAD`] (37) bytes, and no token is longer than
//! [`MAX_TOKEN_LEN`] (6144, the length AWS allows for `ImportToken`).
//!
//! The associated data is the ASCII label `kms-import/import-token`, a zero byte, the format
//! version, the sealing key id and the UTF-8 key ARN the token is bound to. The ARN is not in the
//! token's clear part: the opener supplies the ARN it expects, so a token presented for another
//! key fails authentication.
//!
//! The payload (plaintext) is:
//!
//! | length | field |
//! |---|---|
//! | 1 | payload version, `0x02` |
//! | 16 | [`TokenId`], random |
//! | 2 | length *a* of the key ARN, 1..=2048 |
//! | *a* | key ARN, UTF-8 |
//! | 1 | wrapping algorithm code (table below) |
//! | 1 | wrapping key spec code (table below) |
//! | 8 | issued at, signed Unix seconds |
//! | 8 | parameters valid to, signed Unix seconds, strictly after issued at |
//! | 2 | length *k* of the wrapping private key, at least 1 |
//! | *k* | wrapping private key encoding, opaque here (the wrapping layer defines it) |
//!
//! Payload version `0x02` carries the key in the wrapping layer's tagged encoding (see
//! [`WrappingPrivateKey::to_token_encoding`](crate::wrap::WrappingPrivateKey::to_token_encoding)).
//! Version `0x01` payloads, which carried bare PKCS#8 DER, are still opened: their key field is
//! handed on with the PKCS#8 tag (`0x01`) put in front.
//!
//! Nothing may follow the last field. Algorithm codes: 1 `RSAES_PKCS1_V1_5`,
//! 2 `RSAES_OAEP_SHA_1`, 3 `RSAES_OAEP_SHA_256`, 4 `RSA_AES_KEY_WRAP_SHA_1`,
//! 5 `RSA_AES_KEY_WRAP_SHA_256`, 6 `SM2PKE`. Wrapping key spec codes: 1 `RSA_2048`,
//! 2 `RSA_3072`, 3 `RSA_4096`, 4 `SM2`. The codes are part of the format and never change
//! meaning.
//!
//! # Opening
//!
//! [`SealingKeys::open`] rejects, with [`Error::InvalidImportToken`] and before any
//! cryptography, input outside the possible lengths, an unknown version and an unknown sealing key
//! id. It then authenticates and decrypts; any failure there, a payload that does not parse and a
//! payload bound to another ARN are [`Error::InvalidImportToken`] too, and so is an authentic
//! token issued more than [`MAX_CLOCK_SKEW`] after `now` (its issuer's clock runs ahead). Only an
//! authentic token whose `parameters_valid_to` is at or before `now` is
//! [`Error::ExpiredImportToken`], so the expiry answer never tells a forger anything.

use std::fmt;

use aes_gcm_siv::aead::{AeadInOut, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Key, Nonce, Tag};
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::keyring::{KeyRing, RingKey};
use crate::names::{WrappingAlgorithm, WrappingKeySpec};

mod used;

pub use used::UsedTokens;

/// The only token format version this crate writes and reads.
pub(crate) const TOKEN_VERSION: u8 = 0x01;
/// The longest `ImportToken` AWS accepts, and so the longest this crate writes or opens.
pub(crate) const MAX_TOKEN_LEN: usize = 6144;
/// Length of a [`SealingKeyId`].
pub(crate) const SEALING_KEY_ID_LEN: usize = 8;
/// Length of the AEAD nonce.
pub(crate) const NONCE_LEN: usize = 12;
/// Length of the AEAD tag.
pub(crate) const TAG_LEN: usize = 16;
/// Bytes every token has besides its sealed payload: version, key id, nonce and tag.
pub(crate) const TOKEN_OVERHEAD: usize = 1 + SEALING_KEY_ID_LEN + NONCE_LEN + TAG_LEN;
/// How long the public key and token of one GetParametersForImport answer stay valid.
pub const PARAMETERS_VALIDITY: Duration = Duration::hours(24);
/// How far in the future a token's issue time may lie when it is opened: the clock difference
/// tolerated between the instance that issued a token and the one that opens it. A token
/// issued further ahead came from an instance whose clock runs fast, and would stay valid
/// longer than [`PARAMETERS_VALIDITY`] here; it is refused as [`Error::InvalidImportToken`].
/// The used-token ledger keeps each entry this long after its token expires.
pub const MAX_CLOCK_SKEW: Duration = Duration::minutes(5);
/// The longest key ARN a token carries (AWS bounds `KeyId` to 2048 characters).
pub(crate) const MAX_KEY_ARN_LEN: usize = 2048;

const PAYLOAD_VERSION: u8 = 0x02;
/// The previous payload version, still opened: its key field is bare PKCS#8 DER.
const PAYLOAD_VERSION_PKCS8: u8 = 0x01;
/// The wrapping layer's tag for a PKCS#8 key encoding, put in front of a version-1 key field.
const KEY_TAG_PKCS8: u8 = 0x01;
const TOKEN_ID_LEN: usize = 16;
const AAD_LABEL: &[u8] = b"kms-import/import-token\0";
/// Payload bytes besides the ARN and the private key.
const PAYLOAD_FIXED_LEN: usize = 1 + TOKEN_ID_LEN + 2 + 1 + 1 + 8 + 8 + 2;
/// The shortest payload: a one-byte ARN and a one-byte private key.
const MIN_PAYLOAD_LEN: usize = PAYLOAD_FIXED_LEN + 2;

/// The short public name of a sealing key, written in the clear at the front of every token so
/// that the opener picks the key without trying each one.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SealingKeyId([u8; SEALING_KEY_ID_LEN]);

impl SealingKeyId {
    /// Wraps raw id bytes (as stored in an embedder's configuration).
    pub fn from_bytes(bytes: [u8; SEALING_KEY_ID_LEN]) -> SealingKeyId {
        SealingKeyId(bytes)
    }

    /// The raw id bytes.
    pub fn as_bytes(&self) -> &[u8; SEALING_KEY_ID_LEN] {
        &self.0
    }

    fn ct_eq(&self, other: &[u8]) -> bool {
        self.0[..].ct_eq(other).into()
    }
}

impl fmt::Display for SealingKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for SealingKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SealingKeyId({self})")
    }
}

/// An AES-256 key that seals import tokens, with its [`SealingKeyId`].
///
/// The key bytes live in one heap allocation that moves of the key never copy, are zeroized on
/// drop and never appear in `Debug`.
#[derive(Clone)]
pub struct SealingKey {
    id: SealingKeyId,
    key: Box<Zeroizing<[u8; 32]>>,
}

// The key bytes sit in a `Zeroizing` buffer.
impl ZeroizeOnDrop for SealingKey {}

impl Zeroize for SealingKey {
    fn zeroize(&mut self) {
        self.key.zeroize();
    }
}

impl SealingKey {
    /// Draws a fresh random id and key from `rng`.
    pub fn generate(rng: &mut dyn CryptoRng) -> SealingKey {
        let mut id = [0u8; SEALING_KEY_ID_LEN];
        rng.fill_bytes(&mut id);
        let mut key = SealingKey {
            id: SealingKeyId(id),
            key: Box::new(Zeroizing::new([0u8; 32])),
        };
        rng.fill_bytes(&mut key.key[..]);
        key
    }

    /// Rebuilds a key from its stored id and 32 key bytes. The caller should zeroize its copy.
    pub fn from_bytes(id: SealingKeyId, key: [u8; 32]) -> SealingKey {
        let mut boxed = Box::new(Zeroizing::new([0u8; 32]));
        boxed.copy_from_slice(&key);
        SealingKey { id, key: boxed }
    }

    /// The key's public id.
    pub fn id(&self) -> SealingKeyId {
        self.id
    }

    /// The secret key bytes, for the embedder to store in its (protected) configuration.
    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.key
    }

    fn cipher(&self) -> Aes256GcmSiv {
        let key: &Key<Aes256GcmSiv> = (&**self.key).into();
        Aes256GcmSiv::new(key)
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &self.id)
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

/// The set of sealing keys a service holds: the `current` key seals new tokens; it and up to
/// `max_previous` earlier keys open them.
///
/// Embedders keep the set in configuration and give every instance the same set, so any instance
/// opens any token. To rotate, [`SealingKeys::rotate`] a new key in at least
/// [`PARAMETERS_VALIDITY`] before the oldest kept key would be dropped, so no token that can
/// still be used is sealed under a key that has left the set.
#[derive(Clone)]
pub struct SealingKeys {
    ring: KeyRing<SealingKey>,
}

impl RingKey for SealingKey {
    type Id = SealingKeyId;
    const SET: &'static str = "sealing";
    const SET_TITLE: &'static str = "Sealing";
    const ID_NAME: &'static str = "id";

    fn ring_id(&self) -> SealingKeyId {
        self.id
    }

    fn ring_id_matches(&self, id: &[u8]) -> bool {
        self.id.ct_eq(id)
    }
}

impl SealingKeys {
    /// How many previous keys a set keeps unless told otherwise.
    pub const DEFAULT_MAX_PREVIOUS: usize = 2;

    /// A set holding only `current`, keeping up to [`SealingKeys::DEFAULT_MAX_PREVIOUS`] previous
    /// keys after rotations.
    pub fn new(current: SealingKey) -> SealingKeys {
        SealingKeys {
            ring: KeyRing::new(current, Self::DEFAULT_MAX_PREVIOUS),
        }
    }

    /// Rebuilds a set from configuration: `previous` is newest first.
    ///
    /// Fails with [`Error::Validation`] when `previous` holds more than `max_previous` keys or
    /// two keys share an id (a token's id must name exactly one key).
    pub fn with_previous(
        current: SealingKey,
        previous: Vec<SealingKey>,
        max_previous: usize,
    ) -> Result<SealingKeys, Error> {
        Ok(SealingKeys {
            ring: KeyRing::with_previous(current, previous, max_previous)?,
        })
    }

    /// Makes `new_current` the sealing key; the old current key becomes the newest
    /// previous key and the oldest previous key beyond the limit is dropped (tokens
    /// sealed under it stop opening).
    ///
    /// Fails with [`Error::Validation`], leaving the set unchanged, when `new_current`'s id
    /// is already in the set.
    pub fn rotate(&mut self, new_current: SealingKey) -> Result<(), Error> {
        self.ring.rotate(new_current)
    }

    /// The key that seals new tokens.
    pub fn current(&self) -> &SealingKey {
        self.ring.current()
    }

    /// The earlier keys that still open tokens, newest first.
    pub fn previous(&self) -> &[SealingKey] {
        self.ring.previous()
    }

    /// How many previous keys the set keeps.
    pub fn max_previous(&self) -> usize {
        self.ring.max_previous()
    }

    /// Seals `claims` under the current key with a fresh nonce from `rng`.
    ///
    /// GetParametersForImport seals every token it issues through here; outside it, the only
    /// claims a caller holds are ones [`SealingKeys::open`] returned, which this re-seals (under
    /// the current key, with a new nonce). Fails with [`Error::Internal`] only if the claims
    /// cannot be encoded (an ARN or private key outside the format's bounds, or a token longer
    /// than 6144 bytes); claims of any supported wrapping key always fit.
    pub fn seal(
        &self,
        claims: &TokenClaims,
        rng: &mut dyn CryptoRng,
    ) -> Result<ImportToken, Error> {
        let mut payload = encode_payload(claims)?;
        let token_len = TOKEN_OVERHEAD + payload.len();
        if token_len > MAX_TOKEN_LEN {
            return Err(Error::Internal);
        }
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let key = self.ring.current();
        let aad = associated_data(&key.id, &claims.key_arn);
        let tag = key
            .cipher()
            .encrypt_inout_detached(&Nonce::from(nonce), &aad, payload.as_mut_slice().into())
            .map_err(|_| Error::Internal)?;

        let mut token = Vec::with_capacity(token_len);
        token.push(TOKEN_VERSION);
        token.extend_from_slice(&key.id.0);
        token.extend_from_slice(&nonce);
        token.extend_from_slice(&payload);
        token.extend_from_slice(&tag);
        Ok(ImportToken(token))
    }

    /// Opens a token presented with ImportKeyMaterial for the key `expected_key_arn` at time
    /// `now`.
    ///
    /// Returns [`Error::InvalidImportToken`] for anything that is not an authentic token of this
    /// set bound to `expected_key_arn` and for one issued more than [`MAX_CLOCK_SKEW`] after
    /// `now`, and [`Error::ExpiredImportToken`] for an authentic one at or after its
    /// `parameters_valid_to`. Whether the token was already used is the caller's to
    /// check, with the key record's [`UsedTokens`].
    pub fn open(
        &self,
        token: &[u8],
        expected_key_arn: &str,
        now: OffsetDateTime,
    ) -> Result<TokenClaims, Error> {
        if token.len() > MAX_TOKEN_LEN || token.len() < TOKEN_OVERHEAD + MIN_PAYLOAD_LEN {
            return Err(Error::InvalidImportToken);
        }
        let mut r = Reader(token);
        let version = r.u8()?;
        if version != TOKEN_VERSION {
            return Err(Error::InvalidImportToken);
        }
        let key_id = r.take(SEALING_KEY_ID_LEN)?;
        let key = self.ring.find(key_id).ok_or(Error::InvalidImportToken)?;
        let nonce: [u8; NONCE_LEN] = r.array()?;
        let sealed_len = r
            .remaining()
            .checked_sub(TAG_LEN)
            .ok_or(Error::InvalidImportToken)?;
        let mut payload = Zeroizing::new(r.take(sealed_len)?.to_vec());
        let tag: [u8; TAG_LEN] = r.array()?;

        let aad = associated_data(&key.id, expected_key_arn);
        key.cipher()
            .decrypt_inout_detached(
                &Nonce::from(nonce),
                &aad,
                payload.as_mut_slice().into(),
                &Tag::from(tag),
            )
            .map_err(|_| Error::InvalidImportToken)?;

        let claims = decode_payload(&payload)?;
        if !bool::from(claims.key_arn.as_bytes().ct_eq(expected_key_arn.as_bytes())) {
            return Err(Error::InvalidImportToken);
        }
        let latest_issue = now
            .checked_add(MAX_CLOCK_SKEW)
            .ok_or(Error::InvalidImportToken)?;
        if claims.issued_at > latest_issue {
            return Err(Error::InvalidImportToken);
        }
        if now >= claims.parameters_valid_to {
            return Err(Error::ExpiredImportToken);
        }
        Ok(claims)
    }
}

impl fmt::Debug for SealingKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.ring.debug_fields("SealingKeys", f)
    }
}

/// A sealed import token, as returned in GetParametersForImport's `ImportToken`.
///
/// Not secret, but opaque: `Debug` shows only its length.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportToken(Vec<u8>);

impl ImportToken {
    /// Wraps token bytes received from a client (no check here; [`SealingKeys::open`] checks).
    pub fn from_bytes(bytes: Vec<u8>) -> ImportToken {
        ImportToken(bytes)
    }

    /// The token bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The token bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the token is empty (a sealed token never is).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl AsRef<[u8]> for ImportToken {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ImportToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ImportToken(<{} bytes>)", self.0.len())
    }
}

/// The random 16-byte id of one token, which the [`UsedTokens`] ledger records once the token
/// has been used.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenId([u8; TOKEN_ID_LEN]);

impl TokenId {
    /// Draws a random id.
    pub fn generate(rng: &mut dyn CryptoRng) -> TokenId {
        let mut id = [0u8; TOKEN_ID_LEN];
        rng.fill_bytes(&mut id);
        TokenId(id)
    }

    /// Wraps raw id bytes.
    pub fn from_bytes(bytes: [u8; TOKEN_ID_LEN]) -> TokenId {
        TokenId(bytes)
    }

    /// The raw id bytes.
    pub fn as_bytes(&self) -> &[u8; TOKEN_ID_LEN] {
        &self.0
    }

    /// Constant-time equality.
    pub fn ct_eq(&self, other: &TokenId) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenId({self})")
    }
}

/// What a token says: the parameters one GetParametersForImport call issued.
///
/// Times are whole seconds in UTC (sub-second parts are dropped on construction). The wrapping
/// private key is zeroized on drop and redacted in `Debug`.
#[derive(Clone)]
pub struct TokenClaims {
    token_id: TokenId,
    key_arn: String,
    wrapping_algorithm: WrappingAlgorithm,
    wrapping_key_spec: WrappingKeySpec,
    issued_at: OffsetDateTime,
    parameters_valid_to: OffsetDateTime,
    wrapping_private_key: Zeroizing<Vec<u8>>,
}

impl TokenClaims {
    /// Claims for parameters issued at `issued_at`, valid for [`PARAMETERS_VALIDITY`], with a
    /// fresh random token id.
    ///
    /// `wrapping_private_key` is the wrapping layer's encoding of the private key (opaque here).
    /// Fails with [`Error::Internal`] when the ARN is empty or longer than
    /// [`MAX_KEY_ARN_LEN`], the private key is empty or longer than 65535 bytes, or the validity
    /// end is not representable.
    pub(crate) fn new(
        key_arn: impl Into<String>,
        wrapping_algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
        wrapping_private_key: Zeroizing<Vec<u8>>,
        issued_at: OffsetDateTime,
        rng: &mut dyn CryptoRng,
    ) -> Result<TokenClaims, Error> {
        let issued_at = whole_seconds(issued_at)?;
        let parameters_valid_to = issued_at
            .checked_add(PARAMETERS_VALIDITY)
            .ok_or(Error::Internal)?;
        TokenClaims::from_parts(
            TokenId::generate(rng),
            key_arn.into(),
            wrapping_algorithm,
            wrapping_key_spec,
            issued_at,
            parameters_valid_to,
            wrapping_private_key,
        )
    }

    /// Claims with every field given, for embedders with their own id or validity policy (and for
    /// tests). The same bounds as [`TokenClaims::new`] apply, and `parameters_valid_to` must be
    /// strictly after `issued_at`; otherwise [`Error::Internal`].
    pub(crate) fn from_parts(
        token_id: TokenId,
        key_arn: String,
        wrapping_algorithm: WrappingAlgorithm,
        wrapping_key_spec: WrappingKeySpec,
        issued_at: OffsetDateTime,
        parameters_valid_to: OffsetDateTime,
        wrapping_private_key: Zeroizing<Vec<u8>>,
    ) -> Result<TokenClaims, Error> {
        let issued_at = whole_seconds(issued_at)?;
        let parameters_valid_to = whole_seconds(parameters_valid_to)?;
        if key_arn.is_empty()
            || key_arn.len() > MAX_KEY_ARN_LEN
            || wrapping_private_key.is_empty()
            || wrapping_private_key.len() > usize::from(u16::MAX)
            || parameters_valid_to <= issued_at
        {
            return Err(Error::Internal);
        }
        Ok(TokenClaims {
            token_id,
            key_arn,
            wrapping_algorithm,
            wrapping_key_spec,
            issued_at,
            parameters_valid_to,
            wrapping_private_key,
        })
    }

    /// The token's random id.
    pub fn token_id(&self) -> TokenId {
        self.token_id
    }

    /// The ARN of the KMS key the token is bound to.
    pub fn key_arn(&self) -> &str {
        &self.key_arn
    }

    /// The wrapping algorithm the parameters were issued for.
    pub fn wrapping_algorithm(&self) -> WrappingAlgorithm {
        self.wrapping_algorithm
    }

    /// The wrapping key spec the parameters were issued for.
    pub fn wrapping_key_spec(&self) -> WrappingKeySpec {
        self.wrapping_key_spec
    }

    /// When the parameters were issued.
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }

    /// `ParametersValidTo`: the token is expired at and after this instant.
    pub fn parameters_valid_to(&self) -> OffsetDateTime {
        self.parameters_valid_to
    }

    /// The wrapping private key encoding. Secret: do not log or store it.
    pub(crate) fn wrapping_private_key(&self) -> &Zeroizing<Vec<u8>> {
        &self.wrapping_private_key
    }
}

// The only secret, the wrapping private key, sits in a `Zeroizing` buffer.
impl ZeroizeOnDrop for TokenClaims {}

impl fmt::Debug for TokenClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenClaims")
            .field("token_id", &self.token_id)
            .field("key_arn", &self.key_arn)
            .field("wrapping_algorithm", &self.wrapping_algorithm)
            .field("wrapping_key_spec", &self.wrapping_key_spec)
            .field("issued_at", &self.issued_at)
            .field("parameters_valid_to", &self.parameters_valid_to)
            .field("wrapping_private_key", &format_args!("<redacted>"))
            .finish()
    }
}

fn whole_seconds(t: OffsetDateTime) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp(t.unix_timestamp()).map_err(|_| Error::Internal)
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

fn associated_data(key_id: &SealingKeyId, key_arn: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_LABEL.len() + 1 + SEALING_KEY_ID_LEN + key_arn.len());
    aad.extend_from_slice(AAD_LABEL);
    aad.push(TOKEN_VERSION);
    aad.extend_from_slice(&key_id.0);
    aad.extend_from_slice(key_arn.as_bytes());
    aad
}

fn algorithm_code(a: WrappingAlgorithm) -> u8 {
    match a {
        WrappingAlgorithm::RsaesPkcs1V15 => 1,
        WrappingAlgorithm::RsaesOaepSha1 => 2,
        WrappingAlgorithm::RsaesOaepSha256 => 3,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => 4,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => 5,
        WrappingAlgorithm::Sm2pke => 6,
    }
}

fn algorithm_from_code(code: u8) -> Option<WrappingAlgorithm> {
    Some(match code {
        1 => WrappingAlgorithm::RsaesPkcs1V15,
        2 => WrappingAlgorithm::RsaesOaepSha1,
        3 => WrappingAlgorithm::RsaesOaepSha256,
        4 => WrappingAlgorithm::RsaAesKeyWrapSha1,
        5 => WrappingAlgorithm::RsaAesKeyWrapSha256,
        6 => WrappingAlgorithm::Sm2pke,
        _ => return None,
    })
}

fn key_spec_code(s: WrappingKeySpec) -> u8 {
    match s {
        WrappingKeySpec::Rsa2048 => 1,
        WrappingKeySpec::Rsa3072 => 2,
        WrappingKeySpec::Rsa4096 => 3,
        WrappingKeySpec::Sm2 => 4,
    }
}

fn key_spec_from_code(code: u8) -> Option<WrappingKeySpec> {
    Some(match code {
        1 => WrappingKeySpec::Rsa2048,
        2 => WrappingKeySpec::Rsa3072,
        3 => WrappingKeySpec::Rsa4096,
        4 => WrappingKeySpec::Sm2,
        _ => return None,
    })
}

/// Encodes the payload into a buffer allocated once at its final size, so no copy of the private
/// key is left behind by a reallocation.
fn encode_payload(c: &TokenClaims) -> Result<Zeroizing<Vec<u8>>, Error> {
    let arn_len = u16::try_from(c.key_arn.len()).map_err(|_| Error::Internal)?;
    let key_len = u16::try_from(c.wrapping_private_key.len()).map_err(|_| Error::Internal)?;
    if arn_len == 0 || usize::from(arn_len) > MAX_KEY_ARN_LEN || key_len == 0 {
        return Err(Error::Internal);
    }
    let len = PAYLOAD_FIXED_LEN + usize::from(arn_len) + usize::from(key_len);
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    out.push(PAYLOAD_VERSION);
    out.extend_from_slice(&c.token_id.0);
    out.extend_from_slice(&arn_len.to_be_bytes());
    out.extend_from_slice(c.key_arn.as_bytes());
    out.push(algorithm_code(c.wrapping_algorithm));
    out.push(key_spec_code(c.wrapping_key_spec));
    out.extend_from_slice(&c.issued_at.unix_timestamp().to_be_bytes());
    out.extend_from_slice(&c.parameters_valid_to.unix_timestamp().to_be_bytes());
    out.extend_from_slice(&key_len.to_be_bytes());
    out.extend_from_slice(&c.wrapping_private_key);
    Ok(out)
}

/// Parses an authenticated payload strictly; any deviation is [`Error::InvalidImportToken`].
fn decode_payload(payload: &[u8]) -> Result<TokenClaims, Error> {
    let mut r = Reader(payload);
    let version = r.u8()?;
    if version != PAYLOAD_VERSION && version != PAYLOAD_VERSION_PKCS8 {
        return Err(Error::InvalidImportToken);
    }
    let token_id = TokenId(r.array()?);
    let arn_len = usize::from(r.u16()?);
    if arn_len == 0 || arn_len > MAX_KEY_ARN_LEN {
        return Err(Error::InvalidImportToken);
    }
    let key_arn = std::str::from_utf8(r.take(arn_len)?)
        .map_err(|_| Error::InvalidImportToken)?
        .to_owned();
    let wrapping_algorithm = algorithm_from_code(r.u8()?).ok_or(Error::InvalidImportToken)?;
    let wrapping_key_spec = key_spec_from_code(r.u8()?).ok_or(Error::InvalidImportToken)?;
    let issued_at = timestamp(r.i64()?)?;
    let parameters_valid_to = timestamp(r.i64()?)?;
    if parameters_valid_to <= issued_at {
        return Err(Error::InvalidImportToken);
    }
    let key_len = usize::from(r.u16()?);
    if key_len == 0 || r.remaining() != key_len {
        return Err(Error::InvalidImportToken);
    }
    let mut wrapping_private_key = Zeroizing::new(Vec::with_capacity(key_len + 1));
    if version == PAYLOAD_VERSION_PKCS8 {
        wrapping_private_key.push(KEY_TAG_PKCS8);
    }
    wrapping_private_key.extend_from_slice(r.take(key_len)?);
    Ok(TokenClaims {
        token_id,
        key_arn,
        wrapping_algorithm,
        wrapping_key_spec,
        issued_at,
        parameters_valid_to,
        wrapping_private_key,
    })
}

fn timestamp(secs: i64) -> Result<OffsetDateTime, Error> {
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| Error::InvalidImportToken)
}

/// A bounds-checked cursor; running off the end is [`Error::InvalidImportToken`].
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let (head, rest) = self
            .0
            .split_at_checked(n)
            .ok_or(Error::InvalidImportToken)?;
        self.0 = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.take(N)?
            .try_into()
            .map_err(|_| Error::InvalidImportToken)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, Error> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, Error> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    fn remaining(&self) -> usize {
        self.0.len()
    }
}

#[cfg(test)]
mod sealing_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    fn claims(rng: &mut ChaCha20Rng) -> TokenClaims {
        TokenClaims::new(
            ARN,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            Zeroizing::new(vec![0x5a; 40]),
            OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap(),
            rng,
        )
        .unwrap()
    }

    #[test]
    fn payload_round_trips_every_algorithm_and_spec_code() {
        for a in [
            WrappingAlgorithm::RsaesPkcs1V15,
            WrappingAlgorithm::RsaesOaepSha1,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingAlgorithm::RsaAesKeyWrapSha1,
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            WrappingAlgorithm::Sm2pke,
        ] {
            assert_eq!(algorithm_from_code(algorithm_code(a)), Some(a));
        }
        for s in [
            WrappingKeySpec::Rsa2048,
            WrappingKeySpec::Rsa3072,
            WrappingKeySpec::Rsa4096,
            WrappingKeySpec::Sm2,
        ] {
            assert_eq!(key_spec_from_code(key_spec_code(s)), Some(s));
        }
        assert_eq!(algorithm_from_code(0), None);
        assert_eq!(key_spec_from_code(5), None);
    }

    #[test]
    fn payload_layout_matches_the_documented_format() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let c = claims(&mut rng);
        let p = encode_payload(&c).unwrap();
        assert_eq!(p.len(), PAYLOAD_FIXED_LEN + ARN.len() + 40);
        assert_eq!(p[0], 0x02);
        assert_eq!(&p[1..17], c.token_id().as_bytes());
        assert_eq!(&p[17..19], &(ARN.len() as u16).to_be_bytes());
        let mut o = 19 + ARN.len();
        assert_eq!(&p[19..o], ARN.as_bytes());
        assert_eq!(p[o], 3); // RSAES_OAEP_SHA_256
        assert_eq!(p[o + 1], 1); // RSA_2048
        o += 2;
        assert_eq!(&p[o..o + 8], &1_700_000_000i64.to_be_bytes());
        assert_eq!(
            &p[o + 8..o + 16],
            &(1_700_000_000i64 + 86_400).to_be_bytes()
        );
        assert_eq!(&p[o + 16..o + 18], &40u16.to_be_bytes());
        assert!(p[o + 18..].iter().all(|&b| b == 0x5a));
    }

    #[test]
    fn decode_rejects_trailing_bytes_and_bad_fields() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let good = encode_payload(&claims(&mut rng)).unwrap();
        assert!(decode_payload(&good).is_ok());

        let mut trailing = good.to_vec();
        trailing.push(0);
        let mut short = good.to_vec();
        short.pop();
        let mut bad_version = good.to_vec();
        bad_version[0] = 3;
        let o = 19 + ARN.len();
        let mut bad_alg = good.to_vec();
        bad_alg[o] = 0;
        let mut bad_spec = good.to_vec();
        bad_spec[o + 1] = 9;
        let mut backwards = good.to_vec();
        backwards[o + 2..o + 10].copy_from_slice(&(1_800_000_000i64).to_be_bytes());
        let mut huge_time = good.to_vec();
        huge_time[o + 10..o + 18].copy_from_slice(&i64::MAX.to_be_bytes());
        let mut zero_arn = good.to_vec();
        zero_arn[17..19].copy_from_slice(&0u16.to_be_bytes());
        let mut bad_utf8 = good.to_vec();
        bad_utf8[19] = 0xff;
        for bad in [
            trailing,
            short,
            bad_version,
            bad_alg,
            bad_spec,
            backwards,
            huge_time,
            zero_arn,
            bad_utf8,
        ] {
            assert_eq!(decode_payload(&bad).err(), Some(Error::InvalidImportToken));
        }
    }

    #[test]
    fn sealing_key_debug_redacts_the_key() {
        let k = SealingKey::from_bytes(SealingKeyId::from_bytes([1; 8]), [0xab; 32]);
        let s = format!("{k:?}");
        assert!(s.contains("0101010101010101"), "{s}");
        assert!(!s.contains("abab") && !s.contains("171"), "{s}");
    }
}
