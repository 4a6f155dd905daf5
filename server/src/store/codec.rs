//! The sealed form a key takes in the store: its record and, for AWS_KMS keys, the material
//! this server generated, encrypted and authenticated under a storage key. This is the one
//! place that turns a [`Key`] into bytes for the database and back.
//!
//! Layout (version 1): `0x01 | storage key id (8) | nonce (12) | AES-256-GCM(JSON) | tag (16)`,
//! with the account and the key id in the associated data, so a sealed record copied onto
//! another key's row does not open.

use crate::prelude::*;

const VERSION: u8 = 0x01;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;
const AAD_LABEL: &[u8] = b"kms-import-server key record v1\0";

/// A key that seals records at rest: an 8-byte id (stored beside each sealed record so that a
/// rotated set finds the right key) and 32 secret bytes.
#[derive(Clone)]
pub(crate) struct StorageKey {
    id: [u8; KEY_ID_LEN],
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StorageKey(<redacted>)")
    }
}

impl StorageKey {
    pub(crate) fn generate(rng: &mut dyn CryptoRng) -> StorageKey {
        let mut id = [0u8; KEY_ID_LEN];
        rng.fill_bytes(&mut id);
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        StorageKey { id, key }
    }

    pub(crate) fn from_bytes(id: [u8; KEY_ID_LEN], key: Zeroizing<[u8; 32]>) -> StorageKey {
        StorageKey { id, key }
    }

    pub(crate) fn id(&self) -> [u8; KEY_ID_LEN] {
        self.id
    }

    pub(crate) fn expose_secret(&self) -> &[u8; 32] {
        &self.key
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(<&GcmKey<Aes256Gcm>>::from(&*self.key))
    }
}

/// The current storage key and the previous ones that still open older records.
#[derive(Clone, Debug)]
pub(crate) struct StorageKeys {
    current: StorageKey,
    previous: Vec<StorageKey>,
}

impl StorageKeys {
    pub(crate) fn new(current: StorageKey) -> StorageKeys {
        StorageKeys {
            current,
            previous: Vec::new(),
        }
    }

