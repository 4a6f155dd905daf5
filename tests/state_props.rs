//! Random sequences of key-record operations with time jumps: nothing panics, the record's
//! invariants hold after every step, a refused operation changes nothing but due expiry, and
//! the revision only moves forward.

use kms_import::record::MaterialImport;
use kms_import::{
    CreateKeyParams, DisabledImportPolicy, Expiration, ImportType, KeyContext, KeyMaterial,
    KeyMaterialState, KeyRecord, KeySpec, KeyState, Origin,
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
        policy: DisabledImportPolicy,
    },
    Delete {
        nth: Option<usize>,
    },
    Use,
}

fn step() -> impl Strategy<Value = Step> {
    let policy = prop_oneof![
        Just(DisabledImportPolicy::StayDisabled),
        Just(DisabledImportPolicy::Enable),
        Just(DisabledImportPolicy::Reject),
    ];
    let import_type = prop_oneof![
        3 => Just(None),
        1 => Just(Some(ImportType::NewKeyMaterial)),
        1 => Just(Some(ImportType::ExistingKeyMaterial)),
    ];
    prop_oneof![
        3 => (0i64..3 * 86_400).prop_map(Step::Advance),
        2 => Just(Step::Enable),
        2 => Just(Step::Disable),
        1 => proptest::option::of(5u32..32).prop_map(Step::Schedule),
        1 => Just(Step::Cancel),
        1 => Just(Step::Expire),
        4 => (0u8..3, proptest::option::of(-10i64..5 * 86_400), import_type, policy).prop_map(
            |(bytes, valid_for, import_type, policy)| Step::Import {
                bytes,
                valid_for,
                import_type,
                policy,
            }
        ),
        2 => proptest::option::of(0usize..3).prop_map(|nth| Step::Delete { nth }),
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
        Step::Enable => k.enable(*now),
        Step::Disable => k.disable(*now),
        Step::Schedule(days) => k.schedule_deletion(*now, *days).map(|_| ()),
        Step::Cancel => k.cancel_deletion(*now),
        Step::Expire => {
            k.expire_materials(*now);
            Ok(())
        }
        Step::Import {
            bytes,
            valid_for,
            import_type,
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
                key_material_id: None,
                description: None,
                disabled_import_policy: *policy,
            };
            k.import_material(KeyMaterial::new(vec![*bytes; 32]), request, *now)
                .map(|_| ())
        }
        Step::Delete { nth } => {
            let id = nth.and_then(|i| k.materials().get(i).map(|m| m.id()));
            k.delete_material(id, *now).map(|_| ())
        }
        Step::Use => k.check_usable(*now),
    }
}

/// What a refused operation must leave untouched (expiry aside, which is applied first).
fn snapshot(k: &KeyRecord) -> (KeyState, Option<OffsetDateTime>, Vec<(String, bool)>) {
    (
        k.key_state(),
        k.deletion_date(),
        k.materials()
            .iter()
            .map(|m| (m.id().to_string(), m.material().is_some()))
            .collect(),
    )
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
            // The read-only view agrees with applying the expiry.
            let mut applied = k.clone();
            applied.expire_materials(now);
            prop_assert_eq!(k.state_at(now), applied.key_state());
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
