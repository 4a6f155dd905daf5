use time::Duration;

use super::*;
use crate::expiration::{Expiration, VALID_TO_NOT_FUTURE_MESSAGE};
use crate::material::{CheckedMaterial, KeyMaterial};
use crate::names::{ImportState, ImportType, KeyMaterialState};
use crate::state::DisabledImportPolicy;

const ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap()
}

fn ctx() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").unwrap()
}

fn create(spec: KeySpec, origin: Origin) -> KeyRecord {
    KeyRecord::create(
        &ctx(),
        ID.parse().unwrap(),
        CreateKeyParams {
            key_spec: spec,
            key_usage: None,
            origin,
            description: Some("test key".into()),
        },
        t0(),
    )
    .unwrap()
}

fn expires_in(days: i64) -> MaterialImport {
    MaterialImport {
        expiration: Expiration::Expires {
            valid_to: t0() + Duration::days(days),
        },
        import_type: None,
        key_material_id: None,
        description: None,
        disabled_import_policy: DisabledImportPolicy::default(),
    }
}

fn material(b: u8) -> KeyMaterial {
    KeyMaterial::new(vec![b; 32])
}

fn arn() -> String {
    format!("arn:aws:kms:us-east-1:111122223333:key/{ID}")
}

#[test]
fn external_key_starts_pending_import_without_material_metadata() {
    let k = create(KeySpec::SymmetricDefault, Origin::External);
    assert_eq!(k.key_state(), KeyState::PendingImport);
    assert!(!k.enabled(t0()));
    assert_eq!(k.expiration_model(t0()), None);
    assert_eq!(k.valid_to(t0()), None);
    assert_eq!(k.current_key_material_id(), None);
    assert_eq!(k.key_usage(), KeyUsage::EncryptDecrypt);
    assert_eq!(k.key_manager(), KeyManager::Customer);
    assert_eq!(k.account_id().as_str(), "111122223333");
    assert_eq!(k.arn().to_string(), arn());
    assert_eq!(k.revision(), 0);
    assert!(!k.multi_region());
    k.check_invariants().unwrap();
}

#[test]
fn other_origins_start_enabled_and_refuse_import_operations() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::AwsKms);
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert!(k.material_complete());
    let e = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            expires_in(1),
            t0(),
        )
        .unwrap_err();
    assert_eq!(e.code(), "UnsupportedOperationException");
    assert_eq!(
        e.message(),
        format!(
            "{} origin is AWS_KMS which is not valid for this operation.",
            arn()
        )
    );
    assert_eq!(
        k.delete_material(None, t0())
            .into_result()
            .unwrap_err()
            .code(),
        "UnsupportedOperationException"
    );
    k.check_invariants().unwrap();
}

#[test]
fn create_validates_usage_spec_and_origin() {
    let params = |key_spec, key_usage, origin| CreateKeyParams {
        key_spec,
        key_usage,
        origin,
        description: None,
    };
    let make = |p| KeyRecord::create(&ctx(), ID.parse().unwrap(), p, t0()).map(|_| ());
    let code = |p| make(p).unwrap_err().code();
    assert_eq!(
        code(params(KeySpec::EccNistP256, None, Origin::External)),
        "ValidationException"
    );
    assert_eq!(
        code(params(
            KeySpec::SymmetricDefault,
            Some(KeyUsage::SignVerify),
            Origin::External
        )),
        "ValidationException"
    );
    assert_eq!(
        code(params(
            KeySpec::MlDsa44,
            Some(KeyUsage::SignVerify),
            Origin::External
        )),
        "UnsupportedOperationException"
    );
    assert!(
        make(params(
            KeySpec::MlDsa44,
            Some(KeyUsage::SignVerify),
            Origin::AwsKms
        ))
        .is_ok()
    );
    assert!(
        make(params(
            KeySpec::EccNistP256,
            Some(KeyUsage::KeyAgreement),
            Origin::External
        ))
        .is_ok()
    );
    let mrk = KeyRecord::create(
        &ctx(),
        "mrk-1234abcd12ab34cd56ef1234567890ab".parse().unwrap(),
        params(KeySpec::SymmetricDefault, None, Origin::External),
        t0(),
    );
    assert_eq!(mrk.unwrap_err().code(), "UnsupportedOperationException");
    let long = CreateKeyParams {
        description: Some("d".repeat(8193)),
        ..params(KeySpec::SymmetricDefault, None, Origin::External)
    };
    assert_eq!(code(long), "ValidationException");
}

