//! Rotation of imported key material (spec sections 1, 3 note b, 5 and 12): NEW and EXISTING
//! imports, RotateKeyOnDemand and its errors, ListKeyRotations, the DescribeKey fields that
//! follow rotation, and lookup of every material for decryption. Material goes straight into
//! `KeyRecord::import_material`; the unwrap path is tested elsewhere.

use kms_import::CheckedMaterial;
use kms_import::MAX_ON_DEMAND_ROTATIONS;
use kms_import::MaterialImport;
use kms_import::page::paginate;
use kms_import::{
    CreateKeyParams, DisabledImportPolicy, Error, Expiration, ExpirationModel, ImportState,
    ImportType, KeyContext, KeyMaterial, KeyMaterialEntry, KeyMaterialId, KeyMaterialState,
    KeyRecord, KeySpec, KeyState, KeyUsage, Origin,
};
use kms_import::{IncludeKeyMaterial, RotationType};
use time::{Duration, OffsetDateTime};

const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

fn day(n: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap() + Duration::days(n)
}

fn key_with(spec: KeySpec, usage: Option<KeyUsage>, origin: Origin) -> KeyRecord {
    KeyRecord::create(
        &KeyContext::new("aws", "us-east-1", "111122223333").unwrap(),
        KEY_ID.parse().unwrap(),
        CreateKeyParams {
            key_spec: spec,
            key_usage: usage,
            origin,
            description: None,
        },
        day(0),
    )
    .unwrap()
}

fn symmetric_key() -> KeyRecord {
    key_with(KeySpec::SymmetricDefault, None, Origin::External)
}

fn material(b: u8) -> KeyMaterial {
    KeyMaterial::new(vec![b; 32])
}

/// The id the crate must give `material(b)` on this key, computed from the bytes.
fn id(b: u8) -> KeyMaterialId {
    KeyMaterialId::derive(KEY_ID, &material(b))
}

fn request(import_type: Option<ImportType>, expiration: Expiration) -> MaterialImport {
    MaterialImport {
        expiration,
        import_type,
        key_material_id: None,
        description: None,
        disabled_import_policy: DisabledImportPolicy::default(),
    }
}

fn until(d: i64) -> Expiration {
    Expiration::Expires { valid_to: day(d) }
}

const NEVER: Expiration = Expiration::DoesNotExpire;
const NEW: Option<ImportType> = Some(ImportType::NewKeyMaterial);
const EXISTING: Option<ImportType> = Some(ImportType::ExistingKeyMaterial);

fn import(k: &mut KeyRecord, b: u8, import_type: Option<ImportType>, at: i64) -> KeyMaterialId {
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(b)).unwrap(),
        request(import_type, NEVER),
        day(at),
    )
    .unwrap_or_else(|e| panic!("import of material {b}: {e}"))
}

/// A symmetric key whose first material is `first` and which rotated in each of `rotated`
/// in turn (rotation i on day i + 1).
fn rotated_key(first: u8, rotated: &[u8]) -> KeyRecord {
    let mut k = symmetric_key();
    import(&mut k, first, None, 0);
    for (i, &b) in rotated.iter().enumerate() {
        let at = i64::try_from(i).unwrap() + 1;
        import(&mut k, b, NEW, at);
        k.rotate_key_on_demand(day(at)).into_result().unwrap();
    }
    k.check_invariants().unwrap();
    k
}

fn err(result: Result<impl std::fmt::Debug, Error>) -> (&'static str, String) {
    let e = result.unwrap_err();
    (e.code(), e.message())
}

fn pending_import() -> (&'static str, String) {
    (
        "KMSInvalidStateException",
        format!("{ARN} is pending import."),
    )
}

fn states(k: &KeyRecord) -> Vec<(KeyMaterialId, KeyMaterialState)> {
    k.materials()
        .iter()
        .map(|m| (m.id(), m.material_state()))
        .collect()
}

// --- RotateKeyOnDemand -------------------------------------------------------------------

