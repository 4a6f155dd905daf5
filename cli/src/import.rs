//! `kms-import import`: the whole bring-your-own-key flow against a KMS endpoint, over the AWS
//! SDK for Rust.
//!
//! DescribeKey (which key, which spec, which origin); the material read, converted to what the
//! key spec takes and checked with the library's own validation; a wrapping algorithm and
//! wrapping key spec from the compatibility table unless given; GetParametersForImport; the
//! material wrapped here (it never leaves the process unwrapped, and its buffers are zeroized);
//! ImportKeyMaterial; DescribeKey again for the new state. `--dry-run` stops after the local
//! checks and the first DescribeKey.

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_kms::Client;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::{Blob, DateTime, DateTimeFormat};
use aws_sdk_kms::types::{AlgorithmSpec, ExpirationModelType};
use kms_import::{
    ImportType, KeyMaterial, KeySpec, WrappingAlgorithm, WrappingKeySpec, validate_material,
};
use kms_import::{WrapPolicy, WrappingPublicKey, check_compatible, max_material_len, valid_pairs};
use zeroize::Zeroizing;

use crate::common::{self as cli, Failure};
use crate::keys;

/// The flags of `kms-import import`, parsed.
pub struct ImportArgs {
    pub key_id: String,
    pub key_material: PathBuf,
    pub wrapping_algorithm: Option<WrappingAlgorithm>,
    pub wrapping_key_spec: Option<WrappingKeySpec>,
    pub valid_to: Option<DateTime>,
    pub import_type: Option<ImportType>,
    pub key_material_id: Option<String>,
    pub key_material_description: Option<String>,
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    pub dry_run: bool,
}

/// Why an import failed: a local check (exit status 1) or an AWS call (exit status 3).
pub enum ImportFailure {
    /// A check on this machine failed; nothing more was sent.
    Local(Failure),
    /// The endpoint answered with an error, or could not be reached.
    Aws { code: String, message: String },
}

impl From<Failure> for ImportFailure {
    fn from(f: Failure) -> ImportFailure {
        ImportFailure::Local(f)
    }
}

impl From<kms_import::Error> for ImportFailure {
    fn from(e: kms_import::Error) -> ImportFailure {
        ImportFailure::Local(e.into())
    }
}

/// One line, whatever the endpoint sent: control characters become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// An SDK error as its AWS exception name and message. Errors without a service answer
/// (unreachable endpoint, timeout, no credentials) are named after the SDK's error kind.
fn aws_failure<E, R>(operation: &str, e: SdkError<E, R>) -> ImportFailure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (code, message) = match &e {
        SdkError::ServiceError(service) => {
            let err = service.err();
            (
                err.code().unwrap_or("UnknownError").to_owned(),
                err.message().unwrap_or_default().to_owned(),
            )
        }
        SdkError::ConstructionFailure(_) => (
            "ConstructionFailure".to_owned(),
            format!("{operation}: {}", DisplayErrorContext(&e)),
        ),
        SdkError::TimeoutError(_) => (
            "TimeoutError".to_owned(),
            format!("{operation}: {}", DisplayErrorContext(&e)),
        ),
        SdkError::DispatchFailure(_) => (
            "DispatchFailure".to_owned(),
            format!("{operation}: {}", DisplayErrorContext(&e)),
        ),
        _ => (
            "ResponseError".to_owned(),
            format!("{operation}: {}", DisplayErrorContext(&e)),
        ),
    };
    ImportFailure::Aws {
        code: one_line(&code),
        message: one_line(&message),
    }
}

/// How long calls keep being retried while the endpoint answers ThrottlingException (on top of
/// the SDK's own three attempts): GetParametersForImport's quota is a quarter of a request per
/// second, so a batch of imports is throttled by design.
const THROTTLING_PATIENCE: Duration = Duration::from_secs(90);

