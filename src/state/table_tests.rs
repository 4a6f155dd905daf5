//! The key-state table, cell by cell, written out by hand from the import-semantics spec
//! (section 3) rather than from the code, plus the generated state diagram.

use super::{
    DisabledImportPolicy, KeyOperation, TransitionInput, markdown_table, mermaid_diagram, table,
    transition,
};
use crate::names::{KeyState, Origin};

const ARN: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

/// The spec's columns, in the order each row below lists its cells.
const STATES: [KeyState; 8] = [
    KeyState::Enabled,
    KeyState::Disabled,
    KeyState::PendingImport,
    KeyState::PendingDeletion,
    KeyState::PendingReplicaDeletion,
    KeyState::Creating,
    KeyState::Updating,
    KeyState::Unavailable,
];

/// A cell as written in the table below:
/// `ok` succeeds without a state change, `>State` succeeds and moves to State,
/// `IS:what` is KMSInvalidStateException "<arn> is what.", `DIS` DisabledException,
/// `INT` KMSInternalException (only for inputs that break the material invariant).
/// A cell `a|b` gives the outcome when every permanently associated material is present
/// afterwards (a) and when some is missing (b); a cell without `|` holds for both.
const TABLE: &[(KeyOperation, [&str; 8])] = &[
    //                                   Enabled       Disabled       PendingImport      PendingDeletion              PendingReplicaDeletion       Creating          Updating          Unavailable
    (
        KeyOperation::GetParametersForImport,
        [
            "ok|INT",
            "ok|INT",
            "ok",
            "IS:pending deletion",
            "IS:pending deletion",
            "IS:creating",
            "IS:updating",
            "IS:unavailable",
        ],
    ),
    (
        KeyOperation::ImportKeyMaterial,
        [
            "ok|INT",
            "ok|INT",
            ">Enabled|ok",
            "IS:pending deletion",
            "IS:pending deletion",
            "IS:creating",
            "ok",
            "IS:unavailable",
        ],
    ),
    (
        KeyOperation::DeleteImportedKeyMaterial,
        [
            "ok|>PendingImport",
            "ok|>PendingImport",
            "ok",
            "ok",
            "ok",
            "IS:creating",
            "IS:updating",
            "IS:unavailable",
        ],
    ),
    (
        KeyOperation::EnableKey,
        [
            "ok|INT",
            ">Enabled|INT",
            "IS:pending import",
            "IS:pending deletion",
            "IS:pending deletion",
            "IS:creating",
            "IS:updating",
            "IS:unavailable",
        ],
    ),
    (
        KeyOperation::DisableKey,
        [
            ">Disabled|INT",
            "ok|INT",
            "IS:pending import",
            "IS:pending deletion",
            "IS:pending deletion",
            "IS:creating",
            "IS:updating",
            "IS:unavailable",
        ],
    ),
    (
        KeyOperation::ScheduleKeyDeletion,
        [
            ">PendingDeletion",
            ">PendingDeletion",
            ">PendingDeletion",
            "IS:pending deletion",
            "IS:pending deletion",
            ">PendingDeletion",
            "IS:updating",
            ">PendingDeletion",
        ],
    ),
    (
        KeyOperation::CancelKeyDeletion,
        [
            "IS:not pending deletion",
            "IS:not pending deletion",
            "IS:not pending deletion",
            ">Disabled|>PendingImport",
            ">Disabled|>PendingImport",
            "IS:not pending deletion",
            "IS:not pending deletion",
            "IS:not pending deletion",
        ],
    ),
    (
        KeyOperation::ExpireKeyMaterial,
        [
            "ok|>PendingImport",
            "ok|>PendingImport",
            "ok",
            "ok",
            "ok",
            "ok",
            "ok",
            "ok",
        ],
    ),
    (
        KeyOperation::CryptographicUse,
        [
            "ok|INT",
            "DIS",
            "IS:pending import",
            "IS:pending deletion",
            "IS:pending deletion",
            "IS:creating",
            "ok",
            "IS:unavailable",
        ],
    ),
    // Spec section 12: PendingImport -> IS, Disabled -> DIS; the key state never changes.
    (
        KeyOperation::RotateKeyOnDemand,
        [
            "ok|INT",
            "DIS",
            "IS:pending import",
            "IS:pending deletion",
            "IS:pending deletion",
            "IS:creating",
            "IS:updating",
            "IS:unavailable",
        ],
    ),
];

