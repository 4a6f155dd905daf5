//! `kms-import wrap`: wraps key material for import, as a customer does before
//! ImportKeyMaterial.
//!
//! `--public-key` takes the DER SubjectPublicKeyInfo, or the base64 text that
//! `aws kms get-parameters-for-import --query PublicKey --output text` prints.
//! `--algorithm RSAES_PKCS1_V1_5` is itself the opt-in to that retired, insecure algorithm.
//! On failure one line `error: <AWS exception>: <message>` goes to stderr, the exit status is
//! non-zero, and `--out` is not written.

use base64ct::{Base64, Encoding};

use crate::KeyArgs;
use crate::common::{self as cli, Failure};
use kms_import::{WrappingPublicKey, provider::WrappingProvider};
use zeroize::Zeroizing;

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
