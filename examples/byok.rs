//! The whole bring-your-own-key flow, for every importable key spec and every valid
//! (wrapping algorithm, wrapping key spec) pair:
//!
//! CreateKey (EXTERNAL) -> GetParametersForImport -> wrap on the client side ->
//! ImportKeyMaterial -> use the key -> DeleteImportedKeyMaterial -> re-import the same
//! material -> import different material (refused) -> expiry.
//!
//! One line per combination, with the key states it passed through and timings. A background
//! thread keeps the wrapping-key pool filled, as a service would.
//!
//! ```sh
//! cargo run --release --example byok
//! ```
//! Options: `--legacy` also runs RSAES_PKCS1_V1_5 (the explicit opt-in), `--spec <KEY_SPEC>`
//! runs one key spec only.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use getrandom::SysRng;
use kms_import::WrappingKeyPool;
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
    ImportService, usable_material,
};
use kms_import::{Error, KeySpec, KeyState, Origin, WrappingAlgorithm, WrappingKeySpec};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{
    WrapPolicy, WrappingPrivateKey, WrappingPublicKey, provider::WrappingProvider,
    provider::check_provider_supports, valid_pairs,
};
use kms_import_testkit::material::generate_material;
use rand_core::{Rng, UnwrapErr};
use time::{Duration, OffsetDateTime};

type OsRng = UnwrapErr<SysRng>;

struct Options {
    legacy: bool,
    only: Option<KeySpec>,
}

