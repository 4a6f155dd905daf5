//! KMS key identifiers: key ids and key ARNs, and the rules by which a service resolves the
//! `KeyId` member of an import request against its own partition, Region and account. Alias
//! forms are recognised only to be refused with AWS's answers.
//!
//! Parsing is strict and canonical: every type's `Display` gives back the string it was parsed
//! from. Resolution ([`KeyContext::resolve_for_import`], [`KeyContext::resolve_any`]) turns
//! any malformed or foreign identifier into the AWS error the request would get.

use std::fmt;
use std::str::FromStr;

use rand_core::CryptoRng;

use crate::error::{Error, truncate_for_message};

/// Longest `KeyId` member AWS accepts, in characters.
pub(crate) const MAX_KEY_ID_MEMBER_LEN: usize = 2048;
/// Longest alias name AWS accepts, `alias/` prefix included, in characters.
pub(crate) const MAX_ALIAS_NAME_LEN: usize = 256;

const ALIAS_PREFIX: &str = "alias/";
const MRK_PREFIX: &str = "mrk-";

/// A KMS key id: a UUID in lowercase 8-4-4-4-12 form, or a multi-Region key id (`mrk-` and 32
/// lowercase hex digits).
///
/// Uppercase hex is not accepted: AWS only ever issues lowercase ids, so an uppercase one names
/// no key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId {
    bytes: [u8; 16],
    multi_region: bool,
}

impl KeyId {
    /// A fresh random (version 4) UUID key id drawn from the caller's RNG.
    pub fn random(rng: &mut dyn CryptoRng) -> KeyId {
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        KeyId {
            bytes,
            multi_region: false,
        }
    }

    /// Whether this is a multi-Region key id (`mrk-…`).
    pub fn is_multi_region(&self) -> bool {
        self.multi_region
    }

    /// Parses the canonical string form; `None` for anything else.
    fn parse_canonical(s: &str) -> Option<KeyId> {
        let mut bytes = [0u8; 16];
        if let Some(hex) = s.strip_prefix(MRK_PREFIX) {
            decode_lower_hex(hex.as_bytes(), &mut bytes)?;
            return Some(KeyId {
                bytes,
                multi_region: true,
            });
        }
        let raw = s.as_bytes();
        if raw.len() != 36 {
            return None;
        }
        let mut hex = [0u8; 32];
        let mut n = 0;
        for (i, &c) in raw.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if c != b'-' {
                    return None;
                }
            } else {
                *hex.get_mut(n)? = c;
                n += 1;
            }
        }
        decode_lower_hex(&hex, &mut bytes)?;
        Some(KeyId {
            bytes,
            multi_region: false,
        })
    }
}

/// Decodes exactly `2 * out.len()` lowercase hex digits into `out`.
fn decode_lower_hex(hex: &[u8], out: &mut [u8]) -> Option<()> {
    if hex.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let [hi, lo] = pair else { return None };
        *byte = (lower_hex_digit(*hi)? << 4) | lower_hex_digit(*lo)?;
    }
    Some(())
}

fn lower_hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.multi_region {
            f.write_str(MRK_PREFIX)?;
            for b in self.bytes {
                write!(f, "{b:02x}")?;
            }
            return Ok(());
        }
        for (i, b) in self.bytes.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl FromStr for KeyId {
    type Err = Error;

    /// A malformed id is `NotFoundException` `Invalid keyId '<input>'`, as AWS answers it.
    fn from_str(s: &str) -> Result<KeyId, Error> {
        KeyId::parse_canonical(s).ok_or_else(|| invalid_key_id(s))
    }
}

fn invalid_key_id(input: &str) -> Error {
    Error::NotFound(format!("Invalid keyId '{}'", truncate_for_message(input)))
}

fn invalid_arn(input: &str) -> Error {
    Error::InvalidArn(format!("Invalid arn {}", truncate_for_message(input)))
}

/// An AWS partition: `aws`, or `aws-` followed by one to three lowercase segments, such as
/// `aws-cn`, `aws-us-gov`, `aws-iso-b` or `aws-eusc`.
///
/// The shape rather than a closed list is checked, so that a partition AWS adds later parses;
/// [`Partition::KNOWN`] lists the ones that exist today.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Partition(String);