#[test]
fn import_enables_and_expiry_returns_to_pending_import_keeping_the_id() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    let id = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            expires_in(10),
            t0(),
        )
        .unwrap();
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(id, KeyMaterialId::derive(ID, &material(1)));
    assert_eq!(
        k.expiration_model(t0()),
        Some(ExpirationModel::KeyMaterialExpires)
    );
    let valid_to = t0() + Duration::days(10);
    assert_eq!(k.valid_to(t0()), Some(valid_to));
    assert_eq!(k.current_key_material_id(), Some(id));
    k.check_usable(t0()).unwrap();
    k.check_invariants().unwrap();

    // Due expiry shows before it is applied, without changing the record.
    let rev = k.revision();
    assert_eq!(k.state_at(valid_to), KeyState::PendingImport);
    // The DescribeKey accessors never show a ValidTo that has passed.
    assert!(k.enabled(t0()));
    assert!(!k.enabled(valid_to));
    assert_eq!(k.valid_to(valid_to), None);
    assert_eq!(k.expiration_model(valid_to), None);
    let view = k.describe(valid_to);
    assert_eq!(
        (
            view.key_state,
            view.enabled,
            view.valid_to,
            view.expiration_model
        ),
        (KeyState::PendingImport, false, None, None)
    );
    assert_eq!(view.current_key_material_id, Some(id));
    let before = k.describe(valid_to - Duration::seconds(1));
    assert_eq!(
        (before.key_state, before.enabled, before.valid_to),
        (KeyState::Enabled, true, Some(valid_to))
    );
    assert_eq!(
        before.expiration_model,
        Some(ExpirationModel::KeyMaterialExpires)
    );
    let e = k.check_usable(valid_to).unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            "KMSInvalidStateException",
            format!("{} is pending import.", arn())
        )
    );
    assert_eq!(k.revision(), rev);

    let out = k.expire_materials(valid_to);
    assert!(out.changed());
    assert_eq!(out.expired, vec![id]);
    assert_eq!(
        out.state_change,
        Some((KeyState::Enabled, KeyState::PendingImport))
    );
    assert!(k.revision() > rev);
    assert_eq!(k.key_state(), KeyState::PendingImport);
    assert_eq!(k.expiration_model(valid_to), None);
    assert_eq!(k.valid_to(valid_to), None);
    assert_eq!(k.current_key_material_id(), Some(id));
    let m = k.current_material().unwrap();
    assert!(m.material().is_none());
    assert_eq!(m.import_state(), ImportState::PendingImport);
    assert_eq!(m.expiration(), None);
    k.check_invariants().unwrap();

    // Only the same material restores the key.
    let later = valid_to + Duration::hours(1);
    let e = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(2)).unwrap(),
            expires_in(20),
            later,
        )
        .unwrap_err();
    assert_eq!(e.code(), "IncorrectKeyMaterialException");
    assert_eq!(k.key_state(), KeyState::PendingImport);
    let mut never = expires_in(0);
    never.expiration = Expiration::DoesNotExpire;
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            never,
            later
        ),
        Ok(id)
    );
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(
        k.expiration_model(later),
        Some(ExpirationModel::KeyMaterialDoesNotExpire)
    );
    assert_eq!(k.valid_to(later), None);
    k.check_invariants().unwrap();
}

#[test]
fn expiry_with_nothing_due_changes_nothing() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        expires_in(10),
        t0(),
    )
    .unwrap();
    let rev = k.revision();
    let out = k.expire_materials(t0() + Duration::days(9));
    assert!(out.is_empty());
    assert_eq!(out, ExpiryOutcome::default());
    assert_eq!(k.revision(), rev);
}

