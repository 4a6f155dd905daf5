//! `kms-import`: prepares key material for a KMS import without a chain of `openssl` commands.
//!
//! - `kms-import wrap --algorithm <AWS name> --public-key <file> --in <material> --out <file>`
//!   wraps material under the public key GetParametersForImport returned.
//! - `kms-import unwrap --algorithm <AWS name> --private-key <file> --in <file> --out <file>`
//!   is the other direction, as ImportKeyMaterial does it.
//! - `kms-import import --key-id <key> --key-material <file> [...]` runs the whole import
//!   against a KMS endpoint (AWS, or any endpoint that speaks its API) with the AWS SDK for Rust.
//!
//! Exit status: 0 on success; 1 when the operation fails here (one line
//! `error: <AWS exception>: <message>` on stderr, and `--out` is not written); 2 for a usage
//! error; 3 (import only) when an AWS call fails (the same one line, with the exception the
//! endpoint answered). `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure
//! algorithm, and one line on stderr says so.
#![forbid(unsafe_code)]

mod common;
mod import;
mod keys;
mod unwrap;
mod wrap;

use std::path::PathBuf;
use std::process::ExitCode;

use aws_sdk_kms::primitives::{DateTime, DateTimeFormat};
use clap::Parser;
use common::Failure;
use kms_import::{ImportType, WrappingAlgorithm, WrappingKeySpec};

const ALGORITHMS: &str = "RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, \
RSA_AES_KEY_WRAP_SHA_256, RSAES_PKCS1_V1_5 (legacy: naming it is the opt-in)";

#[derive(Parser)]
#[command(
    name = "kms-import",
    version,
    about = "Wrap and unwrap key material for an AWS KMS import (bring your own key)",
    after_help = "Exit status: 0 success, 1 the operation failed here (one line on stderr names the \
AWS exception), 2 usage error, 3 an AWS call failed (import; the same one line)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Wrap key material under the wrapping public key from GetParametersForImport.
    #[command(
        after_help = "Example:\n  aws kms get-parameters-for-import --key-id <key> \
--wrapping-algorithm RSA_AES_KEY_WRAP_SHA_256 --wrapping-key-spec RSA_4096 --query PublicKey \
--output text > PublicKey.b64\n  kms-import wrap --algorithm RSA_AES_KEY_WRAP_SHA_256 \
--public-key PublicKey.b64 --in material.bin --out EncryptedKeyMaterial.bin"
    )]
    Wrap {
        /// Wrapping algorithm, by its AWS name.
        #[arg(long, value_name = "ALGORITHM", help = format!("Wrapping algorithm: {ALGORITHMS}"))]
        algorithm: String,
        /// Wrapping public key: SubjectPublicKeyInfo or PKCS#1, DER or PEM, or the base64 text the
        /// AWS CLI prints.
        #[arg(long, value_name = "FILE")]
        public_key: PathBuf,
        /// The key material to wrap.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the wrapped material (EncryptedKeyMaterial).
        #[arg(long = "out", value_name = "FILE")]
        output: PathBuf,
    },
    /// Import key material into a KMS key: DescribeKey, GetParametersForImport, wrap here,
    /// ImportKeyMaterial.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportFlags),
    /// Unwrap wrapped key material with the wrapping private key, as ImportKeyMaterial does.
    Unwrap {
        /// Wrapping algorithm, by its AWS name.
        #[arg(long, value_name = "ALGORITHM", help = format!("Wrapping algorithm: {ALGORITHMS}"))]
        algorithm: String,
        /// Wrapping private key: PKCS#8 or PKCS#1, DER or PEM (not encrypted).
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        /// The wrapped material (EncryptedKeyMaterial).
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the unwrapped key material: a new file, mode 0600 (never overwritten).
        #[arg(long = "out", value_name = "FILE")]
        output: PathBuf,
    },
}

const IMPORT_HELP: &str = "\
Example:
  kms-import import --key-id arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab \\
      --key-material material.bin --valid-to 2027-06-30T00:00:00Z

