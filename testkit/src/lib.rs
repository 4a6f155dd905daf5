//! Test support shared by the kms-import workspace: the fuzz harness behind the cargo-fuzz
//! targets (and their corpus replay under `cargo test`), deterministic RNGs, and fresh key
//! material of every importable key spec.
//!
//! Not published and not for production: every function here may panic on a broken fixture.
#![forbid(unsafe_code)]

pub mod fuzz;
pub mod material;

pub use fuzz::rng;
