//! The conversions between the import operations' types and the wire types, which a server
//! uses to answer GetParametersForImport, ImportKeyMaterial and DeleteImportedKeyMaterial.
#![cfg(feature = "serde")]

use kms_import::import;
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

#[test]
fn parameters_response_carries_the_arn_token_key_and_validity() {
    let arn: KeyArn = ARN.parse().unwrap();
    let valid_to = OffsetDateTime::from_unix_timestamp(1_767_323_045).unwrap();
    let out: wire::GetParametersForImportResponse = import::GetParametersForImportResponse {
        key_id: arn,
        public_key: vec![1, 2, 3],
        import_token: ImportToken::from_bytes(vec![9, 8, 7]),
        parameters_valid_to: valid_to,
    }
    .into();
    assert_eq!(out.key_id, ARN);
    assert_eq!(out.public_key, [1, 2, 3]);
    assert_eq!(out.import_token, [9, 8, 7]);
    assert_eq!(out.parameters_valid_to, valid_to);
}

#[test]
fn import_response_always_names_the_material() {
    let out: wire::ImportKeyMaterialResponse = import::ImportKeyMaterialResponse {
        key_id: ARN.parse().unwrap(),
        key_material_id: material_id(5),
        legacy_wrapping: false,
    }
    .into();
    assert_eq!(out.key_id, ARN);
    assert_eq!(out.key_material_id, Some(material_id(5)));
}

#[test]
fn delete_response_keeps_an_absent_material_id_absent() {
    for id in [None, Some(material_id(6))] {
        let out: wire::DeleteImportedKeyMaterialResponse =
            import::DeleteImportedKeyMaterialResponse {
                key_id: ARN.parse().unwrap(),
                key_material_id: id,
            }
            .into();
        assert_eq!(out.key_id, ARN);
        assert_eq!(out.key_material_id, id);
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
    let r: import::ImportKeyMaterialRequest = parsed.into();
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
    let r: import::GetParametersForImportRequest = parsed.into();
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
    let r: import::DeleteImportedKeyMaterialRequest = parsed.into();
    assert_eq!(r.key_id, ARN);
    assert_eq!(r.key_material_id, Some(material_id(8)));
}
