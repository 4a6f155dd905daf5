//! Random sequences of key-record operations with time jumps, several materials and on-demand
//! rotations: nothing panics, the record's invariants hold after every step, a refused
//! operation changes nothing but due expiry, and the revision only moves forward.

use kms_import::CheckedMaterial;
use kms_import::IncludeKeyMaterial;
use kms_import::MAX_ON_DEMAND_ROTATIONS;
use kms_import::MaterialImport;
use kms_import::{
    CreateKeyParams, DisabledImportPolicy, Expiration, ImportType, KeyContext, KeyMaterial,
    KeyMaterialId, KeyMaterialState, KeyRecord, KeySpec, KeyState, Origin,
};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone)]
enum Step {
    Advance(i64),
    Enable,
    Disable,
    Schedule(Option<u32>),
    Cancel,
    Expire,
    Import {
        bytes: u8,
        valid_for: Option<i64>,
        import_type: Option<ImportType>,
        /// Sends the `KeyMaterialId` of the nth material (right or wrong for `bytes`).
        id_of: Option<usize>,
        policy: DisabledImportPolicy,
    },
    Delete {
        nth: Option<usize>,
    },
    Rotate,
    Use,
}

fn step() -> impl Strategy<Value = Step> {
    let policy = prop_oneof![
        Just(DisabledImportPolicy::StayDisabled),
        Just(DisabledImportPolicy::Enable),
        Just(DisabledImportPolicy::Reject),
    ];
    let import_type = prop_oneof![
        2 => Just(None),
        2 => Just(Some(ImportType::NewKeyMaterial)),
        1 => Just(Some(ImportType::ExistingKeyMaterial)),
    ];
    prop_oneof![
        3 => (0i64..3 * 86_400).prop_map(Step::Advance),
        2 => Just(Step::Enable),
        2 => Just(Step::Disable),
        1 => proptest::option::of(5u32..32).prop_map(Step::Schedule),
        1 => Just(Step::Cancel),
        1 => Just(Step::Expire),
        5 => (
            0u8..4,
            proptest::option::weighted(0.6, -10i64..5 * 86_400),
            import_type,
            proptest::option::weighted(0.2, 0usize..4),
            policy,
        )
            .prop_map(|(bytes, valid_for, import_type, id_of, policy)| Step::Import {
                bytes,
                valid_for,
                import_type,
                id_of,
                policy,
            }),
        1 => proptest::option::of(0usize..4).prop_map(|nth| Step::Delete { nth }),
        3 => Just(Step::Rotate),
        2 => Just(Step::Use),
    ]
}

fn spec() -> impl Strategy<Value = (KeySpec, Origin)> {
    prop_oneof![
        4 => Just((KeySpec::SymmetricDefault, Origin::External)),
        2 => Just((KeySpec::Hmac256, Origin::External)),
        1 => Just((KeySpec::SymmetricDefault, Origin::AwsKms)),
    ]
}

fn apply(
    k: &mut KeyRecord,
    now: &mut OffsetDateTime,
    step: &Step,
) -> Result<(), kms_import::Error> {
    match step {
        Step::Advance(secs) => {
            *now += Duration::seconds(*secs);
            Ok(())
        }
        Step::Enable => k.enable(*now).into_result(),
        Step::Disable => k.disable(*now).into_result(),
        Step::Schedule(days) => k.schedule_deletion(*now, *days).into_result().map(|_| ()),
        Step::Cancel => k.cancel_deletion(*now).into_result(),
        Step::Expire => {
            k.expire_materials(*now);
            Ok(())
        }
        Step::Import {
            bytes,
            valid_for,
            import_type,
            id_of,
            policy,
        } => {
            let expiration = match valid_for {
                None => Expiration::DoesNotExpire,
                Some(secs) => Expiration::Expires {
                    valid_to: *now + Duration::seconds(*secs),
                },
            };
            let request = MaterialImport {
                expiration,
                import_type: *import_type,
                key_material_id: id_of.and_then(|i| k.materials().get(i).map(|m| m.id())),
                description: None,
                disabled_import_policy: *policy,
            };
            k.import_material(
                CheckedMaterial::check(k.key_spec(), KeyMaterial::new(vec![*bytes; 32])).unwrap(),
                request,
                *now,
            )
            .map(|_| ())
        }
        Step::Delete { nth } => {
            let id = nth.and_then(|i| k.materials().get(i).map(|m| m.id()));
            k.delete_material(id, *now).into_result().map(|_| ())
        }
        Step::Rotate => k.rotate_key_on_demand(*now).into_result().map(|_| ()),
        Step::Use => k.check_usable(*now),
    }
}

