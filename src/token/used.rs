//! The bounded, exact ledger of import tokens a key has consumed.

use time::OffsetDateTime;

use super::{MAX_CLOCK_SKEW, TokenClaims, TokenId};
use crate::error::Error;

/// The import tokens a KMS key has already used for a successful import, kept in the key record
/// in bounded space.
///
/// Tokens are stateless, so only the key record can remember that one was used: a failed import
/// leaves its token usable, a successful one consumes it, and any later use is
/// [`Error::InvalidImportToken`].
///
/// The ledger is exact: it lists every consumed token, by id, until the token's validity has
/// ended, so a token it has not seen is never taken for a used one, however many imports
/// arrive in one second. It stays bounded in two ways:
///
/// - An entry is dropped once its `ParametersValidTo` lies [`MAX_CLOCK_SKEW`] or more in the
///   past. The ledger then remembers only a *watermark*, the latest validity end it dropped:
///   a token whose validity ends at or before it counts as consumed. Such a token is expired
///   on every instance whose clock is within the skew (and answered
///   [`Error::ExpiredImportToken`] there, since expiry is checked first); the watermark keeps an
///   instance whose clock lags further from accepting it again.
/// - It lists at most `capacity` live tokens. When every slot holds a token that is still
///   valid, a further import into the key is refused with [`Error::LimitExceeded`] (checked
///   with [`UsedTokens::check_room`] before any cryptography) rather than forgetting a used
///   token or refusing an unused one. The default, [`UsedTokens::DEFAULT_CAPACITY`], allows that
///   many successful imports into one key within any 24 hours.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "repr::UsedTokensRepr", into = "repr::UsedTokensRepr")
)]
pub struct UsedTokens {
    capacity: usize,
    /// The latest `parameters_valid_to` of a dropped entry.
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
    /// The capacity of [`UsedTokens::default`]: successful imports into one key within one
    /// token lifetime.
    pub const DEFAULT_CAPACITY: usize = 256;

    /// An empty ledger listing at most `capacity` tokens (at least one).
    pub fn new(capacity: usize) -> UsedTokens {
        UsedTokens {
            capacity: capacity.max(1),
            watermark: None,
            entries: Vec::new(),
        }
    }

    /// Whether the token described by `claims` counts as already used: its id is listed, or its
    /// validity ended at or before the watermark. Ids are compared in constant time.
    pub fn is_consumed(&self, claims: &TokenClaims) -> bool {
        let id = claims.token_id();
        let mut listed = false;
        for e in &self.entries {
            listed |= e.token_id.ct_eq(&id);
        }
        let below = self
            .watermark
            .is_some_and(|w| claims.parameters_valid_to() <= w);
        listed || below
    }

    /// Whether a successful import at `now` could be recorded: `LimitExceededException` when
    /// the ledger is full of tokens that are still valid. Changes nothing.
    pub fn check_room(&self, now: OffsetDateTime) -> Result<(), Error> {
        let live = self.entries.iter().filter(|e| !droppable(e, now)).count();
        if live >= self.capacity {
            return Err(Error::LimitExceeded(format!(
                "The KMS key has had {} successful imports within the validity of their \
                 import tokens; try again once the oldest token has expired.",
                self.capacity
            )));
        }
        Ok(())
    }

    /// Records that the token described by `claims` was used by a successful import at `now`.
    ///
    /// Fails, leaving the ledger unchanged, with [`Error::InvalidImportToken`] when the token
    /// already counts as consumed (so a caller may check and record in one step), and with
    /// [`Error::LimitExceeded`] when [`UsedTokens::check_room`] does.
    pub fn consume(&mut self, claims: &TokenClaims, now: OffsetDateTime) -> Result<(), Error> {
        if self.is_consumed(claims) {
            return Err(Error::InvalidImportToken);
        }
        self.check_room(now)?;
        self.prune(now);
        self.entries.push(Entry {
            token_id: claims.token_id(),
            issued_at: claims.issued_at(),
            parameters_valid_to: claims.parameters_valid_to(),
        });
        Ok(())
    }

    /// Drops the entries whose validity ended at least [`MAX_CLOCK_SKEW`] before `now`,
    /// raising the watermark to the latest of their validity ends.
    fn prune(&mut self, now: OffsetDateTime) {
        let mut dropped = None;
        self.entries.retain(|e| {
            let drop = droppable(e, now);
            if drop {
                dropped = dropped.max(Some(e.parameters_valid_to));
            }
            !drop
        });
        self.watermark = self.watermark.max(dropped);
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

    /// The validity end at or before which every token counts as consumed, if any.
    pub fn watermark(&self) -> Option<OffsetDateTime> {
        self.watermark
    }
}

/// Whether an entry may be forgotten at `now`: its token is expired on every instance whose
/// clock is within [`MAX_CLOCK_SKEW`].
fn droppable(e: &Entry, now: OffsetDateTime) -> bool {
    e.parameters_valid_to
        .checked_add(MAX_CLOCK_SKEW)
        .is_none_or(|t| t <= now)
}

#[cfg(feature = "serde")]
mod repr {
    //! The stored form: times as Unix seconds, token ids as 32 lowercase hex characters.
    //!
    //! Form 2 (written now) holds the watermark as a validity end. Form 1, without the
    //! `form` member, held it as an issue time, and its ledgers could be small; it is read by
    //! moving the watermark to that issue time plus the token validity and raising the
    //! capacity to the default.

