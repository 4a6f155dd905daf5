//! The KMS operations: one method per AWS operation, dispatched from a parsed request.

use crate::prelude::*;

pub(crate) struct Kms {
    pub(crate) ctx: KeyContext,
    pub(crate) import: ImportService,
    pub(crate) store: Store,
    pub(crate) pool: Arc<Pool>,
}

/// How often an operation reloads and redoes its work after losing a compare-and-swap before
/// it gives up with KMSInternalException (only a key changed this often by others loses).
pub(crate) const CAS_ATTEMPTS: usize = 32;

/// The digest an outstanding import token is tracked by.
pub(crate) fn token_digest(token: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token).into()
}

pub(crate) fn encryption_algorithms(spec: KeySpec) -> Vec<EncryptionAlgorithmSpec> {
    if spec.is_symmetric() {
        vec![EncryptionAlgorithmSpec::SymmetricDefault]
    } else if spec.is_rsa() {
        vec![
            EncryptionAlgorithmSpec::RsaesOaepSha1,
            EncryptionAlgorithmSpec::RsaesOaepSha256,
        ]
    } else {
        Vec::new()
    }
}

pub(crate) fn signing_algorithms(spec: KeySpec) -> Vec<SigningAlgorithmSpec> {
    use SigningAlgorithmSpec as A;
    match spec {
        KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => vec![
            A::RsassaPssSha256,
            A::RsassaPssSha384,
            A::RsassaPssSha512,
            A::RsassaPkcs1V15Sha256,
            A::RsassaPkcs1V15Sha384,
            A::RsassaPkcs1V15Sha512,
        ],
        KeySpec::EccNistP256 | KeySpec::EccSecgP256k1 => vec![A::EcdsaSha256],
        KeySpec::EccNistP384 => vec![A::EcdsaSha384],
        KeySpec::EccNistP521 => vec![A::EcdsaSha512],
        _ => Vec::new(),
    }
}

pub(crate) fn mac_algorithm(spec: KeySpec) -> Option<MacAlgorithmSpec> {
    match spec {
        KeySpec::Hmac224 => Some(MacAlgorithmSpec::HmacSha224),
        KeySpec::Hmac256 => Some(MacAlgorithmSpec::HmacSha256),
        KeySpec::Hmac384 => Some(MacAlgorithmSpec::HmacSha384),
        KeySpec::Hmac512 => Some(MacAlgorithmSpec::HmacSha512),
        _ => None,
    }
}

pub(crate) fn metadata(record: &KeyRecord, now: OffsetDateTime) -> wire::KeyMetadata {
    let d = record.describe(now);
    let (spec, usage) = (d.key_spec, d.key_usage);
    wire::KeyMetadata {
        aws_account_id: d.aws_account_id.as_str().to_owned(),
        key_id: d.key_id.to_string(),
        arn: d.arn.to_string(),
        creation_date: d.creation_date,
        enabled: d.enabled,
        description: d.description,
        key_usage: usage,
        key_state: d.key_state,
        deletion_date: d.deletion_date,
        valid_to: d.valid_to,
        origin: d.origin,
        expiration_model: d.expiration_model,
        key_manager: d.key_manager,
        customer_master_key_spec: wire::legacy_key_spec(spec),
        key_spec: spec,
        encryption_algorithms: (usage == KeyUsage::EncryptDecrypt)
            .then(|| encryption_algorithms(spec)),
        signing_algorithms: (usage == KeyUsage::SignVerify).then(|| signing_algorithms(spec)),
        mac_algorithms: (usage == KeyUsage::GenerateVerifyMac)
            .then(|| mac_algorithm(spec).into_iter().collect()),
        multi_region: d.multi_region,
        current_key_material_id: d.current_key_material_id,
        pending_deletion_window_in_days: d.pending_deletion_window_in_days,
    }
}

/// The key's metadata; for a symmetric key of origin AWS_KMS, with the id of the generated
/// material that is current, as AWS reports it.
pub(crate) fn key_metadata(key: &Key, now: OffsetDateTime) -> wire::KeyMetadata {
    let mut m = metadata(&key.record, now);
    if let Some(generated) = &key.generated
        && key.record.key_spec().is_symmetric()
    {
        m.current_key_material_id = generated.current().ok().map(|v| v.id);
    }
    m
}