#[test]
fn rotation_makes_pending_material_current_and_previous_non_current() {
    let mut k = symmetric_key();
    assert_eq!(import(&mut k, 1, None, 0), id(1));
    assert_eq!(import(&mut k, 2, NEW, 0), id(2));
    assert_eq!(k.current_key_material_id(), Some(id(1)));
    let rev = k.revision();

    let out = k.rotate_key_on_demand(day(3)).into_result().unwrap();
    assert_eq!(out.previous_key_material_id, id(1));
    assert_eq!(out.current_key_material_id, id(2));
    assert_eq!(out.rotation_date, day(3));
    assert_eq!(out.on_demand_rotations, 1);

    assert_eq!(k.current_key_material_id(), Some(id(2)));
    assert_eq!(
        states(&k),
        vec![
            (id(1), KeyMaterialState::NonCurrent),
            (id(2), KeyMaterialState::Current)
        ]
    );
    let rotated = &k.materials()[1];
    assert_eq!(rotated.rotation_date(), Some(day(3)));
    assert_eq!(rotated.rotation_type(), Some(RotationType::OnDemand));
    assert!(rotated.is_permanently_associated());
    assert_eq!(k.materials()[0].rotation_date(), None);
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert!(k.revision() > rev);
    assert_eq!(k.on_demand_rotations(), 1);
    assert!(k.pending_material().is_none());
    k.check_usable(day(3)).unwrap();
    k.check_invariants().unwrap();

    // A second rotation moves on again; the first material stays NON_CURRENT.
    import(&mut k, 3, NEW, 4);
    let out = k.rotate_key_on_demand(day(5)).into_result().unwrap();
    assert_eq!(
        (out.previous_key_material_id, out.current_key_material_id),
        (id(2), id(3))
    );
    assert_eq!(out.on_demand_rotations, 2);
    assert_eq!(
        states(&k),
        vec![
            (id(1), KeyMaterialState::NonCurrent),
            (id(2), KeyMaterialState::NonCurrent),
            (id(3), KeyMaterialState::Current)
        ]
    );
    k.check_invariants().unwrap();
}

#[test]
fn rotation_with_nothing_pending_is_invalid_state_in_aws_wording() {
    let mut k = symmetric_key();
    import(&mut k, 1, None, 0);
    let rev = k.revision();
    assert_eq!(
        err(k.rotate_key_on_demand(day(1)).into_result()),
        (
            "KMSInvalidStateException",
            format!("No available key material pending rotation for the key: {ARN}.")
        )
    );
    assert_eq!(k.revision(), rev);
    assert_eq!(k.current_key_material_id(), Some(id(1)));
}

#[test]
fn rotation_of_a_key_pending_import_is_invalid_state() {
    let mut k = symmetric_key();
    assert_eq!(
        err(k.rotate_key_on_demand(day(0)).into_result()),
        pending_import()
    );

    // Pending material does not help while permanent material is missing.
    import(&mut k, 1, None, 0);
    k.delete_material(None, day(1)).into_result().unwrap();
    import(&mut k, 2, NEW, 1);
    assert_eq!(k.key_state(), KeyState::PendingImport);
    let rev = k.revision();
    assert_eq!(
        err(k.rotate_key_on_demand(day(1)).into_result()),
        pending_import()
    );
    assert_eq!(k.revision(), rev);
    assert_eq!(k.current_key_material_id(), Some(id(1)));
    k.check_invariants().unwrap();
}

#[test]
fn rotation_of_a_disabled_key_is_disabled_exception() {
    let mut k = symmetric_key();
    import(&mut k, 1, None, 0);
    import(&mut k, 2, NEW, 0);
    k.disable(day(0)).into_result().unwrap();
    assert_eq!(
        err(k.rotate_key_on_demand(day(1)).into_result()),
        ("DisabledException", format!("{ARN} is disabled."))
    );
    assert_eq!(k.current_key_material_id(), Some(id(1)));
    k.enable(day(1)).into_result().unwrap();
    k.rotate_key_on_demand(day(1)).into_result().unwrap();
    assert_eq!(k.current_key_material_id(), Some(id(2)));
}

#[test]
fn rotation_of_a_key_pending_deletion_is_invalid_state() {
    let mut k = symmetric_key();
    import(&mut k, 1, None, 0);
    import(&mut k, 2, NEW, 0);
    k.schedule_deletion(day(0), Some(7)).into_result().unwrap();
    assert_eq!(
        err(k.rotate_key_on_demand(day(1)).into_result()),
        (
            "KMSInvalidStateException",
            format!("{ARN} is pending deletion.")
        )
    );
    assert_eq!(k.current_key_material_id(), Some(id(1)));
}

