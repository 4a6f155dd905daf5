//! A local AWS KMS endpoint for the import ("bring your own key") flows, built on this crate.
//!
//! ```text
//! cargo run --release --example server -- --listen 127.0.0.1:4599
//! ```
//!
//! It speaks AWS JSON 1.1 (`POST /`, `X-Amz-Target: TrentService.<Operation>`), so the AWS
//! SDKs and the AWS CLI talk to it with `--endpoint-url` / `endpoint_url=`. Keys, aliases and
//! imported material live in memory only and are gone when the process ends.
//!
//! **Credentials are not checked.** Any SigV4 signature (or none) is accepted: this is a local
//! development and test tool, not a service to expose to a network.
//!
//! Operations: CreateKey (origins AWS_KMS and EXTERNAL), DescribeKey, ListKeys,
//! GetParametersForImport, ImportKeyMaterial, DeleteImportedKeyMaterial, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, GetPublicKey, Encrypt, Decrypt, GenerateMac,
//! VerifyMac, Sign, Verify, CreateAlias, DeleteAlias, ListAliases. Everything else answers
//! `UnsupportedOperationException`.
//!
//! SYMMETRIC_DEFAULT ciphertexts use this server's own envelope (AES-256-GCM; see
//! [`Envelope`]), not AWS's format: they decrypt here only.

