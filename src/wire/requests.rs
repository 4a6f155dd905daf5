//! Typed request bodies, one per operation, and their readers.
//!
//! Every reader checks what the AWS model states about the request on its own (types, required
//! members, enum values, lengths, ranges, patterns) and nothing that needs a key, a clock or a
//! state: those checks belong to the operations.

use std::collections::BTreeMap;

use time::OffsetDateTime;

use super::codec::SensitiveBlob;
use super::members::{CIPHERTEXT_MAX, Members, PLAINTEXT_MAX, required};
use crate::error::Error;
use crate::material::KeyMaterialId;
use crate::names::{
    EncryptionAlgorithmSpec, ExpirationModel, ImportType, IncludeKeyMaterial, KeySpec, KeyUsage,
    MacAlgorithmSpec, MessageType, Origin, SigningAlgorithmSpec, WrappingAlgorithm,
    WrappingKeySpec,
};

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

/// GetParametersForImport. All three members are required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetParametersForImportRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `WrappingAlgorithm`.
    pub wrapping_algorithm: WrappingAlgorithm,
    /// `WrappingKeySpec`.
    pub wrapping_key_spec: WrappingKeySpec,
}

/// ImportKeyMaterial. `KeyId`, `ImportToken` and `EncryptedKeyMaterial` are required. The
/// ExpirationModel / ValidTo rules (which depend on the request time) are not checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportKeyMaterialRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `ImportToken`, 1..6144 bytes after base64 decoding.
    pub import_token: Vec<u8>,
    /// `EncryptedKeyMaterial`, 1..6144 bytes after base64 decoding.
    pub encrypted_key_material: Vec<u8>,
    /// `ValidTo`.
    pub valid_to: Option<OffsetDateTime>,
    /// `ExpirationModel`; absent means KEY_MATERIAL_EXPIRES to the operation.
    pub expiration_model: Option<ExpirationModel>,
    /// `ImportType`.
    pub import_type: Option<ImportType>,
    /// `KeyMaterialDescription`, up to 256 characters matching `^[a-zA-Z0-9:/_\s.-]+$`.
    pub key_material_description: Option<String>,
    /// `KeyMaterialId`, 64 lowercase hex characters.
    pub key_material_id: Option<KeyMaterialId>,
}

/// DeleteImportedKeyMaterial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteImportedKeyMaterialRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `KeyMaterialId`; absent means the current material.
    pub key_material_id: Option<KeyMaterialId>,
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

/// ListKeyRotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListKeyRotationsRequest {
    /// `KeyId`.
    pub key_id: String,
    /// `IncludeKeyMaterial`; absent means ROTATIONS_ONLY to the operation.
    pub include_key_material: Option<IncludeKeyMaterial>,
    /// `Limit`, 1..1000.
    pub limit: Option<u32>,
    /// `Marker`.
    pub marker: Option<String>,
}

fn is_alias_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '/' | '_' | '-')
}

fn limit(m: &Members) -> Result<Option<u32>, Error> {
    Ok(m.integer("Limit", 1, 1000)?
        .and_then(|v| u32::try_from(v).ok()))
}

fn alias_name(m: &Members) -> Result<String, Error> {
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

fn message(m: &Members) -> Result<SensitiveBlob, Error> {
    required(m.sensitive_blob("Message", 1, PLAINTEXT_MAX)?, "Message").map(SensitiveBlob::from)
}

impl KeyIdRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(KeyIdRequest {
            key_id: required(m.key_id("KeyId")?, "KeyId")?,
        })
    }
}

impl CreateKeyRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        let description = m.string("Description", 0, 8192)?;
        let key_usage = m.enumeration::<KeyUsage>("KeyUsage")?;
        let legacy = match m.enumeration::<KeySpec>("CustomerMasterKeySpec")? {
            Some(spec) if !CUSTOMER_MASTER_KEY_SPECS.contains(&spec) => {
                let names: Vec<&str> = CUSTOMER_MASTER_KEY_SPECS
                    .iter()
                    .map(|s| s.as_str())
                    .collect();
                return Err(Error::invalid_enum_value(
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
                return Err(Error::Validation(KEY_SPEC_CONFLICT_MESSAGE.to_owned()));
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(ListKeysRequest {
            limit: limit(m)?,
            marker: m.marker()?,
        })
    }
}

impl GetParametersForImportRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let wrapping_algorithm =
            required(m.enumeration("WrappingAlgorithm")?, "WrappingAlgorithm")?;
        let wrapping_key_spec = required(m.enumeration("WrappingKeySpec")?, "WrappingKeySpec")?;
        Ok(GetParametersForImportRequest {
            key_id,
            wrapping_algorithm,
            wrapping_key_spec,
        })
    }
}

