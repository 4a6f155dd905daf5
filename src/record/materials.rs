//! The materials of a key: each one's id (the commitment that survives deletion), bytes and
//! expiration, and the record side of ImportKeyMaterial and DeleteImportedKeyMaterial.

use time::OffsetDateTime;

use super::KeyRecord;
use crate::error::Error;
use crate::expiration::{Expiration, VALID_TO_NOT_FUTURE_MESSAGE};
use crate::material::{
    CheckedMaterial, KeyMaterial, KeyMaterialId, MaterialCommitment, check_material_description,
};
use crate::names::{ImportState, ImportType, KeyMaterialState, Origin, RotationType};
use crate::state::{DisabledImportPolicy, KeyOperation, outcome};
use crate::store::Applied;

/// One key material of a key: its id (the commitment that survives deletion), the bytes while
/// they are present, and the expiration of its last import.
#[derive(Debug, Clone)]
pub struct MaterialRecord {
    pub(super) id: KeyMaterialId,
    /// The version of the commitment key `id` was made with; `None` for ids keyed with the KMS
    /// key id alone (records made before commitment keys).
    pub(super) commitment_version: Option<u32>,
    /// Whether the material was first recorded from a legacy RSAES_PKCS1_V1_5 unwrap and has
    /// not been imported again through another algorithm since.
    pub(super) legacy_wrapping: bool,
    pub(super) material: Option<KeyMaterial>,
    pub(super) expiration: Option<Expiration>,
    pub(super) material_state: KeyMaterialState,
    pub(super) description: Option<String>,
    pub(super) rotation_date: Option<OffsetDateTime>,
    pub(super) rotation_type: Option<RotationType>,
}

impl MaterialRecord {
    /// The `KeyMaterialId`.
    pub fn id(&self) -> KeyMaterialId {
        self.id
    }

    /// The version of the [`CommitmentKey`](crate::CommitmentKey) the id was made with;
    /// `None` for an id keyed with the KMS key id alone.
    pub fn commitment_version(&self) -> Option<u32> {
        self.commitment_version
    }

    /// Whether the material was first recorded from a legacy RSAES_PKCS1_V1_5 unwrap and not
    /// imported again since through another wrapping algorithm. PKCS#1 v1.5 unwrapping uses
    /// implicit rejection: a corrupted blob yields pseudo-random bytes, and about 1 in 250
    /// corrupted RSA-2048 blobs yields exactly 32, which a SYMMETRIC_DEFAULT key without
    /// material takes as its first material. An embedder that allows the legacy algorithm
    /// should not trust such material until a use of the key has shown that the client holds
    /// the same bytes.
    pub fn legacy_wrapping(&self) -> bool {
        self.legacy_wrapping
    }

    /// The bytes, or `None` while the material is deleted or expired.
    pub fn material(&self) -> Option<&KeyMaterial> {
        self.material.as_ref()
    }

    /// The expiration of the last import; `None` while the material is absent.
    pub fn expiration(&self) -> Option<Expiration> {
        self.expiration
    }

    /// CURRENT, NON_CURRENT or PENDING_ROTATION.
    pub fn material_state(&self) -> KeyMaterialState {
        self.material_state
    }

    /// The description given at import, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// When the material was rotated in (became CURRENT through RotateKeyOnDemand); `None`
    /// for the first material of a key and for material pending rotation.
    pub fn rotation_date(&self) -> Option<OffsetDateTime> {
        self.rotation_date
    }

    /// How the material was rotated in (ON_DEMAND); `None` exactly when
    /// [`MaterialRecord::rotation_date`] is.
    pub fn rotation_type(&self) -> Option<RotationType> {
        self.rotation_type
    }

    /// IMPORTED while the bytes are present, PENDING_IMPORT once deleted or expired.
    pub fn import_state(&self) -> ImportState {
        if self.material.is_some() {
            ImportState::Imported
        } else {
            ImportState::PendingImport
        }
    }

    /// Whether the material is permanently associated with its key (CURRENT or NON_CURRENT):
    /// the key is usable only while every such material is present.
    pub fn is_permanently_associated(&self) -> bool {
        matches!(
            self.material_state,
            KeyMaterialState::Current | KeyMaterialState::NonCurrent
        )
    }

