//! The AWS JSON 1.1 wire layer of every operation this server answers: the import operations
//! through kms-import's codec, the others (key management, aliases, cryptographic use) here,
//! read with the same member rules ([`kms_import::wire::Members`]).
//!
//! [`parse_request`] takes the `X-Amz-Target` header and the body; [`encode_response`] and
//! [`encode_error`] give the status and `application/x-amz-json-1.1` body.

use std::collections::BTreeMap;
use std::fmt;

use crate::names::{EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec};
use base64ct::{Base64, Encoding};
use kms_import::wire::{self as import_wire, Members, blob, required, timestamp, timestamp_opt};
use kms_import::{
    DeleteImportedKeyMaterialRequest, Error as KmsError, ExpirationModel,
    GetParametersForImportRequest, ImportKeyMaterialRequest, KeyManager, KeyMaterialId, KeySpec,
    KeyState, KeyUsage, Origin,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

pub use kms_import::wire::{
    CONTENT_TYPE, ListKeyRotationsRequest, ListKeyRotationsResponse, RotateKeyOnDemandRequest,
    RotationsListEntry, TARGET_PREFIX, UnknownOperation, encode_error,
};
pub use kms_import::{
    DeleteImportedKeyMaterialResponse, GetParametersForImportResponse, ImportKeyMaterialResponse,
};

/// Longest blob (`CiphertextBlob`, `Mac`, `Signature`).
const CIPHERTEXT_MAX: usize = 6144;
/// Longest plaintext blob (`Plaintext`, `Message`).
const PLAINTEXT_MAX: usize = 4096;

/// A blob whose content is customer data the protocol marks as sensitive (`Plaintext`,
/// `Message`): zeroized on drop, and `Debug` prints `<redacted>`.
///
/// It deliberately has no `PartialEq`: comparing secrets is the caller's business, in constant
/// time.
#[derive(Clone, Default)]
pub struct SensitiveBlob(Zeroizing<Vec<u8>>);

impl SensitiveBlob {
    /// Wraps the bytes; they are zeroized when the blob is dropped.
    pub fn new(bytes: Vec<u8>) -> SensitiveBlob {
        SensitiveBlob(Zeroizing::new(bytes))
    }

    /// The bytes. Keep the borrow short and do not copy them into unzeroized storage.
    pub fn expose_secret(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the blob is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Zeroizing<Vec<u8>>> for SensitiveBlob {
    fn from(bytes: Zeroizing<Vec<u8>>) -> SensitiveBlob {
        SensitiveBlob(bytes)
    }
}

impl ZeroizeOnDrop for SensitiveBlob {}

impl fmt::Debug for SensitiveBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for SensitiveBlob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let encoded = Zeroizing::new(Base64::encode_string(self.expose_secret()));
        s.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for SensitiveBlob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        Base64::decode_vec(&text)
            .ok()
            .map(SensitiveBlob::new)
            .ok_or_else(|| serde::de::Error::custom("invalid base64 blob"))
    }
}

/// The `KeySpec` values the deprecated `CustomerMasterKeySpec` enum admits.
pub(crate) const CUSTOMER_MASTER_KEY_SPECS: [KeySpec; 13] = [
    KeySpec::Rsa2048,
    KeySpec::Rsa3072,
    KeySpec::Rsa4096,
    KeySpec::EccNistP256,
    KeySpec::EccNistP384,
    KeySpec::EccNistP521,
    KeySpec::EccSecgP256k1,
    KeySpec::SymmetricDefault,
    KeySpec::Hmac224,
    KeySpec::Hmac256,
    KeySpec::Hmac384,
    KeySpec::Hmac512,
    KeySpec::Sm2,
];

/// Message of the `ValidationException` for a CreateKey that sends both spec members.
pub const KEY_SPEC_CONFLICT_MESSAGE: &str = "You cannot specify KeySpec and \
     CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.";

/// The request of every operation whose only member this crate reads is `KeyId` (required):
/// DescribeKey, EnableKey, DisableKey, CancelKeyDeletion, GetPublicKey, RotateKeyOnDemand.
/// `GrantTokens` is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyIdRequest {
    /// `KeyId`, 1..2048 characters, in whatever form the client sent.
    pub key_id: String,
}

