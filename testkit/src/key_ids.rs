//! Key identifiers for the tests of key resolution in the core and of alias resolution in the
//! server: the context they resolve in, inputs that must be refused, and the error they give.

use kms_import::{Error, KeyContext};

/// The context every identifier here is relative to: partition `aws`, region `us-east-1`,
/// account `111122223333`.
pub fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").expect("test context")
}

/// A key ID in its canonical form.
pub const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

/// A multi-Region key ID.
pub const MULTI_REGION_KEY_ID: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";

/// The ARN of [`KEY_ID`] in [`context`].
pub const KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The AWS code and message of the error `r` holds. Panics when `r` is a success.
pub fn code_and_message(r: Result<impl std::fmt::Debug, Error>) -> (&'static str, String) {
    let e = r.unwrap_err();
    (e.code(), e.message())
}

/// Inputs that start like a key ARN but are not a valid one (each is an `InvalidArnException`
/// whatever the operation).
pub const MALFORMED_KEY_ARNS: &[&str] = &[
    "arn:",
    "arn:aws",
    "arn:aws:kms:us-east-1:111122223333",
    "arn:aws:s3:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:gcp:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:US-EAST-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms::111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:us-east-1:11112222333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:us-east-1:1111222233334:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:us-east-1:111122223333:key/not-a-key",
    "arn:aws:kms:us-east-1:111122223333:key/",
    "arn:aws:kms:us-east-1:111122223333:grant/1234",
    "arn:aws:kms:us-east-1:111122223333:alias/",
    "arn:aws:kms:us-east-1:111122223333:alias/bad name",
    "arn:aws:kms:us-east-1:111122223333:1234abcd-12ab-34cd-56ef-1234567890ab",
];

/// Valid key ARNs of another account, region or partition than [`context`]'s: keys that do
/// not exist there (each is a `NotFoundException`).
pub const FOREIGN_KEY_ARNS: &[&str] = &[
    "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws-cn:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
];
