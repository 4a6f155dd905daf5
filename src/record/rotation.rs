//! On-demand rotation of imported key material: RotateKeyOnDemand, what it reports, and the
//! entries ListKeyRotations lists (paginated by [`crate::page::paginate`]).

use time::OffsetDateTime;

use super::KeyRecord;
use crate::error::Error;
use crate::material::KeyMaterialId;
use crate::names::{
    ExpirationModel, ImportState, IncludeKeyMaterial, KeyMaterialState, RotationType,
};
use crate::state::{KeyOperation, outcome};
use crate::store::Applied;

/// How many on-demand rotations one key may ever have; the next RotateKeyOnDemand is
/// `LimitExceededException`. AWS documents this quota as fixed (not adjustable).
pub const MAX_ON_DEMAND_ROTATIONS: usize = 25;

/// What a successful RotateKeyOnDemand did. AWS completes the rotation asynchronously; this
/// crate completes it within the call, so the record already shows the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationOutcome {
    /// The material that was CURRENT and is now NON_CURRENT (decrypt only).
    pub previous_key_material_id: KeyMaterialId,
    /// The material that was pending rotation and is now CURRENT (the new
    /// `CurrentKeyMaterialId`).
    pub current_key_material_id: KeyMaterialId,
    /// When the rotation happened: the `now` of the call.
    pub rotation_date: OffsetDateTime,
    /// On-demand rotations of the key so far, this one included (at most
    /// [`MAX_ON_DEMAND_ROTATIONS`]).
    pub on_demand_rotations: usize,
}

/// One key material as ListKeyRotations shows it (AWS's `RotationsListEntry`, without the
/// key id, which the caller knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMaterialEntry {
    /// `KeyMaterialId`.
    pub key_material_id: KeyMaterialId,
    /// `KeyMaterialDescription`, when the import gave one.
    pub key_material_description: Option<String>,
    /// `ImportState`: IMPORTED, or PENDING_IMPORT once deleted or expired.
    pub import_state: ImportState,
    /// `KeyMaterialState`: CURRENT, NON_CURRENT or PENDING_ROTATION.
    pub key_material_state: KeyMaterialState,
    /// `ExpirationModel` of the material's last import, while it is imported.
    pub expiration_model: Option<ExpirationModel>,
    /// `ValidTo`, while the material is imported under KEY_MATERIAL_EXPIRES.
    pub valid_to: Option<OffsetDateTime>,
    /// `RotationDate`: absent for the first material and for material pending rotation.
    pub rotation_date: Option<OffsetDateTime>,
    /// `RotationType` (always ON_DEMAND for imported material): absent when `rotation_date`
    /// is.
    pub rotation_type: Option<RotationType>,
}

/// KMSInvalidStateException for RotateKeyOnDemand on a key with no material pending rotation,
/// in the wording AWS returned (recorded 2025-11).
pub(crate) fn nothing_pending(arn: &impl std::fmt::Display) -> Error {
    Error::InvalidState(format!(
        "No available key material pending rotation for the key: {arn}."
    ))
}

/// LimitExceededException for the on-demand rotation after the
/// [`MAX_ON_DEMAND_ROTATIONS`]th, in the wording AWS returned (recorded 2025-04).
pub(crate) fn rotation_limit_reached(arn: &impl std::fmt::Display) -> Error {
    Error::LimitExceeded(format!(
        "The on-demand rotations limit has been reached for the given keyId. No more \
         on-demand rotations can be performed for this key: {arn}"
    ))
}

/// UnsupportedOperationException for on-demand rotation of a key whose spec is not
/// SYMMETRIC_DEFAULT. AWS's answer for an RSA key carried no message text (recorded
/// 2025-03); the crate sends an empty one.
pub(crate) fn rotation_unsupported_for_key_spec() -> Error {
    Error::UnsupportedOperation(String::new())
}

impl KeyRecord {
    /// How many on-demand rotations the key has had (at most
    /// [`MAX_ON_DEMAND_ROTATIONS`]).
    pub fn on_demand_rotations(&self) -> usize {
        self.materials
            .iter()
            .filter(|m| m.rotation_type == Some(RotationType::OnDemand))
            .count()
    }

