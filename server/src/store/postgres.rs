//! The PostgreSQL backend, for many instances on one database. Compare-and-swap is a single
//! `UPDATE ... WHERE revision = $expected`; the per-account counters live in one row per
//! account, locked only for the few statements of a creation or deletion. The schema is
//! created on first start under an advisory lock, so instances may start together.

use std::collections::HashMap;

use postgres::{Client, NoTls, Statement, Transaction};

use super::conns::Conns;
use super::{AliasRow, Backend, Inserted, LimitKind, Limits, Row, StoreError};

// Names compare as bytes (COLLATE "C"), the order the memory and SQLite backends list in.
const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS kms_keys (
    account    TEXT   NOT NULL,
    key_id     TEXT   COLLATE "C" NOT NULL,
    revision   BIGINT NOT NULL,
    next_event BIGINT,
    sealed     BYTEA  NOT NULL,
    PRIMARY KEY (account, key_id)
);
CREATE INDEX IF NOT EXISTS kms_keys_due ON kms_keys (next_event) WHERE next_event IS NOT NULL;
CREATE TABLE IF NOT EXISTS kms_aliases (
    account    TEXT   NOT NULL,
    name       TEXT   COLLATE "C" NOT NULL,
    target     TEXT   COLLATE "C" NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE INDEX IF NOT EXISTS kms_aliases_target ON kms_aliases (account, target, name);
CREATE TABLE IF NOT EXISTS kms_accounts (
    account TEXT   PRIMARY KEY,
    keys    BIGINT NOT NULL DEFAULT 0,
    aliases BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS kms_tokens (
    account TEXT   NOT NULL,
    digest  BYTEA  NOT NULL,
    expires BIGINT NOT NULL,
    PRIMARY KEY (account, digest)
);
CREATE INDEX IF NOT EXISTS kms_tokens_expires ON kms_tokens (expires);
CREATE INDEX IF NOT EXISTS kms_tokens_account ON kms_tokens (account, expires);
"#;

/// An arbitrary constant naming the advisory lock schema creation takes.
const SCHEMA_LOCK: i64 = 0x6b6d_735f_696d_7001;

/// Connections one instance opens at most (PostgreSQL's default limit is 100 for all).
const MAX_CONNECTIONS: usize = 16;

pub(crate) struct Postgres {
    url: String,
    conns: Conns<Conn>,
}

impl Drop for Postgres {
    /// `postgres::Client` closes its connection with a blocking call into a runtime of its
    /// own, which panics on a thread that drives tokio tasks; the last reference to the store
    /// can go with such a task when the server shuts down. The connections are closed on a
    /// thread of their own instead (and leaked, the process being about to end, if no thread
    /// can be started).
    fn drop(&mut self) {
        let idle = std::mem::ManuallyDrop::new(self.conns.take_idle());
        if idle.is_empty() {
            return;
        }
        let closing = std::thread::Builder::new()
            .name("postgres-close".to_owned())
            .spawn(move || drop(std::mem::ManuallyDrop::into_inner(idle)));
        if let Ok(closing) = closing {
            let _ = closing.join();
        }
    }
}

/// A connection and the statements it has prepared (each statement is parsed once per
/// connection, then only bound and executed).
pub(crate) struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Conn {
    fn connect(url: &str) -> Result<Conn, StoreError> {
        Ok(Conn {
            client: Client::connect(url, NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn st(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.client.prepare(sql)?;
        self.statements.insert(sql, st.clone());
        Ok(st)
    }
}

fn rev(r: u64) -> i64 {
    i64::from_ne_bytes(r.to_ne_bytes())
}

fn unrev(r: i64) -> u64 {
    u64::from_ne_bytes(r.to_ne_bytes())
}

fn limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn alias_row(r: &postgres::Row) -> Result<AliasRow, StoreError> {
    Ok(AliasRow {
        name: r.try_get(0)?,
        target: r.try_get(1)?,
        created_ms: r.try_get(2)?,
    })
}

const ENSURE_ACCOUNT: &str =
    "INSERT INTO kms_accounts (account) VALUES ($1) ON CONFLICT DO NOTHING";
const LOCK_ACCOUNT: &str = "SELECT 1 FROM kms_accounts WHERE account = $1 FOR UPDATE";

/// Creates the account's counter row if needed and locks it until the transaction ends.
fn lock_account(
    tx: &mut Transaction<'_>,
    st: &(Statement, Statement),
    account: &str,
) -> Result<(), StoreError> {
    tx.execute(&st.0, &[&account])?;
    tx.execute(&st.1, &[&account])?;
    Ok(())
}

impl Conn {
    fn account_statements(&mut self) -> Result<(Statement, Statement), StoreError> {
        Ok((self.st(ENSURE_ACCOUNT)?, self.st(LOCK_ACCOUNT)?))
    }
}

impl Postgres {
    pub(crate) fn open(url: &str) -> Result<Postgres, StoreError> {
        let mut conn = Conn::connect(url)?;
        let mut tx = conn.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])?;
        tx.batch_execute(SCHEMA)?;
        tx.commit()?;
        Ok(Postgres {
            url: url.to_owned(),
            conns: Conns::new(conn, MAX_CONNECTIONS),
        })
    }

    fn with<T>(&self, f: impl FnOnce(&mut Conn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.conns
            .with(|| Conn::connect(&self.url), |c, _| !c.client.is_closed(), f)
    }
}

impl Backend for Postgres {
    fn get(&self, account: &str, id: &str) -> Result<Option<Row>, StoreError> {
        self.with(|c| {
            let st =
                c.st("SELECT revision, sealed FROM kms_keys WHERE account = $1 AND key_id = $2")?;
            Ok(match c.client.query_opt(&st, &[&account, &id])? {
                Some(r) => Some(Row {
                    revision: unrev(r.try_get(0)?),
                    sealed: r.try_get(1)?,
                }),
                None => None,
            })
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
            let acc = c.account_statements()?;
            let count =
                c.st("UPDATE kms_accounts SET keys = keys + 1 WHERE account = $1 AND keys < $2")?;
            let add = c.st(
                "INSERT INTO kms_keys (account, key_id, revision, next_event, sealed) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )?;
            let mut tx = c.client.transaction()?;
            lock_account(&mut tx, &acc, account)?;
            if tx.execute(&count, &[&account, &limit(limits.keys)])? == 0 {
                return Ok(Inserted::Limit(LimitKind::Keys));
            }
            let added = tx.execute(
                &add,
                &[&account, &id, &rev(row.revision), &next_event, &row.sealed],
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
            let st = c.st(
                "UPDATE kms_keys SET revision = $1, next_event = $2, sealed = $3 \
                 WHERE account = $4 AND key_id = $5 AND revision = $6",
            )?;
            let n = c.client.execute(
                &st,
                &[
                    &rev(row.revision),
                    &next_event,
                    &row.sealed,
                    &account,
                    &id,
                    &rev(expected),
                ],
            )?;
            Ok(n == 1)
        })
    }

    fn delete(&self, account: &str, id: &str, expected: u64) -> Result<bool, StoreError> {
        self.with(|c| {
            let del_key =
                c.st("DELETE FROM kms_keys WHERE account = $1 AND key_id = $2 AND revision = $3")?;
            let del_aliases = c.st("DELETE FROM kms_aliases WHERE account = $1 AND target = $2")?;
            let count = c.st(
                "UPDATE kms_accounts SET keys = keys - 1, aliases = aliases - $2 \
                 WHERE account = $1",
            )?;
            let mut tx = c.client.transaction()?;
            if tx.execute(&del_key, &[&account, &id, &rev(expected)])? == 0 {
                return Ok(false);
            }
            let aliases = tx.execute(&del_aliases, &[&account, &id])?;
            tx.execute(&count, &[&account, &limit(aliases)])?;
            tx.commit()?;
            Ok(true)
        })
    }

    fn due_all(
        &self,
        prefix: &str,
        now: i64,
        max: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.with(|c| {
            // substr, not LIKE (no wildcards to escape) nor a range (collations differ).
            let st = c.st(
                "SELECT account, key_id FROM kms_keys WHERE next_event IS NOT NULL \
                 AND next_event <= $1 AND substr(account, 1, length($2::text)) = $2::text \
                 ORDER BY next_event LIMIT $3",
            )?;
            c.client
                .query(&st, &[&now, &prefix, &limit(max as u64)])?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })
    }

    fn list_keys(
        &self,
        account: &str,
        from: Option<&str>,
        max: usize,
    ) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let st = c.st(
                "SELECT key_id FROM kms_keys WHERE account = $1 AND key_id >= $2 \
                 ORDER BY key_id LIMIT $3",
            )?;
            c.client
                .query(&st, &[&account, &from.unwrap_or(""), &limit(max as u64)])?
                .iter()
                .map(|r| r.try_get(0).map_err(StoreError::from))
                .collect()
        })
    }

    fn get_alias(&self, account: &str, name: &str) -> Result<Option<AliasRow>, StoreError> {
        self.with(|c| {
            let st = c.st("SELECT name, target, created_ms FROM kms_aliases \
                 WHERE account = $1 AND name = $2")?;
            c.client
                .query_opt(&st, &[&account, &name])?
                .as_ref()
                .map(alias_row)
                .transpose()
        })
    }

    fn insert_alias(
        &self,
        account: &str,
        alias: &AliasRow,
        limits: &Limits,
    ) -> Result<Inserted, StoreError> {
        self.with(|c| {
            // Locks the target against a concurrent deletion and serialises its aliases.
            let target =
                c.st("SELECT 1 FROM kms_keys WHERE account = $1 AND key_id = $2 FOR UPDATE")?;
            let add = c.st(
                "INSERT INTO kms_aliases (account, name, target, created_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )?;
            let of_key =
                c.st("SELECT count(*) FROM kms_aliases WHERE account = $1 AND target = $2")?;
            let acc = c.account_statements()?;
            let count = c.st(
                "UPDATE kms_accounts SET aliases = aliases + 1 WHERE account = $1 AND aliases < $2",
            )?;
            let mut tx = c.client.transaction()?;
            if tx.query_opt(&target, &[&account, &alias.target])?.is_none() {
                return Ok(Inserted::NoTarget);
            }
            let added = tx.execute(
                &add,
                &[&account, &alias.name, &alias.target, &alias.created_ms],
            )?;
            if added == 0 {
                return Ok(Inserted::Exists);
            }
            let n: i64 = tx
                .query_one(&of_key, &[&account, &alias.target])?
                .try_get(0)?;
            if n as u64 > limits.aliases_per_key {
                return Ok(Inserted::Limit(LimitKind::AliasesPerKey));
            }
            lock_account(&mut tx, &acc, account)?;
            if tx.execute(&count, &[&account, &limit(limits.aliases)])? == 0 {
                return Ok(Inserted::Limit(LimitKind::Aliases));
            }
            tx.commit()?;
            Ok(Inserted::Done)
        })
    }

    fn delete_alias(&self, account: &str, name: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let del = c.st("DELETE FROM kms_aliases WHERE account = $1 AND name = $2")?;
            let count = c.st("UPDATE kms_accounts SET aliases = aliases - 1 WHERE account = $1")?;
            let mut tx = c.client.transaction()?;
            let n = tx.execute(&del, &[&account, &name])?;
            if n == 1 {
                tx.execute(&count, &[&account])?;
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
        max: usize,
    ) -> Result<Vec<AliasRow>, StoreError> {
        self.with(|c| {
            let from = from.unwrap_or("");
            let rows = match target {
                None => {
                    let st = c.st("SELECT name, target, created_ms FROM kms_aliases \
                         WHERE account = $1 AND name >= $2 ORDER BY name LIMIT $3")?;
                    c.client
                        .query(&st, &[&account, &from, &limit(max as u64)])?
                }
                Some(target) => {
                    let st = c.st("SELECT name, target, created_ms FROM kms_aliases \
                         WHERE account = $1 AND target = $2 AND name >= $3 \
                         ORDER BY name LIMIT $4")?;
                    c.client
                        .query(&st, &[&account, &target, &from, &limit(max as u64)])?
                }
            };
            rows.iter().map(alias_row).collect()
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
            let acc = c.account_statements()?;
            let outstanding =
                c.st("SELECT count(*) FROM kms_tokens WHERE account = $1 AND expires > $2")?;
            let add = c.st(
                "INSERT INTO kms_tokens (account, digest, expires) VALUES ($1, $2, $3) \
                 ON CONFLICT (account, digest) DO UPDATE SET expires = EXCLUDED.expires",
            )?;
            let mut tx = c.client.transaction()?;
            lock_account(&mut tx, &acc, account)?;
            let n: i64 = tx.query_one(&outstanding, &[&account, &now])?.try_get(0)?;
            if n as u64 >= limits.tokens {
                return Ok(Inserted::Limit(LimitKind::Tokens));
            }
            tx.execute(&add, &[&account, &&digest[..], &expires])?;
            tx.commit()?;
            Ok(Inserted::Done)
        })
    }

    fn remove_token(&self, account: &str, digest: &[u8; 32]) -> Result<(), StoreError> {
        self.with(|c| {
            let st = c.st("DELETE FROM kms_tokens WHERE account = $1 AND digest = $2")?;
            c.client.execute(&st, &[&account, &&digest[..]])?;
            Ok(())
        })
    }

    fn purge_tokens(&self, now: i64) -> Result<(), StoreError> {
        self.with(|c| {
            let st = c.st("DELETE FROM kms_tokens WHERE expires <= $1")?;
            c.client.execute(&st, &[&now])?;
            Ok(())
        })
    }
}
