//! The AWS JSON 1.1 codec of the import operations (feature `wire`): GetParametersForImport,
//! ImportKeyMaterial, DeleteImportedKeyMaterial, RotateKeyOnDemand and ListKeyRotations, with
//! no IO and no business logic.
//!
//! A server hands [`parse_request`] the `X-Amz-Target` header and the body, runs the
//! operation on the typed [`Request`] (the import requests and responses are the operations'
//! own types, such as [`ImportKeyMaterialRequest`] and [`ImportKeyMaterialResponse`]), and writes
//! what [`encode_response`] or [`encode_error`] returns as status and
//! `application/x-amz-json-1.1` body. A service that serves further KMS operations reads their
//! bodies with the same rules through [`Members`], and encodes blobs and timestamps in its own
//! response types with [`blob`], [`timestamp`] and [`timestamp_opt`].
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

pub(crate) mod codec;
mod members;
mod requests;
mod responses;

use std::fmt;

use serde::Serialize;

use crate::error::{Error, truncate_for_message};
use crate::import::{
    DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse,
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialRequest,
    ImportKeyMaterialResponse,
};

pub use codec::{blob, timestamp, timestamp_opt};
pub use members::{Members, required};
pub use requests::{ListKeyRotationsRequest, RotateKeyOnDemandRequest};
pub use responses::{ListKeyRotationsResponse, RotateKeyOnDemandResponse, RotationsListEntry};

/// The `X-Amz-Target` prefix of every KMS operation.
pub const TARGET_PREFIX: &str = "TrentService.";

/// The `Content-Type` of every request and response body.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

macro_rules! operations {
    ($( $(#[$doc:meta])* $name:ident ),+ $(,)?) => {
        /// An import operation this codec reads, named as in `X-Amz-Target`.
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
    /// `GetParametersForImport`.
    GetParametersForImport,
    /// `ImportKeyMaterial`.
    ImportKeyMaterial,
    /// `DeleteImportedKeyMaterial`.
    DeleteImportedKeyMaterial,
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
            .ok_or_else(|| UnknownOperation::new(target))
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

/// An `X-Amz-Target` that names no operation of this codec (another service, a KMS operation
/// that is not an import operation, or a malformed header).
///
/// A service that serves more operations looks the target up in its own table next. AWS
/// answers a target nobody serves with `UnknownOperationException`, which is not a KMS error
/// shape and so has no [`Error`] variant: [`UnknownOperation::encode`] gives that answer.
/// Converted into an [`Error`] (as [`parse_request`] does) it becomes
/// `UnsupportedOperationException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(String);

impl UnknownOperation {
    /// The `__type` AWS sends for an unknown target.
    pub const CODE: &'static str = "UnknownOperationException";

    /// The answer for `target`, for a service whose own table of operations does not name it
    /// either. The target is kept cut to a bounded length.
    pub fn new(target: &str) -> UnknownOperation {
        UnknownOperation(truncate_for_message(target).to_owned())
    }

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

/// A parsed, schema-checked import request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Request {
    /// GetParametersForImport.
    GetParametersForImport(GetParametersForImportRequest),
    /// ImportKeyMaterial.
    ImportKeyMaterial(ImportKeyMaterialRequest),
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial(DeleteImportedKeyMaterialRequest),
    /// RotateKeyOnDemand.
    RotateKeyOnDemand(RotateKeyOnDemandRequest),
    /// ListKeyRotations.
    ListKeyRotations(ListKeyRotationsRequest),
}

impl Request {
    /// Reads the body of `operation`. Errors are `SerializationException` or
    /// `ValidationException`, as the [module docs](self) describe.
    pub fn parse(operation: Operation, body: &[u8]) -> Result<Request, Error> {
        let m = Members::parse(body)?;
        Ok(match operation {
            Operation::GetParametersForImport => {
                Request::GetParametersForImport(GetParametersForImportRequest::read(&m)?)
            }
            Operation::ImportKeyMaterial => {
                Request::ImportKeyMaterial(ImportKeyMaterialRequest::read(&m)?)
            }
            Operation::DeleteImportedKeyMaterial => {
                Request::DeleteImportedKeyMaterial(DeleteImportedKeyMaterialRequest::read(&m)?)
            }
            Operation::RotateKeyOnDemand => {
                Request::RotateKeyOnDemand(RotateKeyOnDemandRequest::read(&m)?)
            }
            Operation::ListKeyRotations => {
                Request::ListKeyRotations(ListKeyRotationsRequest::read(&m)?)
            }
        })
    }

    /// The operation this request is for.
    pub fn operation(&self) -> Operation {
        match self {
            Request::GetParametersForImport(_) => Operation::GetParametersForImport,
            Request::ImportKeyMaterial(_) => Operation::ImportKeyMaterial,
            Request::DeleteImportedKeyMaterial(_) => Operation::DeleteImportedKeyMaterial,
            Request::RotateKeyOnDemand(_) => Operation::RotateKeyOnDemand,
            Request::ListKeyRotations(_) => Operation::ListKeyRotations,
        }
    }
}

/// Parses an import request from its `X-Amz-Target` header value and body.
///
/// A target that names no import operation is `UnsupportedOperationException` (see
/// [`UnknownOperation`]); a body the operation cannot read is `SerializationException` or
/// `ValidationException`.
pub fn parse_request(target: &str, body: &[u8]) -> Result<Request, Error> {
    let operation = Operation::from_target(target)?;
    Request::parse(operation, body)
}

/// A successful result, ready to encode.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Response {
    /// GetParametersForImport.
    GetParametersForImport(GetParametersForImportResponse),
    /// ImportKeyMaterial.
    ImportKeyMaterial(ImportKeyMaterialResponse),
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial(DeleteImportedKeyMaterialResponse),
    /// RotateKeyOnDemand.
    RotateKeyOnDemand(RotateKeyOnDemandResponse),
    /// ListKeyRotations.
    ListKeyRotations(ListKeyRotationsResponse),
}

impl Response {
    /// The operation this response answers.
    pub fn operation(&self) -> Operation {
        match self {
            Response::GetParametersForImport(_) => Operation::GetParametersForImport,
            Response::ImportKeyMaterial(_) => Operation::ImportKeyMaterial,
            Response::DeleteImportedKeyMaterial(_) => Operation::DeleteImportedKeyMaterial,
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

/// HTTP 200 and the JSON body of a successful response.
pub fn encode_response(response: &Response) -> (u16, Vec<u8>) {
    match response {
        Response::GetParametersForImport(r) => json(r),
        Response::ImportKeyMaterial(r) => json(r),
        Response::DeleteImportedKeyMaterial(r) => json(r),
        Response::RotateKeyOnDemand(r) => json(r),
        Response::ListKeyRotations(r) => json(r),
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
        assert_eq!(Operation::ALL.len(), 5);
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
            "TrentService.CreateKey",
            "TrentService.",
            "",
        ] {
            assert!(Operation::from_target(bad).is_err(), "{bad}");
        }
    }
}
