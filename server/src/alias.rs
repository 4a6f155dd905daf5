//! Aliases: alias names and alias ARNs, and the resolution of a `KeyId` member that may name an
//! alias (DescribeKey, Encrypt, Decrypt, Sign, GenerateMac, GetPublicKey, …).
//!
//! The import operations take key ids and key ARNs only; kms-import resolves those
//! (`KeyContext::resolve_for_import`). The alias forms live here, with the server that keeps the
//! alias table. Parsing is strict and canonical: every type's `Display` gives back the string it
//! was parsed from.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use kms_import::{Error as KmsError, KeyArn, KeyContext, KeyId};

/// Longest alias name AWS accepts, `alias/` prefix included, in characters.
pub const MAX_ALIAS_NAME_LEN: usize = 256;
/// Longest `KeyId` member AWS accepts, in characters.
const MAX_KEY_ID_MEMBER_LEN: usize = 2048;

const ALIAS_PREFIX: &str = "alias/";
const RESERVED_ALIAS_PREFIX: &str = "alias/aws/";

/// Values echoed in messages are cut to a bounded length so that an oversized request cannot
/// make an oversized error body.
fn bounded(value: &str) -> &str {
    const MAX: usize = 2048;
    if value.len() <= MAX {
        return value;
    }
    let mut end = MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

fn invalid_key_id(input: &str) -> KmsError {
    KmsError::NotFound(format!("Invalid keyId '{}'", bounded(input)))
}

fn invalid_arn(input: &str) -> KmsError {
    KmsError::InvalidArn(format!("Invalid arn {}", bounded(input)))
}

fn is_alias_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b':' | b'/' | b'_' | b'-')
}

/// An alias name: `alias/` followed by 1 to 250 characters of `[a-zA-Z0-9:/_-]`.
///
/// Names under `alias/aws/` belong to AWS managed keys: they parse (DescribeKey accepts them)
/// but [`AliasName::for_new_alias`] refuses them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasName(String);

impl AliasName {
    /// The full name, `alias/` prefix included.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is reserved for AWS managed keys (`alias/aws/…`).
    pub fn is_reserved(&self) -> bool {
        self.0.starts_with(RESERVED_ALIAS_PREFIX)
    }

    /// Parses a name a customer may create (CreateAlias, UpdateAlias): like `FromStr`, and
    /// additionally `InvalidAliasNameException` for a name under `alias/aws/`.
    pub fn for_new_alias(s: &str) -> Result<AliasName, Error> {
        let name: AliasName = s.parse()?;
        if name.is_reserved() {
            return Err(Error::InvalidAliasName(format!(
                "Alias names that begin with '{RESERVED_ALIAS_PREFIX}' are reserved for AWS \
                 managed keys: {}",
                name.0
            )));
        }
        Ok(name)
    }

    fn parse_canonical(s: &str) -> Option<AliasName> {
        let rest = s.strip_prefix(ALIAS_PREFIX)?;
        let ok =
            !rest.is_empty() && s.len() <= MAX_ALIAS_NAME_LEN && rest.bytes().all(is_alias_byte);
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

impl FromStr for AliasName {
    type Err = Error;

    /// Errors, as for the `aliasName` member of CreateAlias: a length outside 1..=256 or a
    /// character outside the pattern is a `ValidationException`; a name without the `alias/`
    /// prefix (or with nothing after it) is an `InvalidAliasNameException`.
    fn from_str(s: &str) -> Result<AliasName, Error> {
        let len = s.chars().count();
        if len == 0 || len > MAX_ALIAS_NAME_LEN {
            return Err(KmsError::invalid_length("aliasName", 1, MAX_ALIAS_NAME_LEN).into());
        }
        if !s.bytes().all(is_alias_byte) {
            return Err(KmsError::Validation(format!(
                "1 validation error detected: Value '{}' at 'aliasName' failed to satisfy \
                 constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
                bounded(s)
            ))
            .into());
        }
        AliasName::parse_canonical(s).ok_or_else(|| {
            Error::InvalidAliasName(format!(
                "Alias name must begin with '{ALIAS_PREFIX}' followed by at least one character: {s}"
            ))
        })
    }
}

/// `arn:<partition>:kms:<region>:<account>:alias/<name>`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AliasArn {
    partition: String,
    region: String,
    account: String,
    alias: AliasName,
}

impl AliasArn {
    /// The alias name (`alias/…`).
    pub fn alias_name(&self) -> &AliasName {
        &self.alias
    }

