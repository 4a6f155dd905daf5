//! Keys are regional: the Region a request is signed for, and what a Region this server does
//! not serve looks like from a client's side (no keys, no aliases).
//!
//! The server serves one Region (`--region`). A request whose SigV4 credential scope names
//! another Region sees none of its keys: every key identifier answers `NotFoundException`,
//! as AWS answers for a key of another Region, lists are empty, and a ciphertext made here
//! does not decrypt there. Creating keys in another Region is refused: this server holds one
//! Region's keys only. A request without an `Authorization` header (or with one that names
//! no credential scope) is taken to be for the served Region.

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
pub(crate) fn check_arn_region(input: &str, region: &str) -> Result<(), Error> {
    if let Ok(KeyIdentifier::KeyArn(arn)) = KeyIdentifier::parse(input)
        && arn.region().as_str() != region
    {
        return Err(Error::NotFound(format!("Invalid arn {}", arn.region())));
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

/// Whether the operation takes key ids and key ARNs only (no aliases).
fn keys_only(request: &Request) -> bool {
    matches!(
        request,
        Request::GetParametersForImport(_)
            | Request::ImportKeyMaterial(_)
            | Request::DeleteImportedKeyMaterial(_)
            | Request::EnableKey(_)
            | Request::DisableKey(_)
            | Request::ScheduleKeyDeletion(_)
            | Request::CancelKeyDeletion(_)
            | Request::RotateKeyOnDemand(_)
            | Request::ListKeyRotations(_)
            | Request::CreateAlias(_)
            | Request::ListAliases(_)
    )
}

/// The answer to `request` signed for `region`, a Region this server does not serve.
pub(crate) fn elsewhere(
    home: &KeyContext,
    region: &str,
    request: Request,
) -> Result<Response, Error> {
    let ctx = KeyContext::new(home.partition().as_str(), region, home.account().as_str()).map_err(
        |_| {
            Error::UnsupportedOperation(format!(
                "The request is signed for Region '{}', which this server does not serve.",
                region.escape_default()
            ))
        },
    )?;
    if let Request::CreateAlias(r) = &request {
        new_alias_name(&r.alias_name)?;
    }
    if let Request::DeleteAlias(r) = &request {
        let name: AliasName = r.alias_name.parse()?;
        return Err(ctx.alias_not_found(&name));
    }
    let only_keys = keys_only(&request);
    if let Some(input) = key_identifiers(&request).first() {
        let id = if only_keys {
            ResolvedKeyRef::Key(ctx.resolve_for_import(input)?)
        } else {
            ctx.resolve_any(input)?
        };
        return Err(match id {
            ResolvedKeyRef::Key(id) => ctx.key_not_found(&id),
            ResolvedKeyRef::Alias(alias) => ctx.alias_not_found(&alias),
        });
    }
    Ok(match request {
        Request::ListKeys(_) => Response::ListKeys(wire::ListKeysResponse {
            keys: Vec::new(),
            truncated: false,
            next_marker: None,
        }),
        Request::ListAliases(_) => Response::ListAliases(wire::ListAliasesResponse {
            aliases: Vec::new(),
            truncated: false,
            next_marker: None,
        }),
        // A ciphertext made in this server's Region names a key the other Region does not have.
        Request::Decrypt(_) => return Err(Error::InvalidCiphertext),
        Request::CreateKey(_) => {
            return Err(Error::UnsupportedOperation(format!(
                "This server holds the keys of Region {} only; the request is signed for {}.",
                home.region(),
                ctx.region()
            )));
        }
        other => {
            return Err(Error::UnsupportedOperation(format!(
                "Operation {} is not supported by this server.",
                other.operation()
            )));
        }
    })
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
            Err(Error::NotFound("Invalid arn us-west-2".to_owned()))
        );
        assert_eq!(check_arn_region(arn, "us-west-2"), Ok(()));
        assert_eq!(check_arn_region("alias/x", "us-east-1"), Ok(()));
        assert_eq!(
            check_arn_region("1234abcd-12ab-34cd-56ef-1234567890ab", "us-east-1"),
            Ok(())
        );
    }
}