impl Partition {
    /// The partitions AWS operates today.
    pub const KNOWN: [&'static str; 8] = [
        "aws",
        "aws-cn",
        "aws-us-gov",
        "aws-iso",
        "aws-iso-b",
        "aws-iso-e",
        "aws-iso-f",
        "aws-eusc",
    ];

    /// The commercial partition, `aws`.
    pub fn aws() -> Partition {
        Partition("aws".to_owned())
    }

    /// The partition name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(s: &str) -> bool {
        let Some(rest) = s.strip_prefix("aws") else {
            return false;
        };
        if rest.is_empty() {
            return true;
        }
        let Some(rest) = rest.strip_prefix('-') else {
            return false;
        };
        let segments: Vec<&str> = rest.split('-').collect();
        segments.len() <= 3
            && segments.iter().all(|seg| {
                (1..=8).contains(&seg.len()) && seg.bytes().all(|c| c.is_ascii_lowercase())
            })
    }
}

/// An AWS Region name such as `us-east-1`, `us-gov-west-1`, `cn-north-1` or `eusc-de-east-1`:
/// lowercase letter segments joined by `-`, the first of two to four letters, ending in a
/// number of one or two digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(String);

impl Region {
    /// The Region name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(s: &str) -> bool {
        if s.len() > 32 {
            return false;
        }
        let parts: Vec<&str> = s.split('-').collect();
        let [first, middle @ .., last] = parts.as_slice() else {
            return false;
        };
        (2..=4).contains(&first.len())
            && first.bytes().all(|c| c.is_ascii_lowercase())
            && !middle.is_empty()
            && middle
                .iter()
                .all(|m| !m.is_empty() && m.bytes().all(|c| c.is_ascii_lowercase()))
            && (1..=2).contains(&last.len())
            && last.bytes().all(|c| c.is_ascii_digit())
    }
}

/// A 12-digit AWS account id.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// The account id.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn is_valid(s: &str) -> bool {
        s.len() == 12 && s.bytes().all(|c| c.is_ascii_digit())
    }
}

macro_rules! validated_name {
    ($ty:ident, $what:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self.0)
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            /// A malformed value is a `ValidationException` (this is service configuration,
            /// not request input).
            fn from_str(s: &str) -> Result<$ty, Error> {
                if $ty::is_valid(s) {
                    Ok($ty(s.to_owned()))
                } else {
                    Err(Error::Validation(format!(
                        concat!("'{}' is not a valid ", $what),
                        truncate_for_message(s)
                    )))
                }
            }
        }
    };
}

validated_name!(Partition, "AWS partition");
validated_name!(Region, "AWS Region name");
validated_name!(AccountId, "AWS account id");

/// An alias name: `alias/` followed by 1 to 250 characters of `[a-zA-Z0-9:/_-]`. Recognised
/// only so that the import operations refuse it with AWS's answer.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AliasName(String);

impl AliasName {
    fn parse_canonical(s: &str) -> Option<AliasName> {
        let rest = s.strip_prefix(ALIAS_PREFIX)?;
        let ok = !rest.is_empty()
            && s.len() <= MAX_ALIAS_NAME_LEN
            && rest
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b':' | b'/' | b'_' | b'-'));
        ok.then(|| AliasName(s.to_owned()))
    }
}

impl fmt::Display for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AliasName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AliasName({})", self.0)
    }
}

/// The partition, Region and account part shared by key and alias ARNs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct ArnScope {
    partition: Partition,
    region: Region,
    account: AccountId,
}

/// `arn:<partition>:kms:<region>:<account>:key/<key-id>`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyArn {
    scope: ArnScope,
    key_id: KeyId,
}

impl KeyArn {
    /// The partition.
    pub fn partition(&self) -> &Partition {
        &self.scope.partition
    }

    /// The Region.
    pub fn region(&self) -> &Region {
        &self.scope.region
    }

    /// The owning account.
    pub fn account(&self) -> &AccountId {
        &self.scope.account
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }
}

impl fmt::Display for KeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scope;
        write!(
            f,
            "arn:{}:kms:{}:{}:key/{}",
            s.partition, s.region, s.account, self.key_id
        )
    }
}

impl fmt::Debug for KeyArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyArn({self})")
    }
}

impl FromStr for KeyArn {
    type Err = Error;

