//! The sealed storage form of a key record: what it protects (material, key id, revision),
//! rotation of storage keys, the versioned document, and the form of earlier releases, which
//! still loads through the explicit plaintext path.

use base64ct::{Base64, Encoding};
use kms_import::CheckedMaterial;
use kms_import::ImportType;
use kms_import::MaterialImport;
use kms_import::{
    CreateKeyParams, DisabledImportPolicy, Expiration, Invariant, KeyContext, KeyId, KeyMaterial,
    KeyMaterialState, KeyRecord, KeySpec, KeyState, Origin, StorageError, StorageKey, StorageKeyId,
    StorageKeys, sealed_revision,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::{Duration, OffsetDateTime};

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const OTHER_KEY_ID: &str = "0000abcd-12ab-34cd-56ef-1234567890ab";
const GOLDEN_V0: &str = include_str!("data/records/key_record_v0.json");
/// Bytes no other part of a record can contain by chance.
const SECRET: [u8; 32] = *b"\x9e\x01secret-material-never-visible\xa7";

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_250_000_000).unwrap()
}

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(4242)
}

fn key_id() -> KeyId {
    KEY_ID.parse().unwrap()
}

fn import(valid_to: Option<OffsetDateTime>, import_type: Option<ImportType>) -> MaterialImport {
    MaterialImport {
        expiration: valid_to.map_or(Expiration::DoesNotExpire, |valid_to| Expiration::Expires {
            valid_to,
        }),
        import_type,
        key_material_id: None,
        description: Some("stored material".into()),
        disabled_import_policy: DisabledImportPolicy::default(),
    }
}

/// An EXTERNAL symmetric key with CURRENT material (expiring) and material pending rotation.
fn record() -> KeyRecord {
    let mut k = KeyRecord::create(
        &KeyContext::new("aws", "us-east-1", "111122223333").unwrap(),
        key_id(),
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: Some("sealed record".into()),
        },
        t0(),
    )
    .unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), KeyMaterial::new(SECRET.to_vec())).unwrap(),
        import(Some(t0() + Duration::days(30)), None),
        t0(),
    )
    .unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), KeyMaterial::new(vec![0x42; 32])).unwrap(),
        import(None, Some(ImportType::NewKeyMaterial)),
        t0(),
    )
    .unwrap();
    k
}

fn keys(seed: u64) -> StorageKeys {
    StorageKeys::new(StorageKey::generate(&mut ChaCha20Rng::seed_from_u64(seed)))
}

fn plaintext(k: &KeyRecord) -> String {
    k.to_plaintext_json_insecure().unwrap().to_string()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn sealed_record_round_trips() {
    let k = record();
    let keys = keys(1);
    let sealed = k.seal(&keys, &mut rng()).unwrap();
    let back = KeyRecord::open_sealed(&keys, &key_id(), &sealed).unwrap();
    assert_eq!(plaintext(&back), plaintext(&k));
    assert_eq!(back.revision(), k.revision());
    assert_eq!(back.creation_date(), t0());
    assert_eq!(back.materials().len(), 2);
    assert_eq!(
        back.materials()[0].material().unwrap().expose_secret(),
        &SECRET
    );
    assert_eq!(
        back.materials()[1].material_state(),
        KeyMaterialState::PendingRotation
    );
    assert_eq!(sealed_revision(&sealed), Ok(k.revision()));
    let again = KeyRecord::open_sealed_at(&keys, &key_id(), k.revision(), &sealed).unwrap();
    assert_eq!(plaintext(&again), plaintext(&k));
}

#[test]
fn every_seal_draws_a_fresh_nonce() {
    let k = record();
    let keys = keys(1);
    let mut rng = rng();
    let a = k.seal(&keys, &mut rng).unwrap();
    let b = k.seal(&keys, &mut rng).unwrap();
    assert_eq!(a.len(), b.len());
    assert_ne!(a, b);
}

#[test]
fn sealed_form_shows_no_material_bytes() {
    let k = record();
    let sealed = k.seal(&keys(1), &mut rng()).unwrap();
    let hex: String = SECRET.iter().map(|b| format!("{b:02x}")).collect();
    for needle in [
        &SECRET[..],
        &SECRET[..8],
        Base64::encode_string(&SECRET).as_bytes(),
        &Base64::encode_string(&SECRET).as_bytes()[..12],
        hex.as_bytes(),
        b"sealed record",
        b"KeyMaterial",
    ] {
        assert!(!contains(&sealed, needle), "{needle:?} visible");
    }
    // The plaintext form, by contrast, carries the material: that is why its name says so.
    assert!(plaintext(&k).contains(&Base64::encode_string(&SECRET)));
}

#[test]
fn another_storage_key_with_the_same_id_does_not_open() {
    let k = record();
    let keys = keys(1);
    let sealed = k.seal(&keys, &mut rng()).unwrap();
    let impostor = StorageKeys::new(StorageKey::from_bytes(keys.current().id(), [7; 32]));
    assert_eq!(
        KeyRecord::open_sealed(&impostor, &key_id(), &sealed).unwrap_err(),
        StorageError::NotAuthentic
    );
    let stranger = self::keys(2);
    assert_eq!(
        KeyRecord::open_sealed(&stranger, &key_id(), &sealed).unwrap_err(),
        StorageError::UnknownStorageKey(keys.current().id())
    );
}

#[test]
fn any_changed_byte_is_refused() {
    let k = record();
    let keys = keys(1);
    let sealed = k.seal(&keys, &mut rng()).unwrap();
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 0x01;
        let e = KeyRecord::open_sealed(&keys, &key_id(), &bad).unwrap_err();
        let expected = match i {
            0 => StorageError::UnsupportedVersion {
                found: 0,
                supported: 1,
            },
            1..=8 => {
                let mut id = *keys.current().id().as_bytes();
                id[i - 1] ^= 0x01;
                StorageError::UnknownStorageKey(StorageKeyId::from_bytes(id))
            }
            _ => StorageError::NotAuthentic,
        };
        assert_eq!(e, expected, "byte {i}");
    }
    let mut truncated = sealed.clone();
    truncated.pop();
    assert_eq!(
        KeyRecord::open_sealed(&keys, &key_id(), &truncated).unwrap_err(),
        StorageError::NotAuthentic
    );
}