#[test]
fn rotation_applies_due_expiry_first() {
    // Expired pending material is gone: nothing to rotate.
    let mut k = symmetric_key();
    import(&mut k, 1, None, 0);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(2)).unwrap(),
        request(NEW, until(2)),
        day(0),
    )
    .unwrap();
    assert_eq!(
        err(k.rotate_key_on_demand(day(2)).into_result()).0,
        "KMSInvalidStateException"
    );
    assert_eq!(k.materials().len(), 1);
    assert!(k.pending_material().is_none());

    // Expired current material leaves the key pending import.
    let mut k = symmetric_key();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        request(None, until(3)),
        day(0),
    )
    .unwrap();
    import(&mut k, 2, NEW, 0);
    assert_eq!(
        err(k.rotate_key_on_demand(day(3)).into_result()),
        pending_import()
    );
    assert_eq!(k.key_state(), KeyState::PendingImport);
    k.check_invariants().unwrap();
}

#[test]
fn rotation_of_hmac_and_asymmetric_keys_is_unsupported_after_the_state_check() {
    let ec = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/material/ec_p256.der"),
    )
    .unwrap();
    let cases = [
        (KeySpec::Hmac256, None, material(1)),
        (
            KeySpec::EccNistP256,
            Some(KeyUsage::SignVerify),
            KeyMaterial::new(ec),
        ),
    ];
    for (spec, usage, bytes) in cases {
        let mut k = key_with(spec, usage, Origin::External);
        // State first: a key without material is pending import, not unsupported.
        assert_eq!(
            err(k.rotate_key_on_demand(day(0)).into_result()),
            pending_import(),
            "{spec}"
        );
        k.import_material(
            CheckedMaterial::check(k.key_spec(), bytes).unwrap(),
            request(None, NEVER),
            day(0),
        )
        .unwrap();
        k.disable(day(0)).into_result().unwrap();
        assert_eq!(
            err(k.rotate_key_on_demand(day(0)).into_result()).0,
            "DisabledException",
            "{spec}"
        );
        k.enable(day(0)).into_result().unwrap();
        let rev = k.revision();
        assert_eq!(
            err(k.rotate_key_on_demand(day(0)).into_result()),
            ("UnsupportedOperationException", String::new()),
            "{spec}"
        );
        assert_eq!(k.revision(), rev);
    }
}

#[test]
fn rotation_of_keys_of_other_origins_is_unsupported() {
    let mut k = key_with(KeySpec::SymmetricDefault, None, Origin::AwsKms);
    assert_eq!(
        err(k.rotate_key_on_demand(day(0)).into_result()),
        (
            "UnsupportedOperationException",
            format!("{ARN} origin is AWS_KMS which is not valid for this operation.")
        )
    );
    // The key spec is checked before the origin.
    let mut k = key_with(KeySpec::Rsa2048, Some(KeyUsage::SignVerify), Origin::AwsKms);
    assert_eq!(
        err(k.rotate_key_on_demand(day(0)).into_result()),
        ("UnsupportedOperationException", String::new())
    );
    // And the state before both.
    k.disable(day(0)).into_result().unwrap();
    assert_eq!(
        err(k.rotate_key_on_demand(day(0)).into_result()).0,
        "DisabledException"
    );
}

#[test]
fn twenty_sixth_on_demand_rotation_exceeds_the_limit() {
    assert_eq!(MAX_ON_DEMAND_ROTATIONS, 25);
    let rotated: Vec<u8> = (2..=26).collect();
    let mut k = rotated_key(1, &rotated);
    assert_eq!(k.on_demand_rotations(), 25);
    assert_eq!(k.current_key_material_id(), Some(id(26)));

    // A 26th material may still wait, but it cannot be rotated in.
    import(&mut k, 27, NEW, 30);
    let rev = k.revision();
    assert_eq!(
        err(k.rotate_key_on_demand(day(30)).into_result()),
        (
            "LimitExceededException",
            format!(
                "The on-demand rotations limit has been reached for the given keyId. No more \
                 on-demand rotations can be performed for this key: {ARN}"
            )
        )
    );
    assert_eq!(k.revision(), rev);
    assert_eq!(k.current_key_material_id(), Some(id(26)));
    assert_eq!(
        k.pending_material().map(|m| m.id()),
        Some(id(27)),
        "the refused rotation leaves the pending material alone"
    );
    k.check_invariants().unwrap();

    // The limit counts rotations, not present materials: deleting some does not help.
    k.delete_material(Some(id(27)), day(31))
        .into_result()
        .unwrap();
    k.delete_material(Some(id(2)), day(31))
        .into_result()
        .unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(2)).unwrap(),
        request(None, NEVER),
        day(31),
    )
    .unwrap();
    import(&mut k, 28, NEW, 31);
    assert_eq!(
        err(k.rotate_key_on_demand(day(31)).into_result()).0,
        "LimitExceededException"
    );
}

