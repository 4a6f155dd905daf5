//! The key-state machine: for each operation and each of the eight [`KeyState`]s, whether the
//! call succeeds, the state it leaves the key in, or the exact AWS error it returns.
//!
//! [`outcome`] is the table itself (pure data, no ARN); [`transition`] turns a cell into the
//! `Result` an operation returns; [`table`] lists every cell so that tests and the generated
//! state diagram ([`mermaid_diagram`], [`markdown_table`]) derive from the same source.
//!
//! Decisions where AWS documents nothing, all applied by [`outcome`]:
//! - **Import into a Disabled key** follows [`DisabledImportPolicy`], by default the key stays
//!   Disabled (only EnableKey turns a key on).
//! - **CancelKeyDeletion** leads to PendingImport when any permanently associated material is
//!   missing, otherwise to Disabled.
//! - **Expiry during PendingDeletion** leaves the key in PendingDeletion, like
//!   DeleteImportedKeyMaterial does.
//! - **Cryptographic use of a key pending deletion** is KMSInvalidStateException
//!   `… is pending deletion.`.
//! - **PendingReplicaDeletion** behaves like PendingDeletion in every row, messages included
//!   (`… is pending deletion.`).
//! - **Unavailable** (custom key stores only, never an imported key) refuses the operations
//!   with `… is unavailable.` (CancelKeyDeletion: `… is not pending deletion.`), except
//!   ScheduleKeyDeletion, which succeeds as AWS documents for keys in custom key stores.
//! - **Expiry in Creating, Updating or Unavailable** (where AWS marks it not applicable) drops
//!   the material but leaves the state alone.
//! - **The invariant**: for an EXTERNAL key, no cell yields Enabled or Disabled unless every
//!   permanently associated material is present afterwards. A request that would break it
//!   (possible only from an already inconsistent record) is `KMSInternalException`.
//! - **RotateKeyOnDemand** is refused like cryptographic use (DisabledException when
//!   Disabled, `… is pending import.` and so on) and never changes the state. Its state check
//!   comes before the key-spec check, as AWS answered for a PendingImport RSA_4096 key and a
//!   Disabled RSA_4096 key.
//! - For any origin but EXTERNAL, the three import operations are
//!   UnsupportedOperationException in every state; the origin check comes first.

use std::fmt;

use crate::error::Error;
#[cfg(test)]
use crate::names::AwsName;
use crate::names::{KeyState, Origin};

/// An operation, or event, that the key-state table has a row for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum KeyOperation {
    /// GetParametersForImport.
    GetParametersForImport,
    /// ImportKeyMaterial.
    ImportKeyMaterial,
    /// DeleteImportedKeyMaterial.
    DeleteImportedKeyMaterial,
    /// EnableKey.
    EnableKey,
    /// DisableKey.
    DisableKey,
    /// ScheduleKeyDeletion.
    ScheduleKeyDeletion,
    /// CancelKeyDeletion.
    CancelKeyDeletion,
    /// Expiry of imported material at its `ValidTo` (audit event `DeleteExpiredKeyMaterial`).
    /// Never refused.
    ExpireKeyMaterial,
    /// A cryptographic operation: Encrypt, Decrypt, Sign, GenerateMac, GenerateDataKey* and the
    /// like.
    CryptographicUse,
    /// RotateKeyOnDemand. The table gives only its state check; the key-spec, origin,
    /// pending-material and quota checks come after it (see
    /// [`KeyRecord::rotate_key_on_demand`](crate::record::KeyRecord::rotate_key_on_demand)).
    /// It never changes the key state.
    RotateKeyOnDemand,
}

impl KeyOperation {
    /// Every operation, in the order of the spec's table.
    pub const ALL: [KeyOperation; 10] = [
        KeyOperation::GetParametersForImport,
        KeyOperation::ImportKeyMaterial,
        KeyOperation::DeleteImportedKeyMaterial,
        KeyOperation::EnableKey,
        KeyOperation::DisableKey,
        KeyOperation::ScheduleKeyDeletion,
        KeyOperation::CancelKeyDeletion,
        KeyOperation::ExpireKeyMaterial,
        KeyOperation::CryptographicUse,
        KeyOperation::RotateKeyOnDemand,
    ];

