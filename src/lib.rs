//! # kms-import
//!
//! A sans-IO implementation of what AWS KMS does when a customer brings their own key material:
//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial and key-material expiry.
//!
//! Nothing in this crate reads a clock, an OS random source, a file or a socket: time (`now`)
//! and randomness (`rng`) are arguments, and storage belongs to the embedder.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod error;
pub mod material;
pub mod names;
pub mod wrap;

pub use error::{Error, Result};
pub use material::{KeyMaterial, KeyMaterialId};
pub use names::{
    AwsName, ExpirationModel, ImportState, ImportType, KeyMaterialState, KeySpec, KeyState,
    KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec,
};
pub use wrap::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
