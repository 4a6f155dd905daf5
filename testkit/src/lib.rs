//! Test support shared by the kms-import workspace: the fuzz harness behind the cargo-fuzz
//! targets (and their corpus replay under `cargo test`), deterministic RNGs, fresh key
//! material of every importable key spec and the material fixtures, key identifiers for the
//! resolution tests, the checks that no secret shows in a text, and (on Linux) the scan of the
//! process memory for stray copies of a secret.
//!
//! Not published and not for production: every function here may panic on a broken fixture.
#![forbid(unsafe_code)]

pub mod fuzz;
pub mod key_ids;
pub mod material;
#[cfg(target_os = "linux")]
pub mod memory_scan;
pub mod secrets;

pub use fuzz::rng;

use kms_import::{
    CreateKeyParams, GetParametersForImportRequest, ImportService, ImportToken, KeyArn, KeyContext,
    KeyRecord, KeySpec, Origin, SealingKeys, WrapPolicy, WrappingAlgorithm, WrappingKeyPool,
    WrappingPrivateKey,
};
use rand_core::CryptoRng;
use time::{Duration, OffsetDateTime};

/// An import token for the key `arn`, issued at `now` for `algorithm` under `key`, sealed with
/// `sealing`: what GetParametersForImport answers (it is called on a SYMMETRIC_DEFAULT
/// EXTERNAL key with that ARN, under a policy that also admits the legacy algorithm, with `key`
/// as the only pooled wrapping key). Panics when GetParametersForImport refuses.
pub fn issue_token(
    sealing: &SealingKeys,
    arn: &str,
    key: &WrappingPrivateKey,
    algorithm: WrappingAlgorithm,
    now: OffsetDateTime,
    rng: &mut dyn CryptoRng,
) -> ImportToken {
    let parsed: KeyArn = arn.parse().expect("key ARN");
    let context = KeyContext::new(
        parsed.partition().as_str(),
        parsed.region().as_str(),
        parsed.account().as_str(),
    )
    .expect("context of the ARN");
    let service = ImportService::new(context.clone(), sealing.clone())
        .with_provider(key.provider())
        .with_wrap_policy(WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure());
    let mut record = KeyRecord::create(
        &context,
        parsed.key_id(),
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: None,
        },
        now - Duration::days(1),
    )
    .expect("record");
    let mut pool = WrappingKeyPool::new();
    pool.insert(key.clone());
    let request = GetParametersForImportRequest {
        key_id: arn.to_owned(),
        wrapping_algorithm: algorithm,
        wrapping_key_spec: key.spec(),
    };
    service
        .get_parameters_for_import(&mut record, &request, &mut pool, now, rng)
        .into_result()
        .expect("GetParametersForImport")
        .import_token
}