    /// A short name: the AWS operation name, `Expiry` or `CryptographicUse`.
    pub fn name(self) -> &'static str {
        match self {
            KeyOperation::GetParametersForImport => "GetParametersForImport",
            KeyOperation::ImportKeyMaterial => "ImportKeyMaterial",
            KeyOperation::DeleteImportedKeyMaterial => "DeleteImportedKeyMaterial",
            KeyOperation::EnableKey => "EnableKey",
            KeyOperation::DisableKey => "DisableKey",
            KeyOperation::ScheduleKeyDeletion => "ScheduleKeyDeletion",
            KeyOperation::CancelKeyDeletion => "CancelKeyDeletion",
            KeyOperation::ExpireKeyMaterial => "Expiry",
            KeyOperation::CryptographicUse => "CryptographicUse",
            KeyOperation::RotateKeyOnDemand => "RotateKeyOnDemand",
        }
    }

    /// Whether the operation is one of the three import operations, which need origin EXTERNAL.
    pub fn is_import_operation(self) -> bool {
        matches!(
            self,
            KeyOperation::GetParametersForImport
                | KeyOperation::ImportKeyMaterial
                | KeyOperation::DeleteImportedKeyMaterial
        )
    }
}

impl fmt::Display for KeyOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What ImportKeyMaterial does to a Disabled key. AWS's sources disagree on whether the call is
/// allowed and none gives the resulting state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DisabledImportPolicy {
    /// Accept the import and leave the key Disabled: only EnableKey turns a key on.
    #[default]
    StayDisabled,
    /// Accept the import and enable the key.
    Enable,
    /// Refuse with KMSInvalidStateException `<arn> is disabled.` (DisabledException is not in
    /// the operation's error list).
    Reject,
}

/// The facts about a key, beyond its state, that decide a cell of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TransitionInput {
    /// The key's origin.
    pub origin: Origin,
    /// Whether every permanently associated material (the first ever imported and any rotated
    /// in) is present once the operation is done, and there is at least one. For operations
    /// that change no material this is simply whether it is present now. Keys of any origin
    /// but EXTERNAL always pass `true`.
    pub material_complete_after: bool,
    /// What an import into a Disabled key does.
    pub disabled_import_policy: DisabledImportPolicy,
}

impl TransitionInput {
    /// Input with the default [`DisabledImportPolicy`].
    pub(crate) fn new(origin: Origin, material_complete_after: bool) -> TransitionInput {
        TransitionInput {
            origin,
            material_complete_after,
            disabled_import_policy: DisabledImportPolicy::default(),
        }
    }

    /// The same input with another Disabled-import policy.
    pub(crate) fn with_disabled_import_policy(
        self,
        policy: DisabledImportPolicy,
    ) -> TransitionInput {
        TransitionInput {
            disabled_import_policy: policy,
            ..self
        }
    }
}

/// One cell of the key-state table, independent of any ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Outcome {
    /// The call succeeds and the key is then in this state (possibly the same one).
    Succeeds(KeyState),
    /// KMSInvalidStateException `<arn> is <wording>.`, for example `pending import`.
    InvalidState(&'static str),
    /// DisabledException `<arn> is disabled.`
    Disabled,
    /// UnsupportedOperationException: the key's origin does not allow the operation.
    UnsupportedOrigin(Origin),
    /// KMSInternalException: the request would leave an EXTERNAL key Enabled or Disabled
    /// without all its permanently associated material. Only an inconsistent record gets here.
    Inconsistent,
}

impl Outcome {
    /// The result the operation returns for the key `arn`.
    pub(crate) fn into_result(self, arn: &impl fmt::Display) -> Result<KeyState, Error> {
        match self {
            Outcome::Succeeds(state) => Ok(state),
            Outcome::InvalidState(what) => Err(Error::invalid_state(arn, what)),
            Outcome::Disabled => Err(Error::disabled(arn)),
            Outcome::UnsupportedOrigin(origin) => Err(Error::UnsupportedOperation(format!(
                "{arn} origin is {} which is not valid for this operation.",
                origin.as_str()
            ))),
            Outcome::Inconsistent => Err(Error::Internal),
        }
    }
}

const PENDING_IMPORT: Outcome = Outcome::InvalidState("pending import");
const PENDING_DELETION: Outcome = Outcome::InvalidState("pending deletion");
const NOT_PENDING_DELETION: Outcome = Outcome::InvalidState("not pending deletion");
const CREATING: Outcome = Outcome::InvalidState("creating");
const UPDATING: Outcome = Outcome::InvalidState("updating");
const UNAVAILABLE: Outcome = Outcome::InvalidState("unavailable");