/// Runs `call` again, with growing pauses, while it fails with ThrottlingException and the
/// patience lasts. Every other outcome is returned as it is. A throttled request was not
/// processed, so sending it again (the same import token included) is safe.
async fn patiently<T, E, R, Fut>(mut call: impl FnMut() -> Fut) -> Result<T, SdkError<E, R>>
where
    Fut: Future<Output = Result<T, SdkError<E, R>>>,
    E: ProvideErrorMetadata,
{
    let deadline = Instant::now() + THROTTLING_PATIENCE;
    let mut pause = Duration::from_secs(1);
    loop {
        match call().await {
            Err(e)
                if e.code() == Some("ThrottlingException") && Instant::now() + pause < deadline =>
            {
                // Up to a quarter more, so that parallel importers spread out.
                let mut jitter = [0u8; 1];
                let _ = getrandom::fill(&mut jitter);
                let extra = pause.mul_f64(f64::from(jitter[0]) / 1024.0);
                tokio::time::sleep(pause + extra).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            other => return other,
        }
    }
}

fn local(code: &'static str, message: String) -> ImportFailure {
    ImportFailure::Local(Failure(code, message))
}

fn missing(operation: &str, member: &str) -> ImportFailure {
    local(
        "KMSInternalException",
        format!("{operation} answered without {member}"),
    )
}

/// Reads `--key-material` and brings it to the form `spec` takes: raw bytes for SYMMETRIC_DEFAULT
/// and HMAC keys; PKCS#8 DER for asymmetric keys (from DER or PEM; PKCS#8, PKCS#1 or SEC1).
/// Then the library's validation for the key spec; its answer is returned only as a check.
fn load_material(path: &std::path::Path, spec: KeySpec) -> Result<KeyMaterial, ImportFailure> {
    let mut file = Zeroizing::new(cli::read(path)?);
    let mut bytes = if spec.is_asymmetric() {
        keys::private_key_pkcs8(&file, Some(spec), "--key-material")?
    } else {
        Zeroizing::new(std::mem::take(&mut *file))
    };
    let len = bytes.len();
    // The Vec moves into KeyMaterial (zeroized on drop) without a copy.
    let material = KeyMaterial::new(std::mem::take(&mut *bytes));
    match validate_material(spec, &material) {
        Ok(_) => Ok(material),
        Err(e) => {
            let hint = match spec {
                KeySpec::SymmetricDefault => {
                    format!(" ({spec} takes exactly 32 raw bytes; the file has {len})")
                }
                s if s.is_hmac() => format!(
                    " ({spec} takes raw bytes, from the digest size to 128; the file has {len})"
                ),
                _ => String::new(),
            };
            Err(local(e.code(), format!("{}{hint}", e.message())))
        }
    }
}

/// The (algorithm, wrapping key spec) pair: the ones given, checked against the compatibility
/// table and the material's size, or the table's first fitting pair (SHA-256 before SHA-1,
/// RSA_4096 first).
fn choose_pair(
    spec: KeySpec,
    material_len: usize,
    algorithm: Option<WrappingAlgorithm>,
    wrapping_key_spec: Option<WrappingKeySpec>,
    policy: &WrapPolicy,
) -> Result<(WrappingAlgorithm, WrappingKeySpec), ImportFailure> {
    if let (Some(a), Some(w)) = (algorithm, wrapping_key_spec) {
        check_compatible(spec, a, w, policy)?;
    }
    let matching: Vec<_> = valid_pairs(spec, policy)
        .into_iter()
        .filter(|(a, w)| {
            algorithm.is_none_or(|x| x == *a) && wrapping_key_spec.is_none_or(|x| x == *w)
        })
        .collect();
    if matching.is_empty() {
        let with = match (algorithm, wrapping_key_spec) {
            (Some(a), Some(w)) => format!("{a} under {w}"),
            (Some(a), None) => format!("wrapping algorithm {a}"),
            (None, Some(w)) => format!("wrapping key spec {w}"),
            (None, None) => "any wrapping algorithm".to_owned(),
        };
        return Err(local(
            "UnsupportedOperationException",
            format!("Key material of key spec {spec} cannot be imported with {with}."),
        ));
    }
    matching
        .iter()
        .copied()
        .find(|(a, w)| max_material_len(*a, *w).is_some_and(|max| material_len <= max))
        .ok_or_else(|| {
            local(
                "ValidationException",
                format!(
                    "The key material ({material_len} bytes) is too long for {} under {}.",
                    matching[0].0, matching[0].1
                ),
            )
        })
}

fn sdk_key_spec(metadata: &aws_sdk_kms::types::KeyMetadata) -> Result<KeySpec, ImportFailure> {
    let name = metadata
        .key_spec()
        .map(|s| s.as_str())
        .ok_or_else(|| missing("DescribeKey", "KeySpec"))?;
    name.parse::<KeySpec>().map_err(|_| {
        local(
            "UnsupportedOperationException",
            format!("Key spec {} is unknown to this tool.", one_line(name)),
        )
    })
}

async fn client(args: &ImportArgs) -> Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &args.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &args.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(url) = &args.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    Client::new(&loader.load().await)
}