    pub(super) fn is_present_at(&self, now: Option<OffsetDateTime>) -> bool {
        self.material.is_some()
            && !now.is_some_and(|now| self.expiration.is_some_and(|e| e.is_expired_at(now)))
    }
}

/// The ImportKeyMaterial parameters that concern the record, once the material itself has been
/// unwrapped and checked against the key spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaterialImport {
    /// The expiration, from [`Expiration::from_request`].
    pub expiration: Expiration,
    /// `ImportType`; `None` means NEW_KEY_MATERIAL before the first import and
    /// EXISTING_KEY_MATERIAL after it.
    pub import_type: Option<ImportType>,
    /// `KeyMaterialId`, naming the existing material being re-imported.
    pub key_material_id: Option<KeyMaterialId>,
    /// `KeyMaterialDescription`: up to 256 characters of `[a-zA-Z0-9:/_.-]` and ASCII
    /// whitespace.
    pub description: Option<String>,
    /// What an import into a Disabled key does.
    pub disabled_import_policy: DisabledImportPolicy,
}

impl KeyRecord {
    /// The CURRENT material of any key spec, present or not.
    pub fn current_material(&self) -> Option<&MaterialRecord> {
        self.materials
            .iter()
            .find(|m| m.material_state == KeyMaterialState::Current)
    }

    /// Every material ever associated with the key and not forgotten, in the order they were
    /// associated: the first import, then each material rotated in, then the one pending
    /// rotation (if any). Material pending rotation is forgotten when deleted or expired.
    pub fn materials(&self) -> &[MaterialRecord] {
        &self.materials
    }

    /// The permanently associated material (CURRENT or NON_CURRENT) with this
    /// `KeyMaterialId`, present or not: what Decrypt looks up for a ciphertext made under any
    /// material the key has held. Material pending rotation is never returned, since no
    /// ciphertext can have been made under it. The caller still checks the key with
    /// [`KeyRecord::check_usable`] and the material's presence.
    pub fn material_by_id(&self, id: &KeyMaterialId) -> Option<&MaterialRecord> {
        self.permanent_materials().find(|m| m.id.ct_eq(id))
    }

    /// The material waiting in PENDING_ROTATION, if any.
    pub fn pending_material(&self) -> Option<&MaterialRecord> {
        self.materials
            .iter()
            .find(|m| m.material_state == KeyMaterialState::PendingRotation)
    }

    pub(super) fn permanent_materials(&self) -> impl Iterator<Item = &MaterialRecord> {
        self.materials
            .iter()
            .filter(|m| m.is_permanently_associated())
    }

    /// Whether every permanently associated material is present (and there is one); always
    /// true for keys of other origins than EXTERNAL.
    pub fn material_complete(&self) -> bool {
        complete(self.origin, &self.materials, None)
    }

    /// ImportKeyMaterial, once the material has been unwrapped and checked against the key
    /// spec: records `material` with its expiration and moves the key state. Material arrives
    /// only as a [`CheckedMaterial`], made by validation for a key spec; one checked for another
    /// spec than this key's is `IncorrectKeyMaterialException`.
    ///
    /// Which material it is:
    /// - an omitted `import_type` means NEW before the first import and EXISTING after it;
    /// - NEW on a key without material makes it the CURRENT material; on a (symmetric) key
    ///   with material it waits in PENDING_ROTATION;
    /// - EXISTING re-imports a material already associated with the key (its id is derived
    ///   from the key id and the bytes and compared in constant time), replacing its expiration.
    ///
    /// Errors, in this order:
    /// - `ValidationException`: NEW together with a `KeyMaterialId`, a bad description, or an
    ///   expiration already past at `now`;
    /// - the key-state table's errors (origin not EXTERNAL: UnsupportedOperationException;
    ///   pending deletion, …: KMSInvalidStateException);
    /// - `UnsupportedOperationException`: an `ImportType` for an asymmetric or HMAC key;
    /// - `IncorrectKeyMaterialException`: a `KeyMaterialId` that is not this material's, or
    ///   EXISTING material that is not associated with the key, or NEW material that already is;
    /// - `KMSInvalidStateException`: NEW while another material is pending rotation.
    ///
    /// Returns the material's id.
    pub fn import_material(
        &mut self,
        material: CheckedMaterial,
        request: MaterialImport,
        now: OffsetDateTime,
    ) -> Result<KeyMaterialId, Error> {
        let commitment =
            MaterialCommitment::unkeyed(&self.key_id().to_string(), material.material());
        self.import_committed_material(material, &commitment, request, false, now)
    }

