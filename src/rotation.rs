//! On-demand rotation of imported key material: what RotateKeyOnDemand reports, the entries
//! ListKeyRotations lists, and the `Limit`/`Marker` pagination of list operations.
//!
//! The operations themselves are methods of [`crate::record::KeyRecord`]
//! ([`rotate_key_on_demand`](crate::record::KeyRecord::rotate_key_on_demand),
//! [`list_key_rotations`](crate::record::KeyRecord::list_key_rotations)), since they change or
//! read the record's materials.

use time::OffsetDateTime;

use crate::error::{Error, truncate_for_message};
use crate::material::KeyMaterialId;
use crate::names::{ExpirationModel, ImportState, KeyMaterialState, RotationType};

/// How many on-demand rotations one key may ever have; the next RotateKeyOnDemand is
/// `LimitExceededException`. AWS documents this quota as fixed (not adjustable).
pub const MAX_ON_DEMAND_ROTATIONS: usize = 25;

/// The smallest `Limit` a list operation accepts.
pub(crate) const MIN_LIST_LIMIT: u32 = 1;
/// The largest `Limit` a list operation accepts.
pub(crate) const MAX_LIST_LIMIT: u32 = 1000;
/// The page size when the request names no `Limit`.
pub(crate) const DEFAULT_LIST_LIMIT: u32 = 100;

/// What a successful RotateKeyOnDemand did. AWS completes the rotation asynchronously; this
/// crate completes it within the call, so the record already shows the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RotationOutcome {
    /// The material that was CURRENT and is now NON_CURRENT (decrypt only).
    pub previous_key_material_id: KeyMaterialId,
    /// The material that was pending rotation and is now CURRENT (the new
    /// `CurrentKeyMaterialId`).
    pub current_key_material_id: KeyMaterialId,
    /// When the rotation happened: the `now` of the call.
    pub rotation_date: OffsetDateTime,
    /// On-demand rotations of the key so far, this one included (at most
    /// [`MAX_ON_DEMAND_ROTATIONS`]).
    pub on_demand_rotations: usize,
}

/// One key material as ListKeyRotations shows it (AWS's `RotationsListEntry`, without the
/// key id, which the caller knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMaterialEntry {
    /// `KeyMaterialId`.
    pub key_material_id: KeyMaterialId,
    /// `KeyMaterialDescription`, when the import gave one.
    pub key_material_description: Option<String>,
    /// `ImportState`: IMPORTED, or PENDING_IMPORT once deleted or expired.
    pub import_state: ImportState,
    /// `KeyMaterialState`: CURRENT, NON_CURRENT or PENDING_ROTATION.
    pub key_material_state: KeyMaterialState,
    /// `ExpirationModel` of the material's last import, while it is imported.
    pub expiration_model: Option<ExpirationModel>,
    /// `ValidTo`, while the material is imported under KEY_MATERIAL_EXPIRES.
    pub valid_to: Option<OffsetDateTime>,
    /// `RotationDate`: absent for the first material and for material pending rotation.
    pub rotation_date: Option<OffsetDateTime>,
    /// `RotationType` (always ON_DEMAND for imported material): absent when `rotation_date`
    /// is.
    pub rotation_type: Option<RotationType>,
}

/// One page of a list operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The entries of this page, at most `Limit` of them.
    pub items: Vec<T>,
    /// `NextMarker`: pass it as `Marker` to get the next page; `None` on the last page.
    pub next_marker: Option<String>,
}

impl<T> Page<T> {
    /// `Truncated`: whether more entries follow this page.
    pub fn truncated(&self) -> bool {
        self.next_marker.is_some()
    }
}

