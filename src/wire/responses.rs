//! Typed response bodies, one per operation that has output.
//!
//! Member names are AWS's PascalCase. Optional members that are `None` are left out of the JSON
//! (never `null`); blobs are base64 strings and timestamps epoch-second numbers. The types also
//! deserialize, so a client or a test can read what a server sent.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::codec::{SensitiveBlob, blob, timestamp, timestamp_opt};
use super::requests::CUSTOMER_MASTER_KEY_SPECS;
use crate::material::KeyMaterialId;
use crate::names::{
    EncryptionAlgorithmSpec, ExpirationModel, ImportState, KeyManager, KeyMaterialState, KeySpec,
    KeyState, KeyUsage, MacAlgorithmSpec, Origin, RotationType, SigningAlgorithmSpec,
};
use crate::page::Page;
use crate::record::KeyMaterialEntry;

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

/// GetParametersForImport output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetParametersForImportResponse {
    /// `KeyId`: always the key ARN.
    pub key_id: String,
    /// `ImportToken`.
    #[serde(with = "blob")]
    pub import_token: Vec<u8>,
    /// `PublicKey`: DER SubjectPublicKeyInfo of the wrapping key.
    #[serde(with = "blob")]
    pub public_key: Vec<u8>,
    /// `ParametersValidTo`: 24 hours after issue.
    #[serde(with = "timestamp")]
    pub parameters_valid_to: OffsetDateTime,
}

/// ImportKeyMaterial output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImportKeyMaterialResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `KeyMaterialId` of the imported material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<KeyMaterialId>,
}

/// DeleteImportedKeyMaterial output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteImportedKeyMaterialResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `KeyMaterialId` of the deleted material.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<KeyMaterialId>,
}

impl From<crate::import::GetParametersForImportResponse> for GetParametersForImportResponse {
    fn from(r: crate::import::GetParametersForImportResponse) -> Self {
        GetParametersForImportResponse {
            key_id: r.key_id.to_string(),
            import_token: r.import_token.into_bytes(),
            public_key: r.public_key,
            parameters_valid_to: r.parameters_valid_to,
        }
    }
}

impl From<crate::import::ImportKeyMaterialResponse> for ImportKeyMaterialResponse {
    fn from(r: crate::import::ImportKeyMaterialResponse) -> Self {
        ImportKeyMaterialResponse {
            key_id: r.key_id.to_string(),
            key_material_id: Some(r.key_material_id),
        }
    }
}

impl From<crate::import::DeleteImportedKeyMaterialResponse> for DeleteImportedKeyMaterialResponse {
    fn from(r: crate::import::DeleteImportedKeyMaterialResponse) -> Self {
        DeleteImportedKeyMaterialResponse {
            key_id: r.key_id.to_string(),
            key_material_id: r.key_material_id,
        }
    }
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

/// One entry of ListKeyRotations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotationsListEntry {
    /// `KeyId`: the key ARN.
    pub key_id: String,
    /// `KeyMaterialId`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_id: Option<KeyMaterialId>,
    /// `KeyMaterialDescription`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_description: Option<String>,
    /// `ImportState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_state: Option<ImportState>,
    /// `KeyMaterialState`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material_state: Option<KeyMaterialState>,
    /// `ExpirationModel`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_model: Option<ExpirationModel>,
    /// `ValidTo`, under KEY_MATERIAL_EXPIRES.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub valid_to: Option<OffsetDateTime>,
    /// `RotationDate`, once rotated in.
    #[serde(
        default,
        with = "timestamp_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub rotation_date: Option<OffsetDateTime>,
    /// `RotationType`, once rotated in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation_type: Option<RotationType>,
}

/// ListKeyRotations output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListKeyRotationsResponse {
    /// `Rotations`.
    pub rotations: Vec<RotationsListEntry>,
    /// `NextMarker`, when `Truncated`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
    /// `Truncated`.
    pub truncated: bool,
}

impl RotationsListEntry {
    /// The wire form of one [`KeyMaterialEntry`] of the key `key_id` (AWS's documented example
    /// shows the key id here; the crate leaves the choice to the caller).
    pub fn from_entry(key_id: &str, entry: &KeyMaterialEntry) -> RotationsListEntry {
        RotationsListEntry {
            key_id: key_id.to_owned(),
            key_material_id: Some(entry.key_material_id),
            key_material_description: entry.key_material_description.clone(),
            import_state: Some(entry.import_state),
            key_material_state: Some(entry.key_material_state),
            expiration_model: entry.expiration_model,
            valid_to: entry.valid_to,
            rotation_date: entry.rotation_date,
            rotation_type: entry.rotation_type,
        }
    }
}

impl ListKeyRotationsResponse {
    /// The ListKeyRotations output for one page of the key `key_id`.
    pub fn from_page(key_id: &str, page: &Page<KeyMaterialEntry>) -> ListKeyRotationsResponse {
        ListKeyRotationsResponse {
            rotations: page
                .items
                .iter()
                .map(|e| RotationsListEntry::from_entry(key_id, e))
                .collect(),
            next_marker: page.next_marker.clone(),
            truncated: page.truncated(),
        }
    }
}