/// CreateKey. `Policy`, `Tags`, `BypassPolicyLockoutSafetyCheck`, `CustomKeyStoreId` and
/// `XksKeyId` are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateKeyRequest {
    /// `KeySpec`, or the deprecated `CustomerMasterKeySpec` when only that was sent. Sending
    /// both is a `ValidationException` ([`KEY_SPEC_CONFLICT_MESSAGE`]).
    pub key_spec: Option<KeySpec>,
    /// `KeyUsage`.
    pub key_usage: Option<KeyUsage>,
    /// `Origin`.
    pub origin: Option<Origin>,
    /// `Description`, 0..8192 characters.
    pub description: Option<String>,
    /// `MultiRegion`.
    pub multi_region: Option<bool>,
}

/// ListKeys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListKeysRequest {
    /// `Limit`, 1..1000.
    pub limit: Option<u32>,
    /// `Marker`, 1..1024 characters in U+0020..U+00FF.
    pub marker: Option<String>,
}

/// ScheduleKeyDeletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleKeyDeletionRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `PendingWindowInDays`, 7..30 (the value KMS enforces; the model says 1..365). Absent
    /// means 30 to the operation.
    pub pending_window_in_days: Option<u32>,
}

/// Encrypt. `GrantTokens` and `DryRun` are ignored.
#[derive(Debug, Clone)]
pub struct EncryptRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `Plaintext`, 1..4096 bytes.
    pub plaintext: SensitiveBlob,
    /// `EncryptionContext` (empty when absent).
    pub encryption_context: BTreeMap<String, String>,
    /// `EncryptionAlgorithm`.
    pub encryption_algorithm: Option<EncryptionAlgorithmSpec>,
}

/// Decrypt. `GrantTokens`, `Recipient`, `DryRun` and `DryRunModifiers` are ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptRequest {
    /// `CiphertextBlob`, 1..6144 bytes. Treated as required: nothing can be decrypted without
    /// it, and AWS rejects its absence.
    pub ciphertext_blob: Vec<u8>,
    /// `EncryptionContext` (empty when absent).
    pub encryption_context: BTreeMap<String, String>,
    /// `KeyId`: optional for symmetric ciphertexts.
    pub key_id: Option<String>,
    /// `EncryptionAlgorithm`.
    pub encryption_algorithm: Option<EncryptionAlgorithmSpec>,
}

/// GenerateMac. All members are required.
#[derive(Debug, Clone)]
pub struct GenerateMacRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `Message`, 1..4096 bytes.
    pub message: SensitiveBlob,
    /// `MacAlgorithm`.
    pub mac_algorithm: MacAlgorithmSpec,
}

/// VerifyMac. All members are required.
#[derive(Debug, Clone)]
pub struct VerifyMacRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `Message`, 1..4096 bytes.
    pub message: SensitiveBlob,
    /// `MacAlgorithm`.
    pub mac_algorithm: MacAlgorithmSpec,
    /// `Mac`, 1..6144 bytes.
    pub mac: Vec<u8>,
}

/// Sign.
#[derive(Debug, Clone)]
pub struct SignRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `Message`, 1..4096 bytes.
    pub message: SensitiveBlob,
    /// `MessageType`; absent means RAW to the operation.
    pub message_type: Option<MessageType>,
    /// `SigningAlgorithm`.
    pub signing_algorithm: SigningAlgorithmSpec,
}

/// Verify.
#[derive(Debug, Clone)]
pub struct VerifyRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `Message`, 1..4096 bytes.
    pub message: SensitiveBlob,
    /// `MessageType`; absent means RAW to the operation.
    pub message_type: Option<MessageType>,
    /// `Signature`, 1..6144 bytes.
    pub signature: Vec<u8>,
    /// `SigningAlgorithm`.
    pub signing_algorithm: SigningAlgorithmSpec,
}

/// CreateAlias. Whether the name starts with `alias/` or is reserved (`alias/aws/`) is
/// decided above the wire layer (InvalidAliasNameException).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAliasRequest {
    /// `AliasName`, 1..256 characters matching `^[a-zA-Z0-9:/_-]+$`.
    pub alias_name: String,
    /// `TargetKeyId`, 1..2048 characters.
    pub target_key_id: String,
}

/// DeleteAlias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteAliasRequest {
    /// `AliasName`, 1..256 characters matching `^[a-zA-Z0-9:/_-]+$`.
    pub alias_name: String,
}

/// ListAliases.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListAliasesRequest {
    /// `KeyId`: list only the aliases of this key.
    pub key_id: Option<String>,
    /// `Limit`, 1..1000.
    pub limit: Option<u32>,
    /// `Marker`.
    pub marker: Option<String>,
}

fn is_alias_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-')
}