/// Runs the import; on success, the line to print.
pub async fn run(args: &ImportArgs) -> Result<String, ImportFailure> {
    let symmetric_only = args.import_type.is_some()
        || args.key_material_id.is_some()
        || args.key_material_description.is_some();
    if let Some(valid_to) = &args.valid_to {
        let now = DateTime::from(SystemTime::now());
        if valid_to.secs() <= now.secs() {
            return Err(local(
                "ValidationException",
                "--valid-to must be in the future.".to_owned(),
            ));
        }
    }

    let kms = client(args).await;
    let described = patiently(|| kms.describe_key().key_id(&args.key_id).send())
        .await
        .map_err(|e| aws_failure("DescribeKey", e))?;
    let metadata = described
        .key_metadata()
        .ok_or_else(|| missing("DescribeKey", "KeyMetadata"))?;
    let arn = metadata
        .arn()
        .unwrap_or_else(|| metadata.key_id())
        .to_owned();
    let origin = metadata.origin().map(|o| o.as_str()).unwrap_or("");
    if origin != "EXTERNAL" {
        return Err(local(
            "UnsupportedOperationException",
            format!(
                "{arn} has origin {}; key material can be imported only into keys created with origin EXTERNAL.",
                one_line(origin)
            ),
        ));
    }
    let spec = sdk_key_spec(metadata)?;
    if !spec.is_importable() {
        return Err(local(
            "UnsupportedOperationException",
            format!("Key spec {spec} does not accept imported key material."),
        ));
    }
    if symmetric_only && spec != KeySpec::SymmetricDefault {
        return Err(local(
            "UnsupportedOperationException",
            format!(
                "--import-type, --key-material-id and --key-material-description apply to \
                 SYMMETRIC_DEFAULT keys only; {arn} is {spec}."
            ),
        ));
    }

    let material = load_material(&args.key_material, spec)?;
    let policy = args
        .wrapping_algorithm
        .map_or_else(WrapPolicy::new, cli::policy_for);
    let (algorithm, wrapping_key_spec) = choose_pair(
        spec,
        material.len(),
        args.wrapping_algorithm,
        args.wrapping_key_spec,
        &policy,
    )?;
    if args.dry_run {
        let state = metadata.key_state().map(|s| s.as_str()).unwrap_or("-");
        return Ok(format!(
            "dry run: {arn} {} {spec} material checked; would wrap with {algorithm} under {wrapping_key_spec}",
            one_line(state)
        ));
    }

    let params_request = kms
        .get_parameters_for_import()
        .key_id(&arn)
        .wrapping_algorithm(AlgorithmSpec::from(algorithm.as_str()))
        .wrapping_key_spec(aws_sdk_kms::types::WrappingKeySpec::from(
            wrapping_key_spec.as_str(),
        ));
    let params = patiently(|| params_request.clone().send())
        .await
        .map_err(|e| aws_failure("GetParametersForImport", e))?;
    let public_key = params
        .public_key()
        .ok_or_else(|| missing("GetParametersForImport", "PublicKey"))?;
    let token = params
        .import_token()
        .ok_or_else(|| missing("GetParametersForImport", "ImportToken"))?;
    let key =
        WrappingPublicKey::from_spki_der_with(cli::provider_for(algorithm), public_key.as_ref())?;
    if key.spec() != wrapping_key_spec {
        return Err(local(
            "KMSInternalException",
            format!(
                "GetParametersForImport answered with an {} public key for wrapping key spec {wrapping_key_spec}.",
                key.spec()
            ),
        ));
    }
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let wrapped = key.wrap(algorithm, material.expose_secret(), &policy, &mut rng)?;
    drop(material);

    let mut request = kms
        .import_key_material()
        .key_id(&arn)
        .import_token(token.clone())
        .encrypted_key_material(Blob::new(wrapped));
    request = match args.valid_to {
        Some(valid_to) => request
            .expiration_model(ExpirationModelType::KeyMaterialExpires)
            .valid_to(valid_to),
        None => request.expiration_model(ExpirationModelType::KeyMaterialDoesNotExpire),
    };
    if let Some(t) = args.import_type {
        request = request.import_type(aws_sdk_kms::types::ImportType::from(t.as_str()));
    }
    if let Some(id) = &args.key_material_id {
        request = request.key_material_id(id);
    }
    if let Some(description) = &args.key_material_description {
        request = request.key_material_description(description);
    }
    let imported = patiently(|| request.clone().send())
        .await
        .map_err(|e| aws_failure("ImportKeyMaterial", e))?;
    let material_id = imported.key_material_id().unwrap_or("none").to_owned();

    let after = patiently(|| kms.describe_key().key_id(&arn).send())
        .await
        .map_err(|e| aws_failure("DescribeKey", e))?;
    let state = after
        .key_metadata()
        .and_then(|m| m.key_state())
        .map(|s| s.as_str().to_owned())
        .ok_or_else(|| missing("DescribeKey", "KeyState"))?;
    let valid_to = match &args.valid_to {
        Some(t) => t
            .fmt(DateTimeFormat::DateTime)
            .unwrap_or_else(|_| t.secs().to_string()),
        None => "none".to_owned(),
    };
    Ok(format!(
        "{arn} {} KeyMaterialId={} ValidTo={valid_to}",
        one_line(&state),
        one_line(&material_id)
    ))
}
