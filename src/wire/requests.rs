//! The import requests and their readers.
//!
//! Every reader checks what the AWS model states about the request on its own (types, required
//! members, enum values, lengths, ranges, patterns) and nothing that needs a key, a clock or a
//! state: those checks belong to the operations. GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial are read straight into the operations' own request types.

use super::members::{CIPHERTEXT_MAX, Members, limit, required};
use crate::error::Error;
use crate::import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
};
use crate::names::IncludeKeyMaterial;

/// RotateKeyOnDemand. `KeyId` is required.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateKeyOnDemandRequest {
    /// `KeyId`, 1..2048 characters, in whatever form the client sent.
    pub key_id: String,
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

impl RotateKeyOnDemandRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(RotateKeyOnDemandRequest {
            key_id: required(m.key_id("KeyId")?, "KeyId")?,
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

impl DeleteImportedKeyMaterialRequest {
    pub(crate) fn read(m: &Members) -> Result<Self, Error> {
        Ok(DeleteImportedKeyMaterialRequest {
            key_id: required(m.key_id("KeyId")?, "KeyId")?,
            key_material_id: m.key_material_id("KeyMaterialId")?,
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
