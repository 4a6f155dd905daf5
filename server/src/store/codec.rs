//! The form a key takes in the store: its record sealed by the core ([`KeyRecord::seal`], under
//! the current storage key, bound to the key id and the revision) and, for AWS_KMS keys, the
//! material this server generated, sealed here under a key derived from the same storage key
//! and bound to the account, the key id and the same revision. This is the one place that turns
//! a [`Key`] into bytes for the database and back.
//!
//! Layout (server row format 1), integers big-endian:
//!
//! | length | field |
//! |---|---|
//! | 1 | `0x01` |
//! | 4 | length *r* of the sealed record |
//! | *r* | the core's sealed record |
//! | rest | empty, or the sealed generated material: storage key id (8), nonce (12), AES-256-GCM ciphertext, tag (16) |
//!
//! The generated material's plaintext is, per version, oldest first: the 32-byte material id,
//! a 4-byte length and the material bytes. Its AES-256-GCM key is
//! HMAC-SHA256(storage key, `kms-import-server generated material v1`).

use hmac::{KeyInit as _, Mac};
use kms_import::{StorageKey, StorageKeys};

use crate::prelude::*;

const ROW_FORMAT: u8 = 0x01;
const KEY_ID_LEN: usize = 8;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const DERIVE_LABEL: &[u8] = b"kms-import-server generated material v1";
const AAD_LABEL: &[u8] = b"kms-import-server/generated-material\0";

fn material_cipher(key: &StorageKey) -> Result<Aes256Gcm, KmsError> {
    let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(key.expose_secret())
        .map_err(|_| KmsError::Internal)?;
    mac.update(DERIVE_LABEL);
    let derived = Zeroizing::new(<[u8; 32]>::from(mac.finalize().into_bytes()));
    Ok(Aes256Gcm::new(<&GcmKey<Aes256Gcm>>::from(&*derived)))
}

/// The key with this id, looked up without an early exit.
fn find<'k>(keys: &'k StorageKeys, id: &[u8]) -> Option<&'k StorageKey> {
    use subtle::ConstantTimeEq;
    let mut found = None;
    for k in std::iter::once(keys.current()).chain(keys.previous()) {
        if bool::from(k.id().as_bytes().ct_eq(id)) {
            found = Some(k);
        }
    }
    found
}

fn aad(account: &str, key_id: &KeyId, revision: u64) -> Vec<u8> {
    let mut aad = AAD_LABEL.to_vec();
    aad.extend_from_slice(account.as_bytes());
    aad.push(0);
    aad.extend_from_slice(key_id.to_string().as_bytes());
    aad.extend_from_slice(&revision.to_be_bytes());
    aad
}

fn seal_generated(
    keys: &StorageKeys,
    account: &str,
    record: &KeyRecord,
    generated: &Generated,
    rng: &mut dyn CryptoRng,
    out: &mut Vec<u8>,
) -> Result<(), KmsError> {
    let mut body = Zeroizing::new(Vec::new());
    for v in generated.versions() {
        let material = v.material.expose_secret();
        body.extend_from_slice(v.id.as_bytes());
        body.extend_from_slice(
            &u32::try_from(material.len())
                .map_err(|_| KmsError::Internal)?
                .to_be_bytes(),
        );
        body.extend_from_slice(material);
    }
    let key = keys.current();
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill_bytes(&mut nonce);
    let tag = material_cipher(key)?
        .encrypt_inout_detached(
            &GcmNonce::from(nonce),
            &aad(account, &record.key_id(), record.revision()),
            body.as_mut_slice().into(),
        )
        .map_err(|_| KmsError::Internal)?;
    out.extend_from_slice(key.id().as_bytes());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    Ok(())
}

