//! # kms-import
//!
//! A sans-IO implementation of what AWS KMS does when a customer brings their own key material:
//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial and key-material expiry.
//!
//! Nothing in this crate reads a clock, an OS random source, a file or a socket: time (`now`)
//! and randomness (`rng`) are arguments, and storage belongs to the embedder.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod error;
mod expiration;
mod import;
mod key_id;
mod material;
mod names;
mod pool;
mod record;
mod rotation;
mod state;
mod token;
#[cfg(feature = "wire")]
pub mod wire;
mod wrap;

pub use error::{Error, Result};
pub use expiration::Expiration;
pub use import::{
    DeleteImportedKeyMaterialRequest, DeleteImportedKeyMaterialResponse,
    GetParametersForImportRequest, GetParametersForImportResponse, ImportKeyMaterialRequest,
    ImportKeyMaterialResponse, ImportService, IssuedKeyCacheStats, usable_material,
    usable_material_by_id,
};
pub use key_id::{
    AccountId, AliasArn, AliasName, KeyArn, KeyContext, KeyId, KeyIdentifier, Partition, Region,
    ResolvedKeyRef,
};
pub use material::{
    CheckedMaterial, KeyMaterial, KeyMaterialId, SymmetricKey, ValidatedMaterial, validate_material,
};
pub use names::{
    AwsName, EncryptionAlgorithmSpec, ExpirationModel, ImportState, ImportType, IncludeKeyMaterial,
    KeyManager, KeyMaterialState, KeySpec, KeyState, KeyUsage, MacAlgorithmSpec, MessageType,
    Origin, RotationType, SigningAlgorithmSpec, WrappingAlgorithm, WrappingKeySpec,
};
pub use pool::WrappingKeyPool;
pub use record::{
    CreateKeyParams, DEFAULT_PENDING_WINDOW_DAYS, ExpiryOutcome, KeyRecord, MaterialImport,
    MaterialRecord,
};
pub use rotation::{KeyMaterialEntry, MAX_ON_DEMAND_ROTATIONS, Page, RotationOutcome};
pub use state::{DisabledImportPolicy, KeyOperation};
pub use token::{
    ImportToken, PARAMETERS_VALIDITY, SealingKey, SealingKeyId, SealingKeys, TokenClaims, TokenId,
    UsedTokens,
};
pub use wrap::{
    UnwrappingKey, WrapPolicy, WrappingPrivateKey, WrappingPublicKey, check_compatible,
    max_material_len, valid_pairs,
};

/// The seam between the wrapping algorithms and a cryptographic library: choosing a backend
/// (`default_provider()`, or `aws_lc_provider()` with the `aws-lc` feature) for
/// [`ImportService::with_provider`], or writing one.
pub mod provider {
    #[cfg(feature = "aws-lc")]
    pub use crate::wrap::aws_lc_provider;
    pub use crate::wrap::{
        RsaPadding, WrappingPrivateKeyOps, WrappingProvider, WrappingPublicKeyOps, aes_kwp_unwrap,
        aes_kwp_wrap, available_providers, check_provider_supports, default_provider,
    };
}

/// The README's code samples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