#[test]
fn limit_is_checked_after_the_pending_material() {
    let rotated: Vec<u8> = (2..=26).collect();
    let mut k = rotated_key(1, &rotated);
    assert_eq!(
        err(k.rotate_key_on_demand(day(30)).into_result()).1,
        format!("No available key material pending rotation for the key: {ARN}.")
    );
}

// --- ImportKeyMaterial with ImportType -----------------------------------------------------

#[test]
fn second_new_material_while_one_is_pending_is_invalid_state() {
    let mut k = symmetric_key();
    import(&mut k, 1, None, 0);
    import(&mut k, 2, NEW, 0);
    let rev = k.revision();
    assert_eq!(
        err(k.import_material(
            CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
            request(NEW, NEVER),
            day(0)
        )),
        (
            "KMSInvalidStateException",
            format!(
                "New key material (id: {}) cannot be imported into KMS key {ARN}, because \
                 another key material (id: {}) is pending rotation.",
                id(3),
                id(2)
            )
        )
    );
    assert_eq!(k.revision(), rev);
    assert_eq!(k.materials().len(), 2);
}

#[test]
fn existing_with_a_wrong_or_unknown_key_material_id_is_incorrect_key_material() {
    let mut k = rotated_key(1, &[2]);
    let existing = |given: Option<KeyMaterialId>| MaterialImport {
        key_material_id: given,
        ..request(EXISTING, NEVER)
    };
    // The id of another associated material.
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        existing(Some(id(2))),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    // An id associated with nothing.
    let unknown = KeyMaterialId::from_bytes([0xab; 32]);
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        existing(Some(unknown)),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    // Bytes never associated with the key, with or without their own id.
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(9)).unwrap(),
        existing(None),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(9)).unwrap(),
        existing(Some(id(9))),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    // An omitted ImportType after the first import means EXISTING too.
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(9)).unwrap(),
        request(None, NEVER),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    assert_eq!(k.materials().len(), 2);

    // The right id re-imports a NON_CURRENT material and replaces its expiration.
    let rev = k.revision();
    let again = MaterialImport {
        expiration: until(40),
        ..existing(Some(id(1)))
    };
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            again,
            day(5)
        ),
        Ok(id(1))
    );
    assert!(k.revision() > rev);
    assert_eq!(
        k.material_by_id(&id(1)).unwrap().expiration(),
        Some(until(40))
    );
    assert_eq!(k.valid_to(day(5)), Some(day(40)));
    assert_eq!(k.current_key_material_id(), Some(id(2)));
    k.check_invariants().unwrap();
}

#[test]
fn new_with_material_already_associated_is_incorrect_key_material() {
    let mut k = rotated_key(1, &[2]);
    for b in [1, 2] {
        let e = k.import_material(
            CheckedMaterial::check(k.key_spec(), material(b)).unwrap(),
            request(NEW, NEVER),
            day(5),
        );
        assert_eq!(err(e).0, "IncorrectKeyMaterialException", "material {b}");
    }
    // Pending material is associated too.
    import(&mut k, 3, NEW, 5);
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
        request(NEW, NEVER),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    assert_eq!(k.materials().len(), 3);
}

#[test]
fn import_type_on_hmac_or_asymmetric_keys_is_unsupported() {
    let ec = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/material/ec_p256.der"),
    )
    .unwrap();
    for (spec, usage, bytes) in [
        (KeySpec::Hmac384, None, KeyMaterial::new(vec![7; 48])),
        (
            KeySpec::EccNistP256,
            Some(KeyUsage::SignVerify),
            KeyMaterial::new(ec),
        ),
    ] {
        let mut k = key_with(spec, usage, Origin::External);
        for import_type in [NEW, EXISTING] {
            let e = k.import_material(
                CheckedMaterial::check(k.key_spec(), bytes.clone()).unwrap(),
                request(import_type, NEVER),
                day(0),
            );
            assert_eq!(
                err(e),
                (
                    "UnsupportedOperationException",
                    format!("ImportType is not supported for KeySpec {spec}.")
                )
            );
        }
        assert_eq!(k.key_state(), KeyState::PendingImport);
        k.import_material(
            CheckedMaterial::check(k.key_spec(), bytes).unwrap(),
            request(None, NEVER),
            day(0),
        )
        .unwrap();
        assert_eq!(k.key_state(), KeyState::Enabled);
        // Non-symmetric keys show no CurrentKeyMaterialId.
        assert_eq!(k.current_key_material_id(), None);
    }
}