#[path = "common/material.rs"]
mod common_material;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration as StdDuration;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Key as GcmKey, Nonce as GcmNonce, Tag as GcmTag};
use common_material::generate_material;
use getrandom::SysRng;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use kms_import::import::ImportService;
use kms_import::key_id::{AliasName, KeyContext, KeyId, ResolvedKeyRef};
use kms_import::names::{
    EncryptionAlgorithmSpec, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use kms_import::pool::WrappingKeyPool;
use kms_import::record::{CreateKeyParams, KeyRecord};
use kms_import::state::KeyOperation;
use kms_import::token::{SealingKey, SealingKeys};
use kms_import::wire::{self, Operation, Request, Response};
use kms_import::wrap::{WrappingPrivateKey, check_compatible};
use kms_import::{
    Error, KeyMaterial, KeyMaterialId, KeySpec, KeyState, KeyUsage, Origin, ValidatedMaterial,
    WrappingKeySpec, validate_material,
};
use rand_core::{CryptoRng, UnwrapErr};
use time::OffsetDateTime;
use zeroize::Zeroizing;

type OsRng = UnwrapErr<SysRng>;

/// Requests with a larger body are refused before they are parsed.
const MAX_BODY_BYTES: usize = 1 << 20;
/// ListKeys / ListAliases page size when the request names none.
const DEFAULT_PAGE: usize = 100;

const USAGE: &str = "\
A local AWS KMS endpoint for the key-material import flows (in memory, for development and tests).

USAGE:
    server [--listen ADDR] [--region REGION] [--account ACCOUNT]
           [--pool-rsa-2048 N] [--pool-rsa-3072 N] [--pool-rsa-4096 N]

OPTIONS:
    --listen ADDR        address to listen on (default 127.0.0.1:4599; port 0 picks a free one)
    --region REGION      Region of the key ARNs (default us-east-1)
    --account ACCOUNT    12-digit account of the key ARNs (default 111122223333)
    --pool-rsa-2048 N    RSA_2048 wrapping keys kept ready (default 1)
    --pool-rsa-3072 N    RSA_3072 wrapping keys kept ready (default 1)
    --pool-rsa-4096 N    RSA_4096 wrapping keys kept ready (default 2)
    -h, --help           this text

Credentials are NOT checked: any SigV4 signature is accepted. Do not expose this server to a
network; it is a local tool. State is lost when the process ends.
";

#[derive(Debug)]
struct Args {
    listen: SocketAddr,
    region: String,
    account: String,
    pool: [usize; 3],
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut args = Args {
        listen: SocketAddr::from(([127, 0, 0, 1], 4599)),
        region: "us-east-1".to_owned(),
        account: "111122223333".to_owned(),
        pool: [1, 1, 2],
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let count = |v: &str| {
            v.parse::<usize>()
                .ok()
                .filter(|n| *n <= 64)
                .ok_or_else(|| format!("{flag}: expected a number from 0 to 64"))
        };
        match flag.as_str() {
            "--listen" => {
                args.listen = value
                    .parse()
                    .map_err(|_| format!("--listen: not an address: {value}"))?;
            }
            "--region" => args.region = value,
            "--account" => args.account = value,
            "--pool-rsa-2048" => args.pool[0] = count(&value)?,
            "--pool-rsa-3072" => args.pool[1] = count(&value)?,
            "--pool-rsa-4096" => args.pool[2] = count(&value)?,
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(Some(args))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A handler that panicked while holding the lock leaves consistent data behind: records
    // are only ever replaced whole. Keep serving.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

// ---------------------------------------------------------------------------------------------
// Store

/// One KMS key: its record, and for AWS_KMS keys the material this server generated.
struct Key {
    record: KeyRecord,
    generated: Option<KeyMaterial>,
}

struct Alias {
    target: KeyId,
    created: OffsetDateTime,
}

#[derive(Default)]
struct Store {
    keys: BTreeMap<KeyId, Key>,
    aliases: BTreeMap<AliasName, Alias>,
}

/// The wrapping-key pool, shared with the refill thread.
struct Pool {
    pool: Mutex<WrappingKeyPool>,
    wake: Condvar,
    stop: AtomicBool,
}

impl Pool {
    fn take(&self, spec: WrappingKeySpec) -> Option<WrappingPrivateKey> {
        let key = lock(&self.pool).take(spec);
        self.wake.notify_one();
        key
    }

    fn give_back(&self, key: WrappingPrivateKey) {
        lock(&self.pool).insert(key);
    }

    /// Generates the keys the pool lacks, outside the lock, until told to stop.
    fn refill_forever(&self) {
        let mut rng: OsRng = UnwrapErr(SysRng);
        loop {
            let spec = {
                let mut pool = lock(&self.pool);
                loop {
                    if self.stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Some(spec) = pool.next_to_refill() {
                        break spec;
                    }
                    pool = self
                        .wake
                        .wait_timeout(pool, StdDuration::from_secs(1))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
            };
            match WrappingPrivateKey::generate(spec, &mut rng) {
                Ok(key) => lock(&self.pool).insert(key),
                Err(e) => {
                    println!(
                        "pool: generating a {spec} wrapping key failed: {}",
                        e.code()
                    );
                    std::thread::sleep(StdDuration::from_secs(1));
                }
            }
        }
    }
}

struct Kms {
    ctx: KeyContext,
    import: ImportService,
    store: Mutex<Store>,
    pool: Arc<Pool>,
}

// ---------------------------------------------------------------------------------------------
// Symmetric envelope

/// The SYMMETRIC_DEFAULT ciphertext format of this server:
///
/// ```text
/// version (1 byte, 0x01) | key id (36 ASCII bytes) | KeyMaterialId (32 bytes)
///   | nonce (12 bytes) | AES-256-GCM ciphertext | tag (16 bytes)
/// ```
///
/// The AAD is a domain label, the header (version, key id, material id) and the encryption
/// context in a canonical form (pairs sorted by key, every string length-prefixed), so
/// neither the header nor the context can be changed without the tag failing.
struct Envelope {
    key_id: KeyId,
    material_id: KeyMaterialId,
    nonce: [u8; 12],
    body: Vec<u8>,
    tag: [u8; 16],
}

const ENVELOPE_VERSION: u8 = 1;
const KEY_ID_LEN: usize = 36;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + 32;
const ENVELOPE_LABEL: &[u8] = b"kms-import example server envelope v1";

impl Envelope {
    fn parse(blob: &[u8]) -> Option<Envelope> {
        let (&version, rest) = blob.split_first()?;
        if version != ENVELOPE_VERSION {
            return None;
        }
        let (key_id, rest) = rest.split_at_checked(KEY_ID_LEN)?;
        let key_id = KeyId::from_str(std::str::from_utf8(key_id).ok()?).ok()?;
        let (material_id, rest) = rest.split_at_checked(32)?;
        let material_id = KeyMaterialId::from_bytes(material_id.try_into().ok()?);
        let (nonce, rest) = rest.split_at_checked(12)?;
        let (body, tag) = rest.split_at_checked(rest.len().checked_sub(16)?)?;
        Some(Envelope {
            key_id,
            material_id,
            nonce: nonce.try_into().ok()?,
            body: body.to_vec(),
            tag: tag.try_into().ok()?,
        })
    }

    fn header(key_id: &KeyId, material_id: &KeyMaterialId) -> Option<Vec<u8>> {
        let id = key_id.to_string();
        if id.len() != KEY_ID_LEN {
            return None;
        }
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.push(ENVELOPE_VERSION);
        header.extend_from_slice(id.as_bytes());
        header.extend_from_slice(material_id.as_bytes());
        Some(header)
    }

    fn aad(header: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
        let mut aad = Vec::new();
        aad.extend_from_slice(ENVELOPE_LABEL);
        aad.extend_from_slice(header);
        let put = |aad: &mut Vec<u8>, s: &str| {
            aad.extend_from_slice(&(s.len() as u64).to_be_bytes());
            aad.extend_from_slice(s.as_bytes());
        };
        aad.extend_from_slice(&(context.len() as u64).to_be_bytes());
        for (k, v) in context {
            put(&mut aad, k);
            put(&mut aad, v);
        }
        aad
    }

    fn seal(
        key: &[u8; 32],
        key_id: &KeyId,
        material_id: &KeyMaterialId,
        context: &BTreeMap<String, String>,
        plaintext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, Error> {
        let header = Envelope::header(key_id, material_id).ok_or(Error::Internal)?;
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(<&GcmKey<Aes256Gcm>>::from(key));
        let mut body = plaintext.to_vec();
        let tag = cipher
            .encrypt_inout_detached(
                &GcmNonce::from(nonce),
                &Envelope::aad(&header, context),
                body.as_mut_slice().into(),
            )
            .map_err(|_| Error::Internal)?;
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    fn open(
        &self,
        key: &[u8; 32],
        context: &BTreeMap<String, String>,
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let header =
            Envelope::header(&self.key_id, &self.material_id).ok_or(Error::InvalidCiphertext)?;
        let cipher = Aes256Gcm::new(<&GcmKey<Aes256Gcm>>::from(key));
        let mut body = Zeroizing::new(self.body.clone());
        cipher
            .decrypt_inout_detached(
                &GcmNonce::from(self.nonce),
                &Envelope::aad(&header, context),
                body.as_mut_slice().into(),
                &GcmTag::from(self.tag),
            )
            .map_err(|_| Error::InvalidCiphertext)?;
        Ok(body)
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn encryption_algorithms(spec: KeySpec) -> Vec<EncryptionAlgorithmSpec> {
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

fn signing_algorithms(spec: KeySpec) -> Vec<SigningAlgorithmSpec> {
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

fn mac_algorithm(spec: KeySpec) -> Option<MacAlgorithmSpec> {
    match spec {
        KeySpec::Hmac224 => Some(MacAlgorithmSpec::HmacSha224),
        KeySpec::Hmac256 => Some(MacAlgorithmSpec::HmacSha256),
        KeySpec::Hmac384 => Some(MacAlgorithmSpec::HmacSha384),
        KeySpec::Hmac512 => Some(MacAlgorithmSpec::HmacSha512),
        _ => None,
    }
}

fn metadata(record: &KeyRecord) -> wire::KeyMetadata {
    let spec = record.key_spec();
    let usage = record.key_usage();
    wire::KeyMetadata {
        aws_account_id: record.account_id().as_str().to_owned(),
        key_id: record.key_id().to_string(),
        arn: record.arn().to_string(),
        creation_date: record.creation_date(),
        enabled: record.enabled(),
        description: record.description().to_owned(),
        key_usage: usage,
        key_state: record.key_state(),
        deletion_date: record.deletion_date(),
        valid_to: record.valid_to(),
        origin: record.origin(),
        expiration_model: record.expiration_model(),
        key_manager: record.key_manager(),
        customer_master_key_spec: wire::legacy_key_spec(spec),
        key_spec: spec,
        encryption_algorithms: (usage == KeyUsage::EncryptDecrypt)
            .then(|| encryption_algorithms(spec)),
        signing_algorithms: (usage == KeyUsage::SignVerify).then(|| signing_algorithms(spec)),
        mac_algorithms: (usage == KeyUsage::GenerateVerifyMac)
            .then(|| mac_algorithm(spec).into_iter().collect()),
        multi_region: false,
        current_key_material_id: record.current_key_material_id(),
        pending_deletion_window_in_days: None,
    }
}

fn wrong_usage(record: &KeyRecord, op: &str) -> Error {
    Error::InvalidKeyUsage(format!(
        "{} key usage is {} which is not valid for {op}.",
        record.arn(),
        record.key_usage()
    ))
}

fn check_usage(record: &KeyRecord, usage: KeyUsage, op: &str) -> Result<(), Error> {
    if record.key_usage() == usage {
        Ok(())
    } else {
        Err(wrong_usage(record, op))
    }
}

impl Key {
    /// The key's material for a cryptographic operation at `now`: the state must allow use
    /// (DisabledException, KMSInvalidStateException).
    fn usable(&self, now: OffsetDateTime) -> Result<ValidatedMaterial, Error> {
        match &self.generated {
            Some(material) => {
                self.record.check_usable(now)?;
                validate_material(self.record.key_spec(), material)
            }
            None => kms_import::import::usable_material(&self.record, now),
        }
    }

    /// As [`Key::usable`], for the material a ciphertext names.
    fn usable_by_id(
        &self,
        id: &KeyMaterialId,
        now: OffsetDateTime,
    ) -> Result<ValidatedMaterial, Error> {
        match &self.generated {
            Some(material) => {
                self.record.check_usable(now)?;
                let own = KeyMaterialId::derive(&self.record.key_id().to_string(), material);
                if !own.ct_eq(id) {
                    return Err(Error::InvalidCiphertext);
                }
                validate_material(self.record.key_spec(), material)
            }
            None => {
                kms_import::import::usable_material_by_id(&self.record, id, now).map_err(
                    |e| match e {
                        Error::IncorrectKey(_) => Error::InvalidCiphertext,
                        other => other,
                    },
                )
            }
        }
    }

    /// The id the next symmetric ciphertext is made under.
    fn current_material_id(&self) -> Result<KeyMaterialId, Error> {
        match &self.generated {
            Some(material) => Ok(KeyMaterialId::derive(
                &self.record.key_id().to_string(),
                material,
            )),
            None => self
                .record
                .current_material()
                .map(|m| m.id())
                .ok_or(Error::Internal),
        }
    }
}

fn page<T>(
    items: Vec<T>,
    limit: Option<u32>,
    marker: Option<&str>,
    name: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Option<String>), Error> {
    let limit = limit.map_or(DEFAULT_PAGE, |l| l as usize);
    let start = match marker {
        None => 0,
        Some(m) => items
            .iter()
            .position(|item| name(item) == m)
            .ok_or_else(|| Error::Validation("Invalid marker.".to_owned()))?,
    };
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = rest.get(limit).map(&name);
    rest.truncate(limit);
    Ok((rest, next))
}

// ---------------------------------------------------------------------------------------------
// Operations

impl Kms {
    fn new(ctx: KeyContext, pool: Arc<Pool>, rng: &mut OsRng) -> Kms {
        Kms {
            import: ImportService::new(ctx.clone(), SealingKeys::new(SealingKey::generate(rng))),
            ctx,
            store: Mutex::new(Store::default()),
            pool,
        }
    }

    /// Runs one request; returns the HTTP status, the body and the error code (if any).
    fn handle(&self, target: &str, body: &[u8]) -> (u16, Vec<u8>, Option<&'static str>) {
        let result = wire::parse_request(target, body).and_then(|request| self.dispatch(request));
        match result {
            Ok(response) => {
                let (status, body) = wire::encode_response(&response);
                (status, body, None)
            }
            Err(error) => {
                let (status, body) = wire::encode_error(&error);
                (status, body, Some(error.code()))
            }
        }
    }

    fn dispatch(&self, request: Request) -> Result<Response, Error> {
        let now = now();
        let mut rng: OsRng = UnwrapErr(SysRng);
        Ok(match request {
            Request::CreateKey(r) => Response::CreateKey(self.create_key(r, now, &mut rng)?),
            Request::DescribeKey(r) => Response::DescribeKey(wire::DescribeKeyResponse {
                key_metadata: self.with_key_any(&r.key_id, now, |k| Ok(metadata(&k.record)))?,
            }),
            Request::ListKeys(r) => Response::ListKeys(self.list_keys(r)?),
            Request::GetParametersForImport(r) => {
                Response::GetParametersForImport(self.get_parameters(r.into(), now, &mut rng)?)
            }
            Request::ImportKeyMaterial(r) => {
                let r: kms_import::import::ImportKeyMaterialRequest = r.into();
                let id = self.import.resolve_key_id(&r.key_id)?;
                let out = self.with_key_id(&id, now, |k| {
                    self.import
                        .import_key_material(&mut k.record, &r, now, &mut rng)
                })?;
                Response::ImportKeyMaterial(out.into())
            }
            Request::DeleteImportedKeyMaterial(r) => {
                let r: kms_import::import::DeleteImportedKeyMaterialRequest = r.into();
                let id = self.import.resolve_key_id(&r.key_id)?;
                let out = self.with_key_id(&id, now, |k| {
                    self.import
                        .delete_imported_key_material(&mut k.record, &r, now)
                })?;
                Response::DeleteImportedKeyMaterial(out.into())
            }
            Request::EnableKey(r) => {
                self.with_key_strict(&r.key_id, now, |k| k.record.enable(now))?;
                Response::EnableKey
            }
            Request::DisableKey(r) => {
                self.with_key_strict(&r.key_id, now, |k| k.record.disable(now))?;
                Response::DisableKey
            }
            Request::ScheduleKeyDeletion(r) => {
                let days = r
                    .pending_window_in_days
                    .unwrap_or(kms_import::record::DEFAULT_PENDING_WINDOW_DAYS);
                Response::ScheduleKeyDeletion(self.with_key_strict(&r.key_id, now, |k| {
                    let date = k.record.schedule_deletion(now, Some(days))?;
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
                    k.record.cancel_deletion(now)?;
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
                        return Err(Error::UnsupportedOperation(format!(
                            "{} key spec {spec} does not have a public key.",
                            rec.arn()
                        )));
                    }
                    let material = k.usable(now)?;
                    let public_key = material
                        .public_key_spki_der()
                        .ok_or(Error::Internal)?
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
                    if !material.verify_mac(r.mac_algorithm, r.message.expose_secret(), &r.mac)? {
                        return Err(Error::InvalidMac("The MAC is not valid.".to_owned()));
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
                    return Err(Error::InvalidSignature(
                        "The signature is not valid.".to_owned(),
                    ));
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
                let mut store = lock(&self.store);
                if store.aliases.remove(&name).is_none() {
                    return Err(self.ctx.alias_not_found(&name));
                }
                Response::DeleteAlias
            }
            Request::ListAliases(r) => Response::ListAliases(self.list_aliases(r)?),
            Request::RotateKeyOnDemand(r) => {
                let id = self.import.resolve_key_id(&r.key_id)?;
                Response::RotateKeyOnDemand(self.with_key_id(&id, now, |k| {
                    self.import
                        .rotate_key_on_demand(&mut k.record, &r.key_id, now)?;
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
                            .unwrap_or(kms_import::names::IncludeKeyMaterial::RotationsOnly),
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
            other => {
                return Err(Error::UnsupportedOperation(format!(
                    "Operation {} is not supported by this server.",
                    other.operation()
                )));
            }
        })
    }

    /// Resolves any identifier form (key id, key ARN, alias name, alias ARN) to a key id.
    fn resolve_any(&self, store: &Store, input: &str) -> Result<KeyId, Error> {
        match self.ctx.resolve_any(input)? {
            ResolvedKeyRef::Key(id) => Ok(id),
            ResolvedKeyRef::Alias(alias) => store
                .aliases
                .get(&alias)
                .map(|a| a.target)
                .ok_or_else(|| self.ctx.alias_not_found(&alias)),
        }
    }

    fn key_in<'s>(
        &self,
        store: &'s mut Store,
        id: &KeyId,
        now: OffsetDateTime,
    ) -> Result<&'s mut Key, Error> {
        let key = store
            .keys
            .get_mut(id)
            .ok_or_else(|| self.ctx.key_not_found(id))?;
        key.record.expire_materials(now);
        Ok(key)
    }

    fn with_key_id<T>(
        &self,
        id: &KeyId,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Key) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut store = lock(&self.store);
        f(self.key_in(&mut store, id, now)?)
    }

    /// For operations that take key ids and key ARNs only.
    fn with_key_strict<T>(
        &self,
        input: &str,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Key) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let id = self.ctx.resolve_for_import(input)?;
        self.with_key_id(&id, now, f)
    }

    /// For operations that also take aliases.
    fn with_key_any<T>(
        &self,
        input: &str,
        now: OffsetDateTime,
        f: impl FnOnce(&mut Key) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut store = lock(&self.store);
        let id = self.resolve_any(&store, input)?;
        f(self.key_in(&mut store, &id, now)?)
    }

    fn create_key(
        &self,
        r: wire::CreateKeyRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<wire::CreateKeyResponse, Error> {
        let key_spec = r.key_spec.unwrap_or(KeySpec::SymmetricDefault);
        let origin = r.origin.unwrap_or(Origin::AwsKms);
        if r.multi_region == Some(true) {
            return Err(Error::UnsupportedOperation(
                "Multi-Region keys are not supported by this server.".to_owned(),
            ));
        }
        if !matches!(origin, Origin::AwsKms | Origin::External) {
            return Err(Error::UnsupportedOperation(format!(
                "Origin {origin} is not supported by this server."
            )));
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
            Origin::AwsKms => Some(generate_material(key_spec, rng)?),
            _ => None,
        };
        let key_metadata = metadata(&record);
        lock(&self.store)
            .keys
            .insert(record.key_id(), Key { record, generated });
        Ok(wire::CreateKeyResponse { key_metadata })
    }

    fn list_keys(&self, r: wire::ListKeysRequest) -> Result<wire::ListKeysResponse, Error> {
        let entries: Vec<wire::KeyListEntry> = lock(&self.store)
            .keys
            .values()
            .map(|k| wire::KeyListEntry {
                key_id: k.record.key_id().to_string(),
                key_arn: k.record.arn().to_string(),
            })
            .collect();
        let (keys, next_marker) =
            page(entries, r.limit, r.marker.as_deref(), |e| e.key_id.clone())?;
        Ok(wire::ListKeysResponse {
            keys,
            truncated: next_marker.is_some(),
            next_marker,
        })
    }

    fn get_parameters(
        &self,
        r: kms_import::import::GetParametersForImportRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<wire::GetParametersForImportResponse, Error> {
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
        })?;
        let key = match self.pool.take(r.wrapping_key_spec) {
            Some(key) => key,
            // Generated here, outside every lock.
            None => WrappingPrivateKey::generate(r.wrapping_key_spec, rng)?,
        };
        let mut one = WrappingKeyPool::new();
        one.insert(key);
        let result = self.with_key_id(&id, now, |k| {
            self.import
                .get_parameters_for_import(&mut k.record, &r, &mut one, now, rng)
        });
        if let Some(unused) = one.take(r.wrapping_key_spec) {
            self.pool.give_back(unused);
        }
        Ok(result?.into())
    }

    fn encrypt(
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
                return Err(Error::InvalidKeyUsage(format!(
                    "{} key spec {spec} does not support encryption algorithm {alg}.",
                    k.record.arn()
                )));
            }
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

    fn decrypt(
        &self,
        r: wire::DecryptRequest,
        now: OffsetDateTime,
        rng: &mut OsRng,
    ) -> Result<wire::DecryptResponse, Error> {
        let mut store = lock(&self.store);
        let named = match &r.key_id {
            Some(input) => Some(self.resolve_any(&store, input)?),
            None => None,
        };
        let alg = r
            .encryption_algorithm
            .unwrap_or(EncryptionAlgorithmSpec::SymmetricDefault);
        let asymmetric = match &named {
            Some(id) => !self
                .key_in(&mut store, id, now)?
                .record
                .key_spec()
                .is_symmetric(),
            None => false,
        };
        if asymmetric {
            let Some(id) = named else {
                return Err(Error::Internal);
            };
            let k = self.key_in(&mut store, &id, now)?;
            let material = k.usable(now)?;
            check_usage(&k.record, KeyUsage::EncryptDecrypt, "Decrypt")?;
            if !encryption_algorithms(k.record.key_spec()).contains(&alg) {
                return Err(Error::InvalidKeyUsage(format!(
                    "{} key spec {} does not support encryption algorithm {alg}.",
                    k.record.arn(),
                    k.record.key_spec()
                )));
            }
            let plaintext = material.decrypt(alg, &r.ciphertext_blob, rng)?;
            return Ok(wire::DecryptResponse {
                key_id: k.record.arn().to_string(),
                plaintext: wire::SensitiveBlob::from(plaintext),
                encryption_algorithm: alg,
                key_material_id: None,
            });
        }
        let envelope = Envelope::parse(&r.ciphertext_blob).ok_or(Error::InvalidCiphertext)?;
        if let Some(id) = &named
            && *id != envelope.key_id
        {
            return Err(Error::IncorrectKey(
                "The key ID in the request does not identify a KMS key that can perform \
                 this operation."
                    .to_owned(),
            ));
        }
        if alg != EncryptionAlgorithmSpec::SymmetricDefault {
            return Err(Error::InvalidCiphertext);
        }
        // A key id that names no key is a corrupted ciphertext, as any other corruption.
        let k = self
            .key_in(&mut store, &envelope.key_id, now)
            .map_err(|_| Error::InvalidCiphertext)?;
        let material = k.usable_by_id(&envelope.material_id, now)?;
        check_usage(&k.record, KeyUsage::EncryptDecrypt, "Decrypt")?;
        let key = material
            .symmetric_key()
            .map_err(|_| Error::InvalidCiphertext)?;
        let plaintext = envelope.open(key.expose_secret(), &r.encryption_context)?;
        Ok(wire::DecryptResponse {
            key_id: k.record.arn().to_string(),
            plaintext: wire::SensitiveBlob::from(plaintext),
            encryption_algorithm: alg,
            key_material_id: Some(envelope.material_id),
        })
    }

    fn create_alias(&self, r: wire::CreateAliasRequest, now: OffsetDateTime) -> Result<(), Error> {
        let name = AliasName::for_new_alias(&r.alias_name)?;
        let target = self.ctx.resolve_for_import(&r.target_key_id)?;
        let mut store = lock(&self.store);
        let key = self.key_in(&mut store, &target, now)?;
        if key.record.key_state() == KeyState::PendingDeletion {
            return Err(Error::invalid_state(key.record.arn(), "pending deletion"));
        }
        if store.aliases.contains_key(&name) {
            return Err(Error::AlreadyExists(format!(
                "An alias with the name {} already exists",
                self.ctx.alias_arn_for(&name)
            )));
        }
        store.aliases.insert(
            name,
            Alias {
                target,
                created: now,
            },
        );
        Ok(())
    }

    fn list_aliases(
        &self,
        r: wire::ListAliasesRequest,
    ) -> Result<wire::ListAliasesResponse, Error> {
        let store = lock(&self.store);
        let filter = match &r.key_id {
            Some(input) => {
                let id = self.ctx.resolve_for_import(input)?;
                if !store.keys.contains_key(&id) {
                    return Err(self.ctx.key_not_found(&id));
                }
                Some(id)
            }
            None => None,
        };
        let entries: Vec<wire::AliasListEntry> = store
            .aliases
            .iter()
            .filter(|(_, a)| filter.is_none_or(|id| a.target == id))
            .map(|(name, a)| wire::AliasListEntry {
                alias_name: name.as_str().to_owned(),
                alias_arn: self.ctx.alias_arn_for(name).to_string(),
                target_key_id: Some(a.target.to_string()),
                creation_date: Some(a.created),
                last_updated_date: Some(a.created),
            })
            .collect();
        drop(store);
        let (aliases, next_marker) = page(entries, r.limit, r.marker.as_deref(), |e| {
            e.alias_name.clone()
        })?;
        Ok(wire::ListAliasesResponse {
            aliases,
            truncated: next_marker.is_some(),
            next_marker,
        })
    }

    /// The timer step: expire due material everywhere, and remove keys whose deletion date
    /// has passed (with their aliases).
    fn sweep(&self, now: OffsetDateTime) {
        let mut store = lock(&self.store);
        let mut deleted = Vec::new();
        for (id, key) in store.keys.iter_mut() {
            let outcome = key.record.expire_materials(now);
            if !outcome.is_empty() {
                println!("expiry: key material of {id} expired");
            }
            if key.record.deletion_due(now) {
                deleted.push(*id);
            }
        }
        for id in deleted {
            store.keys.remove(&id);
            store.aliases.retain(|_, a| a.target != id);
            println!("deletion: key {id} deleted");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP

fn reply(status: u16, body: Vec<u8>, request_id: u64) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(wire::CONTENT_TYPE),
    );
    if let Ok(v) =
        hyper::header::HeaderValue::from_str(&format!("00000000-0000-4000-8000-{request_id:012x}"))
    {
        headers.insert("x-amzn-requestid", v);
    }
    response
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

async fn serve(
    kms: Arc<Kms>,
    req: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let request_id = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let is_post = req.method() == Method::POST;
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let op = target
        .as_deref()
        .and_then(|t| Operation::from_target(t).ok())
        .map_or("-", Operation::name);
    let body = Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await;

    let (status, body, code) = match (is_post, target, body) {
        (false, ..) => refuse(Error::UnsupportedOperation(
            "Only POST requests are served.".to_owned(),
        )),
        (true, None, _) => refuse(Error::UnsupportedOperation(
            "The X-Amz-Target header is missing.".to_owned(),
        )),
        (true, Some(_), Err(_)) => refuse(Error::Validation(format!(
            "The request body could not be read or exceeds {MAX_BODY_BYTES} bytes."
        ))),
        (true, Some(target), Ok(collected)) => {
            let bytes = collected.to_bytes();
            let worker = Arc::clone(&kms);
            match tokio::task::spawn_blocking(move || worker.handle(&target, &bytes)).await {
                Ok(answer) => answer,
                // A panic in a handler answers 500; the server keeps running.
                Err(_) => refuse(Error::Internal),
            }
        }
    };
    println!("request {request_id} {op} {status} {}", code.unwrap_or("-"));
    Ok(reply(status, body, request_id))
}

fn refuse(error: Error) -> (u16, Vec<u8>, Option<&'static str>) {
    let (status, body) = wire::encode_error(&error);
    (status, body, Some(error.code()))
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

async fn run(args: Args) -> Result<(), String> {
    let ctx = KeyContext::new("aws", &args.region, &args.account)
        .map_err(|e| format!("--region/--account: {}", e.message()))?;
    let pool = Arc::new(Pool {
        pool: Mutex::new(WrappingKeyPool::with_targets(
            args.pool[0],
            args.pool[1],
            args.pool[2],
        )),
        wake: Condvar::new(),
        stop: AtomicBool::new(false),
    });
    let mut rng: OsRng = UnwrapErr(SysRng);
    let kms = Arc::new(Kms::new(ctx, Arc::clone(&pool), &mut rng));

    let refill = Arc::clone(&pool);
    let refiller = std::thread::spawn(move || refill.refill_forever());
    let sweeper_kms = Arc::clone(&kms);
    let sweeper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(StdDuration::from_secs(1));
        loop {
            tick.tick().await;
            let kms = Arc::clone(&sweeper_kms);
            let _ = tokio::task::spawn_blocking(move || kms.sweep(now())).await;
        }
    });

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot read the bound address: {e}"))?;
    println!("listening on http://{addr}");

    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        println!("accept failed: {e}");
                        tokio::time::sleep(StdDuration::from_millis(50)).await;
                        continue;
                    }
                };
                let kms = Arc::clone(&kms);
                tokio::spawn(async move {
                    let service = service_fn(move |req| serve(Arc::clone(&kms), req));
                    // A client that hangs up mid-request is its own business.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    println!("shutting down");
    sweeper.abort();
    pool.stop.store(true, Ordering::Relaxed);
    pool.wake.notify_all();
    // The refill thread may be inside a key generation; it ends when that does.
    drop(refiller);
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(args));
    runtime.shutdown_timeout(StdDuration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
