//! The record document (format version 1) and the unversioned form of earlier releases.
//!
//! The writing side borrows from the record (no copy of the material besides the base64 text,
//! which is zeroized); the reading side owns what it parsed and becomes a record only through
//! [`KeyRecord::check_invariants`].

use std::io;
use std::str::FromStr;

use base64ct::{Base64, Encoding};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};
use zeroize::Zeroizing;

use super::{MAX_REVISION, RECORD_FORMAT_VERSION, StorageError};
use crate::error::Error;
use crate::expiration::Expiration;
use crate::key_id::KeyArn;
use crate::material::{KeyMaterial, KeyMaterialId};
use crate::names::{
    ExpirationModel, KeyMaterialState, KeySpec, KeyState, KeyUsage, Origin, RotationType,
};
use crate::record::{KeyRecord, MaterialRecord};
use crate::token::{PARAMETERS_VALIDITY, TokenId, UsedTokens};

fn utc(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(UtcOffset::UTC)
}

/// The document as written, borrowing from the record.
#[derive(Serialize)]
pub(super) struct DocumentV1<'a> {
    #[serde(rename = "FormatVersion")]
    format_version: u64,
    #[serde(rename = "Arn", with = "via_str")]
    arn: &'a KeyArn,
    #[serde(rename = "CreationDate", with = "time::serde::rfc3339")]
    creation_date: OffsetDateTime,
    #[serde(rename = "KeyState", with = "via_str")]
    key_state: KeyState,
    #[serde(rename = "Origin", with = "via_str")]
    origin: Origin,
    #[serde(rename = "KeySpec", with = "via_str")]
    key_spec: KeySpec,
    #[serde(rename = "KeyUsage", with = "via_str")]
    key_usage: KeyUsage,
    #[serde(rename = "Description")]
    description: &'a str,
    #[serde(rename = "DeletionDate", with = "time::serde::rfc3339::option")]
    deletion_date: Option<OffsetDateTime>,
    #[serde(rename = "KeyMaterials")]
    materials: Vec<MaterialOut<'a>>,
    #[serde(rename = "UsedTokens")]
    used_tokens: LedgerV1,
    #[serde(rename = "Revision")]
    revision: u64,
}

#[derive(Serialize)]
struct MaterialOut<'a> {
    #[serde(rename = "KeyMaterialId", with = "via_str")]
    id: KeyMaterialId,
    #[serde(rename = "KeyMaterial", serialize_with = "material_out")]
    material: Option<&'a KeyMaterial>,
    #[serde(rename = "ExpirationModel", with = "via_str::option")]
    expiration_model: Option<ExpirationModel>,
    #[serde(rename = "ValidTo", with = "time::serde::rfc3339::option")]
    valid_to: Option<OffsetDateTime>,
    #[serde(rename = "KeyMaterialState", with = "via_str")]
    material_state: KeyMaterialState,
    #[serde(rename = "KeyMaterialDescription")]
    description: Option<&'a str>,
    #[serde(rename = "RotationDate", with = "time::serde::rfc3339::option")]
    rotation_date: Option<OffsetDateTime>,
    #[serde(rename = "RotationType", with = "via_str::option")]
    rotation_type: Option<RotationType>,
    #[serde(rename = "CommitmentVersion")]
    commitment_version: Option<u32>,
    #[serde(rename = "LegacyWrapping")]
    legacy_wrapping: bool,
}

/// The used-token ledger, in both directions.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerV1 {
    #[serde(rename = "Capacity")]
    capacity: usize,
    #[serde(rename = "Watermark", with = "time::serde::rfc3339::option")]
    watermark: Option<OffsetDateTime>,
    #[serde(rename = "Entries")]
    entries: Vec<LedgerEntryV1>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerEntryV1 {
    #[serde(rename = "TokenId", with = "token_id")]
    token_id: TokenId,
    #[serde(rename = "IssuedAt", with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(rename = "ParametersValidTo", with = "time::serde::rfc3339")]
    parameters_valid_to: OffsetDateTime,
}