fn open_generated(
    keys: &StorageKeys,
    account: &str,
    record: &KeyRecord,
    bytes: &[u8],
) -> Result<Generated, KmsError> {
    if bytes.len() < KEY_ID_LEN + NONCE_LEN + TAG_LEN {
        return Err(KmsError::Internal);
    }
    let (id, rest) = bytes.split_at(KEY_ID_LEN);
    let (nonce, rest) = rest.split_at(NONCE_LEN);
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let key = find(keys, id).ok_or(KmsError::Internal)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| KmsError::Internal)?;
    let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| KmsError::Internal)?;
    let mut body = Zeroizing::new(body.to_vec());
    material_cipher(key)?
        .decrypt_inout_detached(
            &GcmNonce::from(nonce),
            &aad(account, &record.key_id(), record.revision()),
            body.as_mut_slice().into(),
            &GcmTag::from(tag),
        )
        .map_err(|_| KmsError::Internal)?;
    let mut versions = Vec::new();
    let mut rest: &[u8] = &body;
    while !rest.is_empty() {
        if rest.len() < 36 {
            return Err(KmsError::Internal);
        }
        let (id, tail) = rest.split_at(32);
        let (len, tail) = tail.split_at(4);
        let len = u32::from_be_bytes(len.try_into().map_err(|_| KmsError::Internal)?) as usize;
        if tail.len() < len {
            return Err(KmsError::Internal);
        }
        let (material, tail) = tail.split_at(len);
        versions.push(GeneratedVersion {
            id: KeyMaterialId::from_bytes(id.try_into().map_err(|_| KmsError::Internal)?),
            material: KeyMaterial::new(material.to_vec()),
        });
        rest = tail;
    }
    Generated::from_versions(versions).ok_or(KmsError::Internal)
}

/// Seals `key` for the store.
pub(crate) fn seal_key(
    keys: &StorageKeys,
    account: &str,
    key: &Key,
    rng: &mut dyn CryptoRng,
) -> Result<Vec<u8>, KmsError> {
    let record = key.record.seal(keys, rng)?;
    let mut out = Vec::with_capacity(5 + record.len() + 64);
    out.push(ROW_FORMAT);
    out.extend_from_slice(
        &u32::try_from(record.len())
            .map_err(|_| KmsError::Internal)?
            .to_be_bytes(),
    );
    out.extend_from_slice(&record);
    if let Some(generated) = &key.generated {
        seal_generated(keys, account, &key.record, generated, rng, &mut out)?;
    }
    Ok(out)
}

