//! # kms-import
//!
//! A sans-IO implementation of what AWS KMS does when a customer brings their own key material:
//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial and key-material expiry.
//!
//! Nothing in this crate reads a clock, an OS random source, a file or a socket: time (`now`)
//! and randomness (`rng`) are arguments, and storage belongs to the embedder.
//!
//! Randomness is any [`rand_core::CryptoRng`] (rand_core 0.10, re-exported as
//! [`kms_import::rand_core`](crate::rand_core) so the versions cannot drift): for example
//! `rand_core::UnwrapErr(getrandom::SysRng)` from getrandom 0.4, or a seeded ChaCha generator
//! in tests.
//!
//! Storing a key: load the record, call the operation with `now` and `rng`, and when the
//! returned [`Applied`] says the record `changed` (failed operations included: due expiry still
//! applies), store it with compare-and-swap on the revision you loaded. Never hold a lock or a
//! transaction across an RSA private operation or a key generation. Records are stored only
//! sealed under a [`StorageKey`]. The full contract, a compare-and-swap retry helper
//! ([`update`]) and the in-memory reference store are in [`store`].
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
pub mod page;
pub mod pool;
pub mod record;
pub mod state;
pub mod store;
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
pub use page::Page;
pub use pool::{GenerateInline, WrappingKeyPool, WrappingKeySource};
pub use rand_core;
#[cfg(feature = "serde")]
pub use record::sealed_revision;
pub use record::{
    CreateKeyParams, ExpiryOutcome, Invariant, KeyDescription, KeyMaterialEntry, KeyRecord,
    MaterialImport, MaterialRecord, RotationOutcome, StorageError, StorageKey, StorageKeyId,
    StorageKeys,
};
pub use state::{DisabledImportPolicy, KeyOperation};
#[cfg(feature = "serde")]
pub use store::MemoryStore;
pub use store::{Applied, RecordStore, UpdateError, update};
pub use token::{
    ImportToken, SealingKey, SealingKeyId, SealingKeys, TokenClaims, TokenId, UsedTokens,
};
pub use wrap::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};

/// The README's code samples, compiled and run as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