pub(crate) fn wrong_usage(record: &KeyRecord, op: &str) -> Error {
    KmsError::InvalidKeyUsage(format!(
        "{} key usage is {} which is not valid for {op}.",
        record.arn(),
        record.key_usage()
    ))
    .into()
}

pub(crate) fn check_usage(record: &KeyRecord, usage: KeyUsage, op: &str) -> Result<(), Error> {
    if record.key_usage() == usage {
        Ok(())
    } else {
        Err(wrong_usage(record, op))
    }
}

impl Key {
    /// The key's material for a cryptographic operation at `now`: the state must allow use
    /// (DisabledException, KMSInvalidStateException).
    pub(crate) fn usable(&self, now: OffsetDateTime) -> Result<ValidatedMaterial, KmsError> {
        match &self.generated {
            Some(generated) => {
                self.record.check_usable(now)?;
                validate_material(self.record.key_spec(), &generated.current()?.material)
            }
            None => kms_import::usable_material(&self.record, now),
        }
    }

    /// As [`Key::usable`], for the material a ciphertext names.
    pub(crate) fn usable_by_id(
        &self,
        id: &KeyMaterialId,
        now: OffsetDateTime,
    ) -> Result<ValidatedMaterial, KmsError> {
        match &self.generated {
            Some(generated) => {
                self.record.check_usable(now)?;
                let version = generated.find(id).ok_or(KmsError::InvalidCiphertext)?;
                validate_material(self.record.key_spec(), &version.material)
            }
            None => kms_import::usable_material_by_id(&self.record, id, now).map_err(|e| match e {
                KmsError::IncorrectKey(_) => KmsError::InvalidCiphertext,
                other => other,
            }),
        }
    }

    /// The id the next symmetric ciphertext is made under.
    pub(crate) fn current_material_id(&self) -> Result<KeyMaterialId, KmsError> {
        match &self.generated {
            Some(generated) => Ok(generated.current()?.id),
            None => self
                .record
                .current_material()
                .map(|m| m.id())
                .ok_or(KmsError::Internal),
        }
    }
}

/// Splits one page off `rows`, which a store read from the request's marker (inclusive) with
/// room for one more: the core's rules (a marker that names no entry is
/// InvalidMarkerException), in O(page).
pub(crate) fn index_page<T>(
    mut rows: Vec<T>,
    size: usize,
    marker: Option<&str>,
    name: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), Error> {
    if let Some(m) = marker
        && rows.first().is_none_or(|first| name(first) != m)
    {
        return Err(kms_import::page::invalid_marker(m).into());
    }
    let next = rows.get(size).map(&name);
    rows.truncate(size);
    Ok((rows, next))
}

impl Kms {
    pub(crate) fn new(
        ctx: KeyContext,
        pool: Arc<Pool>,
        secrets: &crate::secrets::Secrets,
        store: Store,
    ) -> Kms {
        Kms {
            import: ImportService::new(ctx.clone(), secrets.sealing.clone())
                .with_commitment_keys(secrets.commitment.clone()),
            ctx,
            store,
            pool,
        }
    }

    /// Runs one request signed for this service's Region; returns the HTTP status, the body
    /// and the error code (if any).
    pub(crate) fn handle(&self, target: &str, body: &[u8]) -> (u16, Vec<u8>, Option<&'static str>) {
        let operation = Operation::from_target(target).ok();
        let result = wire::parse_request(target, body)
            .map_err(Error::from)
            .and_then(|request| {
                if matches!(request, Request::CreateKey(_)) {
                    check_create_key_tags(body)?;
                }
                self.answer(request)
            });
        match result {
            Ok(response) => {
                let (status, body) = wire::encode_response(&response);
                (status, body, None)
            }
            Err(error) => {
                let (status, body) = encode_error(operation, &error);
                (status, body, Some(error.code()))
            }
        }
    }

    /// Keys are regional: a key ARN must name the Region of this service, the Region the
    /// request is signed for (NotFoundException `Invalid arn <region>` otherwise, as AWS
    /// answers).
    pub(crate) fn answer(&self, request: Request) -> Result<Response, Error> {
        for input in key_identifiers(&request) {
            check_arn_region(input, self.ctx.region().as_str())?;
        }
        self.dispatch(request)
    }