#[test]
fn a_record_presented_for_another_key_does_not_open() {
    let k = record();
    let keys = keys(1);
    let sealed = k.seal(&keys, &mut rng()).unwrap();
    let other: KeyId = OTHER_KEY_ID.parse().unwrap();
    assert_eq!(
        KeyRecord::open_sealed(&keys, &other, &sealed).unwrap_err(),
        StorageError::NotAuthentic
    );
}

#[test]
fn a_changed_or_rolled_back_revision_is_refused() {
    let mut k = record();
    let keys = keys(1);
    let mut rng = rng();
    let old = k.seal(&keys, &mut rng).unwrap();
    let old_revision = k.revision();
    k.disable(t0()).into_result().unwrap();
    assert!(k.revision() > old_revision);
    let new = k.seal(&keys, &mut rng).unwrap();

    // The revision is in the associated data: rewriting it in the header breaks the tag.
    let mut forged = old.clone();
    forged[9..17].copy_from_slice(&k.revision().to_be_bytes());
    assert_eq!(
        KeyRecord::open_sealed(&keys, &key_id(), &forged).unwrap_err(),
        StorageError::NotAuthentic
    );
    // A store that knows the current revision refuses the stale copy before any cryptography.
    assert_eq!(
        KeyRecord::open_sealed_at(&keys, &key_id(), k.revision(), &old).unwrap_err(),
        StorageError::RevisionMismatch {
            expected: k.revision(),
            found: old_revision
        }
    );
    let back = KeyRecord::open_sealed_at(&keys, &key_id(), k.revision(), &new).unwrap();
    assert_eq!(back.key_state(), KeyState::Disabled);
}

#[test]
fn unknown_versions_are_refused_with_a_clear_error() {
    let k = record();
    let keys = keys(1);
    let mut sealed = k.seal(&keys, &mut rng()).unwrap();
    sealed[0] = 2;
    let e = KeyRecord::open_sealed(&keys, &key_id(), &sealed).unwrap_err();
    assert_eq!(
        e,
        StorageError::UnsupportedVersion {
            found: 2,
            supported: 1
        }
    );
    assert!(e.to_string().contains("needs a newer release"), "{e}");
    assert_eq!(sealed_revision(&sealed), Err(e));

    let doc = plaintext(&k).replace("\"FormatVersion\":1", "\"FormatVersion\":2");
    assert_eq!(
        KeyRecord::from_plaintext_json_insecure(&doc).unwrap_err(),
        StorageError::UnsupportedVersion {
            found: 2,
            supported: 1
        }
    );
    let doc = plaintext(&k).replace("\"FormatVersion\":1", "\"FormatVersion\":0");
    assert!(matches!(
        KeyRecord::from_plaintext_json_insecure(&doc).unwrap_err(),
        StorageError::Malformed(_)
    ));
}