impl ImportKeyMaterialRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let import_token = required(m.blob("ImportToken", 1, CIPHERTEXT_MAX)?, "ImportToken")?;
        let encrypted_key_material = required(
            m.blob("EncryptedKeyMaterial", 1, CIPHERTEXT_MAX)?,
            "EncryptedKeyMaterial",
        )?;
        let valid_to = m.timestamp("ValidTo")?;
        let expiration_model = m.enumeration("ExpirationModel")?;
        let import_type = m.enumeration("ImportType")?;
        let key_material_description = m.patterned(
            "KeyMaterialDescription",
            0,
            256,
            crate::material::description::is_material_description_char,
            crate::material::description::MATERIAL_DESCRIPTION_PATTERN,
            true,
        )?;
        let key_material_id = m.key_material_id("KeyMaterialId")?;
        Ok(ImportKeyMaterialRequest {
            key_id,
            import_token,
            encrypted_key_material,
            valid_to,
            expiration_model,
            import_type,
            key_material_description,
            key_material_id,
        })
    }
}

impl From<ImportKeyMaterialRequest> for crate::import::ImportKeyMaterialRequest {
    fn from(r: ImportKeyMaterialRequest) -> Self {
        crate::import::ImportKeyMaterialRequest {
            key_id: r.key_id,
            import_token: r.import_token,
            encrypted_key_material: r.encrypted_key_material,
            expiration_model: r.expiration_model,
            valid_to: r.valid_to,
            import_type: r.import_type,
            key_material_id: r.key_material_id,
            key_material_description: r.key_material_description,
        }
    }
}

impl From<GetParametersForImportRequest> for crate::import::GetParametersForImportRequest {
    fn from(r: GetParametersForImportRequest) -> Self {
        crate::import::GetParametersForImportRequest {
            key_id: r.key_id,
            wrapping_algorithm: r.wrapping_algorithm,
            wrapping_key_spec: r.wrapping_key_spec,
        }
    }
}

impl From<DeleteImportedKeyMaterialRequest> for crate::import::DeleteImportedKeyMaterialRequest {
    fn from(r: DeleteImportedKeyMaterialRequest) -> Self {
        crate::import::DeleteImportedKeyMaterialRequest {
            key_id: r.key_id,
            key_material_id: r.key_material_id,
        }
    }
}

impl DeleteImportedKeyMaterialRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(DeleteImportedKeyMaterialRequest {
            key_id: required(m.key_id("KeyId")?, "KeyId")?,
            key_material_id: m.key_material_id("KeyMaterialId")?,
        })
    }
}

impl ScheduleKeyDeletionRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        let key_id = required(m.key_id("KeyId")?, "KeyId")?;
        let days = m.integer("PendingWindowInDays", 7, 30)?;
        Ok(ScheduleKeyDeletionRequest {
            key_id,
            pending_window_in_days: days.and_then(|d| u32::try_from(d).ok()),
        })
    }
}

impl EncryptRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
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
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        let alias_name = alias_name(m)?;
        let target_key_id = required(m.key_id("TargetKeyId")?, "TargetKeyId")?;
        Ok(CreateAliasRequest {
            alias_name,
            target_key_id,
        })
    }
}

impl DeleteAliasRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(DeleteAliasRequest {
            alias_name: alias_name(m)?,
        })
    }
}

impl ListAliasesRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(ListAliasesRequest {
            key_id: m.key_id("KeyId")?,
            limit: limit(m)?,
            marker: m.marker()?,
        })
    }
}

impl ListKeyRotationsRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(ListKeyRotationsRequest {
            key_id: required(m.key_id("KeyId")?, "KeyId")?,
            include_key_material: m.enumeration("IncludeKeyMaterial")?,
            limit: limit(m)?,
            marker: m.marker()?,
        })
    }
}