    pub(crate) fn dispatch(&self, request: Request) -> Result<Response, Error> {
        let now = now();
        let mut rng: OsRng = UnwrapErr(SysRng);
        Ok(match request {
            Request::CreateKey(r) => Response::CreateKey(self.create_key(r, now, &mut rng)?),
            Request::DescribeKey(r) => Response::DescribeKey(wire::DescribeKeyResponse {
                key_metadata: self.with_key_any(&r.key_id, now, |k| Ok(key_metadata(k, now)))?,
            }),
            Request::ListKeys(r) => Response::ListKeys(self.list_keys(r)?),
            Request::GetParametersForImport(r) => {
                Response::GetParametersForImport(self.get_parameters(r, now, &mut rng)?)
            }
            Request::ImportKeyMaterial(r) => {
                let id = self.import.resolve_key_id(&r.key_id)?;
                let out = self.with_key_id(&id, now, |k| {
                    self.import
                        .import_key_material(&mut k.record, &r, now, &mut rng)
                        .into_result()
                        .map_err(Error::from)
                })?;
                self.token_used(&r.import_token);
                Response::ImportKeyMaterial(out)
            }
            Request::DeleteImportedKeyMaterial(r) => {
                let id = self.import.resolve_key_id(&r.key_id)?;
                let out = self.with_key_id(&id, now, |k| {
                    self.import
                        .delete_imported_key_material(&mut k.record, &r, now)
                        .into_result()
                        .map_err(Error::from)
                })?;
                Response::DeleteImportedKeyMaterial(out)
            }
            Request::EnableKey(r) => {
                self.with_key_strict(&r.key_id, now, |k| {
                    k.record.enable(now).into_result().map_err(Error::from)
                })?;
                Response::EnableKey
            }
            Request::DisableKey(r) => {
                self.with_key_strict(&r.key_id, now, |k| {
                    k.record.disable(now).into_result().map_err(Error::from)
                })?;
                Response::DisableKey
            }
            Request::ScheduleKeyDeletion(r) => {
                let days = r
                    .pending_window_in_days
                    .unwrap_or(kms_import::DEFAULT_PENDING_WINDOW_DAYS);
                Response::ScheduleKeyDeletion(self.with_key_strict(&r.key_id, now, |k| {
                    let date = k.record.schedule_deletion(now, Some(days)).into_result()?;
                    Ok(wire::ScheduleKeyDeletionResponse {
                        key_id: k.record.arn().to_string(),
                        deletion_date: Some(date),
                        key_state: k.record.key_state(),
                        pending_window_in_days: days,
                    })
                })?)
            }
            Request::CancelKeyDeletion(r) => {
                Response::CancelKeyDeletion(self.with_key_strict(&r.key_id, now, |k| {
                    k.record.cancel_deletion(now).into_result()?;
                    Ok(wire::KeyIdResponse {
                        key_id: k.record.arn().to_string(),
                    })
                })?)
            }
            Request::GetPublicKey(r) => {
                Response::GetPublicKey(self.with_key_any(&r.key_id, now, |k| {
                    let rec = &k.record;
                    let spec = rec.key_spec();
                    if !spec.is_asymmetric() {
                        return Err(KmsError::UnsupportedOperation(format!(
                            "{} key spec {spec} does not have a public key.",
                            rec.arn()
                        ))
                        .into());
                    }
                    let material = k.usable(now)?;
                    let public_key = material
                        .public_key_spki_der()
                        .ok_or(KmsError::Internal)?
                        .to_vec();
                    let usage = rec.key_usage();
                    Ok(wire::GetPublicKeyResponse {
                        key_id: rec.arn().to_string(),
                        public_key,
                        customer_master_key_spec: wire::legacy_key_spec(spec),
                        key_spec: spec,
                        key_usage: usage,
                        encryption_algorithms: (usage == KeyUsage::EncryptDecrypt)
                            .then(|| encryption_algorithms(spec)),
                        signing_algorithms: (usage == KeyUsage::SignVerify)
                            .then(|| signing_algorithms(spec)),
                    })
                })?)
            }
            Request::Encrypt(r) => Response::Encrypt(self.encrypt(r, now, &mut rng)?),
            Request::Decrypt(r) => Response::Decrypt(self.decrypt(r, now, &mut rng)?),
            Request::GenerateMac(r) => {
                Response::GenerateMac(self.with_key_any(&r.key_id, now, |k| {
                    let material = k.usable(now)?;
                    check_usage(&k.record, KeyUsage::GenerateVerifyMac, "GenerateMac")?;
                    check_mac_algorithm(k.record.key_spec(), r.mac_algorithm)?;
                    Ok(wire::GenerateMacResponse {
                        mac: material.mac(r.mac_algorithm, r.message.expose_secret())?,
                        mac_algorithm: r.mac_algorithm,
                        key_id: k.record.arn().to_string(),
                    })
                })?)
            }
            Request::VerifyMac(r) => {
                Response::VerifyMac(self.with_key_any(&r.key_id, now, |k| {
                    let material = k.usable(now)?;
                    check_usage(&k.record, KeyUsage::GenerateVerifyMac, "VerifyMac")?;
                    check_mac_algorithm(k.record.key_spec(), r.mac_algorithm)?;
                    if !material.verify_mac(r.mac_algorithm, r.message.expose_secret(), &r.mac)? {
                        // AWS's answer carries no message.
                        return Err(Error::InvalidMac(String::new()));
                    }
                    Ok(wire::VerifyMacResponse {
                        key_id: k.record.arn().to_string(),
                        mac_valid: true,
                        mac_algorithm: r.mac_algorithm,
                    })
                })?)
            }
            Request::Sign(r) => Response::Sign(self.with_key_any(&r.key_id, now, |k| {
                let material = k.usable(now)?;
                check_usage(&k.record, KeyUsage::SignVerify, "Sign")?;
                let signature = material.sign(
                    r.signing_algorithm,
                    r.message_type.unwrap_or(MessageType::Raw),
                    r.message.expose_secret(),
                    &mut rng,
                )?;
                Ok(wire::SignResponse {
                    key_id: k.record.arn().to_string(),
                    signature,
                    signing_algorithm: r.signing_algorithm,
                })
            })?),
            Request::Verify(r) => Response::Verify(self.with_key_any(&r.key_id, now, |k| {
                let material = k.usable(now)?;
                check_usage(&k.record, KeyUsage::SignVerify, "Verify")?;
                let valid = material.verify(
                    r.signing_algorithm,
                    r.message_type.unwrap_or(MessageType::Raw),
                    r.message.expose_secret(),
                    &r.signature,
                )?;
                if !valid {
                    // AWS's answer carries no message.
                    return Err(Error::InvalidSignature(String::new()));
                }
                Ok(wire::VerifyResponse {
                    key_id: k.record.arn().to_string(),
                    signature_valid: true,
                    signing_algorithm: r.signing_algorithm,
                })
            })?),
            Request::CreateAlias(r) => {
                self.create_alias(r, now)?;
                Response::CreateAlias
            }
            Request::DeleteAlias(r) => {
                let name: AliasName = r.alias_name.parse()?;
                if !self
                    .store
                    .backend()
                    .delete_alias(self.store.account(), name.as_str())
                    .map_err(store_failure)?
                {
                    return Err(self.ctx.alias_not_found(&name).into());
                }
                Response::DeleteAlias
            }
            Request::ListAliases(r) => Response::ListAliases(self.list_aliases(r)?),
            Request::RotateKeyOnDemand(r) => {
                let id = self.import.resolve_key_id(&r.key_id)?;
                Response::RotateKeyOnDemand(self.with_key_id(&id, now, |k| {
                    match &mut k.generated {
                        Some(generated) => rotate_generated(&k.record, generated, now, &mut rng)?,
                        None => {
                            self.import
                                .rotate_key_on_demand(&mut k.record, &r.key_id, now)
                                .into_result()?;
                        }
                    }
                    Ok(wire::KeyIdResponse {
                        key_id: k.record.arn().to_string(),
                    })
                })?)
            }
            Request::ListKeyRotations(r) => {
                let id = self.import.resolve_key_id(&r.key_id)?;
                Response::ListKeyRotations(self.with_key_id(&id, now, |k| {
                    let page = self.import.list_key_rotations(
                        &k.record,
                        &r.key_id,
                        r.include_key_material
                            .unwrap_or(kms_import::IncludeKeyMaterial::RotationsOnly),
                        r.limit,
                        r.marker.as_deref(),
                        now,
                    )?;
                    // AWS's documented ListKeyRotations example shows the key id here.
                    Ok(wire::ListKeyRotationsResponse::from_page(
                        &k.record.key_id().to_string(),
                        &page,
                    ))
                })?)
            }
        })
    }

