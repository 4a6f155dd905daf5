//! The server's error: every AWS exception the import library raises ([`kms_import::Error`]),
//! and the four that only the server's other operations raise (aliases, Verify, VerifyMac).

/// An AWS KMS error as the server answers it: [`Error::code`] is the `__type` of the error
/// body, [`Error::http_status`] its status, and `Display` the `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An error of the import library: the import operations', and those the server's other
    /// operations share with them (NotFound, Validation, KMSInvalidState, …).
    #[error(transparent)]
    Kms(#[from] kms_import::Error),
    /// `AlreadyExistsException` (400): CreateAlias for an alias name that exists.
    #[error("{0}")]
    AlreadyExists(String),
    /// `InvalidAliasNameException` (400): an alias name that is malformed or reserved.
    #[error("{0}")]
    InvalidAliasName(String),
    /// `KMSInvalidSignatureException` (400): Verify found the signature invalid.
    #[error("{0}")]
    InvalidSignature(String),
    /// `KMSInvalidMacException` (400): VerifyMac found the MAC invalid.
    #[error("{0}")]
    InvalidMac(String),
}

impl Error {
    /// The AWS exception name, as sent in the `__type` member of an error body.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Kms(e) => e.code(),
            Error::AlreadyExists(_) => "AlreadyExistsException",
            Error::InvalidAliasName(_) => "InvalidAliasNameException",
            Error::InvalidSignature(_) => "KMSInvalidSignatureException",
            Error::InvalidMac(_) => "KMSInvalidMacException",
        }
    }

    /// The HTTP status AWS sends with this error (500 only for the server faults).
    pub fn http_status(&self) -> u16 {
        match self {
            Error::Kms(e) => e.http_status(),
            Error::AlreadyExists(_)
            | Error::InvalidAliasName(_)
            | Error::InvalidSignature(_)
            | Error::InvalidMac(_) => 400,
        }
    }

    /// The message text, as sent in the `message` member of an error body.
    pub fn message(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_have_aws_codes_and_library_errors_keep_theirs() {
        let cases = [
            (
                Error::AlreadyExists("a".into()),
                "AlreadyExistsException",
                400,
            ),
            (
                Error::InvalidAliasName("a".into()),
                "InvalidAliasNameException",
                400,
            ),
            (
                Error::InvalidSignature(String::new()),
                "KMSInvalidSignatureException",
                400,
            ),
            (
                Error::InvalidMac(String::new()),
                "KMSInvalidMacException",
                400,
            ),
            (
                kms_import::Error::Internal.into(),
                "KMSInternalException",
                500,
            ),
            (
                kms_import::Error::DependencyTimeout("t".into()).into(),
                "DependencyTimeoutException",
                500,
            ),
            (
                kms_import::Error::NotFound("n".into()).into(),
                "NotFoundException",
                400,
            ),
        ];
        for (error, code, status) in cases {
            assert_eq!(
                (error.code(), error.http_status()),
                (code, status),
                "{error:?}"
            );
        }
        let e: Error = kms_import::Error::Validation("bad".into()).into();
        assert_eq!(e.message(), "bad");
        assert_eq!(e, Error::Kms(kms_import::Error::Validation("bad".into())));
        assert_eq!(Error::InvalidMac("m".into()).message(), "m");
    }
}
