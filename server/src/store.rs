//! The key store: every key record (and the material this server generated for AWS_KMS
//! keys) and every alias, in memory.

use crate::prelude::*;

/// One KMS key: its record, and for AWS_KMS keys the material this server generated.
pub(crate) struct Key {
    pub(crate) record: KeyRecord,
    pub(crate) generated: Option<Generated>,
}

pub(crate) struct Alias {
    pub(crate) target: KeyId,
    pub(crate) created: OffsetDateTime,
}

#[derive(Default)]
pub(crate) struct Store {
    pub(crate) keys: BTreeMap<KeyId, Key>,
    pub(crate) aliases: BTreeMap<AliasName, Alias>,
}