    /// Resolves any identifier form (key id, key ARN, alias name, alias ARN) to a key id.
    pub(crate) fn resolve_any(&self, input: &str) -> Result<KeyId, Error> {
        match self.ctx.resolve_any(input)? {
            ResolvedKeyRef::Key(id) => Ok(id),
            ResolvedKeyRef::Alias(alias) => {
                let row = self
                    .store
                    .backend()
                    .get_alias(self.store.account(), alias.as_str())
                    .map_err(store_failure)?
                    .ok_or_else(|| self.ctx.alias_not_found(&alias))?;
                KeyId::from_str(&row.target).map_err(|_| KmsError::Internal.into())
            }
        }
    }

    /// The key as stored, with the expiry due at `now` applied (in memory: the sweep or the
    /// next write stores it).
    pub(crate) fn read_key(&self, id: &KeyId, now: OffsetDateTime) -> Result<Key, Error> {
        Ok(self.load_live(id, now)?.0)
    }

    /// The key and the revision it is stored under, with due expiry applied in memory. A key
    /// whose deletion date has passed is gone (NotFoundException) even before a sweep removes
    /// its row.
    fn load_live(&self, id: &KeyId, now: OffsetDateTime) -> Result<(Key, u64), Error> {
        let (mut key, stored) = self
            .store
            .load(id)?
            .filter(|(key, _)| !key.record.deletion_due(now))
            .ok_or_else(|| self.ctx.key_not_found(id))?;
        key.record.expire_materials(now);
        Ok((key, stored))
    }