    /// Anything but a well-formed key ARN is an `InvalidArnException`.
    fn from_str(s: &str) -> Result<KeyArn, Error> {
        match parse_arn(s)? {
            KeyIdentifier::KeyArn(arn) => Ok(arn),
            _ => Err(invalid_arn(s)),
        }
    }
}

/// `arn:<partition>:kms:<region>:<account>:alias/<name>`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AliasArn {
    scope: ArnScope,
    alias: AliasName,
}

impl fmt::Display for AliasArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.scope;
        write!(
            f,
            "arn:{}:kms:{}:{}:{}",
            s.partition, s.region, s.account, self.alias
        )
    }
}

impl fmt::Debug for AliasArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AliasArn({self})")
    }
}

/// Any of the four forms a `KeyId` request member may take.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum KeyIdentifier {
    /// A bare key id.
    KeyId(KeyId),
    /// A key ARN.
    KeyArn(KeyArn),
    /// An alias name (`alias/…`).
    AliasName(AliasName),
    /// An alias ARN.
    AliasArn(AliasArn),
}

impl KeyIdentifier {
    /// Parses a `KeyId` request member, without reference to any service context.
    ///
    /// Errors:
    /// - empty or longer than 2048 characters: `ValidationException` in AWS's length wording;
    /// - starts with `arn:` but is not a well-formed KMS key or alias ARN:
    ///   `InvalidArnException` `Invalid arn <input>`;
    /// - anything else that is neither a key id nor an alias name: `NotFoundException`
    ///   `Invalid keyId '<input>'` (this includes a malformed `alias/…` name).
    pub(crate) fn parse(input: &str) -> Result<KeyIdentifier, Error> {
        check_key_id_member_len(input)?;
        if input.starts_with("arn:") {
            return parse_arn(input);
        }
        if input.starts_with(ALIAS_PREFIX) {
            return AliasName::parse_canonical(input)
                .map(KeyIdentifier::AliasName)
                .ok_or_else(|| invalid_key_id(input));
        }
        input.parse().map(KeyIdentifier::KeyId)
    }
}

impl fmt::Display for KeyIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyIdentifier::KeyId(v) => v.fmt(f),
            KeyIdentifier::KeyArn(v) => v.fmt(f),
            KeyIdentifier::AliasName(v) => v.fmt(f),
            KeyIdentifier::AliasArn(v) => v.fmt(f),
        }
    }
}

fn check_key_id_member_len(input: &str) -> Result<(), Error> {
    let len = input.chars().count();
    if len == 0 || len > MAX_KEY_ID_MEMBER_LEN {
        return Err(Error::invalid_length("keyId", 1, MAX_KEY_ID_MEMBER_LEN));
    }
    Ok(())
}

/// Parses a KMS key ARN or alias ARN; any other input is `InvalidArnException`.
fn parse_arn(input: &str) -> Result<KeyIdentifier, Error> {
    let bad = || invalid_arn(input);
    let rest = input.strip_prefix("arn:").ok_or_else(bad)?;
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(bad());
    };
    if service != "kms"
        || !Partition::is_valid(partition)
        || !Region::is_valid(region)
        || !AccountId::is_valid(account)
    {
        return Err(bad());
    }
    let scope = ArnScope {
        partition: Partition(partition.to_owned()),
        region: Region(region.to_owned()),
        account: AccountId(account.to_owned()),
    };
    if let Some(id) = resource.strip_prefix("key/") {
        let key_id = KeyId::parse_canonical(id).ok_or_else(bad)?;
        return Ok(KeyIdentifier::KeyArn(KeyArn { scope, key_id }));
    }
    let alias = AliasName::parse_canonical(resource).ok_or_else(bad)?;
    Ok(KeyIdentifier::AliasArn(AliasArn { scope, alias }))
}

/// The partition, Region and account a service instance answers for: the context in which
/// request identifiers are resolved and ARNs are built.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KeyContext {
    scope: ArnScope,
}

impl KeyContext {
    /// Builds a context; each part must have the shape described on [`Partition`], [`Region`]
    /// and [`AccountId`], otherwise `ValidationException`.
    pub fn new(partition: &str, region: &str, account: &str) -> Result<KeyContext, Error> {
        Ok(KeyContext {
            scope: ArnScope {
                partition: partition.parse()?,
                region: region.parse()?,
                account: account.parse()?,
            },
        })
    }

