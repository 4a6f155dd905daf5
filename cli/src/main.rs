//! `kms-import`: prepares key material for a KMS import without a chain of `openssl` commands.
//!
//! - `kms-import wrap --algorithm <AWS name> --public-key <file> --in <material> --out <file>`
//!   wraps material under the public key GetParametersForImport returned.
//! - `kms-import unwrap --algorithm <AWS name> --private-key <file> --in <file> --out <file>`
//!   is the other direction, as ImportKeyMaterial does it.
//!
//! Exit status: 0 on success; 1 when the operation fails (one line
//! `error: <AWS exception>: <message>` on stderr, and `--out` is not written); 2 for a usage
//! error. `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure
//! algorithm, and one line on stderr says so.
#![forbid(unsafe_code)]

mod common;
mod unwrap;
mod wrap;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use common::Failure;
use kms_import::WrappingAlgorithm;

const ALGORITHMS: &str = "RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, \
RSA_AES_KEY_WRAP_SHA_256, RSAES_PKCS1_V1_5 (legacy: naming it is the opt-in)";

#[derive(Parser)]
#[command(
    name = "kms-import",
    version,
    about = "Wrap and unwrap key material for an AWS KMS import (bring your own key)",
    after_help = "Exit status: 0 success, 1 the operation failed (one line on stderr names the \
AWS exception), 2 usage error."
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
        /// Wrapping public key: DER SubjectPublicKeyInfo, or the base64 text the AWS CLI prints.
        #[arg(long, value_name = "FILE")]
        public_key: PathBuf,
        /// The key material to wrap.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the wrapped material (EncryptedKeyMaterial).
        #[arg(long = "out", value_name = "FILE")]
        output: PathBuf,
    },
    /// Unwrap wrapped key material with the wrapping private key, as ImportKeyMaterial does.
    Unwrap {
        /// Wrapping algorithm, by its AWS name.
        #[arg(long, value_name = "ALGORITHM", help = format!("Wrapping algorithm: {ALGORITHMS}"))]
        algorithm: String,
        /// Wrapping private key (PKCS#8 DER).
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        /// The wrapped material (EncryptedKeyMaterial).
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the unwrapped key material.
        #[arg(long = "out", value_name = "FILE")]
        output: PathBuf,
    },
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