/// The cell of the key-state table for `op` on a key in `state`. See the module docs for the
/// decisions it encodes.
pub(crate) fn outcome(state: KeyState, op: KeyOperation, input: &TransitionInput) -> Outcome {
    use KeyOperation as Op;
    use KeyState as S;

    if op.is_import_operation() && input.origin != Origin::External {
        return Outcome::UnsupportedOrigin(input.origin);
    }
    let complete = input.material_complete_after;
    let same = Outcome::Succeeds(state);
    let kept_if_complete = Outcome::Succeeds(if complete { state } else { S::PendingImport });
    let cell = match (op, state) {
        (Op::ExpireKeyMaterial, S::Enabled | S::Disabled) => kept_if_complete,
        (Op::ExpireKeyMaterial, _) => same,

        (_, S::PendingDeletion | S::PendingReplicaDeletion) => match op {
            Op::DeleteImportedKeyMaterial => same,
            Op::CancelKeyDeletion if complete => Outcome::Succeeds(S::Disabled),
            Op::CancelKeyDeletion => Outcome::Succeeds(S::PendingImport),
            _ => PENDING_DELETION,
        },
        (Op::CancelKeyDeletion, _) => NOT_PENDING_DELETION,
        (Op::ScheduleKeyDeletion, S::Updating) => UPDATING,
        (Op::ScheduleKeyDeletion, _) => Outcome::Succeeds(S::PendingDeletion),

        (_, S::Unavailable) => UNAVAILABLE,
        (Op::ImportKeyMaterial | Op::CryptographicUse, S::Updating) => same,
        (_, S::Updating) => UPDATING,
        (_, S::Creating) => CREATING,

        (Op::GetParametersForImport, _) => same,
        (Op::ImportKeyMaterial, S::Enabled) => same,
        (Op::ImportKeyMaterial, S::Disabled) => match input.disabled_import_policy {
            DisabledImportPolicy::StayDisabled => same,
            DisabledImportPolicy::Enable => Outcome::Succeeds(S::Enabled),
            DisabledImportPolicy::Reject => Outcome::InvalidState("disabled"),
        },
        (Op::ImportKeyMaterial, _) => Outcome::Succeeds(if complete {
            S::Enabled
        } else {
            S::PendingImport
        }),
        (Op::DeleteImportedKeyMaterial, S::Enabled | S::Disabled) => kept_if_complete,
        (Op::DeleteImportedKeyMaterial, _) => same,
        (
            Op::EnableKey | Op::DisableKey | Op::CryptographicUse | Op::RotateKeyOnDemand,
            S::PendingImport,
        ) => PENDING_IMPORT,
        (Op::EnableKey, _) => Outcome::Succeeds(S::Enabled),
        (Op::DisableKey, _) => Outcome::Succeeds(S::Disabled),
        (Op::CryptographicUse | Op::RotateKeyOnDemand, S::Disabled) => Outcome::Disabled,
        (Op::CryptographicUse | Op::RotateKeyOnDemand, _) => same,
    };
    match cell {
        Outcome::Succeeds(S::Enabled | S::Disabled)
            if input.origin == Origin::External && !complete =>
        {
            Outcome::Inconsistent
        }
        Outcome::Succeeds(S::PendingImport) if input.origin != Origin::External => {
            Outcome::Inconsistent
        }
        cell => cell,
    }
}

#[cfg(test)]
/// The next state of a key in `state` after `op`, or the AWS error the operation returns,
/// worded with `arn`.
pub(crate) fn transition(
    arn: &impl fmt::Display,
    state: KeyState,
    op: KeyOperation,
    input: &TransitionInput,
) -> Result<KeyState, Error> {
    outcome(state, op, input).into_result(arn)
}

#[cfg(test)]
/// One row of [`table`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TableRow {
    /// The state before the operation.
    pub state: KeyState,
    /// The operation.
    pub op: KeyOperation,
    /// [`TransitionInput::material_complete_after`].
    pub material_complete_after: bool,
    /// The cell.
    pub outcome: Outcome,
}

#[cfg(test)]
/// Every cell of the table for an EXTERNAL key under the default [`DisabledImportPolicy`]:
/// each state × each operation × material complete afterwards or not.
pub(crate) fn table() -> impl Iterator<Item = TableRow> {
    KeyState::ALL.iter().flat_map(|&state| {
        KeyOperation::ALL.into_iter().flat_map(move |op| {
            [true, false].into_iter().map(move |complete| TableRow {
                state,
                op,
                material_complete_after: complete,
                outcome: outcome(state, op, &TransitionInput::new(Origin::External, complete)),
            })
        })
    })
}

