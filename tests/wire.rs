//! The wire codec reads the import requests straight into the operations' request types, and
//! writes the operations' own response types as the bodies a server sends.
#![cfg(feature = "wire")]

use kms_import::wire;
use kms_import::{
    ExpirationModel, ImportToken, ImportType, KeyArn, KeyMaterialId, WrappingAlgorithm,
    WrappingKeySpec,
};
use time::OffsetDateTime;

const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn material_id(byte: u8) -> KeyMaterialId {
    KeyMaterialId::from_bytes([byte; 32])
}

fn encoded(response: wire::Response) -> serde_json::Value {
    let (status, body) = wire::encode_response(&response);
    assert_eq!(status, 200);
    serde_json::from_slice(&body).unwrap()
}

#[test]
fn parameters_response_carries_the_arn_token_key_and_validity() {
    let arn: KeyArn = ARN.parse().unwrap();
    let valid_to = OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
    let response = kms_import::GetParametersForImportResponse {
        key_id: arn,
        public_key: vec![1, 2, 3],
        import_token: ImportToken::from_bytes(vec![9, 8, 7]),
        parameters_valid_to: valid_to,
    };
    let body = encoded(wire::Response::GetParametersForImport(response.clone()));
    assert_eq!(
        body,
        serde_json::json!({
            "KeyId": ARN,
            "PublicKey": "AQID",
            "ImportToken": "CQgH",
            "ParametersValidTo": 1_767_323_045,
        })
    );
    // A client reads the same body back into the operation's type.
    let back: kms_import::GetParametersForImportResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back, response);
    // A KeyId that is not a key ARN is refused.
    let bad = serde_json::json!({
        "KeyId": "alias/x", "PublicKey": "AQID", "ImportToken": "CQgH",
        "ParametersValidTo": 1,
    });
    assert!(serde_json::from_value::<kms_import::GetParametersForImportResponse>(bad).is_err());
}

#[test]
fn import_response_always_names_the_material() {
    let response = kms_import::ImportKeyMaterialResponse {
        key_id: ARN.parse().unwrap(),
        key_material_id: material_id(5),
        legacy_wrapping: true,
    };
    let body = encoded(wire::Response::ImportKeyMaterial(response.clone()));
    // `legacy_wrapping` is the library's own signal, not an AWS member.
    assert_eq!(
        body,
        serde_json::json!({ "KeyId": ARN, "KeyMaterialId": material_id(5).to_string() })
    );
    let back: kms_import::ImportKeyMaterialResponse = serde_json::from_value(body).unwrap();
    assert_eq!(back.key_id, response.key_id);
    assert_eq!(back.key_material_id, material_id(5));
    assert!(!back.legacy_wrapping);
}

#[test]
fn delete_response_keeps_an_absent_material_id_absent() {
    for id in [None, Some(material_id(6))] {
        let response = kms_import::DeleteImportedKeyMaterialResponse {
            key_id: ARN.parse().unwrap(),
            key_material_id: id,
        };
        let body = encoded(wire::Response::DeleteImportedKeyMaterial(response.clone()));
        let expected = match id {
            Some(id) => serde_json::json!({ "KeyId": ARN, "KeyMaterialId": id.to_string() }),
            None => serde_json::json!({ "KeyId": ARN }),
        };
        assert_eq!(body, expected);
        let back: kms_import::DeleteImportedKeyMaterialResponse =
            serde_json::from_value(body).unwrap();
        assert_eq!(back, response);
    }
}

#[test]
fn parsed_import_request_keeps_every_member() {
    let body = format!(
        r#"{{"KeyId":"{ARN}","ImportToken":"AQID","EncryptedKeyMaterial":"BAUG",
            "ExpirationModel":"KEY_MATERIAL_EXPIRES","ValidTo":1767323045,
            "ImportType":"EXISTING_KEY_MATERIAL","KeyMaterialId":"{}",
            "KeyMaterialDescription":"first"}}"#,
        material_id(7)
    );
    let wire::Request::ImportKeyMaterial(parsed) =
        wire::parse_request("TrentService.ImportKeyMaterial", body.as_bytes()).unwrap()
    else {
        panic!("not an ImportKeyMaterial request");
    };
    let r: kms_import::ImportKeyMaterialRequest = parsed;
    assert_eq!(r.key_id, ARN);
    assert_eq!(r.import_token, [1, 2, 3]);
    assert_eq!(r.encrypted_key_material, [4, 5, 6]);
    assert_eq!(
        r.expiration_model,
        Some(ExpirationModel::KeyMaterialExpires)
    );
    assert_eq!(
        r.valid_to,
        Some(OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap())
    );
    assert_eq!(r.import_type, Some(ImportType::ExistingKeyMaterial));
    assert_eq!(r.key_material_id, Some(material_id(7)));
    assert_eq!(r.key_material_description.as_deref(), Some("first"));
}

