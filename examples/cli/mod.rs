//! What the `wrap` and `unwrap` tools share: flag parsing, one-line AWS-style failures, file
//! reading, atomic writes, and the choice of wrapping provider and policy for an algorithm.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use kms_import::wrap::{WrapPolicy, WrappingProvider, check_provider_supports, default_provider};
use kms_import::{Error, WrappingAlgorithm};

/// A failure: the AWS exception name and the message, printed as one line.
pub struct Failure(pub &'static str, pub String);

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure(e.code(), e.message())
    }
}

/// The four flags both tools take: `--algorithm`, a key file, `--in` and `--out`.
pub struct Args {
    pub algorithm: WrappingAlgorithm,
    pub key: PathBuf,
    pub input: PathBuf,
    pub output: PathBuf,
}

fn usage_error(usage: &str, msg: impl Into<String>) -> Failure {
    Failure("ValidationException", format!("{} ({usage})", msg.into()))
}

/// Parses `--algorithm`, `key_flag`, `--in` and `--out`; `None` for `--help`.
pub fn parse_args(usage: &str, key_flag: &str) -> Result<Option<Args>, Failure> {
    let (mut algorithm, mut key, mut input, mut output) = (None, None, None, None);
    let mut it = std::env::args_os().skip(1);
    while let Some(flag) = it.next() {
        let flag = flag.to_string_lossy().into_owned();
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let value = it
            .next()
            .ok_or_else(|| usage_error(usage, format!("{flag} needs a value")))?;
        match flag.as_str() {
            "--algorithm" => {
                algorithm = Some(value.to_string_lossy().parse::<WrappingAlgorithm>()?)
            }
            "--in" => input = Some(PathBuf::from(value)),
            "--out" => output = Some(PathBuf::from(value)),
            f if f == key_flag => key = Some(PathBuf::from(value)),
            other => return Err(usage_error(usage, format!("unknown argument {other}"))),
        }
    }
    let required = |name: &str| usage_error(usage, format!("{name} is required"));
    Ok(Some(Args {
        algorithm: algorithm.ok_or_else(|| required("--algorithm"))?,
        key: key.ok_or_else(|| required(key_flag))?,
        input: input.ok_or_else(|| required("--in"))?,
        output: output.ok_or_else(|| required("--out"))?,
    }))
}

pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        Failure(
            "ValidationException",
            format!("cannot read {}: {e}", path.display()),
        )
    })
}

/// Writes beside `path` and renames, so `path` holds either the whole result or nothing new.
pub fn write_atomically(path: &Path, data: &[u8]) -> Result<(), Failure> {
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

/// The wrapping provider for `algorithm`: AWS-LC when built with `--features aws-lc`, else the
/// pure-Rust default; the default also for an algorithm the faster backend does not offer
/// (RSAES_PKCS1_V1_5), so that the tools take every algorithm either way.
pub fn provider_for(algorithm: WrappingAlgorithm) -> &'static dyn WrappingProvider {
    #[cfg(feature = "aws-lc")]
    {
        let fast = kms_import::wrap::aws_lc_provider();
        if check_provider_supports(fast, algorithm).is_ok() {
            return fast;
        }
    }
    let _ = check_provider_supports;
    let _ = algorithm;
    default_provider()
}

/// Naming RSAES_PKCS1_V1_5 on the command line is the explicit opt-in to that legacy path.
pub fn policy_for(algorithm: WrappingAlgorithm) -> WrapPolicy {
    if is_legacy(algorithm) {
        WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure()
    } else {
        WrapPolicy::new()
    }
}

pub fn is_legacy(algorithm: WrappingAlgorithm) -> bool {
    algorithm == WrappingAlgorithm::RsaesPkcs1V15
}

/// Runs a tool: `--help` prints the usage; a failure prints one line and exits non-zero; on
/// success with the legacy algorithm, one line on stderr says the opt-in was taken.
pub fn main_with(
    usage: &str,
    key_flag: &str,
    run: impl FnOnce(&Args) -> Result<(), Failure>,
) -> ExitCode {
    let result = match parse_args(usage, key_flag) {
        Ok(None) => {
            println!("{usage}");
            return ExitCode::SUCCESS;
        }
        Ok(Some(args)) => run(&args).map(|()| args.algorithm),
        Err(f) => Err(f),
    };
    match result {
        Ok(algorithm) => {
            if is_legacy(algorithm) {
                eprintln!(
                    "note: RSAES_PKCS1_V1_5 is retired and insecure; used because --algorithm named it"
                );
            }
            ExitCode::SUCCESS
        }
        Err(Failure(code, message)) => {
            eprintln!("error: {code}: {message}");
            ExitCode::FAILURE
        }
    }
}