fn limit(m: &Members) -> Result<Option<u32>, KmsError> {
    Ok(m.integer("Limit", 1, 1000)?
        .and_then(|v| u32::try_from(v).ok()))
}

fn alias_name(m: &Members) -> Result<String, KmsError> {
    required(
        m.patterned(
            "AliasName",
            1,
            256,
            is_alias_char,
            "^[a-zA-Z0-9:/_-]+$",
            true,
        )?,
        "AliasName",
    )
}

fn message(m: &Members) -> Result<SensitiveBlob, KmsError> {
    required(m.sensitive_blob("Message", 1, PLAINTEXT_MAX)?, "Message").map(SensitiveBlob::from)
}

impl KeyIdRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        Ok(KeyIdRequest {
            key_id: required(m.key_id("KeyId")?, "KeyId")?,
        })
    }
}

impl CreateKeyRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let description = m.string("Description", 0, 8192)?;
        let key_usage = m.enumeration::<KeyUsage>("KeyUsage")?;
        let legacy = match m.enumeration::<KeySpec>("CustomerMasterKeySpec")? {
            Some(spec) if !CUSTOMER_MASTER_KEY_SPECS.contains(&spec) => {
                let names: Vec<&str> = CUSTOMER_MASTER_KEY_SPECS
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                return Err(KmsError::invalid_enum_value(
                    spec.as_str(),
                    "customerMasterKeySpec",
                    &names,
                ));
            }
            other => other,
        };
        let key_spec = m.enumeration::<KeySpec>("KeySpec")?;
        let origin = m.enumeration::<Origin>("Origin")?;
        let multi_region = m.boolean("MultiRegion")?;
        let key_spec = match (key_spec, legacy) {
            (Some(_), Some(_)) => {
                return Err(KmsError::Validation(KEY_SPEC_CONFLICT_MESSAGE.to_owned()));
            }
            (spec, legacy) => spec.or(legacy),
        };
        Ok(CreateKeyRequest {
            key_spec,
            key_usage,
            origin,
            description,
            multi_region,
        })
    }
}

impl ListKeysRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        Ok(ListKeysRequest {
            limit: limit(m)?,
            marker: m.marker()?,
        })
    }
}

impl ScheduleKeyDeletionRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let days = m.integer("PendingWindowInDays", 7, 30)?;
        Ok(ScheduleKeyDeletionRequest {
            key_id,
            pending_window_in_days: days.and_then(|d| u32::try_from(d).ok()),
        })
    }
}

impl EncryptRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let plaintext = required(
            m.sensitive_blob("Plaintext", 1, PLAINTEXT_MAX)?,
            "Plaintext",
        )
        .map(SensitiveBlob::from)?;
        Ok(EncryptRequest {
            key_id,
            plaintext,
            encryption_context: m.string_map("EncryptionContext")?.unwrap_or_default(),
            encryption_algorithm: m.enumeration("EncryptionAlgorithm")?,
        })
    }
}

impl DecryptRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let ciphertext_blob = required(
            m.blob("CiphertextBlob", 1, CIPHERTEXT_MAX)?,
            "CiphertextBlob",
        )?;
        Ok(DecryptRequest {
            ciphertext_blob,
            encryption_context: m.string_map("EncryptionContext")?.unwrap_or_default(),
            key_id: m.key_id("KeyId")?,
            encryption_algorithm: m.enumeration("EncryptionAlgorithm")?,
        })
    }
}

impl GenerateMacRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let message = message(m)?;
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let mac_algorithm = required(m.enumeration("MacAlgorithm")?, "MacAlgorithm")?;
        Ok(GenerateMacRequest {
            key_id,
            message,
            mac_algorithm,
        })
    }
}

impl VerifyMacRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let message = message(m)?;
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let mac_algorithm = required(m.enumeration("MacAlgorithm")?, "MacAlgorithm")?;
        let mac = required(m.blob("Mac", 1, CIPHERTEXT_MAX)?, "Mac")?;
        Ok(VerifyMacRequest {
            key_id,
            message,
            mac_algorithm,
            mac,
        })
    }
}

impl SignRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let message = message(m)?;
        let message_type = m.enumeration("MessageType")?;
        let signing_algorithm = required(m.enumeration("SigningAlgorithm")?, "SigningAlgorithm")?;
        Ok(SignRequest {
            key_id,
            message,
            message_type,
            signing_algorithm,
        })
    }
}

