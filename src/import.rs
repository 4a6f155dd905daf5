//! The import operations: GetParametersForImport, ImportKeyMaterial and
//! DeleteImportedKeyMaterial, plus access to imported material for cryptographic use.
//!
//! Every operation takes the key record (which it updates in place), the request, `now` and,
//! where it needs randomness, the caller's CSPRNG; it applies due expiry first. Each returns an
//! [`Applied`]: the answer or the AWS error, and whether the record changed, also when the
//! operation failed (expiry was applied). A failed operation changes nothing else. The
//! embedder stores a changed record with compare-and-swap on the revision it loaded (the
//! contract is in [`crate::store`]):
//!
//! ```text
//! let key_id = import.resolve_key_id(&request.key_id)?;            // no aliases
//! let mut record = store.get(&key_id)?.ok_or_else(|| import.key_not_found(&key_id))?;
//! let loaded = record.revision();
//! let applied = import.import_key_material(&mut record, &request, now, &mut rng);
//! if applied.changed {
//!     store.insert_if_revision(&record, Some(loaded), &mut rng)?;   // compare-and-swap
//! }
//! let response = applied.result?;
//! ```

mod issued_keys;

use std::fmt;

use rand_core::CryptoRng;
use time::OffsetDateTime;

use crate::error::Error;
use crate::expiration::Expiration;
use crate::key_id::{KeyArn, KeyContext, KeyId};
use crate::material::{
    CheckedMaterial, CommitmentKeys, KeyMaterial, KeyMaterialId, ValidatedMaterial,
    check_material_description, validate_material,
};
use crate::names::{
    ExpirationModel, ImportType, IncludeKeyMaterial, WrappingAlgorithm, WrappingKeySpec,
};
use crate::page::{Page, paginate};
#[cfg(doc)]
use crate::pool::WrappingKeyPool;
use crate::pool::WrappingKeySource;
use crate::record::{KeyMaterialEntry, RotationOutcome};
use crate::record::{KeyRecord, MaterialImport};
use crate::state::{DisabledImportPolicy, KeyOperation, TransitionInput, outcome};
use crate::store::Applied;
use crate::token::{ImportToken, MAX_TOKEN_LEN, SealingKeys, TokenClaims};
use crate::wrap::{
    UnwrappingKey, WrapPolicy, WrappingPrivateKey, WrappingProvider, check_compatible,
    check_provider_supports,
};

use issued_keys::IssuedKeyCache;
pub use issued_keys::IssuedKeyCacheStats;

/// AWS's limit on `EncryptedKeyMaterial`, in bytes.
pub(crate) const MAX_ENCRYPTED_KEY_MATERIAL_LEN: usize = 6144;

/// The service-wide settings of the import operations: where keys live (partition, Region,
/// account), the import-token sealing keys, the wrapping backend and the policies.
///
/// The service also keeps, in memory, the wrapping keys of the tokens it issued (at most
/// [`ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY`] by default; see
/// [`with_issued_key_cache`](Self::with_issued_key_cache)). ImportKeyMaterial on the instance
/// that issued a token then skips loading the key from the token. This is only a shortcut:
/// tokens stay self-contained, so any instance with the same sealing keys still opens any
/// token. The service is `Sync`; share it by reference across threads.
pub struct ImportService {
    context: KeyContext,
    sealing_keys: SealingKeys,
    provider: &'static dyn WrappingProvider,
    wrap_policy: WrapPolicy,
    disabled_import_policy: DisabledImportPolicy,
    commitment_keys: Option<CommitmentKeys>,
    issued_keys: IssuedKeyCache,
}

impl ImportService {
    /// How many issued wrapping keys a service keeps unless told otherwise.
    pub const DEFAULT_ISSUED_KEY_CACHE_CAPACITY: usize = IssuedKeyCache::DEFAULT_CAPACITY;