impl<'a> DocumentV1<'a> {
    pub(super) fn from_record(r: &'a KeyRecord) -> Result<DocumentV1<'a>, Error> {
        if r.revision > MAX_REVISION {
            return Err(Error::Internal);
        }
        let (capacity, watermark, entries) = r.used_tokens.to_parts();
        Ok(DocumentV1 {
            format_version: RECORD_FORMAT_VERSION,
            arn: &r.arn,
            creation_date: utc(r.creation_date),
            key_state: r.key_state,
            origin: r.origin,
            key_spec: r.key_spec,
            key_usage: r.key_usage,
            description: &r.description,
            deletion_date: r.deletion_date.map(utc),
            materials: r
                .materials
                .iter()
                .map(|m| MaterialOut {
                    id: m.id,
                    material: m.material.as_ref(),
                    expiration_model: m.expiration.map(|e| e.model()),
                    valid_to: m.expiration.and_then(|e| e.valid_to()).map(utc),
                    material_state: m.material_state,
                    description: m.description.as_deref(),
                    rotation_date: m.rotation_date.map(utc),
                    rotation_type: m.rotation_type,
                    commitment_version: m.commitment_version,
                    legacy_wrapping: m.legacy_wrapping,
                })
                .collect(),
            used_tokens: LedgerV1 {
                capacity,
                watermark: watermark.map(utc),
                entries: entries
                    .into_iter()
                    .map(|(token_id, issued_at, parameters_valid_to)| LedgerEntryV1 {
                        token_id,
                        issued_at: utc(issued_at),
                        parameters_valid_to: utc(parameters_valid_to),
                    })
                    .collect(),
            },
            revision: r.revision,
        })
    }
}

/// Counts bytes without keeping them.
struct Counter(usize);

impl io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The length of the encoded document, so that its buffer is allocated once at its final size.
pub(super) fn encoded_len(doc: &DocumentV1<'_>) -> Result<usize, Error> {
    let mut c = Counter(0);
    serde_json::to_writer(&mut c, doc).map_err(|_| Error::Internal)?;
    Ok(c.0)
}

/// Appends the encoded document to `out`.
pub(super) fn write(doc: &DocumentV1<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
    serde_json::to_writer(out, doc).map_err(|_| Error::Internal)
}

fn malformed(e: serde_json::Error) -> StorageError {
    StorageError::Malformed(e.to_string())
}

/// Only the version member; every other member is skipped without being kept.
#[derive(Deserialize)]
struct Probe {
    #[serde(rename = "FormatVersion")]
    format_version: Option<serde_json::Value>,
}

/// Parses a document of any version this release reads and checks the record it describes.
pub(super) fn read(bytes: &[u8]) -> Result<KeyRecord, StorageError> {
    let probe: Probe = serde_json::from_slice(bytes).map_err(malformed)?;
    let record = match probe.format_version {
        None => serde_json::from_slice::<DocumentV0>(bytes)
            .map_err(malformed)?
            .into_record()?,
        Some(v) => match v.as_u64() {
            Some(RECORD_FORMAT_VERSION) => serde_json::from_slice::<DocumentV1In>(bytes)
                .map_err(malformed)?
                .into_record()?,
            Some(found) if found > RECORD_FORMAT_VERSION => {
                return Err(StorageError::UnsupportedVersion {
                    found,
                    supported: RECORD_FORMAT_VERSION,
                });
            }
            _ => {
                return Err(StorageError::Malformed(format!(
                    "FormatVersion {v} is not a version of the record format"
                )));
            }
        },
    };
    record.check_invariants()?;
    Ok(record)
}

/// The document as read (format version 1).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentV1In {
    #[serde(rename = "FormatVersion")]
    _format_version: u64,
    #[serde(rename = "Arn", with = "via_str")]
    arn: KeyArn,
    #[serde(rename = "CreationDate", with = "time::serde::rfc3339")]
    creation_date: OffsetDateTime,
    #[serde(rename = "KeyState", with = "via_str")]
    key_state: KeyState,
    #[serde(rename = "Origin", with = "via_str")]
    origin: Origin,
    #[serde(rename = "KeySpec", with = "via_str")]
    key_spec: KeySpec,
    #[serde(rename = "KeyUsage", with = "via_str")]
    key_usage: KeyUsage,
    #[serde(rename = "Description")]
    description: String,
    #[serde(rename = "DeletionDate", with = "time::serde::rfc3339::option")]
    deletion_date: Option<OffsetDateTime>,
    #[serde(rename = "KeyMaterials")]
    materials: Vec<MaterialIn>,
    #[serde(rename = "UsedTokens")]
    used_tokens: LedgerV1,
    #[serde(rename = "Revision")]
    revision: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialIn {
    #[serde(rename = "KeyMaterialId", with = "via_str")]
    id: KeyMaterialId,
    #[serde(rename = "KeyMaterial", deserialize_with = "material_in")]
    material: Option<KeyMaterial>,
    #[serde(rename = "ExpirationModel", with = "via_str::option")]
    expiration_model: Option<ExpirationModel>,
    #[serde(rename = "ValidTo", with = "time::serde::rfc3339::option")]
    valid_to: Option<OffsetDateTime>,
    #[serde(rename = "KeyMaterialState", with = "via_str")]
    material_state: KeyMaterialState,
    #[serde(rename = "KeyMaterialDescription")]
    description: Option<String>,
    #[serde(rename = "RotationDate", with = "time::serde::rfc3339::option")]
    rotation_date: Option<OffsetDateTime>,
    #[serde(rename = "RotationType", with = "via_str::option")]
    rotation_type: Option<RotationType>,
    #[serde(rename = "CommitmentVersion", default)]
    commitment_version: Option<u32>,
    #[serde(rename = "LegacyWrapping", default)]
    legacy_wrapping: bool,
}

fn expiration(
    model: Option<ExpirationModel>,
    valid_to: Option<OffsetDateTime>,
) -> Result<Option<Expiration>, StorageError> {
    match (model, valid_to) {
        (None, None) => Ok(None),
        (Some(ExpirationModel::KeyMaterialDoesNotExpire), None) => {
            Ok(Some(Expiration::DoesNotExpire))
        }
        (Some(ExpirationModel::KeyMaterialExpires), Some(valid_to)) => {
            Ok(Some(Expiration::Expires {
                valid_to: utc(valid_to),
            }))
        }
        _ => Err(StorageError::Malformed(
            "ValidTo is set exactly under KEY_MATERIAL_EXPIRES".to_owned(),
        )),
    }
}

fn ledger(
    capacity: usize,
    watermark: Option<OffsetDateTime>,
    entries: Vec<(TokenId, OffsetDateTime, OffsetDateTime)>,
) -> Result<UsedTokens, StorageError> {
    UsedTokens::from_parts(capacity, watermark, entries)
        .map_err(|why| StorageError::Malformed(why.to_owned()))
}

fn revision(r: u64) -> Result<u64, StorageError> {
    if r > MAX_REVISION {
        return Err(StorageError::Malformed(format!(
            "Revision {r} is beyond i64::MAX"
        )));
    }
    Ok(r)
}

impl DocumentV1In {
    fn into_record(self) -> Result<KeyRecord, StorageError> {
        let mut materials = Vec::with_capacity(self.materials.len());
        for m in self.materials {
            materials.push(MaterialRecord {
                id: m.id,
                commitment_version: m.commitment_version,
                legacy_wrapping: m.legacy_wrapping,
                material: m.material,
                expiration: expiration(m.expiration_model, m.valid_to)?,
                material_state: m.material_state,
                description: m.description,
                rotation_date: m.rotation_date.map(utc),
                rotation_type: m.rotation_type,
            });
        }
        let l = self.used_tokens;
        Ok(KeyRecord {
            arn: self.arn,
            creation_date: utc(self.creation_date),
            key_state: self.key_state,
            origin: self.origin,
            key_spec: self.key_spec,
            key_usage: self.key_usage,
            description: self.description,
            deletion_date: self.deletion_date.map(utc),
            materials,
            used_tokens: ledger(
                l.capacity,
                l.watermark.map(utc),
                l.entries
                    .into_iter()
                    .map(|e| (e.token_id, utc(e.issued_at), utc(e.parameters_valid_to)))
                    .collect(),
            )?,
            revision: revision(self.revision)?,
        })
    }
}

/// The unversioned form of earlier releases: the record's own serde derive (snake_case member
/// names, the expiration as an object tagged by `model`, ledger times as Unix seconds).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentV0 {
    #[serde(with = "via_str")]
    arn: KeyArn,
    #[serde(with = "time::serde::rfc3339")]
    creation_date: OffsetDateTime,
    #[serde(with = "via_str")]
    key_state: KeyState,
    #[serde(with = "via_str")]
    origin: Origin,
    #[serde(with = "via_str")]
    key_spec: KeySpec,
    #[serde(with = "via_str")]
    key_usage: KeyUsage,
    description: String,
    #[serde(with = "time::serde::rfc3339::option")]
    deletion_date: Option<OffsetDateTime>,
    materials: Vec<MaterialV0>,
    #[serde(default)]
    used_tokens: Option<LedgerV0>,
    revision: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialV0 {
    #[serde(with = "via_str")]
    id: KeyMaterialId,
    #[serde(deserialize_with = "material_in")]
    material: Option<KeyMaterial>,
    expiration: Option<ExpirationV0>,
    #[serde(with = "via_str")]
    material_state: KeyMaterialState,
    description: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    rotation_date: Option<OffsetDateTime>,
    #[serde(default, with = "via_str::option")]
    rotation_type: Option<RotationType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpirationV0 {
    #[serde(with = "via_str")]
    model: ExpirationModel,
    #[serde(default, with = "time::serde::rfc3339::option")]
    valid_to: Option<OffsetDateTime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerV0 {
    capacity: usize,
    watermark: Option<i64>,
    entries: Vec<LedgerEntryV0>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LedgerEntryV0 {
    #[serde(with = "token_id")]
    token_id: TokenId,
    issued_at: i64,
    parameters_valid_to: i64,
}

fn unix(secs: i64) -> Result<OffsetDateTime, StorageError> {
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| StorageError::Malformed(format!("time {secs} is out of range")))
}

impl DocumentV0 {
    fn into_record(self) -> Result<KeyRecord, StorageError> {
        let mut materials = Vec::with_capacity(self.materials.len());
        for m in self.materials {
            let (model, valid_to) = match m.expiration {
                Some(e) => (Some(e.model), e.valid_to),
                None => (None, None),
            };
            materials.push(MaterialRecord {
                id: m.id,
                commitment_version: None,
                legacy_wrapping: false,
                material: m.material,
                expiration: expiration(model, valid_to)?,
                material_state: m.material_state,
                description: m.description,
                rotation_date: m.rotation_date.map(utc),
                rotation_type: m.rotation_type,
            });
        }
        let used_tokens = match self.used_tokens {
            None => UsedTokens::default(),
            Some(l) => {
                let mut entries = Vec::with_capacity(l.entries.len());
                for e in l.entries {
                    entries.push((e.token_id, unix(e.issued_at)?, unix(e.parameters_valid_to)?));
                }
                // This form's watermark was an issue time: the tokens issued by then are those
                // whose validity ended a token lifetime later. Its ledgers could be small.
                let watermark = match l.watermark {
                    None => None,
                    Some(issued) => Some(
                        unix(issued)?
                            .checked_add(PARAMETERS_VALIDITY)
                            .ok_or_else(|| {
                                StorageError::Malformed(format!("time {issued} is out of range"))
                            })?,
                    ),
                };
                let capacity = l.capacity.max(UsedTokens::DEFAULT_CAPACITY);
                ledger(capacity, watermark, entries)?
            }
        };
        Ok(KeyRecord {
            arn: self.arn,
            creation_date: utc(self.creation_date),
            key_state: self.key_state,
            origin: self.origin,
            key_spec: self.key_spec,
            key_usage: self.key_usage,
            description: self.description,
            deletion_date: self.deletion_date.map(utc),
            materials,
            used_tokens,
            revision: revision(self.revision)?,
        })
    }
}

/// Key material as standard padded base64, `null` when absent. The text this crate allocates
/// is zeroized.
fn material_out<S: serde::Serializer>(m: &Option<&KeyMaterial>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(&Zeroizing::new(Base64::encode_string(m.expose_secret()))),
        None => s.serialize_none(),
    }
}

fn material_in<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<KeyMaterial>, D::Error> {
    let Some(text) = Option::<String>::deserialize(d)?.map(Zeroizing::new) else {
        return Ok(None);
    };
    let bytes = Base64::decode_vec(&text)
        .map_err(|_| serde::de::Error::custom("key material is not valid base64"))?;
    Ok(Some(KeyMaterial::new(bytes)))
}

/// Values written as their `Display` string and read with `FromStr`.
mod via_str {
    use std::fmt::Display;

    use super::*;

    pub(super) fn serialize<T: Display, S: serde::Serializer>(
        v: &T,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    pub(super) fn deserialize<'de, T, D>(d: D) -> Result<T, D::Error>
    where
        T: FromStr<Err = Error>,
        D: serde::Deserializer<'de>,
    {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse()
            .map_err(|e: Error| serde::de::Error::custom(e.message()))
    }

    pub(super) mod option {
        use super::*;

        pub(crate) fn serialize<T: Display, S: serde::Serializer>(
            v: &Option<T>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match v {
                Some(v) => s.collect_str(v),
                None => s.serialize_none(),
            }
        }

        pub(crate) fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
        where
            T: FromStr<Err = Error>,
            D: serde::Deserializer<'de>,
        {
            let Some(s) = Option::<std::borrow::Cow<'de, str>>::deserialize(d)? else {
                return Ok(None);
            };
            s.parse()
                .map(Some)
                .map_err(|e: Error| serde::de::Error::custom(e.message()))
        }
    }
}

/// A token id as 32 lowercase hex characters.
mod token_id {
    use super::*;

    pub(super) fn serialize<S: serde::Serializer>(id: &TokenId, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(id)
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<TokenId, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let err = || serde::de::Error::custom("a token id is 32 lowercase hex characters");
        let raw = s.as_bytes();
        if raw.len() != 32 {
            return Err(err());
        }
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(raw.chunks_exact(2)) {
            let [hi, lo] = pair else { return Err(err()) };
            *o = (hex(*hi).ok_or_else(err)? << 4) | hex(*lo).ok_or_else(err)?;
        }
        Ok(TokenId::from_bytes(out))
    }

    fn hex(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
}
