//! The key store: a [`Backend`] keeps sealed key records and aliases, with compare-and-swap on
//! the record revision; [`Store`] seals and opens records on their way in and out.
//!
//! Three backends: in memory (tests and the default without `--store`), SQLite (one file, the
//! embedded default) and PostgreSQL (many instances on one database). Every method is a short
//! blocking call made from a blocking worker thread, never from the async runtime, and none
//! holds a lock or a transaction once it returns: cryptography happens between a load and a
//! compare-and-swap, never inside either.

pub(crate) mod codec;
mod conns;
mod memory;
mod postgres;
mod sqlite;

use crate::prelude::*;
use kms_import::StorageKeys;

/// One KMS key: its record, and for AWS_KMS keys the material this server generated.
pub(crate) struct Key {
    pub(crate) record: KeyRecord,
    pub(crate) generated: Option<Generated>,
}

impl Key {
    /// What compare-and-swap compares: the record's revision, plus, for a key of origin
    /// AWS_KMS, the number of rotations of its generated material (which the record does not
    /// see). Every change moves it.
    pub(crate) fn revision(&self) -> u64 {
        let rotations = self.generated.as_ref().map_or(0, Generated::rotations);
        self.record.revision().wrapping_add(rotations as u64)
    }
}

/// A stored key as the backend sees it: the revision compare-and-swap works on, and the sealed
/// bytes.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) revision: u64,
    pub(crate) sealed: Vec<u8>,
}

/// A stored alias.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AliasRow {
    pub(crate) name: String,
    pub(crate) target: String,
    /// Creation time, milliseconds since the Unix epoch.
    pub(crate) created_ms: i64,
}

/// What an insertion did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    Done,
    /// A row with that name exists already.
    Exists,
    /// A per-account (or per-key) limit would be exceeded; nothing was written.
    Limit(LimitKind),
    /// The alias's target key does not exist (any more).
    NoTarget,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LimitKind {
    Keys,
    Aliases,
    AliasesPerKey,
    Tokens,
}

/// Resource limits per account; AWS's quotas where it has one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) keys: u64,
    pub(crate) aliases: u64,
    pub(crate) aliases_per_key: u64,
    pub(crate) tokens: u64,
}

/// A failure of the database itself (connection, I/O, constraint the code did not expect).
/// Its text is for the operator's log; clients see KMSInternalException.
#[derive(Debug)]
pub(crate) struct StoreError(pub(crate) String);

impl<E: std::fmt::Display> From<E> for StoreError {
    fn from(e: E) -> StoreError {
        StoreError(e.to_string())
    }
}

