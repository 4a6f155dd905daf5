//! The rotation logic that the three service key sets share ([`crate::SealingKeys`],
//! [`crate::StorageKeys`], [`crate::CommitmentKeys`]): a current key, earlier keys newest
//! first, at most `max_previous` of them, no two with the same id, and a constant-time lookup
//! by id.

use std::fmt;

use crate::error::Error;

/// A key that a [`KeyRing`] holds.
pub(crate) trait RingKey {
    /// What names the key in the data it protects (a token's or record's key id, a commitment
    /// key's version).
    type Id: Copy + PartialEq + fmt::Display + fmt::Debug;
    /// How the set is named in messages: `sealing`, `storage`, `commitment`.
    const SET: &'static str;
    /// The same, at the start of a sentence: `Sealing`, `Storage`, `Commitment`.
    const SET_TITLE: &'static str;
    /// How the id is named in messages: `id`, `version`.
    const ID_NAME: &'static str;

    fn ring_id(&self) -> Self::Id;

    /// Whether `id` (as read from untrusted bytes) names this key, in time that does not
    /// depend on where the two differ.
    fn ring_id_matches(&self, id: &[u8]) -> bool;
}

#[derive(Clone)]
pub(crate) struct KeyRing<K> {
    current: K,
    /// Newest first.
    previous: Vec<K>,
    max_previous: usize,
}

impl<K: RingKey> KeyRing<K> {
    pub(crate) fn new(current: K, max_previous: usize) -> KeyRing<K> {
        KeyRing {
            current,
            previous: Vec::new(),
            max_previous,
        }
    }

    /// Fails with `ValidationException` when `previous` holds more than `max_previous` keys or
    /// two keys share an id.
    pub(crate) fn with_previous(
        current: K,
        previous: Vec<K>,
        max_previous: usize,
    ) -> Result<KeyRing<K>, Error> {
        if previous.len() > max_previous {
            return Err(Error::Validation(format!(
                "A {} key set keeps at most {max_previous} previous keys; {} were given.",
                K::SET,
                previous.len()
            )));
        }
        let mut ring = KeyRing {
            current,
            previous: Vec::with_capacity(previous.len()),
            max_previous,
        };
        for key in previous {
            ring.refuse_duplicate(key.ring_id())?;
            ring.previous.push(key);
        }
        Ok(ring)
    }

    /// The old current key becomes the newest previous key; the oldest beyond the limit is
    /// dropped. Leaves the ring unchanged on error.
    pub(crate) fn rotate(&mut self, new_current: K) -> Result<(), Error> {
        self.refuse_duplicate(new_current.ring_id())?;
        let old = std::mem::replace(&mut self.current, new_current);
        self.previous.insert(0, old);
        self.previous.truncate(self.max_previous);
        Ok(())
    }

    pub(crate) fn current(&self) -> &K {
        &self.current
    }

    pub(crate) fn previous(&self) -> &[K] {
        &self.previous
    }

    pub(crate) fn max_previous(&self) -> usize {
        self.max_previous
    }

    fn keys(&self) -> impl Iterator<Item = &K> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }

    /// The key with this id (for ids known to be well-formed, such as a configured version).
    pub(crate) fn get(&self, id: K::Id) -> Option<&K> {
        self.keys().find(|k| k.ring_id() == id)
    }

    /// The key named by `id` as read from untrusted bytes. Every key is compared, so the time
    /// taken does not depend on which key matched.
    pub(crate) fn find(&self, id: &[u8]) -> Option<&K> {
        let mut found = None;
        for key in self.keys() {
            if key.ring_id_matches(id) {
                found = Some(key);
            }
        }
        found
    }

    fn refuse_duplicate(&self, id: K::Id) -> Result<(), Error> {
        if self.get(id).is_some() {
            return Err(Error::Validation(format!(
                "{} key {} {id} is already in the {} key set.",
                K::SET_TITLE,
                K::ID_NAME,
                K::SET
            )));
        }
        Ok(())
    }

    /// `Debug` of a set: the ids only, never a key.
    pub(crate) fn debug_fields(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct(name);
        d.field("current", &self.current.ring_id()).field(
            "previous",
            &self
                .previous
                .iter()
                .map(|k| k.ring_id())
                .collect::<Vec<_>>(),
        );
        if self.max_previous != usize::MAX {
            d.field("max_previous", &self.max_previous);
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::material::{CommitmentKey, CommitmentKeys};
    use crate::token::{SealingKey, SealingKeyId, SealingKeys};

    fn sealing(id: u8) -> SealingKey {
        SealingKey::from_bytes(SealingKeyId::from_bytes([id; 8]), [id; 32])
    }

    #[test]
    fn each_set_refuses_a_duplicate_id_in_its_own_words_and_stays_as_it_was() {
        let mut set = SealingKeys::new(sealing(1));
        assert_eq!(
            set.rotate(sealing(1)),
            Err(Error::Validation(
                "Sealing key id 0101010101010101 is already in the sealing key set.".into()
            ))
        );
        assert_eq!(set.current().id(), sealing(1).id());
        assert!(set.previous().is_empty());

        let mut set = CommitmentKeys::new(CommitmentKey::from_bytes(3, [3; 32]));
        assert_eq!(
            set.rotate(CommitmentKey::from_bytes(3, [4; 32])),
            Err(Error::Validation(
                "Commitment key version 3 is already in the commitment key set.".into()
            ))
        );
        assert_eq!(set.current().version(), 3);
    }

    #[test]
    fn rotation_keeps_the_newest_previous_keys_up_to_the_limit() {
        let mut set = SealingKeys::new(sealing(1));
        for id in 2..=5 {
            set.rotate(sealing(id)).unwrap();
        }
        assert_eq!(set.current().id(), sealing(5).id());
        let previous: Vec<_> = set.previous().iter().map(SealingKey::id).collect();
        assert_eq!(previous, [sealing(4).id(), sealing(3).id()]);
        assert_eq!(
            SealingKeys::with_previous(sealing(1), vec![sealing(2), sealing(3), sealing(4)], 2)
                .unwrap_err(),
            Error::Validation(
                "A sealing key set keeps at most 2 previous keys; 3 were given.".into()
            )
        );
        // Commitment keys are never dropped: an id made with one stays stored.
        let mut set = CommitmentKeys::new(CommitmentKey::from_bytes(1, [1; 32]));
        for version in 2..=6 {
            set.rotate(CommitmentKey::from_bytes(version, [1; 32]))
                .unwrap();
        }
        assert_eq!(set.previous().len(), 5);
        assert!(set.get(1).is_some() && set.get(7).is_none());
    }
}
