//! The invariants every key record keeps, and the check that loading a stored record runs.

use super::KeyRecord;
use super::rotation::MAX_ON_DEMAND_ROTATIONS;
use super::storage::{MAX_REVISION, StorageError};
use crate::material::KeyMaterialId;
use crate::names::{KeyMaterialState, KeyState};

use std::fmt;

impl KeyRecord {
    /// Checks the record's invariants and reports the first one broken. Loading a stored
    /// record runs it; property tests and fuzzing run it after every operation.
    ///
    /// - A key of an origin other than EXTERNAL has no material and is never PendingImport.
    /// - An EXTERNAL key is Enabled or Disabled only while it holds every permanently
    ///   associated material (and has at least one), and is PendingImport only while it does
    ///   not.
    /// - `DeletionDate` is set exactly in PendingDeletion and PendingReplicaDeletion.
    /// - Once a key has material, exactly one is CURRENT; at most one is pending rotation.
    /// - Association order: the first material comes first and is the only permanently
    ///   associated one without a rotation date; the CURRENT material is the last permanently
    ///   associated one; material pending rotation comes last and has no rotation date.
    /// - A material has a rotation date exactly when it has a rotation type; there are at most
    ///   [`MAX_ON_DEMAND_ROTATIONS`] on-demand rotations.
    /// - Material ids are unique, and a present material whose id is keyed with the KMS key id
    ///   alone has the id of its bytes (keyed ids need the service's commitment keys to check).
    /// - A material has an expiration exactly while its bytes are present.
    /// - The revision is at most `i64::MAX`.
    pub fn check_invariants(&self) -> Result<(), StorageError> {
        self.broken_invariant().map_or(Ok(()), |i| Err(i.into()))
    }

    fn broken_invariant(&self) -> Option<Invariant> {
        let state = self.key_state;
        if !self.imports_material() {
            if !self.materials.is_empty() {
                return Some(Invariant::ForeignOriginWithoutMaterial);
            }
            if state == KeyState::PendingImport {
                return Some(Invariant::ForeignOriginNeverPendingImport);
            }
        } else {
            let complete = self.material_complete();
            if matches!(state, KeyState::Enabled | KeyState::Disabled) && !complete {
                return Some(Invariant::UsableOnlyWithAllMaterial);
            }
            if state == KeyState::PendingImport && complete {
                return Some(Invariant::PendingImportOnlyWithMaterialMissing);
            }
        }
        let pending_deletion = matches!(
            state,
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        );
        if pending_deletion != self.deletion_date.is_some() {
            return Some(Invariant::DeletionDateExactlyWhilePendingDeletion);
        }
        let current = self
            .materials
            .iter()
            .filter(|m| m.material_state == KeyMaterialState::Current)
            .count();
        if !self.materials.is_empty() && current != 1 {
            return Some(Invariant::ExactlyOneCurrent);
        }
        let pending = self
            .materials
            .iter()
            .filter(|m| !m.is_permanently_associated())
            .count();
        if pending > 1 {
            return Some(Invariant::AtMostOnePendingRotation);
        }
        if let Some(i) = self
            .materials
            .iter()
            .position(|m| !m.is_permanently_associated())
        {
            if i + 1 != self.materials.len() {
                return Some(Invariant::PendingRotationLast);
            }
        }
        let mut permanent = self.permanent_materials();
        if let Some(first) = permanent.next() {
            if first.rotation_date.is_some() {
                return Some(Invariant::FirstMaterialNotRotated);
            }
            if permanent.any(|m| m.rotation_date.is_none()) {
                return Some(Invariant::LaterMaterialRotatedIn);
            }
        }
        if let Some(last) = self.permanent_materials().last() {
            if last.material_state != KeyMaterialState::Current {
                return Some(Invariant::LatestIsCurrent);
            }
        }
        if self.on_demand_rotations() > MAX_ON_DEMAND_ROTATIONS {
            return Some(Invariant::RotationLimit);
        }
        let key_id = self.key_id().to_string();
        for (i, m) in self.materials.iter().enumerate() {
            if self.materials.iter().skip(i + 1).any(|o| o.id == m.id) {
                return Some(Invariant::UniqueMaterialIds);
            }
            if m.material.is_some() != m.expiration.is_some() {
                return Some(Invariant::ExpirationExactlyWhilePresent);
            }
            if let (Some(bytes), None) = (&m.material, m.commitment_version) {
                if !KeyMaterialId::derive(&key_id, bytes).ct_eq(&m.id) {
                    return Some(Invariant::MaterialMatchesId);
                }
            }
            if !m.is_permanently_associated() && m.material.is_none() {
                return Some(Invariant::PendingMaterialPresent);
            }
            if m.rotation_date.is_some() != m.rotation_type.is_some() {
                return Some(Invariant::RotationDateWithType);
            }
            if !m.is_permanently_associated() && m.rotation_date.is_some() {
                return Some(Invariant::PendingMaterialNotRotated);
            }
        }
        if self.revision > MAX_REVISION {
            return Some(Invariant::RevisionInRange);
        }
        None
    }
}