    /// Settings with the default wrapping backend ([`crate::wrap::default_provider`]), the
    /// default wrap policy (RSAES_PKCS1_V1_5 refused) and imports into Disabled keys leaving
    /// them Disabled.
    pub fn new(context: KeyContext, sealing_keys: SealingKeys) -> ImportService {
        ImportService {
            context,
            sealing_keys,
            provider: crate::wrap::default_provider(),
            wrap_policy: WrapPolicy::default(),
            disabled_import_policy: DisabledImportPolicy::default(),
            commitment_keys: None,
            issued_keys: IssuedKeyCache::new(Self::DEFAULT_ISSUED_KEY_CACHE_CAPACITY),
        }
    }

    /// Uses another wrapping backend. Empties the cache of issued keys, whose keys belong to
    /// the previous backend.
    pub fn with_provider(mut self, provider: &'static dyn WrappingProvider) -> ImportService {
        self.provider = provider;
        self.issued_keys = IssuedKeyCache::new(self.issued_keys.stats().capacity);
        self
    }

    /// Keeps the wrapping keys of at most `capacity` issued, unexpired and not yet used tokens
    /// in memory (default [`ImportService::DEFAULT_ISSUED_KEY_CACHE_CAPACITY`]); 0 turns the cache off. When
    /// the cache is full, the entry whose token expires first goes. Each entry is a shared
    /// handle to a key the pool already produced, a few kilobytes at RSA_4096. Replaces (and
    /// so empties) the current cache.
    pub fn with_issued_key_cache(mut self, capacity: usize) -> ImportService {
        self.issued_keys = IssuedKeyCache::new(capacity);
        self
    }

    /// Counts of the cache of issued wrapping keys (entries, capacity, hits, misses), for
    /// metrics. Hits and misses are counted only while the cache is on.
    pub fn issued_key_cache_stats(&self) -> IssuedKeyCacheStats {
        self.issued_keys.stats()
    }

    /// Sets the wrap policy (for example to accept the legacy RSAES_PKCS1_V1_5).
    pub fn with_wrap_policy(mut self, policy: WrapPolicy) -> ImportService {
        self.wrap_policy = policy;
        self
    }

    /// Keys the `KeyMaterialId` of every material imported from now on with the current
    /// commitment key (see [`CommitmentKey`](crate::CommitmentKey)), so the public id confirms
    /// no guess of the material to anyone without the key; every instance must hold the same
    /// keys. Records made before keep their ids and keep verifying: each material records the
    /// version its id was made with (none for ids keyed with the KMS key id alone, which is what
    /// a service without commitment keys makes, and what production services should not).
    pub fn with_commitment_keys(mut self, keys: CommitmentKeys) -> ImportService {
        self.commitment_keys = Some(keys);
        self
    }

    /// The commitment keys, if loaded.
    pub fn commitment_keys(&self) -> Option<&CommitmentKeys> {
        self.commitment_keys.as_ref()
    }

    /// Mutable access to the commitment keys, to rotate them.
    pub fn commitment_keys_mut(&mut self) -> Option<&mut CommitmentKeys> {
        self.commitment_keys.as_mut()
    }

    /// Sets what an import into a Disabled key does.
    pub fn with_disabled_import_policy(mut self, policy: DisabledImportPolicy) -> ImportService {
        self.disabled_import_policy = policy;
        self
    }

    /// The partition, Region and account keys live in.
    pub fn context(&self) -> &KeyContext {
        &self.context
    }

    /// The import-token sealing keys.
    pub fn sealing_keys(&self) -> &SealingKeys {
        &self.sealing_keys
    }

    /// Mutable access to the sealing keys, to rotate them.
    pub fn sealing_keys_mut(&mut self) -> &mut SealingKeys {
        &mut self.sealing_keys
    }