impl VerifyRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let message = message(m)?;
        let message_type = m.enumeration("MessageType")?;
        let signature = required(m.blob("Signature", 1, CIPHERTEXT_MAX)?, "Signature")?;
        let signing_algorithm = required(m.enumeration("SigningAlgorithm")?, "SigningAlgorithm")?;
        Ok(VerifyRequest {
            key_id,
            message,
            message_type,
            signature,
            signing_algorithm,
        })
    }
}

impl CreateAliasRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        let alias_name = alias_name(m)?;
        let target_key_id = required(m.key_id("TargetKeyId")?, "TargetKeyId")?;
        Ok(CreateAliasRequest {
            alias_name,
            target_key_id,
        })
    }
}

impl DeleteAliasRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        Ok(DeleteAliasRequest {
            alias_name: alias_name(m)?,
        })
    }
}

impl ListAliasesRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, KmsError> {
        Ok(ListAliasesRequest {
            key_id: m.key_id("KeyId")?,
            limit: limit(m)?,
            marker: m.marker()?,
        })
    }
}

/// `KeyMetadata` of CreateKey and DescribeKey.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    /// `AWSAccountId`: the twelve-digit owning account.
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    /// `KeyId`: the key id (UUID, or `mrk-…` for multi-Region keys).
    pub key_id: String,
    /// `Arn`: the key ARN.
    pub arn: String,
    /// `CreationDate`.
    #[serde(with = "timestamp")]
    pub creation_date: OffsetDateTime,
    /// `Enabled`: true exactly when the key state is Enabled.
    pub enabled: bool,
    /// `Description` (AWS sends `""` when none was given).
    pub description: String,
    /// `KeyUsage`.
    pub key_usage: KeyUsage,
    /// `KeyState`.
    pub key_state: KeyState,
    /// `DeletionDate`, while the key is pending deletion.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub deletion_date: Option<OffsetDateTime>,
    /// `ValidTo`, only under KEY_MATERIAL_EXPIRES.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_to: Option<OffsetDateTime>,
    /// `Origin`.
    pub origin: Origin,
    /// `ExpirationModel`, only on EXTERNAL keys that currently hold material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// `KeyManager`.
    pub key_manager: KeyManager,
    /// `CustomerMasterKeySpec`: deprecated duplicate of `KeySpec`; see
    /// [`legacy_key_spec`] for the value AWS puts here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<KeySpec>,
    /// `KeySpec`.
    pub key_spec: KeySpec,
    /// `EncryptionAlgorithms`, for ENCRYPT_DECRYPT keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithmSpec>>,
    /// `SigningAlgorithms`, for SIGN_VERIFY keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithmSpec>>,
    /// `MacAlgorithms`, for GENERATE_VERIFY_MAC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<MacAlgorithmSpec>>,
    /// `MultiRegion`.
    pub multi_region: bool,
    /// `CurrentKeyMaterialId`, for symmetric keys once material has been imported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<KeyMaterialId>,
    /// `PendingDeletionWindowInDays`, while the key is pending deletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<u32>,
}

/// The value AWS reports in the deprecated `CustomerMasterKeySpec` member: the key spec itself
/// when the deprecated enum knows it, otherwise nothing.
pub fn legacy_key_spec(spec: KeySpec) -> Option<KeySpec> {
    CUSTOMER_MASTER_KEY_SPECS.contains(&spec).then_some(spec)
}

/// CreateKey output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateKeyResponse {
    /// `KeyMetadata`.
    pub key_metadata: KeyMetadata,
}

/// DescribeKey output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeKeyResponse {
    /// `KeyMetadata`.
    pub key_metadata: KeyMetadata,
}

/// One entry of ListKeys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyListEntry {
    /// `KeyId`.
    pub key_id: String,
    /// `KeyArn`.
    pub key_arn: String,
}

/// ListKeys output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeysResponse {
    /// `Keys`.
    pub keys: Vec<KeyListEntry>,
    /// `NextMarker`, when `Truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// `Truncated`.
    pub truncated: bool,
}

/// ScheduleKeyDeletion output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleKeyDeletionResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `DeletionDate`.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub deletion_date: Option<OffsetDateTime>,
    /// `KeyState`.
    pub key_state: KeyState,
    /// `PendingWindowInDays`.
    pub pending_window_in_days: u32,
}

/// Output of every operation whose only output member is `KeyId` (the key ARN):
/// CancelKeyDeletion and RotateKeyOnDemand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
}

