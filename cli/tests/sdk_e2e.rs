//! The AWS SDK for Rust as a client of kms-import-server, beside boto3 and the AWS CLI: the
//! import operations driven through `aws-sdk-kms` directly (GetParametersForImport,
//! ImportKeyMaterial, DeleteImportedKeyMaterial), with the material wrapped by the library,
//! and the errors the SDK must surface by name.

mod common;

use aws_sdk_kms::Client;
use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::{Blob, DateTime};
use aws_sdk_kms::types::{
    AlgorithmSpec, ExpirationModelType, KeySpec, KeyState, KeyUsageType, OriginType,
    WrappingKeySpec,
};
use common::{kms_client, runtime};
use kms_import::{WrapPolicy, WrappingPublicKey};

struct Params {
    public_key: Vec<u8>,
    token: Blob,
}

async fn create_external(kms: &Client) -> String {
    kms.create_key()
        .origin(OriginType::External)
        .key_spec(KeySpec::SymmetricDefault)
        .key_usage(KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .arn()
        .unwrap()
        .to_owned()
}

async fn params(kms: &Client, key: &str) -> Params {
    let out = kms
        .get_parameters_for_import()
        .key_id(key)
        .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
        .wrapping_key_spec(WrappingKeySpec::Rsa2048)
        .send()
        .await
        .unwrap();
    assert_eq!(out.key_id(), Some(key));
    assert!(out.parameters_valid_to().is_some());
    Params {
        public_key: out.public_key().unwrap().as_ref().to_vec(),
        token: out.import_token().unwrap().clone(),
    }
}

fn wrap(p: &Params, material: &[u8]) -> Vec<u8> {
    let key = WrappingPublicKey::from_spki_der(&p.public_key).unwrap();
    assert_eq!(key.spec(), kms_import::WrappingKeySpec::Rsa2048);
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    key.wrap(
        kms_import::WrappingAlgorithm::RsaesOaepSha256,
        material,
        &WrapPolicy::new(),
        &mut rng,
    )
    .unwrap()
}

async fn state(kms: &Client, key: &str) -> KeyState {
    kms.describe_key()
        .key_id(key)
        .send()
        .await
        .unwrap()
        .key_metadata()
        .unwrap()
        .key_state()
        .unwrap()
        .clone()
}

/// The exception name of a failed call.
fn code<E: ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("none").to_owned()
}

#[test]
fn import_delete_and_reimport_through_the_sdk() {
    let kms = kms_client();
    runtime().block_on(async {
        let key = create_external(&kms).await;
        assert_eq!(state(&kms, &key).await, KeyState::PendingImport);
        let material = [0x11u8; 32];

        let p = params(&kms, &key).await;
        let valid_to = DateTime::from_secs(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64
                + 86_400,
        );
        let imported = kms
            .import_key_material()
            .key_id(&key)
            .import_token(p.token.clone())
            .encrypted_key_material(Blob::new(wrap(&p, &material)))
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .valid_to(valid_to)
            .send()
            .await
            .unwrap();
        let id = imported.key_material_id().unwrap().to_owned();
        assert_eq!(id.len(), 64);
        assert_eq!(state(&kms, &key).await, KeyState::Enabled);
        let metadata = kms.describe_key().key_id(&key).send().await.unwrap();
        let metadata = metadata.key_metadata().unwrap();
        assert_eq!(metadata.valid_to().map(|t| t.secs()), Some(valid_to.secs()));
        assert_eq!(metadata.current_key_material_id(), Some(id.as_str()));

        // The same token again: used up.
        let e = kms
            .import_key_material()
            .key_id(&key)
            .import_token(p.token.clone())
            .encrypted_key_material(Blob::new(wrap(&p, &material)))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "InvalidImportTokenException");

        let deleted = kms
            .delete_imported_key_material()
            .key_id(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.key_material_id(), Some(id.as_str()));
        assert_eq!(state(&kms, &key).await, KeyState::PendingImport);

        // Other material cannot restore the key; the same material can.
        let p = params(&kms, &key).await;
        let e = kms
            .import_key_material()
            .key_id(&key)
            .import_token(p.token.clone())
            .encrypted_key_material(Blob::new(wrap(&p, &[0x22u8; 32])))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "IncorrectKeyMaterialException");
        let p = params(&kms, &key).await;
        let again = kms
            .import_key_material()
            .key_id(&key)
            .import_token(p.token.clone())
            .encrypted_key_material(Blob::new(wrap(&p, &material)))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .send()
            .await
            .unwrap();
        assert_eq!(again.key_material_id(), Some(id.as_str()));
        assert_eq!(state(&kms, &key).await, KeyState::Enabled);
    });
}

#[test]
fn the_sdk_surfaces_each_import_error_by_name() {
    let kms = kms_client();
    runtime().block_on(async {
        let key = create_external(&kms).await;
        let other = create_external(&kms).await;
        let material = [0x33u8; 32];
        let import = |token: Blob, blob: Vec<u8>, key: String| {
            kms.import_key_material()
                .key_id(key)
                .import_token(token)
                .encrypted_key_material(Blob::new(blob))
                .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
                .send()
        };

        // A ciphertext with one bit flipped.
        let p = params(&kms, &key).await;
        let mut blob = wrap(&p, &material);
        blob[7] ^= 1;
        let e = import(p.token.clone(), blob, key.clone())
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "InvalidCiphertextException");

        // A token that is not one, and a token issued for another key.
        let e = import(Blob::new(vec![1u8; 64]), wrap(&p, &material), key.clone())
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "InvalidImportTokenException");
        let e = import(p.token.clone(), wrap(&p, &material), other.clone())
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "InvalidImportTokenException");

        // Material of the wrong length for SYMMETRIC_DEFAULT.
        let p = params(&kms, &key).await;
        let e = import(p.token.clone(), wrap(&p, &[0x33u8; 31]), key.clone())
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "IncorrectKeyMaterialException");

        // ValidTo with KEY_MATERIAL_DOES_NOT_EXPIRE.
        let p = params(&kms, &key).await;
        let e = kms
            .import_key_material()
            .key_id(&key)
            .import_token(p.token.clone())
            .encrypted_key_material(Blob::new(wrap(&p, &material)))
            .expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire)
            .valid_to(DateTime::from_secs(4_102_444_800))
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert_eq!(code(&e), "ValidationException");

        // No such key; a key whose material AWS KMS made.
        let e = kms
            .get_parameters_for_import()
            .key_id("1234abcd-12ab-34cd-56ef-1234567890ab")
            .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(e.is_not_found_exception(), "{e:?}");
        let aws_kms = kms
            .create_key()
            .send()
            .await
            .unwrap()
            .key_metadata()
            .unwrap()
            .key_id()
            .to_owned();
        let e = kms
            .get_parameters_for_import()
            .key_id(&aws_kms)
            .wrapping_algorithm(AlgorithmSpec::RsaesOaepSha256)
            .wrapping_key_spec(WrappingKeySpec::Rsa2048)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(e.is_unsupported_operation_exception(), "{e:?}");
        // DeleteImportedKeyMaterial on a key still waiting for material changes nothing.
        kms.delete_imported_key_material()
            .key_id(&other)
            .send()
            .await
            .unwrap();
        let e = kms
            .delete_imported_key_material()
            .key_id(&aws_kms)
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(e.is_unsupported_operation_exception(), "{e:?}");
        // Nothing was imported by any of these.
        assert_eq!(state(&kms, &key).await, KeyState::PendingImport);
        assert_eq!(state(&kms, &other).await, KeyState::PendingImport);
    });
}