    /// The wrapping backend.
    pub fn provider(&self) -> &'static dyn WrappingProvider {
        self.provider
    }

    /// The wrap policy.
    pub fn wrap_policy(&self) -> &WrapPolicy {
        &self.wrap_policy
    }

    /// Resolves the `KeyId` member of an import request (key id or key ARN of this account
    /// and Region; aliases are refused): `NotFoundException`, `InvalidArnException` or
    /// `ValidationException` as AWS returns them.
    pub fn resolve_key_id(&self, key_id: &str) -> Result<KeyId, Error> {
        self.context.resolve_for_import(key_id)
    }

    /// `NotFoundException` `Key '<arn>' does not exist`, for a resolved id with no record.
    pub fn key_not_found(&self, key_id: &KeyId) -> Error {
        self.context.key_not_found(key_id)
    }

    fn check_names_record(&self, key_id: &str, record: &KeyRecord) -> Result<(), Error> {
        let id = self.resolve_key_id(key_id)?;
        if id != record.key_id() || record.arn() != &self.context.arn_for(&id) {
            return Err(self.key_not_found(&id));
        }
        Ok(())
    }

    /// GetParametersForImport: a wrapping key pair from `keys` (a [`WrappingKeyPool`] takes a
    /// ready one of the spec, else generates one inline) and an import token that seals its
    /// private half, bound to this key, the algorithm and the wrapping key spec, valid for 24
    /// hours. `changed` is set when due expiry was applied.
    ///
    /// Errors, in this order: the identifier's (`NotFoundException`, `InvalidArnException`);
    /// origin not EXTERNAL (`UnsupportedOperationException`); the key state
    /// (`KMSInvalidStateException`: pending deletion, …); an algorithm / wrapping key spec /
    /// key spec combination that cannot work, SM2, or RSAES_PKCS1_V1_5 without the legacy
    /// opt-in (`UnsupportedOperationException`).
    pub fn get_parameters_for_import(
        &self,
        record: &mut KeyRecord,
        request: &GetParametersForImportRequest,
        keys: &mut dyn WrappingKeySource,
        now: OffsetDateTime,
        rng: &mut dyn CryptoRng,
    ) -> Applied<GetParametersForImportResponse> {
        Applied::track(record, |record| {
            self.get_parameters_steps(record, request, keys, now, rng)
        })
    }

    fn get_parameters_steps(
        &self,
        record: &mut KeyRecord,
        request: &GetParametersForImportRequest,
        keys: &mut dyn WrappingKeySource,
        now: OffsetDateTime,
        rng: &mut dyn CryptoRng,
    ) -> Result<GetParametersForImportResponse, Error> {
        self.check_names_record(&request.key_id, record)?;
        record.expire_materials(now);
        record.check_operation(KeyOperation::GetParametersForImport, now)?;
        check_compatible(
            record.key_spec(),
            request.wrapping_algorithm,
            request.wrapping_key_spec,
            &self.wrap_policy,
        )?;
        check_provider_supports(self.provider, request.wrapping_algorithm)?;
        let key = keys.wrapping_key(self.provider, request.wrapping_key_spec, rng)?;
        if key.spec() != request.wrapping_key_spec {
            return Err(Error::Internal);
        }
        let claims = TokenClaims::new(
            record.arn().to_string(),
            request.wrapping_algorithm,
            request.wrapping_key_spec,
            key.to_token_encoding()?,
            now,
            rng,
        )?;
        let import_token = self.sealing_keys.seal(&claims, rng)?;
        self.issued_keys.insert(&claims, &key, now);
        Ok(GetParametersForImportResponse {
            key_id: record.arn().clone(),
            public_key: key.public_key_spki_der().to_vec(),
            import_token,
            parameters_valid_to: claims.parameters_valid_to(),
        })
    }

    /// ImportKeyMaterial. The whole request is checked before any cryptography, in the order
    /// AWS validates (schema, identifier, state, token, material), each step with its AWS error:
    ///
    /// 1. the request on its own (`ValidationException`): `ImportToken` and
    ///    `EncryptedKeyMaterial` are 1..=6144 bytes; `KeyMaterialDescription` is 1..=256
    ///    characters of `[a-zA-Z0-9:/_.-]` and ASCII whitespace; `ExpirationModel` and `ValidTo`
    ///    agree and `ValidTo` is after now and at most 365 days ahead; NEW_KEY_MATERIAL comes
    ///    without a `KeyMaterialId`;
    /// 2. the identifier names this key, by key id or key ARN (`NotFoundException`,
    ///    `InvalidArnException`);
    /// 3. origin EXTERNAL (`UnsupportedOperationException`), then the key state under the
    ///    service's [`DisabledImportPolicy`] (`KMSInvalidStateException`: pending deletion, or
    ///    Disabled when the policy rejects imports into Disabled keys);
    /// 4. the members the key takes: `ImportType`, `KeyMaterialId` and `KeyMaterialDescription`
    ///    only on SYMMETRIC_DEFAULT keys (`UnsupportedOperationException`); a `KeyMaterialId`
    ///    with an omitted `ImportType` only once the key has material (`ValidationException`:
    ///    the omitted type then means NEW_KEY_MATERIAL);
    /// 5. the token opens under the sealing keys, was issued for this key, and not after now
    ///    plus the clock skew (`InvalidImportTokenException`), has not passed its
    ///    `ParametersValidTo` (`ExpiredImportTokenException`), and was not used up by an
    ///    earlier successful import (`InvalidImportTokenException`); the key's used-token
    ///    ledger has room (`LimitExceededException`);
    /// 6. the token's algorithm and wrapping key spec suit the key spec
    ///    (`UnsupportedOperationException`);
    /// 7. the material unwraps (`InvalidCiphertextException`, one message for every cause);
    /// 8. the material is valid for the key spec, and on re-import is the same key
    ///    (`IncorrectKeyMaterialException`; `KMSInvalidStateException` for a second pending
    ///    NEW_KEY_MATERIAL).
    ///
    /// No RSA operation runs for a request that fails before step 7. On success the material is
    /// recorded with its expiration and its commitment (see
    /// [`with_commitment_keys`](Self::with_commitment_keys)), the key state moves (to Enabled
    /// from PendingImport once all its material is present; a Disabled key stays Disabled unless
    /// the service's policy says otherwise), and the token is used up.
    ///
    /// The wrapping key comes from the service's cache of issued keys when this instance issued
    /// the token (the entry is dropped once the import succeeds), else from the token itself;
    /// the result and the errors are the same either way.
    pub fn import_key_material(
        &self,
        record: &mut KeyRecord,
        request: &ImportKeyMaterialRequest,
        now: OffsetDateTime,
        rng: &mut dyn CryptoRng,
    ) -> Applied<ImportKeyMaterialResponse> {
        Applied::track(record, |record| {
            self.import_key_material_steps(record, request, now, rng)
        })
    }

    fn import_key_material_steps(
        &self,
        record: &mut KeyRecord,
        request: &ImportKeyMaterialRequest,
        now: OffsetDateTime,
        rng: &mut dyn CryptoRng,
    ) -> Result<ImportKeyMaterialResponse, Error> {
        // 1. The request on its own.
        check_blob_len("importToken", &request.import_token, MAX_TOKEN_LEN)?;
        check_blob_len(
            "encryptedKeyMaterial",
            &request.encrypted_key_material,
            MAX_ENCRYPTED_KEY_MATERIAL_LEN,
        )?;
        if let Some(description) = &request.key_material_description {
            check_material_description(description)?;
        }
        let expiration = Expiration::from_request(request.expiration_model, request.valid_to, now)?;
        if request.import_type == Some(ImportType::NewKeyMaterial)
            && request.key_material_id.is_some()
        {
            return Err(new_material_with_id());
        }

        // 2. The identifier.
        self.check_names_record(&request.key_id, record)?;

        // 3. Origin and state, under this service's policy for Disabled keys.
        record.expire_materials(now);
        self.check_import_state(record)?;

        // 4. The members this key takes.
        check_members_for_key(record, request)?;

        // 5. The token.
        let arn = record.arn().to_string();
        let claims = self.sealing_keys.open(&request.import_token, &arn, now)?;
        if record.token_consumed(&claims) {
            return Err(Error::InvalidImportToken);
        }
        record.used_tokens().check_room(now)?;

        // 6. The token's parameters against the key spec.
        check_compatible(
            record.key_spec(),
            claims.wrapping_algorithm(),
            claims.wrapping_key_spec(),
            &self.wrap_policy,
        )?;

        // 7. Unwrap.
        let wrapping_key = match self.issued_keys.get(&claims) {
            Some(key) => key,
            None => WrappingPrivateKey::from_token_encoding_with(
                self.provider,
                claims.wrapping_private_key(),
            )
            .map_err(|_| Error::InvalidImportToken)?,
        };
        // Bound to the token's algorithm and spec: nothing else can be unwrapped with it.
        let unwrapping_key = UnwrappingKey::for_token(wrapping_key, &claims)?;
        let mut plaintext =
            unwrapping_key.unwrap(&request.encrypted_key_material, &self.wrap_policy, rng)?;
        // Moves the buffer into the zeroizing material: no second copy of the secret.
        let material = KeyMaterial::new(std::mem::take(&mut *plaintext));

        // 8. The material: valid for the key spec, committed to, and recorded.
        let validated = validate_material(record.key_spec(), &material)?;
        let commitment = CommitmentKeys::commit(
            self.commitment_keys.as_ref(),
            &record.key_id().to_string(),
            &material,
            &validated,
            record.materials().iter().map(|m| m.commitment_version()),
        )?;
        let material = CheckedMaterial::from_validated(&validated, material);
        drop(validated);
        let legacy_wrapping = claims.wrapping_algorithm() == WrappingAlgorithm::RsaesPkcs1V15;
        let mut next = record.clone();
        let key_material_id = next.import_committed_material(
            material,
            &commitment,
            MaterialImport {
                expiration,
                import_type: request.import_type,
                key_material_id: request.key_material_id,
                description: request.key_material_description.clone(),
                disabled_import_policy: self.disabled_import_policy,
            },
            legacy_wrapping,
            now,
        )?;
        next.consume_token(&claims, now)?;
        *record = next;
        self.issued_keys.remove(&claims.token_id());
        let unconfirmed_legacy = record
            .materials()
            .iter()
            .any(|m| m.id().ct_eq(&key_material_id) && m.legacy_wrapping());
        Ok(ImportKeyMaterialResponse {
            key_id: record.arn().clone(),
            key_material_id,
            legacy_wrapping: unconfirmed_legacy,
        })
    }

    /// Origin, then the key state for an import, with this service's policy for Disabled keys.
    fn check_import_state(&self, record: &KeyRecord) -> Result<(), Error> {
        let input = TransitionInput::new(record.origin(), true)
            .with_disabled_import_policy(self.disabled_import_policy);
        outcome(record.key_state(), KeyOperation::ImportKeyMaterial, &input)
            .into_result(record.arn())
            .map(|_| ())
    }

    /// DeleteImportedKeyMaterial: drops the material named by `KeyMaterialId` (default: the
    /// current one; its bytes are zeroized, its id kept for re-import) and moves the key to
    /// PendingImport, except from PendingDeletion, where the state stays. Deleting material
    /// still pending rotation changes no state.
    ///
    /// Errors: the identifier's; origin not EXTERNAL (`UnsupportedOperationException`); the
    /// key state (`KMSInvalidStateException`); a `KeyMaterialId` not associated with the key
    /// (`NotFoundException`).
    pub fn delete_imported_key_material(
        &self,
        record: &mut KeyRecord,
        request: &DeleteImportedKeyMaterialRequest,
        now: OffsetDateTime,
    ) -> Applied<DeleteImportedKeyMaterialResponse> {
        Applied::track(record, |record| {
            self.check_names_record(&request.key_id, record)?;
            let key_material_id = record
                .delete_material(request.key_material_id, now)
                .into_result()?;
            Ok(DeleteImportedKeyMaterialResponse {
                key_id: record.arn().clone(),
                key_material_id,
            })
        })
    }
}

