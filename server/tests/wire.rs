//! The AWS JSON 1.1 wire layer of every operation the server answers (the import operations
//! through kms-import's codec): request bodies as boto3 sends them, response member names,
//! encoding rules, AWS's validation messages, and robustness against arbitrary input.

use base64ct::{Base64, Encoding};
use kms_import::{
    Error, ExpirationModel, ImportType, KeyMaterialId, KeySpec, KeyState, KeyUsage, Origin,
    WrappingAlgorithm, WrappingKeySpec,
};
use kms_import::{
    ImportState, ImportToken, IncludeKeyMaterial, KeyManager, KeyMaterialState, RotationType,
};
use kms_import_server::names::{
    EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use kms_import_server::wire::{self, *};
use proptest::prelude::*;
use serde_json::{Value, json};
use time::OffsetDateTime;

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const MATERIAL_ID: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

fn parse(op: &str, body: Value) -> Result<Request, Error> {
    parse_request(&format!("TrentService.{op}"), body.to_string().as_bytes())
}

fn parse_err(op: &str, body: Value) -> Error {
    match parse(op, body) {
        Ok(r) => panic!("{op} unexpectedly parsed: {r:?}"),
        Err(e) => e,
    }
}

fn b64(bytes: &[u8]) -> String {
    Base64::encode_string(bytes)
}

fn b64_len(n: usize) -> String {
    b64(&vec![0x5a; n])
}

fn at(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap()
}

/// The response body as JSON, after checking the status is 200.
fn ok_body(response: Response) -> Value {
    let (status, body) = encode_response(&response);
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn sorted(mut names: Vec<&str>) -> Vec<&str> {
    names.sort_unstable();
    names
}

fn validation(message: &str) -> Error {
    Error::Validation(message.to_owned())
}

fn missing(member: &str) -> Error {
    validation(&format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: \
         Member must not be null"
    ))
}

fn too_long(member: &str, max: usize) -> Error {
    validation(&format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
         Member must have length less than or equal to {max}"
    ))
}

fn too_short(member: &str, min: usize) -> Error {
    validation(&format!(
        "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
         Member must have length greater than or equal to {min}"
    ))
}

// ---------------------------------------------------------------------------------------------
// Every operation parses a body shaped as boto3 sends it.

#[test]
fn create_key_parses_all_members_and_ignores_policy_tags_and_bypass() {
    let r = parse(
        "CreateKey",
        json!({
            "Policy": "{\"Version\":\"2012-10-17\"}",
            "Description": "imported signing key",
            "KeyUsage": "SIGN_VERIFY",
            "KeySpec": "ECC_NIST_P256",
            "Origin": "EXTERNAL",
            "BypassPolicyLockoutSafetyCheck": false,
            "Tags": [{"TagKey": "team", "TagValue": "pki"}],
            "MultiRegion": false
        }),
    )
    .unwrap();
    let Request::CreateKey(r) = r else { panic!() };
    assert_eq!(r.key_spec, Some(KeySpec::EccNistP256));
    assert_eq!(r.key_usage, Some(KeyUsage::SignVerify));
    assert_eq!(r.origin, Some(Origin::External));
    assert_eq!(r.description.as_deref(), Some("imported signing key"));
    assert_eq!(r.multi_region, Some(false));
}

