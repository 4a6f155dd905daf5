//! The AWS JSON 1.1 wire layer (feature `serde`): request parsing, response and error
//! encoding for the KMS operations an embedding service serves, with no IO and no business
//! logic.
//!
//! A server hands [`parse_request`] the `X-Amz-Target` header and the body, runs the
//! operation on the typed [`Request`], and writes what [`encode_response`] or [`encode_error`]
//! returns as status and `application/x-amz-json-1.1` body.
//!
//! # Encoding rules
//!
//! - Members are PascalCase; members an operation does not know are ignored, and a JSON `null`
//!   counts as absent. An empty body reads as `{}`.
//! - Blobs are padded standard base64 strings. Length limits apply to the decoded bytes.
//! - Timestamps are epoch seconds as JSON numbers. Input may be fractional; output is an
//!   integer, or carries a millisecond fraction when the instant has one.
//! - `SerializationException`: the body is not JSON or not an object, a member has the wrong
//!   JSON type, a blob is not valid base64, or a timestamp is out of range. A malformed blob is
//!   a protocol-level decoding failure, so it is reported as such rather than as a model
//!   constraint violation (AWS's exact answer is not documented).
//! - `ValidationException`, worded as AWS words it and naming the member in lowerCamelCase:
//!   a missing required member, an enum value outside the model, a length, range or pattern
//!   violation. Only the first violation is reported (`1 validation error detected: …`), in
//!   the model's member order; AWS may list several.
//! - Success is HTTP 200 with the response members; optional members that are absent are left
//!   out, never `null`. An operation without output answers `{}`.
//! - Errors carry [`Error::http_status`] and `{"__type":"<code>","message":"<text>"}`.

mod codec;
mod members;
mod requests;
mod responses;

use std::fmt;

use serde::Serialize;

pub use codec::SensitiveBlob;
pub use requests::{
    CreateAliasRequest, CreateKeyRequest, DecryptRequest, DeleteAliasRequest,
    DeleteImportedKeyMaterialRequest, EncryptRequest, GenerateMacRequest,
    GetParametersForImportRequest, ImportKeyMaterialRequest, KEY_SPEC_CONFLICT_MESSAGE,
    KeyIdRequest, ListAliasesRequest, ListKeyRotationsRequest, ListKeysRequest,
    ScheduleKeyDeletionRequest, SignRequest, VerifyMacRequest, VerifyRequest,
};
pub use responses::{
    AliasListEntry, CreateKeyResponse, DecryptResponse, DeleteImportedKeyMaterialResponse,
    DescribeKeyResponse, EncryptResponse, GenerateMacResponse, GetParametersForImportResponse,
    GetPublicKeyResponse, ImportKeyMaterialResponse, KeyIdResponse, KeyListEntry, KeyMetadata,
    ListAliasesResponse, ListKeyRotationsResponse, ListKeysResponse, RotationsListEntry,
    ScheduleKeyDeletionResponse, SignResponse, VerifyMacResponse, VerifyResponse, legacy_key_spec,
};

use crate::error::{Error, truncate_for_message};
use members::Members;

/// The `X-Amz-Target` prefix of every KMS operation.
pub const TARGET_PREFIX: &str = "TrentService.";

/// The `Content-Type` of every request and response body.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