impl ImportService {
    /// RotateKeyOnDemand for an EXTERNAL symmetric key: the material imported with
    /// NEW_KEY_MATERIAL becomes CURRENT, the previous one NON_CURRENT (decrypt only).
    ///
    /// Errors: the identifier's (aliases refused, as for the import operations); then those of
    /// [`KeyRecord::rotate_key_on_demand`] (state, key spec, nothing pending, 25 rotations).
    pub fn rotate_key_on_demand(
        &self,
        record: &mut KeyRecord,
        key_id: &str,
        now: OffsetDateTime,
    ) -> Applied<RotationOutcome> {
        Applied::track(record, |record| {
            self.check_names_record(key_id, record)?;
            record.rotate_key_on_demand(now).into_result()
        })
    }

    /// ListKeyRotations: the key's materials, oldest first, one page of at most `limit`
    /// entries starting at `marker`.
    ///
    /// Errors: the identifier's (aliases refused); those of [`KeyRecord::list_key_rotations`];
    /// `ValidationException` for a limit outside 1..=1000; `InvalidMarkerException`.
    pub fn list_key_rotations(
        &self,
        record: &KeyRecord,
        key_id: &str,
        include: IncludeKeyMaterial,
        limit: Option<u32>,
        marker: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Page<KeyMaterialEntry>, Error> {
        self.check_names_record(key_id, record)?;
        let entries = record.list_key_rotations(include, now)?;
        paginate(entries, limit, marker, |e| e.key_material_id.to_string())
    }
}

impl fmt::Debug for ImportService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportService")
            .field("context", &self.context)
            .field("sealing_keys", &self.sealing_keys)
            .field("provider", &self.provider.name())
            .field("wrap_policy", &self.wrap_policy)
            .field("disabled_import_policy", &self.disabled_import_policy)
            .field("commitment_keys", &self.commitment_keys)
            .field("issued_key_cache", &self.issued_keys)
            .finish()
    }
}

