//! Key identifiers: every form a `KeyId` member may take, and every error and message the
//! resolution rules of the spec (sections 9 and 11) give.

use kms_import::{AccountId, Partition, Region};
use kms_import::{KeyArn, KeyContext, KeyId};
use kms_import_testkit::key_ids::{
    FOREIGN_KEY_ARNS, KEY_ARN as ARN, KEY_ID as ID, MALFORMED_KEY_ARNS, MULTI_REGION_KEY_ID as MRK,
    code_and_message as err, context as ctx,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[test]
fn canonical_forms_round_trip_through_display() {
    for s in [
        ARN,
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-eusc:kms:eusc-de-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-iso-b:kms:us-isob-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ] {
        assert_eq!(s.parse::<KeyArn>().unwrap().to_string(), s);
    }
    assert_eq!(ID.parse::<KeyId>().unwrap().to_string(), ID);
    assert_eq!(MRK.parse::<KeyId>().unwrap().to_string(), MRK);
    assert!(MRK.parse::<KeyId>().unwrap().is_multi_region());
}

#[test]
fn key_arns_expose_their_parts() {
    let arn: KeyArn = ARN.parse().unwrap();
    assert_eq!(arn.key_id().to_string(), ID);
    assert_eq!(arn.account().as_str(), "111122223333");
    assert_eq!(arn.region().as_str(), "us-east-1");
    assert_eq!(arn.partition().as_str(), "aws");
    assert_eq!(
        err("arn:aws:kms:us-east-1:111122223333:alias/x".parse::<KeyArn>()),
        (
            "InvalidArnException",
            "Invalid arn arn:aws:kms:us-east-1:111122223333:alias/x".to_owned()
        )
    );
}

#[test]
fn random_key_ids_come_from_the_callers_rng() {
    let a = KeyId::random(&mut ChaCha20Rng::seed_from_u64(1));
    let b = KeyId::random(&mut ChaCha20Rng::seed_from_u64(1));
    let c = KeyId::random(&mut ChaCha20Rng::seed_from_u64(2));
    assert_eq!(a, b);
    assert_ne!(a, c);
    let s = a.to_string();
    assert_eq!(s.len(), 36);
    assert_eq!(&s[14..15], "4");
}

#[test]
fn resolve_for_import_accepts_bare_ids_and_own_key_arns() {
    let id: KeyId = ID.parse().unwrap();
    assert_eq!(ctx().resolve_for_import(ID), Ok(id));
    assert_eq!(ctx().resolve_for_import(ARN), Ok(id));
    assert_eq!(ctx().arn_for(&id).to_string(), ARN);
}

#[test]
fn malformed_bare_ids_are_not_found_with_invalid_key_id() {
    for bad in [
        "1234ABCD-12AB-34CD-56EF-1234567890AB",
        "1234abcd12ab34cd56ef1234567890ab",
        "1234abcd-12ab-34cd-56ef-1234567890a",
        "1234abcd-12ab-34cd-56ef-1234567890abc",
        "1234abcg-12ab-34cd-56ef-1234567890ab",
        "mrk-1234",
        "mrk-1234ABCD12ab34cd56ef1234567890ab",
        "not-a-key",
        " 1234abcd-12ab-34cd-56ef-1234567890ab",
        "ARN:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ] {
        assert_eq!(
            err(ctx().resolve_for_import(bad)),
            ("NotFoundException", format!("Invalid keyId '{bad}'")),
            "{bad}"
        );
    }
}

#[test]
fn empty_and_over_long_key_ids_fail_validation_with_aws_length_wording() {
    let want = (
        "ValidationException",
        "1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member \
         must have length less than or equal to 2048, Member must have length greater than \
         or equal to 1"
            .to_owned(),
    );
    assert_eq!(err(ctx().resolve_for_import("")), want);
    assert_eq!(err(ctx().resolve_for_import(&"a".repeat(2049))), want);
    // 2048 characters pass the length check and fail as a malformed id instead.
    assert_eq!(
        err(ctx().resolve_for_import(&"a".repeat(2048))).0,
        "NotFoundException"
    );
    // Length counts characters, not bytes.
    assert_eq!(
        err(ctx().resolve_for_import(&"é".repeat(2048))).0,
        "NotFoundException"
    );
}

#[test]
fn alias_names_are_refused_by_key_only_operations() {
    assert_eq!(
        err(ctx().resolve_for_import("alias/my-key")),
        (
            "NotFoundException",
            "Invalid keyId 'alias/my-key'".to_owned()
        )
    );
}

#[test]
fn alias_arns_are_invalid_arns_for_key_only_operations() {
    let input = "arn:aws:kms:us-east-1:111122223333:alias/my-key";
    assert_eq!(
        err(ctx().resolve_for_import(input)),
        ("InvalidArnException", format!("Invalid arn {input}"))
    );
}

#[test]
fn malformed_arns_are_invalid_arn() {
    for &bad in MALFORMED_KEY_ARNS {
        assert_eq!(
            err(ctx().resolve_for_import(bad)),
            ("InvalidArnException", format!("Invalid arn {bad}")),
            "{bad}"
        );
    }
}

#[test]
fn key_arns_of_other_accounts_regions_or_partitions_do_not_exist() {
    for &foreign in FOREIGN_KEY_ARNS {
        let want = (
            "NotFoundException",
            format!("Key '{foreign}' does not exist"),
        );
        assert_eq!(err(ctx().resolve_for_import(foreign)), want);
    }
}

#[test]
fn not_found_messages_name_the_full_arn_even_for_a_bare_id() {
    let id: KeyId = ID.parse().unwrap();
    assert_eq!(
        (
            ctx().key_not_found(&id).code(),
            ctx().key_not_found(&id).message()
        ),
        ("NotFoundException", format!("Key '{ARN}' does not exist"))
    );
}

#[test]
fn context_parts_are_validated() {
    for p in Partition::KNOWN {
        assert!(p.parse::<Partition>().is_ok(), "{p}");
    }
    assert!("aws-new".parse::<Partition>().is_ok());
    assert_eq!(
        KeyContext::new("azure", "us-east-1", "111122223333")
            .unwrap_err()
            .code(),
        "ValidationException"
    );
    assert!(KeyContext::new("aws", "useast1", "111122223333").is_err());
    assert!(KeyContext::new("aws", "us-east-1", "1111-2222-3333").is_err());
    assert!("us-gov-west-1".parse::<Region>().is_ok());
    assert!("12345678901".parse::<AccountId>().is_err());
}

#[test]
fn over_long_input_is_not_echoed_unbounded() {
    let long = format!("arn:{}", "x".repeat(2040));
    let e = ctx().resolve_for_import(&long).unwrap_err();
    assert_eq!(e.code(), "InvalidArnException");
    assert!(e.message().len() <= 2048 + 32);
}
