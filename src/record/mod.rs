//! The key record: what a service stores per KMS key (the metadata DescribeKey shows, the key
//! state, the imported materials and their commitments) and the mutations that keep it
//! consistent with the key-state table of [`crate::state`].
//!
//! A symmetric key may hold several materials: the first one imported, each one rotated in by
//! [`KeyRecord::rotate_key_on_demand`] (these are *permanently associated*: the key is usable
//! only while all of them are present), and at most one imported with NEW_KEY_MATERIAL that
//! waits in PENDING_ROTATION. [`KeyRecord::material_by_id`] finds the material a ciphertext
//! names; [`KeyRecord::list_key_rotations`] is ListKeyRotations.
//!
//! Every method that depends on time takes `now` and first applies the expiry that is due, so a
//! record never acts on expired material. Every change bumps [`KeyRecord::revision`], so that
//! an embedder can store records with compare-and-swap; a call that changes nothing leaves it
//! alone. The operations (enable, disable, deletion, material deletion, rotation) return an
//! [`Applied`](crate::store::Applied) that says whether the record changed, failures included.
//! The read path, [`KeyRecord::describe`], computes DescribeKey's metadata at `now` without
//! changing the record, so it never shows a `ValidTo` that has passed.
//!
//! A record holds key material, so it is stored only sealed under a storage key: with the
//! `serde` feature, `KeyRecord::seal` and `KeyRecord::open_sealed` (format in
//! [`storage`]). Loading checks the invariants and fails with a typed [`StorageError`].
//!
//! The code is split by concern: this file holds the record and its accessors; `materials`
//! the set of materials and the record side of ImportKeyMaterial and
//! DeleteImportedKeyMaterial; `describe` the read path; `lifecycle` the state at a time, enable, disable, deletion and
//! expiry; `rotation` RotateKeyOnDemand and ListKeyRotations; `invariants` the checked
//! invariants ([`Invariant`]); [`storage`] the storage keys and the sealed, versioned form.

use time::OffsetDateTime;

use crate::error::Error;
use crate::key_id::{AccountId, KeyArn, KeyContext, KeyId};
use crate::material::KeyMaterialId;
use crate::names::{ExpirationModel, KeyManager, KeySpec, KeyState, KeyUsage, Origin};
use crate::state::{Outcome, TransitionInput};
use crate::token::{TokenClaims, UsedTokens};

mod describe;
mod invariants;
mod lifecycle;
mod materials;
mod rotation;
pub(crate) mod storage;
#[cfg(test)]
mod tests;

pub use describe::KeyDescription;
pub use invariants::Invariant;
pub use lifecycle::{DEFAULT_PENDING_WINDOW_DAYS, ExpiryOutcome};
pub use materials::{MaterialImport, MaterialRecord};
pub use rotation::{KeyMaterialEntry, MAX_ON_DEMAND_ROTATIONS, RotationOutcome};
#[cfg(feature = "serde")]
pub use storage::sealed_revision;
pub use storage::{StorageError, StorageKey, StorageKeyId, StorageKeys};

/// Longest key description CreateKey accepts, in characters.
pub(crate) const MAX_KEY_DESCRIPTION_LEN: usize = 8192;

/// The CreateKey parameters a record is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateKeyParams {
    /// The key spec.
    pub key_spec: KeySpec,
    /// The key usage; `None` takes [`KeySpec::default_key_usage`], which asymmetric specs lack.
    pub key_usage: Option<KeyUsage>,
    /// The origin; EXTERNAL keys start in PendingImport without material.
    pub origin: Origin,
    /// The description (up to 8192 characters).
    pub description: Option<String>,
}

/// A KMS key as the service stores it. Fields are private; mutations go through methods that
/// keep the invariants listed on [`KeyRecord::check_invariants`].
#[derive(Debug, Clone)]
pub struct KeyRecord {
    arn: KeyArn,
    creation_date: OffsetDateTime,
    key_state: KeyState,
    origin: Origin,
    key_spec: KeySpec,
    key_usage: KeyUsage,
    description: String,
    deletion_date: Option<OffsetDateTime>,
    materials: Vec<MaterialRecord>,
    used_tokens: UsedTokens,
    revision: u64,
}
impl KeyRecord {
    /// CreateKey: a new record for `key_id` in `ctx`, created at `now`, revision 0.
    ///
    /// An EXTERNAL key starts in PendingImport with no material; a key of any other origin
    /// starts Enabled (its material is not this crate's business).
    ///
    /// Errors, in this order:
    /// - a description over 8192 characters, a missing key usage for a spec without default,
    ///   or a usage the spec does not allow: `ValidationException`;
    /// - a multi-Region key id, or origin EXTERNAL with a spec that cannot take imported
    ///   material (SM2, ML-DSA, Ed25519): `UnsupportedOperationException`.
    pub fn create(
        ctx: &KeyContext,
        key_id: KeyId,
        params: CreateKeyParams,
        now: OffsetDateTime,
    ) -> Result<KeyRecord, Error> {
        let CreateKeyParams {
            key_spec,
            key_usage,
            origin,
            description,
        } = params;
        let description = description.unwrap_or_default();
        if description.chars().count() > MAX_KEY_DESCRIPTION_LEN {
            return Err(Error::invalid_length(
                "description",
                0,
                MAX_KEY_DESCRIPTION_LEN,
            ));
        }
        let key_usage = key_usage
            .or(key_spec.default_key_usage())
            .ok_or_else(|| Error::missing_member("keyUsage"))?;
        if !key_spec.allowed_key_usages().contains(&key_usage) {
            return Err(Error::Validation(format!(
                "KeyUsage {key_usage} is not compatible with KeySpec {key_spec}"
            )));
        }
        if key_id.is_multi_region() {
            return Err(Error::UnsupportedOperation(
                "Multi-Region keys are not supported.".to_owned(),
            ));
        }
        if origin == Origin::External && !key_spec.is_importable() {
            return Err(Error::UnsupportedOperation(format!(
                "KeySpec {key_spec} does not support origin EXTERNAL."
            )));
        }
        Ok(KeyRecord {
            arn: ctx.arn_for(&key_id),
            creation_date: now,
            key_state: if origin == Origin::External {
                KeyState::PendingImport
            } else {
                KeyState::Enabled
            },
            origin,
            key_spec,
            key_usage,
            description,
            deletion_date: None,
            materials: Vec::new(),
            used_tokens: UsedTokens::default(),
            revision: 0,
        })
    }