/// Opens what [`seal_key`] made for `expected` in the account and Region of `ctx` at `revision`
/// (the row's revision column, [`Key::revision`]: a stale copy put back in place is refused). A
/// record whose ARN names another account or Region is refused too. Every failure is the same
/// KMSInternalException: a damaged or foreign row says nothing about why it did not open.
pub(crate) fn open_key(
    keys: &StorageKeys,
    ctx: &KeyContext,
    expected: &KeyId,
    revision: u64,
    bytes: &[u8],
) -> Result<Key, KmsError> {
    let (&format, rest) = bytes.split_first().ok_or(KmsError::Internal)?;
    if format != ROW_FORMAT || rest.len() < 4 {
        return Err(KmsError::Internal);
    }
    let (len, rest) = rest.split_at(4);
    let len = u32::from_be_bytes(len.try_into().map_err(|_| KmsError::Internal)?) as usize;
    if rest.len() < len {
        return Err(KmsError::Internal);
    }
    let (sealed, generated) = rest.split_at(len);
    let record = KeyRecord::open_sealed(keys, expected, sealed).map_err(|_| KmsError::Internal)?;
    let account = ctx.account().as_str();
    if record.account_id() != ctx.account() || record.arn().region() != ctx.region() {
        return Err(KmsError::Internal);
    }
    let generated = match (record.origin(), generated.is_empty()) {
        (Origin::AwsKms, false) => Some(open_generated(keys, account, &record, generated)?),
        (Origin::AwsKms, true) => return Err(KmsError::Internal),
        (_, true) => None,
        (_, false) => return Err(KmsError::Internal),
    };
    let key = Key { record, generated };
    if key.revision() != revision {
        return Err(KmsError::Internal);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kms_import::StorageKeyId;

    const ACCOUNT: &str = "111122223333";

    fn scope(region: &str, account: &str) -> KeyContext {
        KeyContext::new("aws", region, account).unwrap()
    }

    fn home() -> KeyContext {
        scope("us-east-1", ACCOUNT)
    }

    fn key(rng: &mut OsRng, origin: Origin) -> Key {
        let ctx = home();
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
            .then(|| Generated::new(KeySpec::SymmetricDefault, rng).unwrap());
        Key { record, generated }
    }

    fn storage(rng: &mut OsRng) -> StorageKeys {
        StorageKeys::new(StorageKey::generate(rng))
    }

    #[test]
    fn sealed_keys_open_and_hide_the_generated_material() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let keys = storage(&mut rng);
        let mut k = key(&mut rng, Origin::AwsKms);
        k.generated
            .as_mut()
            .unwrap()
            .rotate(KeySpec::SymmetricDefault, &mut rng)
            .unwrap();
        let sealed = seal_key(&keys, ACCOUNT, &k, &mut rng).unwrap();
        let rev = k.revision();
        assert_eq!(
            rev,
            k.record.revision() + 1,
            "a rotation of generated material counts"
        );
        for v in k.generated.as_ref().unwrap().versions() {
            let m = v.material.expose_secret();
            assert!(!sealed.windows(m.len()).any(|w| w == m));
        }
        let back = open_key(&keys, &home(), &k.record.key_id(), rev, &sealed).unwrap();
        assert_eq!(back.record.key_id(), k.record.key_id());
        let (a, b) = (back.generated.unwrap(), k.generated.unwrap());
        assert_eq!(a.versions().len(), 2);
        for (x, y) in a.versions().iter().zip(b.versions()) {
            assert_eq!(x.id, y.id);
            assert_eq!(x.material.expose_secret(), y.material.expose_secret());
        }
    }

    #[test]
    fn a_sealed_key_opens_only_as_itself_at_its_revision_under_a_known_key() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let keys = storage(&mut rng);
        for origin in [Origin::AwsKms, Origin::External] {
            let k = key(&mut rng, origin);
            let id = k.record.key_id();
            let rev = k.revision();
            let sealed = seal_key(&keys, ACCOUNT, &k, &mut rng).unwrap();
            assert!(open_key(&keys, &home(), &id, rev, &sealed).is_ok());
            let other = key(&mut rng, origin).record.key_id();
            assert!(open_key(&keys, &home(), &other, rev, &sealed).is_err());
            assert!(
                open_key(
                    &keys,
                    &scope("us-east-1", "444455556666"),
                    &id,
                    rev,
                    &sealed
                )
                .is_err()
            );
            // A row of one Region does not open as a key of another.
            assert!(open_key(&keys, &scope("eu-west-1", ACCOUNT), &id, rev, &sealed).is_err());
            assert!(open_key(&keys, &home(), &id, rev + 1, &sealed).is_err());
            assert!(open_key(&storage(&mut rng), &home(), &id, rev, &sealed).is_err());
            for i in [0, 3, 20, sealed.len() / 2, sealed.len() - 1] {
                let mut bad = sealed.clone();
                bad[i] ^= 1;
                assert!(
                    open_key(&keys, &home(), &id, rev, &bad).is_err(),
                    "byte {i}"
                );
            }
            assert!(open_key(&keys, &home(), &id, rev, &sealed[..sealed.len() - 1]).is_err());
            assert!(open_key(&keys, &home(), &id, rev, &[]).is_err());
            // After a rotation the previous storage key still opens older rows.
            let rotated = StorageKeys::with_previous(
                StorageKey::from_bytes(StorageKeyId::from_bytes([9; 8]), [7; 32]),
                vec![keys.current().clone()],
                2,
            )
            .unwrap();
            assert!(open_key(&rotated, &home(), &id, rev, &sealed).is_ok());
        }
    }

    #[test]
    fn generated_material_cannot_be_moved_onto_another_key() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let keys = storage(&mut rng);
        let a = key(&mut rng, Origin::AwsKms);
        let b = key(&mut rng, Origin::AwsKms);
        let sa = seal_key(&keys, ACCOUNT, &a, &mut rng).unwrap();
        let sb = seal_key(&keys, ACCOUNT, &b, &mut rng).unwrap();
        let split = |s: &[u8]| 5 + u32::from_be_bytes(s[1..5].try_into().unwrap()) as usize;
        // b's record with a's generated material.
        let mut mixed = sb[..split(&sb)].to_vec();
        mixed.extend_from_slice(&sa[split(&sa)..]);
        let rev = b.revision();
        assert!(open_key(&keys, &home(), &b.record.key_id(), rev, &mixed).is_err());
        // An AWS_KMS record without its material, an EXTERNAL one with some.
        assert!(open_key(&keys, &home(), &b.record.key_id(), rev, &sb[..split(&sb)]).is_err());
        let e = key(&mut rng, Origin::External);
        let mut se = seal_key(&keys, ACCOUNT, &e, &mut rng).unwrap();
        se.extend_from_slice(&sa[split(&sa)..]);
        assert!(open_key(&keys, &home(), &e.record.key_id(), e.record.revision(), &se).is_err());
    }
}
