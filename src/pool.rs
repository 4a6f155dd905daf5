//! A pool of pre-generated wrapping key pairs, so that GetParametersForImport does not wait on
//! RSA key generation (about a second for RSA_4096, with a long tail).
//!
//! The pool is a plain value: the crate never spawns threads. An embedder keeps it behind its
//! own lock and refills it from its own background worker, generating outside the lock:
//!
//! ```no_run
//! # use std::sync::Mutex;
//! # use kms_import::{WrappingKeyPool, WrappingPrivateKey};
//! # fn worker(pool: &Mutex<WrappingKeyPool>, rng: &mut dyn rand_core::CryptoRng) -> kms_import::Result<()> {
//! loop {
//!     let Some(spec) = pool.lock().map_err(|_| kms_import::Error::Internal)?.next_to_refill() else {
//!         break; // full: sleep and look again later
//!     };
//!     let key = WrappingPrivateKey::generate(spec, rng)?; // slow, outside the lock
//!     pool.lock().map_err(|_| kms_import::Error::Internal)?.insert(key);
//! }
//! # Ok(()) }
//! ```
//!
//! Each key pair leaves the pool through [`WrappingKeyPool::take`] and is used for exactly one
//! import token. When the pool holds no key of the requested spec, GetParametersForImport
//! generates one inline.
//!
//! Generated keys arrive warmed up ([`WrappingPrivateKey::warm_up`]): a backend that builds
//! per-key state lazily (AWS-LC) has done so, and the first unwrap with the key costs no more
//! than any other. A key loaded from storage instead of generated should be warmed up the same
//! way, outside the lock, before [`WrappingKeyPool::insert`].

use std::collections::VecDeque;
use std::fmt;

use rand_core::CryptoRng;

use crate::error::Error;
use crate::names::WrappingKeySpec;
use crate::wrap::{WrappingPrivateKey, WrappingProvider};

/// Where GetParametersForImport gets the wrapping key pair of one import token.
///
/// [`WrappingKeyPool`] is one: it hands out a ready key of the spec, or generates one inline.
/// [`GenerateInline`] always generates; `Option<WrappingPrivateKey>` hands out the one key it
/// holds when it suits. A service whose pool sits behind a lock implements this on its own
/// handle: take a ready key under the lock, and on a miss generate *outside* it.
pub trait WrappingKeySource {
    /// A key pair of `spec` on `provider`, never handed out before. Key generation draws from
    /// `rng`.
    fn wrapping_key(
        &mut self,
        provider: &'static dyn WrappingProvider,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error>;
}

/// A [`WrappingKeySource`] that generates every key pair when asked (about a second for
/// RSA_4096): for tools and tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct GenerateInline;

impl WrappingKeySource for GenerateInline {
    fn wrapping_key(
        &mut self,
        provider: &'static dyn WrappingProvider,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error> {
        WrappingPrivateKey::generate_with(provider, spec, rng)
    }
}

/// One key pair, taken (leaving `None`) when its spec and provider are the ones asked for;
/// otherwise, or once taken, a key pair is generated inline.
impl WrappingKeySource for Option<WrappingPrivateKey> {
    fn wrapping_key(
        &mut self,
        provider: &'static dyn WrappingProvider,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error> {
        match self.take() {
            Some(key) if key.spec() == spec && key.provider().name() == provider.name() => Ok(key),
            other => {
                *self = other;
                WrappingPrivateKey::generate_with(provider, spec, rng)
            }
        }
    }
}

impl WrappingKeySource for WrappingKeyPool {
    fn wrapping_key(
        &mut self,
        provider: &'static dyn WrappingProvider,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error> {
        self.take_or_generate(provider, spec, rng)
    }
}

/// Pre-generated wrapping key pairs per RSA wrapping key spec, each with a target size.
pub struct WrappingKeyPool {
    slots: [Slot; 3],
}

struct Slot {
    target: usize,
    keys: VecDeque<WrappingPrivateKey>,
}

fn index(spec: WrappingKeySpec) -> Option<usize> {
    match spec {
        WrappingKeySpec::Rsa2048 => Some(0),
        WrappingKeySpec::Rsa3072 => Some(1),
        WrappingKeySpec::Rsa4096 => Some(2),
        _ => None,
    }
}

/// Refill order when several specs are below target: the slowest to generate first.
const REFILL_ORDER: [WrappingKeySpec; 3] = [
    WrappingKeySpec::Rsa4096,
    WrappingKeySpec::Rsa3072,
    WrappingKeySpec::Rsa2048,
];

impl WrappingKeyPool {
    /// An empty pool with a target of zero for every spec: every request generates inline.
    pub fn new() -> WrappingKeyPool {
        WrappingKeyPool::with_targets(0, 0, 0)
    }