/// `ImportType`, `KeyMaterialId` and `KeyMaterialDescription` belong to the rotation of
/// SYMMETRIC_DEFAULT material; AWS refuses `ImportType` on other keys (its wording for the other
/// two is not recorded: the same exception and sentence shape are used). A `KeyMaterialId` with
/// an omitted `ImportType` on a key that never had material is the NEW_KEY_MATERIAL case.
fn check_members_for_key(
    record: &KeyRecord,
    request: &ImportKeyMaterialRequest,
) -> Result<(), Error> {
    let spec = record.key_spec();
    if !spec.is_symmetric() {
        let member = if request.import_type.is_some() {
            Some("ImportType")
        } else if request.key_material_id.is_some() {
            Some("KeyMaterialId")
        } else if request.key_material_description.is_some() {
            Some("KeyMaterialDescription")
        } else {
            None
        };
        if let Some(member) = member {
            return Err(Error::UnsupportedOperation(format!(
                "{member} is not supported for KeySpec {spec}."
            )));
        }
    }
    if request.import_type.is_none()
        && request.key_material_id.is_some()
        && record.materials().is_empty()
    {
        return Err(new_material_with_id());
    }
    Ok(())
}

fn new_material_with_id() -> Error {
    Error::Validation(
        "KeyMaterialId must not be set when ImportType is NEW_KEY_MATERIAL".to_owned(),
    )
}