// --- Deletion and expiry with several materials ---------------------------------------------

#[test]
fn deleting_non_current_material_makes_the_key_pending_import_until_reimported() {
    let mut k = rotated_key(1, &[2]);
    assert_eq!(
        k.delete_material(Some(id(1)), day(5)).into_result(),
        Ok(Some(id(1)))
    );
    assert_eq!(k.key_state(), KeyState::PendingImport);
    assert_eq!(err(k.check_usable(day(5))), pending_import());
    // DescribeKey: the current id survives; no model or date while material is missing.
    assert_eq!(k.current_key_material_id(), Some(id(2)));
    assert_eq!(k.expiration_model(day(5)), None);
    assert_eq!(k.valid_to(day(5)), None);
    let gone = k.material_by_id(&id(1)).unwrap();
    assert!(gone.material().is_none());
    assert_eq!(gone.import_state(), ImportState::PendingImport);
    assert_eq!(gone.material_state(), KeyMaterialState::NonCurrent);
    k.check_invariants().unwrap();

    // Only the same bytes restore it; the key is then Enabled again.
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
        request(None, NEVER),
        day(6),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    assert_eq!(import(&mut k, 1, None, 6), id(1));
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(k.current_key_material_id(), Some(id(2)));
    assert_eq!(
        k.expiration_model(day(6)),
        Some(ExpirationModel::KeyMaterialDoesNotExpire)
    );
    k.check_invariants().unwrap();
}

#[test]
fn deleting_non_current_material_of_a_disabled_key_makes_it_pending_import() {
    let mut k = rotated_key(1, &[2]);
    k.disable(day(5)).into_result().unwrap();
    k.delete_material(Some(id(1)), day(5))
        .into_result()
        .unwrap();
    assert_eq!(k.key_state(), KeyState::PendingImport);
    import(&mut k, 1, None, 6);
    assert_eq!(k.key_state(), KeyState::Enabled);
}

#[test]
fn deleting_current_material_after_rotation_defaults_to_the_current_one() {
    let mut k = rotated_key(1, &[2]);
    assert_eq!(
        k.delete_material(None, day(5)).into_result(),
        Ok(Some(id(2)))
    );
    assert_eq!(k.key_state(), KeyState::PendingImport);
    assert_eq!(k.current_key_material_id(), Some(id(2)));
    assert!(k.material_by_id(&id(1)).unwrap().material().is_some());
    import(&mut k, 2, EXISTING, 6);
    assert_eq!(k.key_state(), KeyState::Enabled);
    k.check_invariants().unwrap();
}

#[test]
fn deleting_pending_material_changes_nothing_and_frees_the_slot() {
    let mut k = rotated_key(1, &[2]);
    import(&mut k, 3, NEW, 5);
    assert_eq!(
        k.delete_material(Some(id(3)), day(5)).into_result(),
        Ok(Some(id(3)))
    );
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(k.current_key_material_id(), Some(id(2)));
    assert!(k.pending_material().is_none());
    assert_eq!(k.materials().len(), 2);
    k.check_usable(day(5)).unwrap();
    // Forgotten: its id is no longer associated.
    let e = k.import_material(
        CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
        request(EXISTING, NEVER),
        day(5),
    );
    assert_eq!(err(e).0, "IncorrectKeyMaterialException");
    assert_eq!(
        err(k.delete_material(Some(id(3)), day(5)).into_result()).0,
        "NotFoundException"
    );
    // Different bytes may now wait in its place, and be rotated in.
    import(&mut k, 4, NEW, 6);
    k.rotate_key_on_demand(day(6)).into_result().unwrap();
    assert_eq!(k.current_key_material_id(), Some(id(4)));
    k.check_invariants().unwrap();
}

