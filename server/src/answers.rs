//! AWS's answers, in its recorded wording, for the checks the server makes beyond the core:
//! error bodies, alias names, MAC algorithms, RSA plaintext sizes, key usage on CreateKey.

use crate::prelude::*;

/// CreateAlias's name check: AWS answers a name without the `alias/` prefix with a
/// ValidationException of its own wording, before any other check of the name.
pub(crate) fn new_alias_name(input: &str) -> Result<AliasName, Error> {
    if !input.starts_with("alias/") {
        return Err(KmsError::Validation(
            "Alias must start with the prefix \"alias/\". Please see \
             https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
                .to_owned(),
        )
        .into());
    }
    AliasName::for_new_alias(input)
}

/// The error body AWS sends: `{"__type": code, "message": text}`, without a `message` member
/// where AWS sends none (empty text). Decrypt's InvalidCiphertextException carries no text.
pub(crate) fn encode_error(operation: Option<Operation>, error: &Error) -> (u16, Vec<u8>) {
    let message = match (operation, error) {
        (Some(Operation::Decrypt), Error::Kms(KmsError::InvalidCiphertext)) => String::new(),
        _ => error.message(),
    };
    let mut body = serde_json::Map::new();
    body.insert("__type".to_owned(), error.code().into());
    if !message.is_empty() {
        body.insert("message".to_owned(), message.into());
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_else(|_| {
        br#"{"__type":"KMSInternalException","message":"An internal error occurred."}"#.to_vec()
    });
    (error.http_status(), bytes)
}

/// AWS's answer for a MAC algorithm the key spec does not take (InvalidKeyUsageException).
pub(crate) fn check_mac_algorithm(spec: KeySpec, alg: MacAlgorithmSpec) -> Result<(), KmsError> {
    if mac_algorithm(spec) == Some(alg) {
        Ok(())
    } else {
        Err(KmsError::InvalidKeyUsage(format!(
            "Algorithm {alg} is incompatible with key spec {spec}."
        )))
    }
}

/// The largest plaintext RSAES-OAEP encrypts under `spec` (k - 2 hLen - 2 bytes).
pub(crate) fn rsa_plaintext_limit(spec: KeySpec, alg: EncryptionAlgorithmSpec) -> Option<usize> {
    let hash_len = match alg {
        EncryptionAlgorithmSpec::RsaesOaepSha1 => 20,
        EncryptionAlgorithmSpec::RsaesOaepSha256 => 32,
        _ => return None,
    };
    (spec.rsa_bits()? / 8).checked_sub(2 * hash_len + 2)
}

/// AWS's answer for an RSA plaintext longer than the algorithm and key spec allow.
pub(crate) fn check_rsa_plaintext(
    spec: KeySpec,
    alg: EncryptionAlgorithmSpec,
    len: usize,
) -> Result<(), KmsError> {
    match rsa_plaintext_limit(spec, alg) {
        Some(max) if len > max => Err(KmsError::Validation(format!(
            "Algorithm {alg} and key spec {spec} cannot encrypt data larger than {max} bytes."
        ))),
        _ => Ok(()),
    }
}

/// AWS's IncorrectKeyException text (recorded wording, which still says CMK).
pub(crate) const INCORRECT_KEY_MESSAGE: &str =
    "The key ID in the request does not identify a CMK that can perform this operation.";

/// CreateKey: an HMAC key needs an explicit KeyUsage (ValidationException otherwise).
pub(crate) fn check_key_usage_given(
    spec: KeySpec,
    usage: Option<KeyUsage>,
) -> Result<(), KmsError> {
    if spec.is_hmac() && usage.is_none() {
        return Err(KmsError::Validation(
            "You must specify a KeyUsage value for all KMS keys except for symmetric \
             encryption keys."
                .to_owned(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_messages_are_left_out_and_decrypt_ciphertext_errors_carry_none() {
        let (status, body) = encode_error(
            Some(Operation::RotateKeyOnDemand),
            &KmsError::UnsupportedOperation(String::new()).into(),
        );
        assert_eq!(status, 400);
        assert_eq!(body, br#"{"__type":"UnsupportedOperationException"}"#);
        let (_, body) = encode_error(
            Some(Operation::Decrypt),
            &KmsError::InvalidCiphertext.into(),
        );
        assert_eq!(body, br#"{"__type":"InvalidCiphertextException"}"#);
        let (_, body) = encode_error(
            Some(Operation::ImportKeyMaterial),
            &KmsError::InvalidCiphertext.into(),
        );
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(doc["message"], KmsError::InvalidCiphertext.message());
        let (status, _) = encode_error(None, &KmsError::Internal.into());
        assert_eq!(status, 500);
    }

    #[test]
    fn alias_names_without_the_prefix_are_a_validation_error() {
        let e = new_alias_name("my-key").unwrap_err();
        assert_eq!(e.code(), "ValidationException");
        assert!(
            e.message()
                .starts_with("Alias must start with the prefix \"alias/\".")
        );
        assert!(new_alias_name("alias/my-key").is_ok());
    }

    #[test]
    fn mac_algorithms_must_match_the_key_spec() {
        assert_eq!(
            check_mac_algorithm(KeySpec::Hmac224, MacAlgorithmSpec::HmacSha224),
            Ok(())
        );
        assert_eq!(
            check_mac_algorithm(KeySpec::Hmac224, MacAlgorithmSpec::HmacSha256),
            Err(KmsError::InvalidKeyUsage(
                "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.".to_owned()
            ))
        );
    }

    #[test]
    fn rsa_plaintext_limits_are_the_ones_aws_answers() {
        use EncryptionAlgorithmSpec::{RsaesOaepSha1 as Sha1, RsaesOaepSha256 as Sha256};
        // The limits in AWS's recorded answers for each key spec and algorithm.
        for (spec, alg, max) in [
            (KeySpec::Rsa2048, Sha1, 214),
            (KeySpec::Rsa2048, Sha256, 190),
            (KeySpec::Rsa3072, Sha1, 342),
            (KeySpec::Rsa3072, Sha256, 318),
            (KeySpec::Rsa4096, Sha1, 470),
            (KeySpec::Rsa4096, Sha256, 446),
        ] {
            assert_eq!(rsa_plaintext_limit(spec, alg), Some(max));
            assert_eq!(check_rsa_plaintext(spec, alg, max), Ok(()));
            assert_eq!(
                check_rsa_plaintext(spec, alg, max + 1),
                Err(KmsError::Validation(format!(
                    "Algorithm {alg} and key spec {spec} cannot encrypt data larger than {max} bytes."
                )))
            );
        }
        assert_eq!(
            rsa_plaintext_limit(
                KeySpec::SymmetricDefault,
                EncryptionAlgorithmSpec::SymmetricDefault
            ),
            None
        );
    }

    #[test]
    fn hmac_keys_need_a_key_usage() {
        let e = check_key_usage_given(KeySpec::Hmac256, None).unwrap_err();
        assert_eq!(e.code(), "ValidationException");
        assert!(check_key_usage_given(KeySpec::Hmac256, Some(KeyUsage::GenerateVerifyMac)).is_ok());
        assert!(check_key_usage_given(KeySpec::SymmetricDefault, None).is_ok());
    }
}