fn check_blob_len(member: &str, blob: &[u8], max: usize) -> Result<(), Error> {
    if blob.is_empty() || blob.len() > max {
        return Err(Error::invalid_length(member, 1, max));
    }
    Ok(())
}

/// The imported material of `record` that a cryptographic operation at `now` may use: the
/// CURRENT material, checked for use (`DisabledException` when Disabled,
/// `KMSInvalidStateException` when pending import, pending deletion, …) and parsed for its key
/// spec. The handle zeroizes its secrets on drop.
pub fn usable_material(
    record: &KeyRecord,
    now: OffsetDateTime,
) -> Result<ValidatedMaterial, Error> {
    record.check_usable(now)?;
    let material = record
        .current_material()
        .and_then(|m| m.material())
        .ok_or(Error::Internal)?;
    validate_material(record.key_spec(), material)
}

/// The imported material `key_material_id` of `record`, for decrypting data encrypted before a
/// rotation (CURRENT or NON_CURRENT material). The key must be usable at `now`;
/// `IncorrectKeyException` when the key holds no such material.
pub fn usable_material_by_id(
    record: &KeyRecord,
    key_material_id: &KeyMaterialId,
    now: OffsetDateTime,
) -> Result<ValidatedMaterial, Error> {
    record.check_usable(now)?;
    let material = record
        .materials()
        .iter()
        .filter(|m| m.is_permanently_associated())
        .find(|m| m.id().ct_eq(key_material_id))
        .and_then(|m| m.material())
        .ok_or_else(|| {
            Error::IncorrectKey(format!(
                "The key material of the ciphertext is not associated with {}.",
                record.arn()
            ))
        })?;
    validate_material(record.key_spec(), material)
}