/// Cuts `items` into the page that `limit` and `marker` ask for.
///
/// A marker is the `marker_of` of the first entry of the page it starts, so a marker stays valid while entries are added before it or after the page.
/// `marker_of` must give distinct markers for distinct entries.
///
/// # Arguments
/// - `limit`: `Limit`, 1..=1000; `None` means [`DEFAULT_LIST_LIMIT`].
/// - `marker`: `Marker` from a previous page's `NextMarker`, or `None` for the first page.
/// - `marker_of`: the marker naming an entry.
///
/// # Errors
/// `ValidationException` for a `Limit` outside 1..=1000 (AWS's range wording);
/// `InvalidMarkerException` for a marker that names no entry.
pub(crate) fn paginate<T>(
    items: Vec<T>,
    limit: Option<u32>,
    marker: Option<&str>,
    marker_of: impl Fn(&T) -> String,
) -> Result<Page<T>, Error> {
    let limit = limit.unwrap_or(DEFAULT_LIST_LIMIT);
    if !(MIN_LIST_LIMIT..=MAX_LIST_LIMIT).contains(&limit) {
        let constraint = if limit < MIN_LIST_LIMIT {
            format!("Member must have value greater than or equal to {MIN_LIST_LIMIT}")
        } else {
            format!("Member must have value less than or equal to {MAX_LIST_LIMIT}")
        };
        return Err(Error::Validation(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy \
             constraint: {constraint}"
        )));
    }
    let start = match marker {
        None => 0,
        Some(marker) => items
            .iter()
            .position(|item| marker_of(item) == marker)
            .ok_or_else(|| invalid_marker(marker))?,
    };
    let mut rest = items.into_iter().skip(start);
    let page_len = usize::try_from(limit).unwrap_or(usize::MAX);
    let page: Vec<T> = rest.by_ref().take(page_len).collect();
    let next_marker = rest.next().map(|next| marker_of(&next));
    Ok(Page {
        items: page,
        next_marker,
    })
}

fn invalid_marker(marker: &str) -> Error {
    Error::InvalidMarker(format!(
        "Invalid marker: '{}' does not name an entry of this list.",
        truncate_for_message(marker)
    ))
}

/// KMSInvalidStateException for RotateKeyOnDemand on a key with no material pending rotation,
/// in the wording AWS returned (recorded 2025-11).
pub(crate) fn nothing_pending(arn: &impl std::fmt::Display) -> Error {
    Error::InvalidState(format!(
        "No available key material pending rotation for the key: {arn}."
    ))
}

/// LimitExceededException for the on-demand rotation after the
/// [`MAX_ON_DEMAND_ROTATIONS`]th, in the wording AWS returned (recorded 2025-04).
pub(crate) fn rotation_limit_reached(arn: &impl std::fmt::Display) -> Error {
    Error::LimitExceeded(format!(
        "The on-demand rotations limit has been reached for the given keyId. No more \
         on-demand rotations can be performed for this key: {arn}"
    ))
}

/// UnsupportedOperationException for on-demand rotation of a key whose spec is not
/// SYMMETRIC_DEFAULT. AWS's answer for an RSA key carried no message text (recorded
/// 2025-03); the crate sends an empty one.
pub(crate) fn rotation_unsupported_for_key_spec() -> Error {
    Error::UnsupportedOperation(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbered(n: usize) -> Vec<usize> {
        (0..n).collect()
    }

    fn pages(n: usize, limit: u32) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = paginate(numbered(n), Some(limit), marker.as_deref(), |i| {
                format!("m{i}")
            })
            .unwrap();
            let truncated = page.truncated();
            out.push(page.items);
            match page.next_marker {
                Some(m) => marker = Some(m),
                None => {
                    assert!(!truncated);
                    return out;
                }
            }
        }
    }

    #[test]
    fn pages_cover_every_entry_once_in_order() {
        assert_eq!(pages(5, 2), vec![vec![0, 1], vec![2, 3], vec![4]]);
        assert_eq!(pages(4, 2), vec![vec![0, 1], vec![2, 3]]);
        assert_eq!(pages(3, 1000), vec![vec![0, 1, 2]]);
        assert_eq!(pages(0, 1), vec![Vec::<usize>::new()]);
    }

    #[test]
    fn default_limit_is_one_hundred() {
        let page = paginate(numbered(150), None, None, |i| i.to_string()).unwrap();
        assert_eq!(page.items.len(), 100);
        assert_eq!(page.next_marker.as_deref(), Some("100"));
    }

    #[test]
    fn limit_outside_one_to_a_thousand_is_a_validation_error() {
        for (limit, bound) in [
            (0, "greater than or equal to 1"),
            (1001, "less than or equal to 1000"),
        ] {
            let e = paginate(numbered(3), Some(limit), None, |i| i.to_string()).unwrap_err();
            assert_eq!(e.code(), "ValidationException");
            assert_eq!(
                e.message(),
                format!(
                    "1 validation error detected: Value '{limit}' at 'limit' failed to \
                     satisfy constraint: Member must have value {bound}"
                )
            );
        }
    }

    #[test]
    fn unknown_marker_is_refused() {
        let e = paginate(numbered(3), Some(1), Some("m9"), |i| format!("m{i}")).unwrap_err();
        assert_eq!(e.code(), "InvalidMarkerException");
        assert!(e.message().contains("'m9'"));
    }
}