#[test]
fn delete_moves_to_pending_import_and_reimport_restores() {
    let mut k = create(KeySpec::Hmac256, Origin::External);
    let id = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            expires_in(10),
            t0(),
        )
        .unwrap();
    k.disable(t0()).into_result().unwrap();
    assert_eq!(k.delete_material(None, t0()).into_result(), Ok(Some(id)));
    assert_eq!(k.key_state(), KeyState::PendingImport);
    let e = k.enable(t0()).into_result().unwrap_err();
    assert_eq!(e.message(), format!("{} is pending import.", arn()));
    // Deleting again is a no-op that still answers the id.
    let rev = k.revision();
    assert_eq!(k.delete_material(None, t0()).into_result(), Ok(Some(id)));
    assert_eq!(k.revision(), rev);
    // HMAC keys take no ImportType.
    let mut typed = expires_in(10);
    typed.import_type = Some(ImportType::ExistingKeyMaterial);
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            expires_in(0),
            t0()
        )
        .unwrap_err()
        .message(),
        VALID_TO_NOT_FUTURE_MESSAGE
    );
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            typed,
            t0()
        )
        .unwrap_err()
        .code(),
        "UnsupportedOperationException"
    );
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        expires_in(10),
        t0(),
    )
    .unwrap();
    assert_eq!(k.key_state(), KeyState::Enabled);
    let unknown = KeyMaterialId::from_bytes([9; 32]);
    assert_eq!(
        k.delete_material(Some(unknown), t0())
            .into_result()
            .unwrap_err()
            .code(),
        "NotFoundException"
    );
    k.check_invariants().unwrap();
}

#[test]
fn import_into_disabled_key_stays_disabled_by_default() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        expires_in(10),
        t0(),
    )
    .unwrap();
    k.disable(t0()).into_result().unwrap();
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        expires_in(20),
        t0(),
    )
    .unwrap();
    assert_eq!(k.key_state(), KeyState::Disabled);
    assert_eq!(k.valid_to(t0()), Some(t0() + Duration::days(20)));
    let mut reject = expires_in(30);
    reject.disabled_import_policy = DisabledImportPolicy::Reject;
    let e = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            reject,
            t0(),
        )
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            "KMSInvalidStateException",
            format!("{} is disabled.", arn())
        )
    );
    assert_eq!(k.valid_to(t0()), Some(t0() + Duration::days(20)));
    let mut enable = expires_in(30);
    enable.disabled_import_policy = DisabledImportPolicy::Enable;
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        enable,
        t0(),
    )
    .unwrap();
    assert_eq!(k.key_state(), KeyState::Enabled);
}

#[test]
fn new_material_waits_in_pending_rotation_without_changing_state() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    let first = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            expires_in(10),
            t0(),
        )
        .unwrap();
    let mut new = expires_in(5);
    new.import_type = Some(ImportType::NewKeyMaterial);
    let second = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(2)).unwrap(),
            new.clone(),
            t0(),
        )
        .unwrap();
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(k.current_key_material_id(), Some(first));
    assert_eq!(k.materials().len(), 2);
    assert_eq!(
        k.materials()[1].material_state(),
        KeyMaterialState::PendingRotation
    );
    assert!(!k.materials()[1].is_permanently_associated());
    // Pending material does not count for ValidTo.
    assert_eq!(k.valid_to(t0()), Some(t0() + Duration::days(10)));
    let e = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(3)).unwrap(),
            new.clone(),
            t0(),
        )
        .unwrap_err();
    assert_eq!(e.code(), "KMSInvalidStateException");
    let e = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            new.clone(),
            t0(),
        )
        .unwrap_err();
    assert_eq!(e.code(), "IncorrectKeyMaterialException");
    let mut with_id = new.clone();
    with_id.key_material_id = Some(first);
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            with_id,
            t0()
        )
        .unwrap_err()
        .code(),
        "ValidationException"
    );
    // Its expiry forgets it and leaves the key alone.
    let out = k.expire_materials(t0() + Duration::days(5));
    assert_eq!(out.expired, vec![second]);
    assert_eq!(out.state_change, None);
    assert_eq!(k.materials().len(), 1);
    assert_eq!(k.key_state(), KeyState::Enabled);
    k.check_invariants().unwrap();
    // Deleting pending material forgets it too.
    new.expiration = Expiration::DoesNotExpire;
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(4)).unwrap(),
        new,
        t0() + Duration::days(5),
    )
    .unwrap();
    let pending = k.materials()[1].id();
    assert_eq!(
        k.delete_material(Some(pending), t0() + Duration::days(5))
            .into_result(),
        Ok(Some(pending))
    );
    assert_eq!(k.key_state(), KeyState::Enabled);
    assert_eq!(k.materials().len(), 1);
    k.check_invariants().unwrap();
}

#[test]
fn key_material_id_must_match_the_material() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    let id = k
        .import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            expires_in(10),
            t0(),
        )
        .unwrap();
    let mut req = expires_in(10);
    req.import_type = Some(ImportType::ExistingKeyMaterial);
    req.key_material_id = Some(KeyMaterialId::from_bytes([0; 32]));
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            req.clone(),
            t0()
        )
        .unwrap_err()
        .code(),
        "IncorrectKeyMaterialException"
    );
    req.key_material_id = Some(id);
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            req,
            t0()
        ),
        Ok(id)
    );
}

