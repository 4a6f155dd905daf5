//! # kms-import
//!
//! A sans-IO implementation of what AWS KMS does when a customer brings their own key material:
//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial, key-material expiry
//! and the rotation of imported material.
//!
//! Nothing in this crate reads a clock, an OS random source, a file or a socket: time (`now`)
//! and randomness (`rng`) are arguments, and storage belongs to the embedder.
//!
//! Randomness is any [`rand_core::CryptoRng`] (rand_core 0.10, re-exported as
//! [`kms_import::rand_core`](crate::rand_core) so the versions cannot drift): for example
//! `rand_core::UnwrapErr(getrandom::SysRng)` from getrandom 0.4, or a seeded ChaCha generator
//! in tests.
//!
//! # Map
//!
//! Every item is used from the crate root (`kms_import::KeyRecord`), except three small
//! modules: the wrapping backends' seam ([`provider`]), the `Limit`/`Marker` pagination every
//! list operation shares ([`page`]), and the AWS JSON 1.1 codec (`wire`, feature `wire`). A
//! fourth module, [`storage_format`], holds documentation only: the layout of a stored record.
//!
//! - **The operations** are methods of [`ImportService`], which holds the service-wide
//!   settings: the [`KeyContext`] (partition, Region, account), the [`SealingKeys`], the
//!   wrapping backend and the policies. Each takes the [`KeyRecord`] to act on, a request
//!   ([`GetParametersForImportRequest`], [`ImportKeyMaterialRequest`],
//!   [`DeleteImportedKeyMaterialRequest`]), `now` and, where it needs one, `rng`.
//! - **Where a token is sealed**: GetParametersForImport
//!   ([`ImportService::get_parameters_for_import`]) takes a wrapping key from a
//!   [`WrappingKeySource`] (such as a [`WrappingKeyPool`]) and seals its private half, the
//!   key's ARN, the algorithm, the wrapping key spec and the 24-hour validity into an
//!   [`ImportToken`] with the current [`SealingKey`]. Nothing is stored between the two calls:
//!   any instance with the same [`SealingKeys`] opens the token ([`SealingKeys::open`]).
//! - **Where bytes are unwrapped**: ImportKeyMaterial
//!   ([`ImportService::import_key_material`]) opens the token, binds its wrapping key to the
//!   algorithm the token was issued for (an [`UnwrappingKey`]; no other algorithm can be
//!   passed), unwraps the material, and validates it for the key spec into a
//!   [`CheckedMaterial`], the only form a [`KeyRecord`] accepts material in. Every unwrap
//!   failure is one `InvalidCiphertextException` with one message.
//! - **Where a state changes**: only in [`KeyRecord`]'s methods, each checked against the
//!   key-state table ([`KeyOperation`] × [`KeyState`], written out once in the code and checked
//!   against the spec's table cell by cell): imports and deletions through the service,
//!   [`KeyRecord::enable`], [`KeyRecord::disable`], [`KeyRecord::schedule_deletion`],
//!   [`KeyRecord::cancel_deletion`], [`KeyRecord::rotate_key_on_demand`], and expiry, which
//!   every operation applies first ([`KeyRecord::expire_materials`]).
//! - **Using imported material** (the embedder's Encrypt, Sign, …):
//!   [`usable_material`] and [`usable_material_by_id`] check the state at `now` and give a
//!   [`ValidatedMaterial`].
//! - **Errors**: one enum, [`Error`], one variant per AWS exception the import operations
//!   (and the helpers above) raise, with its `__type` code and HTTP status. Exceptions only
//!   other operations raise (aliases, Verify, VerifyMac) are the embedder's to add.
//!
//! # What an embedder stores
//!
//! Per key, the [`KeyRecord`] (metadata, state, materials, commitments, the ledger of used
//! import tokens, and a revision), sealed: `KeyRecord::seal` encrypts it under a
//! [`StorageKey`] (feature `serde`; the sealed form, versioned, is specified in
//! [`storage_format`] and pinned by golden files), `KeyRecord::open_sealed_at` loads it
//! back, checking the invariants, with a typed [`StorageError`]. Per service, the configuration
//! every instance shares and nothing else: the [`SealingKeys`], the [`StorageKeys`] and the
//! [`KeyContext`].
//!
//! For every operation on a key:
//!
//! 1. **Load** the record (with the revision it was stored at).
//! 2. **Operate**: call the operation with the loaded record, `now` and `rng`. Every operation
//!    first applies the expiry that is due at `now`, and reports in [`Applied::changed`]
//!    whether the record changed, *also when it failed*: expiry applied before a failing check
//!    is still a change to keep.
//! 3. **Store** the record when it changed, with compare-and-swap on the revision you loaded.
//!    On a lost race, reload and retry (or answer as AWS would); never write a record you did
//!    not load. [`update`] does steps 1-3 with retries over any [`RecordStore`];
//!    `MemoryStore` (feature `serde`) is the reference store.
//!
//! Never hold a lock or a database transaction across an RSA private operation
//! (ImportKeyMaterial's unwrap) or a key generation (GetParametersForImport on a pool miss): do
//! the cryptography on the loaded record, then commit with compare-and-swap. Keep the revision
//! in a column of its own beside the sealed bytes; revisions fit a signed 64-bit integer.
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
mod keyring;
mod material;
mod names;
pub mod page;
mod pool;
mod record;
mod state;
pub mod storage_format;
mod store;
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
pub use key_id::{AccountId, KeyArn, KeyContext, KeyId, Partition, Region};
pub use material::{
    CheckedMaterial, CommitmentKey, CommitmentKeys, KeyMaterial, KeyMaterialId, MaterialCommitment,
    SymmetricKey, ValidatedMaterial, validate_material,
};
pub use names::{
    AwsName, ExpirationModel, ImportState, ImportType, IncludeKeyMaterial, KeyManager,
    KeyMaterialState, KeySpec, KeyState, KeyUsage, Origin, RotationType, WrappingAlgorithm,
    WrappingKeySpec,
};
pub use pool::{GenerateInline, WrappingKeyPool, WrappingKeySource};
pub use rand_core;
#[cfg(feature = "serde")]
pub use record::sealed_revision;
pub use record::{
    CreateKeyParams, DEFAULT_PENDING_WINDOW_DAYS, ExpiryOutcome, Invariant, KeyDescription,
    KeyMaterialEntry, KeyRecord, MAX_ON_DEMAND_ROTATIONS, MaterialImport, MaterialRecord,
    RotationOutcome, StorageError, StorageKey, StorageKeyId, StorageKeys,
};
pub use state::{DisabledImportPolicy, KeyOperation};
#[cfg(feature = "serde")]
pub use store::MemoryStore;
pub use store::{Applied, RecordStore, UpdateError, update};
pub use token::{
    ImportToken, MAX_CLOCK_SKEW, PARAMETERS_VALIDITY, SealingKey, SealingKeyId, SealingKeys,
    TokenClaims, TokenId, UsedTokens,
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
