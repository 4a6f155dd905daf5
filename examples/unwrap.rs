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

#[path = "cli/mod.rs"]
mod cli;

use std::process::ExitCode;

use cli::{Args, Failure};
use kms_import::wrap::WrappingPrivateKey;
use zeroize::Zeroizing;

const USAGE: &str = "usage: unwrap --algorithm <RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|RSA_AES_KEY_WRAP_SHA_1|\
RSA_AES_KEY_WRAP_SHA_256|RSAES_PKCS1_V1_5> --private-key <PKCS#8 DER file> \
--in <encrypted file> --out <material file>";

fn run(args: &Args) -> Result<(), Failure> {
    let pk8 = Zeroizing::new(cli::read(&args.key)?);
    let key = WrappingPrivateKey::from_pkcs8_der_with(cli::provider_for(args.algorithm), &pk8)?;
    let blob = cli::read(&args.input)?;
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let material = key.unwrap(
        args.algorithm,
        &blob,
        &cli::policy_for(args.algorithm),
        &mut rng,
    )?;
    cli::write_atomically(&args.output, &material)
}

fn main() -> ExitCode {
    cli::main_with(USAGE, "--private-key", run)
}
