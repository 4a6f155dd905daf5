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
//! alone.
//!
//! With the `serde` feature, records serialise with their key material (base64). Such a record
//! holds secrets: the embedder must encrypt and authenticate it at rest, and should run
//! [`KeyRecord::check_invariants`] after loading one.

use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::expiration::{Expiration, VALID_TO_NOT_FUTURE_MESSAGE};
use crate::key_id::{AccountId, KeyArn, KeyContext, KeyId};
use crate::material::{CheckedMaterial, KeyMaterial, KeyMaterialId};
use crate::names::{
    ExpirationModel, ImportState, ImportType, IncludeKeyMaterial, KeyManager, KeyMaterialState,
    KeySpec, KeyState, KeyUsage, Origin, RotationType,
};
use crate::rotation::{
    KeyMaterialEntry, MAX_ON_DEMAND_ROTATIONS, RotationOutcome, nothing_pending,
    rotation_limit_reached, rotation_unsupported_for_key_spec,
};
use crate::state::{DisabledImportPolicy, KeyOperation, Outcome, TransitionInput, outcome};
use crate::token::{TokenClaims, UsedTokens};

/// Longest key description CreateKey accepts, in characters.
pub(crate) const MAX_KEY_DESCRIPTION_LEN: usize = 8192;
/// Longest key-material description ImportKeyMaterial accepts, in characters.
pub(crate) const MAX_MATERIAL_DESCRIPTION_LEN: usize = 256;
/// The ScheduleKeyDeletion waiting period when the request names none, in days.
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;
/// The shortest ScheduleKeyDeletion waiting period, in days.
pub(crate) const MIN_PENDING_WINDOW_DAYS: u32 = 7;
/// The longest ScheduleKeyDeletion waiting period, in days.
pub(crate) const MAX_PENDING_WINDOW_DAYS: u32 = 30;

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

/// One key material of a key: its id (the commitment that survives deletion), the bytes while
/// they are present, and the expiration of its last import.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MaterialRecord {
    id: KeyMaterialId,
    #[cfg_attr(feature = "serde", serde(with = "material_base64"))]
    material: Option<KeyMaterial>,
    expiration: Option<Expiration>,
    material_state: KeyMaterialState,
    description: Option<String>,
    #[cfg_attr(
        feature = "serde",
        serde(default, with = "time::serde::rfc3339::option")
    )]
    rotation_date: Option<OffsetDateTime>,
    #[cfg_attr(feature = "serde", serde(default))]
    rotation_type: Option<RotationType>,
}

impl MaterialRecord {
    /// The `KeyMaterialId`.
    pub fn id(&self) -> KeyMaterialId {
        self.id
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

    fn is_present_at(&self, now: Option<OffsetDateTime>) -> bool {
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
    /// `KeyMaterialDescription`: up to 256 characters of `[a-zA-Z0-9:/_.-]` and whitespace.
    pub description: Option<String>,
    /// What an import into a Disabled key does.
    pub disabled_import_policy: DisabledImportPolicy,
}

/// What [`KeyRecord::expire_materials`] changed, for the embedder to persist and audit (each
/// id is one `DeleteExpiredKeyMaterial` event).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryOutcome {
    /// The materials whose bytes were dropped.
    pub expired: Vec<KeyMaterialId>,
    /// The key state before and after, when it changed.
    pub state_change: Option<(KeyState, KeyState)>,
}

impl ExpiryOutcome {
    /// Whether nothing expired.
    pub fn is_empty(&self) -> bool {
        self.expired.is_empty()
    }
}

/// A KMS key as the service stores it. Fields are private; mutations go through methods that
/// keep the invariants listed on [`KeyRecord::check_invariants`].
#[derive(Debug, Clone)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeyRecord {
    arn: KeyArn,
    #[cfg_attr(feature = "serde", serde(with = "time::serde::rfc3339"))]
    creation_date: OffsetDateTime,
    key_state: KeyState,
    origin: Origin,
    key_spec: KeySpec,
    key_usage: KeyUsage,
    description: String,
    #[cfg_attr(feature = "serde", serde(with = "time::serde::rfc3339::option"))]
    deletion_date: Option<OffsetDateTime>,
    materials: Vec<MaterialRecord>,
    #[cfg_attr(feature = "serde", serde(default))]
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

