//! The bounded ledger of import tokens a key has consumed.

use time::OffsetDateTime;

use super::{TokenClaims, TokenId};
use crate::error::Error;

/// The import tokens a KMS key has already used for a successful import, kept in the key record
/// in bounded space.
///
/// Tokens are stateless, so only the key record can remember that one was used: a failed import
/// leaves its token usable, a successful one consumes it, and any later use is
/// [`Error::InvalidImportToken`].
///
/// The ledger lists at most `capacity` tokens, by id, with their issue and expiry times, plus a
/// *watermark*: an issue time at or before which every token counts as consumed.
///
/// - An entry whose validity has ended is dropped at the next [`UsedTokens::consume`]: opening
///   that token fails with [`Error::ExpiredImportToken`] anyway. The watermark rises to its issue
///   time, so a service instance whose clock lags still refuses it.
/// - When the ledger is full, the entry with the oldest issue time is evicted and the watermark
///   rises to that time.
///
/// The trade-off is conservative. After more than `capacity` successful imports into one key
/// within a token lifetime, an unused token issued at or before the watermark is refused with
/// [`Error::InvalidImportToken`] although it was never used. Its holder calls
/// GetParametersForImport again. A used token is never accepted twice.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "repr::UsedTokensRepr", into = "repr::UsedTokensRepr")
)]
pub struct UsedTokens {
    capacity: usize,
    watermark: Option<OffsetDateTime>,
    entries: Vec<Entry>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    token_id: TokenId,
    issued_at: OffsetDateTime,
    parameters_valid_to: OffsetDateTime,
}

impl Default for UsedTokens {
    fn default() -> Self {
        UsedTokens::new(UsedTokens::DEFAULT_CAPACITY)
    }
}

impl UsedTokens {
    /// The capacity of [`UsedTokens::default`].
    pub const DEFAULT_CAPACITY: usize = 16;

    /// An empty ledger listing at most `capacity` tokens (at least one).
    pub fn new(capacity: usize) -> UsedTokens {
        UsedTokens {
            capacity: capacity.max(1),
            watermark: None,
            entries: Vec::new(),
        }
    }

    /// Whether the token described by `claims` counts as already used: its id is listed, or it
    /// was issued at or before the watermark. Ids are compared in constant time.
    pub fn is_consumed(&self, claims: &TokenClaims) -> bool {
        let id = claims.token_id();
        let mut listed = false;
        for e in &self.entries {
            listed |= e.token_id.ct_eq(&id);
        }
        let below = self.watermark.is_some_and(|w| claims.issued_at() <= w);
        listed || below
    }

    /// Records that the token described by `claims` was used by a successful import at `now`.
    ///
    /// Fails with [`Error::InvalidImportToken`], leaving the ledger unchanged, when the token
    /// already counts as consumed; so a caller may check and record in one step.
    pub fn consume(&mut self, claims: &TokenClaims, now: OffsetDateTime) -> Result<(), Error> {
        if self.is_consumed(claims) {
            return Err(Error::InvalidImportToken);
        }
        self.prune(now);
        if self.entries.len() >= self.capacity {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.issued_at)
                .map(|(i, _)| i);
            if let Some(i) = oldest {
                let evicted = self.entries.swap_remove(i);
                self.raise_watermark(evicted.issued_at);
            }
        }
        self.entries.push(Entry {
            token_id: claims.token_id(),
            issued_at: claims.issued_at(),
            parameters_valid_to: claims.parameters_valid_to(),
        });
        Ok(())
    }

    /// Drops the entries whose validity has ended at `now`.
    fn prune(&mut self, now: OffsetDateTime) {
        let mut expired_issue = None;
        self.entries.retain(|e| {
            let keep = e.parameters_valid_to > now;
            if !keep {
                expired_issue = expired_issue.max(Some(e.issued_at));
            }
            keep
        });
        if let Some(t) = expired_issue {
            self.raise_watermark(t);
        }
    }

    fn raise_watermark(&mut self, t: OffsetDateTime) {
        self.watermark = self.watermark.max(Some(t));
    }

    /// How many tokens the ledger lists at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many tokens it lists now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it lists no token (tokens may still count as consumed by the watermark).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The issue time at or before which every token counts as consumed, if any.
    pub fn watermark(&self) -> Option<OffsetDateTime> {
        self.watermark
    }
}

#[cfg(feature = "serde")]
mod repr {
    //! The stored form: times as Unix seconds, token ids as 32 lowercase hex characters.

    use time::OffsetDateTime;