macro_rules! operations {
    ($( $(#[$doc:meta])* $name:ident ),+ $(,)?) => {
        /// A KMS operation this wire layer reads, named as in `X-Amz-Target`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Operation {
            $( $(#[$doc])* $name, )+
        }

        impl Operation {
            /// Every operation, in declaration order.
            pub const ALL: &'static [Operation] = &[ $( Operation::$name, )+ ];

            /// The operation name (`ImportKeyMaterial`).
            pub fn name(self) -> &'static str {
                match self {
                    $( Operation::$name => stringify!($name), )+
                }
            }
        }
    };
}

operations! {
    /// `CreateKey`.
    CreateKey,
    /// `DescribeKey`.
    DescribeKey,
    /// `ListKeys`.
    ListKeys,
    /// `GetParametersForImport`.
    GetParametersForImport,
    /// `ImportKeyMaterial`.
    ImportKeyMaterial,
    /// `DeleteImportedKeyMaterial`.
    DeleteImportedKeyMaterial,
    /// `EnableKey`.
    EnableKey,
    /// `DisableKey`.
    DisableKey,
    /// `ScheduleKeyDeletion`.
    ScheduleKeyDeletion,
    /// `CancelKeyDeletion`.
    CancelKeyDeletion,
    /// `GetPublicKey`.
    GetPublicKey,
    /// `Encrypt`.
    Encrypt,
    /// `Decrypt`.
    Decrypt,
    /// `GenerateMac`.
    GenerateMac,
    /// `VerifyMac`.
    VerifyMac,
    /// `Sign`.
    Sign,
    /// `Verify`.
    Verify,
    /// `CreateAlias`.
    CreateAlias,
    /// `DeleteAlias`.
    DeleteAlias,
    /// `ListAliases`.
    ListAliases,
    /// `RotateKeyOnDemand`.
    RotateKeyOnDemand,
    /// `ListKeyRotations`.
    ListKeyRotations,
}

impl Operation {
    /// Parses an `X-Amz-Target` value, `TrentService.<Operation>` (exact, case-sensitive).
    pub fn from_target(target: &str) -> Result<Operation, UnknownOperation> {
        target
            .strip_prefix(TARGET_PREFIX)
            .and_then(|name| Operation::ALL.iter().copied().find(|op| op.name() == name))
            .ok_or_else(|| UnknownOperation(truncate_for_message(target).to_owned()))
    }

    /// The `X-Amz-Target` value of the operation.
    pub fn target(self) -> String {
        format!("{TARGET_PREFIX}{}", self.name())
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An `X-Amz-Target` that names no operation of this layer (another service, a KMS operation
/// not served here, or a malformed header).
///
/// AWS answers this with `UnknownOperationException`, which is not a KMS error shape and so
/// has no [`Error`] variant: a server that wants AWS's exact answer sends
/// [`UnknownOperation::encode`]. Converted into an [`Error`] (as [`parse_request`] does) it
/// becomes `UnsupportedOperationException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(String);

impl UnknownOperation {
    /// The `__type` AWS sends for an unknown target.
    pub const CODE: &'static str = "UnknownOperationException";

    /// The target as received (cut to a bounded length).
    pub fn target(&self) -> &str {
        &self.0
    }

    /// HTTP 400 and `{"__type":"UnknownOperationException","message":…}`.
    pub fn encode(&self) -> (u16, Vec<u8>) {
        (400, error_body(Self::CODE, &self.to_string()))
    }
}

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Operation '{}' is not supported.", self.0)
    }
}

impl From<UnknownOperation> for Error {
    fn from(unknown: UnknownOperation) -> Error {
        Error::UnsupportedOperation(unknown.to_string())
    }
}

/// A parsed, schema-checked request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Request {
    /// CreateKey.
    CreateKey(CreateKeyRequest),
    /// DescribeKey.
    DescribeKey(KeyIdRequest),
    /// ListKeys.
    ListKeys(ListKeysRequest),
    /// GetParametersForImport.
    GetParametersForImport(GetParametersForImportRequest),
    /// ImportKeyMaterial.
    ImportKeyMaterial(ImportKeyMaterialRequest),
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial(DeleteImportedKeyMaterialRequest),
    /// EnableKey.
    EnableKey(KeyIdRequest),
    /// DisableKey.
    DisableKey(KeyIdRequest),
    /// ScheduleKeyDeletion.
    ScheduleKeyDeletion(ScheduleKeyDeletionRequest),
    /// CancelKeyDeletion.
    CancelKeyDeletion(KeyIdRequest),
    /// GetPublicKey.
    GetPublicKey(KeyIdRequest),
    /// Encrypt.
    Encrypt(EncryptRequest),
    /// Decrypt.
    Decrypt(DecryptRequest),
    /// GenerateMac.
    GenerateMac(GenerateMacRequest),
    /// VerifyMac.
    VerifyMac(VerifyMacRequest),
    /// Sign.
    Sign(SignRequest),
    /// Verify.
    Verify(VerifyRequest),
    /// CreateAlias.
    CreateAlias(CreateAliasRequest),
    /// DeleteAlias.
    DeleteAlias(DeleteAliasRequest),
    /// ListAliases.
    ListAliases(ListAliasesRequest),
    /// RotateKeyOnDemand.
    RotateKeyOnDemand(KeyIdRequest),
    /// ListKeyRotations.
    ListKeyRotations(ListKeyRotationsRequest),
}

impl Request {
    /// Reads the body of `operation`. Errors are `SerializationException` or
    /// `ValidationException`, as the [module docs](self) describe.
    pub fn parse(operation: Operation, body: &[u8]) -> Result<Request, Error> {
        let m = Members::parse(body)?;
        Ok(match operation {
            Operation::CreateKey => Request::CreateKey(CreateKeyRequest::read(&m)?),
            Operation::DescribeKey => Request::DescribeKey(KeyIdRequest::read(&m)?),
            Operation::ListKeys => Request::ListKeys(ListKeysRequest::read(&m)?),
            Operation::GetParametersForImport => {
                Request::GetParametersForImport(GetParametersForImportRequest::read(&m)?)
            }
            Operation::ImportKeyMaterial => {
                Request::ImportKeyMaterial(ImportKeyMaterialRequest::read(&m)?)
            }
            Operation::DeleteImportedKeyMaterial => {
                Request::DeleteImportedKeyMaterial(DeleteImportedKeyMaterialRequest::read(&m)?)
            }
            Operation::EnableKey => Request::EnableKey(KeyIdRequest::read(&m)?),
            Operation::DisableKey => Request::DisableKey(KeyIdRequest::read(&m)?),
            Operation::ScheduleKeyDeletion => {
                Request::ScheduleKeyDeletion(ScheduleKeyDeletionRequest::read(&m)?)
            }
            Operation::CancelKeyDeletion => Request::CancelKeyDeletion(KeyIdRequest::read(&m)?),
            Operation::GetPublicKey => Request::GetPublicKey(KeyIdRequest::read(&m)?),
            Operation::Encrypt => Request::Encrypt(EncryptRequest::read(&m)?),
            Operation::Decrypt => Request::Decrypt(DecryptRequest::read(&m)?),
            Operation::GenerateMac => Request::GenerateMac(GenerateMacRequest::read(&m)?),
            Operation::VerifyMac => Request::VerifyMac(VerifyMacRequest::read(&m)?),
            Operation::Sign => Request::Sign(SignRequest::read(&m)?),
            Operation::Verify => Request::Verify(VerifyRequest::read(&m)?),
            Operation::CreateAlias => Request::CreateAlias(CreateAliasRequest::read(&m)?),
            Operation::DeleteAlias => Request::DeleteAlias(DeleteAliasRequest::read(&m)?),
            Operation::ListAliases => Request::ListAliases(ListAliasesRequest::read(&m)?),
            Operation::RotateKeyOnDemand => Request::RotateKeyOnDemand(KeyIdRequest::read(&m)?),
            Operation::ListKeyRotations => {
                Request::ListKeyRotations(ListKeyRotationsRequest::read(&m)?)
            }
        })
    }

    /// The operation this request is for.
    pub fn operation(&self) -> Operation {
        match self {
            Request::CreateKey(_) => Operation::CreateKey,
            Request::DescribeKey(_) => Operation::DescribeKey,
            Request::ListKeys(_) => Operation::ListKeys,
            Request::GetParametersForImport(_) => Operation::GetParametersForImport,
            Request::ImportKeyMaterial(_) => Operation::ImportKeyMaterial,
            Request::DeleteImportedKeyMaterial(_) => Operation::DeleteImportedKeyMaterial,
            Request::EnableKey(_) => Operation::EnableKey,
            Request::DisableKey(_) => Operation::DisableKey,
            Request::ScheduleKeyDeletion(_) => Operation::ScheduleKeyDeletion,
            Request::CancelKeyDeletion(_) => Operation::CancelKeyDeletion,
            Request::GetPublicKey(_) => Operation::GetPublicKey,
            Request::Encrypt(_) => Operation::Encrypt,
            Request::Decrypt(_) => Operation::Decrypt,
            Request::GenerateMac(_) => Operation::GenerateMac,
            Request::VerifyMac(_) => Operation::VerifyMac,
            Request::Sign(_) => Operation::Sign,
            Request::Verify(_) => Operation::Verify,
            Request::CreateAlias(_) => Operation::CreateAlias,
            Request::DeleteAlias(_) => Operation::DeleteAlias,
            Request::ListAliases(_) => Operation::ListAliases,
            Request::RotateKeyOnDemand(_) => Operation::RotateKeyOnDemand,
            Request::ListKeyRotations(_) => Operation::ListKeyRotations,
        }
    }
}

/// Parses a request from its `X-Amz-Target` header value and body.
///
/// An unknown target is `UnsupportedOperationException` (see [`UnknownOperation`] for AWS's
/// exact answer); a body the operation cannot read is `SerializationException` or
/// `ValidationException`.
pub fn parse_request(target: &str, body: &[u8]) -> Result<Request, Error> {
    let operation = Operation::from_target(target)?;
    Request::parse(operation, body)
}

/// A successful result, ready to encode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Response {
    /// CreateKey.
    CreateKey(CreateKeyResponse),
    /// DescribeKey.
    DescribeKey(DescribeKeyResponse),
    /// ListKeys.
    ListKeys(ListKeysResponse),
    /// GetParametersForImport.
    GetParametersForImport(GetParametersForImportResponse),
    /// ImportKeyMaterial.
    ImportKeyMaterial(ImportKeyMaterialResponse),
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial(DeleteImportedKeyMaterialResponse),
    /// EnableKey: no output.
    EnableKey,
    /// DisableKey: no output.
    DisableKey,
    /// ScheduleKeyDeletion.
    ScheduleKeyDeletion(ScheduleKeyDeletionResponse),
    /// CancelKeyDeletion.
    CancelKeyDeletion(KeyIdResponse),
    /// GetPublicKey.
    GetPublicKey(GetPublicKeyResponse),
    /// Encrypt.
    Encrypt(EncryptResponse),
    /// Decrypt.
    Decrypt(DecryptResponse),
    /// GenerateMac.
    GenerateMac(GenerateMacResponse),
    /// VerifyMac.
    VerifyMac(VerifyMacResponse),
    /// Sign.
    Sign(SignResponse),
    /// Verify.
    Verify(VerifyResponse),
    /// CreateAlias: no output.
    CreateAlias,
    /// DeleteAlias: no output.
    DeleteAlias,
    /// ListAliases.
    ListAliases(ListAliasesResponse),
    /// RotateKeyOnDemand.
    RotateKeyOnDemand(KeyIdResponse),
    /// ListKeyRotations.
    ListKeyRotations(ListKeyRotationsResponse),
}

impl Response {
    /// The operation this response answers.
    pub fn operation(&self) -> Operation {
        match self {
            Response::CreateKey(_) => Operation::CreateKey,
            Response::DescribeKey(_) => Operation::DescribeKey,
            Response::ListKeys(_) => Operation::ListKeys,
            Response::GetParametersForImport(_) => Operation::GetParametersForImport,
            Response::ImportKeyMaterial(_) => Operation::ImportKeyMaterial,
            Response::DeleteImportedKeyMaterial(_) => Operation::DeleteImportedKeyMaterial,
            Response::EnableKey => Operation::EnableKey,
            Response::DisableKey => Operation::DisableKey,
            Response::ScheduleKeyDeletion(_) => Operation::ScheduleKeyDeletion,
            Response::CancelKeyDeletion(_) => Operation::CancelKeyDeletion,
            Response::GetPublicKey(_) => Operation::GetPublicKey,
            Response::Encrypt(_) => Operation::Encrypt,
            Response::Decrypt(_) => Operation::Decrypt,
            Response::GenerateMac(_) => Operation::GenerateMac,
            Response::VerifyMac(_) => Operation::VerifyMac,
            Response::Sign(_) => Operation::Sign,
            Response::Verify(_) => Operation::Verify,
            Response::CreateAlias => Operation::CreateAlias,
            Response::DeleteAlias => Operation::DeleteAlias,
            Response::ListAliases(_) => Operation::ListAliases,
            Response::RotateKeyOnDemand(_) => Operation::RotateKeyOnDemand,
            Response::ListKeyRotations(_) => Operation::ListKeyRotations,
        }
    }
}

fn json<T: Serialize>(value: &T) -> (u16, Vec<u8>) {
    match serde_json::to_vec(value) {
        Ok(body) => (200, body),
        // Serialising these types cannot fail (string keys, no non-finite floats); if it ever
        // did, the client gets a retryable internal error rather than a truncated body.
        Err(_) => encode_error(&Error::Internal),
    }
}

/// HTTP 200 and the JSON body of a successful response (`{}` for operations without output).
pub fn encode_response(response: &Response) -> (u16, Vec<u8>) {
    match response {
        Response::CreateKey(r) => json(r),
        Response::DescribeKey(r) => json(r),
        Response::ListKeys(r) => json(r),
        Response::GetParametersForImport(r) => json(r),
        Response::ImportKeyMaterial(r) => json(r),
        Response::DeleteImportedKeyMaterial(r) => json(r),
        Response::ScheduleKeyDeletion(r) => json(r),
        Response::CancelKeyDeletion(r) | Response::RotateKeyOnDemand(r) => json(r),
        Response::GetPublicKey(r) => json(r),
        Response::Encrypt(r) => json(r),
        Response::Decrypt(r) => json(r),
        Response::GenerateMac(r) => json(r),
        Response::VerifyMac(r) => json(r),
        Response::Sign(r) => json(r),
        Response::Verify(r) => json(r),
        Response::ListAliases(r) => json(r),
        Response::ListKeyRotations(r) => json(r),
        Response::EnableKey
        | Response::DisableKey
        | Response::CreateAlias
        | Response::DeleteAlias => (200, b"{}".to_vec()),
    }
}

fn error_body(code: &str, message: &str) -> Vec<u8> {
    #[derive(Serialize)]
    struct ErrorBody<'a> {
        #[serde(rename = "__type")]
        code: &'a str,
        // AWS sends no `message` member, rather than an empty one, where it has no text.
        #[serde(skip_serializing_if = "str::is_empty")]
        message: &'a str,
    }
    serde_json::to_vec(&ErrorBody { code, message }).unwrap_or_else(|_| {
        br#"{"__type":"KMSInternalException","message":"An internal error occurred."}"#.to_vec()
    })
}