/// Where keys and aliases live. `account` scopes every row: it is the partition of one account
/// and Region, `ACCOUNT/REGION` (see [`partition`]), and the limits count per partition.
/// Revisions are compared as the record's `u64`, stored as the same 64 bits in a signed column.
pub(crate) trait Backend: Send + Sync {
    /// The key's row, if it exists.
    fn get(&self, account: &str, id: &str) -> Result<Option<Row>, StoreError>;
    /// Adds a new key unless the account already has `limits.keys` keys.
    fn insert(
        &self,
        account: &str,
        id: &str,
        row: &Row,
        next_event: Option<i64>,
        limits: &Limits,
    ) -> Result<Inserted, StoreError>;
    /// Replaces the key's row if its revision is still `expected`; false when it is not (or the
    /// key is gone): the caller lost the race and reloads.
    fn update(
        &self,
        account: &str,
        id: &str,
        expected: u64,
        row: &Row,
        next_event: Option<i64>,
    ) -> Result<bool, StoreError>;
    /// Deletes the key and its aliases if its revision is still `expected`.
    fn delete(&self, account: &str, id: &str, expected: u64) -> Result<bool, StoreError>;
    /// Keys whose next timed event (material expiry, deletion date) is at or before `now`
    /// (seconds since the epoch), in every partition whose name starts with `prefix` (every
    /// Region of one account: `ACCOUNT/`), at most `limit` of them, as (partition, key id).
    fn due_all(
        &self,
        prefix: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StoreError>;
    /// Key ids in order, from `from` (inclusive), at most `limit`.
    fn list_keys(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError>;
    fn get_alias(&self, account: &str, name: &str) -> Result<Option<AliasRow>, StoreError>;
    /// Adds an alias to an existing key, within the limits.
    fn insert_alias(
        &self,
        account: &str,
        alias: &AliasRow,
        limits: &Limits,
    ) -> Result<Inserted, StoreError>;
    fn delete_alias(&self, account: &str, name: &str) -> Result<bool, StoreError>;
    /// Aliases in name order (those of `target` only, if given), from `from` (inclusive).
    fn list_aliases(
        &self,
        account: &str,
        target: Option<&str>,
        from: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AliasRow>, StoreError>;
    /// Records an outstanding import token (by digest) until `expires`, unless the account
    /// already has `limits.tokens` outstanding at `now`.
    fn add_token(
        &self,
        account: &str,
        digest: &[u8; 32],
        expires: i64,
        now: i64,
        limits: &Limits,
    ) -> Result<Inserted, StoreError>;
    /// Forgets an outstanding token (it was used).
    fn remove_token(&self, account: &str, digest: &[u8; 32]) -> Result<(), StoreError>;
    /// Forgets tokens that expired before `now`.
    fn purge_tokens(&self, now: i64) -> Result<(), StoreError>;
}

/// Where a server keeps its state, from `--store`. `Debug` leaves out the PostgreSQL URL,
/// which may carry a password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// In memory, gone with the process.
    Memory,
    /// One SQLite file, created on first start.
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL database (`postgres://` or `postgresql://` URL).
    Postgres(String),
}

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreSpec::Memory => f.write_str("Memory"),
            StoreSpec::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            StoreSpec::Postgres(_) => f.write_str("Postgres(<url>)"),
        }
    }
}

impl StoreSpec {
    /// Whether state outlives the process (a secrets file is then required).
    pub fn is_durable(&self) -> bool {
        !matches!(self, StoreSpec::Memory)
    }
}

impl FromStr for StoreSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<StoreSpec, String> {
        if s == "memory" {
            Ok(StoreSpec::Memory)
        } else if let Some(path) = s.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err("sqlite: needs a file path, as in sqlite:kms.db".to_owned());
            }
            Ok(StoreSpec::Sqlite(path.into()))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(StoreSpec::Postgres(s.to_owned()))
        } else {
            Err("expected memory, sqlite:PATH or postgres://...".to_owned())
        }
    }
}

/// Opens (and on first use creates) the backend. Blocking: call from a blocking thread.
pub(crate) fn open_backend(spec: &StoreSpec) -> Result<Arc<dyn Backend>, String> {
    Ok(match spec {
        StoreSpec::Memory => Arc::new(memory::Memory::default()),
        StoreSpec::Sqlite(path) => Arc::new(
            sqlite::Sqlite::open(path)
                .map_err(|e| format!("cannot open the SQLite store {}: {}", path.display(), e.0))?,
        ),
        StoreSpec::Postgres(url) => Arc::new(
            postgres::Postgres::open(url)
                .map_err(|e| format!("cannot open the PostgreSQL store: {}", e.0))?,
        ),
    })
}

/// Logs a database failure for the operator and answers the client KMSInternalException.
pub(crate) fn store_failure(e: StoreError) -> KmsError {
    tracing::error!(error = %e.0, "store: database error");
    KmsError::Internal
}

/// The next time the sweep must look at this record: the earliest expiry of material it holds,
/// or its deletion date; whole seconds, rounded up.
pub(crate) fn next_event(record: &KeyRecord) -> Option<i64> {
    let ceil = |t: OffsetDateTime| t.unix_timestamp() + i64::from(t.nanosecond() > 0);
    record
        .materials()
        .iter()
        .filter(|m| m.material().is_some())
        .filter_map(|m| m.expiration().and_then(|e| e.valid_to()))
        .chain(record.deletion_date())
        .map(ceil)
        .min()
}

/// The store partition of an account's keys, aliases and tokens in one Region:
/// `ACCOUNT/REGION`. Every Region has its own, the default one included.
pub(crate) fn partition(ctx: &KeyContext) -> String {
    format!("{}/{}", ctx.account(), ctx.region())
}