    /// As [`KeyRecord::import_material`], with the material's commitment made by the caller
    /// (ImportKeyMaterial makes it with the service's commitment keys): new material gets
    /// `commitment.id()` and its version; a material the key holds is recognised by its id
    /// under that material's own version, and keeps that id. `KMSInternalException` when the
    /// commitment lacks the id under a version the record holds. `legacy_wrapping` says the
    /// material came from a RSAES_PKCS1_V1_5 unwrap (see [`MaterialRecord::legacy_wrapping`]).
    pub fn import_committed_material(
        &mut self,
        material: CheckedMaterial,
        commitment: &MaterialCommitment,
        request: MaterialImport,
        legacy_wrapping: bool,
        now: OffsetDateTime,
    ) -> Result<KeyMaterialId, Error> {
        if request.import_type == Some(ImportType::NewKeyMaterial)
            && request.key_material_id.is_some()
        {
            return Err(Error::Validation(
                "KeyMaterialId must not be set when ImportType is NEW_KEY_MATERIAL".to_owned(),
            ));
        }
        if let Some(description) = &request.description {
            check_material_description(description)?;
        }
        if request.expiration.is_expired_at(now) {
            return Err(Error::Validation(VALID_TO_NOT_FUTURE_MESSAGE.to_owned()));
        }
        self.expire_materials(now);
        let input = self
            .input(true)
            .with_disabled_import_policy(request.disabled_import_policy);
        outcome(self.key_state, KeyOperation::ImportKeyMaterial, &input).into_result(&self.arn)?;
        if request.import_type.is_some() && !self.key_spec.is_symmetric() {
            return Err(Error::UnsupportedOperation(format!(
                "ImportType is not supported for KeySpec {}.",
                self.key_spec
            )));
        }

        if material.key_spec() != self.key_spec {
            return Err(incorrect_material());
        }
        let material = material.into_material();
        let mut existing = None;
        for (i, m) in self.materials.iter().enumerate() {
            let mine = commitment
                .id_under(m.commitment_version)
                .ok_or(Error::Internal)?;
            if mine.ct_eq(&m.id) {
                existing = Some(i);
            }
        }
        // A material the key holds keeps its id (made under its own version).
        let id = existing
            .and_then(|i| self.materials.get(i))
            .map_or(commitment.id(), |m| m.id);
        if let Some(given) = request.key_material_id {
            let named = existing
                .and_then(|i| self.materials.get(i))
                .is_some_and(|m| m.id.ct_eq(&given));
            if !named {
                return Err(incorrect_material());
            }
        }
        let import_type = request.import_type.unwrap_or(if self.materials.is_empty() {
            ImportType::NewKeyMaterial
        } else {
            ImportType::ExistingKeyMaterial
        });
        let mut materials = self.materials.clone();
        let entry = MaterialRecord {
            id,
            commitment_version: commitment.version(),
            legacy_wrapping,
            material: Some(material),
            expiration: Some(request.expiration),
            material_state: KeyMaterialState::Current,
            description: request.description,
            rotation_date: None,
            rotation_type: None,
        };
        match (import_type, existing) {
            (ImportType::ExistingKeyMaterial, Some(i)) => {
                let slot = materials.get_mut(i).ok_or(Error::Internal)?;
                slot.material = entry.material;
                slot.expiration = entry.expiration;
                slot.legacy_wrapping &= legacy_wrapping;
                if entry.description.is_some() {
                    slot.description = entry.description;
                }
            }
            (ImportType::ExistingKeyMaterial, None) | (ImportType::NewKeyMaterial, Some(_)) => {
                return Err(incorrect_material());
            }
            (ImportType::NewKeyMaterial, None) if materials.is_empty() => materials.push(entry),
            (ImportType::NewKeyMaterial, None) => {
                if let Some(pending) = materials.iter().find(|m| !m.is_permanently_associated()) {
                    return Err(Error::InvalidState(format!(
                        "New key material (id: {id}) cannot be imported into KMS key {}, \
                         because another key material (id: {}) is pending rotation.",
                        self.arn, pending.id
                    )));
                }
                materials.push(MaterialRecord {
                    material_state: KeyMaterialState::PendingRotation,
                    ..entry
                });
            }
        }

        let input = self
            .input(complete(self.origin, &materials, None))
            .with_disabled_import_policy(request.disabled_import_policy);
        let next = outcome(self.key_state, KeyOperation::ImportKeyMaterial, &input)
            .into_result(&self.arn)?;
        self.materials = materials;
        self.touch();
        self.set_state(next);
        Ok(id)
    }

