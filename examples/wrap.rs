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

#[path = "cli/mod.rs"]
mod cli;

use std::process::ExitCode;

use base64ct::{Base64, Encoding};
use cli::{Args, Failure};
use kms_import::wrap::{WrappingProvider, WrappingPublicKey};
use zeroize::Zeroizing;

const USAGE: &str = "usage: wrap --algorithm <RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|RSA_AES_KEY_WRAP_SHA_1|\
RSA_AES_KEY_WRAP_SHA_256|RSAES_PKCS1_V1_5> --public-key <DER SPKI or base64 file> \
--in <material file> --out <encrypted file>";

/// DER first; otherwise base64 text with all whitespace removed.
fn load_public_key(
    provider: &'static dyn WrappingProvider,
    bytes: &[u8],
) -> Result<WrappingPublicKey, Failure> {
    let der_error = match WrappingPublicKey::from_spki_der_with(provider, bytes) {
        Ok(key) => return Ok(key),
        Err(e) => e,
    };
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match Base64::decode_vec(&text) {
        Ok(der) => Ok(WrappingPublicKey::from_spki_der_with(provider, &der)?),
        Err(_) => Err(der_error.into()),
    }
}

fn run(args: &Args) -> Result<(), Failure> {
    let key = load_public_key(cli::provider_for(args.algorithm), &cli::read(&args.key)?)?;
    let material = Zeroizing::new(cli::read(&args.input)?);
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let blob = key.wrap(
        args.algorithm,
        &material,
        &cli::policy_for(args.algorithm),
        &mut rng,
    )?;
    cli::write_atomically(&args.output, &blob)
}

fn main() -> ExitCode {
    cli::main_with(USAGE, "--public-key", run)
}