#[test]
fn previous_storage_key_still_opens_after_rotation() {
    let k = record();
    let mut rng = rng();
    let first = StorageKey::generate(&mut rng);
    let mut keys = StorageKeys::new(first.clone());
    let sealed_first = k.seal(&keys, &mut rng).unwrap();
    keys.rotate(StorageKey::generate(&mut rng)).unwrap();
    assert_eq!(keys.previous()[0].id(), first.id());
    KeyRecord::open_sealed(&keys, &key_id(), &sealed_first).unwrap();
    let sealed_second = k.seal(&keys, &mut rng).unwrap();
    assert_eq!(&sealed_second[1..9], keys.current().id().as_bytes());
    // Two more rotations push the first key out of a set that keeps two previous keys.
    keys.rotate(StorageKey::generate(&mut rng)).unwrap();
    KeyRecord::open_sealed(&keys, &key_id(), &sealed_first).unwrap();
    keys.rotate(StorageKey::generate(&mut rng)).unwrap();
    assert_eq!(
        KeyRecord::open_sealed(&keys, &key_id(), &sealed_first).unwrap_err(),
        StorageError::UnknownStorageKey(first.id())
    );
    KeyRecord::open_sealed(&keys, &key_id(), &sealed_second).unwrap();
    // A key id already in the set is refused, leaving the set as it was.
    let current = keys.current().clone();
    assert_eq!(
        keys.rotate(current).unwrap_err().code(),
        "ValidationException"
    );
}

#[test]
fn storage_key_sets_refuse_duplicates_and_overflow() {
    let mut rng = rng();
    let a = StorageKey::generate(&mut rng);
    let b = StorageKey::generate(&mut rng);
    assert!(StorageKeys::with_previous(a.clone(), vec![a.clone()], 2).is_err());
    assert!(StorageKeys::with_previous(a.clone(), vec![b.clone(), b.clone()], 2).is_err());
    assert!(StorageKeys::with_previous(a.clone(), vec![b.clone()], 0).is_err());
    let set = StorageKeys::with_previous(a, vec![b], 1).unwrap();
    let debug = format!("{set:?} {:?}", set.current());
    assert!(debug.contains("<redacted>"), "{debug}");
    let secret: String = set
        .current()
        .expose_secret()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(!debug.contains(&secret[..16]), "{debug}");
}

#[test]
fn input_outside_the_possible_lengths_is_refused_before_any_cryptography() {
    let keys = keys(1);
    for len in [0, 1, 44, (1 << 20) + 1] {
        assert_eq!(
            KeyRecord::open_sealed(&keys, &key_id(), &vec![1; len]).unwrap_err(),
            StorageError::Length(len)
        );
    }
}

#[test]
fn the_document_uses_stable_names_and_one_time_encoding() {
    let k = record();
    let doc: serde_json::Value = serde_json::from_str(&plaintext(&k)).unwrap();
    let members: Vec<&str> = doc
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = vec![
        "FormatVersion",
        "Arn",
        "CreationDate",
        "KeyState",
        "Origin",
        "KeySpec",
        "KeyUsage",
        "Description",
        "DeletionDate",
        "KeyMaterials",
        "UsedTokens",
        "Revision",
    ];
    let mut members = members;
    members.sort_unstable();
    expected.sort_unstable();
    assert_eq!(members, expected);
    assert_eq!(doc["FormatVersion"], 1);
    assert_eq!(doc["CreationDate"], "2026-05-28T20:26:40.25Z");
    let m = &doc["KeyMaterials"][0];
    assert_eq!(m["ExpirationModel"], "KEY_MATERIAL_EXPIRES");
    assert_eq!(m["ValidTo"], "2026-06-27T20:26:40.25Z");
    assert_eq!(m["KeyMaterialState"], "CURRENT");
    assert_eq!(doc["KeyMaterials"][1]["ValidTo"], serde_json::Value::Null);
    assert_eq!(doc["UsedTokens"]["Capacity"], 256);
}