#[test]
fn expiry_of_one_of_several_materials_makes_the_key_pending_import() {
    let mut k = symmetric_key();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        request(None, until(10)),
        day(0),
    )
    .unwrap();
    import(&mut k, 2, NEW, 1);
    k.rotate_key_on_demand(day(1)).into_result().unwrap();
    assert_eq!(k.state_at(day(9)), KeyState::Enabled);
    // The NON_CURRENT material expires; the CURRENT one never does.
    assert_eq!(k.state_at(day(10)), KeyState::PendingImport);
    let out = k.expire_materials(day(10));
    assert_eq!(out.expired, vec![id(1)]);
    assert_eq!(
        out.state_change,
        Some((KeyState::Enabled, KeyState::PendingImport))
    );
    assert_eq!(k.current_key_material_id(), Some(id(2)));
    assert!(k.material_by_id(&id(2)).unwrap().material().is_some());
    k.check_invariants().unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        request(None, until(50)),
        day(11),
    )
    .unwrap();
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(k.valid_to(day(11)), Some(day(50)));
}

#[test]
fn valid_to_is_the_earliest_expiry_among_permanently_associated_materials() {
    let mut k = symmetric_key();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        request(None, until(30)),
        day(0),
    )
    .unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(2)).unwrap(),
        request(NEW, until(20)),
        day(0),
    )
    .unwrap();
    // Pending material does not count.
    assert_eq!(k.valid_to(day(0)), Some(day(30)));
    k.rotate_key_on_demand(day(1)).into_result().unwrap();
    assert_eq!(k.valid_to(day(1)), Some(day(20)));
    assert_eq!(
        k.expiration_model(day(1)),
        Some(ExpirationModel::KeyMaterialExpires)
    );
    // Expiry on the NON_CURRENT material alone still makes the key expire.
    import(&mut k, 2, None, 2);
    assert_eq!(k.valid_to(day(2)), Some(day(30)));
    assert_eq!(
        k.expiration_model(day(2)),
        Some(ExpirationModel::KeyMaterialExpires)
    );
    import(&mut k, 1, None, 2);
    assert_eq!(k.valid_to(day(2)), None);
    assert_eq!(
        k.expiration_model(day(2)),
        Some(ExpirationModel::KeyMaterialDoesNotExpire)
    );
}

// --- Lookup for decryption ------------------------------------------------------------------

#[test]
fn material_by_id_finds_every_permanently_associated_material() {
    let mut k = rotated_key(1, &[2, 3]);
    import(&mut k, 4, NEW, 9);
    for b in [1, 2, 3] {
        let m = k.material_by_id(&id(b)).unwrap();
        assert_eq!(m.id(), id(b));
        assert_eq!(m.material().unwrap().expose_secret(), &[b; 32]);
    }
    assert_eq!(
        k.material_by_id(&id(3)).unwrap().material_state(),
        KeyMaterialState::Current
    );
    assert!(
        k.material_by_id(&id(4)).is_none(),
        "pending material is not for decryption"
    );
    assert!(k.material_by_id(&id(9)).is_none());
    assert!(
        k.material_by_id(&KeyMaterialId::derive("other-key", &material(1)))
            .is_none()
    );
}

// --- ListKeyRotations -----------------------------------------------------------------------

fn summary(entries: &[KeyMaterialEntry]) -> Vec<(KeyMaterialId, KeyMaterialState)> {
    entries
        .iter()
        .map(|e| (e.key_material_id, e.key_material_state))
        .collect()
}

