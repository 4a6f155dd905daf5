//! The key's lifecycle: its state at a given time, EnableKey, DisableKey, ScheduleKeyDeletion,
//! CancelKeyDeletion, and the expiry of material whose `ValidTo` has passed.

use time::{Duration, OffsetDateTime};

use super::KeyRecord;
use super::materials::complete;
use crate::error::Error;
use crate::material::KeyMaterialId;
use crate::names::KeyState;
use crate::state::{KeyOperation, Outcome, outcome};
use crate::store::Applied;

/// The ScheduleKeyDeletion waiting period when the request names none, in days.
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;
/// The shortest ScheduleKeyDeletion waiting period, in days.
pub(crate) const MIN_PENDING_WINDOW_DAYS: u32 = 7;
/// The longest ScheduleKeyDeletion waiting period, in days.
pub(crate) const MAX_PENDING_WINDOW_DAYS: u32 = 30;

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

    /// Whether the record changed and must be stored: exactly when something expired (the
    /// same signal as [`Applied::changed`](crate::store::Applied::changed) for the other
    /// operations).
    pub fn changed(&self) -> bool {
        !self.is_empty()
    }
}

impl KeyRecord {
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
    pub(super) fn apply(
        &mut self,
        op: KeyOperation,
        now: OffsetDateTime,
    ) -> Result<KeyState, Error> {
        self.expire_materials(now);
        let next = outcome(self.key_state, op, &self.input(self.material_complete()))
            .into_result(&self.arn)?;
        self.set_state(next);
        Ok(next)
    }

    pub(super) fn set_state(&mut self, next: KeyState) {
        if next != self.key_state {
            self.key_state = next;
            self.touch();
        }
    }

    /// EnableKey. Errors per the key-state table (pending import, pending deletion, …).
    pub fn enable(&mut self, now: OffsetDateTime) -> Applied<()> {
        Applied::track(self, |r| r.enable_steps(now))
    }

    fn enable_steps(&mut self, now: OffsetDateTime) -> Result<(), Error> {
        self.apply(KeyOperation::EnableKey, now).map(|_| ())
    }

    /// DisableKey. Errors per the key-state table.
    pub fn disable(&mut self, now: OffsetDateTime) -> Applied<()> {
        Applied::track(self, |r| r.disable_steps(now))
    }

    fn disable_steps(&mut self, now: OffsetDateTime) -> Result<(), Error> {
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
    ) -> Applied<OffsetDateTime> {
        Applied::track(self, |r| {
            r.schedule_deletion_steps(now, pending_window_days)
        })
    }

    fn schedule_deletion_steps(
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
    pub fn cancel_deletion(&mut self, now: OffsetDateTime) -> Applied<()> {
        Applied::track(self, |r| r.cancel_deletion_steps(now))
    }

    fn cancel_deletion_steps(&mut self, now: OffsetDateTime) -> Result<(), Error> {
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
}
