//! `kms-import unwrap`: unwraps encrypted key material with a wrapping private key, as
//! ImportKeyMaterial does.
//!
//! `--private-key` takes PKCS#8 or PKCS#1, DER or PEM; encrypted keys are refused.
//! `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure algorithm
//! (whose unwrap never fails on bad padding: it yields a pseudo-random message instead).
//! The output is plaintext key material: it is created with mode 0600, exclusively (an existing
//! file or link at `--out` is an error, never followed or overwritten), and removed if writing
//! fails. On failure one line `error: <AWS exception>: <message>` goes to stderr, the exit
//! status is non-zero, and `--out` is not written.

use crate::KeyArgs;
use crate::common::{self as cli, Failure};
use crate::keys;
use kms_import::WrappingPrivateKey;
use zeroize::Zeroizing;

pub fn run(args: &KeyArgs) -> Result<(), Failure> {
    let file = Zeroizing::new(cli::read(&args.key)?);
    let pk8 = keys::private_key_pkcs8(&file, None, "--private-key")?;
    let key = WrappingPrivateKey::from_pkcs8_der_with(cli::provider_for(args.algorithm), &pk8)?;
    let blob = cli::read(&args.input)?;
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    let material = key.for_algorithm(args.algorithm).unwrap(
        &blob,
        &cli::policy_for(args.algorithm),
        &mut rng,
    )?;
    cli::write_secret_file(&args.output, &material)
}