    use time::OffsetDateTime;

    use super::{Entry, UsedTokens};
    use crate::token::{PARAMETERS_VALIDITY, TokenId};

    const FORM: u8 = 2;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(super) struct UsedTokensRepr {
        #[serde(default)]
        form: Option<u8>,
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
                form: Some(FORM),
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
            let legacy = match r.form {
                None => true,
                Some(FORM) => false,
                Some(_) => return Err("used-token ledger: unknown form".into()),
            };
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
            let mut watermark = r.watermark.map(time).transpose()?;
            let mut capacity = r.capacity;
            if legacy {
                watermark = watermark
                    .map(|w| {
                        w.checked_add(PARAMETERS_VALIDITY)
                            .ok_or_else(|| "used-token ledger: time out of range".to_string())
                    })
                    .transpose()?;
                capacity = capacity.max(UsedTokens::DEFAULT_CAPACITY);
            }
            Ok(UsedTokens {
                capacity,
                watermark,
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
    fn many_imports_in_one_second_never_refuse_an_unused_token() {
        // Token issue times are whole seconds: 300 tokens issued and used in the same second
        // (more than the capacity of the ledger's first form, 16) leave every other token of
        // that second usable, and every used one refused.
        let mut u = UsedTokens::default();
        let id = |i: u16| {
            let mut b = [0u8; 16];
            b[..2].copy_from_slice(&i.to_be_bytes());
            b
        };
        let c = |i: u16| {
            let mut c = claims(0, T0);
            c.token_id = TokenId::from_bytes(id(i));
            c
        };
        for i in 0..u16::try_from(UsedTokens::DEFAULT_CAPACITY).unwrap() {
            u.consume(&c(i), at(T0)).unwrap();
        }
        assert!(!u.is_consumed(&c(9999)));
        for i in 0..256 {
            assert!(u.is_consumed(&c(i)));
        }
    }

    #[test]
    fn full_ledger_of_live_tokens_refuses_the_import_not_the_token() {
        let mut u = UsedTokens::new(3);
        for i in 0..3u8 {
            u.consume(&claims(i, T0 + i64::from(i)), at(T0 + 100))
                .unwrap();
        }
        let before = u.clone();
        let fresh = claims(9, T0);
        assert!(!u.is_consumed(&fresh));
        let e = u.check_room(at(T0 + 100)).unwrap_err();
        assert_eq!(e.code(), "LimitExceededException");
        assert_eq!(u.consume(&fresh, at(T0 + 100)), Err(e));
        assert_eq!(u, before);
        // A used token is still answered as used, not as a limit.
        assert_eq!(
            u.consume(&claims(1, T0 + 1), at(T0 + 100)),
            Err(Error::InvalidImportToken)
        );
    }

    #[test]
    fn entries_are_dropped_only_a_clock_skew_after_their_validity_ends() {
        let mut u = UsedTokens::new(1);
        u.consume(&claims(1, T0), at(T0)).unwrap();
        let valid_to = T0 + 86_400;
        let skew = MAX_CLOCK_SKEW.whole_seconds();
        // At the validity end, and until the skew has passed, the entry still holds its slot.
        for now in [valid_to, valid_to + skew - 1] {
            assert_eq!(
                u.check_room(at(now)).unwrap_err().code(),
                "LimitExceededException"
            );
        }
        u.consume(&claims(2, valid_to), at(valid_to + skew))
            .unwrap();
        assert_eq!(u.len(), 1);
        assert_eq!(u.watermark(), Some(at(valid_to)));
        // The dropped token still counts as used; a token valid past the watermark does not.
        assert!(u.is_consumed(&claims(1, T0)));
        assert!(!u.is_consumed(&claims(3, T0 + 1)));
        assert!(u.is_consumed(&claims(2, valid_to)));
    }

    #[test]
    fn ledger_never_lists_more_than_capacity() {
        let mut u = UsedTokens::new(3);
        for i in 0..10u8 {
            let t = T0 + i64::from(i) * 86_400;
            let _ = u.consume(&claims(i, t), at(t));
            assert!(u.len() <= 3);
        }
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
    fn first_form_is_read_with_its_watermark_moved_to_the_validity_end() {
        let json = r#"{"capacity":16,"watermark":1700000000,"entries":[]}"#;
        let u: UsedTokens = serde_json::from_str(json).unwrap();
        assert_eq!(u.watermark(), Some(at(T0 + 86_400)));
        assert_eq!(u.capacity(), UsedTokens::DEFAULT_CAPACITY);
        assert!(u.is_consumed(&claims(1, T0)));
        assert!(!u.is_consumed(&claims(1, T0 + 1)));
        let unknown = r#"{"form":3,"capacity":16,"watermark":null,"entries":[]}"#;
        assert!(serde_json::from_str::<UsedTokens>(unknown).is_err());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn ledger_round_trips_through_json_and_rejects_bad_records() {
        let mut u = UsedTokens::new(2);
        u.consume(&claims(0xab, T0), at(T0)).unwrap();
        u.consume(&claims(2, T0 + 1), at(T0)).unwrap();
        let later = T0 + 86_400 + MAX_CLOCK_SKEW.whole_seconds();
        u.consume(&claims(3, later), at(later)).unwrap();
        let json = serde_json::to_string(&u).unwrap();
        assert!(json.contains("\"form\":2"), "{json}");
        assert!(json.contains("\"watermark\":1700086400"), "{json}");
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
