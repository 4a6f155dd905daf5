//! Keys are regional: the Region a request is signed for selects its keys.
//!
//! Every Region is served, as AWS serves every Region: a request whose SigV4 credential scope
//! names Region R works on R's keys, aliases and tokens only. Its store partition is its own
//! (`ACCOUNT/R`), so lists show R's keys only, a key of another Region answers
//! `NotFoundException`, a ciphertext made in another Region does not decrypt in R, and the
//! quotas count per account and Region. A request without an `Authorization` header (or with
//! one that names no credential scope) is for the default Region, `--region`.
//!
//! One [`Kms`] per Region, made on first use and kept (at most `--max-regions` of them, so
//! that made-up Region names cannot grow the server's memory), all over the same store, the
//! same wrapping-key pool, the same secrets and the same limits.

use crate::prelude::*;

/// The Region of the credential scope in a SigV4 `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=…`.
pub(crate) fn signed_region(authorization: &str) -> Option<&str> {
    let (_, rest) = authorization.split_once("Credential=")?;
    let credential = rest
        .split(|c: char| c == ',' || c.is_ascii_whitespace())
        .next()?;
    let mut parts = credential.split('/');
    let _access_key = parts.next()?;
    let _date = parts.next()?;
    let region = parts.next()?;
    let _service = parts.next()?;
    (!region.is_empty()).then_some(region)
}

/// `NotFoundException` `Invalid arn <region>`: AWS's answer for a key ARN naming a Region
/// other than the one the request is signed for.
pub(crate) fn check_arn_region(input: &str, region: &str) -> Result<(), KmsError> {
    if let Ok(KeyIdentifier::KeyArn(arn)) = KeyIdentifier::parse(input)
        && arn.region().as_str() != region
    {
        return Err(KmsError::NotFound(format!("Invalid arn {}", arn.region())));
    }
    Ok(())
}

/// The key identifier members of a request (KeyId, TargetKeyId).
pub(crate) fn key_identifiers(request: &Request) -> Vec<&str> {
    match request {
        Request::DescribeKey(r)
        | Request::EnableKey(r)
        | Request::DisableKey(r)
        | Request::CancelKeyDeletion(r)
        | Request::GetPublicKey(r) => vec![&r.key_id],
        Request::RotateKeyOnDemand(r) => vec![&r.key_id],
        Request::GetParametersForImport(r) => vec![&r.key_id],
        Request::ImportKeyMaterial(r) => vec![&r.key_id],
        Request::DeleteImportedKeyMaterial(r) => vec![&r.key_id],
        Request::ScheduleKeyDeletion(r) => vec![&r.key_id],
        Request::Encrypt(r) => vec![&r.key_id],
        Request::Decrypt(r) => r.key_id.iter().map(String::as_str).collect(),
        Request::GenerateMac(r) => vec![&r.key_id],
        Request::VerifyMac(r) => vec![&r.key_id],
        Request::Sign(r) => vec![&r.key_id],
        Request::Verify(r) => vec![&r.key_id],
        Request::CreateAlias(r) => vec![&r.target_key_id],
        Request::ListAliases(r) => r.key_id.iter().map(String::as_str).collect(),
        Request::ListKeyRotations(r) => vec![&r.key_id],
        _ => Vec::new(),
    }
}

/// Every Region's [`Kms`], made on first use.
pub(crate) struct Regions {
    /// The Region of requests that name none (`--region`).
    home: Arc<Kms>,
    account: String,
    backend: Arc<dyn Backend>,
    pool: Arc<Pool>,
    secrets: crate::secrets::Secrets,
    limits: Limits,
    /// At most this many Regions (the default one included) are served.
    max: usize,
    served: std::sync::RwLock<std::collections::HashMap<String, Arc<Kms>>>,
}

impl Regions {
    pub(crate) fn new(
        home: &KeyContext,
        backend: Arc<dyn Backend>,
        pool: Arc<Pool>,
        secrets: crate::secrets::Secrets,
        limits: Limits,
        max: usize,
    ) -> Regions {
        let kms = Arc::new(make_kms(home, &backend, &pool, &secrets, limits));
        let served = std::iter::once((home.region().as_str().to_owned(), Arc::clone(&kms)));
        Regions {
            home: kms,
            account: home.account().as_str().to_owned(),
            backend,
            pool,
            secrets,
            limits,
            max: max.max(1),
            served: std::sync::RwLock::new(served.collect()),
        }
    }

    /// The default Region's service.
    #[cfg(test)]
    pub(crate) fn home(&self) -> &Arc<Kms> {
        &self.home
    }

    fn context(&self, region: &str) -> Result<KeyContext, KmsError> {
        KeyContext::new(self.home.ctx.partition().as_str(), region, &self.account).map_err(|_| {
            KmsError::UnsupportedOperation(format!(
                "The request is signed for '{}', which is not a Region name.",
                shown(region)
            ))
        })
    }

    fn make(&self, ctx: &KeyContext) -> Kms {
        make_kms(ctx, &self.backend, &self.pool, &self.secrets, self.limits)
    }