/// GetPublicKey output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPublicKeyResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `PublicKey`: DER SubjectPublicKeyInfo.
    #[serde(with = "blob")]
    pub public_key: Vec<u8>,
    /// `CustomerMasterKeySpec`: see [`legacy_key_spec`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_master_key_spec: Option<KeySpec>,
    /// `KeySpec`.
    pub key_spec: KeySpec,
    /// `KeyUsage`.
    pub key_usage: KeyUsage,
    /// `EncryptionAlgorithms`, for ENCRYPT_DECRYPT keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<EncryptionAlgorithmSpec>>,
    /// `SigningAlgorithms`, for SIGN_VERIFY keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<SigningAlgorithmSpec>>,
}

/// Encrypt output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    /// `CiphertextBlob`.
    #[serde(with = "blob")]
    pub ciphertext_blob: Vec<u8>,
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `EncryptionAlgorithm`.
    pub encryption_algorithm: EncryptionAlgorithmSpec,
}

/// Decrypt output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `Plaintext`.
    pub plaintext: SensitiveBlob,
    /// `EncryptionAlgorithm`.
    pub encryption_algorithm: EncryptionAlgorithmSpec,
    /// `KeyMaterialId` of the material that decrypted (symmetric keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<KeyMaterialId>,
}

/// GenerateMac output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateMacResponse {
    /// `Mac`.
    #[serde(with = "blob")]
    pub mac: Vec<u8>,
    /// `MacAlgorithm`.
    pub mac_algorithm: MacAlgorithmSpec,
    /// `KeyId`: the key ARN.
    pub key_id: String,
}

/// VerifyMac output (only on success; an invalid MAC is `KMSInvalidMacException`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyMacResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `MacValid`.
    pub mac_valid: bool,
    /// `MacAlgorithm`.
    pub mac_algorithm: MacAlgorithmSpec,
}

/// Sign output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `Signature`.
    #[serde(with = "blob")]
    pub signature: Vec<u8>,
    /// `SigningAlgorithm`.
    pub signing_algorithm: SigningAlgorithmSpec,
}

/// Verify output (only on success; an invalid signature is `KMSInvalidSignatureException`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `SignatureValid`.
    pub signature_valid: bool,
    /// `SigningAlgorithm`.
    pub signing_algorithm: SigningAlgorithmSpec,
}

/// One entry of ListAliases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasListEntry {
    /// `AliasName`.
    pub alias_name: String,
    /// `AliasArn`.
    pub alias_arn: String,
    /// `TargetKeyId`: the key id (absent for predefined aliases with no key yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<String>,
    /// `CreationDate`.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_date: Option<OffsetDateTime>,
    /// `LastUpdatedDate`.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_date: Option<OffsetDateTime>,
}

/// ListAliases output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListAliasesResponse {
    /// `Aliases`.
    pub aliases: Vec<AliasListEntry>,
    /// `NextMarker`, when `Truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// `Truncated`.
    pub truncated: bool,
}

macro_rules! operations {
    ($( $(#[$doc:meta])* $name:ident ),+ $(,)?) => {
        /// A KMS operation this wire layer reads, named as in `X-Amz-Target`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operation {
            $( $(#[$doc])* $name, )+
        }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] = &[ $( Operation::$name, )+ ];

            /// The operation name (`ImportKeyMaterial`).
            pub fn name(self) -> &'static str {
                match self {
                    $( Operation::$name => stringify!($name), )+
                }
            }
        }
    };
}

operations! {
    /// `CreateKey`.
    CreateKey,
    /// `DescribeKey`.
    DescribeKey,
    /// `ListKeys`.
    ListKeys,
    /// `GetParametersForImport`.
    GetParametersForImport,
    /// `ImportKeyMaterial`.
    ImportKeyMaterial,
    /// `DeleteImportedKeyMaterial`.
    DeleteImportedKeyMaterial,
    /// `EnableKey`.
    EnableKey,
    /// `DisableKey`.
    DisableKey,
    /// `ScheduleKeyDeletion`.
    ScheduleKeyDeletion,
    /// `CancelKeyDeletion`.
    CancelKeyDeletion,
    /// `GetPublicKey`.
    GetPublicKey,
    /// `Encrypt`.
    Encrypt,
    /// `Decrypt`.
    Decrypt,
    /// `GenerateMac`.
    GenerateMac,
    /// `VerifyMac`.
    VerifyMac,
    /// `Sign`.
    Sign,
    /// `Verify`.
    Verify,
    /// `CreateAlias`.
    CreateAlias,
    /// `DeleteAlias`.
    DeleteAlias,
    /// `ListAliases`.
    ListAliases,
    /// `RotateKeyOnDemand`.
    RotateKeyOnDemand,
    /// `ListKeyRotations`.
    ListKeyRotations,
}