    /// `Enabled`: true exactly when the state is Enabled.
    pub fn enabled(&self) -> bool {
        self.key_state == KeyState::Enabled
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

    /// `ExpirationModel`: present only while the key holds all its permanently associated
    /// material; KEY_MATERIAL_EXPIRES when any of it expires.
    pub fn expiration_model(&self) -> Option<ExpirationModel> {
        if !self.imports_material() || !self.material_complete() {
            return None;
        }
        Some(if self.valid_to().is_some() {
            ExpirationModel::KeyMaterialExpires
        } else {
            ExpirationModel::KeyMaterialDoesNotExpire
        })
    }

    /// `ValidTo`: the earliest `valid_to` among the permanently associated materials, while
    /// the key holds all of them.
    pub fn valid_to(&self) -> Option<OffsetDateTime> {
        if !self.material_complete() {
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

    /// How many on-demand rotations the key has had (at most
    /// [`MAX_ON_DEMAND_ROTATIONS`]).
    pub fn on_demand_rotations(&self) -> usize {
        self.materials
            .iter()
            .filter(|m| m.rotation_type == Some(RotationType::OnDemand))
            .count()
    }

    /// The compare-and-swap counter: bumped by every change.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// UnsupportedOperationException for an operation this crate offers only for EXTERNAL keys.
    fn unsupported_origin(&self) -> Error {
        match Outcome::UnsupportedOrigin(self.origin).into_result(&self.arn) {
            Err(e) => e,
            Ok(_) => Error::Internal,
        }
    }

    fn touch(&mut self) {
        self.revision = self.revision.wrapping_add(1);
    }

    fn permanent_materials(&self) -> impl Iterator<Item = &MaterialRecord> {
        self.materials
            .iter()
            .filter(|m| m.is_permanently_associated())
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

    /// Whether every permanently associated material is present (and there is one); always
    /// true for keys of other origins than EXTERNAL.
    pub fn material_complete(&self) -> bool {
        complete(self.origin, &self.materials, None)
    }

    fn input(&self, complete: bool) -> TransitionInput {
        TransitionInput::new(self.origin, complete)
    }

    /// The state the key is in at `now`, counting material whose `valid_to` has passed as
    /// expired even if [`KeyRecord::expire_materials`] has not run yet.
    pub fn state_at(&self, now: OffsetDateTime) -> KeyState {
        let any_due = self
            .materials
            .iter()
            .any(|m| m.material.is_some() && !m.is_present_at(Some(now)));
        if !any_due {
            return self.key_state;
        }
        let complete = complete(self.origin, &self.materials, Some(now));
        match outcome(
            self.key_state,
            KeyOperation::ExpireKeyMaterial,
            &self.input(complete),
        ) {
            Outcome::Succeeds(state) => state,
            _ => self.key_state,
        }
    }

    /// Whether `op` would be allowed at `now`, without changing the record: the state it would
    /// leave the key in, or the AWS error. Meant for the read-only operations
    /// (GetParametersForImport, cryptographic use) and for checking an import's state before
    /// the costly unwrap.
    pub fn check_operation(
        &self,
        op: KeyOperation,
        now: OffsetDateTime,
    ) -> Result<KeyState, Error> {
        let complete = complete(self.origin, &self.materials, Some(now));
        outcome(self.state_at(now), op, &self.input(complete)).into_result(&self.arn)
    }

    /// Whether the key may be used for a cryptographic operation at `now`: DisabledException
    /// when Disabled, KMSInvalidStateException when pending import (including material that
    /// expired by `now`), pending deletion, creating or unavailable.
    pub fn check_usable(&self, now: OffsetDateTime) -> Result<(), Error> {
        self.check_operation(KeyOperation::CryptographicUse, now)
            .map(|_| ())
    }

    /// Applies `op` (which changes no material) after due expiry, and stores the new state.
    fn apply(&mut self, op: KeyOperation, now: OffsetDateTime) -> Result<KeyState, Error> {
        self.expire_materials(now);
        let next = outcome(self.key_state, op, &self.input(self.material_complete()))
            .into_result(&self.arn)?;
        self.set_state(next);
        Ok(next)
    }

    fn set_state(&mut self, next: KeyState) {
        if next != self.key_state {
            self.key_state = next;
            self.touch();
        }
    }

    /// EnableKey. Errors per the key-state table (pending import, pending deletion, …).
    pub fn enable(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        self.apply(KeyOperation::EnableKey, now).map(|_| ())
    }

    /// DisableKey. Errors per the key-state table.
    pub fn disable(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        self.apply(KeyOperation::DisableKey, now).map(|_| ())
    }

    /// ScheduleKeyDeletion with `PendingWindowInDays` (default 30): the key becomes
    /// PendingDeletion and its `DeletionDate` is `now` + the window, which is returned.
    ///
    /// Errors: a window outside 7..=30 is `ValidationException` (checked first); the
    /// key-state table's errors otherwise (`… is pending deletion.` when already scheduled).
    pub fn schedule_deletion(
        &mut self,
        now: OffsetDateTime,
        pending_window_days: Option<u32>,
    ) -> Result<OffsetDateTime, Error> {
        let days = pending_window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        let bound = if days < MIN_PENDING_WINDOW_DAYS {
            Some(format!(
                "greater than or equal to {MIN_PENDING_WINDOW_DAYS}"
            ))
        } else if days > MAX_PENDING_WINDOW_DAYS {
            Some(format!("less than or equal to {MAX_PENDING_WINDOW_DAYS}"))
        } else {
            None
        };
        if let Some(bound) = bound {
            return Err(Error::Validation(format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed \
                 to satisfy constraint: Member must have value {bound}"
            )));
        }
        let deletion_date = now
            .checked_add(Duration::days(i64::from(days)))
            .ok_or(Error::Internal)?;
        self.apply(KeyOperation::ScheduleKeyDeletion, now)?;
        self.deletion_date = Some(deletion_date);
        self.touch();
        Ok(deletion_date)
    }

    /// CancelKeyDeletion: the key becomes Disabled, or PendingImport when any permanently
    /// associated material is missing (never imported, or deleted or expired meanwhile).
    /// `KMSInvalidStateException` `… is not pending deletion.` otherwise.
    pub fn cancel_deletion(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        self.apply(KeyOperation::CancelKeyDeletion, now)?;
        self.deletion_date = None;
        self.touch();
        Ok(())
    }

    /// Drops the bytes of every material whose `valid_to` is at or before `now` (they are
    /// zeroized; the id stays, so the same material can be imported again) and moves the
    /// state per the table: an Enabled or Disabled key that lost permanently associated
    /// material becomes PendingImport; other states stay. Material still pending rotation is
    /// forgotten altogether. Returns what changed; when nothing did, the outcome is empty and
    /// the revision unchanged.
    pub fn expire_materials(&mut self, now: OffsetDateTime) -> ExpiryOutcome {
        let mut expired = Vec::new();
        for m in &mut self.materials {
            if m.material.is_some() && !m.is_present_at(Some(now)) {
                m.material = None;
                m.expiration = None;
                expired.push(m.id);
            }
        }
        if expired.is_empty() {
            return ExpiryOutcome::default();
        }
        self.materials
            .retain(|m| m.material.is_some() || m.is_permanently_associated());
        self.touch();
        let before = self.key_state;
        if let Outcome::Succeeds(next) = outcome(
            before,
            KeyOperation::ExpireKeyMaterial,
            &self.input(self.material_complete()),
        ) {
            self.set_state(next);
        }
        ExpiryOutcome {
            expired,
            state_change: (self.key_state != before).then_some((before, self.key_state)),
        }
    }

    /// ImportKeyMaterial, once the material has been unwrapped and checked against the key
    /// spec: records `material` with its expiration and moves the key state.
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
        let id = KeyMaterialId::derive(&self.key_id().to_string(), material.material());
        let material = material.into_material();
        if request
            .key_material_id
            .is_some_and(|given| !given.ct_eq(&id))
        {
            return Err(incorrect_material());
        }
        let existing = self.materials.iter().position(|m| m.id.ct_eq(&id));
        let import_type = request.import_type.unwrap_or(if self.materials.is_empty() {
            ImportType::NewKeyMaterial
        } else {
            ImportType::ExistingKeyMaterial
        });
        let mut materials = self.materials.clone();
        let entry = MaterialRecord {
            id,
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
    pub fn rotate_key_on_demand(&mut self, now: OffsetDateTime) -> Result<RotationOutcome, Error> {
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

    /// ListKeyRotations (before pagination, which
    /// [`ImportService::list_key_rotations`](crate::ImportService::list_key_rotations) does): the key's
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

    /// Checks the record's invariants; the message names the first one broken. Meant for
    /// property tests, fuzzing and records loaded from storage.
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
    /// - Material ids are unique, and a present material's id is derived from its bytes.
    /// - A material has an expiration exactly while its bytes are present.
    pub fn check_invariants(&self) -> Result<(), String> {
        let state = self.key_state;
        if !self.imports_material() {
            if !self.materials.is_empty() {
                return Err(format!("origin {} with imported material", self.origin));
            }
            if state == KeyState::PendingImport {
                return Err(format!("origin {} in PendingImport", self.origin));
            }
        } else {
            let complete = self.material_complete();
            if matches!(state, KeyState::Enabled | KeyState::Disabled) && !complete {
                return Err(format!("{state} without all permanent material"));
            }
            if state == KeyState::PendingImport && complete {
                return Err("PendingImport with all permanent material present".to_owned());
            }
        }
        let pending_deletion = matches!(
            state,
            KeyState::PendingDeletion | KeyState::PendingReplicaDeletion
        );
        if pending_deletion != self.deletion_date.is_some() {
            return Err(format!(
                "{state} with deletion date {:?}",
                self.deletion_date
            ));
        }
        let count = |s: KeyMaterialState| {
            self.materials
                .iter()
                .filter(|m| m.material_state == s)
                .count()
        };
        if !self.materials.is_empty() && count(KeyMaterialState::Current) != 1 {
            return Err("materials without exactly one CURRENT".to_owned());
        }
        let pending = self
            .materials
            .iter()
            .filter(|m| !m.is_permanently_associated())
            .count();
        if pending > 1 {
            return Err("more than one material pending rotation".to_owned());
        }
        if let Some(i) = self
            .materials
            .iter()
            .position(|m| !m.is_permanently_associated())
        {
            if i + 1 != self.materials.len() {
                return Err("material pending rotation is not the last one".to_owned());
            }
        }
        let mut permanent = self.permanent_materials();
        if let Some(first) = permanent.next() {
            if first.rotation_date.is_some() {
                return Err(format!("first material {} has a rotation date", first.id));
            }
            if let Some(m) = permanent.find(|m| m.rotation_date.is_none()) {
                return Err(format!("material {} associated without rotation", m.id));
            }
        }
        if let Some(last) = self.permanent_materials().last() {
            if last.material_state != KeyMaterialState::Current {
                return Err(format!(
                    "latest permanent material {} is {}",
                    last.id, last.material_state
                ));
            }
        }
        if self.on_demand_rotations() > MAX_ON_DEMAND_ROTATIONS {
            return Err(format!(
                "{} on-demand rotations",
                self.on_demand_rotations()
            ));
        }
        let key_id = self.key_id().to_string();
        for (i, m) in self.materials.iter().enumerate() {
            if self.materials.iter().skip(i + 1).any(|o| o.id == m.id) {
                return Err(format!("duplicate material id {}", m.id));
            }
            if m.material.is_some() != m.expiration.is_some() {
                return Err(format!("material {} expiration out of step", m.id));
            }
            if let Some(bytes) = &m.material {
                if !KeyMaterialId::derive(&key_id, bytes).ct_eq(&m.id) {
                    return Err(format!("material {} does not match its id", m.id));
                }
            }
            if !m.is_permanently_associated() && m.material.is_none() {
                return Err(format!("absent material {} pending rotation", m.id));
            }
            if m.rotation_date.is_some() != m.rotation_type.is_some() {
                return Err(format!(
                    "material {} rotation date and type out of step",
                    m.id
                ));
            }
            if !m.is_permanently_associated() && m.rotation_date.is_some() {
                return Err(format!(
                    "material {} pending rotation has a rotation date",
                    m.id
                ));
            }
        }
        Ok(())
    }
}

/// Whether every permanently associated material in `materials` is present (at `now`, when
/// given) and there is at least one; always true for keys of origins other than EXTERNAL.
fn complete(origin: Origin, materials: &[MaterialRecord], now: Option<OffsetDateTime>) -> bool {
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

fn check_material_description(description: &str) -> Result<(), Error> {
    let len = description.chars().count();
    if len == 0 || len > MAX_MATERIAL_DESCRIPTION_LEN {
        return Err(Error::invalid_length(
            "keyMaterialDescription",
            1,
            MAX_MATERIAL_DESCRIPTION_LEN,
        ));
    }
    let allowed = |c: char| {
        c.is_ascii_alphanumeric() || c.is_whitespace() || matches!(c, ':' | '/' | '_' | '.' | '-')
    };
    if !description.chars().all(allowed) {
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{}' at 'keyMaterialDescription' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: \
             ^[a-zA-Z0-9:/_\\s.-]+$",
            crate::error::truncate_for_message(description)
        )));
    }
    Ok(())
}

/// Serialises present key material as standard padded base64, `null` when absent. The text
/// buffers this crate allocates are zeroized; those of the serde format are the embedder's.
#[cfg(feature = "serde")]
mod material_base64 {
    use base64ct::{Base64, Encoding};
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    use crate::material::KeyMaterial;

    pub(super) fn serialize<S: Serializer>(
        material: &Option<KeyMaterial>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match material {
            Some(m) => s.serialize_str(&Zeroizing::new(Base64::encode_string(m.expose_secret()))),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<KeyMaterial>, D::Error> {
        let Some(text) = Option::<String>::deserialize(d)?.map(Zeroizing::new) else {
            return Ok(None);
        };
        let bytes = Base64::decode_vec(&text)
            .map_err(|_| serde::de::Error::custom("key material is not valid base64"))?;
        Ok(Some(KeyMaterial::new(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

    fn t0() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
    }

    fn ctx() -> KeyContext {
        KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
    }

    fn create(spec: KeySpec, origin: Origin) -> KeyRecord {
        KeyRecord::create(
            &ctx(),
            ID.parse().unwrap(),
            CreateKeyParams {
                key_spec: spec,
                key_usage: None,
                origin,
                description: Some("test key".into()),
            },
            t0(),
        )
        .unwrap()
    }

    fn expires_in(days: i64) -> MaterialImport {
        MaterialImport {
            expiration: Expiration::Expires {
                valid_to: t0() + Duration::days(days),
            },
            import_type: None,
            key_material_id: None,
            description: None,
            disabled_import_policy: DisabledImportPolicy::default(),
        }
    }

    fn material(b: u8) -> CheckedMaterial {
        CheckedMaterial::check(KeySpec::SymmetricDefault, KeyMaterial::new(vec![b; 32])).unwrap()
    }

    fn arn() -> String {
        format!("arn:aws:kms:us-east-1:111122223333:key/{ID}")
    }

    #[test]
    fn external_key_starts_pending_import_without_material_metadata() {
        let k = create(KeySpec::SymmetricDefault, Origin::External);
        assert_eq!(k.key_state(), KeyState::PendingImport);
        assert!(!k.enabled());
        assert_eq!(k.expiration_model(), None);
        assert_eq!(k.valid_to(), None);
        assert_eq!(k.current_key_material_id(), None);
        assert_eq!(k.key_usage(), KeyUsage::EncryptDecrypt);
        assert_eq!(k.key_manager(), KeyManager::Customer);
        assert_eq!(k.account_id().as_str(), "111122223333");
        assert_eq!(k.arn().to_string(), arn());
        assert_eq!(k.revision(), 0);
        assert!(!k.multi_region());
        k.check_invariants().unwrap();
    }

    #[test]
    fn other_origins_start_enabled_and_refuse_import_operations() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::AwsKms);
        assert_eq!(k.key_state(), KeyState::Enabled);
        assert!(k.material_complete());
        let e = k
            .import_material(material(1), expires_in(1), t0())
            .unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException");
        assert_eq!(
            e.message(),
            format!(
                "{} origin is AWS_KMS which is not valid for this operation.",
                arn()
            )
        );
        assert_eq!(
            k.delete_material(None, t0()).unwrap_err().code(),
            "UnsupportedOperationException"
        );
        k.check_invariants().unwrap();
    }

    #[test]
    fn create_validates_usage_spec_and_origin() {
        let params = |key_spec, key_usage, origin| CreateKeyParams {
            key_spec,
            key_usage,
            origin,
            description: None,
        };
        let make = |p| KeyRecord::create(&ctx(), ID.parse().unwrap(), p, t0()).map(|_| ());
        let code = |p| make(p).unwrap_err().code();
        assert_eq!(
            code(params(KeySpec::EccNistP256, None, Origin::External)),
            "ValidationException"
        );
        assert_eq!(
            code(params(
                KeySpec::SymmetricDefault,
                Some(KeyUsage::SignVerify),
                Origin::External
            )),
            "ValidationException"
        );
        assert_eq!(
            code(params(
                KeySpec::MlDsa44,
                Some(KeyUsage::SignVerify),
                Origin::External
            )),
            "UnsupportedOperationException"
        );
        assert!(
            make(params(
                KeySpec::MlDsa44,
                Some(KeyUsage::SignVerify),
                Origin::AwsKms
            ))
            .is_ok()
        );
        assert!(
            make(params(
                KeySpec::EccNistP256,
                Some(KeyUsage::KeyAgreement),
                Origin::External
            ))
            .is_ok()
        );
        let mrk = KeyRecord::create(
            &ctx(),
            "mrk-1234abcd12ab34cd56ef1234567890ab".parse().unwrap(),
            params(KeySpec::SymmetricDefault, None, Origin::External),
            t0(),
        );
        assert_eq!(mrk.unwrap_err().code(), "UnsupportedOperationException");
        let long = CreateKeyParams {
            description: Some("d".repeat(8193)),
            ..params(KeySpec::SymmetricDefault, None, Origin::External)
        };
        assert_eq!(code(long), "ValidationException");
    }

    #[test]
    fn import_enables_and_expiry_returns_to_pending_import_keeping_the_id() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        let id = k
            .import_material(material(1), expires_in(10), t0())
            .unwrap();
        assert_eq!(k.key_state(), KeyState::Enabled);
        assert_eq!(id, KeyMaterialId::derive(ID, material(1).material()));
        assert_eq!(
            k.expiration_model(),
            Some(ExpirationModel::KeyMaterialExpires)
        );
        let valid_to = t0() + Duration::days(10);
        assert_eq!(k.valid_to(), Some(valid_to));
        assert_eq!(k.current_key_material_id(), Some(id));
        k.check_usable(t0()).unwrap();
        k.check_invariants().unwrap();

        // Due expiry shows before it is applied, without changing the record.
        let rev = k.revision();
        assert_eq!(k.state_at(valid_to), KeyState::PendingImport);
        let e = k.check_usable(valid_to).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (
                "KMSInvalidStateException",
                format!("{} is pending import.", arn())
            )
        );
        assert_eq!(k.revision(), rev);

        let out = k.expire_materials(valid_to);
        assert_eq!(out.expired, vec![id]);
        assert_eq!(
            out.state_change,
            Some((KeyState::Enabled, KeyState::PendingImport))
        );
        assert!(k.revision() > rev);
        assert_eq!(k.key_state(), KeyState::PendingImport);
        assert_eq!(k.expiration_model(), None);
        assert_eq!(k.valid_to(), None);
        assert_eq!(k.current_key_material_id(), Some(id));
        let m = k.current_material().unwrap();
        assert!(m.material().is_none());
        assert_eq!(m.import_state(), ImportState::PendingImport);
        assert_eq!(m.expiration(), None);
        k.check_invariants().unwrap();

        // Only the same material restores the key.
        let later = valid_to + Duration::hours(1);
        let e = k
            .import_material(material(2), expires_in(20), later)
            .unwrap_err();
        assert_eq!(e.code(), "IncorrectKeyMaterialException");
        assert_eq!(k.key_state(), KeyState::PendingImport);
        let mut never = expires_in(0);
        never.expiration = Expiration::DoesNotExpire;
        assert_eq!(k.import_material(material(1), never, later), Ok(id));
        assert_eq!(k.key_state(), KeyState::Enabled);
        assert_eq!(
            k.expiration_model(),
            Some(ExpirationModel::KeyMaterialDoesNotExpire)
        );
        assert_eq!(k.valid_to(), None);
        k.check_invariants().unwrap();
    }

    #[test]
    fn expiry_with_nothing_due_changes_nothing() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        k.import_material(material(1), expires_in(10), t0())
            .unwrap();
        let rev = k.revision();
        let out = k.expire_materials(t0() + Duration::days(9));
        assert!(out.is_empty());
        assert_eq!(out, ExpiryOutcome::default());
        assert_eq!(k.revision(), rev);
    }

    #[test]
    fn delete_moves_to_pending_import_and_reimport_restores() {
        let mut k = create(KeySpec::Hmac256, Origin::External);
        let hmac =
            || CheckedMaterial::check(KeySpec::Hmac256, KeyMaterial::new(vec![1; 32])).unwrap();
        let id = k.import_material(hmac(), expires_in(10), t0()).unwrap();
        k.disable(t0()).unwrap();
        assert_eq!(k.delete_material(None, t0()), Ok(Some(id)));
        assert_eq!(k.key_state(), KeyState::PendingImport);
        let e = k.enable(t0()).unwrap_err();
        assert_eq!(e.message(), format!("{} is pending import.", arn()));
        // Deleting again is a no-op that still answers the id.
        let rev = k.revision();
        assert_eq!(k.delete_material(None, t0()), Ok(Some(id)));
        assert_eq!(k.revision(), rev);
        // HMAC keys take no ImportType.
        let mut typed = expires_in(10);
        typed.import_type = Some(ImportType::ExistingKeyMaterial);
        assert_eq!(
            k.import_material(hmac(), expires_in(0), t0())
                .unwrap_err()
                .message(),
            VALID_TO_NOT_FUTURE_MESSAGE
        );
        assert_eq!(
            k.import_material(hmac(), typed, t0()).unwrap_err().code(),
            "UnsupportedOperationException"
        );
        k.import_material(hmac(), expires_in(10), t0()).unwrap();
        assert_eq!(k.key_state(), KeyState::Enabled);
        let unknown = KeyMaterialId::from_bytes([9; 32]);
        assert_eq!(
            k.delete_material(Some(unknown), t0()).unwrap_err().code(),
            "NotFoundException"
        );
        k.check_invariants().unwrap();
    }

    #[test]
    fn import_into_disabled_key_stays_disabled_by_default() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        k.import_material(material(1), expires_in(10), t0())
            .unwrap();
        k.disable(t0()).unwrap();
        k.import_material(material(1), expires_in(20), t0())
            .unwrap();
        assert_eq!(k.key_state(), KeyState::Disabled);
        assert_eq!(k.valid_to(), Some(t0() + Duration::days(20)));
        let mut reject = expires_in(30);
        reject.disabled_import_policy = DisabledImportPolicy::Reject;
        let e = k.import_material(material(1), reject, t0()).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (
                "KMSInvalidStateException",
                format!("{} is disabled.", arn())
            )
        );
        assert_eq!(k.valid_to(), Some(t0() + Duration::days(20)));
        let mut enable = expires_in(30);
        enable.disabled_import_policy = DisabledImportPolicy::Enable;
        k.import_material(material(1), enable, t0()).unwrap();
        assert_eq!(k.key_state(), KeyState::Enabled);
    }

    #[test]
    fn new_material_waits_in_pending_rotation_without_changing_state() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        let first = k
            .import_material(material(1), expires_in(10), t0())
            .unwrap();
        let mut new = expires_in(5);
        new.import_type = Some(ImportType::NewKeyMaterial);
        let second = k.import_material(material(2), new.clone(), t0()).unwrap();
        assert_eq!(k.key_state(), KeyState::Enabled);
        assert_eq!(k.current_key_material_id(), Some(first));
        assert_eq!(k.materials().len(), 2);
        assert_eq!(
            k.materials()[1].material_state(),
            KeyMaterialState::PendingRotation
        );
        assert!(!k.materials()[1].is_permanently_associated());
        // Pending material does not count for ValidTo.
        assert_eq!(k.valid_to(), Some(t0() + Duration::days(10)));
        let e = k
            .import_material(material(3), new.clone(), t0())
            .unwrap_err();
        assert_eq!(e.code(), "KMSInvalidStateException");
        let e = k
            .import_material(material(1), new.clone(), t0())
            .unwrap_err();
        assert_eq!(e.code(), "IncorrectKeyMaterialException");
        let mut with_id = new.clone();
        with_id.key_material_id = Some(first);
        assert_eq!(
            k.import_material(material(1), with_id, t0())
                .unwrap_err()
                .code(),
            "ValidationException"
        );
        // Its expiry forgets it and leaves the key alone.
        let out = k.expire_materials(t0() + Duration::days(5));
        assert_eq!(out.expired, vec![second]);
        assert_eq!(out.state_change, None);
        assert_eq!(k.materials().len(), 1);
        assert_eq!(k.key_state(), KeyState::Enabled);
        k.check_invariants().unwrap();
        // Deleting pending material forgets it too.
        new.expiration = Expiration::DoesNotExpire;
        k.import_material(material(4), new, t0() + Duration::days(5))
            .unwrap();
        let pending = k.materials()[1].id();
        assert_eq!(
            k.delete_material(Some(pending), t0() + Duration::days(5)),
            Ok(Some(pending))
        );
        assert_eq!(k.key_state(), KeyState::Enabled);
        assert_eq!(k.materials().len(), 1);
        k.check_invariants().unwrap();
    }

