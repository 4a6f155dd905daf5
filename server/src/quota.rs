//! Request-rate quotas per account and operation, as AWS KMS documents them: each quota is a
//! token bucket refilled at its rate and holding at most one second's worth of requests (at
//! least one), so a client that keeps under the rate is never throttled and a burst above it
//! is answered `ThrottlingException`.
//!
//! The server serves one account (credentials are not checked), so the buckets are per
//! operation; each instance counts its own requests.

use std::collections::HashMap;
use std::time::Instant;

use crate::prelude::*;

/// The shared quota of the symmetric cryptographic operations.
pub const CRYPTO_SYMMETRIC: &str = "cryptographic-symmetric";
/// The shared quota of the asymmetric signing operations.
pub const CRYPTO_ASYMMETRIC: &str = "cryptographic-asymmetric";

/// AWS's default request quotas (requests per second) for what this server serves. The
/// cryptographic quotas vary by Region on AWS; 5,500 is the smallest default. AWS counts RSA
/// and ECC keys in separate 1,000/s quotas; here Sign and Verify share one.
pub const DEFAULTS: &[(&str, f64)] = &[
    (CRYPTO_SYMMETRIC, 5_500.0),
    (CRYPTO_ASYMMETRIC, 1_000.0),
    ("GetParametersForImport", 0.25),
    ("ImportKeyMaterial", 5.0),
    ("DeleteImportedKeyMaterial", 15.0),
    ("DescribeKey", 2_000.0),
    ("GetPublicKey", 2_000.0),
    ("ListKeys", 500.0),
    ("ListAliases", 500.0),
    ("ListKeyRotations", 100.0),
    ("CreateKey", 5.0),
    ("CreateAlias", 5.0),
    ("DeleteAlias", 15.0),
    ("EnableKey", 5.0),
    ("DisableKey", 5.0),
    ("ScheduleKeyDeletion", 15.0),
    ("CancelKeyDeletion", 5.0),
    ("RotateKeyOnDemand", 5.0),
];

/// The quota an operation counts against: a shared group for the cryptographic operations,
/// the operation itself otherwise.
pub fn class_of(operation: &str) -> &str {
    match operation {
        "Encrypt"
        | "Decrypt"
        | "GenerateMac"
        | "VerifyMac"
        | "ReEncrypt"
        | "GenerateDataKey"
        | "GenerateDataKeyWithoutPlaintext"
        | "GenerateRandom" => CRYPTO_SYMMETRIC,
        "Sign" | "Verify" => CRYPTO_ASYMMETRIC,
        other => other,
    }
}

/// A quota name and its rate, from `--rate-limit NAME=RATE`.
pub(crate) fn parse_override(s: &str) -> Result<(String, f64), String> {
    let (name, rate) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not NAME=RATE (e.g. GetParametersForImport=1)"))?;
    let Some((name, _)) = DEFAULTS.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = DEFAULTS.iter().map(|(n, _)| *n).collect();
        return Err(format!(
            "`{name}` names no quota; one of: {}",
            known.join(", ")
        ));
    };
    let rate: f64 = rate
        .parse()
        .map_err(|_| format!("`{rate}` is not a rate in requests per second"))?;
    if !(0.0..=1e9).contains(&rate) {
        return Err(format!("{rate} is outside 0 to 1e9 requests per second"));
    }
    Ok(((*name).to_owned(), rate))
}

struct Bucket {
    rate: f64,
    capacity: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, now: Instant) -> Bucket {
        let capacity = rate.max(1.0);
        Bucket {
            rate,
            capacity,
            tokens: if rate > 0.0 { capacity } else { 0.0 },
            last: now,
        }
    }

    fn try_take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Every quota of the server; `None` when quotas are off.
pub(crate) struct Quotas {
    buckets: Option<HashMap<&'static str, Mutex<Bucket>>>,
}

impl Quotas {
    /// AWS's defaults with the overrides applied, or no quota at all when `enabled` is false.
    pub(crate) fn new(enabled: bool, overrides: &[(String, f64)]) -> Quotas {
        if !enabled {
            return Quotas { buckets: None };
        }
        let now = Instant::now();
        let buckets = DEFAULTS
            .iter()
            .map(|&(name, default)| {
                let rate = overrides
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map_or(default, |(_, r)| *r);
                (name, Mutex::new(Bucket::new(rate, now)))
            })
            .collect();
        Quotas {
            buckets: Some(buckets),
        }
    }

    /// Whether one more request of `operation` is within its quota (and counts it if so).
    pub(crate) fn admit(&self, operation: &str) -> bool {
        let Some(buckets) = &self.buckets else {
            return true;
        };
        match buckets.get(class_of(operation)) {
            Some(bucket) => lock(bucket).try_take(Instant::now()),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_admits_one_seconds_worth_then_refills_at_its_rate() {
        let t0 = Instant::now();
        let mut b = Bucket::new(5.0, t0);
        assert_eq!((0..10).filter(|_| b.try_take(t0)).count(), 5);
        assert!(!b.try_take(t0 + StdDuration::from_millis(100)));
        assert!(b.try_take(t0 + StdDuration::from_millis(300)));
        assert!(!b.try_take(t0 + StdDuration::from_millis(300)));
    }

    #[test]
    fn a_fractional_rate_admits_one_request_per_interval() {
        let t0 = Instant::now();
        let mut b = Bucket::new(0.25, t0);
        assert!(b.try_take(t0));
        assert!(!b.try_take(t0 + StdDuration::from_secs(3)));
        assert!(b.try_take(t0 + StdDuration::from_secs(4)));
    }

    #[test]
    fn a_zero_rate_refuses_everything() {
        let t0 = Instant::now();
        let mut b = Bucket::new(0.0, t0);
        assert!(!b.try_take(t0));
        assert!(!b.try_take(t0 + StdDuration::from_secs(3600)));
    }

    #[test]
    fn cryptographic_operations_share_a_quota_and_others_have_their_own() {
        let q = Quotas::new(true, &[("cryptographic-symmetric".to_owned(), 2.0)]);
        assert!(q.admit("Encrypt"));
        assert!(q.admit("Decrypt"));
        assert!(!q.admit("GenerateMac"));
        assert!(q.admit("DescribeKey"));
        assert!(q.admit("Sign"));
    }

    #[test]
    fn quotas_off_admit_everything() {
        let q = Quotas::new(false, &[("GetParametersForImport".to_owned(), 0.0)]);
        assert!((0..100).all(|_| q.admit("GetParametersForImport")));
    }

    #[test]
    fn the_default_get_parameters_quota_is_one_every_four_seconds() {
        let q = Quotas::new(true, &[]);
        assert!(q.admit("GetParametersForImport"));
        assert!(!q.admit("GetParametersForImport"));
        assert!(q.admit("ImportKeyMaterial"));
    }

    #[test]
    fn overrides_name_a_known_quota_and_a_rate() {
        assert_eq!(
            parse_override("ImportKeyMaterial=50"),
            Ok(("ImportKeyMaterial".to_owned(), 50.0))
        );
        assert!(parse_override("ImportKeyMaterial").is_err());
        assert!(parse_override("Nope=1").is_err());
        assert!(parse_override("DescribeKey=-1").is_err());
        assert!(parse_override("DescribeKey=fast").is_err());
    }
}