    /// The partition.
    pub fn partition(&self) -> &Partition {
        &self.scope.partition
    }

    /// The Region.
    pub fn region(&self) -> &Region {
        &self.scope.region
    }

    /// The account.
    pub fn account(&self) -> &AccountId {
        &self.scope.account
    }

    /// The ARN of key `key_id` in this context.
    pub fn arn_for(&self, key_id: &KeyId) -> KeyArn {
        KeyArn {
            scope: self.scope.clone(),
            key_id: *key_id,
        }
    }

    /// `NotFoundException` `Key '<arn>' does not exist`, for a well-formed id with no key
    /// behind it. AWS names the key by its full ARN even when the request sent a bare id.
    pub fn key_not_found(&self, key_id: &KeyId) -> Error {
        Error::NotFound(format!("Key '{}' does not exist", self.arn_for(key_id)))
    }

    fn owns(&self, scope: &ArnScope) -> bool {
        self.scope == *scope
    }

    /// Resolves the `KeyId` member of an operation that takes only key ids and key ARNs: the
    /// three import operations, EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion,
    /// RotateKeyOnDemand and ListKeyRotations.
    ///
    /// Errors:
    /// - empty or longer than 2048 characters: `ValidationException` in AWS's length wording;
    /// - starts with `arn:` but is not a well-formed KMS key ARN: `InvalidArnException`
    ///   `Invalid arn <input>`;
    /// - anything else that is not a key id: `NotFoundException` `Invalid keyId '<input>'`;
    /// - an alias name: `NotFoundException` `Invalid keyId '<input>'`;
    /// - an alias ARN: `InvalidArnException` `Invalid arn <input>`;
    /// - a key ARN of another partition, Region or account: `NotFoundException`
    ///   `Key '<arn>' does not exist` (these operations are never cross-account).
    ///
    /// A resolved id may still name no key; the caller then answers
    /// [`KeyContext::key_not_found`].
    pub fn resolve_for_import(&self, input: &str) -> Result<KeyId, Error> {
        match KeyIdentifier::parse(input)? {
            KeyIdentifier::KeyId(id) => Ok(id),
            KeyIdentifier::KeyArn(arn) if self.owns(&arn.scope) => Ok(arn.key_id),
            KeyIdentifier::KeyArn(arn) => Err(foreign_key(&arn)),
            KeyIdentifier::AliasName(_) => Err(invalid_key_id(input)),
            KeyIdentifier::AliasArn(_) => Err(invalid_arn(input)),
        }
    }
}

fn foreign_key(arn: &KeyArn) -> Error {
    Error::NotFound(format!("Key '{arn}' does not exist"))
}

#[cfg(feature = "serde")]
macro_rules! serde_via_str {
    ($($ty:ty),+) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|e: Error| serde::de::Error::custom(e.message()))
            }
        }
    )+};
}

#[cfg(feature = "serde")]
serde_via_str!(KeyId, KeyArn, Partition, Region, AccountId);

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn random_key_ids_are_version_4_and_canonical() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for _ in 0..64 {
            let id = KeyId::random(&mut rng);
            let s = id.to_string();
            assert_eq!(s.as_bytes()[14], b'4', "{s}");
            assert!(matches!(s.as_bytes()[19], b'8' | b'9' | b'a' | b'b'), "{s}");
            assert_eq!(s.parse::<KeyId>().unwrap(), id);
            assert!(!id.is_multi_region());
        }
    }

    #[test]
    fn region_shapes() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-north-1",
            "eu-isoe-west-1",
            "eusc-de-east-1",
            "ap-southeast-5",
            "il-central-1",
        ] {
            assert!(Region::is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "us-east-",
            "US-EAST-1",
            "us-east-123",
            "u-east-1",
            "us--1",
            "useast1",
        ] {
            assert!(!Region::is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn partition_shapes() {
        for ok in Partition::KNOWN {
            assert!(Partition::is_valid(ok), "{ok}");
        }
        for bad in [
            "",
            "aws-",
            "awscn",
            "aws-CN",
            "aws-a-b-c-d",
            "gcp",
            "aws--x",
        ] {
            assert!(!Partition::is_valid(bad), "{bad}");
        }
    }
}