    #[test]
    fn key_material_id_must_match_the_material() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        let id = k
            .import_material(material(1), expires_in(10), t0())
            .unwrap();
        let mut req = expires_in(10);
        req.import_type = Some(ImportType::ExistingKeyMaterial);
        req.key_material_id = Some(KeyMaterialId::from_bytes([0; 32]));
        assert_eq!(
            k.import_material(material(1), req.clone(), t0())
                .unwrap_err()
                .code(),
            "IncorrectKeyMaterialException"
        );
        req.key_material_id = Some(id);
        assert_eq!(k.import_material(material(1), req, t0()), Ok(id));
    }

    #[test]
    fn material_description_is_validated() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        let mut req = expires_in(10);
        req.description = Some("bad;chars".into());
        assert_eq!(
            k.import_material(material(1), req.clone(), t0())
                .unwrap_err()
                .code(),
            "ValidationException"
        );
        req.description = Some("d".repeat(257));
        assert_eq!(
            k.import_material(material(1), req.clone(), t0())
                .unwrap_err()
                .code(),
            "ValidationException"
        );
        req.description = Some("Q3 2026 material: v1.0/rotation_a".into());
        k.import_material(material(1), req, t0()).unwrap();
        assert_eq!(
            k.materials()[0].description(),
            Some("Q3 2026 material: v1.0/rotation_a")
        );
    }

    #[test]
    fn deletion_window_is_validated_and_sets_the_deletion_date() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        for (days, bound) in [
            (6, "greater than or equal to 7"),
            (31, "less than or equal to 30"),
        ] {
            let e = k.schedule_deletion(t0(), Some(days)).unwrap_err();
            assert_eq!(e.code(), "ValidationException");
            assert_eq!(
                e.message(),
                format!(
                    "1 validation error detected: Value '{days}' at 'pendingWindowInDays' \
                     failed to satisfy constraint: Member must have value {bound}"
                )
            );
        }
        assert_eq!(k.key_state(), KeyState::PendingImport);
        assert_eq!(
            k.schedule_deletion(t0(), None),
            Ok(t0() + Duration::days(30))
        );
        assert_eq!(k.key_state(), KeyState::PendingDeletion);
        assert_eq!(k.deletion_date(), Some(t0() + Duration::days(30)));
        assert!(!k.deletion_due(t0() + Duration::days(29)));
        assert!(k.deletion_due(t0() + Duration::days(30)));
        let e = k.schedule_deletion(t0(), Some(7)).unwrap_err();
        assert_eq!(e.message(), format!("{} is pending deletion.", arn()));
        k.check_invariants().unwrap();
        // Cancelling a key that never had material gives PendingImport, not Disabled.
        k.cancel_deletion(t0()).unwrap();
        assert_eq!(k.key_state(), KeyState::PendingImport);
        assert_eq!(k.deletion_date(), None);
        let e = k.cancel_deletion(t0()).unwrap_err();
        assert_eq!(e.message(), format!("{} is not pending deletion.", arn()));
        k.check_invariants().unwrap();
    }

    #[test]
    fn cancel_after_expiry_during_pending_deletion_gives_pending_import() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        k.import_material(material(1), expires_in(3), t0()).unwrap();
        k.schedule_deletion(t0(), Some(7)).unwrap();
        let later = t0() + Duration::days(4);
        let out = k.expire_materials(later);
        assert_eq!(out.expired.len(), 1);
        assert_eq!(out.state_change, None);
        assert_eq!(k.key_state(), KeyState::PendingDeletion);
        k.cancel_deletion(later).unwrap();
        assert_eq!(k.key_state(), KeyState::PendingImport);

        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        k.import_material(material(1), expires_in(30), t0())
            .unwrap();
        k.schedule_deletion(t0(), Some(7)).unwrap();
        let e = k.check_usable(t0()).unwrap_err();
        assert_eq!(e.message(), format!("{} is pending deletion.", arn()));
        k.cancel_deletion(t0()).unwrap();
        assert_eq!(k.key_state(), KeyState::Disabled);
        assert_eq!(
            k.check_usable(t0()).unwrap_err().code(),
            "DisabledException"
        );
        k.check_invariants().unwrap();
    }

    #[test]
    fn debug_never_shows_material_bytes() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        k.import_material(
            CheckedMaterial::check(KeySpec::SymmetricDefault, KeyMaterial::new(vec![0x5a; 32]))
                .unwrap(),
            expires_in(1),
            t0(),
        )
        .unwrap();
        let s = format!("{k:?}");
        assert!(s.contains("<redacted>"));
        assert!(!s.contains("90, 90") && !s.contains("5a5a"), "{s}");
    }

    #[cfg(feature = "serde")]
    #[test]
    fn records_round_trip_through_serde_json() {
        let mut k = create(KeySpec::SymmetricDefault, Origin::External);
        let id = k
            .import_material(material(7), expires_in(10), t0())
            .unwrap();
        k.schedule_deletion(t0(), Some(7)).unwrap();
        let json = serde_json::to_string(&k).unwrap();
        assert!(
            json.contains("\"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\""),
            "{json}"
        );
        assert!(json.contains(&format!("\"{id}\"")));
        assert!(json.contains("\"KEY_MATERIAL_EXPIRES\""));
        let back: KeyRecord = serde_json::from_str(&json).unwrap();
        back.check_invariants().unwrap();
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        assert_eq!(back.deletion_date(), k.deletion_date());
        assert_eq!(
            back.materials()[0].material().unwrap().expose_secret(),
            &[7; 32]
        );
        let bad = json.replace("BwcHBwcH", "!!!!");
        assert!(serde_json::from_str::<KeyRecord>(&bad).is_err());
    }
}
