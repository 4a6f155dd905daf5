//! Unwraps encrypted key material with a wrapping private key, as ImportKeyMaterial does.
//!
//! ```text
//! cargo run --release --example unwrap -- --algorithm <AWS name> \
//!     --private-key <PKCS#8 DER file> --in <encrypted file> --out <material file>
//! ```
//!
//! `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure algorithm
//! (whose unwrap never fails on bad padding: it yields a pseudo-random message instead).
//! On failure one line `error: <AWS exception>: <message>` goes to stderr, the exit status is
//! non-zero, and `--out` is not written.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kms_import::wrap::{WrapPolicy, WrappingPrivateKey, WrappingProvider};
use kms_import::{Error, WrappingAlgorithm};
use zeroize::Zeroizing;

const USAGE: &str = "usage: unwrap --algorithm <RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|RSA_AES_KEY_WRAP_SHA_1|\
RSA_AES_KEY_WRAP_SHA_256|RSAES_PKCS1_V1_5> --private-key <PKCS#8 DER file> \
--in <encrypted file> --out <material file>";

struct Args {
    algorithm: WrappingAlgorithm,
    private_key: PathBuf,
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

/// The wrapping provider: AWS-LC when built with `--features aws-lc`, else the pure-Rust default.
fn provider() -> &'static dyn WrappingProvider {
    #[cfg(feature = "aws-lc")]
    return kms_import::wrap::aws_lc_provider();
    #[cfg(not(feature = "aws-lc"))]
    kms_import::wrap::default_provider()
}

fn usage_error(msg: impl Into<String>) -> Failure {
    Failure("ValidationException", format!("{} ({USAGE})", msg.into()))
}

fn parse_args() -> Result<Option<Args>, Failure> {
    let mut algorithm = None;
    let mut private_key = None;
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
            "--private-key" => private_key = Some(PathBuf::from(value)),
            "--in" => input = Some(PathBuf::from(value)),
            "--out" => output = Some(PathBuf::from(value)),
            other => return Err(usage_error(format!("unknown argument {other}"))),
        }
    }
    Ok(Some(Args {
        algorithm: algorithm.ok_or_else(|| usage_error("--algorithm is required"))?,
        private_key: private_key.ok_or_else(|| usage_error("--private-key is required"))?,
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

fn run(args: Args) -> Result<(), Failure> {
    let pk8 = Zeroizing::new(read(&args.private_key)?);
    let key = WrappingPrivateKey::from_pkcs8_der_with(provider(), &pk8)?;
    let blob = read(&args.input)?;
    let legacy = args.algorithm == WrappingAlgorithm::RsaesPkcs1V15;
    let policy = if legacy {
        WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure()
    } else {
        WrapPolicy::new()
    };
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let material = key.unwrap(args.algorithm, &blob, &policy, &mut rng)?;
    write_atomically(&args.output, &material)?;
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