    /// Runs `f` on the key and stores what it changed with compare-and-swap on the revision
    /// it loaded. No lock is held while `f` runs (it may do an RSA private operation); when
    /// another writer got there first, `f` runs again on a fresh read, so no update is lost
    /// or applied twice. `f`'s answer is the answer of the attempt whose write won (or of the
    /// attempt that changed nothing).
    pub(crate) fn with_key_id<T>(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        mut f: impl FnMut(&mut Key) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut rng: OsRng = UnwrapErr(SysRng);
        for _ in 0..CAS_ATTEMPTS {
            let (mut key, stored) = self.load_live(id, now)?;
            let out = f(&mut key);
            if key.revision() == stored || self.store.swap(stored, &key, &mut rng)? {
                return out;
            }
        }
        tracing::warn!(key_id = %id, attempts = CAS_ATTEMPTS, "key changed under every attempt; giving up");
        Err(KmsError::Internal.into())
    }

    /// For operations that take key ids and key ARNs only.
    pub(crate) fn with_key_strict<T>(
        &self,
        input: &str,
        now: OffsetDateTime,
        f: impl FnMut(&mut Key) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let id = self.ctx.resolve_for_import(input)?;
        self.with_key_id(&id, now, f)
    }

    /// For read-only operations that also take aliases.
    pub(crate) fn with_key_any<T>(
        &self,
        input: &str,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Key) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let id = self.resolve_any(input)?;
        f(&mut self.read_key(&id, now)?)
    }

    /// Counts a token GetParametersForImport is about to hand out against the account's limit
    /// of outstanding tokens (those neither used nor expired).
    pub(crate) fn token_issued(
        &self,
        token: &[u8],
        valid_to: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        match self
            .store
            .backend()
            .add_token(
                self.store.account(),
                &token_digest(token),
                valid_to.unix_timestamp(),
                now.unix_timestamp(),
                &self.store.limits,
            )
            .map_err(store_failure)?
        {
            Inserted::Done => Ok(()),
            Inserted::Limit(kind) => Err(self.store.limit_error(kind).into()),
            Inserted::Exists | Inserted::NoTarget => Err(KmsError::Internal.into()),
        }
    }

    /// A successful import used this token: it no longer counts as outstanding.
    pub(crate) fn token_used(&self, token: &[u8]) {
        if let Err(e) = self
            .store
            .backend()
            .remove_token(self.store.account(), &token_digest(token))
        {
            // The import is done; the entry merely lingers until the token expires.
            let _ = store_failure(e);
        }
    }

    pub(crate) fn create_key(
        &self,
        r: wire::CreateKeyRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<wire::CreateKeyResponse, Error> {
        let key_spec = r.key_spec.unwrap_or(KeySpec::SymmetricDefault);
        let origin = r.origin.unwrap_or(Origin::AwsKms);
        check_key_usage_given(key_spec, r.key_usage)?;
        if r.multi_region == Some(true) {
            return Err(KmsError::UnsupportedOperation(
                "Multi-Region keys are not supported by this server.".to_owned(),
            )
            .into());
        }
        if !matches!(origin, Origin::AwsKms | Origin::External) {
            return Err(KmsError::UnsupportedOperation(format!(
                "Origin {origin} is not supported by this server."
            ))
            .into());
        }
        let record = KeyRecord::create(
            &self.ctx,
            KeyId::random(rng),
            CreateKeyParams {
                key_spec,
                key_usage: r.key_usage,
                origin,
                description: r.description,
            },
            now,
        )?;
        let generated = match origin {
            Origin::AwsKms => Some(Generated::new(key_spec, rng)?),
            _ => None,
        };
        let key = Key { record, generated };
        let key_metadata = key_metadata(&key, now);
        self.store.create(&key, rng)?;
        Ok(wire::CreateKeyResponse { key_metadata })
    }

    pub(crate) fn list_keys(
        &self,
        r: wire::ListKeysRequest,
    ) -> Result<wire::ListKeysResponse, Error> {
        let size = kms_import::page::page_len(r.limit)?;
        let ids = self
            .store
            .backend()
            .list_keys(self.store.account(), r.marker.as_deref(), size + 1)
            .map_err(store_failure)?;
        let (ids, next_marker) = index_page(ids, size, r.marker.as_deref(), String::clone)?;
        let keys = ids
            .into_iter()
            .map(|id| {
                let key_id = KeyId::from_str(&id).map_err(|_| KmsError::Internal)?;
                Ok(wire::KeyListEntry {
                    key_arn: self.ctx.arn_for(&key_id).to_string(),
                    key_id: id,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(wire::ListKeysResponse {
            keys,
            truncated: next_marker.is_some(),
            next_marker,
        })
    }

    pub(crate) fn get_parameters(
        &self,
        r: kms_import::GetParametersForImportRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<kms_import::GetParametersForImportResponse, Error> {
        let id = self.import.resolve_key_id(&r.key_id)?;
        // Cheap checks first, so a request that must fail never waits for key generation.
        self.with_key_id(&id, now, |k| {
            k.record
                .check_operation(KeyOperation::GetParametersForImport, now)?;
            check_compatible(
                k.record.key_spec(),
                r.wrapping_algorithm,
                r.wrapping_key_spec,
                self.import.wrap_policy(),
            )
            .map_err(Error::from)
        })?;
        // From the pool, or generated by a pool worker; never under a lock.
        let key = self.pool.take(r.wrapping_key_spec)?;
        let mut one = Some(key);
        // Read-only: the record is not written (expiry it applies is stored by the sweep), so
        // the wrapping key is never used twice by a compare-and-swap retry.
        let result = self.read_key(&id, now).and_then(|mut k| {
            self.import
                .get_parameters_for_import(&mut k.record, &r, &mut one, now, rng)
                .into_result()
                .map_err(Error::from)
        });
        if let Some(unused) = one.take() {
            self.pool.give_back(unused);
        }
        let result = result?;
        self.token_issued(
            result.import_token.as_bytes(),
            result.parameters_valid_to,
            now,
        )?;
        Ok(result)
    }

    pub(crate) fn encrypt(
        &self,
        r: wire::EncryptRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<wire::EncryptResponse, Error> {
        self.with_key_any(&r.key_id, now, |k| {
            let material = k.usable(now)?;
            check_usage(&k.record, KeyUsage::EncryptDecrypt, "Encrypt")?;
            let spec = k.record.key_spec();
            let alg = r
                .encryption_algorithm
                .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
            if !encryption_algorithms(spec).contains(&alg) {
                return Err(KmsError::InvalidKeyUsage(format!(
                    "{} key spec {spec} does not support encryption algorithm {alg}.",
                    k.record.arn()
                ))
                .into());
            }
            check_rsa_plaintext(spec, alg, r.plaintext.len())?;
            let ciphertext_blob = if spec.is_symmetric() {
                Envelope::seal(
                    material.symmetric_key()?.expose_secret(),
                    &k.record.key_id(),
                    &k.current_material_id()?,
                    &r.encryption_context,
                    r.plaintext.expose_secret(),
                    rng,
                )?
            } else {
                material.encrypt(alg, r.plaintext.expose_secret(), rng)?
            };
            Ok(wire::EncryptResponse {
                ciphertext_blob,
                key_id: k.record.arn().to_string(),
                encryption_algorithm: alg,
            })
        })
    }

    pub(crate) fn decrypt(
        &self,
        r: wire::DecryptRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<wire::DecryptResponse, Error> {
        let named = match &r.key_id {
            Some(input) => Some(self.resolve_any(input)?),
            None => None,
        };
        let alg = r
            .encryption_algorithm
            .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
        let named_key = match &named {
            Some(id) => Some(self.read_key(id, now)?),
            None => None,
        };
        // Symmetric and HMAC keys fall through to the envelope: a ciphertext names the key it
        // was made under, and one naming an HMAC key is IncorrectKeyException, as in AWS.
        let asymmetric = named_key
            .as_ref()
            .is_some_and(|k| k.record.key_spec().is_asymmetric());
        if asymmetric {
            let Some(k) = named_key else {
                return Err(KmsError::Internal.into());
            };
            let material = k.usable(now)?;
            check_usage(&k.record, KeyUsage::EncryptDecrypt, "Decrypt")?;
            if !encryption_algorithms(k.record.key_spec()).contains(&alg) {
                return Err(KmsError::InvalidKeyUsage(format!(
                    "{} key spec {} does not support encryption algorithm {alg}.",
                    k.record.arn(),
                    k.record.key_spec()
                ))
                .into());
            }
            let plaintext = material.decrypt(alg, &r.ciphertext_blob, rng)?;
            return Ok(wire::DecryptResponse {
                key_id: k.record.arn().to_string(),
                plaintext: wire::SensitiveBlob::from(plaintext),
                encryption_algorithm: alg,
                key_material_id: None,
            });
        }
        let envelope = Envelope::parse(&r.ciphertext_blob).ok_or(KmsError::InvalidCiphertext)?;
        if let Some(id) = &named
            && *id != envelope.key_id
        {
            return Err(KmsError::IncorrectKey(INCORRECT_KEY_MESSAGE.to_owned()).into());
        }
        if alg != EncryptionAlgorithmSpec::SymmetricDefault {
            return Err(KmsError::InvalidCiphertext.into());
        }
        // A key id that names no key is a corrupted ciphertext, as any other corruption.
        let k = match named_key {
            Some(k) => k,
            None => self
                .read_key(&envelope.key_id, now)
                .map_err(|_| KmsError::InvalidCiphertext)?,
        };
        let material = k.usable_by_id(&envelope.material_id, now)?;
        check_usage(&k.record, KeyUsage::EncryptDecrypt, "Decrypt")?;
        let key = material
            .symmetric_key()
            .map_err(|_| KmsError::InvalidCiphertext)?;
        let plaintext = envelope.open(key.expose_secret(), &r.encryption_context)?;
        Ok(wire::DecryptResponse {
            key_id: k.record.arn().to_string(),
            plaintext: wire::SensitiveBlob::from(plaintext),
            encryption_algorithm: alg,
            key_material_id: Some(envelope.material_id),
        })
    }

    pub(crate) fn create_alias(
        &self,
        r: wire::CreateAliasRequest,
        now: OffsetDateTime,
    ) -> Result<(), Error> {
        let name = new_alias_name(&r.alias_name)?;
        let target = self.ctx.resolve_for_import(&r.target_key_id)?;
        let key = self.read_key(&target, now)?;
        if key.record.key_state() == KeyState::PendingDeletion {
            return Err(KmsError::invalid_state(key.record.arn(), "pending deletion").into());
        }
        let row = AliasRow {
            name: name.as_str().to_owned(),
            target: target.to_string(),
            created_ms: i64::try_from(now.unix_timestamp_nanos() / 1_000_000)
                .map_err(|_| KmsError::Internal)?,
        };
        match self
            .store
            .backend()
            .insert_alias(self.store.account(), &row, &self.store.limits)
            .map_err(store_failure)?
        {
            Inserted::Done => Ok(()),
            Inserted::Exists => Err(Error::AlreadyExists(format!(
                "An alias with the name {} already exists",
                self.ctx.alias_arn_for(&name)
            ))),
            Inserted::NoTarget => Err(self.ctx.key_not_found(&target).into()),
            Inserted::Limit(kind) => Err(self.store.limit_error(kind).into()),
        }
    }

    pub(crate) fn list_aliases(
        &self,
        r: wire::ListAliasesRequest,
    ) -> Result<wire::ListAliasesResponse, Error> {
        let filter = match &r.key_id {
            Some(input) => {
                let id = self.ctx.resolve_for_import(input)?;
                let exists = self
                    .store
                    .backend()
                    .get(self.store.account(), &id.to_string())
                    .map_err(store_failure)?
                    .is_some();
                if !exists {
                    return Err(self.ctx.key_not_found(&id).into());
                }
                Some(id.to_string())
            }
            None => None,
        };
        let size = kms_import::page::page_len(r.limit)?;
        let rows = self
            .store
            .backend()
            .list_aliases(
                self.store.account(),
                filter.as_deref(),
                r.marker.as_deref(),
                size + 1,
            )
            .map_err(store_failure)?;
        let (rows, next_marker) = index_page(rows, size, r.marker.as_deref(), |a| a.name.clone())?;
        let aliases = rows
            .into_iter()
            .map(|a| {
                let name: AliasName = a.name.parse().map_err(|_| KmsError::Internal)?;
                let created =
                    OffsetDateTime::from_unix_timestamp_nanos(i128::from(a.created_ms) * 1_000_000)
                        .map_err(|_| KmsError::Internal)?;
                Ok(wire::AliasListEntry {
                    alias_arn: self.ctx.alias_arn_for(&name).to_string(),
                    alias_name: a.name,
                    target_key_id: Some(a.target),
                    creation_date: Some(created),
                    last_updated_date: Some(created),
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(wire::ListAliasesResponse {
            aliases,
            truncated: next_marker.is_some(),
            next_marker,
        })
    }

    /// The timer step for one due key of this Region, on every instance: stores the expiry of
    /// material that is due, or deletes the key if its deletion date has passed (with its
    /// aliases). Each change is a compare-and-swap, so whichever instance gets there first
    /// does it, once; `swept` counts what this instance did.
    pub(crate) fn sweep_key(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        swept: &mut Swept,
    ) -> Result<(), Error> {
        let mut rng: OsRng = UnwrapErr(SysRng);
        for _ in 0..CAS_ATTEMPTS {
            let Some((mut key, stored)) = self.store.load(id)? else {
                return Ok(());
            };
            if key.record.deletion_due(now) {
                if self.store.remove(id, stored)? {
                    tracing::info!(key_id = %id, "key deleted (its deletion date passed)");
                    swept.deleted += 1;
                    return Ok(());
                }
                continue;
            }
            let outcome = key.record.expire_materials(now);
            if key.revision() == stored {
                return Ok(());
            }
            if self.store.swap(stored, &key, &mut rng)? {
                if !outcome.is_empty() {
                    tracing::info!(key_id = %id, "key material expired");
                    swept.expired += 1;
                }
                return Ok(());
            }
        }
        Err(KmsError::Internal.into())
    }
}

/// What one sweep of one instance did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Swept {
    /// Keys whose material expiry this instance stored.
    pub(crate) expired: usize,
    /// Keys this instance deleted.
    pub(crate) deleted: usize,
}