/// One invariant of a [`KeyRecord`], as reported by
/// [`KeyRecord::check_invariants`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invariant {
    /// A key of an origin other than EXTERNAL holds no imported material.
    ForeignOriginWithoutMaterial,
    /// A key of an origin other than EXTERNAL is never PendingImport.
    ForeignOriginNeverPendingImport,
    /// An EXTERNAL key is Enabled or Disabled only while it holds all its permanent material.
    UsableOnlyWithAllMaterial,
    /// An EXTERNAL key is PendingImport only while some permanent material is missing.
    PendingImportOnlyWithMaterialMissing,
    /// `DeletionDate` is set exactly while the key is pending deletion.
    DeletionDateExactlyWhilePendingDeletion,
    /// Once a key has material, exactly one is CURRENT.
    ExactlyOneCurrent,
    /// At most one material is pending rotation.
    AtMostOnePendingRotation,
    /// Material pending rotation comes last.
    PendingRotationLast,
    /// The first material has no rotation date.
    FirstMaterialNotRotated,
    /// Every permanent material after the first was rotated in.
    LaterMaterialRotatedIn,
    /// The last permanent material is the CURRENT one.
    LatestIsCurrent,
    /// At most 25 on-demand rotations.
    RotationLimit,
    /// Material ids are unique.
    UniqueMaterialIds,
    /// A material has an expiration exactly while its bytes are present.
    ExpirationExactlyWhilePresent,
    /// A present material whose id is keyed with the KMS key id alone has the id of its bytes.
    MaterialMatchesId,
    /// Material pending rotation is present (it is forgotten, not kept, once gone).
    PendingMaterialPresent,
    /// A material has a rotation date exactly when it has a rotation type.
    RotationDateWithType,
    /// Material pending rotation has no rotation date.
    PendingMaterialNotRotated,
    /// The revision is at most `i64::MAX`.
    RevisionInRange,
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invariant::ForeignOriginWithoutMaterial => {
                "a key of an origin other than EXTERNAL holds no imported material"
            }
            Invariant::ForeignOriginNeverPendingImport => {
                "a key of an origin other than EXTERNAL is never PendingImport"
            }
            Invariant::UsableOnlyWithAllMaterial => {
                "an Enabled or Disabled key holds all its permanently associated material"
            }
            Invariant::PendingImportOnlyWithMaterialMissing => {
                "a PendingImport key misses some permanently associated material"
            }
            Invariant::DeletionDateExactlyWhilePendingDeletion => {
                "the deletion date is set exactly while the key is pending deletion"
            }
            Invariant::ExactlyOneCurrent => "a key with material has exactly one CURRENT",
            Invariant::AtMostOnePendingRotation => "at most one material is pending rotation",
            Invariant::PendingRotationLast => "material pending rotation comes last",
            Invariant::FirstMaterialNotRotated => "the first material has no rotation date",
            Invariant::LaterMaterialRotatedIn => {
                "every permanent material after the first was rotated in"
            }
            Invariant::LatestIsCurrent => "the latest permanent material is CURRENT",
            Invariant::RotationLimit => "at most 25 on-demand rotations",
            Invariant::UniqueMaterialIds => "material ids are unique",
            Invariant::ExpirationExactlyWhilePresent => {
                "a material has an expiration exactly while its bytes are present"
            }
            Invariant::MaterialMatchesId => {
                "a present material with an unkeyed id has the id of its bytes"
            }
            Invariant::PendingMaterialPresent => "material pending rotation is present",
            Invariant::RotationDateWithType => {
                "a material has a rotation date exactly when it has a rotation type"
            }
            Invariant::PendingMaterialNotRotated => {
                "material pending rotation has no rotation date"
            }
            Invariant::RevisionInRange => "the revision is at most i64::MAX",
        })
    }
}

impl From<Invariant> for StorageError {
    fn from(i: Invariant) -> StorageError {
        StorageError::BrokenInvariant(i)
    }
}