#[test]
fn create_key_accepts_deprecated_customer_master_key_spec_as_key_spec() {
    let Request::CreateKey(r) = parse(
        "CreateKey",
        json!({"CustomerMasterKeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_spec, Some(KeySpec::Hmac256));
}

#[test]
fn create_key_rejects_key_spec_together_with_customer_master_key_spec() {
    let e = parse_err(
        "CreateKey",
        json!({"KeySpec": "RSA_2048", "CustomerMasterKeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"}),
    );
    assert_eq!(
        e,
        validation(
            "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. \
             CustomerMasterKeySpec is deprecated."
        )
    );
}

#[test]
fn customer_master_key_spec_admits_only_its_own_enum() {
    let e = parse_err("CreateKey", json!({"CustomerMasterKeySpec": "ML_DSA_44"}));
    assert_eq!(
        e.message(),
        "1 validation error detected: Value 'ML_DSA_44' at 'customerMasterKeySpec' failed to \
         satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, \
         ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, \
         HMAC_224, HMAC_256, HMAC_384, HMAC_512, SM2]"
    );
}

#[test]
fn key_id_only_operations_parse_key_id_and_ignore_grant_tokens() {
    for op in [
        "DescribeKey",
        "EnableKey",
        "DisableKey",
        "CancelKeyDeletion",
        "GetPublicKey",
        "RotateKeyOnDemand",
    ] {
        let r = parse(op, json!({"KeyId": KEY_ARN, "GrantTokens": ["t1"]})).unwrap();
        assert_eq!(r.operation().name(), op);
        let key_id = match r {
            Request::DescribeKey(r)
            | Request::EnableKey(r)
            | Request::DisableKey(r)
            | Request::CancelKeyDeletion(r)
            | Request::GetPublicKey(r) => r.key_id,
            Request::RotateKeyOnDemand(r) => r.key_id,
            other => panic!("{other:?}"),
        };
        assert_eq!(key_id, KEY_ARN);
    }
}

#[test]
fn list_keys_parses_limit_and_marker() {
    let Request::ListKeys(r) =
        parse("ListKeys", json!({"Limit": 100, "Marker": "eyJrIjoxfQ=="})).unwrap()
    else {
        panic!()
    };
    assert_eq!(r.limit, Some(100));
    assert_eq!(r.marker.as_deref(), Some("eyJrIjoxfQ=="));
}

#[test]
fn get_parameters_for_import_parses_its_three_members() {
    let Request::GetParametersForImport(r) = parse(
        "GetParametersForImport",
        json!({"KeyId": KEY_ID, "WrappingAlgorithm": "RSA_AES_KEY_WRAP_SHA_256", "WrappingKeySpec": "RSA_4096"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id, KEY_ID);
    assert_eq!(r.wrapping_algorithm, WrappingAlgorithm::RsaAesKeyWrapSha256);
    assert_eq!(r.wrapping_key_spec, WrappingKeySpec::Rsa4096);
}

#[test]
fn import_key_material_parses_every_member() {
    let token: Vec<u8> = (0..=255u8).collect();
    let wrapped = vec![0xC3; 512];
    let Request::ImportKeyMaterial(r) = parse(
        "ImportKeyMaterial",
        json!({
            "KeyId": KEY_ID,
            "ImportToken": b64(&token),
            "EncryptedKeyMaterial": b64(&wrapped),
            "ValidTo": 1_735_689_600,
            "ExpirationModel": "KEY_MATERIAL_EXPIRES",
            "ImportType": "EXISTING_KEY_MATERIAL",
            "KeyMaterialDescription": "hsm export 2025-01 batch.7",
            "KeyMaterialId": MATERIAL_ID
        }),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id, KEY_ID);
    assert_eq!(r.import_token, token);
    assert_eq!(r.encrypted_key_material, wrapped);
    assert_eq!(r.valid_to, Some(at(1_735_689_600)));
    assert_eq!(
        r.expiration_model,
        Some(ExpirationModel::KeyMaterialExpires)
    );
    assert_eq!(r.import_type, Some(ImportType::ExistingKeyMaterial));
    assert_eq!(
        r.key_material_description.as_deref(),
        Some("hsm export 2025-01 batch.7")
    );
    assert_eq!(r.key_material_id.unwrap().to_string(), MATERIAL_ID);
}

#[test]
fn import_key_material_leaves_optional_members_absent() {
    let Request::ImportKeyMaterial(r) = parse(
        "ImportKeyMaterial",
        json!({"KeyId": KEY_ID, "ImportToken": b64_len(10), "EncryptedKeyMaterial": b64_len(256),
               "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        r.expiration_model,
        Some(ExpirationModel::KeyMaterialDoesNotExpire)
    );
    assert_eq!(r.valid_to, None);
    assert_eq!(r.import_type, None);
    assert_eq!(r.key_material_description, None);
    assert_eq!(r.key_material_id, None);
}

#[test]
fn delete_imported_key_material_parses_optional_material_id() {
    let Request::DeleteImportedKeyMaterial(r) = parse(
        "DeleteImportedKeyMaterial",
        json!({"KeyId": KEY_ARN, "KeyMaterialId": MATERIAL_ID}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id, KEY_ARN);
    assert_eq!(r.key_material_id.unwrap().to_string(), MATERIAL_ID);
    let Request::DeleteImportedKeyMaterial(r) =
        parse("DeleteImportedKeyMaterial", json!({"KeyId": KEY_ID})).unwrap()
    else {
        panic!()
    };
    assert_eq!(r.key_material_id, None);
}

#[test]
fn schedule_key_deletion_parses_window() {
    let Request::ScheduleKeyDeletion(r) = parse(
        "ScheduleKeyDeletion",
        json!({"KeyId": KEY_ID, "PendingWindowInDays": 7}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.pending_window_in_days, Some(7));
}

#[test]
fn encrypt_parses_plaintext_context_and_algorithm() {
    let Request::Encrypt(r) = parse(
        "Encrypt",
        json!({"KeyId": "alias/app", "Plaintext": b64(b"attack at dawn"),
               "EncryptionContext": {"tenant": "a", "purpose": "test"},
               "GrantTokens": [], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "DryRun": false}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id, "alias/app");
    assert_eq!(r.plaintext.expose_secret(), b"attack at dawn");
    assert_eq!(
        r.encryption_context.get("tenant").map(String::as_str),
        Some("a")
    );
    assert_eq!(r.encryption_context.len(), 2);
    assert_eq!(
        r.encryption_algorithm,
        Some(EncryptionAlgorithmSpec::SymmetricDefault)
    );
    let debug = format!("{r:?}");
    assert!(
        !debug.contains("attack") && debug.contains("<redacted>"),
        "{debug}"
    );
}

#[test]
fn decrypt_parses_without_key_id() {
    let Request::Decrypt(r) =
        parse("Decrypt", json!({"CiphertextBlob": b64(&[1, 2, 3, 4])})).unwrap()
    else {
        panic!()
    };
    assert_eq!(r.ciphertext_blob, [1, 2, 3, 4]);
    assert_eq!(r.key_id, None);
    assert!(r.encryption_context.is_empty());
    let Request::Decrypt(r) = parse(
        "Decrypt",
        json!({"CiphertextBlob": b64(&[9; 300]), "KeyId": KEY_ARN,
               "EncryptionAlgorithm": "RSAES_OAEP_SHA_256", "EncryptionContext": {"k": "v"}}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id.as_deref(), Some(KEY_ARN));
    assert_eq!(
        r.encryption_algorithm,
        Some(EncryptionAlgorithmSpec::RsaesOaepSha256)
    );
}

#[test]
fn generate_and_verify_mac_parse() {
    let Request::GenerateMac(r) = parse(
        "GenerateMac",
        json!({"Message": b64(b"hello"), "KeyId": KEY_ID, "MacAlgorithm": "HMAC_SHA_384"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.message.expose_secret(), b"hello");
    assert_eq!(r.mac_algorithm, MacAlgorithmSpec::HmacSha384);
    let Request::VerifyMac(r) = parse(
        "VerifyMac",
        json!({"Message": b64(b"hello"), "KeyId": KEY_ID, "MacAlgorithm": "HMAC_SHA_256",
               "Mac": b64(&[7; 32])}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.mac, [7; 32]);
    assert_eq!(r.key_id, KEY_ID);
}

#[test]
fn sign_and_verify_parse() {
    let Request::Sign(r) = parse(
        "Sign",
        json!({"KeyId": KEY_ID, "Message": b64(&[0xAA; 32]), "MessageType": "DIGEST",
               "SigningAlgorithm": "ECDSA_SHA_256"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.message_type, Some(MessageType::Digest));
    assert_eq!(r.signing_algorithm, SigningAlgorithmSpec::EcdsaSha256);
    let Request::Verify(r) = parse(
        "Verify",
        json!({"KeyId": KEY_ID, "Message": b64(b"m"), "Signature": b64(&[1; 70]),
               "SigningAlgorithm": "RSASSA_PSS_SHA_512"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.message_type, None);
    assert_eq!(r.signature, [1; 70]);
    assert_eq!(r.signing_algorithm, SigningAlgorithmSpec::RsassaPssSha512);
}

#[test]
fn alias_operations_parse() {
    let Request::CreateAlias(r) = parse(
        "CreateAlias",
        json!({"AliasName": "alias/imported-key_1", "TargetKeyId": KEY_ID}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.alias_name, "alias/imported-key_1");
    assert_eq!(r.target_key_id, KEY_ID);
    let Request::DeleteAlias(r) =
        parse("DeleteAlias", json!({"AliasName": "alias/imported-key_1"})).unwrap()
    else {
        panic!()
    };
    assert_eq!(r.alias_name, "alias/imported-key_1");
    let Request::ListAliases(r) = parse(
        "ListAliases",
        json!({"KeyId": KEY_ID, "Limit": 50, "Marker": "m"}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id.as_deref(), Some(KEY_ID));
    assert_eq!(r.limit, Some(50));
    assert_eq!(r.marker.as_deref(), Some("m"));
}

#[test]
fn list_key_rotations_parses() {
    let Request::ListKeyRotations(r) = parse(
        "ListKeyRotations",
        json!({"KeyId": KEY_ID, "IncludeKeyMaterial": "ALL_KEY_MATERIAL", "Limit": 1000}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(
        r.include_key_material,
        Some(IncludeKeyMaterial::AllKeyMaterial)
    );
    assert_eq!(r.limit, Some(1000));
    assert_eq!(r.marker, None);
}

#[test]
fn operations_without_required_members_accept_an_empty_body() {
    for op in ["ListKeys", "ListAliases", "CreateKey"] {
        let target = format!("TrentService.{op}");
        assert!(parse_request(&target, b"").is_ok(), "{op}");
        assert!(parse_request(&target, b"  \n").is_ok(), "{op}");
        assert!(parse_request(&target, b"{}").is_ok(), "{op}");
    }
    assert_eq!(
        parse_request("TrentService.DescribeKey", b"").unwrap_err(),
        missing("keyId")
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding rules.

#[test]
fn unknown_members_are_ignored() {
    let Request::GetParametersForImport(r) = parse(
        "GetParametersForImport",
        json!({"KeyId": KEY_ID, "WrappingAlgorithm": "RSAES_OAEP_SHA_256",
               "WrappingKeySpec": "RSA_2048", "Unknown": {"nested": [1, 2]}, "keyId": 5}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.key_id, KEY_ID);
}

#[test]
fn null_members_count_as_absent() {
    assert_eq!(
        parse_err("DescribeKey", json!({"KeyId": null})),
        missing("keyId")
    );
    let Request::ListKeys(r) = parse("ListKeys", json!({"Limit": null})).unwrap() else {
        panic!()
    };
    assert_eq!(r.limit, None);
}

#[test]
fn fractional_timestamps_are_accepted() {
    let body = |valid_to: Value| {
        json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(256),
               "ValidTo": valid_to})
    };
    let Request::ImportKeyMaterial(r) =
        parse("ImportKeyMaterial", body(json!(1568290320.5))).unwrap()
    else {
        panic!()
    };
    let t = r.valid_to.unwrap();
    assert_eq!(t.unix_timestamp(), 1_568_290_320);
    assert_eq!(t.millisecond(), 500);
    let Request::ImportKeyMaterial(r) =
        parse("ImportKeyMaterial", body(json!(1568290320.0))).unwrap()
    else {
        panic!()
    };
    assert_eq!(r.valid_to, Some(at(1_568_290_320)));
}

#[test]
fn timestamps_must_be_numbers() {
    let e = parse_err(
        "ImportKeyMaterial",
        json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(256),
               "ValidTo": "2025-01-01T00:00:00Z"}),
    );
    assert_eq!(e.code(), "SerializationException");
}

#[test]
fn out_of_range_timestamps_are_serialization_errors() {
    let e = parse_err(
        "ImportKeyMaterial",
        json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(256),
               "ValidTo": 1e300}),
    );
    assert_eq!(e.code(), "SerializationException");
}

#[test]
fn blobs_round_trip_through_base64() {
    let token: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let Request::ImportKeyMaterial(r) = parse(
        "ImportKeyMaterial",
        json!({"KeyId": KEY_ID, "ImportToken": b64(&token), "EncryptedKeyMaterial": b64(&[0; 1])}),
    )
    .unwrap() else {
        panic!()
    };
    assert_eq!(r.import_token, token);

    let public_key = vec![0x30, 0x82, 0x01, 0x22, 0xff, 0x00];
    let body = ok_body(Response::GetParametersForImport(
        GetParametersForImportResponse {
            key_id: KEY_ARN.parse().unwrap(),
            import_token: ImportToken::from_bytes(r.import_token.clone()),
            public_key: public_key.clone(),
            parameters_valid_to: at(1_700_000_000),
        },
    ));
    assert_eq!(
        Base64::decode_vec(body["ImportToken"].as_str().unwrap()).unwrap(),
        token
    );
    assert_eq!(body["PublicKey"], json!("MIIBIv8A"));
    let back: GetParametersForImportResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back.public_key, public_key);
    assert_eq!(back.import_token.as_bytes(), token);
    assert_eq!(back.key_id.to_string(), KEY_ARN);
}

#[test]
fn malformed_base64_is_a_serialization_error() {
    for bad in ["not base64!", "QUJD=", "QUJDRA", "QU JD"] {
        let e = parse_err(
            "ImportKeyMaterial",
            json!({"KeyId": KEY_ID, "ImportToken": bad, "EncryptedKeyMaterial": b64_len(4)}),
        );
        assert_eq!(e.code(), "SerializationException", "{bad}");
    }
}

#[test]
fn members_of_the_wrong_json_type_are_serialization_errors() {
    let cases = [
        ("DescribeKey", json!({"KeyId": 42})),
        ("ListKeys", json!({"Limit": "10"})),
        ("ListKeys", json!({"Limit": 10.5})),
        ("CreateKey", json!({"MultiRegion": "true"})),
        (
            "Encrypt",
            json!({"KeyId": KEY_ID, "Plaintext": b64(b"x"), "EncryptionContext": {"a": 1}}),
        ),
        (
            "Encrypt",
            json!({"KeyId": KEY_ID, "Plaintext": b64(b"x"), "EncryptionContext": ["a"]}),
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": KEY_ID, "ImportToken": [1, 2], "EncryptedKeyMaterial": b64_len(4)}),
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": KEY_ID, "WrappingAlgorithm": 1, "WrappingKeySpec": "RSA_2048"}),
        ),
    ];
    for (op, body) in cases {
        assert_eq!(
            parse_err(op, body.clone()).code(),
            "SerializationException",
            "{op} {body}"
        );
    }
}

#[test]
fn malformed_json_and_non_objects_are_serialization_errors() {
    for body in [
        &b"{"[..],
        b"{\"KeyId\": }",
        b"[]",
        b"\"KeyId\"",
        b"null",
        b"42",
        b"{\"KeyId\":\"a\"} trailing",
        b"\xff\xfe{}",
    ] {
        let e = parse_request("TrentService.DescribeKey", body).unwrap_err();
        assert_eq!(
            e.code(),
            "SerializationException",
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Required members.

#[test]
fn each_missing_required_member_gives_aws_message() {
    let gpfi = json!({"KeyId": KEY_ID, "WrappingAlgorithm": "RSAES_OAEP_SHA_256", "WrappingKeySpec": "RSA_4096"});
    let ikm =
        json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(256)});
    let enc = json!({"KeyId": KEY_ID, "Plaintext": b64(b"p")});
    let mac = json!({"Message": b64(b"m"), "KeyId": KEY_ID, "MacAlgorithm": "HMAC_SHA_256"});
    let vmac = json!({"Message": b64(b"m"), "KeyId": KEY_ID, "MacAlgorithm": "HMAC_SHA_256", "Mac": b64(&[1; 32])});
    let sign = json!({"KeyId": KEY_ID, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"});
    let verify = json!({"KeyId": KEY_ID, "Message": b64(b"m"), "Signature": b64(&[1; 64]), "SigningAlgorithm": "ECDSA_SHA_256"});
    let alias = json!({"AliasName": "alias/a", "TargetKeyId": KEY_ID});
    let key_only = json!({"KeyId": KEY_ID});
    // (operation, a complete body, its required members as (wire name, message name))
    type Case<'a> = (&'a str, &'a Value, &'a [(&'a str, &'a str)]);
    let cases: Vec<Case> = vec![
        (
            "GetParametersForImport",
            &gpfi,
            &[
                ("KeyId", "keyId"),
                ("WrappingAlgorithm", "wrappingAlgorithm"),
                ("WrappingKeySpec", "wrappingKeySpec"),
            ],
        ),
        (
            "ImportKeyMaterial",
            &ikm,
            &[
                ("KeyId", "keyId"),
                ("ImportToken", "importToken"),
                ("EncryptedKeyMaterial", "encryptedKeyMaterial"),
            ],
        ),
        (
            "DeleteImportedKeyMaterial",
            &key_only,
            &[("KeyId", "keyId")],
        ),
        ("DescribeKey", &key_only, &[("KeyId", "keyId")]),
        ("EnableKey", &key_only, &[("KeyId", "keyId")]),
        ("DisableKey", &key_only, &[("KeyId", "keyId")]),
        ("ScheduleKeyDeletion", &key_only, &[("KeyId", "keyId")]),
        ("CancelKeyDeletion", &key_only, &[("KeyId", "keyId")]),
        ("GetPublicKey", &key_only, &[("KeyId", "keyId")]),
        ("RotateKeyOnDemand", &key_only, &[("KeyId", "keyId")]),
        ("ListKeyRotations", &key_only, &[("KeyId", "keyId")]),
        (
            "Encrypt",
            &enc,
            &[("KeyId", "keyId"), ("Plaintext", "plaintext")],
        ),
        (
            "GenerateMac",
            &mac,
            &[
                ("Message", "message"),
                ("KeyId", "keyId"),
                ("MacAlgorithm", "macAlgorithm"),
            ],
        ),
        (
            "VerifyMac",
            &vmac,
            &[
                ("Message", "message"),
                ("KeyId", "keyId"),
                ("MacAlgorithm", "macAlgorithm"),
                ("Mac", "mac"),
            ],
        ),
        (
            "Sign",
            &sign,
            &[
                ("KeyId", "keyId"),
                ("Message", "message"),
                ("SigningAlgorithm", "signingAlgorithm"),
            ],
        ),
        (
            "Verify",
            &verify,
            &[
                ("KeyId", "keyId"),
                ("Message", "message"),
                ("Signature", "signature"),
                ("SigningAlgorithm", "signingAlgorithm"),
            ],
        ),
        (
            "CreateAlias",
            &alias,
            &[("AliasName", "aliasName"), ("TargetKeyId", "targetKeyId")],
        ),
        ("DeleteAlias", &alias, &[("AliasName", "aliasName")]),
    ];
    for (op, full, required) in cases {
        assert!(parse(op, full.clone()).is_ok(), "{op} full body must parse");
        for (pascal, camel) in required {
            let mut body = full.clone();
            body.as_object_mut().unwrap().remove(*pascal);
            assert_eq!(parse_err(op, body), missing(camel), "{op} without {pascal}");
        }
    }
    assert_eq!(parse_err("Decrypt", json!({})), missing("ciphertextBlob"));
}

// ---------------------------------------------------------------------------------------------
// Length limits at their boundaries.

fn import_body(token: String, material: String) -> Value {
    json!({"KeyId": KEY_ID, "ImportToken": token, "EncryptedKeyMaterial": material})
}

#[test]
fn import_blobs_accept_6144_bytes_and_reject_6145_and_0() {
    assert!(
        parse(
            "ImportKeyMaterial",
            import_body(b64_len(6144), b64_len(6144))
        )
        .is_ok()
    );
    assert!(parse("ImportKeyMaterial", import_body(b64_len(1), b64_len(1))).is_ok());
    assert_eq!(
        parse_err("ImportKeyMaterial", import_body(b64_len(6145), b64_len(10))),
        too_long("importToken", 6144)
    );
    assert_eq!(
        parse_err("ImportKeyMaterial", import_body(b64_len(10), b64_len(6145))),
        too_long("encryptedKeyMaterial", 6144)
    );
    assert_eq!(
        parse_err("ImportKeyMaterial", import_body(String::new(), b64_len(10))),
        too_short("importToken", 1)
    );
    assert_eq!(
        parse_err("ImportKeyMaterial", import_body(b64_len(10), String::new())),
        too_short("encryptedKeyMaterial", 1)
    );
}

#[test]
fn key_id_is_1_to_2048_characters() {
    assert!(parse("DescribeKey", json!({"KeyId": "k".repeat(2048)})).is_ok());
    assert_eq!(
        parse_err("DescribeKey", json!({"KeyId": "k".repeat(2049)})),
        too_long("keyId", 2048)
    );
    assert_eq!(
        parse_err("DescribeKey", json!({"KeyId": ""})),
        too_short("keyId", 1)
    );
    // Characters, not bytes: 2048 two-byte characters are within the limit.
    assert!(parse("DescribeKey", json!({"KeyId": "é".repeat(2048)})).is_ok());
    assert_eq!(
        parse_err(
            "CreateAlias",
            json!({"AliasName": "alias/a", "TargetKeyId": "k".repeat(2049)})
        ),
        too_long("targetKeyId", 2048)
    );
}

#[test]
fn key_material_id_must_be_64_lowercase_hex() {
    for good in [MATERIAL_ID.to_owned(), "0".repeat(64)] {
        assert!(
            parse(
                "DeleteImportedKeyMaterial",
                json!({"KeyId": KEY_ID, "KeyMaterialId": good})
            )
            .is_ok()
        );
    }
    for bad in [
        MATERIAL_ID.to_uppercase(),
        MATERIAL_ID[..63].to_owned(),
        format!("{MATERIAL_ID}0"),
        "g".repeat(64),
        String::new(),
    ] {
        let e = parse_err(
            "DeleteImportedKeyMaterial",
            json!({"KeyId": KEY_ID, "KeyMaterialId": bad}),
        );
        assert_eq!(e.code(), "ValidationException", "{bad}");
        assert!(
            e.message().contains("at 'keyMaterialId'"),
            "{}",
            e.message()
        );
    }
}

#[test]
fn key_material_description_is_at_most_256_pattern_characters() {
    let body = |d: &str| {
        json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(256),
               "KeyMaterialDescription": d})
    };
    assert!(parse("ImportKeyMaterial", body(&"d".repeat(256))).is_ok());
    assert!(parse("ImportKeyMaterial", body("Batch 7: a/b_c.d-e\tf")).is_ok());
    assert_eq!(
        parse_err("ImportKeyMaterial", body(&"d".repeat(257))),
        too_long("keyMaterialDescription", 256)
    );
    for bad in ["semi;colon", "ünïcode", "quote'"] {
        assert_eq!(
            parse_err("ImportKeyMaterial", body(bad)).message(),
            format!(
                "1 validation error detected: Value '{bad}' at 'keyMaterialDescription' failed \
                 to satisfy constraint: Member must satisfy regular expression pattern: \
                 ^[a-zA-Z0-9:/_\\s.-]+$"
            )
        );
    }
    // The pattern needs at least one character.
    assert_eq!(
        parse_err("ImportKeyMaterial", body("")).code(),
        "ValidationException"
    );
}

#[test]
fn alias_name_is_1_to_256_pattern_characters() {
    let name = format!("alias/{}", "a".repeat(250));
    assert!(parse("DeleteAlias", json!({"AliasName": name})).is_ok());
    assert_eq!(
        parse_err("DeleteAlias", json!({"AliasName": format!("{name}a")})),
        too_long("aliasName", 256)
    );
    assert_eq!(
        parse_err("DeleteAlias", json!({"AliasName": ""})),
        too_short("aliasName", 1)
    );
    assert_eq!(
        parse_err(
            "CreateAlias",
            json!({"AliasName": "alias/has space", "TargetKeyId": KEY_ID})
        )
        .message(),
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"
    );
}

#[test]
fn description_is_at_most_8192_characters() {
    assert!(parse("CreateKey", json!({"Description": ""})).is_ok());
    assert!(parse("CreateKey", json!({"Description": "x".repeat(8192)})).is_ok());
    assert_eq!(
        parse_err("CreateKey", json!({"Description": "x".repeat(8193)})),
        too_long("description", 8192)
    );
}

#[test]
fn plaintext_and_message_are_1_to_4096_bytes() {
    assert!(
        parse(
            "Encrypt",
            json!({"KeyId": KEY_ID, "Plaintext": b64_len(4096)})
        )
        .is_ok()
    );
    assert_eq!(
        parse_err(
            "Encrypt",
            json!({"KeyId": KEY_ID, "Plaintext": b64_len(4097)})
        ),
        too_long("plaintext", 4096)
    );
    assert_eq!(
        parse_err("Encrypt", json!({"KeyId": KEY_ID, "Plaintext": ""})),
        too_short("plaintext", 1)
    );
    let mac = |m: String| json!({"Message": m, "KeyId": KEY_ID, "MacAlgorithm": "HMAC_SHA_256"});
    assert!(parse("GenerateMac", mac(b64_len(4096))).is_ok());
    assert_eq!(
        parse_err("GenerateMac", mac(b64_len(4097))),
        too_long("message", 4096)
    );
    assert_eq!(
        parse_err("GenerateMac", mac(String::new())),
        too_short("message", 1)
    );
}

#[test]
fn ciphertext_mac_and_signature_are_1_to_6144_bytes() {
    assert!(parse("Decrypt", json!({"CiphertextBlob": b64_len(6144)})).is_ok());
    assert_eq!(
        parse_err("Decrypt", json!({"CiphertextBlob": b64_len(6145)})),
        too_long("ciphertextBlob", 6144)
    );
    assert_eq!(
        parse_err("Decrypt", json!({"CiphertextBlob": ""})),
        too_short("ciphertextBlob", 1)
    );
    let vmac = |m: String| json!({"Message": b64(b"m"), "KeyId": KEY_ID, "MacAlgorithm": "HMAC_SHA_256", "Mac": m});
    assert!(parse("VerifyMac", vmac(b64_len(6144))).is_ok());
    assert_eq!(
        parse_err("VerifyMac", vmac(b64_len(6145))),
        too_long("mac", 6144)
    );
    let verify = |s: String| json!({"KeyId": KEY_ID, "Message": b64(b"m"), "Signature": s, "SigningAlgorithm": "ECDSA_SHA_256"});
    assert!(parse("Verify", verify(b64_len(6144))).is_ok());
    assert_eq!(
        parse_err("Verify", verify(b64_len(6145))),
        too_long("signature", 6144)
    );
    assert_eq!(
        parse_err("Verify", verify(String::new())),
        too_short("signature", 1)
    );
}

#[test]
fn marker_is_1_to_1024_latin1_characters() {
    assert!(parse("ListKeys", json!({"Marker": "m".repeat(1024)})).is_ok());
    assert_eq!(
        parse_err("ListKeys", json!({"Marker": "m".repeat(1025)})),
        too_long("marker", 1024)
    );
    assert_eq!(
        parse_err("ListAliases", json!({"Marker": ""})),
        too_short("marker", 1)
    );
    assert_eq!(
        parse_err(
            "ListKeyRotations",
            json!({"KeyId": KEY_ID, "Marker": "tab\there"})
        )
        .code(),
        "ValidationException"
    );
}

#[test]
fn limit_is_1_to_1000() {
    for op in ["ListKeys", "ListAliases"] {
        assert!(parse(op, json!({"Limit": 1})).is_ok());
        assert!(parse(op, json!({"Limit": 1000})).is_ok());
        assert_eq!(
            parse_err(op, json!({"Limit": 0})),
            validation(
                "1 validation error detected: Value '0' at 'limit' failed to satisfy \
                 constraint: Member must have value greater than or equal to 1"
            )
        );
        assert_eq!(
            parse_err(op, json!({"Limit": 1001})),
            validation(
                "1 validation error detected: Value '1001' at 'limit' failed to satisfy \
                 constraint: Member must have value less than or equal to 1000"
            )
        );
    }
    assert_eq!(
        parse_err("ListKeyRotations", json!({"KeyId": KEY_ID, "Limit": -5})).code(),
        "ValidationException"
    );
}

#[test]
fn pending_window_is_7_to_30_days() {
    let body = |d: i64| json!({"KeyId": KEY_ID, "PendingWindowInDays": d});
    assert!(parse("ScheduleKeyDeletion", body(7)).is_ok());
    assert!(parse("ScheduleKeyDeletion", body(30)).is_ok());
    assert_eq!(
        parse_err("ScheduleKeyDeletion", body(6)),
        validation(
            "1 validation error detected: Value '6' at 'pendingWindowInDays' failed to satisfy \
             constraint: Member must have value greater than or equal to 7"
        )
    );
    assert_eq!(
        parse_err("ScheduleKeyDeletion", body(31)),
        validation(
            "1 validation error detected: Value '31' at 'pendingWindowInDays' failed to satisfy \
             constraint: Member must have value less than or equal to 30"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Enum values outside the model.

#[test]
fn bad_enum_values_name_the_member() {
    let cases = [
        (
            "GetParametersForImport",
            json!({"KeyId": KEY_ID, "WrappingAlgorithm": "RSAES_OAEP_SHA_512", "WrappingKeySpec": "RSA_4096"}),
            "1 validation error detected: Value 'RSAES_OAEP_SHA_512' at 'wrappingAlgorithm' \
             failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, \
             RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, \
             RSA_AES_KEY_WRAP_SHA_256, SM2PKE]",
        ),
        (
            "GetParametersForImport",
            json!({"KeyId": KEY_ID, "WrappingAlgorithm": "RSAES_OAEP_SHA_1", "WrappingKeySpec": "RSA_1024"}),
            "1 validation error detected: Value 'RSA_1024' at 'wrappingKeySpec' failed to \
             satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, \
             RSA_4096, SM2]",
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(8), "ExpirationModel": "NEVER"}),
            "1 validation error detected: Value 'NEVER' at 'expirationModel' failed to satisfy \
             constraint: Member must satisfy enum value set: [KEY_MATERIAL_EXPIRES, \
             KEY_MATERIAL_DOES_NOT_EXPIRE]",
        ),
        (
            "ImportKeyMaterial",
            json!({"KeyId": KEY_ID, "ImportToken": b64_len(8), "EncryptedKeyMaterial": b64_len(8), "ImportType": "new_key_material"}),
            "1 validation error detected: Value 'new_key_material' at 'importType' failed to \
             satisfy constraint: Member must satisfy enum value set: [NEW_KEY_MATERIAL, \
             EXISTING_KEY_MATERIAL]",
        ),
        (
            "CreateKey",
            json!({"Origin": "BYOK"}),
            "1 validation error detected: Value 'BYOK' at 'origin' failed to satisfy \
             constraint: Member must satisfy enum value set: [AWS_KMS, EXTERNAL, AWS_CLOUDHSM, \
             EXTERNAL_KEY_STORE]",
        ),
        (
            "GenerateMac",
            json!({"Message": b64(b"m"), "KeyId": KEY_ID, "MacAlgorithm": "HMAC_MD5"}),
            "1 validation error detected: Value 'HMAC_MD5' at 'macAlgorithm' failed to satisfy \
             constraint: Member must satisfy enum value set: [HMAC_SHA_224, HMAC_SHA_256, \
             HMAC_SHA_384, HMAC_SHA_512]",
        ),
        (
            "Sign",
            json!({"KeyId": KEY_ID, "Message": b64(b"m"), "MessageType": "TEXT", "SigningAlgorithm": "ECDSA_SHA_256"}),
            "1 validation error detected: Value 'TEXT' at 'messageType' failed to satisfy \
             constraint: Member must satisfy enum value set: [RAW, DIGEST]",
        ),
        (
            "ListKeyRotations",
            json!({"KeyId": KEY_ID, "IncludeKeyMaterial": "SOME"}),
            "1 validation error detected: Value 'SOME' at 'includeKeyMaterial' failed to \
             satisfy constraint: Member must satisfy enum value set: [ALL_KEY_MATERIAL, \
             ROTATIONS_ONLY]",
        ),
    ];
    for (op, body, message) in cases {
        assert_eq!(parse_err(op, body), validation(message), "{op}");
    }
    for (op, body, member) in [
        ("CreateKey", json!({"KeySpec": "AES_256"}), "keySpec"),
        ("CreateKey", json!({"KeyUsage": "WRAP"}), "keyUsage"),
        (
            "Encrypt",
            json!({"KeyId": KEY_ID, "Plaintext": b64(b"p"), "EncryptionAlgorithm": "AES"}),
            "encryptionAlgorithm",
        ),
        (
            "Verify",
            json!({"KeyId": KEY_ID, "Message": b64(b"m"), "Signature": b64(b"s"), "SigningAlgorithm": "DSA"}),
            "signingAlgorithm",
        ),
    ] {
        let e = parse_err(op, body);
        assert_eq!(e.code(), "ValidationException");
        assert!(
            e.message().contains(&format!("at '{member}'")),
            "{}",
            e.message()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Responses.

fn metadata() -> KeyMetadata {
    KeyMetadata {
        aws_account_id: "111122223333".into(),
        key_id: KEY_ID.into(),
        arn: KEY_ARN.into(),
        creation_date: at(1_700_000_000),
        enabled: false,
        description: String::new(),
        key_usage: KeyUsage::EncryptDecrypt,
        key_state: KeyState::PendingImport,
        deletion_date: None,
        valid_to: None,
        origin: Origin::External,
        expiration_model: None,
        key_manager: KeyManager::Customer,
        customer_master_key_spec: legacy_key_spec(KeySpec::SymmetricDefault),
        key_spec: KeySpec::SymmetricDefault,
        encryption_algorithms: Some(vec![EncryptionAlgorithmSpec::SymmetricDefault]),
        signing_algorithms: None,
        mac_algorithms: None,
        multi_region: false,
        current_key_material_id: None,
        pending_deletion_window_in_days: None,
    }
}

#[test]
fn key_metadata_uses_aws_member_names_and_omits_absent_members() {
    let body = ok_body(Response::DescribeKey(DescribeKeyResponse {
        key_metadata: metadata(),
    }));
    assert_eq!(keys(&body), ["KeyMetadata"]);
    let m = &body["KeyMetadata"];
    assert_eq!(
        keys(m),
        sorted(vec![
            "AWSAccountId",
            "KeyId",
            "Arn",
            "CreationDate",
            "Enabled",
            "Description",
            "KeyUsage",
            "KeyState",
            "Origin",
            "KeyManager",
            "CustomerMasterKeySpec",
            "KeySpec",
            "EncryptionAlgorithms",
            "MultiRegion",
        ])
    );
    assert_eq!(m["KeyState"], "PendingImport");
    assert_eq!(m["CreationDate"], json!(1_700_000_000));
    assert_eq!(m["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert!(
        !String::from_utf8(
            encode_response(&Response::DescribeKey(DescribeKeyResponse {
                key_metadata: metadata()
            }))
            .1
        )
        .unwrap()
        .contains("null")
    );
}

#[test]
fn key_metadata_with_every_member_present() {
    let mut md = metadata();
    md.key_state = KeyState::PendingDeletion;
    md.deletion_date = Some(at(1_700_604_800));
    md.valid_to =
        Some(OffsetDateTime::from_unix_timestamp_nanos(1_731_536_000_250_000_000).unwrap());
    md.expiration_model = Some(ExpirationModel::KeyMaterialExpires);
    md.current_key_material_id = Some(MATERIAL_ID.parse().unwrap());
    md.pending_deletion_window_in_days = Some(7);
    md.description = "d".into();
    let body = ok_body(Response::CreateKey(CreateKeyResponse {
        key_metadata: md.clone(),
    }));
    let m = &body["KeyMetadata"];
    for member in [
        "DeletionDate",
        "ValidTo",
        "ExpirationModel",
        "CurrentKeyMaterialId",
        "PendingDeletionWindowInDays",
    ] {
        assert!(m.get(member).is_some(), "{member}");
    }
    assert_eq!(m["ValidTo"], json!(1_731_536_000.25));
    assert_eq!(m["CurrentKeyMaterialId"], MATERIAL_ID);
    assert_eq!(m["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    let back: CreateKeyResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back.key_metadata, md);
}

#[test]
fn legacy_key_spec_is_absent_for_specs_the_deprecated_enum_lacks() {
    assert_eq!(legacy_key_spec(KeySpec::Rsa4096), Some(KeySpec::Rsa4096));
    assert_eq!(legacy_key_spec(KeySpec::MlDsa65), None);
}

#[test]
fn import_responses_use_aws_member_names() {
    let body = ok_body(Response::GetParametersForImport(
        GetParametersForImportResponse {
            key_id: KEY_ARN.parse().unwrap(),
            import_token: ImportToken::from_bytes(vec![1, 2, 3]),
            public_key: vec![4, 5, 6],
            parameters_valid_to: at(1_700_086_400),
        },
    ));
    assert_eq!(
        keys(&body),
        ["ImportToken", "KeyId", "ParametersValidTo", "PublicKey"]
    );
    assert_eq!(body["ParametersValidTo"], json!(1_700_086_400));
    assert_eq!(body["KeyId"], KEY_ARN);

    let id: KeyMaterialId = MATERIAL_ID.parse().unwrap();
    // `legacy_wrapping` is the library's own signal and stays off the wire.
    for legacy_wrapping in [false, true] {
        let body = ok_body(Response::ImportKeyMaterial(ImportKeyMaterialResponse {
            key_id: KEY_ARN.parse().unwrap(),
            key_material_id: id,
            legacy_wrapping,
        }));
        assert_eq!(
            body,
            json!({"KeyId": KEY_ARN, "KeyMaterialId": MATERIAL_ID})
        );
    }

    let body = ok_body(Response::DeleteImportedKeyMaterial(
        DeleteImportedKeyMaterialResponse {
            key_id: KEY_ARN.parse().unwrap(),
            key_material_id: Some(id),
        },
    ));
    assert_eq!(
        body,
        json!({"KeyId": KEY_ARN, "KeyMaterialId": MATERIAL_ID})
    );
    let body = ok_body(Response::DeleteImportedKeyMaterial(
        DeleteImportedKeyMaterialResponse {
            key_id: KEY_ARN.parse().unwrap(),
            key_material_id: None,
        },
    ));
    assert_eq!(body, json!({"KeyId": KEY_ARN}));
}

#[test]
fn operations_without_output_answer_an_empty_object() {
    for r in [
        Response::EnableKey,
        Response::DisableKey,
        Response::CreateAlias,
        Response::DeleteAlias,
    ] {
        assert_eq!(
            encode_response(&r),
            (200, b"{}".to_vec()),
            "{:?}",
            r.operation()
        );
    }
}

#[test]
fn key_lifecycle_responses_use_aws_member_names() {
    let body = ok_body(Response::ScheduleKeyDeletion(ScheduleKeyDeletionResponse {
        key_id: KEY_ARN.into(),
        deletion_date: Some(at(1_700_604_800)),
        key_state: KeyState::PendingDeletion,
        pending_window_in_days: 7,
    }));
    assert_eq!(
        body,
        json!({"KeyId": KEY_ARN, "DeletionDate": 1_700_604_800, "KeyState": "PendingDeletion",
               "PendingWindowInDays": 7})
    );
    for r in [
        Response::CancelKeyDeletion(KeyIdResponse {
            key_id: KEY_ARN.into(),
        }),
        Response::RotateKeyOnDemand(KeyIdResponse {
            key_id: KEY_ARN.into(),
        }),
    ] {
        assert_eq!(ok_body(r), json!({"KeyId": KEY_ARN}));
    }
    let body = ok_body(Response::ListKeys(ListKeysResponse {
        keys: vec![KeyListEntry {
            key_id: KEY_ID.into(),
            key_arn: KEY_ARN.into(),
        }],
        next_marker: None,
        truncated: false,
    }));
    assert_eq!(
        body,
        json!({"Keys": [{"KeyId": KEY_ID, "KeyArn": KEY_ARN}], "Truncated": false})
    );
}

#[test]
fn crypto_responses_use_aws_member_names() {
    let body = ok_body(Response::GetPublicKey(GetPublicKeyResponse {
        key_id: KEY_ARN.into(),
        public_key: vec![0x30, 0x59],
        customer_master_key_spec: legacy_key_spec(KeySpec::EccNistP256),
        key_spec: KeySpec::EccNistP256,
        key_usage: KeyUsage::SignVerify,
        encryption_algorithms: None,
        signing_algorithms: Some(vec![SigningAlgorithmSpec::EcdsaSha256]),
    }));
    assert_eq!(
        body,
        json!({"KeyId": KEY_ARN, "PublicKey": "MFk=", "CustomerMasterKeySpec": "ECC_NIST_P256",
               "KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY",
               "SigningAlgorithms": ["ECDSA_SHA_256"]})
    );
    assert_eq!(
        ok_body(Response::Encrypt(EncryptResponse {
            ciphertext_blob: vec![0xff; 3],
            key_id: KEY_ARN.into(),
            encryption_algorithm: EncryptionAlgorithmSpec::SymmetricDefault,
        })),
        json!({"CiphertextBlob": "////", "KeyId": KEY_ARN, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
    );
    let decrypt = DecryptResponse {
        key_id: KEY_ARN.into(),
        plaintext: SensitiveBlob::new(b"secret".to_vec()),
        encryption_algorithm: EncryptionAlgorithmSpec::SymmetricDefault,
        key_material_id: Some(MATERIAL_ID.parse().unwrap()),
    };
    assert!(!format!("{decrypt:?}").contains("secret"));
    assert_eq!(
        ok_body(Response::Decrypt(decrypt)),
        json!({"KeyId": KEY_ARN, "Plaintext": "c2VjcmV0", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
               "KeyMaterialId": MATERIAL_ID})
    );
    assert_eq!(
        ok_body(Response::GenerateMac(GenerateMacResponse {
            mac: vec![0; 2],
            mac_algorithm: MacAlgorithmSpec::HmacSha256,
            key_id: KEY_ARN.into(),
        })),
        json!({"Mac": "AAA=", "MacAlgorithm": "HMAC_SHA_256", "KeyId": KEY_ARN})
    );
    assert_eq!(
        ok_body(Response::VerifyMac(VerifyMacResponse {
            key_id: KEY_ARN.into(),
            mac_valid: true,
            mac_algorithm: MacAlgorithmSpec::HmacSha512,
        })),
        json!({"KeyId": KEY_ARN, "MacValid": true, "MacAlgorithm": "HMAC_SHA_512"})
    );
    assert_eq!(
        ok_body(Response::Sign(SignResponse {
            key_id: KEY_ARN.into(),
            signature: vec![1],
            signing_algorithm: SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
        })),
        json!({"KeyId": KEY_ARN, "Signature": "AQ==", "SigningAlgorithm": "RSASSA_PKCS1_V1_5_SHA_256"})
    );
    assert_eq!(
        ok_body(Response::Verify(VerifyResponse {
            key_id: KEY_ARN.into(),
            signature_valid: true,
            signing_algorithm: SigningAlgorithmSpec::EcdsaSha384,
        })),
        json!({"KeyId": KEY_ARN, "SignatureValid": true, "SigningAlgorithm": "ECDSA_SHA_384"})
    );
}

#[test]
fn list_responses_use_aws_member_names() {
    let body = ok_body(Response::ListAliases(ListAliasesResponse {
        aliases: vec![AliasListEntry {
            alias_name: "alias/app".into(),
            alias_arn: "arn:aws:kms:us-east-1:111122223333:alias/app".into(),
            target_key_id: Some(KEY_ID.into()),
            creation_date: Some(at(1_700_000_000)),
            last_updated_date: Some(at(1_700_000_100)),
        }],
        next_marker: Some("next".into()),
        truncated: true,
    }));
    assert_eq!(
        body,
        json!({"Aliases": [{"AliasName": "alias/app",
                            "AliasArn": "arn:aws:kms:us-east-1:111122223333:alias/app",
                            "TargetKeyId": KEY_ID, "CreationDate": 1_700_000_000,
                            "LastUpdatedDate": 1_700_000_100}],
               "NextMarker": "next", "Truncated": true})
    );
    let body = ok_body(Response::ListKeyRotations(ListKeyRotationsResponse {
        rotations: vec![
            RotationsListEntry {
                key_id: KEY_ARN.into(),
                key_material_id: Some(MATERIAL_ID.parse().unwrap()),
                key_material_description: Some("first".into()),
                import_state: Some(ImportState::Imported),
                key_material_state: Some(KeyMaterialState::Current),
                expiration_model: Some(ExpirationModel::KeyMaterialDoesNotExpire),
                valid_to: None,
                rotation_date: Some(at(1_700_000_000)),
                rotation_type: Some(RotationType::OnDemand),
            },
            RotationsListEntry {
                key_id: KEY_ARN.into(),
                key_material_id: None,
                key_material_description: None,
                import_state: Some(ImportState::PendingImport),
                key_material_state: Some(KeyMaterialState::PendingRotation),
                expiration_model: Some(ExpirationModel::KeyMaterialExpires),
                valid_to: Some(at(1_710_000_000)),
                rotation_date: None,
                rotation_type: None,
            },
        ],
        next_marker: None,
        truncated: false,
    }));
    assert_eq!(
        body,
        json!({"Rotations": [
                  {"KeyId": KEY_ARN, "KeyMaterialId": MATERIAL_ID, "KeyMaterialDescription": "first",
                   "ImportState": "IMPORTED", "KeyMaterialState": "CURRENT",
                   "ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE",
                   "RotationDate": 1_700_000_000, "RotationType": "ON_DEMAND"},
                  {"KeyId": KEY_ARN, "ImportState": "PENDING_IMPORT",
                   "KeyMaterialState": "PENDING_ROTATION",
                   "ExpirationModel": "KEY_MATERIAL_EXPIRES", "ValidTo": 1_710_000_000}],
               "Truncated": false})
    );
}

// ---------------------------------------------------------------------------------------------
// Errors and dispatch.

#[test]
fn error_body_has_type_and_message_and_status() {
    let (status, body) = encode_error(&missing("keyId"));
    assert_eq!(status, 400);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        v,
        json!({"__type": "ValidationException",
               "message": "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"})
    );
    let (status, body) = encode_error(&Error::Internal);
    assert_eq!(status, 500);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["__type"], "KMSInternalException");
    assert_eq!(keys(&v), ["__type", "message"]);
    let (status, body) = encode_error(&Error::InvalidImportToken);
    assert_eq!(status, 400);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["__type"], "InvalidImportTokenException");
}

#[test]
fn error_messages_are_json_escaped() {
    let e = Error::NotFound("Invalid keyId '\"}{\\'".into());
    let (_, body) = encode_error(&e);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["message"], "Invalid keyId '\"}{\\'");
}

#[test]
fn unknown_targets_are_unsupported_operations() {
    for target in [
        "TrentService.GenerateDataKey",
        "TrentService.describeKey",
        "DescribeKey",
        "Other.DescribeKey",
        "",
    ] {
        let e = parse_request(target, b"{}").unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException", "{target}");
        let unknown = Operation::from_target(target).unwrap_err();
        let (status, body) = unknown.encode();
        assert_eq!(status, 400);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["__type"], "UnknownOperationException");
    }
}

#[test]
fn operation_names_match_their_targets() {
    assert_eq!(
        Operation::ImportKeyMaterial.target(),
        "TrentService.ImportKeyMaterial"
    );
    assert_eq!(wire::TARGET_PREFIX, "TrentService.");
    assert_eq!(wire::CONTENT_TYPE, "application/x-amz-json-1.1");
    for op in Operation::ALL {
        let r = parse_request(&op.target(), b"{}");
        // Whatever the outcome, it is for the operation the target named.
        if let Ok(r) = r {
            assert_eq!(r.operation(), *op);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Robustness: nothing an attacker sends makes the parser panic.

const MEMBER_NAMES: &[&str] = &[
    "KeyId",
    "ImportToken",
    "EncryptedKeyMaterial",
    "ValidTo",
    "ExpirationModel",
    "ImportType",
    "KeyMaterialDescription",
    "KeyMaterialId",
    "WrappingAlgorithm",
    "WrappingKeySpec",
    "KeySpec",
    "CustomerMasterKeySpec",
    "KeyUsage",
    "Origin",
    "Description",
    "MultiRegion",
    "Limit",
    "Marker",
    "PendingWindowInDays",
    "Plaintext",
    "CiphertextBlob",
    "EncryptionContext",
    "EncryptionAlgorithm",
    "Message",
    "MessageType",
    "MacAlgorithm",
    "Mac",
    "SigningAlgorithm",
    "Signature",
    "AliasName",
    "TargetKeyId",
    "IncludeKeyMaterial",
];

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::from(b64(&b))),
        prop_oneof![
            Just("RSA_4096"),
            Just("RSAES_OAEP_SHA_256"),
            Just("KEY_MATERIAL_EXPIRES"),
            Just("NEW_KEY_MATERIAL"),
            Just(MATERIAL_ID),
            Just(KEY_ID),
            Just("alias/x"),
        ]
        .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn request_object() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map(
        prop_oneof![
            proptest::sample::select(MEMBER_NAMES).prop_map(str::to_owned),
            ".{0,12}"
        ],
        json_value(),
        0..10,
    )
    .prop_map(|m| Value::Object(m.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512),
                                   op in proptest::sample::select(Operation::ALL)) {
        if let Err(e) = parse_request(&op.target(), &body) {
            let (status, out) = encode_error(&e);
            prop_assert_eq!(status, 400);
            prop_assert!(serde_json::from_slice::<Value>(&out).is_ok());
        }
    }

    #[test]
    fn arbitrary_json_objects_never_panic(body in request_object(),
                                          op in proptest::sample::select(Operation::ALL)) {
        let bytes = body.to_string().into_bytes();
        match parse_request(&op.target(), &bytes) {
            Ok(r) => prop_assert_eq!(r.operation(), op),
            Err(e) => prop_assert!(
                matches!(e.code(), "ValidationException" | "SerializationException"),
                "{}", e.code()
            ),
        }
    }

    #[test]
    fn arbitrary_json_values_never_panic(body in json_value(),
                                         op in proptest::sample::select(Operation::ALL)) {
        let _ = parse_request(&op.target(), body.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_targets_never_panic(target in ".{0,64}") {
        let _ = parse_request(&target, b"{}");
    }
}
