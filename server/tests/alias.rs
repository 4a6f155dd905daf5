//! Aliases and the `KeyId` forms that may name one: parsing, AWS's errors and messages, and
//! resolution against the server's context (the key-only forms are kms-import's).

use kms_import::{KeyArn, KeyId};
use kms_import_server::alias::{AliasArn, AliasContext, AliasName, KeyIdentifier, ResolvedKeyRef};
use kms_import_testkit::key_ids::{
    FOREIGN_KEY_ARNS, KEY_ARN as ARN, KEY_ID as ID, MALFORMED_KEY_ARNS, MULTI_REGION_KEY_ID as MRK,
    code_and_message as err, context as ctx,
};

#[test]
fn canonical_forms_round_trip_through_display() {
    for s in [
        ID,
        MRK,
        ARN,
        "alias/my-key",
        "alias/aws/ebs",
        "arn:aws:kms:us-east-1:111122223333:alias/my:key/with_parts-1",
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-eusc:kms:eusc-de-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-iso-b:kms:us-isob-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ] {
        assert_eq!(KeyIdentifier::parse(s).unwrap().to_string(), s);
    }
    assert_eq!(ID.parse::<KeyId>().unwrap().to_string(), ID);
    assert!(MRK.parse::<KeyId>().unwrap().is_multi_region());
    assert_eq!(ARN.parse::<KeyArn>().unwrap().to_string(), ARN);
}

#[test]
fn each_form_parses_to_its_variant() {
    assert!(matches!(
        KeyIdentifier::parse(ID),
        Ok(KeyIdentifier::KeyId(_))
    ));
    assert!(matches!(
        KeyIdentifier::parse(ARN),
        Ok(KeyIdentifier::KeyArn(_))
    ));
    assert!(matches!(
        KeyIdentifier::parse("alias/x"),
        Ok(KeyIdentifier::AliasName(_))
    ));
    assert!(matches!(
        KeyIdentifier::parse("arn:aws:kms:us-east-1:111122223333:alias/x"),
        Ok(KeyIdentifier::AliasArn(_))
    ));
    let arn: KeyArn = ARN.parse().unwrap();
    assert_eq!(arn.key_id().to_string(), ID);
    assert_eq!(arn.account().as_str(), "111122223333");
    assert_eq!(arn.region().as_str(), "us-east-1");
    assert_eq!(arn.partition().as_str(), "aws");
    let alias: AliasArn = "arn:aws:kms:us-east-1:111122223333:alias/x"
        .parse()
        .unwrap();
    assert_eq!(alias.alias_name().as_str(), "alias/x");
}

#[test]
fn resolve_any_returns_aliases_for_the_caller_to_look_up() {
    let alias: AliasName = "alias/my-key".parse().unwrap();
    assert_eq!(
        ctx().resolve_any("alias/my-key"),
        Ok(ResolvedKeyRef::Alias(alias.clone()))
    );
    assert_eq!(
        ctx().resolve_any("arn:aws:kms:us-east-1:111122223333:alias/my-key"),
        Ok(ResolvedKeyRef::Alias(alias))
    );
    assert_eq!(
        ctx().resolve_any(ARN),
        Ok(ResolvedKeyRef::Key(ID.parse().unwrap()))
    );
    assert_eq!(
        ctx().resolve_any(ID),
        Ok(ResolvedKeyRef::Key(ID.parse().unwrap()))
    );
    let foreign = "arn:aws:kms:us-east-1:444455556666:alias/my-key";
    assert_eq!(
        err(ctx().resolve_any(foreign)),
        (
            "NotFoundException",
            format!("Alias {foreign} is not found.")
        )
    );
    for bad in ["alias/", "alias/with space", "alias/é"] {
        assert_eq!(
            err(ctx().resolve_any(bad)),
            ("NotFoundException", format!("Invalid keyId '{bad}'"))
        );
    }
}

#[test]
fn alias_names_follow_the_pattern_and_length_limits() {
    let longest = format!("alias/{}", "a".repeat(250));
    assert!(longest.parse::<AliasName>().is_ok());
    let too_long = format!("alias/{}", "a".repeat(251));
    let e = too_long.parse::<AliasName>().unwrap_err();
    assert_eq!(e.code(), "ValidationException");
    assert!(e.message().contains("less than or equal to 256"));
    let e = "alias/a b".parse::<AliasName>().unwrap_err();
    assert_eq!(e.code(), "ValidationException");
    assert!(e.message().contains("^[a-zA-Z0-9:/_-]+$"));
    for bad in ["my-key", "alias/", "Alias/x"] {
        assert_eq!(
            bad.parse::<AliasName>().unwrap_err().code(),
            "InvalidAliasNameException",
            "{bad}"
        );
    }
    assert!("alias/a:b/c_d-E9".parse::<AliasName>().is_ok());
}

#[test]
fn aws_reserved_aliases_parse_but_cannot_be_created() {
    let reserved: AliasName = "alias/aws/ebs".parse().unwrap();
    assert!(reserved.is_reserved());
    assert_eq!(
        AliasName::for_new_alias("alias/aws/ebs")
            .unwrap_err()
            .code(),
        "InvalidAliasNameException"
    );
    assert!(AliasName::for_new_alias("alias/awsome").is_ok());
    assert!(!"alias/aws".parse::<AliasName>().unwrap().is_reserved());
}

#[test]
fn identifier_errors_match_the_key_only_resolution() {
    for bad in [
        "",
        "not-a-key",
        "1234ABCD-12AB-34CD-56EF-1234567890AB",
        "arn:aws:kms:us-east-1:111122223333:key/x",
        "arn:aws:s3:us-east-1:111122223333:alias/x",
        "arn:aws:kms:useast1:111122223333:alias/x",
        "arn:aws:kms:us-east-1:111122223333:alias/",
        "arn:aws:kms:us-east-1:111122223333",
        "alias/with space",
    ] {
        let any = err(KeyIdentifier::parse(bad));
        if !bad.starts_with("arn:") || bad.contains(":key/") {
            if !bad.starts_with("alias/") {
                assert_eq!(any, err(ctx().resolve_for_import(bad)), "{bad}");
            }
        } else {
            assert_eq!(
                any,
                ("InvalidArnException", format!("Invalid arn {bad}")),
                "{bad}"
            );
        }
    }
    assert_eq!(
        ctx().alias_arn_for(&"alias/x".parse().unwrap()).to_string(),
        "arn:aws:kms:us-east-1:111122223333:alias/x"
    );
    assert_eq!(
        err(Err::<(), _>(
            ctx().alias_not_found(&"alias/x".parse().unwrap())
        )),
        (
            "NotFoundException",
            "Alias arn:aws:kms:us-east-1:111122223333:alias/x is not found.".to_owned()
        )
    );
    let _ = (MRK, KeyId::random);
}

#[test]
fn alias_resolution_answers_malformed_and_foreign_input_as_key_resolution_does() {
    let want = err(ctx().resolve_for_import(&"a".repeat(2049)));
    assert_eq!(err(ctx().resolve_any(&"a".repeat(2049))), want);
    for &bad in MALFORMED_KEY_ARNS {
        assert_eq!(
            err(ctx().resolve_any(bad)),
            ("InvalidArnException", format!("Invalid arn {bad}")),
            "{bad}"
        );
    }
    for &foreign in FOREIGN_KEY_ARNS {
        assert_eq!(
            err(ctx().resolve_any(foreign)),
            (
                "NotFoundException",
                format!("Key '{foreign}' does not exist")
            )
        );
    }
}
