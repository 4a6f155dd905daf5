//! The in-memory backend: ordered maps, so listing a page is a range walk. The key map's lock
//! is held for a lookup or an insertion only; a compare-and-swap locks the one row it writes.

use std::collections::BTreeSet;
use std::ops::Bound;

use super::{AliasRow, Backend, Inserted, LimitKind, Limits, Row, StoreError};
use crate::prelude::*;

type Id = (String, String);

struct Slot {
    row: Row,
    next_event: Option<i64>,
}

#[derive(Default)]
struct Aliases {
    by_name: BTreeMap<Id, AliasRow>,
    /// (account, target, name): the aliases of one key, in name order.
    by_target: BTreeSet<(String, String, String)>,
    /// Aliases per account.
    counts: BTreeMap<String, u64>,
}

#[derive(Default)]
pub(crate) struct Memory {
    keys: std::sync::RwLock<BTreeMap<Id, Mutex<Slot>>>,
    /// (next event, account, key id).
    events: Mutex<BTreeSet<(i64, String, String)>>,
    /// Keys per account (changed under the key map's write lock).
    key_counts: Mutex<BTreeMap<String, u64>>,
    aliases: Mutex<Aliases>,
    /// Outstanding tokens per account: digest -> expiry.
    tokens: Mutex<BTreeMap<String, BTreeMap<[u8; 32], i64>>>,
}

fn id(account: &str, key: &str) -> Id {
    (account.to_owned(), key.to_owned())
}

impl Memory {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Id, Mutex<Slot>>> {
        self.keys.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<Id, Mutex<Slot>>> {
        self.keys.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn set_event(&self, account: &str, key: &str, old: Option<i64>, new: Option<i64>) {
        if old == new {
            return;
        }
        let mut events = lock(&self.events);
        if let Some(t) = old {
            events.remove(&(t, account.to_owned(), key.to_owned()));
        }
        if let Some(t) = new {
            events.insert((t, account.to_owned(), key.to_owned()));
        }
    }
}

impl Backend for Memory {
    fn get(&self, account: &str, key: &str) -> Result<Option<Row>, StoreError> {
        Ok(self
            .read()
            .get(&id(account, key))
            .map(|slot| lock(slot).row.clone()))
    }

    fn insert(
        &self,
        account: &str,
        key: &str,
        row: &Row,
        next_event: Option<i64>,
        limits: &Limits,
    ) -> Result<Inserted, StoreError> {
        let mut keys = self.write();
        if keys.contains_key(&id(account, key)) {
            return Ok(Inserted::Exists);
        }
        let mut counts = lock(&self.key_counts);
        let count = counts.entry(account.to_owned()).or_default();
        if *count >= limits.keys {
            return Ok(Inserted::Limit(LimitKind::Keys));
        }
        *count += 1;
        drop(counts);
        keys.insert(
            id(account, key),
            Mutex::new(Slot {
                row: row.clone(),
                next_event,
            }),
        );
        self.set_event(account, key, None, next_event);
        Ok(Inserted::Done)
    }

    fn update(
        &self,
        account: &str,
        key: &str,
        expected: u64,
        row: &Row,
        next_event: Option<i64>,
    ) -> Result<bool, StoreError> {
        let keys = self.read();
        let Some(slot) = keys.get(&id(account, key)) else {
            return Ok(false);
        };
        let mut slot = lock(slot);
        if slot.row.revision != expected {
            return Ok(false);
        }
        self.set_event(account, key, slot.next_event, next_event);
        slot.row = row.clone();
        slot.next_event = next_event;
        Ok(true)
    }

    fn delete(&self, account: &str, key: &str, expected: u64) -> Result<bool, StoreError> {
        let mut keys = self.write();
        let k = id(account, key);
        let old_event = match keys.get(&k) {
            Some(slot) => {
                let slot = lock(slot);
                if slot.row.revision != expected {
                    return Ok(false);
                }
                slot.next_event
            }
            None => return Ok(false),
        };
        keys.remove(&k);
        if let Some(count) = lock(&self.key_counts).get_mut(account) {
            *count = count.saturating_sub(1);
        }
        self.set_event(account, key, old_event, None);
        drop(keys);
        let mut aliases = lock(&self.aliases);
        let start = (account.to_owned(), key.to_owned(), String::new());
        let names: Vec<String> = aliases
            .by_target
            .range(start..)
            .take_while(|(a, t, _)| a == account && t == key)
            .map(|(_, _, n)| n.clone())
            .collect();
        for name in names {
            if let Some(count) = aliases.counts.get_mut(account) {
                *count = count.saturating_sub(1);
            }
            aliases.by_name.remove(&id(account, &name));
            aliases
                .by_target
                .remove(&(account.to_owned(), key.to_owned(), name));
        }
        Ok(true)
    }