    /// RotateKeyOnDemand for a key with imported material: the material pending rotation
    /// becomes CURRENT (recorded with rotation date `now`, type ON_DEMAND) and the previous
    /// CURRENT material becomes NON_CURRENT, kept for decryption. Both are then permanently
    /// associated: the key is usable only while both are present. The key state does not
    /// change. AWS completes a rotation asynchronously; here it is done when the call returns.
    ///
    /// Due expiry is applied first, so expired pending material no longer counts and expired
    /// permanent material leaves the key pending import.
    ///
    /// Errors, in this order (AWS checks the state before the key spec):
    /// - the key-state table's ([`KeyOperation::RotateKeyOnDemand`]): `KMSInvalidStateException`
    ///   `<arn> is pending import.` (or pending deletion, creating, updating, unavailable);
    ///   `DisabledException` `<arn> is disabled.`;
    /// - `UnsupportedOperationException` for a key spec other than SYMMETRIC_DEFAULT (with the
    ///   empty message AWS sends), then for an origin other than EXTERNAL: on-demand rotation
    ///   of material the service generates itself is outside this crate;
    /// - `KMSInvalidStateException` `No available key material pending rotation for the key:
    ///   <arn>.` when nothing is pending rotation;
    /// - `LimitExceededException` when the key has had [`MAX_ON_DEMAND_ROTATIONS`] on-demand
    ///   rotations already.
    pub fn rotate_key_on_demand(&mut self, now: OffsetDateTime) -> Applied<RotationOutcome> {
        Applied::track(self, |r| r.rotate_key_on_demand_steps(now))
    }

    fn rotate_key_on_demand_steps(
        &mut self,
        now: OffsetDateTime,
    ) -> Result<RotationOutcome, Error> {
        self.expire_materials(now);
        outcome(
            self.key_state,
            KeyOperation::RotateKeyOnDemand,
            &self.input(self.material_complete()),
        )
        .into_result(&self.arn)?;
        if !self.key_spec.is_symmetric() {
            return Err(rotation_unsupported_for_key_spec());
        }
        if !self.imports_material() {
            return Err(self.unsupported_origin());
        }
        let pending = self
            .materials
            .iter()
            .position(|m| m.material_state == KeyMaterialState::PendingRotation)
            .ok_or_else(|| nothing_pending(&self.arn))?;
        let rotations = self.on_demand_rotations();
        if rotations >= MAX_ON_DEMAND_ROTATIONS {
            return Err(rotation_limit_reached(&self.arn));
        }
        let current = self
            .materials
            .iter()
            .position(|m| m.material_state == KeyMaterialState::Current)
            .ok_or(Error::Internal)?;
        let previous = {
            let slot = self.materials.get_mut(current).ok_or(Error::Internal)?;
            slot.material_state = KeyMaterialState::NonCurrent;
            slot.id
        };
        let slot = self.materials.get_mut(pending).ok_or(Error::Internal)?;
        slot.material_state = KeyMaterialState::Current;
        slot.rotation_date = Some(now);
        slot.rotation_type = Some(RotationType::OnDemand);
        let rotated_in = slot.id;
        self.touch();
        Ok(RotationOutcome {
            previous_key_material_id: previous,
            current_key_material_id: rotated_in,
            rotation_date: now,
            on_demand_rotations: rotations + 1,
        })
    }

    /// ListKeyRotations (before pagination, see [`crate::page::paginate`]): the key's
    /// materials as they stand at `now` (material whose `valid_to` has passed shows as
    /// PENDING_IMPORT; expired material pending rotation is left out), in the order they were
    /// associated, oldest first, as in AWS's documented example. `include` selects:
    /// - ROTATIONS_ONLY (AWS's default): only the materials rotated in by RotateKeyOnDemand;
    /// - ALL_KEY_MATERIAL: also the first material and the one pending rotation.
    ///
    /// The key may be in any state. Errors: `UnsupportedOperationException` for a key spec
    /// other than SYMMETRIC_DEFAULT (empty message, as for RotateKeyOnDemand), then for an
    /// origin other than EXTERNAL (this crate never holds such a key's material).
    pub fn list_key_rotations(
        &self,
        include: IncludeKeyMaterial,
        now: OffsetDateTime,
    ) -> Result<Vec<KeyMaterialEntry>, Error> {
        if !self.key_spec.is_symmetric() {
            return Err(rotation_unsupported_for_key_spec());
        }
        if !self.imports_material() {
            return Err(self.unsupported_origin());
        }
        let all = include == IncludeKeyMaterial::AllKeyMaterial;
        Ok(self
            .materials
            .iter()
            .filter(|m| m.is_permanently_associated() || m.is_present_at(Some(now)))
            .filter(|m| all || m.rotation_date.is_some())
            .map(|m| {
                let expiration = m.expiration.filter(|_| m.is_present_at(Some(now)));
                KeyMaterialEntry {
                    key_material_id: m.id,
                    key_material_description: m.description.clone(),
                    import_state: if expiration.is_some() {
                        ImportState::Imported
                    } else {
                        ImportState::PendingImport
                    },
                    key_material_state: m.material_state,
                    expiration_model: expiration.map(|e| e.model()),
                    valid_to: expiration.and_then(|e| e.valid_to()),
                    rotation_date: m.rotation_date,
                    rotation_type: m.rotation_type,
                }
            })
            .collect())
    }
}