#[test]
fn rotations_only_lists_the_materials_rotated_in_oldest_first() {
    let mut k = rotated_key(1, &[2, 3]);
    import(&mut k, 4, NEW, 9);
    let list = k
        .list_key_rotations(IncludeKeyMaterial::RotationsOnly, day(9))
        .unwrap();
    assert_eq!(
        summary(&list),
        vec![
            (id(2), KeyMaterialState::NonCurrent),
            (id(3), KeyMaterialState::Current)
        ]
    );
    assert_eq!(list[0].rotation_date, Some(day(1)));
    assert_eq!(list[1].rotation_date, Some(day(2)));
    assert!(
        list.iter()
            .all(|e| e.rotation_type == Some(RotationType::OnDemand))
    );
    assert!(
        symmetric_key()
            .list_key_rotations(IncludeKeyMaterial::RotationsOnly, day(0))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn all_key_material_lists_the_first_the_rotated_and_the_pending_material() {
    let mut k = symmetric_key();
    let described = |d: &str, expiration, import_type| MaterialImport {
        description: Some(d.to_owned()),
        ..request(import_type, expiration)
    };
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        described("first", until(60), None),
        day(0),
    )
    .unwrap();
    import(&mut k, 2, NEW, 1);
    k.rotate_key_on_demand(day(1)).into_result().unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
        described("next one", until(40), NEW),
        day(2),
    )
    .unwrap();
    k.delete_material(Some(id(2)), day(3))
        .into_result()
        .unwrap();

    let list = k
        .list_key_rotations(IncludeKeyMaterial::AllKeyMaterial, day(3))
        .unwrap();
    let expected = vec![
        KeyMaterialEntry {
            key_material_id: id(1),
            key_material_description: Some("first".into()),
            import_state: ImportState::Imported,
            key_material_state: KeyMaterialState::NonCurrent,
            expiration_model: Some(ExpirationModel::KeyMaterialExpires),
            valid_to: Some(day(60)),
            rotation_date: None,
            rotation_type: None,
        },
        KeyMaterialEntry {
            key_material_id: id(2),
            key_material_description: None,
            import_state: ImportState::PendingImport,
            key_material_state: KeyMaterialState::Current,
            expiration_model: None,
            valid_to: None,
            rotation_date: Some(day(1)),
            rotation_type: Some(RotationType::OnDemand),
        },
        KeyMaterialEntry {
            key_material_id: id(3),
            key_material_description: Some("next one".into()),
            import_state: ImportState::Imported,
            key_material_state: KeyMaterialState::PendingRotation,
            expiration_model: Some(ExpirationModel::KeyMaterialExpires),
            valid_to: Some(day(40)),
            rotation_date: None,
            rotation_type: None,
        },
    ];
    assert_eq!(list, expected);
}

#[test]
fn listing_shows_due_expiry_without_applying_it() {
    let mut k = symmetric_key();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        request(None, until(5)),
        day(0),
    )
    .unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(2)).unwrap(),
        request(NEW, until(5)),
        day(0),
    )
    .unwrap();
    let rev = k.revision();
    let list = k
        .list_key_rotations(IncludeKeyMaterial::AllKeyMaterial, day(5))
        .unwrap();
    // The first material shows as pending import; the expired pending one is gone.
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].key_material_id, id(1));
    assert_eq!(list[0].import_state, ImportState::PendingImport);
    assert_eq!(list[0].expiration_model, None);
    assert_eq!(k.revision(), rev);
    assert_eq!(k.materials().len(), 2);
}

#[test]
fn listing_works_in_every_key_state() {
    let mut k = rotated_key(1, &[2]);
    k.schedule_deletion(day(5), None).into_result().unwrap();
    let list = k
        .list_key_rotations(IncludeKeyMaterial::RotationsOnly, day(5))
        .unwrap();
    assert_eq!(summary(&list), vec![(id(2), KeyMaterialState::Current)]);
}

#[test]
fn listing_rotations_of_hmac_asymmetric_or_other_origin_keys_is_unsupported() {
    for (spec, usage, origin, message) in [
        (KeySpec::Hmac256, None, Origin::External, String::new()),
        (
            KeySpec::Rsa2048,
            Some(KeyUsage::EncryptDecrypt),
            Origin::External,
            String::new(),
        ),
        (
            KeySpec::SymmetricDefault,
            None,
            Origin::AwsKms,
            format!("{ARN} origin is AWS_KMS which is not valid for this operation."),
        ),
    ] {
        let k = key_with(spec, usage, origin);
        for include in [
            IncludeKeyMaterial::RotationsOnly,
            IncludeKeyMaterial::AllKeyMaterial,
        ] {
            assert_eq!(
                err(k.list_key_rotations(include, day(0))),
                ("UnsupportedOperationException", message.clone())
            );
        }
    }
}