type MaterialView = (String, bool, KeyMaterialState, Option<Expiration>);

/// What a refused operation must leave untouched (expiry aside, which is applied first).
fn snapshot(k: &KeyRecord) -> (KeyState, Option<OffsetDateTime>, Vec<MaterialView>) {
    (
        k.key_state(),
        k.deletion_date(),
        k.materials()
            .iter()
            .map(|m| {
                (
                    m.id().to_string(),
                    m.material().is_some(),
                    m.material_state(),
                    m.expiration(),
                )
            })
            .collect(),
    )
}

/// Checks what a step must have done beyond keeping the invariants.
fn check_step(
    step: &Step,
    before: &KeyRecord,
    after: &KeyRecord,
    result: &Result<(), kms_import::Error>,
    now: OffsetDateTime,
) -> Result<(), TestCaseError> {
    let mut expired = before.clone();
    expired.expire_materials(now);
    let ids = |k: &KeyRecord, s: KeyMaterialState| -> Vec<KeyMaterialId> {
        k.materials()
            .iter()
            .filter(|m| m.material_state() == s)
            .map(|m| m.id())
            .collect()
    };
    if let Step::Rotate = step {
        match result {
            Ok(()) => {
                let pending = expired.pending_material().map(|m| m.id());
                prop_assert!(pending.is_some());
                prop_assert_eq!(after.current_key_material_id(), pending);
                let previous = expired.current_material().map(|m| m.id());
                prop_assert!(
                    previous.is_some_and(|p| ids(after, KeyMaterialState::NonCurrent).contains(&p))
                );
                prop_assert_eq!(
                    after.on_demand_rotations(),
                    expired.on_demand_rotations() + 1
                );
                prop_assert!(after.pending_material().is_none());
                prop_assert_eq!(after.key_state(), expired.key_state());
                prop_assert!(after.revision() > before.revision());
            }
            Err(e) if e.code() == "LimitExceededException" => {
                prop_assert_eq!(expired.on_demand_rotations(), MAX_ON_DEMAND_ROTATIONS);
            }
            Err(_) => {}
        }
    }
    // The list view agrees with the record.
    if let Ok(all) = after.list_key_rotations(IncludeKeyMaterial::AllKeyMaterial, now) {
        let mut applied = after.clone();
        applied.expire_materials(now);
        prop_assert_eq!(all.len(), applied.materials().len());
        let rotations = after
            .list_key_rotations(IncludeKeyMaterial::RotationsOnly, now)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(rotations.len(), after.on_demand_rotations());
    }
    for m in after.materials() {
        let found = after.material_by_id(&m.id()).map(|f| f.id());
        prop_assert_eq!(found.is_some(), m.is_permanently_associated());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_operation_sequences_keep_the_record_consistent(
        (key_spec, origin) in spec(),
        steps in proptest::collection::vec(step(), 1..40),
    ) {
        let ctx = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
        let mut now = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
        let mut k = KeyRecord::create(
            &ctx,
            "1234abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap(),
            CreateKeyParams { key_spec, key_usage: None, origin, description: None },
            now,
        )
        .unwrap();
        k.check_invariants().unwrap();
        for step in &steps {
            let before_rev = k.revision();
            // Operations apply due expiry first (validation errors come before it); a refused
            // operation must leave the record as that expiry alone would.
            let mut expected = k.clone();
            let at = match step {
                Step::Advance(secs) => now + Duration::seconds(*secs),
                _ => now,
            };
            expected.expire_materials(at);
            let before = k.clone();
            let result = apply(&mut k, &mut now, step);
            if let Err(e) = &result {
                prop_assert!(e.code() != "KMSInternalException", "{step:?}: {e}");
                let mut after = k.clone();
                after.expire_materials(at);
                prop_assert_eq!(snapshot(&after), snapshot(&expected), "{:?} refused: {}", step, e);
            }
            prop_assert!(k.revision() >= before_rev);
            if let Err(msg) = k.check_invariants() {
                return Err(TestCaseError::fail(format!("after {step:?}: {msg}\n{k:?}")));
            }
            check_step(step, &before, &k, &result, now)?;
            // The read-only view agrees with applying the expiry.
            let mut applied = k.clone();
            applied.expire_materials(now);
            prop_assert_eq!(k.state_at(now), applied.key_state());
            prop_assert_eq!(k.describe(now), applied.describe(now));
            // The stored form keeps everything: the record reloads as it was.
            let stored = k.to_plaintext_json_insecure().unwrap();
            let back = KeyRecord::from_plaintext_json_insecure(&stored)
                .map_err(|e| TestCaseError::fail(format!("after {step:?}: {e}")))?;
            prop_assert_eq!(&*back.to_plaintext_json_insecure().unwrap(), &*stored);
            prop_assert_eq!(back.describe(now), k.describe(now));
            if k.check_usable(now).is_ok() {
                prop_assert!(matches!(applied.key_state(), KeyState::Enabled | KeyState::Updating));
                prop_assert!(applied.material_complete());
            }
            prop_assert!(
                k.materials().iter().filter(|m| m.material_state() == KeyMaterialState::Current).count()
                    <= 1
            );
        }
    }
}

#[derive(Debug, Clone)]
enum HistoryStep {
    New(u8),
    Rotate,
    Reimport(usize),
    Delete(usize),
    Advance(i64),
}

fn history_step() -> impl Strategy<Value = HistoryStep> {
    prop_oneof![
        5 => any::<u8>().prop_map(HistoryStep::New),
        5 => Just(HistoryStep::Rotate),
        2 => (0usize..30).prop_map(HistoryStep::Reimport),
        1 => (0usize..30).prop_map(HistoryStep::Delete),
        1 => (0i64..40 * 86_400).prop_map(HistoryStep::Advance),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Long histories of a symmetric key with many distinct materials run into the rotation
    /// quota: it is never exceeded, and it is the only reason a rotation of an Enabled key
    /// with pending material fails.
    #[test]
    fn long_rotation_histories_respect_the_quota(
        steps in proptest::collection::vec(history_step(), 150..300),
    ) {
        let ctx = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
        let mut now = OffsetDateTime::from_unix_timestamp(1_780_000_000).unwrap();
        let mut k = KeyRecord::create(
            &ctx,
            "1234abcd-12ab-34cd-56ef-1234567890ab".parse().unwrap(),
            CreateKeyParams {
                key_spec: KeySpec::SymmetricDefault,
                key_usage: None,
                origin: Origin::External,
                description: None,
            },
            now,
        )
        .unwrap();
        // Kept so that deleted material can be re-imported later.
        let mut seen: Vec<(KeyMaterialId, u8)> = Vec::new();
        let request = |import_type| MaterialImport {
            expiration: Expiration::DoesNotExpire,
            import_type,
            key_material_id: None,
            description: None,
            disabled_import_policy: DisabledImportPolicy::default(),
        };
        for step in &steps {
            match step {
                HistoryStep::New(b) => {
                    let import_type = (!k.materials().is_empty()).then_some(ImportType::NewKeyMaterial);
                    if let Ok(id) = k.import_material(CheckedMaterial::check(k.key_spec(), KeyMaterial::new(vec![*b; 32])).unwrap(), request(import_type), now) {
                        seen.push((id, *b));
                    }
                }
                HistoryStep::Rotate => {
                    let mut expired = k.clone();
                    expired.expire_materials(now);
                    let ready = expired.key_state() == KeyState::Enabled
                        && expired.pending_material().is_some();
                    match k.rotate_key_on_demand(now).into_result() {
                        Ok(out) => prop_assert!(out.on_demand_rotations <= MAX_ON_DEMAND_ROTATIONS),
                        Err(e) if ready => {
                            prop_assert_eq!(e.code(), "LimitExceededException");
                            prop_assert_eq!(k.on_demand_rotations(), MAX_ON_DEMAND_ROTATIONS);
                        }
                        Err(_) => {}
                    }
                }
                HistoryStep::Reimport(i) => {
                    let missing: Vec<KeyMaterialId> = k
                        .materials()
                        .iter()
                        .filter(|m| m.material().is_none())
                        .map(|m| m.id())
                        .collect();
                    let wanted = missing.get(*i % missing.len().max(1));
                    if let Some((_, b)) = seen.iter().find(|(id, _)| Some(id) == wanted) {
                        k.import_material(
                            CheckedMaterial::check(k.key_spec(), KeyMaterial::new(vec![*b; 32])).unwrap(),
                            request(Some(ImportType::ExistingKeyMaterial)),
                            now,
                        )
                        .map_err(|e| TestCaseError::fail(format!("re-import: {e}")))?;
                    }
                }
                HistoryStep::Delete(i) => {
                    let id = k.materials().get(*i % k.materials().len().max(1)).map(|m| m.id());
                    let _ = k.delete_material(id, now).into_result();
                }
                HistoryStep::Advance(secs) => now += Duration::seconds(*secs),
            }
            if let Err(msg) = k.check_invariants() {
                return Err(TestCaseError::fail(format!("after {step:?}: {msg}")));
            }
            prop_assert!(k.on_demand_rotations() <= MAX_ON_DEMAND_ROTATIONS);
        }
    }
}