    /// `KeyId`.
    pub fn key_id(&self) -> KeyId {
        self.arn.key_id()
    }

    /// `Arn`.
    pub fn arn(&self) -> &KeyArn {
        &self.arn
    }

    /// `AWSAccountId`.
    pub fn account_id(&self) -> &AccountId {
        self.arn.account()
    }

    /// `CreationDate`.
    pub fn creation_date(&self) -> OffsetDateTime {
        self.creation_date
    }

    /// `KeyState` as stored. Use [`KeyRecord::state_at`] to see expiry that is due but not yet
    /// applied.
    pub fn key_state(&self) -> KeyState {
        self.key_state
    }

    /// `Enabled` at `now`: true exactly when the key's state at `now` is Enabled (material
    /// whose `ValidTo` has passed counts as expired, applied or not).
    pub fn enabled(&self, now: OffsetDateTime) -> bool {
        self.state_at(now) == KeyState::Enabled
    }

    /// `Origin`.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Whether the key takes imported material (origin EXTERNAL). Keys of other origins hold
    /// material this crate never sees.
    pub fn imports_material(&self) -> bool {
        self.origin == Origin::External
    }

    /// `KeySpec`.
    pub fn key_spec(&self) -> KeySpec {
        self.key_spec
    }

    /// `KeyUsage`.
    pub fn key_usage(&self) -> KeyUsage {
        self.key_usage
    }

    /// `KeyManager`: always CUSTOMER.
    pub fn key_manager(&self) -> KeyManager {
        KeyManager::Customer
    }

    /// `Description` (empty when none was given).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// `DeletionDate`, while the key is pending deletion.
    pub fn deletion_date(&self) -> Option<OffsetDateTime> {
        self.deletion_date
    }

    /// Whether the key is pending deletion and its deletion date has come: the embedder then
    /// deletes the record.
    pub fn deletion_due(&self, now: OffsetDateTime) -> bool {
        self.deletion_date.is_some_and(|d| d <= now)
    }

    /// `MultiRegion`: always false (multi-Region keys are refused at creation).
    pub fn multi_region(&self) -> bool {
        false
    }

    /// `ExpirationModel` at `now`: present only while the key holds all its permanently
    /// associated material at `now`; KEY_MATERIAL_EXPIRES when any of it expires.
    pub fn expiration_model(&self, now: OffsetDateTime) -> Option<ExpirationModel> {
        if !self.imports_material() || !materials::complete(self.origin, &self.materials, Some(now))
        {
            return None;
        }
        Some(if self.valid_to(now).is_some() {
            ExpirationModel::KeyMaterialExpires
        } else {
            ExpirationModel::KeyMaterialDoesNotExpire
        })
    }

    /// `ValidTo` at `now`: the earliest `valid_to` among the permanently associated materials,
    /// while the key holds all of them at `now` (so never a `ValidTo` that has passed).
    pub fn valid_to(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        if !materials::complete(self.origin, &self.materials, Some(now)) {
            return None;
        }
        self.permanent_materials()
            .filter_map(|m| m.expiration.and_then(|e| e.valid_to()))
            .min()
    }

    /// `CurrentKeyMaterialId`: for SYMMETRIC_DEFAULT keys, once material has been imported
    /// (it survives deletion and expiry).
    pub fn current_key_material_id(&self) -> Option<KeyMaterialId> {
        if !self.key_spec.is_symmetric() {
            return None;
        }
        self.current_material().map(MaterialRecord::id)
    }

    /// The compare-and-swap counter: bumped by every change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// UnsupportedOperationException for an operation this crate offers only for EXTERNAL keys.
    pub(super) fn unsupported_origin(&self) -> Error {
        match Outcome::UnsupportedOrigin(self.origin).into_result(&self.arn) {
            Err(e) => e,
            Ok(_) => Error::Internal,
        }
    }

    /// Moves the revision on; past [`storage::MAX_REVISION`] it starts again at 0, so that it
    /// always fits a signed 64-bit column.
    pub(super) fn touch(&mut self) {
        self.revision = if self.revision >= storage::MAX_REVISION {
            0
        } else {
            self.revision + 1
        };
    }

    /// The import tokens recently used up by successful imports into this key (spec: a failed
    /// import leaves its token usable, a successful one consumes it).
    pub fn used_tokens(&self) -> &UsedTokens {
        &self.used_tokens
    }

    /// Whether a successful import has already used up the token with these claims.
    pub fn token_consumed(&self, claims: &TokenClaims) -> bool {
        self.used_tokens.is_consumed(claims)
    }

    /// Records that a successful import used up the token with these claims; an already
    /// consumed token is `InvalidImportTokenException`.
    pub(crate) fn consume_token(
        &mut self,
        claims: &TokenClaims,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        self.used_tokens.consume(claims, now)?;
        self.touch();
        Ok(())
    }

    pub(super) fn input(&self, complete: bool) -> TransitionInput {
        TransitionInput::new(self.origin, complete)
    }
}