/// Expected `(code, message)` or next state for one cell half.
fn expected(cell: &str, from: KeyState) -> Result<KeyState, (&'static str, String)> {
    match cell {
        "ok" => Ok(from),
        "DIS" => Err(("DisabledException", format!("{ARN} is disabled."))),
        "INT" => Err((
            "KMSInternalException",
            "An internal error occurred. Retry the request.".to_owned(),
        )),
        _ => {
            if let Some(state) = cell.strip_prefix('>') {
                return Ok(state.parse().expect("state name"));
            }
            let what = cell.strip_prefix("IS:").expect("cell syntax");
            Err(("KMSInvalidStateException", format!("{ARN} is {what}.")))
        }
    }
}

fn check(op: KeyOperation, from: KeyState, input: &TransitionInput, cell: &str) {
    let want = expected(cell, from);
    let got = transition(&ARN, from, op, input).map_err(|e| (e.code(), e.message()));
    assert_eq!(
        got, want,
        "{op} from {from} (material complete after: {}, origin {})",
        input.material_complete_after, input.origin
    );
}

#[test]
fn every_cell_of_the_external_key_table_matches_the_spec() {
    assert_eq!(TABLE.len(), KeyOperation::ALL.len());
    let mut cells = 0;
    for (op, row) in TABLE {
        for (from, cell) in STATES.iter().zip(row) {
            let (complete, missing) = cell.split_once('|').unwrap_or((cell, cell));
            check(
                *op,
                *from,
                &TransitionInput::new(Origin::External, true),
                complete,
            );
            check(
                *op,
                *from,
                &TransitionInput::new(Origin::External, false),
                missing,
            );
            cells += 2;
        }
    }
    assert_eq!(cells, 10 * 8 * 2);
}

#[test]
fn table_data_lists_every_cell_once_and_agrees_with_transition() {
    let rows: Vec<_> = table().collect();
    assert_eq!(rows.len(), 10 * 8 * 2);
    for row in rows {
        let input = TransitionInput::new(Origin::External, row.material_complete_after);
        assert_eq!(
            row.outcome.into_result(&ARN),
            transition(&ARN, row.state, row.op, &input)
        );
    }
}

#[test]
fn import_operations_on_other_origins_are_unsupported_in_every_state() {
    for origin in [
        Origin::AwsKms,
        Origin::AwsCloudhsm,
        Origin::ExternalKeyStore,
    ] {
        for op in [
            KeyOperation::GetParametersForImport,
            KeyOperation::ImportKeyMaterial,
            KeyOperation::DeleteImportedKeyMaterial,
        ] {
            for from in STATES {
                for complete in [true, false] {
                    let err = transition(&ARN, from, op, &TransitionInput::new(origin, complete))
                        .unwrap_err();
                    assert_eq!(err.code(), "UnsupportedOperationException");
                    assert_eq!(
                        err.message(),
                        format!(
                            "{ARN} origin is {} which is not valid for this operation.",
                            origin.as_str()
                        )
                    );
                }
            }
        }
    }
}

#[test]
fn key_management_on_other_origins_follows_the_table() {
    let input = TransitionInput::new(Origin::AwsKms, true);
    let cases = [
        (
            KeyOperation::DisableKey,
            KeyState::Enabled,
            Ok(KeyState::Disabled),
        ),
        (
            KeyOperation::EnableKey,
            KeyState::Disabled,
            Ok(KeyState::Enabled),
        ),
        (
            KeyOperation::ScheduleKeyDeletion,
            KeyState::Enabled,
            Ok(KeyState::PendingDeletion),
        ),
        (
            KeyOperation::CancelKeyDeletion,
            KeyState::PendingDeletion,
            Ok(KeyState::Disabled),
        ),
        (
            KeyOperation::CryptographicUse,
            KeyState::Enabled,
            Ok(KeyState::Enabled),
        ),
        (
            KeyOperation::ExpireKeyMaterial,
            KeyState::Enabled,
            Ok(KeyState::Enabled),
        ),
        // The table checks only the state; the key record refuses other origins afterwards.
        (
            KeyOperation::RotateKeyOnDemand,
            KeyState::Enabled,
            Ok(KeyState::Enabled),
        ),
    ];
    for (op, from, want) in cases {
        assert_eq!(transition(&ARN, from, op, &input), want, "{op} from {from}");
    }
}

