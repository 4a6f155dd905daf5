//! The ExpirationModel / ValidTo rules of spec section 4 and their boundaries.

use kms_import::{Expiration, ExpirationModel};
use time::{Duration, OffsetDateTime, UtcOffset};

// AWS's wording, written out here rather than taken from the crate.
const VALID_TO_REQUIRED_MESSAGE: &str =
    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES";
const VALID_TO_FORBIDDEN_MESSAGE: &str =
    "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE";
const VALID_TO_NOT_FUTURE_MESSAGE: &str = "The validTo date must be later than the current time";
const VALID_TO_TOO_LATE_MESSAGE: &str =
    "The validTo date must be no more than 365 days after the current time";

const EXPIRES: Option<ExpirationModel> = Some(ExpirationModel::KeyMaterialExpires);
const NEVER: Option<ExpirationModel> = Some(ExpirationModel::KeyMaterialDoesNotExpire);

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap() + Duration::milliseconds(250)
}

fn validation(r: Result<Expiration, kms_import::Error>) -> String {
    let e = r.unwrap_err();
    assert_eq!(e.code(), "ValidationException");
    assert_eq!(e.http_status(), 400);
    e.message()
}

#[test]
fn omitting_both_members_needs_a_valid_to_with_aws_message() {
    assert_eq!(
        validation(Expiration::from_request(None, None, now())),
        "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
    );
    assert_eq!(
        VALID_TO_REQUIRED_MESSAGE,
        validation(Expiration::from_request(EXPIRES, None, now()))
    );
}

#[test]
fn omitted_model_means_expires() {
    let valid_to = now() + Duration::days(30);
    let e = Expiration::from_request(None, Some(valid_to), now()).unwrap();
    assert_eq!(e, Expiration::Expires { valid_to });
    assert_eq!(e.model(), ExpirationModel::KeyMaterialExpires);
    assert_eq!(e.valid_to(), Some(valid_to));
}

#[test]
fn does_not_expire_takes_no_date() {
    let e = Expiration::from_request(NEVER, None, now()).unwrap();
    assert_eq!(e, Expiration::DoesNotExpire);
    assert_eq!(e.model(), ExpirationModel::KeyMaterialDoesNotExpire);
    assert_eq!(e.valid_to(), None);
    assert!(!e.is_expired_at(now() + Duration::days(10_000)));
    assert_eq!(
        validation(Expiration::from_request(
            NEVER,
            Some(now() + Duration::days(1)),
            now()
        )),
        VALID_TO_FORBIDDEN_MESSAGE
    );
}

#[test]
fn valid_to_must_be_strictly_in_the_future() {
    assert_eq!(
        validation(Expiration::from_request(EXPIRES, Some(now()), now())),
        VALID_TO_NOT_FUTURE_MESSAGE
    );
    assert_eq!(
        validation(Expiration::from_request(
            EXPIRES,
            Some(now() - Duration::seconds(1)),
            now()
        )),
        VALID_TO_NOT_FUTURE_MESSAGE
    );
    // No minimum: one nanosecond ahead is accepted.
    assert!(
        Expiration::from_request(EXPIRES, Some(now() + Duration::nanoseconds(1)), now()).is_ok()
    );
}

#[test]
fn valid_to_may_be_exactly_365_days_ahead_and_no_more() {
    let limit = now() + Duration::days(365);
    assert_eq!(
        Expiration::from_request(EXPIRES, Some(limit), now()),
        Ok(Expiration::Expires { valid_to: limit })
    );
    assert_eq!(
        validation(Expiration::from_request(
            EXPIRES,
            Some(limit + Duration::seconds(1)),
            now()
        )),
        VALID_TO_TOO_LATE_MESSAGE
    );
    assert_eq!(
        validation(Expiration::from_request(
            EXPIRES,
            Some(limit + Duration::nanoseconds(1)),
            now()
        )),
        VALID_TO_TOO_LATE_MESSAGE
    );
}

#[test]
fn offsets_do_not_change_the_instant_compared() {
    let plus_two = UtcOffset::from_hms(2, 0, 0).unwrap();
    let valid_to = (now() + Duration::days(365)).to_offset(plus_two);
    let e = Expiration::from_request(EXPIRES, Some(valid_to), now()).unwrap();
    assert_eq!(e.valid_to(), Some(valid_to));
    assert_eq!(e.valid_to().unwrap().offset(), UtcOffset::UTC);
    let late = valid_to + Duration::seconds(1);
    assert!(Expiration::from_request(EXPIRES, Some(late), now().to_offset(plus_two)).is_err());
}

#[test]
fn material_counts_as_expired_from_valid_to_on() {
    let valid_to = now() + Duration::hours(1);
    let e = Expiration::from_request(EXPIRES, Some(valid_to), now()).unwrap();
    assert!(!e.is_expired_at(valid_to - Duration::nanoseconds(1)));
    assert!(e.is_expired_at(valid_to));
    assert!(e.is_expired_at(valid_to + Duration::days(1)));
}