    fn due_all(
        &self,
        prefix: &str,
        now: i64,
        limit: usize,
    ) -> Result<Vec<(String, String)>, StoreError> {
        Ok(lock(&self.events)
            .iter()
            .take_while(|(t, _, _)| *t <= now)
            .filter(|(_, a, _)| a.starts_with(prefix))
            .take(limit)
            .map(|(_, a, k)| (a.clone(), k.clone()))
            .collect())
    }

    fn list_keys(
        &self,
        account: &str,
        from: Option<&str>,
        limit: usize,
    ) -> Result<Vec<String>, StoreError> {
        Ok(self
            .read()
            .range(id(account, from.unwrap_or(""))..)
            .take_while(|((a, _), _)| a == account)
            .take(limit)
            .map(|((_, k), _)| k.clone())
            .collect())
    }

    fn get_alias(&self, account: &str, name: &str) -> Result<Option<AliasRow>, StoreError> {
        Ok(lock(&self.aliases).by_name.get(&id(account, name)).cloned())
    }

    fn insert_alias(
        &self,
        account: &str,
        alias: &AliasRow,
        limits: &Limits,
    ) -> Result<Inserted, StoreError> {
        // Key map first, then aliases: the order `delete` takes them in.
        let keys = self.read();
        if !keys.contains_key(&id(account, &alias.target)) {
            return Ok(Inserted::NoTarget);
        }
        let mut aliases = lock(&self.aliases);
        if aliases.by_name.contains_key(&id(account, &alias.name)) {
            return Ok(Inserted::Exists);
        }
        let of_account = aliases.counts.get(account).copied().unwrap_or(0);
        if of_account >= limits.aliases {
            return Ok(Inserted::Limit(LimitKind::Aliases));
        }
        let start = (account.to_owned(), alias.target.clone(), String::new());
        let of_key = aliases
            .by_target
            .range(start..)
            .take_while(|(a, t, _)| a == account && *t == alias.target)
            .count() as u64;
        if of_key >= limits.aliases_per_key {
            return Ok(Inserted::Limit(LimitKind::AliasesPerKey));
        }
        *aliases.counts.entry(account.to_owned()).or_default() += 1;
        aliases
            .by_name
            .insert(id(account, &alias.name), alias.clone());
        aliases
            .by_target
            .insert((account.to_owned(), alias.target.clone(), alias.name.clone()));
        Ok(Inserted::Done)
    }

    fn delete_alias(&self, account: &str, name: &str) -> Result<bool, StoreError> {
        let mut aliases = lock(&self.aliases);
        match aliases.by_name.remove(&id(account, name)) {
            Some(a) => {
                if let Some(count) = aliases.counts.get_mut(account) {
                    *count = count.saturating_sub(1);
                }
                aliases
                    .by_target
                    .remove(&(account.to_owned(), a.target, name.to_owned()));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn list_aliases(
        &self,
        account: &str,
        target: Option<&str>,
        from: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AliasRow>, StoreError> {
        let aliases = lock(&self.aliases);
        let from = from.unwrap_or("");
        Ok(match target {
            None => aliases
                .by_name
                .range(id(account, from)..)
                .take_while(|((a, _), _)| a == account)
                .take(limit)
                .map(|(_, row)| row.clone())
                .collect(),
            Some(target) => {
                let start = (account.to_owned(), target.to_owned(), from.to_owned());
                aliases
                    .by_target
                    .range((Bound::Included(start), Bound::Unbounded))
                    .take_while(|(a, t, _)| a == account && t == target)
                    .take(limit)
                    .filter_map(|(a, _, n)| aliases.by_name.get(&id(a, n)).cloned())
                    .collect()
            }
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
        let mut tokens = lock(&self.tokens);
        let mine = tokens.entry(account.to_owned()).or_default();
        if mine.len() as u64 >= limits.tokens {
            mine.retain(|_, e| *e > now);
            if mine.len() as u64 >= limits.tokens {
                return Ok(Inserted::Limit(LimitKind::Tokens));
            }
        }
        mine.insert(*digest, expires);
        Ok(Inserted::Done)
    }

    fn remove_token(&self, account: &str, digest: &[u8; 32]) -> Result<(), StoreError> {
        if let Some(mine) = lock(&self.tokens).get_mut(account) {
            mine.remove(digest);
        }
        Ok(())
    }

    fn purge_tokens(&self, now: i64) -> Result<(), StoreError> {
        for mine in lock(&self.tokens).values_mut() {
            mine.retain(|_, e| *e > now);
        }
        Ok(())
    }
}