/// GetParametersForImport request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetParametersForImportRequest {
    /// Key id or key ARN of an EXTERNAL key (aliases are refused).
    pub key_id: String,
    /// The algorithm the material will be wrapped with.
    pub wrapping_algorithm: WrappingAlgorithm,
    /// The type of wrapping key to return.
    pub wrapping_key_spec: WrappingKeySpec,
}

/// GetParametersForImport response. With the `wire` feature it serializes as AWS's output
/// (`KeyId`, `PublicKey` and `ImportToken` as base64, `ParametersValidTo` in epoch seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "wire", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "wire", serde(rename_all = "PascalCase"))]
pub struct GetParametersForImportResponse {
    /// The key ARN (always the ARN, whatever form the request used).
    #[cfg_attr(feature = "wire", serde(with = "crate::wire::codec::key_arn"))]
    pub key_id: KeyArn,
    /// The wrapping public key, DER SubjectPublicKeyInfo.
    #[cfg_attr(feature = "wire", serde(with = "crate::wire::blob"))]
    pub public_key: Vec<u8>,
    /// The sealed import token, to send back with the wrapped material.
    #[cfg_attr(feature = "wire", serde(with = "crate::wire::codec::import_token"))]
    pub import_token: ImportToken,
    /// When the public key and token stop being accepted (issue time + 24 hours).
    #[cfg_attr(feature = "wire", serde(with = "crate::wire::timestamp"))]
    pub parameters_valid_to: OffsetDateTime,
}

/// ImportKeyMaterial request.
#[derive(Clone, PartialEq, Eq)]
pub struct ImportKeyMaterialRequest {
    /// Key id or key ARN (aliases are refused).
    pub key_id: String,
    /// The token from GetParametersForImport.
    pub import_token: Vec<u8>,
    /// The material wrapped under the token's public key with the token's algorithm.
    pub encrypted_key_material: Vec<u8>,
    /// Defaults to KEY_MATERIAL_EXPIRES, which requires `valid_to`.
    pub expiration_model: Option<ExpirationModel>,
    /// When the material expires: after now and at most 365 days ahead.
    pub valid_to: Option<OffsetDateTime>,
    /// NEW_KEY_MATERIAL or EXISTING_KEY_MATERIAL (symmetric keys only).
    pub import_type: Option<ImportType>,
    /// The id of the existing material being re-imported.
    pub key_material_id: Option<KeyMaterialId>,
    /// A description of the material (0..256 characters).
    pub key_material_description: Option<String>,
}