/// The wrapping provider: AWS-LC when built with `--features aws-lc`, else the pure-Rust default.
fn provider() -> &'static dyn WrappingProvider {
    #[cfg(feature = "aws-lc")]
    return kms_import::provider::aws_lc_provider();
    #[cfg(not(feature = "aws-lc"))]
    kms_import::provider::default_provider()
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        legacy: false,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--legacy" => options.legacy = true,
            "--spec" => {
                let value = args.next().ok_or("--spec needs a key spec")?;
                options.only = Some(value.parse().map_err(|e: Error| e.message())?);
            }
            "-h" | "--help" => {
                println!("usage: byok [--legacy] [--spec KEY_SPEC]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(failures) => {
            eprintln!("{failures} combination(s) failed");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {}: {}", e.code(), e.message());
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<usize, Error> {
    let mut rng: OsRng = UnwrapErr(SysRng);
    let context = KeyContext::new("aws", "us-east-1", "111122223333")?;
    let policy = if options.legacy {
        eprintln!("note: RSAES_PKCS1_V1_5 enabled (legacy opt-in; AWS retired it in 2023)");
        WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure()
    } else {
        WrapPolicy::new()
    };
    let service = ImportService::new(
        context.clone(),
        SealingKeys::new(SealingKey::generate(&mut rng)),
    )
    .with_provider(provider())
    .with_wrap_policy(policy);
    let pool = Arc::new(Mutex::new(WrappingKeyPool::with_targets(2, 2, 3)));
    let _refiller = spawn_refiller(Arc::clone(&pool));

    println!(
        "{:<18} {:<24} {:<9} {:<60} {:>8} {:>8}",
        "key spec", "wrapping algorithm", "wrap key", "states", "gpfi ms", "import ms"
    );
    let mut failures = 0;
    for spec in KeySpec::importable().filter(|s| options.only.is_none_or(|o| o == *s)) {
        let material = generate_material(spec, &mut rng)?;
        let other = generate_material(spec, &mut rng)?;
        for (algorithm, wrapping_key_spec) in valid_pairs(spec, service.wrap_policy())
            .into_iter()
            .filter(|(a, _)| check_provider_supports(service.provider(), *a).is_ok())
        {
            match run_combination(
                &service,
                &pool,
                spec,
                algorithm,
                wrapping_key_spec,
                material.expose_secret(),
                other.expose_secret(),
                &mut rng,
            ) {
                Ok(line) => println!("{line}"),
                Err(e) => {
                    failures += 1;
                    println!(
                        "{:<18} {:<24} {:<9} FAILED: {}: {}",
                        spec.as_str(),
                        algorithm.as_str(),
                        wrapping_key_spec.as_str(),
                        e.code(),
                        e.message()
                    );
                }
            }
        }
    }
    Ok(failures)
}

/// A background worker that keeps the pool at its targets, generating outside the lock.
fn spawn_refiller(pool: Arc<Mutex<WrappingKeyPool>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut rng: OsRng = UnwrapErr(SysRng);
        loop {
            let next = match pool.lock() {
                Ok(p) => p.next_to_refill(),
                Err(_) => return,
            };
            let Some(spec) = next else {
                std::thread::sleep(StdDuration::from_millis(20));
                continue;
            };
            let Ok(key) = WrappingPrivateKey::generate_with(provider(), spec, &mut rng) else {
                return;
            };
            match pool.lock() {
                Ok(mut p) => p.insert(key),
                Err(_) => return,
            }
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn run_combination(
    service: &ImportService,
    pool: &Mutex<WrappingKeyPool>,
    spec: KeySpec,
    algorithm: WrappingAlgorithm,
    wrapping_key_spec: WrappingKeySpec,
    material: &[u8],
    other: &[u8],
    rng: &mut OsRng,
) -> Result<String, Error> {
    let now = OffsetDateTime::now_utc();
    let key_id = KeyId::random(rng);
    let mut record = KeyRecord::create(
        service.context(),
        key_id,
        CreateKeyParams {
            key_spec: spec,
            key_usage: spec
                .default_key_usage()
                .or(spec.allowed_key_usages().first().copied()),
            origin: Origin::External,
            description: Some("byok example".to_owned()),
        },
        now,
    )?;
    let mut states = vec![record.key_state()];
    let valid_to = now + Duration::days(30);

    let import = |record: &mut KeyRecord, bytes: &[u8], rng: &mut OsRng| {
        let started = Instant::now();
        let params = {
            let mut pool = pool.lock().map_err(|_| Error::Internal)?;
            service
                .get_parameters_for_import(
                    record,
                    &GetParametersForImportRequest {
                        key_id: record.key_id().to_string(),
                        wrapping_algorithm: algorithm,
                        wrapping_key_spec,
                    },
                    &mut *pool,
                    now,
                    rng,
                )
                .into_result()?
        };
        let gpfi = started.elapsed();
        // The client side: only the public key and the token leave the service.
        let public_key = WrappingPublicKey::from_spki_der_with(provider(), &params.public_key)?;
        let wrapped = public_key.wrap(algorithm, bytes, service.wrap_policy(), rng)?;
        let started = Instant::now();
        let request = ImportKeyMaterialRequest::new(
            params.key_id.to_string(),
            params.import_token.into_bytes(),
            wrapped,
        )
        .expires_at(valid_to);
        let result = service
            .import_key_material(record, &request, now, rng)
            .into_result();
        Ok::<_, Error>((result, gpfi, started.elapsed()))
    };

    let (first, gpfi, import_time) = import(&mut record, material, rng)?;
    first?;
    states.push(record.key_state());
    use_key(&record, now, rng)?;

    let delete = DeleteImportedKeyMaterialRequest {
        key_id: record.arn().to_string(),
        key_material_id: None,
    };
    service
        .delete_imported_key_material(&mut record, &delete, now)
        .into_result()?;
    states.push(record.key_state());

    let (again, _, _) = import(&mut record, material, rng)?;
    again?;
    states.push(record.key_state());
    use_key(&record, now, rng)?;

    let (different, _, _) = import(&mut record, other, rng)?;
    match different {
        Err(Error::IncorrectKeyMaterial(_)) => {}
        Err(e) => return Err(e),
        Ok(_) => return Err(Error::Internal),
    }

    let expiry = record.expire_materials(valid_to);
    if expiry.expired.is_empty() {
        return Err(Error::Internal);
    }
    states.push(record.key_state());
    if record.key_state() != KeyState::PendingImport {
        return Err(Error::Internal);
    }

    let states = states
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" -> ");
    Ok(format!(
        "{:<18} {:<24} {:<9} {:<60} {:>8.2} {:>8.2}",
        spec.as_str(),
        algorithm.as_str(),
        wrapping_key_spec.as_str(),
        states,
        gpfi.as_secs_f64() * 1e3,
        import_time.as_secs_f64() * 1e3
    ))
}

/// Proves that the imported material is the material in use: the embedder's own cryptography
/// runs on the key kms-import hands out.
fn use_key(record: &KeyRecord, now: OffsetDateTime, rng: &mut OsRng) -> Result<(), Error> {
    let key = usable_material(record, now)?;
    let message = b"imported key material in use";
    let spec = record.key_spec();
    let ok = if let Some(hmac_key) = key.hmac_key() {
        use hmac::{Hmac, KeyInit, Mac};
        let mac = |m: &[u8]| -> Result<Vec<u8>, Error> {
            let mut state =
                Hmac::<sha2::Sha256>::new_from_slice(hmac_key).map_err(|_| Error::Internal)?;
            state.update(m);
            Ok(state.finalize().into_bytes().to_vec())
        };
        mac(message)? != mac(b"another message")?
    } else if spec.is_symmetric() {
        let secret = key.symmetric_key()?;
        symmetric_round_trip(secret.expose_secret(), message, rng)?
    } else {
        // The private key handed out is the one whose public key GetPublicKey would show.
        let spki = key.public_key_spki_der().ok_or(Error::Internal)?;
        derived_spki(spec, &key)? == spki
    };
    if ok { Ok(()) } else { Err(Error::Internal) }
}

/// The SPKI of the RSA or ECC private key that `key` hands out.
fn derived_spki(spec: KeySpec, key: &kms_import::ValidatedMaterial) -> Result<Vec<u8>, Error> {
    use pkcs8::{DecodePrivateKey, EncodePublicKey};
    let internal = |_| Error::Internal;
    let der = if spec.is_rsa() {
        let pkcs8 = key.rsa_private_key_der().ok_or(Error::Internal)?;
        rsa::RsaPrivateKey::from_pkcs8_der(&pkcs8)
            .map_err(|_| Error::Internal)?
            .to_public_key()
            .to_public_key_der()
    } else {
        let scalar = key.ecc_private_scalar().ok_or(Error::Internal)?;
        match spec {
            KeySpec::EccNistP256 => p256::SecretKey::from_slice(&scalar)
                .map_err(|_| Error::Internal)?
                .public_key()
                .to_public_key_der(),
            KeySpec::EccNistP384 => p384::SecretKey::from_slice(&scalar)
                .map_err(|_| Error::Internal)?
                .public_key()
                .to_public_key_der(),
            KeySpec::EccNistP521 => p521::SecretKey::from_slice(&scalar)
                .map_err(|_| Error::Internal)?
                .public_key()
                .to_public_key_der(),
            _ => k256::SecretKey::from_slice(&scalar)
                .map_err(|_| Error::Internal)?
                .public_key()
                .to_public_key_der(),
        }
    };
    der.map(|d| d.into_vec()).map_err(internal)
}

fn symmetric_round_trip(key: &[u8; 32], message: &[u8], rng: &mut OsRng) -> Result<bool, Error> {
    use aes_gcm_siv::aead::{AeadInOut, KeyInit};
    use aes_gcm_siv::{Aes256GcmSiv, Nonce};
    let cipher = Aes256GcmSiv::new(key.into());
    let mut nonce = [0u8; 12];
    rng.fill_bytes(&mut nonce);
    let nonce = Nonce::from(nonce);
    let mut buffer = message.to_vec();
    let tag = cipher
        .encrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into())
        .map_err(|_| Error::Internal)?;
    if buffer == message {
        return Ok(false);
    }
    cipher
        .decrypt_inout_detached(&nonce, b"", buffer.as_mut_slice().into(), &tag)
        .map_err(|_| Error::Internal)?;
    Ok(buffer == message)
}
