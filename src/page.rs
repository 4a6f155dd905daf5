//! The `Limit`/`Marker` pagination every list operation shares (ListKeyRotations here; the
//! server's ListKeys and ListAliases too).

use crate::error::{Error, truncate_for_message};

/// The smallest `Limit` a list operation accepts.
pub const MIN_LIST_LIMIT: u32 = 1;
/// The largest `Limit` a list operation accepts.
pub const MAX_LIST_LIMIT: u32 = 1000;
/// The page size when the request names no `Limit`.
pub const DEFAULT_LIST_LIMIT: u32 = 100;

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
/// A marker is the `marker_of` of the first entry of the page it starts, so a marker stays
/// valid while entries are added before it or after the page. `marker_of` must give distinct
/// markers for distinct entries.
///
/// A list kept in an ordered index pages in O(page) with the same rules: check the limit with
/// [`page_len`], position the index at the marker (or answer [`invalid_marker`]), then
/// [`take_page`].
///
/// # Arguments
/// - `limit`: `Limit`, 1..=1000; `None` means [`DEFAULT_LIST_LIMIT`].
/// - `marker`: `Marker` from a previous page's `NextMarker`, or `None` for the first page.
/// - `marker_of`: the marker naming an entry.
///
/// # Errors
/// `ValidationException` for a `Limit` outside 1..=1000 (AWS's range wording);
/// `InvalidMarkerException` for a marker that names no entry.
pub fn paginate<T>(
    items: impl IntoIterator<Item = T>,
    limit: Option<u32>,
    marker: Option<&str>,
    marker_of: impl Fn(&T) -> String,
) -> Result<Page<T>, Error> {
    let page_len = page_len(limit)?;
    let mut items = items.into_iter().peekable();
    if let Some(marker) = marker {
        while items.next_if(|item| marker_of(item) != marker).is_some() {}
        if items.peek().is_none() {
            return Err(invalid_marker(marker));
        }
    }
    Ok(take_page(items, page_len, marker_of))
}

/// The number of entries a page holds for the request's `Limit` (`None`:
/// [`DEFAULT_LIST_LIMIT`]); `ValidationException` in AWS's wording outside 1..=1000.
pub fn page_len(limit: Option<u32>) -> Result<usize, Error> {
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
    Ok(usize::try_from(limit).unwrap_or(usize::MAX))
}

/// The page of at most `page_len` entries that `rest` starts with (`rest` begins at the
/// marker's entry, or at the first entry); `NextMarker` names the entry after it. Reads at most
/// `page_len + 1` entries.
pub fn take_page<T>(
    rest: impl IntoIterator<Item = T>,
    page_len: usize,
    marker_of: impl Fn(&T) -> String,
) -> Page<T> {
    let mut rest = rest.into_iter();
    let items: Vec<T> = rest.by_ref().take(page_len).collect();
    let next_marker = rest.next().map(|next| marker_of(&next));
    Page { items, next_marker }
}

/// `InvalidMarkerException` for a `Marker` that names no entry of the list.
pub fn invalid_marker(marker: &str) -> Error {
    Error::InvalidMarker(format!(
        "Invalid marker: '{}' does not name an entry of this list.",
        truncate_for_message(marker)
    ))
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
    fn an_index_pages_with_the_same_rules() {
        let index: std::collections::BTreeMap<String, usize> =
            (0..5).map(|i| (format!("m{i}"), i)).collect();
        let len = page_len(Some(2)).unwrap();
        let page = take_page(index.range("m2".to_owned()..).map(|(_, v)| *v), len, |i| {
            format!("m{i}")
        });
        assert_eq!(page.items, vec![2, 3]);
        assert_eq!(page.next_marker.as_deref(), Some("m4"));
        let last = take_page(index.range("m4".to_owned()..).map(|(_, v)| *v), len, |i| {
            format!("m{i}")
        });
        assert_eq!((last.items, last.next_marker), (vec![4], None));
        assert_eq!(page_len(Some(0)).unwrap_err().code(), "ValidationException");
        assert_eq!(invalid_marker("x").code(), "InvalidMarkerException");
    }

    #[test]
    fn unknown_marker_is_refused() {
        let e = paginate(numbered(3), Some(1), Some("m9"), |i| format!("m{i}")).unwrap_err();
        assert_eq!(e.code(), "InvalidMarkerException");
        assert!(e.message().contains("'m9'"));
    }
}
