//! The response bodies of RotateKeyOnDemand and ListKeyRotations. (The three import
//! operations' responses are the operations' own types, which serialize with this feature.)
//!
//! Member names are AWS's PascalCase. Optional members that are `None` are left out of the JSON
//! (never `null`); blobs are base64 strings and timestamps epoch-second numbers. The types also
//! deserialize, so a client or a test can read what a server sent.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::codec::timestamp_opt;
use crate::material::KeyMaterialId;
use crate::names::{ExpirationModel, ImportState, KeyMaterialState, RotationType};
use crate::page::Page;
use crate::record::KeyMaterialEntry;

/// RotateKeyOnDemand output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateKeyOnDemandResponse {
    /// `KeyId`: the key ARN.
    pub key_id: String,
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
