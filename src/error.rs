//! The crate's one public error type: one variant per AWS KMS exception that the import
//! operations (and the helpers an embedder uses next to them: using material, pagination)
//! can raise, each with the `__type` code and HTTP status the AWS JSON 1.1 protocol puts on
//! the wire. Exceptions of other operations (aliases, Verify, VerifyMac) belong to the
//! embedder.
//!
//! Messages follow AWS's wording where it is known. They never contain secret bytes, and the
//! cryptographic failures ([`Error::InvalidCiphertext`], [`Error::InvalidImportToken`],
//! [`Error::ExpiredImportToken`]) carry one fixed message each, so that no message says which
//! check failed.

use std::fmt;

/// The message of every [`Error::InvalidCiphertext`]: one text for all causes.
pub(crate) const INVALID_CIPHERTEXT_MESSAGE: &str = "The encrypted key material could not be decrypted with the import token's wrapping key and algorithm.";
/// The message of every [`Error::InvalidImportToken`]: one text for all causes.
pub(crate) const INVALID_IMPORT_TOKEN_MESSAGE: &str = "The import token is invalid.";
/// The message of every [`Error::ExpiredImportToken`].
pub(crate) const EXPIRED_IMPORT_TOKEN_MESSAGE: &str =
    "The import token has expired. Call GetParametersForImport for a new one.";
/// The message of [`Error::Internal`].
pub(crate) const INTERNAL_MESSAGE: &str = "An internal error occurred. Retry the request.";

/// An AWS KMS error, as the import operations return it.
///
/// [`Error::code`] gives the `__type` name of the AWS exception, [`Error::http_status`] its
/// status code, and `Display` the message. Two errors compare equal when both kind and message
/// match, which is what tests pin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `NotFoundException` (400): a malformed key id (`Invalid keyId '<input>'`) or a
    /// well-formed id of a key that does not exist (`Key '<arn>' does not exist`).
    #[error("{0}")]
    NotFound(String),
    /// `InvalidArnException` (400): an ARN-shaped identifier that is malformed or does not name
    /// a KMS key.
    #[error("{0}")]
    InvalidArn(String),
    /// `UnsupportedOperationException` (400): the key's origin, key store or key spec does not
    /// allow the operation, or the algorithm / wrapping key spec / key spec combination is not
    /// supported.
    #[error("{0}")]
    UnsupportedOperation(String),
    /// `KMSInvalidStateException` (400): the key's state does not allow the operation
    /// (`<arn> is pending import.` and similar).
    #[error("{0}")]
    InvalidState(String),
    /// `DisabledException` (400): the key is disabled (`<arn> is disabled.`).
    #[error("{0}")]
    Disabled(String),
    /// `InvalidCiphertextException` (400): the encrypted key material (or, for Decrypt, the
    /// ciphertext blob) does not decrypt. One fixed message for every cause.
    #[error("{}", INVALID_CIPHERTEXT_MESSAGE)]
    InvalidCiphertext,
    /// `IncorrectKeyMaterialException` (400): the unwrapped material is not valid for the key
    /// spec, or differs from the material already associated with the key.
    #[error("{0}")]
    IncorrectKeyMaterial(String),
    /// `ExpiredImportTokenException` (400): the token is authentic but its
    /// `ParametersValidTo` has passed.
    #[error("{}", EXPIRED_IMPORT_TOKEN_MESSAGE)]
    ExpiredImportToken,
    /// `InvalidImportTokenException` (400): the token is malformed, altered, sealed under an
    /// unknown key, issued for another KMS key, or already used by a successful import. One
    /// fixed message for every cause.
    #[error("{}", INVALID_IMPORT_TOKEN_MESSAGE)]
    InvalidImportToken,
    /// `ValidationException` (400): a missing required member, an enum value outside the
    /// model, a length or pattern violation, or a broken ExpirationModel / ValidTo rule.
    #[error("{0}")]
    Validation(String),
    /// `LimitExceededException` (400): a per-key or per-account limit was reached.
    #[error("{0}")]
    LimitExceeded(String),
    /// `InvalidKeyUsageException` (400): the key's usage or spec does not allow the
    /// cryptographic operation or algorithm requested.
    #[error("{0}")]
    InvalidKeyUsage(String),
    /// `IncorrectKeyException` (400): a ciphertext was made under another KMS key than the one
    /// named in the request.
    #[error("{0}")]
    IncorrectKey(String),
    /// `InvalidMarkerException` (400): a pagination `Marker` that no earlier response gave.
    #[error("{0}")]
    InvalidMarker(String),
    /// `SerializationException` (400): the request body is not the JSON the operation takes.
    #[error("{0}")]
    Serialization(String),
    /// `DependencyTimeoutException` (500): a dependency timed out; retryable. AWS lists it for
    /// every import operation. The crate never produces it; an embedder's
    /// [`WrappingKeySource`](crate::WrappingKeySource) or store may.
    #[error("{0}")]
    DependencyTimeout(String),
    /// `KMSInternalException` (500): an internal failure that should not happen; retryable.
    /// Carries no detail.
    #[error("{}", INTERNAL_MESSAGE)]
    Internal,
}