impl Operation {
    /// Parses an `X-Amz-Target` value, `TrentService.<Operation>` (exact, case-sensitive).
    pub fn from_target(target: &str) -> Result<Operation, UnknownOperation> {
        target
            .strip_prefix(TARGET_PREFIX)
            .and_then(|name| Operation::ALL.iter().copied().find(|op| op.name() == name))
            .ok_or_else(|| UnknownOperation::new(target))
    }

    /// The `X-Amz-Target` value of the operation.
    pub fn target(self) -> String {
        format!("{TARGET_PREFIX}{}", self.name())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed, schema-checked request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Request {
    /// CreateKey.
    CreateKey(CreateKeyRequest),
    /// DescribeKey.
    DescribeKey(KeyIdRequest),
    /// ListKeys.
    ListKeys(ListKeysRequest),
    /// GetParametersForImport.
    GetParametersForImport(GetParametersForImportRequest),
    /// ImportKeyMaterial.
    ImportKeyMaterial(ImportKeyMaterialRequest),
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial(DeleteImportedKeyMaterialRequest),
    /// EnableKey.
    EnableKey(KeyIdRequest),
    /// DisableKey.
    DisableKey(KeyIdRequest),
    /// ScheduleKeyDeletion.
    ScheduleKeyDeletion(ScheduleKeyDeletionRequest),
    /// CancelKeyDeletion.
    CancelKeyDeletion(KeyIdRequest),
    /// GetPublicKey.
    GetPublicKey(KeyIdRequest),
    /// Encrypt.
    Encrypt(EncryptRequest),
    /// Decrypt.
    Decrypt(DecryptRequest),
    /// GenerateMac.
    GenerateMac(GenerateMacRequest),
    /// VerifyMac.
    VerifyMac(VerifyMacRequest),
    /// Sign.
    Sign(SignRequest),
    /// Verify.
    Verify(VerifyRequest),
    /// CreateAlias.
    CreateAlias(CreateAliasRequest),
    /// DeleteAlias.
    DeleteAlias(DeleteAliasRequest),
    /// ListAliases.
    ListAliases(ListAliasesRequest),
    /// RotateKeyOnDemand.
    RotateKeyOnDemand(RotateKeyOnDemandRequest),
    /// ListKeyRotations.
    ListKeyRotations(ListKeyRotationsRequest),
}

impl Request {
    /// Reads the body of `operation`. Errors are `SerializationException` or
    /// `ValidationException`, as the [module docs](self) describe.
    pub fn parse(operation: Operation, body: &[u8]) -> Result<Request, KmsError> {
        if let Ok(import) = import_wire::Operation::from_target(&operation.target()) {
            return Ok(match import_wire::Request::parse(import, body)? {
                import_wire::Request::GetParametersForImport(r) => {
                    Request::GetParametersForImport(r)
                }
                import_wire::Request::ImportKeyMaterial(r) => Request::ImportKeyMaterial(r),
                import_wire::Request::DeleteImportedKeyMaterial(r) => {
                    Request::DeleteImportedKeyMaterial(r)
                }
                import_wire::Request::RotateKeyOnDemand(r) => Request::RotateKeyOnDemand(r),
                import_wire::Request::ListKeyRotations(r) => Request::ListKeyRotations(r),
                _ => return Err(KmsError::Internal),
            });
        }
        let m = Members::parse(body)?;
        Ok(match operation {
            Operation::CreateKey => Request::CreateKey(CreateKeyRequest::read(&m)?),
            Operation::DescribeKey => Request::DescribeKey(KeyIdRequest::read(&m)?),
            Operation::ListKeys => Request::ListKeys(ListKeysRequest::read(&m)?),
            Operation::EnableKey => Request::EnableKey(KeyIdRequest::read(&m)?),
            Operation::DisableKey => Request::DisableKey(KeyIdRequest::read(&m)?),
            Operation::ScheduleKeyDeletion => {
                Request::ScheduleKeyDeletion(ScheduleKeyDeletionRequest::read(&m)?)
            }
            Operation::CancelKeyDeletion => Request::CancelKeyDeletion(KeyIdRequest::read(&m)?),
            Operation::GetPublicKey => Request::GetPublicKey(KeyIdRequest::read(&m)?),
            Operation::Encrypt => Request::Encrypt(EncryptRequest::read(&m)?),
            Operation::Decrypt => Request::Decrypt(DecryptRequest::read(&m)?),
            Operation::GenerateMac => Request::GenerateMac(GenerateMacRequest::read(&m)?),
            Operation::VerifyMac => Request::VerifyMac(VerifyMacRequest::read(&m)?),
            Operation::Sign => Request::Sign(SignRequest::read(&m)?),
            Operation::Verify => Request::Verify(VerifyRequest::read(&m)?),
            Operation::CreateAlias => Request::CreateAlias(CreateAliasRequest::read(&m)?),
            Operation::DeleteAlias => Request::DeleteAlias(DeleteAliasRequest::read(&m)?),
            Operation::ListAliases => Request::ListAliases(ListAliasesRequest::read(&m)?),
            Operation::GetParametersForImport
            | Operation::ImportKeyMaterial
            | Operation::DeleteImportedKeyMaterial
            | Operation::RotateKeyOnDemand
            | Operation::ListKeyRotations => return Err(KmsError::Internal),
        })
    }

    /// The operation this request is for.
    pub fn operation(&self) -> Operation {
        match self {
            Request::CreateKey(_) => Operation::CreateKey,
            Request::DescribeKey(_) => Operation::DescribeKey,
            Request::ListKeys(_) => Operation::ListKeys,
            Request::GetParametersForImport(_) => Operation::GetParametersForImport,
            Request::ImportKeyMaterial(_) => Operation::ImportKeyMaterial,
            Request::DeleteImportedKeyMaterial(_) => Operation::DeleteImportedKeyMaterial,
            Request::EnableKey(_) => Operation::EnableKey,
            Request::DisableKey(_) => Operation::DisableKey,
            Request::ScheduleKeyDeletion(_) => Operation::ScheduleKeyDeletion,
            Request::CancelKeyDeletion(_) => Operation::CancelKeyDeletion,
            Request::GetPublicKey(_) => Operation::GetPublicKey,
            Request::Encrypt(_) => Operation::Encrypt,
            Request::Decrypt(_) => Operation::Decrypt,
            Request::GenerateMac(_) => Operation::GenerateMac,
            Request::VerifyMac(_) => Operation::VerifyMac,
            Request::Sign(_) => Operation::Sign,
            Request::Verify(_) => Operation::Verify,
            Request::CreateAlias(_) => Operation::CreateAlias,
            Request::DeleteAlias(_) => Operation::DeleteAlias,
            Request::ListAliases(_) => Operation::ListAliases,
            Request::RotateKeyOnDemand(_) => Operation::RotateKeyOnDemand,
            Request::ListKeyRotations(_) => Operation::ListKeyRotations,
        }
    }
}

/// Parses a request from its `X-Amz-Target` header value and body.
///
/// An unknown target is `UnsupportedOperationException` (see [`UnknownOperation`] for AWS's
/// exact answer); a body the operation cannot read is `SerializationException` or
/// `ValidationException`.
pub fn parse_request(target: &str, body: &[u8]) -> Result<Request, KmsError> {
    let operation = Operation::from_target(target)?;
    Request::parse(operation, body)
}

/// A successful result, ready to encode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Response {
    /// CreateKey.
    CreateKey(CreateKeyResponse),
    /// DescribeKey.
    DescribeKey(DescribeKeyResponse),
    /// ListKeys.
    ListKeys(ListKeysResponse),
    /// GetParametersForImport.
    GetParametersForImport(GetParametersForImportResponse),
    /// ImportKeyMaterial.
    ImportKeyMaterial(ImportKeyMaterialResponse),
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial(DeleteImportedKeyMaterialResponse),
    /// EnableKey: no output.
    EnableKey,
    /// DisableKey: no output.
    DisableKey,
    /// ScheduleKeyDeletion.
    ScheduleKeyDeletion(ScheduleKeyDeletionResponse),
    /// CancelKeyDeletion.
    CancelKeyDeletion(KeyIdResponse),
    /// GetPublicKey.
    GetPublicKey(GetPublicKeyResponse),
    /// Encrypt.
    Encrypt(EncryptResponse),
    /// Decrypt.
    Decrypt(DecryptResponse),
    /// GenerateMac.
    GenerateMac(GenerateMacResponse),
    /// VerifyMac.
    VerifyMac(VerifyMacResponse),
    /// Sign.
    Sign(SignResponse),
    /// Verify.
    Verify(VerifyResponse),
    /// CreateAlias: no output.
    CreateAlias,
    /// DeleteAlias: no output.
    DeleteAlias,
    /// ListAliases.
    ListAliases(ListAliasesResponse),
    /// RotateKeyOnDemand.
    RotateKeyOnDemand(KeyIdResponse),
    /// ListKeyRotations.
    ListKeyRotations(ListKeyRotationsResponse),
}

impl Response {
    /// The operation this response answers.
    pub fn operation(&self) -> Operation {
        match self {
            Response::CreateKey(_) => Operation::CreateKey,
            Response::DescribeKey(_) => Operation::DescribeKey,
            Response::ListKeys(_) => Operation::ListKeys,
            Response::GetParametersForImport(_) => Operation::GetParametersForImport,
            Response::ImportKeyMaterial(_) => Operation::ImportKeyMaterial,
            Response::DeleteImportedKeyMaterial(_) => Operation::DeleteImportedKeyMaterial,
            Response::EnableKey => Operation::EnableKey,
            Response::DisableKey => Operation::DisableKey,
            Response::ScheduleKeyDeletion(_) => Operation::ScheduleKeyDeletion,
            Response::CancelKeyDeletion(_) => Operation::CancelKeyDeletion,
            Response::GetPublicKey(_) => Operation::GetPublicKey,
            Response::Encrypt(_) => Operation::Encrypt,
            Response::Decrypt(_) => Operation::Decrypt,
            Response::GenerateMac(_) => Operation::GenerateMac,
            Response::VerifyMac(_) => Operation::VerifyMac,
            Response::Sign(_) => Operation::Sign,
            Response::Verify(_) => Operation::Verify,
            Response::CreateAlias => Operation::CreateAlias,
            Response::DeleteAlias => Operation::DeleteAlias,
            Response::ListAliases(_) => Operation::ListAliases,
            Response::RotateKeyOnDemand(_) => Operation::RotateKeyOnDemand,
            Response::ListKeyRotations(_) => Operation::ListKeyRotations,
        }
    }
}

/// Counts the bytes a serialisation writes, so the body can be allocated once.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 = self.0.saturating_add(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Serialises into a buffer sized beforehand: a growing `Vec` would leave copies of the base64
/// secrets it holds (Decrypt's `Plaintext`) in the blocks it outgrows, which nobody wipes.
fn json<T: Serialize>(value: &T) -> (u16, Vec<u8>) {
    let mut counter = Counter(0);
    let sized = serde_json::to_writer(&mut counter, value).map(|()| counter.0);
    let written = sized.and_then(|len| {
        let mut body = Vec::with_capacity(len);
        match serde_json::to_writer(&mut body, value) {
            Ok(()) => Ok(body),
            Err(e) => {
                body.zeroize();
                Err(e)
            }
        }
    });
    match written {
        Ok(body) => (200, body),
        // Serialising these types cannot fail (string keys, no non-finite floats); if it ever
        // did, the client gets a retryable internal error rather than a truncated body.
        Err(_) => encode_error(&KmsError::Internal),
    }
}

/// HTTP 200 and the JSON body of a successful response (`{}` for operations without output).
pub fn encode_response(response: &Response) -> (u16, Vec<u8>) {
    match response {
        Response::CreateKey(r) => json(r),
        Response::DescribeKey(r) => json(r),
        Response::ListKeys(r) => json(r),
        Response::GetParametersForImport(r) => json(r),
        Response::ImportKeyMaterial(r) => json(r),
        Response::DeleteImportedKeyMaterial(r) => json(r),
        Response::ScheduleKeyDeletion(r) => json(r),
        Response::CancelKeyDeletion(r) | Response::RotateKeyOnDemand(r) => json(r),
        Response::GetPublicKey(r) => json(r),
        Response::Encrypt(r) => json(r),
        Response::Decrypt(r) => json(r),
        Response::GenerateMac(r) => json(r),
        Response::VerifyMac(r) => json(r),
        Response::Sign(r) => json(r),
        Response::Verify(r) => json(r),
        Response::ListAliases(r) => json(r),
        Response::ListKeyRotations(r) => json(r),
        Response::EnableKey
        | Response::DisableKey
        | Response::CreateAlias
        | Response::DeleteAlias => (200, b"{}".to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_round_trips_through_its_target() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_target(&op.target()), Ok(*op));
        }
        assert_eq!(Operation::ALL.len(), 22);
    }

    #[test]
    fn targets_need_the_exact_prefix_and_name() {
        for bad in [
            "ImportKeyMaterial",
            "trentservice.ImportKeyMaterial",
            "TrentService.importKeyMaterial",
            "TrentService.GenerateDataKey",
            "TrentService.",
            "",
        ] {
            assert!(Operation::from_target(bad).is_err(), "{bad}");
        }
    }
}