#[test]
fn listing_pages_through_every_material_with_markers() {
    let mut k = rotated_key(1, &[2, 3, 4]);
    import(&mut k, 5, NEW, 9);
    let marker_of = |e: &KeyMaterialEntry| e.key_material_id.to_string();
    let list = |k: &KeyRecord| {
        k.list_key_rotations(IncludeKeyMaterial::AllKeyMaterial, day(9))
            .unwrap()
    };
    let first = paginate(list(&k), Some(2), None, marker_of).unwrap();
    assert_eq!(
        first
            .items
            .iter()
            .map(|e| e.key_material_id)
            .collect::<Vec<_>>(),
        vec![id(1), id(2)]
    );
    assert!(first.truncated());
    let marker = first.next_marker.unwrap();
    assert_eq!(marker, id(3).to_string());

    // A rotation between pages does not disturb the marker.
    k.rotate_key_on_demand(day(10)).into_result().unwrap();
    let second = paginate(list(&k), Some(2), Some(&marker), marker_of).unwrap();
    assert_eq!(
        summary(&second.items),
        vec![
            (id(3), KeyMaterialState::NonCurrent),
            (id(4), KeyMaterialState::NonCurrent)
        ]
    );
    let third = paginate(list(&k), Some(2), second.next_marker.as_deref(), marker_of).unwrap();
    assert_eq!(
        summary(&third.items),
        vec![(id(5), KeyMaterialState::Current)]
    );
    assert!(!third.truncated());

    let e = paginate(list(&k), Some(2), Some(&id(9).to_string()), marker_of).unwrap_err();
    assert_eq!(e.code(), "InvalidMarkerException");
}

#[cfg(feature = "serde")]
#[test]
fn list_page_converts_to_the_wire_response() {
    use kms_import::wire::ListKeyRotationsResponse;

    let mut k = rotated_key(1, &[2]);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
        request(NEW, until(40)),
        day(5),
    )
    .unwrap();
    let list = k
        .list_key_rotations(IncludeKeyMaterial::AllKeyMaterial, day(5))
        .unwrap();
    let page = paginate(list, Some(2), None, |e| e.key_material_id.to_string()).unwrap();
    let response = ListKeyRotationsResponse::from_page(KEY_ID, &page);
    let json: serde_json::Value = serde_json::to_value(&response).unwrap();
    assert_eq!(json["Truncated"], true);
    assert_eq!(json["NextMarker"], id(3).to_string());
    let rotations = json["Rotations"].as_array().unwrap();
    assert_eq!(rotations.len(), 2);
    let first = rotations[0].as_object().unwrap();
    assert_eq!(first["KeyId"], KEY_ID);
    assert_eq!(first["KeyMaterialId"], id(1).to_string());
    assert_eq!(first["KeyMaterialState"], "NON_CURRENT");
    assert_eq!(first["ImportState"], "IMPORTED");
    assert_eq!(first["ExpirationModel"], "KEY_MATERIAL_DOES_NOT_EXPIRE");
    assert!(!first.contains_key("RotationDate"));
    assert!(!first.contains_key("RotationType"));
    assert!(!first.contains_key("ValidTo"));
    let second = &rotations[1];
    assert_eq!(second["KeyMaterialState"], "CURRENT");
    assert_eq!(second["RotationType"], "ON_DEMAND");
    assert_eq!(second["RotationDate"], day(1).unix_timestamp());
}

#[cfg(feature = "serde")]
#[test]
fn rotated_records_round_trip_and_older_records_still_load() {
    let mut k = rotated_key(1, &[2]);
    import(&mut k, 3, NEW, 5);
    let json = k.to_plaintext_json_insecure().unwrap();
    let back = KeyRecord::from_plaintext_json_insecure(&json).unwrap();
    back.check_invariants().unwrap();
    assert_eq!(*back.to_plaintext_json_insecure().unwrap(), *json);
    assert_eq!(back.materials()[1].rotation_date(), Some(day(1)));
    assert_eq!(back.on_demand_rotations(), 1);

    // Records written before rotation existed (unversioned form) lack the rotation members.
    let mut old = symmetric_key();
    let id = import(&mut old, 1, None, 0);
    let unversioned = format!(
        r#"{{"arn":"{ARN}","creation_date":"2026-05-28T20:26:40Z","key_state":"Enabled",
        "origin":"EXTERNAL","key_spec":"SYMMETRIC_DEFAULT","key_usage":"ENCRYPT_DECRYPT",
        "description":"","deletion_date":null,"materials":[{{"id":"{id}",
        "material":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "expiration":{{"model":"KEY_MATERIAL_DOES_NOT_EXPIRE"}},"material_state":"CURRENT",
        "description":null}}],"revision":{}}}"#,
        old.revision()
    );
    let loaded = KeyRecord::from_plaintext_json_insecure(&unversioned).unwrap();
    assert_eq!(loaded.materials()[0].rotation_date(), None);
    assert_eq!(loaded.materials()[0].id(), id);
    assert_eq!(
        *loaded.to_plaintext_json_insecure().unwrap(),
        *old.to_plaintext_json_insecure().unwrap()
    );
}