/// What [`Backend::due_all`] takes to find every Region of `account`.
pub(crate) fn account_prefix(account: &str) -> String {
    format!("{account}/")
}

/// The sealed-record store of one account in one Region.
pub(crate) struct Store {
    backend: Arc<dyn Backend>,
    storage: StorageKeys,
    /// The account and Region whose records this store opens.
    ctx: KeyContext,
    /// The backend partition, [`partition`] of `ctx`.
    partition: String,
    pub(crate) limits: Limits,
}

impl Store {
    pub(crate) fn new(
        backend: Arc<dyn Backend>,
        storage: StorageKeys,
        ctx: &KeyContext,
        limits: Limits,
    ) -> Store {
        Store {
            backend,
            storage,
            partition: partition(ctx),
            ctx: ctx.clone(),
            limits,
        }
    }

    pub(crate) fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The backend partition this store reads and writes (its account and Region).
    pub(crate) fn account(&self) -> &str {
        &self.partition
    }

    /// The key and the revision it was stored under, or None when there is no such key.
    pub(crate) fn load(&self, id: &KeyId) -> Result<Option<(Key, u64)>, KmsError> {
        let Some(row) = self
            .backend
            .get(&self.partition, &id.to_string())
            .map_err(store_failure)?
        else {
            return Ok(None);
        };
        let key = codec::open_key(&self.storage, &self.ctx, id, row.revision, &row.sealed)
            .inspect_err(
                |_| tracing::error!(key_id = %id, "store: the stored record does not open"),
            )?;
        Ok(Some((key, row.revision)))
    }

    fn row(&self, key: &Key, rng: &mut dyn CryptoRng) -> Result<Row, KmsError> {
        Ok(Row {
            revision: key.revision(),
            sealed: codec::seal_key(&self.storage, self.ctx.account().as_str(), key, rng)?,
        })
    }

    /// Stores a new key (LimitExceededException past the account's key limit).
    pub(crate) fn create(&self, key: &Key, rng: &mut dyn CryptoRng) -> Result<(), KmsError> {
        let row = self.row(key, rng)?;
        let id = key.record.key_id().to_string();
        match self
            .backend
            .insert(
                &self.partition,
                &id,
                &row,
                next_event(&key.record),
                &self.limits,
            )
            .map_err(store_failure)?
        {
            Inserted::Done => Ok(()),
            Inserted::Limit(kind) => Err(self.limit_error(kind)),
            // A random 122-bit key id collided: never in practice; refuse rather than overwrite.
            Inserted::Exists | Inserted::NoTarget => Err(KmsError::Internal),
        }
    }

    /// Compare-and-swap: writes `key` if the stored revision is still `expected`.
    pub(crate) fn swap(
        &self,
        expected: u64,
        key: &Key,
        rng: &mut dyn CryptoRng,
    ) -> Result<bool, KmsError> {
        let row = self.row(key, rng)?;
        self.backend
            .update(
                &self.partition,
                &key.record.key_id().to_string(),
                expected,
                &row,
                next_event(&key.record),
            )
            .map_err(store_failure)
    }

    /// Deletes the key (and its aliases) if the stored revision is still `expected`.
    pub(crate) fn remove(&self, id: &KeyId, expected: u64) -> Result<bool, KmsError> {
        self.backend
            .delete(&self.partition, &id.to_string(), expected)
            .map_err(store_failure)
    }

    pub(crate) fn limit_error(&self, kind: LimitKind) -> KmsError {
        KmsError::LimitExceeded(match kind {
            LimitKind::Keys => format!(
                "The request would exceed the limit of {} KMS keys in this account and Region.",
                self.limits.keys
            ),
            LimitKind::Aliases => format!(
                "The request would exceed the limit of {} aliases in this account and Region.",
                self.limits.aliases
            ),
            LimitKind::AliasesPerKey => format!(
                "The request would exceed the limit of {} aliases for this KMS key.",
                self.limits.aliases_per_key
            ),
            LimitKind::Tokens => format!(
                "The request would exceed the limit of {} outstanding import tokens in this \
                 account and Region.",
                self.limits.tokens
            ),
        })
    }
}

#[cfg(test)]
mod tests;