Credentials, Region and endpoint come from the SDK's standard chain (environment, shared
config and credentials files, AWS_ENDPOINT_URL); --region, --profile and --endpoint-url override
it. Without --valid-to the material does not expire. The material is checked against the key's
spec before anything is sent, and leaves this process only wrapped. On success one line goes to
stdout: the key ARN, the key state, KeyMaterialId=<id> and ValidTo=<time|none>.

Exit status: 0 success; 1 a local check or step failed; 2 usage error; 3 an AWS call failed.
Failures print one line on stderr: error: <exception>: <message>.";

/// The flags of `kms-import import`.
#[derive(clap::Args)]
struct ImportFlags {
    /// The KMS key: key id, key ARN, alias name or alias ARN. It must have origin EXTERNAL.
    #[arg(long, value_name = "KEY")]
    key_id: String,
    /// The key material: raw bytes for SYMMETRIC_DEFAULT (32) and HMAC keys; a private key for
    /// RSA and ECC keys, DER or PEM, PKCS#8 (or PKCS#1 for RSA, SEC1 for EC), not encrypted.
    #[arg(long, value_name = "FILE")]
    key_material: PathBuf,
    /// Wrapping algorithm (default: the first that suits the key spec, SHA-256 first).
    #[arg(long, value_name = "ALGORITHM", value_parser = parse_algorithm, help = format!("Wrapping algorithm (default: the first that suits the key spec): {ALGORITHMS}"))]
    wrapping_algorithm: Option<WrappingAlgorithm>,
    /// Wrapping key spec: RSA_2048, RSA_3072 or RSA_4096 (default: the largest that suits).
    #[arg(long, value_name = "SPEC", value_parser = parse_wrapping_key_spec)]
    wrapping_key_spec: Option<WrappingKeySpec>,
    /// When the imported material expires (RFC 3339, e.g. 2027-06-30T00:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time, conflicts_with = "does_not_expire")]
    valid_to: Option<DateTime>,
    /// The material never expires (the default when --valid-to is not given).
    #[arg(long)]
    does_not_expire: bool,
    /// NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL (SYMMETRIC_DEFAULT keys only).
    #[arg(long, value_name = "TYPE", value_parser = parse_import_type)]
    import_type: Option<ImportType>,
    /// The KeyMaterialId of the material being re-imported: 64 lowercase hex digits
    /// (SYMMETRIC_DEFAULT keys only; not with NEW_KEY_MATERIAL).
    #[arg(long, value_name = "HEX", value_parser = parse_key_material_id)]
    key_material_id: Option<String>,
    /// A description of the material (SYMMETRIC_DEFAULT keys only).
    #[arg(long, value_name = "TEXT")]
    key_material_description: Option<String>,
    /// AWS Region (default: the SDK's chain).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Named profile of the shared config and credentials files.
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Endpoint URL (default: the SDK's chain, AWS_ENDPOINT_URL, then the Region's endpoint).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Run every local check and DescribeKey only; nothing is imported.
    #[arg(long)]
    dry_run: bool,
}

/// What `wrap` and `unwrap` take: the algorithm, a key file, the input and the output.
pub struct KeyArgs {
    pub algorithm: WrappingAlgorithm,
    pub key: PathBuf,
    pub input: PathBuf,
    pub output: PathBuf,
}

/// A subcommand's body.
type Subcommand = fn(&KeyArgs) -> Result<(), Failure>;

fn parse_algorithm(s: &str) -> Result<WrappingAlgorithm, String> {
    s.parse::<WrappingAlgorithm>().map_err(|e| e.message())
}

fn parse_wrapping_key_spec(s: &str) -> Result<WrappingKeySpec, String> {
    match s.parse::<WrappingKeySpec>() {
        Ok(WrappingKeySpec::Sm2) => Err("SM2 wrapping keys are not supported".to_owned()),
        Ok(spec) => Ok(spec),
        Err(e) => Err(e.message()),
    }
}

fn parse_import_type(s: &str) -> Result<ImportType, String> {
    s.parse::<ImportType>().map_err(|e| e.message())
}