    use super::{Entry, UsedTokens};
    use crate::token::TokenId;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct UsedTokensRepr {
        capacity: usize,
        watermark: Option<i64>,
        entries: Vec<EntryRepr>,
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct EntryRepr {
        token_id: String,
        issued_at: i64,
        parameters_valid_to: i64,
    }

    impl From<UsedTokens> for UsedTokensRepr {
        fn from(u: UsedTokens) -> Self {
            UsedTokensRepr {
                capacity: u.capacity,
                watermark: u.watermark.map(OffsetDateTime::unix_timestamp),
                entries: u
                    .entries
                    .iter()
                    .map(|e| EntryRepr {
                        token_id: e.token_id.to_string(),
                        issued_at: e.issued_at.unix_timestamp(),
                        parameters_valid_to: e.parameters_valid_to.unix_timestamp(),
                    })
                    .collect(),
            }
        }
    }

    impl TryFrom<UsedTokensRepr> for UsedTokens {
        type Error = String;

        fn try_from(r: UsedTokensRepr) -> Result<Self, String> {
            if r.capacity == 0 || r.entries.len() > r.capacity {
                return Err("used-token ledger: entries exceed capacity".into());
            }
            let time = |s: i64| {
                OffsetDateTime::from_unix_timestamp(s)
                    .map_err(|_| "used-token ledger: time out of range".to_string())
            };
            let mut entries = Vec::with_capacity(r.entries.len());
            for e in r.entries {
                let issued_at = time(e.issued_at)?;
                let parameters_valid_to = time(e.parameters_valid_to)?;
                if parameters_valid_to <= issued_at {
                    return Err("used-token ledger: validity ends before issue".into());
                }
                entries.push(Entry {
                    token_id: parse_token_id(&e.token_id)?,
                    issued_at,
                    parameters_valid_to,
                });
            }
            Ok(UsedTokens {
                capacity: r.capacity,
                watermark: r.watermark.map(time).transpose()?,
                entries,
            })
        }
    }

    fn parse_token_id(s: &str) -> Result<TokenId, String> {
        let err = || "used-token ledger: token id is not 32 lowercase hex characters".to_string();
        let raw = s.as_bytes();
        if raw.len() != 32 {
            return Err(err());
        }
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(raw.chunks_exact(2)) {
            let [hi, lo] = pair else { return Err(err()) };
            *o = (hex(*hi).ok_or_else(err)? << 4) | hex(*lo).ok_or_else(err)?;
        }
        Ok(TokenId::from_bytes(out))
    }

    fn hex(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
}

/// One listed token as the key-record storage format writes it: id, issue time, end of validity.
#[cfg(feature = "serde")]
pub(crate) type LedgerEntry = (TokenId, OffsetDateTime, OffsetDateTime);

#[cfg(feature = "serde")]
impl UsedTokens {
    /// The ledger's parts, for the key-record storage format.
    pub(crate) fn to_parts(&self) -> (usize, Option<OffsetDateTime>, Vec<LedgerEntry>) {
        let entries = self
            .entries
            .iter()
            .map(|e| (e.token_id, e.issued_at, e.parameters_valid_to))
            .collect();
        (self.capacity, self.watermark, entries)
    }

    /// Rebuilds a ledger from stored parts; the reason when they cannot form one (no capacity,
    /// more entries than capacity, a validity that ends before the issue time).
    pub(crate) fn from_parts(
        capacity: usize,
        watermark: Option<OffsetDateTime>,
        entries: Vec<LedgerEntry>,
    ) -> Result<UsedTokens, &'static str> {
        if capacity == 0 || entries.len() > capacity {
            return Err("used-token ledger: entries exceed capacity");
        }
        let mut out = Vec::with_capacity(entries.len());
        for (token_id, issued_at, parameters_valid_to) in entries {
            if parameters_valid_to <= issued_at {
                return Err("used-token ledger: validity ends before issue");
            }
            out.push(Entry {
                token_id,
                issued_at,
                parameters_valid_to,
            });
        }
        Ok(UsedTokens {
            capacity,
            watermark,
            entries: out,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::{WrappingAlgorithm, WrappingKeySpec};
    use time::Duration;
    use zeroize::Zeroizing;

    const T0: i64 = 1_700_000_000;

    fn at(secs: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(secs).unwrap()
    }

    fn claims(id: u8, issued: i64) -> TokenClaims {
        TokenClaims::from_parts(
            TokenId::from_bytes([id; 16]),
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            at(issued),
            at(issued) + Duration::hours(24),
            Zeroizing::new(vec![1]),
        )
        .unwrap()
    }

    #[test]
    fn unused_token_is_not_consumed_and_used_one_is() {
        let mut u = UsedTokens::default();
        let a = claims(1, T0);
        assert!(!u.is_consumed(&a));
        u.consume(&a, at(T0 + 10)).unwrap();
        assert!(u.is_consumed(&a));
        assert!(!u.is_consumed(&claims(2, T0)));
    }

    #[test]
    fn consuming_twice_is_invalid_import_token_and_changes_nothing() {
        let mut u = UsedTokens::new(4);
        let a = claims(1, T0);
        u.consume(&a, at(T0)).unwrap();
        let before = u.clone();
        assert_eq!(u.consume(&a, at(T0 + 1)), Err(Error::InvalidImportToken));
        assert_eq!(u, before);
    }

    #[test]
    fn ledger_never_lists_more_than_capacity() {
        let mut u = UsedTokens::new(3);
        for i in 0..10u8 {
            u.consume(&claims(i, T0 + i64::from(i)), at(T0 + 100))
                .unwrap();
            assert!(u.len() <= 3);
        }
        assert_eq!(u.len(), 3);
    }

    #[test]
    fn full_ledger_evicts_oldest_issue_and_raises_watermark_to_it() {
        let mut u = UsedTokens::new(2);
        // Consumed out of issue order: the oldest issue is the second one consumed.
        u.consume(&claims(1, T0 + 50), at(T0 + 100)).unwrap();
        u.consume(&claims(2, T0 + 20), at(T0 + 100)).unwrap();
        assert_eq!(u.watermark(), None);
        u.consume(&claims(3, T0 + 60), at(T0 + 100)).unwrap();
        assert_eq!(u.watermark(), Some(at(T0 + 20)));
        // Evicted token still refused (by the watermark), the others by their entries.
        for c in [claims(2, T0 + 20), claims(1, T0 + 50), claims(3, T0 + 60)] {
            assert!(u.is_consumed(&c));
        }
        // The conservative side: an unused token issued at or before the watermark is refused,
        // one issued after it is not.
        assert!(u.is_consumed(&claims(9, T0 + 20)));
        assert!(u.is_consumed(&claims(9, T0 + 5)));
        assert!(!u.is_consumed(&claims(9, T0 + 21)));
    }

    #[test]
    fn expired_entries_are_pruned_before_eviction() {
        let mut u = UsedTokens::new(2);
        u.consume(&claims(1, T0), at(T0)).unwrap();
        u.consume(&claims(2, T0 + 3600), at(T0 + 3600)).unwrap();
        // Token 1's validity ended at T0 + 24h; token 2's has not. Pruning frees room, so token 2
        // is kept and the watermark only rises to token 1's issue time.
        let later = T0 + 86_400;
        u.consume(&claims(3, later), at(later)).unwrap();
        assert_eq!(u.len(), 2);
        assert_eq!(u.watermark(), Some(at(T0)));
        assert!(!u.is_consumed(&claims(9, T0 + 1)));
        assert!(u.is_consumed(&claims(2, T0 + 3600)));
        assert!(u.is_consumed(&claims(3, later)));
    }

    #[test]
    fn entry_is_kept_until_validity_ends() {
        let mut u = UsedTokens::new(1);
        u.consume(&claims(1, T0), at(T0)).unwrap();
        // One second before expiry the entry is live, so the full ledger evicts it.
        u.consume(&claims(2, T0 + 10), at(T0 + 86_399)).unwrap();
        assert_eq!(u.watermark(), Some(at(T0)));
        let mut v = UsedTokens::new(1);
        v.consume(&claims(1, T0), at(T0)).unwrap();
        v.consume(&claims(2, T0 + 10), at(T0 + 86_400)).unwrap();
        assert_eq!(v.len(), 1);
        assert!(v.is_consumed(&claims(1, T0)));
    }

    #[test]
    fn zero_capacity_is_raised_to_one() {
        let mut u = UsedTokens::new(0);
        assert_eq!(u.capacity(), 1);
        u.consume(&claims(1, T0), at(T0)).unwrap();
        assert!(u.is_consumed(&claims(1, T0)));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn ledger_round_trips_through_json_and_rejects_bad_records() {
        let mut u = UsedTokens::new(2);
        u.consume(&claims(0xab, T0), at(T0)).unwrap();
        u.consume(&claims(2, T0 + 1), at(T0)).unwrap();
        u.consume(&claims(3, T0 + 2), at(T0)).unwrap();
        let json = serde_json::to_string(&u).unwrap();
        assert!(json.contains("\"watermark\":1700000000"), "{json}");
        let back: UsedTokens = serde_json::from_str(&json).unwrap();
        assert_eq!(back, u);

        for bad in [
            r#"{"capacity":0,"watermark":null,"entries":[]}"#,
            r#"{"capacity":1,"watermark":null,"entries":[
                {"token_id":"00000000000000000000000000000000","issued_at":1,"parameters_valid_to":2},
                {"token_id":"00000000000000000000000000000001","issued_at":1,"parameters_valid_to":2}]}"#,
            r#"{"capacity":1,"watermark":null,"entries":[
                {"token_id":"0000000000000000000000000000000G","issued_at":1,"parameters_valid_to":2}]}"#,
            r#"{"capacity":1,"watermark":null,"entries":[
                {"token_id":"00000000000000000000000000000000","issued_at":2,"parameters_valid_to":2}]}"#,
            r#"{"capacity":1,"watermark":9223372036854775807,"entries":[]}"#,
        ] {
            assert!(serde_json::from_str::<UsedTokens>(bad).is_err(), "{bad}");
        }
    }
}