    /// An empty pool that [`next_to_refill`](Self::next_to_refill) fills up to the given number
    /// of RSA_2048, RSA_3072 and RSA_4096 key pairs.
    pub fn with_targets(rsa_2048: usize, rsa_3072: usize, rsa_4096: usize) -> WrappingKeyPool {
        let slot = |target| Slot {
            target,
            keys: VecDeque::with_capacity(target),
        };
        WrappingKeyPool {
            slots: [slot(rsa_2048), slot(rsa_3072), slot(rsa_4096)],
        }
    }

    /// Changes the target for one spec (SM2 is ignored: it has no slot).
    pub fn set_target(&mut self, spec: WrappingKeySpec, target: usize) {
        if let Some(slot) = index(spec).and_then(|i| self.slots.get_mut(i)) {
            slot.target = target;
        }
    }

    /// The target for `spec` (0 for SM2).
    pub fn target(&self, spec: WrappingKeySpec) -> usize {
        index(spec)
            .and_then(|i| self.slots.get(i))
            .map_or(0, |s| s.target)
    }

    /// How many key pairs of `spec` are ready.
    pub fn len(&self, spec: WrappingKeySpec) -> usize {
        index(spec)
            .and_then(|i| self.slots.get(i))
            .map_or(0, |s| s.keys.len())
    }

    /// Whether no key pair of any spec is ready.
    pub fn is_empty(&self) -> bool {
        self.slots.iter().all(|s| s.keys.is_empty())
    }

    /// Removes and returns a ready key pair of `spec`, oldest first.
    pub fn take(&mut self, spec: WrappingKeySpec) -> Option<WrappingPrivateKey> {
        index(spec)
            .and_then(|i| self.slots.get_mut(i))
            .and_then(|s| s.keys.pop_front())
    }

    /// The spec the worker should generate next, or `None` when every spec is at its target.
    /// RSA_4096 comes first, as it is the slowest to generate inline.
    pub fn next_to_refill(&self) -> Option<WrappingKeySpec> {
        REFILL_ORDER
            .into_iter()
            .find(|&spec| self.len(spec) < self.target(spec))
    }

    /// Adds a generated key pair to the slot of its spec. A key beyond the target is kept
    /// all the same (it will serve the next request); a key of a spec without a slot is
    /// dropped.
    pub fn insert(&mut self, key: WrappingPrivateKey) {
        if let Some(slot) = index(key.spec()).and_then(|i| self.slots.get_mut(i)) {
            slot.keys.push_back(key);
        }
    }

    /// Generates one key pair for [`next_to_refill`](Self::next_to_refill) with `provider` and
    /// adds it; returns the spec filled, or `None` when the pool is full. For single-threaded
    /// embedders and tests; a service generates outside its lock instead (see the module docs).
    pub fn refill_one(
        &mut self,
        provider: &'static dyn WrappingProvider,
        rng: &mut dyn CryptoRng,
    ) -> Result<Option<WrappingKeySpec>, Error> {
        let Some(spec) = self.next_to_refill() else {
            return Ok(None);
        };
        self.insert(WrappingPrivateKey::generate_with(provider, spec, rng)?);
        Ok(Some(spec))
    }

    /// Takes a ready key pair of `spec`, or generates one inline with `provider`.
    pub fn take_or_generate(
        &mut self,
        provider: &'static dyn WrappingProvider,
        spec: WrappingKeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<WrappingPrivateKey, Error> {
        match self.take(spec) {
            Some(key) if key.provider().name() == provider.name() => Ok(key),
            _ => WrappingPrivateKey::generate_with(provider, spec, rng),
        }
    }
}

impl Default for WrappingKeyPool {
    fn default() -> WrappingKeyPool {
        WrappingKeyPool::new()
    }
}

impl fmt::Debug for WrappingKeyPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("WrappingKeyPool");
        for spec in WrappingKeySpec::RSA {
            d.field(
                spec.as_str(),
                &format_args!("{}/{}", self.len(spec), self.target(spec)),
            );
        }
        d.finish()
    }
}