impl Error {
    /// The AWS exception name, as sent in the `__type` member of an error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound(_) => "NotFoundException",
            Error::InvalidArn(_) => "InvalidArnException",
            Error::UnsupportedOperation(_) => "UnsupportedOperationException",
            Error::InvalidState(_) => "KMSInvalidStateException",
            Error::Disabled(_) => "DisabledException",
            Error::InvalidCiphertext => "InvalidCiphertextException",
            Error::IncorrectKeyMaterial(_) => "IncorrectKeyMaterialException",
            Error::ExpiredImportToken => "ExpiredImportTokenException",
            Error::InvalidImportToken => "InvalidImportTokenException",
            Error::Validation(_) => "ValidationException",
            Error::LimitExceeded(_) => "LimitExceededException",
            Error::InvalidKeyUsage(_) => "InvalidKeyUsageException",
            Error::IncorrectKey(_) => "IncorrectKeyException",
            Error::InvalidMarker(_) => "InvalidMarkerException",
            Error::Serialization(_) => "SerializationException",
            Error::DependencyTimeout(_) => "DependencyTimeoutException",
            Error::Internal => "KMSInternalException",
        }
    }

    /// The HTTP status AWS sends with this error: 500 for the two server faults
    /// (`DependencyTimeoutException`, `KMSInternalException`), 400 for everything else.
    pub fn http_status(&self) -> u16 {
        match self {
            Error::DependencyTimeout(_) | Error::Internal => 500,
            _ => 400,
        }
    }

    /// Whether AWS classifies the error as a server fault (retryable).
    pub fn is_server_fault(&self) -> bool {
        self.http_status() >= 500
    }

    /// The message text, as sent in the `message` member of an error body.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// `ValidationException` for an enum member whose value is not in the model, in AWS's
    /// wording: `1 validation error detected: Value 'X' at 'member' failed to satisfy
    /// constraint: Member must satisfy enum value set: [A, B]`.
    pub fn invalid_enum_value(value: &str, member: &str, allowed: &[&str]) -> Error {
        Error::Validation(format!(
            "1 validation error detected: Value '{}' at '{}' failed to satisfy constraint: \
             Member must satisfy enum value set: [{}]",
            truncate_for_message(value),
            member,
            allowed.join(", ")
        ))
    }

    /// `ValidationException` for a required member that is missing, in AWS's wording.
    pub fn missing_member(member: &str) -> Error {
        Error::Validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy \
             constraint: Member must not be null"
        ))
    }

    /// `ValidationException` for a member whose length is outside `min..=max`, in AWS's
    /// wording. The value itself is not echoed (it may be a blob).
    pub fn invalid_length(member: &str, min: usize, max: usize) -> Error {
        let constraint = if min == max {
            format!("Member must have length equal to {min}")
        } else if min > 0 && max == usize::MAX {
            format!("Member must have length greater than or equal to {min}")
        } else if min == 0 {
            format!("Member must have length less than or equal to {max}")
        } else {
            format!(
                "Member must have length less than or equal to {max}, \
                 Member must have length greater than or equal to {min}"
            )
        };
        Error::Validation(format!(
            "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
             {constraint}"
        ))
    }

    /// `KMSInvalidStateException` with AWS's `<arn> is <what>.` wording, for example
    /// `invalid_state(arn, "pending import")`.
    pub fn invalid_state(arn: &impl fmt::Display, what: &str) -> Error {
        Error::InvalidState(format!("{arn} is {what}."))
    }

    /// `DisabledException`: `<arn> is disabled.`
    pub fn disabled(arn: &impl fmt::Display) -> Error {
        Error::Disabled(format!("{arn} is disabled."))
    }
}

/// Values echoed in messages are cut to a bounded length so that an oversized request cannot
/// make an oversized error body.
pub(crate) fn truncate_for_message(value: &str) -> &str {
    const MAX: usize = 2048;
    if value.len() <= MAX {
        return value;
    }
    let mut end = MAX;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    &value[..end]
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_faults_are_500_and_client_errors_400() {
        assert_eq!(Error::Internal.http_status(), 500);
        assert_eq!(Error::DependencyTimeout("x".into()).http_status(), 500);
        assert_eq!(Error::InvalidCiphertext.http_status(), 400);
        assert_eq!(Error::InvalidImportToken.http_status(), 400);
        assert_eq!(Error::Validation("x".into()).http_status(), 400);
        assert!(Error::Internal.is_server_fault());
        assert!(!Error::NotFound("x".into()).is_server_fault());
    }

    #[test]
    fn codes_are_aws_exception_names() {
        assert_eq!(
            Error::InvalidState("x".into()).code(),
            "KMSInvalidStateException"
        );
        assert_eq!(Error::Internal.code(), "KMSInternalException");
        assert_eq!(
            Error::IncorrectKeyMaterial("x".into()).code(),
            "IncorrectKeyMaterialException"
        );
        assert_eq!(
            Error::ExpiredImportToken.code(),
            "ExpiredImportTokenException"
        );
    }

    #[test]
    fn enum_validation_message_has_aws_shape() {
        let e = Error::invalid_enum_value("RSA_1024", "wrappingKeySpec", &["RSA_2048", "RSA_3072"]);
        assert_eq!(
            e.message(),
            "1 validation error detected: Value 'RSA_1024' at 'wrappingKeySpec' failed to \
             satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072]"
        );
        assert_eq!(e.code(), "ValidationException");
    }

    #[test]
    fn echoed_values_are_bounded() {
        let long = "é".repeat(5000);
        let e = Error::invalid_enum_value(&long, "keySpec", &["A"]);
        assert!(e.message().len() < 2200);
    }

    #[test]
    fn length_messages_name_the_bounds() {
        let e = Error::invalid_length("importToken", 1, 6144);
        assert!(e.message().contains("less than or equal to 6144"));
        assert!(e.message().contains("greater than or equal to 1"));
        assert!(e.message().contains("'importToken'"));
    }
}