fn parse_time(s: &str) -> Result<DateTime, String> {
    DateTime::from_str(s, DateTimeFormat::DateTime)
        .map_err(|_| format!("{s:?} is not an RFC 3339 time such as 2027-06-30T00:00:00Z"))
}

fn parse_key_material_id(s: &str) -> Result<String, String> {
    if s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        Ok(s.to_owned())
    } else {
        Err("a KeyMaterialId is 64 lowercase hexadecimal digits".to_owned())
    }
}

/// Exit status of a failed AWS call (import only).
const EXIT_AWS: u8 = 3;

fn run_import(flags: ImportFlags) -> ExitCode {
    if flags.import_type == Some(ImportType::NewKeyMaterial) && flags.key_material_id.is_some() {
        eprintln!(
            "error: ValidationException: --key-material-id cannot be used with --import-type NEW_KEY_MATERIAL"
        );
        return ExitCode::from(USAGE_ERROR);
    }
    // Not expiring is the default; clap keeps the flag exclusive with --valid-to.
    let _ = flags.does_not_expire;
    let args = import::ImportArgs {
        key_id: flags.key_id,
        key_material: flags.key_material,
        wrapping_algorithm: flags.wrapping_algorithm,
        wrapping_key_spec: flags.wrapping_key_spec,
        valid_to: flags.valid_to,
        import_type: flags.import_type,
        key_material_id: flags.key_material_id,
        key_material_description: flags.key_material_description,
        region: flags.region,
        profile: flags.profile,
        endpoint_url: flags.endpoint_url,
        dry_run: flags.dry_run,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: KMSInternalException: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(import::run(&args)) {
        Ok(line) => {
            if args.wrapping_algorithm.is_some_and(common::is_legacy) {
                eprintln!(
                    "note: RSAES_PKCS1_V1_5 is retired and insecure; used because --wrapping-algorithm named it"
                );
            }
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(import::ImportFailure::Local(Failure(code, message))) => {
            eprintln!("error: {code}: {message}");
            ExitCode::FAILURE
        }
        Err(import::ImportFailure::Aws { code, message }) => {
            eprintln!("error: {code}: {message}");
            ExitCode::from(EXIT_AWS)
        }
    }
}

/// Exit status of a usage error (a missing or unknown flag).
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(USAGE_ERROR);
        }
        Err(e) => {
            // One line, like every other failure of the tool.
            let text = e.to_string();
            let summary: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let summary = summary.join(" ");
            eprintln!(
                "error: ValidationException: {}",
                summary.strip_prefix("error: ").unwrap_or(&summary)
            );
            return ExitCode::from(USAGE_ERROR);
        }
    };
    let (algorithm, key, input, output, run): (String, PathBuf, PathBuf, PathBuf, Subcommand) =
        match cli.command {
            Command::Import(flags) => return run_import(flags),
            Command::Wrap {
                algorithm,
                public_key,
                input,
                output,
            } => (algorithm, public_key, input, output, wrap::run),
            Command::Unwrap {
                algorithm,
                private_key,
                input,
                output,
            } => (algorithm, private_key, input, output, unwrap::run),
        };
    // An unknown algorithm name fails like any other invalid request: ValidationException with
    // AWS's message, exit status 1.
    let algorithm = match algorithm.parse::<WrappingAlgorithm>() {
        Ok(algorithm) => algorithm,
        Err(e) => return fail(e.into()),
    };
    let args = KeyArgs {
        algorithm,
        key,
        input,
        output,
    };
    match run(&args) {
        Ok(()) => {
            if common::is_legacy(args.algorithm) {
                eprintln!(
                    "note: RSAES_PKCS1_V1_5 is retired and insecure; used because --algorithm named it"
                );
            }
            ExitCode::SUCCESS
        }
        Err(failure) => fail(failure),
    }
}

/// Prints a failure as one line and gives the exit status of a failed operation.
fn fail(Failure(code, message): Failure) -> ExitCode {
    eprintln!("error: {code}: {message}");
    ExitCode::FAILURE
}