#[cfg(test)]
/// The state diagram of an EXTERNAL key as Mermaid `stateDiagram-v2` source, derived from
/// [`table`]: one edge per operation that changes the state, labelled with the condition on
/// the material when the outcome depends on it.
pub(crate) fn mermaid_diagram() -> String {
    let mut out = String::from("stateDiagram-v2\n");
    out.push_str("    [*] --> PendingImport : CreateKey (Origin EXTERNAL)\n");
    for (from, to, label) in edges() {
        out.push_str(&format!("    {from} --> {to} : {label}\n"));
    }
    out
}

#[cfg(test)]
/// The cell of an EXTERNAL key with all its material afterwards, and the one without it when
/// that is a different, consistent outcome.
fn cell_pair(state: KeyState, op: KeyOperation) -> (Outcome, Option<Outcome>) {
    let at = |complete| outcome(state, op, &TransitionInput::new(Origin::External, complete));
    let (complete, missing) = (at(true), at(false));
    let alternative = (missing != complete && missing != Outcome::Inconsistent).then_some(missing);
    (complete, alternative)
}

#[cfg(test)]
/// `(from, to, label)` for every state change in the table, in table order.
fn edges() -> Vec<(KeyState, KeyState, String)> {
    let mut edges = Vec::new();
    for &state in KeyState::ALL {
        for op in KeyOperation::ALL {
            let (complete, missing) = cell_pair(state, op);
            let cases = match missing {
                None => vec![(complete, "")],
                Some(missing) => vec![
                    (complete, " (material complete)"),
                    (missing, " (material missing)"),
                ],
            };
            for (cell, condition) in cases {
                if let Outcome::Succeeds(to) = cell {
                    if to != state {
                        edges.push((state, to, format!("{}{condition}", op.name())));
                    }
                }
            }
        }
    }
    edges
}

#[cfg(test)]
/// The whole table for an EXTERNAL key under the default [`DisabledImportPolicy`] as a
/// Markdown table: one row per operation, one column per state. A cell reads `→ X` for a state
/// change, `ok` for success without one, otherwise the error: `IS (what)` for
/// KMSInvalidStateException `<arn> is what.`, `DIS` for DisabledException. Cells that depend
/// on the material show both cases; the inconsistent case (KMSInternalException, for an
/// Enabled or Disabled key that lacks material) is left out.
pub(crate) fn markdown_table() -> String {
    let mut out = String::from("| Operation |");
    for state in KeyState::ALL {
        out.push_str(&format!(" {state} |"));
    }
    out.push_str("\n|---|");
    for _ in KeyState::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for op in KeyOperation::ALL {
        out.push_str(&format!("| {op} |"));
        for &state in KeyState::ALL {
            let (complete, missing) = cell_pair(state, op);
            let complete = describe_cell(state, complete);
            match missing {
                Some(missing) => out.push_str(&format!(
                    " complete: {complete}; missing: {} |",
                    describe_cell(state, missing)
                )),
                None => out.push_str(&format!(" {complete} |")),
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
fn describe_cell(state: KeyState, outcome: Outcome) -> String {
    match outcome {
        Outcome::Succeeds(to) if to == state => "ok".to_owned(),
        Outcome::Succeeds(to) => format!("→ {to}"),
        Outcome::InvalidState(what) => format!("IS ({what})"),
        Outcome::Disabled => "DIS".to_owned(),
        Outcome::UnsupportedOrigin(_) => "UNS".to_owned(),
        Outcome::Inconsistent => "INT".to_owned(),
    }
}

#[cfg(test)]
mod table_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_checked_before_state() {
        let input = TransitionInput::new(Origin::AwsKms, true);
        for &state in KeyState::ALL {
            assert_eq!(
                outcome(state, KeyOperation::GetParametersForImport, &input),
                Outcome::UnsupportedOrigin(Origin::AwsKms)
            );
        }
    }

    #[test]
    fn no_cell_enables_an_external_key_without_its_material() {
        for row in table() {
            if !row.material_complete_after {
                assert!(
                    !matches!(
                        row.outcome,
                        Outcome::Succeeds(KeyState::Enabled | KeyState::Disabled)
                    ),
                    "{row:?}"
                );
            }
        }
    }
}