impl ImportKeyMaterialRequest {
    /// A request with the required members and no optional ones (so KEY_MATERIAL_EXPIRES
    /// without a `ValidTo`, which fails until one is set).
    pub fn new(
        key_id: impl Into<String>,
        import_token: Vec<u8>,
        encrypted_key_material: Vec<u8>,
    ) -> ImportKeyMaterialRequest {
        ImportKeyMaterialRequest {
            key_id: key_id.into(),
            import_token,
            encrypted_key_material,
            expiration_model: None,
            valid_to: None,
            import_type: None,
            key_material_id: None,
            key_material_description: None,
        }
    }

    /// Sets KEY_MATERIAL_EXPIRES with this `ValidTo`.
    pub fn expires_at(mut self, valid_to: OffsetDateTime) -> ImportKeyMaterialRequest {
        self.expiration_model = Some(ExpirationModel::KeyMaterialExpires);
        self.valid_to = Some(valid_to);
        self
    }

    /// Sets KEY_MATERIAL_DOES_NOT_EXPIRE.
    pub fn does_not_expire(mut self) -> ImportKeyMaterialRequest {
        self.expiration_model = Some(ExpirationModel::KeyMaterialDoesNotExpire);
        self.valid_to = None;
        self
    }
}

impl fmt::Debug for ImportKeyMaterialRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImportKeyMaterialRequest")
            .field("key_id", &self.key_id)
            .field(
                "import_token",
                &format_args!("<{} bytes>", self.import_token.len()),
            )
            .field(
                "encrypted_key_material",
                &format_args!("<{} bytes>", self.encrypted_key_material.len()),
            )
            .field("expiration_model", &self.expiration_model)
            .field("valid_to", &self.valid_to)
            .field("import_type", &self.import_type)
            .field("key_material_id", &self.key_material_id)
            .field("key_material_description", &self.key_material_description)
            .finish()
    }
}

/// ImportKeyMaterial response. With the `wire` feature it serializes as AWS's output (`KeyId`,
/// `KeyMaterialId`); `legacy_wrapping` is this crate's and stays off the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "wire", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "wire", serde(rename_all = "PascalCase"))]
pub struct ImportKeyMaterialResponse {
    /// The key ARN.
    #[cfg_attr(feature = "wire", serde(with = "crate::wire::codec::key_arn"))]
    pub key_id: KeyArn,
    /// The id of the imported material.
    pub key_material_id: KeyMaterialId,
    /// Whether the material is known to the key only through the legacy RSAES_PKCS1_V1_5
    /// (only possible with [`WrapPolicy::allow_legacy_rsaes_pkcs1_v1_5_insecure`]): this import
    /// came that way and no import of the same material through another algorithm has
    /// confirmed it. Its implicit rejection
    /// turns about 1 in 250 corrupted RSA-2048 blobs into 32 pseudo-random bytes, which a key
    /// without material accepts as its first material: before trusting such a first import, an
    /// embedder should require a use of the key that proves the client holds the same material
    /// (for example decrypting a ciphertext the client made locally). See also
    /// [`MaterialRecord::legacy_wrapping`](crate::MaterialRecord::legacy_wrapping).
    #[cfg_attr(feature = "wire", serde(skip))]
    pub legacy_wrapping: bool,
}

/// DeleteImportedKeyMaterial request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteImportedKeyMaterialRequest {
    /// Key id or key ARN (aliases are refused).
    pub key_id: String,
    /// The material to delete; default the current one.
    pub key_material_id: Option<KeyMaterialId>,
}

/// DeleteImportedKeyMaterial response. With the `wire` feature it serializes as AWS's output
/// (`KeyId`, and `KeyMaterialId` when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "wire", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "wire", serde(rename_all = "PascalCase"))]
pub struct DeleteImportedKeyMaterialResponse {
    /// The key ARN.
    #[cfg_attr(feature = "wire", serde(with = "crate::wire::codec::key_arn"))]
    pub key_id: KeyArn,
    /// The id of the material deleted; `None` when the key never had material.
    #[cfg_attr(
        feature = "wire",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub key_material_id: Option<KeyMaterialId>,
}