#[test]
fn unknown_members_are_refused_at_every_level() {
    let doc = plaintext(&record());
    for (from, to) in [
        ("\"Revision\":", "\"Extra\":1,\"Revision\":"),
        ("\"KeyMaterialState\":", "\"Extra\":1,\"KeyMaterialState\":"),
        ("\"Capacity\":", "\"Extra\":1,\"Capacity\":"),
    ] {
        let bad = doc.replacen(from, to, 1);
        assert_ne!(bad, doc);
        let e = KeyRecord::from_plaintext_json_insecure(&bad).unwrap_err();
        assert!(
            matches!(&e, StorageError::Malformed(m) if m.contains("unknown field")),
            "{e}"
        );
    }
    let bad = GOLDEN_V0.replacen("\"revision\":", "\"extra\": 1, \"revision\":", 1);
    assert!(matches!(
        KeyRecord::from_plaintext_json_insecure(&bad).unwrap_err(),
        StorageError::Malformed(_)
    ));
}

#[test]
fn loading_checks_the_revision_range_and_the_invariants() {
    let k = record();
    let doc = plaintext(&k);
    let revision = format!("\"Revision\":{}", k.revision());
    let too_big = doc.replace(&revision, &format!("\"Revision\":{}", i64::MAX as u64 + 1));
    assert!(matches!(
        KeyRecord::from_plaintext_json_insecure(&too_big).unwrap_err(),
        StorageError::Malformed(_)
    ));
    let max = doc.replace(&revision, &format!("\"Revision\":{}", i64::MAX));
    assert_eq!(
        KeyRecord::from_plaintext_json_insecure(&max)
            .unwrap()
            .revision(),
        i64::MAX as u64
    );
    // Material that does not match its id.
    let other = Base64::encode_string(&[0x43; 32]);
    let swapped = doc.replace(&Base64::encode_string(&[0x42; 32]), &other);
    assert_eq!(
        KeyRecord::from_plaintext_json_insecure(&swapped).unwrap_err(),
        StorageError::BrokenInvariant(Invariant::MaterialMatchesId)
    );
    // An Enabled key without its material.
    let absent = doc
        .replacen(
            &format!("\"{}\"", Base64::encode_string(&SECRET)),
            "null",
            1,
        )
        .replacen("\"KEY_MATERIAL_EXPIRES\"", "null", 1)
        .replacen(
            "\"ValidTo\":\"2026-06-27T20:26:40.25Z\"",
            "\"ValidTo\":null",
            1,
        );
    assert_eq!(
        KeyRecord::from_plaintext_json_insecure(&absent).unwrap_err(),
        StorageError::BrokenInvariant(Invariant::UsableOnlyWithAllMaterial)
    );
    // Bad base64 is refused without echoing it.
    let garbled = doc.replace(&Base64::encode_string(&SECRET)[..8], "!!!!!!!!");
    let e = KeyRecord::from_plaintext_json_insecure(&garbled).unwrap_err();
    assert!(!e.to_string().contains("!!!!"), "{e}");
}

/// The form the record's serde derive wrote before the storage format was versioned,
/// captured from that code: a key with rotated material, a used token and a scheduled
/// deletion.
#[test]
fn golden_record_of_the_unversioned_form_still_loads() {
    let k = KeyRecord::from_plaintext_json_insecure(GOLDEN_V0).unwrap();
    assert_is_golden_record(&k);

    // It moves into the sealed form unchanged.
    let keys = keys(3);
    let sealed = k.seal(&keys, &mut rng()).unwrap();
    let back = KeyRecord::open_sealed(&keys, &key_id(), &sealed).unwrap();
    assert_eq!(plaintext(&back), plaintext(&k));
    assert_eq!(back.used_tokens(), k.used_tokens());
}

/// What the golden records (v0 plaintext, v1 sealed) hold, checked field by field.
fn assert_is_golden_record(k: &KeyRecord) {
    assert_eq!(k.key_id(), key_id());
    assert_eq!(k.key_state(), KeyState::PendingDeletion);
    assert_eq!(k.description(), "golden record");
    assert_eq!(k.revision(), 7);
    let created = OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_789).unwrap();
    assert_eq!(k.creation_date(), created);
    assert_eq!(
        k.deletion_date(),
        Some(created + Duration::hours(3) + Duration::days(7))
    );
    let [first, second] = k.materials() else {
        panic!("two materials expected")
    };
    assert_eq!(first.material_state(), KeyMaterialState::NonCurrent);
    assert_eq!(first.material().unwrap().expose_secret(), &[0x11; 32]);
    assert_eq!(
        first.expiration(),
        Some(Expiration::Expires {
            valid_to: created + Duration::days(300)
        })
    );
    assert_eq!(first.description(), Some("first material"));
    assert_eq!(second.material_state(), KeyMaterialState::Current);
    assert_eq!(second.material().unwrap().expose_secret(), &[0x22; 32]);
    assert_eq!(second.expiration(), Some(Expiration::DoesNotExpire));
    assert_eq!(second.rotation_date(), Some(created + Duration::hours(2)));
    assert_eq!(k.used_tokens().len(), 1);
    assert_eq!(k.on_demand_rotations(), 1);
}

