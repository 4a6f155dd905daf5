//! `kms-import wrap`: wraps key material for import, as a customer does before
//! ImportKeyMaterial.
//!
//! `--public-key` takes a SubjectPublicKeyInfo or PKCS#1 RSA public key, DER or PEM, or the
//! base64 text that `aws kms get-parameters-for-import --query PublicKey --output text` prints.
//! `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure algorithm.
//! On failure one line `error: <AWS exception>: <message>` goes to stderr, the exit status is
//! non-zero, and `--out` is not written.

use crate::KeyArgs;
use crate::common::{self as cli, Failure};
use crate::keys;
use kms_import::{WrappingPublicKey, provider::WrappingProvider};
use zeroize::Zeroizing;

fn load_public_key(
    provider: &'static dyn WrappingProvider,
    bytes: &[u8],
) -> Result<WrappingPublicKey, Failure> {
    let spki = keys::public_key_spki(bytes, "--public-key")?;
    Ok(WrappingPublicKey::from_spki_der_with(provider, &spki)?)
}

pub fn run(args: &KeyArgs) -> Result<(), Failure> {
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