#[test]
fn import_into_disabled_key_follows_the_policy() {
    let input =
        |policy| TransitionInput::new(Origin::External, true).with_disabled_import_policy(policy);
    let import = |policy| {
        transition(
            &ARN,
            KeyState::Disabled,
            KeyOperation::ImportKeyMaterial,
            &input(policy),
        )
    };
    assert_eq!(
        DisabledImportPolicy::default(),
        DisabledImportPolicy::StayDisabled
    );
    assert_eq!(
        import(DisabledImportPolicy::StayDisabled),
        Ok(KeyState::Disabled)
    );
    assert_eq!(import(DisabledImportPolicy::Enable), Ok(KeyState::Enabled));
    let err = import(DisabledImportPolicy::Reject).unwrap_err();
    assert_eq!(err.code(), "KMSInvalidStateException");
    assert_eq!(err.message(), format!("{ARN} is disabled."));
    // The policy concerns Disabled keys only.
    assert_eq!(
        transition(
            &ARN,
            KeyState::Enabled,
            KeyOperation::ImportKeyMaterial,
            &input(DisabledImportPolicy::Reject)
        ),
        Ok(KeyState::Enabled)
    );
}

const DIAGRAM_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/state-diagram.md");

fn diagram_document() -> String {
    format!(
        "# Key states of an imported (EXTERNAL) key\n\
         \n\
         Generated from the transition table in `src/state.rs` (`mermaid_diagram()` and\n\
         `markdown_table()`); do not edit by hand. Regenerate with\n\
         `UPDATE_DIAGRAM=1 cargo test --lib state::table_tests`.\n\
         \n\
         Edges show every operation that changes the state. \"material complete\" means that\n\
         every permanently associated key material is present after the operation; \"material\n\
         missing\" that some is not. The import-into-Disabled cell uses the default policy\n\
         (the key stays Disabled).\n\
         \n\
         In the table, `IS (what)` is KMSInvalidStateException `<arn> is what.` and `DIS` is\n\
         DisabledException. For keys of any other origin the three import operations are\n\
         UnsupportedOperationException in every state.\n\
         \n\
         ```mermaid\n\
         {}```\n\
         \n\
         ## Every cell\n\
         \n\
         {}",
        mermaid_diagram(),
        markdown_table()
    )
}

#[test]
fn committed_state_diagram_is_generated_from_the_table() {
    let generated = diagram_document();
    if std::env::var_os("UPDATE_DIAGRAM").is_some() {
        std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/docs")).unwrap();
        std::fs::write(DIAGRAM_PATH, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(DIAGRAM_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/state-diagram.md is out of date with the transition table; regenerate it with \
         `UPDATE_DIAGRAM=1 cargo test --lib state::table_tests`"
    );
}

#[test]
fn diagram_has_the_edges_the_spec_names() {
    let d = mermaid_diagram();
    assert!(d.starts_with("stateDiagram-v2\n"));
    for edge in [
        "[*] --> PendingImport : CreateKey (Origin EXTERNAL)",
        "PendingImport --> Enabled : ImportKeyMaterial (material complete)",
        "Enabled --> Disabled : DisableKey",
        "Disabled --> Enabled : EnableKey",
        "Enabled --> PendingImport : DeleteImportedKeyMaterial (material missing)",
        "Enabled --> PendingImport : Expiry (material missing)",
        "PendingImport --> PendingDeletion : ScheduleKeyDeletion",
        "PendingDeletion --> Disabled : CancelKeyDeletion (material complete)",
        "PendingDeletion --> PendingImport : CancelKeyDeletion (material missing)",
    ] {
        assert!(
            d.contains(&format!("    {edge}\n")),
            "missing edge {edge}:\n{d}"
        );
    }
    assert!(!d.contains("PendingDeletion --> Enabled"));
    assert!(!d.contains("PendingImport --> Disabled"));
}
