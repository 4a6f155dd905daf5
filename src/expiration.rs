//! The expiration model of imported key material: either it never expires, or it expires at a
//! `ValidTo` instant that is strictly after the import and at most 365 days after it.
//!
//! [`Expiration`] makes the invalid combinations unrepresentable (no date without expiry, no
//! expiry without a date); [`Expiration::from_request`] applies AWS's request rules.

use time::{Duration, OffsetDateTime, UtcOffset};

use crate::error::Error;
use crate::names::ExpirationModel;

/// How far ahead of the request time `ValidTo` may lie.
pub(crate) const MAX_VALIDITY: Duration = Duration::days(365);

/// The message AWS returns when `ValidTo` is missing under `KEY_MATERIAL_EXPIRES` (including
/// when both members are omitted, since the model then defaults to expiring).
pub(crate) const VALID_TO_REQUIRED_MESSAGE: &str =
    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES";
/// The message for a `ValidTo` sent with `KEY_MATERIAL_DOES_NOT_EXPIRE`.
pub(crate) const VALID_TO_FORBIDDEN_MESSAGE: &str =
    "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE";
/// The message for a `ValidTo` at or before the request time.
pub(crate) const VALID_TO_NOT_FUTURE_MESSAGE: &str =
    "The validTo date must be later than the current time";
/// The message for a `ValidTo` more than 365 days after the request time.
pub(crate) const VALID_TO_TOO_LATE_MESSAGE: &str =
    "The validTo date must be no more than 365 days after the current time";

/// The expiration of one imported key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "model"))]
pub enum Expiration {
    /// `KEY_MATERIAL_DOES_NOT_EXPIRE`.
    #[cfg_attr(feature = "serde", serde(rename = "KEY_MATERIAL_DOES_NOT_EXPIRE"))]
    DoesNotExpire,
    /// `KEY_MATERIAL_EXPIRES`: KMS deletes the material at `valid_to`.
    #[cfg_attr(feature = "serde", serde(rename = "KEY_MATERIAL_EXPIRES"))]
    Expires {
        /// The instant the material expires (stored in UTC).
        #[cfg_attr(feature = "serde", serde(with = "time::serde::rfc3339"))]
        valid_to: OffsetDateTime,
    },
}

impl Expiration {
    /// Applies AWS's rules to the `ExpirationModel` and `ValidTo` members of an
    /// ImportKeyMaterial request received at `now`.
    ///
    /// - An omitted model means `KEY_MATERIAL_EXPIRES`.
    /// - Under `KEY_MATERIAL_EXPIRES`, a missing `ValidTo` is a `ValidationException` with
    ///   AWS's text: `A validTo date must be set if the ExpirationModel is
    ///   KEY_MATERIAL_EXPIRES`.
    /// - Under `KEY_MATERIAL_DOES_NOT_EXPIRE`, a `ValidTo` is a `ValidationException`
    ///   (`A validTo date must not be set if the ExpirationModel is
    ///   KEY_MATERIAL_DOES_NOT_EXPIRE`).
    /// - `ValidTo` must be strictly after `now` and no later than `now` + 365 days, that instant
    ///   included. Both are
    ///   `ValidationException`; AWS's exact error here is not documented.
    ///
    /// The returned `valid_to` is converted to UTC; the instant is unchanged.
    pub fn from_request(
        model: Option<ExpirationModel>,
        valid_to: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<Expiration, Error> {
        match (
            model.unwrap_or(ExpirationModel::KeyMaterialExpires),
            valid_to,
        ) {
            (ExpirationModel::KeyMaterialDoesNotExpire, None) => Ok(Expiration::DoesNotExpire),
            (ExpirationModel::KeyMaterialDoesNotExpire, Some(_)) => {
                Err(Error::Validation(VALID_TO_FORBIDDEN_MESSAGE.to_owned()))
            }
            (ExpirationModel::KeyMaterialExpires, None) => {
                Err(Error::Validation(VALID_TO_REQUIRED_MESSAGE.to_owned()))
            }
            (ExpirationModel::KeyMaterialExpires, Some(valid_to)) => {
                if valid_to <= now {
                    return Err(Error::Validation(VALID_TO_NOT_FUTURE_MESSAGE.to_owned()));
                }
                // Past the end of time's range no `valid_to` can be late, so no limit applies.
                if now
                    .checked_add(MAX_VALIDITY)
                    .is_some_and(|limit| valid_to > limit)
                {
                    return Err(Error::Validation(VALID_TO_TOO_LATE_MESSAGE.to_owned()));
                }
                Ok(Expiration::Expires {
                    valid_to: valid_to.to_offset(UtcOffset::UTC),
                })
            }
        }
    }

    /// The wire model.
    pub fn model(&self) -> ExpirationModel {
        match self {
            Expiration::DoesNotExpire => ExpirationModel::KeyMaterialDoesNotExpire,
            Expiration::Expires { .. } => ExpirationModel::KeyMaterialExpires,
        }
    }

    /// `ValidTo`, present only under `KEY_MATERIAL_EXPIRES`.
    pub fn valid_to(&self) -> Option<OffsetDateTime> {
        match self {
            Expiration::DoesNotExpire => None,
            Expiration::Expires { valid_to } => Some(*valid_to),
        }
    }

    /// Whether material with this expiration counts as deleted at `now`: `valid_to <= now`.
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        self.valid_to().is_some_and(|valid_to| valid_to <= now)
    }
}