#[test]
fn parsed_parameters_and_delete_requests_keep_every_member() {
    let body = format!(
        r#"{{"KeyId":"{ARN}","WrappingAlgorithm":"RSA_AES_KEY_WRAP_SHA_256","WrappingKeySpec":"RSA_3072"}}"#
    );
    let wire::Request::GetParametersForImport(parsed) =
        wire::parse_request("TrentService.GetParametersForImport", body.as_bytes()).unwrap()
    else {
        panic!("not a GetParametersForImport request");
    };
    let r: kms_import::GetParametersForImportRequest = parsed;
    assert_eq!(r.key_id, ARN);
    assert_eq!(r.wrapping_algorithm, WrappingAlgorithm::RsaAesKeyWrapSha256);
    assert_eq!(r.wrapping_key_spec, WrappingKeySpec::Rsa3072);

    let body = format!(
        r#"{{"KeyId":"{ARN}","KeyMaterialId":"{}"}}"#,
        material_id(8)
    );
    let wire::Request::DeleteImportedKeyMaterial(parsed) =
        wire::parse_request("TrentService.DeleteImportedKeyMaterial", body.as_bytes()).unwrap()
    else {
        panic!("not a DeleteImportedKeyMaterial request");
    };
    let r: kms_import::DeleteImportedKeyMaterialRequest = parsed;
    assert_eq!(r.key_id, ARN);
    assert_eq!(r.key_material_id, Some(material_id(8)));
}

#[test]
fn only_the_import_operations_are_read_here() {
    assert_eq!(wire::Operation::ALL.len(), 5);
    for op in [
        "CreateKey",
        "Encrypt",
        "CreateAlias",
        "DescribeKey",
        "GenerateDataKey",
    ] {
        let e = wire::parse_request(&format!("TrentService.{op}"), b"{}").unwrap_err();
        assert_eq!(e.code(), "UnsupportedOperationException", "{op}");
        assert!(wire::Operation::from_target(&format!("TrentService.{op}")).is_err());
    }
    let unknown = wire::Operation::from_target("TrentService.CreateKey").unwrap_err();
    let (status, body) = unknown.encode();
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["__type"], "UnknownOperationException");
}

#[test]
fn rotation_requests_keep_their_members() {
    let body = format!(r#"{{"KeyId":"{ARN}"}}"#);
    let wire::Request::RotateKeyOnDemand(r) =
        wire::parse_request("TrentService.RotateKeyOnDemand", body.as_bytes()).unwrap()
    else {
        panic!("not a RotateKeyOnDemand request");
    };
    assert_eq!(r.key_id, ARN);
    let e = wire::parse_request("TrentService.RotateKeyOnDemand", b"{}").unwrap_err();
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: \
         Member must not be null"
    );

    let body = format!(
        r#"{{"KeyId":"{ARN}","IncludeKeyMaterial":"ALL_KEY_MATERIAL","Limit":7,"Marker":"m"}}"#
    );
    let wire::Request::ListKeyRotations(r) =
        wire::parse_request("TrentService.ListKeyRotations", body.as_bytes()).unwrap()
    else {
        panic!("not a ListKeyRotations request");
    };
    assert_eq!(r.key_id, ARN);
    assert_eq!(
        r.include_key_material,
        Some(kms_import::IncludeKeyMaterial::AllKeyMaterial)
    );
    assert_eq!(r.limit, Some(7));
    assert_eq!(r.marker.as_deref(), Some("m"));
    let body = format!(r#"{{"KeyId":"{ARN}","Limit":0}}"#);
    let e = wire::parse_request("TrentService.ListKeyRotations", body.as_bytes()).unwrap_err();
    assert_eq!(e.code(), "ValidationException");
}

#[test]
fn import_responses_encode_with_aws_member_names() {
    let (status, body) = wire::encode_response(&wire::Response::RotateKeyOnDemand(
        wire::RotateKeyOnDemandResponse {
            key_id: ARN.to_owned(),
        },
    ));
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({ "KeyId": ARN })
    );
    let valid_to = OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
    let (_, body) = wire::encode_response(&wire::Response::GetParametersForImport(
        kms_import::GetParametersForImportResponse {
            key_id: ARN.parse().unwrap(),
            import_token: ImportToken::from_bytes(vec![1, 2, 3]),
            public_key: vec![4, 5, 6],
            parameters_valid_to: valid_to,
        },
    ));
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({
            "KeyId": ARN,
            "ImportToken": "AQID",
            "PublicKey": "BAUG",
            "ParametersValidTo": 1_767_323_045,
        })
    );
}

#[test]
fn members_read_further_operations_with_the_same_rules() {
    let m = wire::Members::parse(br#"{"Plaintext":"not base64!","Limit":"7"}"#).unwrap();
    assert_eq!(
        m.sensitive_blob("Plaintext", 1, 4096).unwrap_err().code(),
        "SerializationException"
    );
    assert_eq!(
        m.integer("Limit", 1, 1000).unwrap_err().code(),
        "SerializationException"
    );
    let e = wire::required(m.key_id("KeyId").unwrap(), "KeyId").unwrap_err();
    assert_eq!(
        e.message(),
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: \
         Member must not be null"
    );
    assert_eq!(
        wire::Members::parse(b"[1]").unwrap_err().code(),
        "SerializationException"
    );
}

#[test]
fn blob_and_timestamp_helpers_spell_members_as_aws_does() {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Out {
        #[serde(with = "kms_import::wire::blob")]
        blob: Vec<u8>,
        #[serde(with = "kms_import::wire::timestamp")]
        at: OffsetDateTime,
        #[serde(
            default,
            with = "kms_import::wire::timestamp_opt",
            skip_serializing_if = "Option::is_none"
        )]
        until: Option<OffsetDateTime>,
    }
    let out = Out {
        blob: vec![0xff, 0x00],
        at: OffsetDateTime::from_unix_timestamp_nanos(1_568_290_320_250_000_000).unwrap(),
        until: None,
    };
    let json = serde_json::to_value(&out).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "blob": "/wA=", "at": 1_568_290_320.25 })
    );
    assert_eq!(serde_json::from_value::<Out>(json).unwrap(), out);
}
