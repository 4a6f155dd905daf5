//! Wraps key material for import, as a customer does before ImportKeyMaterial.
//!
//! ```text
//! cargo run --release --example wrap -- --algorithm <AWS name> --public-key <file> \
//!     --in <material file> --out <encrypted file>
//! ```
//!
//! `--public-key` takes the DER SubjectPublicKeyInfo, or the base64 text that
//! `aws kms get-parameters-for-import --query PublicKey --output text` prints.
//! `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure algorithm.
//! On failure one line `error: <AWS exception>: <message>` goes to stderr, the exit status is
//! non-zero, and `--out` is not written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64ct::{Base64, Encoding};
use kms_import::wrap::{WrapPolicy, WrappingProvider, WrappingPublicKey};
use kms_import::{Error, WrappingAlgorithm};

const USAGE: &str = "usage: wrap --algorithm <RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|RSA_AES_KEY_WRAP_SHA_1|\
RSA_AES_KEY_WRAP_SHA_256|RSAES_PKCS1_V1_5> --public-key <DER SPKI or base64 file> \
--in <material file> --out <encrypted file>";

struct Args {
    algorithm: WrappingAlgorithm,
    public_key: PathBuf,
    input: PathBuf,
    output: PathBuf,
}

/// A failure: the AWS exception name and the message, printed as one line.
struct Failure(&'static str, String);

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure(e.code(), e.message())
    }
}

fn usage_error(msg: impl Into<String>) -> Failure {
    Failure("ValidationException", format!("{} ({USAGE})", msg.into()))
}

fn parse_args() -> Result<Option<Args>, Failure> {
    let mut algorithm = None;
    let mut public_key = None;
    let mut input = None;
    let mut output = None;
    let mut it = std::env::args_os().skip(1);
    while let Some(flag) = it.next() {
        let flag = flag.to_string_lossy().into_owned();
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = it
            .next()
            .ok_or_else(|| usage_error(format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--algorithm" => {
                let name = value.to_string_lossy();
                algorithm = Some(name.parse::<WrappingAlgorithm>()?);
            }
            "--public-key" => public_key = Some(PathBuf::from(value)),
            "--in" => input = Some(PathBuf::from(value)),
            "--out" => output = Some(PathBuf::from(value)),
            other => return Err(usage_error(format!("unknown argument {other}"))),
        }
    }
    Ok(Some(Args {
        algorithm: algorithm.ok_or_else(|| usage_error("--algorithm is required"))?,
        public_key: public_key.ok_or_else(|| usage_error("--public-key is required"))?,
        input: input.ok_or_else(|| usage_error("--in is required"))?,
        output: output.ok_or_else(|| usage_error("--out is required"))?,
    }))
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure(
            "ValidationException",
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

/// DER first; otherwise base64 text with all whitespace removed.
fn load_public_key(bytes: &[u8]) -> Result<WrappingPublicKey, Failure> {
    let der_error = match WrappingPublicKey::from_spki_der_with(provider(), bytes) {
        Ok(key) => return Ok(key),
        Err(e) => e,
    };
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match Base64::decode_vec(&text) {
        Ok(der) => Ok(WrappingPublicKey::from_spki_der_with(provider(), &der)?),
        Err(_) => Err(der_error.into()),
    }
}

/// Writes beside `path` and renames, so `path` holds either the whole result or nothing new.
fn write_atomically(path: &Path, data: &[u8]) -> Result<(), Failure> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let res = std::fs::write(&tmp, data).and_then(|()| std::fs::rename(&tmp, path));
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Failure(
            "KMSInternalException",
            format!("cannot write {}: {e}", path.display()),
        )
    })
}

/// The wrapping provider: AWS-LC when built with `--features aws-lc`, else the pure-Rust default.
fn provider() -> &'static dyn WrappingProvider {
    #[cfg(feature = "aws-lc")]
    return kms_import::wrap::aws_lc_provider();
    #[cfg(not(feature = "aws-lc"))]
    kms_import::wrap::default_provider()
}

fn run(args: Args) -> Result<(), Failure> {
    let key = load_public_key(&read(&args.public_key)?)?;
    let material = zeroize::Zeroizing::new(read(&args.input)?);
    let legacy = args.algorithm == WrappingAlgorithm::RsaesPkcs1V15;
    let policy = if legacy {
        WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure()
    } else {
        WrapPolicy::new()
    };
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let blob = key.wrap(args.algorithm, &material, &policy, &mut rng)?;
    write_atomically(&args.output, &blob)?;
    if legacy {
        eprintln!(
            "note: RSAES_PKCS1_V1_5 is retired and insecure; used because --algorithm named it"
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = match parse_args() {
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Some(args)) => run(args),
        Err(f) => Err(f),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(code, message)) => {
            eprintln!("error: {code}: {message}");
            ExitCode::FAILURE
        }
    }
}
