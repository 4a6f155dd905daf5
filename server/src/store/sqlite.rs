//! The SQLite backend: one file (created on first start), write-ahead log, every commit
//! synced (`synchronous=FULL`), so an acknowledged change survives a crash of the process or
//! of the machine. A few connections are kept for reuse; SQLite serialises the writers.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::conns::Conns;
use super::{AliasRow, Backend, Inserted, LimitKind, Limits, Row, StoreError};
use crate::prelude::*;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kms_keys (
    account    TEXT    NOT NULL,
    key_id     TEXT    NOT NULL,
    revision   INTEGER NOT NULL,
    next_event INTEGER,
    sealed     BLOB    NOT NULL,
    PRIMARY KEY (account, key_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kms_keys_due ON kms_keys (next_event) WHERE next_event IS NOT NULL;
CREATE TABLE IF NOT EXISTS kms_aliases (
    account    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (account, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kms_aliases_target ON kms_aliases (account, target, name);
CREATE TABLE IF NOT EXISTS kms_accounts (
    account TEXT    PRIMARY KEY,
    keys    INTEGER NOT NULL DEFAULT 0,
    aliases INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kms_tokens (
    account TEXT    NOT NULL,
    digest  BLOB    NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (account, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kms_tokens_expires ON kms_tokens (expires);
CREATE INDEX IF NOT EXISTS kms_tokens_account ON kms_tokens (account, expires);
";

/// Connections open at most (readers run in parallel; SQLite serialises the writers).
const MAX_CONNECTIONS: usize = 8;

pub(crate) struct Sqlite {
    path: std::path::PathBuf,
    conns: Conns<Connection>,
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(StdDuration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

fn rev(r: u64) -> i64 {
    i64::from_ne_bytes(r.to_ne_bytes())
}

fn unrev(r: i64) -> u64 {
    u64::from_ne_bytes(r.to_ne_bytes())
}

impl Sqlite {
    pub(crate) fn open(path: &Path) -> Result<Sqlite, StoreError> {
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Sqlite {
            path: path.to_owned(),
            conns: Conns::new(conn, MAX_CONNECTIONS),
        })
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A connection left inside a transaction by a failure is closed, not reused.
        self.conns
            .with(|| connect(&self.path), |c, ok| ok || c.is_autocommit(), f)
    }
}

fn alias_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AliasRow> {
    Ok(AliasRow {
        name: r.get(0)?,
        target: r.get(1)?,
        created_ms: r.get(2)?,
    })
}

impl Backend for Sqlite {
    fn get(&self, account: &str, id: &str) -> Result<Option<Row>, StoreError> {
        self.with(|c| {
            Ok(c.prepare_cached(
                "SELECT revision, sealed FROM kms_keys WHERE account = ?1 AND key_id = ?2",
            )?
            .query_row(params![account, id], |r| {
                Ok(Row {
                    revision: unrev(r.get(0)?),
                    sealed: r.get(1)?,
                })
            })
            .optional()?)
        })
    }

    fn insert(
        &self,
        account: &str,
        id: &str,
        row: &Row,
        next_event: Option<i64>,
        limits: &Limits,
    ) -> Result<Inserted, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "INSERT OR IGNORE INTO kms_accounts (account) VALUES (?1)",
                params![account],
            )?;
            let counted = tx.execute(
                "UPDATE kms_accounts SET keys = keys + 1 WHERE account = ?1 AND keys < ?2",
                params![account, i64::try_from(limits.keys).unwrap_or(i64::MAX)],
            )?;
            if counted == 0 {
                return Ok(Inserted::Limit(LimitKind::Keys));
            }
            let added = tx.execute(
                "INSERT OR IGNORE INTO kms_keys (account, key_id, revision, next_event, sealed) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![account, id, rev(row.revision), next_event, row.sealed],
            )?;
            if added == 0 {
                return Ok(Inserted::Exists);
            }
            tx.commit()?;
            Ok(Inserted::Done)
        })
    }

    fn update(
        &self,
        account: &str,
        id: &str,
        expected: u64,
        row: &Row,
        next_event: Option<i64>,
    ) -> Result<bool, StoreError> {
        self.with(|c| {
            let n = c
                .prepare_cached(
                    "UPDATE kms_keys SET revision = ?1, next_event = ?2, sealed = ?3 \
                     WHERE account = ?4 AND key_id = ?5 AND revision = ?6",
                )?
                .execute(params![
                    rev(row.revision),
                    next_event,
                    row.sealed,
                    account,
                    id,
                    rev(expected)
                ])?;
            Ok(n == 1)
        })
    }

    fn delete(&self, account: &str, id: &str, expected: u64) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "DELETE FROM kms_keys WHERE account = ?1 AND key_id = ?2 AND revision = ?3",
                params![account, id, rev(expected)],
            )?;
            if n == 0 {
                return Ok(false);
            }
            let aliases = tx.execute(
                "DELETE FROM kms_aliases WHERE account = ?1 AND target = ?2",
                params![account, id],
            )?;
            tx.execute(
                "UPDATE kms_accounts SET keys = keys - 1, aliases = aliases - ?2 \
                 WHERE account = ?1",
                params![account, aliases as i64],
            )?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn due_all(
        &self,
        prefix: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT account, key_id FROM kms_keys WHERE next_event IS NOT NULL \
                 AND next_event <= ?1 AND substr(account, 1, length(?2)) = ?2 \
                 ORDER BY next_event LIMIT ?3",
            )?;
            let ids = stmt
                .query_map(params![now, prefix, limit as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<(String, String)>, _>>()?;
            Ok(ids)
        })
    }

    fn list_keys(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT key_id FROM kms_keys WHERE account = ?1 AND key_id >= ?2 \
                 ORDER BY key_id LIMIT ?3",
            )?;
            let ids = stmt
                .query_map(params![account, from.unwrap_or(""), limit as i64], |r| {
                    r.get(0)
                })?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(ids)
        })
    }

    fn get_alias(&self, account: &str, name: &str) -> Result<Option<AliasRow>, StoreError> {
        self.with(|c| {
            Ok(c.prepare_cached(
                "SELECT name, target, created_ms FROM kms_aliases \
                 WHERE account = ?1 AND name = ?2",
            )?
            .query_row(params![account, name], alias_row)
            .optional()?)
        })
    }

    fn insert_alias(
        &self,
        account: &str,
        alias: &AliasRow,
        limits: &Limits,
    ) -> Result<Inserted, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let target: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM kms_keys WHERE account = ?1 AND key_id = ?2",
                    params![account, alias.target],
                    |r| r.get(0),
                )
                .optional()?;
            if target.is_none() {
                return Ok(Inserted::NoTarget);
            }
            let exists: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM kms_aliases WHERE account = ?1 AND name = ?2",
                    params![account, alias.name],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Ok(Inserted::Exists);
            }
            let of_key: i64 = tx.query_row(
                "SELECT count(*) FROM kms_aliases WHERE account = ?1 AND target = ?2",
                params![account, alias.target],
                |r| r.get(0),
            )?;
            if of_key as u64 >= limits.aliases_per_key {
                return Ok(Inserted::Limit(LimitKind::AliasesPerKey));
            }
            tx.execute(
                "INSERT OR IGNORE INTO kms_accounts (account) VALUES (?1)",
                params![account],
            )?;
            let counted = tx.execute(
                "UPDATE kms_accounts SET aliases = aliases + 1 WHERE account = ?1 AND aliases < ?2",
                params![account, i64::try_from(limits.aliases).unwrap_or(i64::MAX)],
            )?;
            if counted == 0 {
                return Ok(Inserted::Limit(LimitKind::Aliases));
            }
            tx.execute(
                "INSERT INTO kms_aliases (account, name, target, created_ms) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![account, alias.name, alias.target, alias.created_ms],
            )?;
            tx.commit()?;
            Ok(Inserted::Done)
        })
    }

    fn delete_alias(&self, account: &str, name: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "DELETE FROM kms_aliases WHERE account = ?1 AND name = ?2",
                params![account, name],
            )?;
            if n == 1 {
                tx.execute(
                    "UPDATE kms_accounts SET aliases = aliases - 1 WHERE account = ?1",
                    params![account],
                )?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn list_aliases(
        &self,
        account: &str,
        target: Option<&str>,
        from: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AliasRow>, StoreError> {
        self.with(|c| {
            let from = from.unwrap_or("");
            let rows = match target {
                None => c
                    .prepare_cached(
                        "SELECT name, target, created_ms FROM kms_aliases \
                         WHERE account = ?1 AND name >= ?2 ORDER BY name LIMIT ?3",
                    )?
                    .query_map(params![account, from, limit as i64], alias_row)?
                    .collect::<Result<Vec<_>, _>>()?,
                Some(target) => c
                    .prepare_cached(
                        "SELECT name, target, created_ms FROM kms_aliases \
                         WHERE account = ?1 AND target = ?2 AND name >= ?3 \
                         ORDER BY name LIMIT ?4",
                    )?
                    .query_map(params![account, target, from, limit as i64], alias_row)?
                    .collect::<Result<Vec<_>, _>>()?,
            };
            Ok(rows)
        })
    }

    fn add_token(
        &self,
        account: &str,
        digest: &[u8; 32],
        expires: i64,
        now: i64,
        limits: &Limits,
    ) -> Result<Inserted, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let outstanding: i64 = tx.query_row(
                "SELECT count(*) FROM kms_tokens WHERE account = ?1 AND expires > ?2",
                params![account, now],
                |r| r.get(0),
            )?;
            if outstanding as u64 >= limits.tokens {
                return Ok(Inserted::Limit(LimitKind::Tokens));
            }
            tx.execute(
                "INSERT OR REPLACE INTO kms_tokens (account, digest, expires) VALUES (?1, ?2, ?3)",
                params![account, &digest[..], expires],
            )?;
            tx.commit()?;
            Ok(Inserted::Done)
        })
    }

    fn remove_token(&self, account: &str, digest: &[u8; 32]) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM kms_tokens WHERE account = ?1 AND digest = ?2")?
                .execute(params![account, &digest[..]])?;
            Ok(())
        })
    }

    fn purge_tokens(&self, now: i64) -> Result<(), StoreError> {
        self.with(|c| {
            c.prepare_cached("DELETE FROM kms_tokens WHERE expires <= ?1")?
                .execute(params![now])?;
            Ok(())
        })
    }
}