/// The storage key of the committed sealed golden record: fixed, public test bytes.
fn golden_storage_keys() -> StorageKeys {
    StorageKeys::new(StorageKey::from_bytes(
        StorageKeyId::from_bytes(*b"golden-1"),
        [0x5a; 32],
    ))
}

/// Format version 1 as this release writes it: the golden record above, sealed (envelope
/// version 1) under a fixed test key, and its document. Later releases must keep opening the
/// sealed bytes; the document pins the member names the format documentation lists.
///
/// `KMS_IMPORT_BLESS_GOLDEN=1 cargo test --all-features --test record_storage golden` rewrites
/// the two files, which is only right when the format version is raised.
#[test]
fn golden_record_of_format_version_1_still_opens() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/records");
    let sealed_path = dir.join("key_record_v1.sealed.b64");
    let doc_path = dir.join("key_record_v1.json");
    let golden = golden_storage_keys();
    if std::env::var_os("KMS_IMPORT_BLESS_GOLDEN").is_some() {
        let k = KeyRecord::from_plaintext_json_insecure(GOLDEN_V0).unwrap();
        let sealed = k.seal(&golden, &mut rng()).unwrap();
        std::fs::write(&sealed_path, Base64::encode_string(&sealed) + "\n").unwrap();
        std::fs::write(&doc_path, plaintext(&k) + "\n").unwrap();
    }
    let sealed_b64 = std::fs::read_to_string(&sealed_path).unwrap();
    let sealed = Base64::decode_vec(sealed_b64.trim()).unwrap();
    assert_eq!(sealed[0], 0x01, "envelope version");
    assert_eq!(&sealed[1..9], b"golden-1", "storage key id in the clear");
    assert_eq!(sealed_revision(&sealed), Ok(7));
    let k = KeyRecord::open_sealed_at(&golden, &key_id(), 7, &sealed).unwrap();
    assert_is_golden_record(&k);

    // The document: the member names and encodings of format version 1.
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let from_doc = KeyRecord::from_plaintext_json_insecure(doc.trim()).unwrap();
    assert_is_golden_record(&from_doc);
    assert_eq!(plaintext(&k), doc.trim());
    for member in [
        "\"FormatVersion\":1",
        "\"Arn\":\"arn:aws:kms:",
        "\"KeyState\":\"PendingDeletion\"",
        "\"KeyMaterials\":[",
        "\"ExpirationModel\":\"KEY_MATERIAL_EXPIRES\"",
        "\"ValidTo\":\"",
        "\"UsedTokens\":{",
        "\"Revision\":7",
    ] {
        assert!(
            doc.contains(member),
            "{member} missing from the v1 document"
        );
    }

    // Under another storage key, or for another key id, it does not open.
    assert!(KeyRecord::open_sealed(&keys(3), &key_id(), &sealed).is_err());
    assert!(KeyRecord::open_sealed(&golden, &OTHER_KEY_ID.parse().unwrap(), &sealed).is_err());
}

mod mutations {
    use proptest::prelude::*;

    fn seeds() -> Vec<Vec<u8>> {
        kms_import_testkit::fuzz::seed_corpora()
            .into_iter()
            .filter(|(target, _, _)| *target == "stored_record")
            .map(|(_, _, bytes)| bytes)
            .collect()
    }

    proptest! {
        /// Mutated stored records (flipped bytes, truncation, spliced text) never panic, and
        /// whatever still loads keeps the harness's properties (invariants, round trips).
        #[test]
        fn mutated_stored_records_never_panic(
            which in 0usize..13,
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..4),
            cut in proptest::option::of(any::<usize>()),
        ) {
            let seeds = seeds();
            let mut data = seeds[which % seeds.len()].clone();
            for (at, byte) in edits {
                let i = at % data.len();
                data[i] = byte;
            }
            if let Some(cut) = cut {
                data.truncate(cut % (data.len() + 1));
            }
            kms_import_testkit::fuzz::stored_record(&data);
        }

        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            kms_import_testkit::fuzz::stored_record(&data);
        }
    }
}