    /// Current first; ids must be distinct.
    pub(crate) fn from_list(mut keys: Vec<StorageKey>) -> Result<StorageKeys, String> {
        if keys.is_empty() {
            return Err("no storage key".to_owned());
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|o| o.id == k.id) {
                return Err("two storage keys share an id".to_owned());
            }
        }
        let current = keys.remove(0);
        Ok(StorageKeys {
            current,
            previous: keys,
        })
    }

    pub(crate) fn current(&self) -> &StorageKey {
        &self.current
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &StorageKey> {
        std::iter::once(&self.current).chain(self.previous.iter())
    }

    /// The key with this id, looked up without an early exit.
    fn find(&self, id: &[u8]) -> Option<&StorageKey> {
        use subtle::ConstantTimeEq;
        let mut found = None;
        for k in self.all() {
            if bool::from(k.id.ct_eq(id)) {
                found = Some(k);
            }
        }
        found
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Plain {
    record: KeyRecord,
    #[serde(default)]
    generated: Option<String>,
}

impl Drop for Plain {
    fn drop(&mut self) {
        if let Some(g) = &mut self.generated {
            zeroize::Zeroize::zeroize(g);
        }
    }
}

fn aad(account: &str, key_id: &KeyId) -> Vec<u8> {
    let mut aad = AAD_LABEL.to_vec();
    aad.extend_from_slice(account.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key_id.to_string().as_bytes());
    aad
}

/// Seals `key` for the store.
pub(crate) fn seal_key(
    keys: &StorageKeys,
    account: &str,
    key: &Key,
    rng: &mut dyn CryptoRng,
) -> Result<Vec<u8>, Error> {
    use base64ct::Encoding;
    let plain = Plain {
        record: key.record.clone(),
        generated: key
            .generated
            .as_ref()
            .map(|m| base64ct::Base64::encode_string(m.expose_secret())),
    };
    let mut body = Zeroizing::new(serde_json::to_vec(&plain).map_err(|_| Error::Internal)?);
    drop(plain);
    let storage_key = keys.current();
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let tag = storage_key
        .cipher()
        .encrypt_inout_detached(
            &GcmNonce::from(nonce),
            &aad(account, &key.record.key_id()),
            body.as_mut_slice().into(),
        )
        .map_err(|_| Error::Internal)?;
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(&storage_key.id);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    Ok(out)
}

/// Opens what [`seal_key`] made for `expected` in `account`. Every failure is the same
/// KMSInternalException: a damaged or foreign row says nothing about why it did not open.
pub(crate) fn open_key(
    keys: &StorageKeys,
    account: &str,
    expected: &KeyId,
    bytes: &[u8],
) -> Result<Key, Error> {
    use base64ct::Encoding;
    if bytes.len() < HEADER_LEN + TAG_LEN || bytes[0] != VERSION {
        return Err(Error::Internal);
    }
    let storage_key = keys
        .find(&bytes[1..1 + KEY_ID_LEN])
        .ok_or(Error::Internal)?;
    let nonce: [u8; NONCE_LEN] = bytes[1 + KEY_ID_LEN..HEADER_LEN]
        .try_into()
        .map_err(|_| Error::Internal)?;
    let (body, tag) = bytes[HEADER_LEN..].split_at(bytes.len() - HEADER_LEN - TAG_LEN);
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| Error::Internal)?;
    let mut body = Zeroizing::new(body.to_vec());
    storage_key
        .cipher()
        .decrypt_inout_detached(
            &GcmNonce::from(nonce),
            &aad(account, expected),
            body.as_mut_slice().into(),
            &GcmTag::from(tag),
        )
        .map_err(|_| Error::Internal)?;
    let plain: Plain = serde_json::from_slice(&body).map_err(|_| Error::Internal)?;
    if plain.record.key_id() != *expected || plain.record.check_invariants().is_err() {
        return Err(Error::Internal);
    }
    let generated = match &plain.generated {
        Some(b64) => Some(KeyMaterial::new(
            base64ct::Base64::decode_vec(b64).map_err(|_| Error::Internal)?,
        )),
        None => None,
    };
    Ok(Key {
        record: plain.record.clone(),
        generated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(rng: &mut OsRng, origin: Origin) -> Key {
        let ctx = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
        let record = KeyRecord::create(
            &ctx,
            KeyId::random(rng),
            CreateKeyParams {
                key_spec: KeySpec::SymmetricDefault,
                key_usage: None,
                origin,
                description: Some("d".to_owned()),
            },
            now(),
        )
        .unwrap();
        let generated = (origin == Origin::AwsKms)
            .then(|| generate_material(KeySpec::SymmetricDefault, rng).unwrap());
        Key { record, generated }
    }

    #[test]
    fn sealed_keys_open_and_hide_the_material() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let keys = StorageKeys::new(StorageKey::generate(&mut rng));
        let k = key(&mut rng, Origin::AwsKms);
        let sealed = seal_key(&keys, "111122223333", &k, &mut rng).unwrap();
        let material = k.generated.as_ref().unwrap().expose_secret().to_vec();
        assert!(!sealed.windows(material.len()).any(|w| w == material));
        use base64ct::Encoding;
        let b64 = base64ct::Base64::encode_string(&material);
        assert!(!sealed.windows(b64.len()).any(|w| w == b64.as_bytes()));
        let back = open_key(&keys, "111122223333", &k.record.key_id(), &sealed).unwrap();
        assert_eq!(back.record.key_id(), k.record.key_id());
        assert_eq!(back.generated.unwrap().expose_secret(), &material[..]);
    }

    #[test]
    fn a_sealed_key_opens_only_as_itself_under_a_known_key() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let keys = StorageKeys::new(StorageKey::generate(&mut rng));
        let k = key(&mut rng, Origin::External);
        let id = k.record.key_id();
        let sealed = seal_key(&keys, "111122223333", &k, &mut rng).unwrap();
        // Another key's row, another account, another storage key, a flipped bit: all refused.
        let other = key(&mut rng, Origin::External).record.key_id();
        assert!(open_key(&keys, "111122223333", &other, &sealed).is_err());
        assert!(open_key(&keys, "444455556666", &id, &sealed).is_err());
        let stranger = StorageKeys::new(StorageKey::generate(&mut rng));
        assert!(open_key(&stranger, "111122223333", &id, &sealed).is_err());
        for i in [0, 3, HEADER_LEN + 2, sealed.len() - 1] {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert!(
                open_key(&keys, "111122223333", &id, &bad).is_err(),
                "byte {i}"
            );
        }
        assert!(open_key(&keys, "111122223333", &id, &sealed[..HEADER_LEN]).is_err());
        // After a rotation the old key still opens old rows.
        let rotated =
            StorageKeys::from_list(vec![StorageKey::generate(&mut rng), keys.current().clone()])
                .unwrap();
        assert!(open_key(&rotated, "111122223333", &id, &sealed).is_ok());
    }
}
