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
pub mod expiration;
pub mod import;
pub mod key_id;
pub mod material;
pub mod names;
pub mod pool;
pub mod record;
pub mod rotation;
pub mod state;
pub mod token;
#[cfg(feature = "serde")]
pub mod wire;
pub mod wrap;

pub use error::{Error, Result};
pub use expiration::Expiration;
pub use key_id::{AliasArn, AliasName, KeyArn, KeyContext, KeyId, KeyIdentifier, ResolvedKeyRef};
pub use material::{
    CommitmentKey, CommitmentKeys, KeyMaterial, KeyMaterialId, MaterialCommitment, SymmetricKey,
    ValidatedMaterial, validate_material,
};
pub use names::{
    AwsName, ExpirationModel, ImportState, ImportType, KeyMaterialState, KeySpec, KeyState,
    KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec,
};
pub use record::{CreateKeyParams, ExpiryOutcome, KeyRecord, MaterialImport, MaterialRecord};
pub use rotation::{KeyMaterialEntry, Page, RotationOutcome};
pub use state::{DisabledImportPolicy, KeyOperation};
pub use token::{
    ImportToken, SealingKey, SealingKeyId, SealingKeys, TokenClaims, TokenId, UsedTokens,
};
pub use wrap::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};

/// The README's code samples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