    /// DeleteImportedKeyMaterial: drops the bytes of the material `key_material_id` (default:
    /// the CURRENT one) and moves the key state per the table. A permanently associated
    /// material keeps its id for re-import; one pending rotation is forgotten. Returns the id
    /// of the material deleted, `None` when the key never had material.
    ///
    /// Errors: the key-state table's (origin not EXTERNAL, creating, updating, …);
    /// `NotFoundException` for a `KeyMaterialId` not associated with the key.
    pub fn delete_material(
        &mut self,
        key_material_id: Option<KeyMaterialId>,
        now: OffsetDateTime,
    ) -> Applied<Option<KeyMaterialId>> {
        Applied::track(self, |r| r.delete_material_steps(key_material_id, now))
    }

    fn delete_material_steps(
        &mut self,
        key_material_id: Option<KeyMaterialId>,
        now: OffsetDateTime,
    ) -> Result<Option<KeyMaterialId>, Error> {
        self.expire_materials(now);
        outcome(
            self.key_state,
            KeyOperation::DeleteImportedKeyMaterial,
            &self.input(true),
        )
        .into_result(&self.arn)?;
        let index = match key_material_id {
            Some(wanted) => Some(
                self.materials
                    .iter()
                    .position(|m| m.id.ct_eq(&wanted))
                    .ok_or_else(|| {
                        Error::NotFound(format!(
                            "Key material {wanted} is not associated with {}",
                            self.arn
                        ))
                    })?,
            ),
            None => self
                .materials
                .iter()
                .position(|m| m.material_state == KeyMaterialState::Current),
        };
        let Some(index) = index else {
            return Ok(None);
        };
        let mut materials = self.materials.clone();
        let slot = materials.get_mut(index).ok_or(Error::Internal)?;
        let id = slot.id;
        if slot.material.is_none() {
            return Ok(Some(id));
        }
        slot.material = None;
        slot.expiration = None;
        materials.retain(|m| m.material.is_some() || m.is_permanently_associated());
        let next = outcome(
            self.key_state,
            KeyOperation::DeleteImportedKeyMaterial,
            &self.input(complete(self.origin, &materials, None)),
        )
        .into_result(&self.arn)?;
        self.materials = materials;
        self.touch();
        self.set_state(next);
        Ok(Some(id))
    }
}

/// Whether every permanently associated material in `materials` is present (at `now`, when
/// given) and there is at least one; always true for keys of origins other than EXTERNAL.
pub(super) fn complete(
    origin: Origin,
    materials: &[MaterialRecord],
    now: Option<OffsetDateTime>,
) -> bool {
    if origin != Origin::External {
        return true;
    }
    let mut permanent = materials.iter().filter(|m| m.is_permanently_associated());
    let mut any = false;
    let all = permanent.all(|m| {
        any = true;
        m.is_present_at(now)
    });
    any && all
}

fn incorrect_material() -> Error {
    Error::IncorrectKeyMaterial(
        "The key material does not match the key material associated with this KMS key, or \
         is not valid for this import type."
            .to_owned(),
    )
}