    /// The service of `region` (the default Region when `None`), made on first use.
    /// UnsupportedOperationException for a string that is not a Region name, and for a new
    /// Region once `--max-regions` are served.
    pub(crate) fn get(&self, region: Option<&str>) -> Result<Arc<Kms>, KmsError> {
        let Some(region) = region else {
            return Ok(Arc::clone(&self.home));
        };
        let read = self.served.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(kms) = read.get(region) {
            return Ok(Arc::clone(kms));
        }
        drop(read);
        let ctx = self.context(region)?;
        let mut served = self.served.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(kms) = served.get(region) {
            return Ok(Arc::clone(kms));
        }
        if served.len() >= self.max {
            tracing::warn!(
                max = self.max,
                "--max-regions reached: a new Region is refused"
            );
            return Err(KmsError::UnsupportedOperation(format!(
                "The request is signed for Region {}; this server serves at most {} Regions \
                 (--max-regions) and serves that many already.",
                ctx.region(),
                self.max
            )));
        }
        let kms = Arc::new(self.make(&ctx));
        served.insert(region.to_owned(), Arc::clone(&kms));
        Ok(kms)
    }

    /// Runs one request signed for `region` (the default Region when `None`); returns the
    /// HTTP status, the body and the error code (if any).
    pub(crate) fn handle(
        &self,
        target: &str,
        body: &[u8],
        region: Option<&str>,
    ) -> (u16, Vec<u8>, Option<&'static str>) {
        match self.get(region) {
            Ok(kms) => kms.handle(target, body),
            Err(error) => {
                let error = Error::from(error);
                let (status, body) = encode_error(Operation::from_target(target).ok(), &error);
                (status, body, Some(error.code()))
            }
        }
    }

    /// The timer step, on every instance: the keys that are due in every Region of the
    /// account, those this process has not served yet included (another instance on the same
    /// store may have made them), each handled by its Region's service (see [`Kms::sweep_key`]);
    /// then expired import tokens are forgotten. The answer counts what this instance did.
    pub(crate) fn sweep(&self, now: OffsetDateTime) -> Swept {
        let mut swept = Swept::default();
        let prefix = account_prefix(&self.account);
        let due = match self
            .backend
            .due_all(&prefix, now.unix_timestamp(), SWEEP_BATCH)
        {
            Ok(due) => due,
            Err(e) => {
                let _ = store_failure(e);
                return swept;
            }
        };
        for (partition, id) in due {
            let (Some(region), Ok(id)) = (partition.strip_prefix(&prefix), KeyId::from_str(&id))
            else {
                continue;
            };
            let kms = match self.get(Some(region)) {
                Ok(kms) => kms,
                // Past --max-regions the key is still swept, by a service made for the step.
                Err(_) => match self.context(region) {
                    Ok(ctx) => Arc::new(self.make(&ctx)),
                    Err(_) => {
                        tracing::warn!(%partition, "store: a partition that names no Region");
                        continue;
                    }
                },
            };
            // A failure was logged; the key stays due and the next tick tries again.
            let _ = kms.sweep_key(&id, now, &mut swept);
        }
        if let Err(e) = self.backend.purge_tokens(now.unix_timestamp()) {
            let _ = store_failure(e);
        }
        swept
    }
}

/// How many due keys one sweep step handles at most.
const SWEEP_BATCH: usize = 256;

fn make_kms(
    ctx: &KeyContext,
    backend: &Arc<dyn Backend>,
    pool: &Arc<Pool>,
    secrets: &crate::secrets::Secrets,
    limits: Limits,
) -> Kms {
    let store = Store::new(Arc::clone(backend), secrets.storage.clone(), ctx, limits);
    Kms::new(ctx.clone(), Arc::clone(pool), secrets, store)
}

/// A client-supplied string for a message: escaped and cut short.
fn shown(s: &str) -> String {
    s.chars().take(64).flat_map(char::escape_default).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_is_the_third_part_of_the_credential_scope() {
        let h = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-3/kms/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=abcd";
        assert_eq!(signed_region(h), Some("eu-west-3"));
        let h =
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/kms/aws4_request,SignedHeaders=x";
        assert_eq!(signed_region(h), Some("us-east-1"));
    }

    #[test]
    fn a_header_without_a_credential_scope_names_no_region() {
        assert_eq!(signed_region(""), None);
        assert_eq!(signed_region("Bearer abc"), None);
        assert_eq!(
            signed_region("AWS4-HMAC-SHA256 Credential=AKID/20260101"),
            None
        );
        assert_eq!(
            signed_region("AWS4-HMAC-SHA256 Credential=AKID/20260101//kms/x"),
            None
        );
    }

    #[test]
    fn a_key_arn_of_another_region_is_an_invalid_arn() {
        let arn = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        assert_eq!(
            check_arn_region(arn, "us-east-1"),
            Err(KmsError::NotFound("Invalid arn us-west-2".to_owned()))
        );
        assert_eq!(check_arn_region(arn, "us-west-2"), Ok(()));
        assert_eq!(check_arn_region("alias/x", "us-east-1"), Ok(()));
        assert_eq!(
            check_arn_region("1234abcd-12ab-34cd-56ef-1234567890ab", "us-east-1"),
            Ok(())
        );
    }
}