    fn owned_by(&self, ctx: &KeyContext) -> bool {
        self.partition == ctx.partition().as_str()
            && self.region == ctx.region().as_str()
            && self.account == ctx.account().as_str()
    }
}

impl fmt::Display for AliasArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:kms:{}:{}:{}",
            self.partition, self.region, self.account, self.alias
        )
    }
}

impl fmt::Debug for AliasArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AliasArn({self})")
    }
}

impl FromStr for AliasArn {
    type Err = KmsError;

    /// Anything but a well-formed alias ARN is an `InvalidArnException`.
    fn from_str(s: &str) -> Result<AliasArn, KmsError> {
        match parse_arn(s)? {
            KeyIdentifier::AliasArn(arn) => Ok(arn),
            _ => Err(invalid_arn(s)),
        }
    }
}

/// Any of the four forms a `KeyId` request member may take.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum KeyIdentifier {
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
    pub fn parse(input: &str) -> Result<KeyIdentifier, KmsError> {
        let len = input.chars().count();
        if len == 0 || len > MAX_KEY_ID_MEMBER_LEN {
            return Err(KmsError::invalid_length("keyId", 1, MAX_KEY_ID_MEMBER_LEN));
        }
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

impl FromStr for KeyIdentifier {
    type Err = KmsError;

    /// Same as [`KeyIdentifier::parse`].
    fn from_str(s: &str) -> Result<KeyIdentifier, KmsError> {
        KeyIdentifier::parse(s)
    }
}

/// Parses a KMS key ARN or alias ARN; any other input is `InvalidArnException`.
fn parse_arn(input: &str) -> Result<KeyIdentifier, KmsError> {
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
    if resource.starts_with("key/") {
        return input.parse().map(KeyIdentifier::KeyArn);
    }
    // The partition, Region and account follow the rules of a key ARN's.
    if service != "kms" || KeyContext::new(partition, region, account).is_err() {
        return Err(bad());
    }
    let alias = AliasName::parse_canonical(resource).ok_or_else(bad)?;
    Ok(KeyIdentifier::AliasArn(AliasArn {
        partition: partition.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        alias,
    }))
}

/// What [`AliasContext::resolve_any`] found: a key id to load, or an alias to look up in the
/// alias table.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResolvedKeyRef {
    /// A key id of this context's account and Region.
    Key(KeyId),
    /// An alias of this context's account and Region. When there is no such alias, the answer
    /// is [`AliasContext::alias_not_found`].
    Alias(AliasName),
}

/// The alias side of a [`KeyContext`]: alias ARNs, the "not found" answer, and resolution of
/// `KeyId` members that may name an alias.
pub trait AliasContext {
    /// The ARN of alias `alias` in this context.
    fn alias_arn_for(&self, alias: &AliasName) -> AliasArn;

    /// `NotFoundException` `Alias <alias-arn> is not found.`, for an alias with no entry.
    fn alias_not_found(&self, alias: &AliasName) -> KmsError;

    /// Resolves the `KeyId` member of an operation that also accepts aliases.
    ///
    /// Errors, beyond those of [`KeyIdentifier::parse`]: a key or alias ARN of another
    /// partition, Region or account is `NotFoundException` (`Key '<arn>' does not exist` or
    /// `Alias <arn> is not found.`): the server keeps no cross-account keys.
    fn resolve_any(&self, input: &str) -> Result<ResolvedKeyRef, KmsError>;
}

impl AliasContext for KeyContext {
    fn alias_arn_for(&self, alias: &AliasName) -> AliasArn {
        AliasArn {
            partition: self.partition().as_str().to_owned(),
            region: self.region().as_str().to_owned(),
            account: self.account().as_str().to_owned(),
            alias: alias.clone(),
        }
    }

    fn alias_not_found(&self, alias: &AliasName) -> KmsError {
        KmsError::NotFound(format!("Alias {} is not found.", self.alias_arn_for(alias)))
    }

    fn resolve_any(&self, input: &str) -> Result<ResolvedKeyRef, KmsError> {
        match KeyIdentifier::parse(input)? {
            KeyIdentifier::KeyId(id) => Ok(ResolvedKeyRef::Key(id)),
            KeyIdentifier::KeyArn(_) => self.resolve_for_import(input).map(ResolvedKeyRef::Key),
            KeyIdentifier::AliasName(alias) => Ok(ResolvedKeyRef::Alias(alias)),
            KeyIdentifier::AliasArn(arn) if arn.owned_by(self) => {
                Ok(ResolvedKeyRef::Alias(arn.alias))
            }
            KeyIdentifier::AliasArn(arn) => {
                Err(KmsError::NotFound(format!("Alias {arn} is not found.")))
            }
        }
    }
}