#[test]
fn material_description_is_validated() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    let mut req = expires_in(10);
    req.description = Some("bad;chars".into());
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            req.clone(),
            t0()
        )
        .unwrap_err()
        .code(),
        "ValidationException"
    );
    req.description = Some("d".repeat(257));
    assert_eq!(
        k.import_material(
            CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
            req.clone(),
            t0()
        )
        .unwrap_err()
        .code(),
        "ValidationException"
    );
    req.description = Some("Q3 2026 material: v1.0/rotation_a".into());
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        req,
        t0(),
    )
    .unwrap();
    assert_eq!(
        k.materials()[0].description(),
        Some("Q3 2026 material: v1.0/rotation_a")
    );
}

#[test]
fn deletion_window_is_validated_and_sets_the_deletion_date() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    for (days, bound) in [
        (6, "greater than or equal to 7"),
        (31, "less than or equal to 30"),
    ] {
        let e = k
            .schedule_deletion(t0(), Some(days))
            .into_result()
            .unwrap_err();
        assert_eq!(e.code(), "ValidationException");
        assert_eq!(
            e.message(),
            format!(
                "1 validation error detected: Value '{days}' at 'pendingWindowInDays' \
                 failed to satisfy constraint: Member must have value {bound}"
            )
        );
    }
    assert_eq!(k.key_state(), KeyState::PendingImport);
    assert_eq!(
        k.schedule_deletion(t0(), None).into_result(),
        Ok(t0() + Duration::days(30))
    );
    assert_eq!(k.key_state(), KeyState::PendingDeletion);
    assert_eq!(k.deletion_date(), Some(t0() + Duration::days(30)));
    assert!(!k.deletion_due(t0() + Duration::days(29)));
    assert!(k.deletion_due(t0() + Duration::days(30)));
    let e = k
        .schedule_deletion(t0(), Some(7))
        .into_result()
        .unwrap_err();
    assert_eq!(e.message(), format!("{} is pending deletion.", arn()));
    k.check_invariants().unwrap();
    // Cancelling a key that never had material gives PendingImport, not Disabled.
    k.cancel_deletion(t0()).into_result().unwrap();
    assert_eq!(k.key_state(), KeyState::PendingImport);
    assert_eq!(k.deletion_date(), None);
    let e = k.cancel_deletion(t0()).into_result().unwrap_err();
    assert_eq!(e.message(), format!("{} is not pending deletion.", arn()));
    k.check_invariants().unwrap();
}

#[test]
fn cancel_after_expiry_during_pending_deletion_gives_pending_import() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        expires_in(3),
        t0(),
    )
    .unwrap();
    k.schedule_deletion(t0(), Some(7)).into_result().unwrap();
    let later = t0() + Duration::days(4);
    let out = k.expire_materials(later);
    assert_eq!(out.expired.len(), 1);
    assert_eq!(out.state_change, None);
    assert_eq!(k.key_state(), KeyState::PendingDeletion);
    k.cancel_deletion(later).into_result().unwrap();
    assert_eq!(k.key_state(), KeyState::PendingImport);

    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), material(1)).unwrap(),
        expires_in(30),
        t0(),
    )
    .unwrap();
    k.schedule_deletion(t0(), Some(7)).into_result().unwrap();
    let e = k.check_usable(t0()).unwrap_err();
    assert_eq!(e.message(), format!("{} is pending deletion.", arn()));
    k.cancel_deletion(t0()).into_result().unwrap();
    assert_eq!(k.key_state(), KeyState::Disabled);
    assert_eq!(
        k.check_usable(t0()).unwrap_err().code(),
        "DisabledException"
    );
    k.check_invariants().unwrap();
}

#[test]
fn debug_never_shows_material_bytes() {
    let mut k = create(KeySpec::SymmetricDefault, Origin::External);
    k.import_material(
        CheckedMaterial::check(k.key_spec(), KeyMaterial::new(vec![0x5a; 32])).unwrap(),
        expires_in(1),
        t0(),
    )
    .unwrap();
    let s = format!("{k:?}");
    assert!(s.contains("<redacted>"));
    assert!(!s.contains("90, 90") && !s.contains("5a5a"), "{s}");
}