/// The HTTP status and body of an error: [`Error::http_status`] and
/// `{"__type":"<Error::code>","message":"<Error::message>"}`, without `message` when the text
/// is empty (as AWS answers, for example, RotateKeyOnDemand on an RSA key).
pub fn encode_error(error: &Error) -> (u16, Vec<u8>) {
    (
        error.http_status(),
        error_body(error.code(), &error.message()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_round_trips_through_its_target() {
        for op in Operation::ALL {
            assert_eq!(Operation::from_target(&op.target()), Ok(*op));
        }
        assert_eq!(Operation::ALL.len(), 22);
    }

    #[test]
    fn an_error_without_text_has_no_message_member() {
        let (status, body) = encode_error(&Error::UnsupportedOperation(String::new()));
        assert_eq!(status, 400);
        assert_eq!(body, br#"{"__type":"UnsupportedOperationException"}"#);
        let (_, body) = encode_error(&Error::NotFound("x".to_owned()));
        assert_eq!(body, br#"{"__type":"NotFoundException","message":"x"}"#);
    }

    #[test]
    fn targets_need_the_exact_prefix_and_name() {
        for bad in [
            "ImportKeyMaterial",
            "trentservice.ImportKeyMaterial",
            "TrentService.importKeyMaterial",
            "TrentService.GenerateDataKey",
            "TrentService.",
            "",
        ] {
            assert!(Operation::from_target(bad).is_err(), "{bad}");
        }
    }
}
