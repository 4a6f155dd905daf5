//! The read path: DescribeKey's view of a record at a given time.

use time::OffsetDateTime;

use super::KeyRecord;
use crate::key_id::{AccountId, KeyArn, KeyId};
use crate::material::KeyMaterialId;
use crate::names::{ExpirationModel, KeyManager, KeySpec, KeyState, KeyUsage, Origin};

/// The `KeyMetadata` DescribeKey (and CreateKey, ListKeys' callers, …) returns, computed from
/// a record at `now`: material whose `ValidTo` has passed counts as expired whether or not the
/// expiry has been applied, so the view never shows stale state.
///
/// The algorithm lists (`EncryptionAlgorithms`, `SigningAlgorithms`, `MacAlgorithms`,
/// `KeyAgreementAlgorithms`) depend on what the service implements for each key spec and are
/// the service's to add.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyDescription {
    /// `AWSAccountId`.
    pub aws_account_id: AccountId,
    /// `KeyId`.
    pub key_id: KeyId,
    /// `Arn`.
    pub arn: KeyArn,
    /// `CreationDate`.
    pub creation_date: OffsetDateTime,
    /// `Enabled`: the state at `now` is Enabled.
    pub enabled: bool,
    /// `Description` (empty when none was given).
    pub description: String,
    /// `KeyUsage`.
    pub key_usage: KeyUsage,
    /// `KeyState` at `now`.
    pub key_state: KeyState,
    /// `DeletionDate`, while the key is pending deletion.
    pub deletion_date: Option<OffsetDateTime>,
    /// `ValidTo`, while the key holds all its material and some of it expires.
    pub valid_to: Option<OffsetDateTime>,
    /// `Origin`.
    pub origin: Origin,
    /// `ExpirationModel`, while an EXTERNAL key holds all its material.
    pub expiration_model: Option<ExpirationModel>,
    /// `KeyManager`: CUSTOMER.
    pub key_manager: KeyManager,
    /// `KeySpec`.
    pub key_spec: KeySpec,
    /// `MultiRegion`: false.
    pub multi_region: bool,
    /// `CurrentKeyMaterialId`, for symmetric keys once material has been imported.
    pub current_key_material_id: Option<KeyMaterialId>,
    /// `PendingDeletionWindowInDays`: only for multi-Region replicas, so always `None` here.
    pub pending_deletion_window_in_days: Option<u32>,
}

impl KeyRecord {
    /// DescribeKey's view of the record at `now`. Reads only: due expiry shows in the view
    /// without being applied (the record's revision does not move).
    pub fn describe(&self, now: OffsetDateTime) -> KeyDescription {
        let key_state = self.state_at(now);
        KeyDescription {
            aws_account_id: self.account_id().clone(),
            key_id: self.key_id(),
            arn: self.arn.clone(),
            creation_date: self.creation_date,
            enabled: key_state == KeyState::Enabled,
            description: self.description.clone(),
            key_usage: self.key_usage,
            key_state,
            deletion_date: self.deletion_date,
            valid_to: self.valid_to(now),
            origin: self.origin,
            expiration_model: self.expiration_model(now),
            key_manager: self.key_manager(),
            key_spec: self.key_spec,
            multi_region: self.multi_region(),
            current_key_material_id: self.current_key_material_id(),
            pending_deletion_window_in_days: None,
        }
    }
}
