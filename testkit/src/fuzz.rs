//! Fuzzing harness: one entry point per cargo-fuzz target under `fuzz/`,
//! shared with `tests/fuzz_replay.rs` so that every checked-in corpus file is replayed on the
//! stable toolchain through exactly the code the fuzzers ran.
//!
//! Each entry point takes arbitrary bytes, drives one part of the crate with them and panics
//! only when a property is broken (a panic inside the crate, an error outside the documented
//! set, a broken record invariant, a failed round trip). Everything is deterministic: time is
//! [`now`], randomness a ChaCha20 stream with a fixed seed, keys are the fixtures under
//! `tests/data/`, compiled in.
//!
//! Not part of the public API: it exists for the fuzzers and may change at any time.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::sync::OnceLock;

use aes_gcm_siv::aead::{AeadInOut, KeyInit};
use aes_gcm_siv::{Aes256GcmSiv, Key, Nonce};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use kms_import::DisabledImportPolicy;
use kms_import::Error;
use kms_import::Expiration;
use kms_import::{
    AwsName, ImportType, KeySpec, KeyState, KeyUsage, Origin, WrappingAlgorithm, WrappingKeySpec,
};
use kms_import::{CheckedMaterial, KeyMaterial, KeyMaterialId, validate_material};
use kms_import::{
    CreateKeyParams, KeyRecord, MaterialImport, StorageKey, StorageKeyId, StorageKeys,
};
use kms_import::{
    GetParametersForImportRequest, ImportKeyMaterialRequest, ImportService, WrappingKeyPool,
    usable_material,
};
use kms_import::{ImportToken, SealingKey, SealingKeyId, SealingKeys, TokenClaims};
use kms_import::{KeyContext, KeyId};
use kms_import::{WrapPolicy, WrappingPrivateKey};

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` file and corpus directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("unwrap", unwrap),
    ("token_open", token_open),
    ("import_request", import_request),
    ("material", material),
    ("wire", wire),
    ("state_sequence", state_sequence),
    ("stored_record", stored_record),
];

/// The fixed "now" of every target (2027-01-15T08:00:00Z).
pub fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("fixed instant")
}

/// The key every target's record and token is bound to.
pub const KEY_ID: &str = "1234abcd-12ab-34cd-56ef-1234567890ab";
/// Another well-formed key id of the same account, for tokens bound to the wrong key.
pub const OTHER_KEY_ID: &str = "0987dcba-09ab-87cd-65ef-ba0987654321";

/// The partition, Region and account of every target.
pub fn context() -> KeyContext {
    KeyContext::new("aws", "us-east-1", "111122223333").expect("fixed context")
}

/// The ARN of [`KEY_ID`].
pub fn key_arn() -> String {
    context().arn_for(&key_id(KEY_ID)).to_string()
}

fn key_id(s: &str) -> KeyId {
    s.parse().expect("fixed key id")
}

/// A deterministic CSPRNG stream (never use outside tests and fuzzing).
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

const WRAPPING_2048: &[u8] = include_bytes!("../../tests/data/wrapping_rsa_2048.pk8.der");
const WRAPPING_3072: &[u8] = include_bytes!("../../tests/data/wrapping_rsa_3072.pk8.der");
const WRAPPING_4096: &[u8] = include_bytes!("../../tests/data/wrapping_rsa_4096.pk8.der");

const EC_P256: &[u8] = include_bytes!("../../tests/data/material/ec_p256.der");
const EC_P256_OTHER: &[u8] = include_bytes!("../../tests/data/material/ec_p256_other.der");
const EC_P521: &[u8] = include_bytes!("../../tests/data/material/ec_p521.der");
const EC_P521_NOPUB: &[u8] = include_bytes!("../../tests/data/material/ec_p521_nopub.der");
const RSA_2048: &[u8] = include_bytes!("../../tests/data/material/rsa_2048.der");
const RSA_2048_E3: &[u8] = include_bytes!("../../tests/data/material/rsa_2048_e3.der");

struct WrappingFixture {
    key: WrappingPrivateKey,
    pkcs8: Zeroizing<Vec<u8>>,
}

/// The fixture wrapping key of `spec` (RSA_2048, RSA_3072 or RSA_4096), parsed once.
pub fn wrapping_key(spec: WrappingKeySpec) -> &'static WrappingPrivateKey {
    &wrapping_fixture(spec).key
}

fn wrapping_fixture(spec: WrappingKeySpec) -> &'static WrappingFixture {
    static KEYS: OnceLock<[WrappingFixture; 3]> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        [WRAPPING_2048, WRAPPING_3072, WRAPPING_4096].map(|der| {
            let key = WrappingPrivateKey::from_pkcs8_der(der).expect("fixture wrapping key");
            let pkcs8 = key.to_pkcs8_der().expect("fixture re-encodes");
            WrappingFixture { key, pkcs8 }
        })
    });
    match spec {
        WrappingKeySpec::Rsa3072 => &keys[1],
        WrappingKeySpec::Rsa4096 => &keys[2],
        _ => &keys[0],
    }
}

/// The fixed sealing-key set of the token targets: a current key and two previous ones.
pub fn sealing_keys() -> SealingKeys {
    let key = |n: u8| SealingKey::from_bytes(SealingKeyId::from_bytes([n; 8]), [n ^ 0x5a; 32]);
    SealingKeys::with_previous(key(1), vec![key(2), key(3)], 2).expect("fixed sealing keys")
}

/// Reads structured choices off the front of fuzzer input; past the end it yields zeros.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        head
    }

    /// A length-prefixed (u16) field.
    fn field(&mut self) -> &'a [u8] {
        let n = usize::from(self.u16());
        self.take(n)
    }

    fn rest(self) -> &'a [u8] {
        self.0
    }
}

fn pick<T: Copy>(items: &[T], b: u8) -> T {
    items[usize::from(b) % items.len()]
}

/// The errors no input may produce on a path that only parses or checks input.
fn assert_not_internal(e: &Error, what: &str) {
    assert!(!matches!(e, Error::Internal), "{what}: internal error");
}

// ---------------------------------------------------------------------------------------------
// unwrap

/// Layout of a [`unwrap`] input: selector, key byte, then the ciphertext (or, in round-trip
/// mode, the material to wrap first).
///
/// Selector bits: `sel % 6` picks the algorithm in [`WrappingAlgorithm::ALL`] order; `0x08`
/// enables the legacy PKCS#1 v1.5 policy; `0x10` is round-trip mode. The key byte picks
/// RSA_2048 / 3072 / 4096 (`% 3`).
pub fn unwrap_input(
    algorithm: WrappingAlgorithm,
    legacy: bool,
    roundtrip: bool,
    spec: WrappingKeySpec,
    body: &[u8],
) -> Vec<u8> {
    let alg = WrappingAlgorithm::ALL
        .iter()
        .position(|a| *a == algorithm)
        .expect("algorithm listed") as u8;
    let key = WrappingKeySpec::RSA
        .iter()
        .position(|s| *s == spec)
        .expect("RSA spec") as u8;
    let sel = alg | if legacy { 0x08 } else { 0 } | if roundtrip { 0x10 } else { 0 };
    let mut out = vec![sel, key];
    out.extend_from_slice(body);
    out
}

/// Target `unwrap`: arbitrary ciphertext for every algorithm and fixture wrapping key.
///
/// Properties: an allowed algorithm fails only with `InvalidCiphertextException` (one message,
/// whatever went wrong); SM2PKE and PKCS#1 v1.5 without the legacy policy fail only with
/// `UnsupportedOperationException`; what unwraps fits the format's bounds; in round-trip mode,
/// wrapping then unwrapping returns the material.
pub fn unwrap(data: &[u8]) {
    let mut input = Input(data);
    let sel = input.byte();
    let key_sel = input.byte();
    let algorithm = pick(WrappingAlgorithm::ALL, sel % 8);
    let policy = if sel & 0x08 != 0 {
        WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure()
    } else {
        WrapPolicy::new()
    };
    let spec = pick(&WrappingKeySpec::RSA, key_sel);
    let key = wrapping_key(spec);
    let body = input.rest();
    let mut rng = rng(u64::from(key_sel));
    let refused = algorithm == WrappingAlgorithm::Sm2pke
        || (algorithm == WrappingAlgorithm::RsaesPkcs1V15
            && !policy.legacy_rsaes_pkcs1_v1_5_allowed());
    let k = spec.modulus_len().expect("RSA spec");

    if sel & 0x10 != 0 {
        match key.public_key().wrap(algorithm, body, &policy, &mut rng) {
            Ok(blob) => {
                let back = key
                    .for_algorithm(algorithm)
                    .unwrap(&blob, &policy, &mut rng)
                    .expect("what was wrapped unwraps");
                assert_eq!(&back[..], body, "round trip changed the material");
            }
            Err(e) => assert!(
                matches!(e, Error::Validation(_) | Error::UnsupportedOperation(_)),
                "wrap failed with {e:?}"
            ),
        }
        return;
    }

    match key.for_algorithm(algorithm).unwrap(body, &policy, &mut rng) {
        Ok(material) => {
            assert!(!refused, "{algorithm} unwrapped without being allowed");
            if matches!(
                algorithm,
                WrappingAlgorithm::RsaAesKeyWrapSha1 | WrappingAlgorithm::RsaAesKeyWrapSha256
            ) {
                assert!(!material.is_empty(), "RSA_AES unwrapped to nothing");
                assert!(material.len() + 8 <= body.len() - k, "KWP output too long");
            } else {
                assert!(material.len() < k, "RSA plaintext as long as the modulus");
            }
        }
        Err(e) if refused => assert!(
            matches!(e, Error::UnsupportedOperation(_)),
            "refused algorithm gave {e:?}"
        ),
        Err(e) => assert_eq!(e, Error::InvalidCiphertext, "unwrap failure is not uniform"),
    }
}

// ---------------------------------------------------------------------------------------------
// token_open

/// Layout of a [`token_open`] input: selector, then a length-prefixed (u16) ARN field, then the
/// token bytes.
///
/// Selector: bit `0x01` uses the ARN field instead of [`key_arn`]; bits `0x06` pick the time
/// of opening (now, +23 h 59 m 59 s, +24 h, −1 day); bit `0x80` treats the token bytes as a
/// *payload* that the harness seals itself under the current sealing key (so the fuzzer reaches
/// the payload parser behind the AEAD).
pub fn token_open_input(sel: u8, arn: &[u8], token: &[u8]) -> Vec<u8> {
    let mut out = vec![sel];
    out.extend_from_slice(&(arn.len() as u16).to_be_bytes());
    out.extend_from_slice(arn);
    out.extend_from_slice(token);
    out
}

/// Seals `payload` as a version-1 token under `key` for `arn`, exactly as the token format
/// documents, without checking the payload.
pub fn seal_raw_payload(key: &SealingKey, arn: &str, nonce: [u8; 12], payload: &[u8]) -> Vec<u8> {
    let mut aad = b"kms-import/import-token\0".to_vec();
    aad.push(1);
    aad.extend_from_slice(key.id().as_bytes());
    aad.extend_from_slice(arn.as_bytes());
    let mut buf = payload.to_vec();
    let aes_key: &Key<Aes256GcmSiv> = key.expose_secret().into();
    let cipher = Aes256GcmSiv::new(aes_key);
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), &aad, buf.as_mut_slice().into())
        .expect("sealing never fails");
    let mut token = vec![1];
    token.extend_from_slice(key.id().as_bytes());
    token.extend_from_slice(&nonce);
    token.extend_from_slice(&buf);
    token.extend_from_slice(&tag);
    token
}

/// Target `token_open`: arbitrary token bytes and ARN against [`sealing_keys`].
///
/// Properties: failures are only `InvalidImportTokenException` or
/// `ExpiredImportTokenException`; an opened token is bound to the ARN it was opened for and
/// not expired; its claims re-seal and re-open to the same claims.
pub fn token_open(data: &[u8]) {
    let mut input = Input(data);
    let sel = input.byte();
    let arn_field = input.field();
    let body = input.rest();
    let arn = if sel & 0x01 != 0 {
        String::from_utf8_lossy(arn_field).into_owned()
    } else {
        key_arn()
    };
    let when = match (sel >> 1) & 0x03 {
        0 => now(),
        1 => now() + Duration::hours(24) - Duration::seconds(1),
        2 => now() + Duration::hours(24),
        _ => now() - Duration::days(1),
    };
    let keys = sealing_keys();
    let sealed;
    let token = if sel & 0x80 != 0 {
        sealed = seal_raw_payload(keys.current(), &arn, [7; 12], body);
        &sealed[..]
    } else {
        body
    };
    match keys.open(token, &arn, when) {
        Ok(claims) => {
            assert_eq!(claims.key_arn(), arn, "token opened for another ARN");
            assert!(when < claims.parameters_valid_to(), "expired token opened");
            let resealed = keys
                .seal(&claims, &mut rng(1))
                .expect("opened claims re-seal");
            let again = keys
                .open(resealed.as_bytes(), &arn, when)
                .expect("re-sealed token opens");
            assert_eq!(again.token_id(), claims.token_id());
            assert_eq!(again.wrapping_algorithm(), claims.wrapping_algorithm());
            assert_eq!(again.wrapping_key_spec(), claims.wrapping_key_spec());
            assert_eq!(again.issued_at(), claims.issued_at());
            assert_eq!(again.parameters_valid_to(), claims.parameters_valid_to());
        }
        Err(e) => assert!(
            matches!(e, Error::InvalidImportToken | Error::ExpiredImportToken),
            "token failure gave {e:?}"
        ),
    }
}

/// A token the harness's sealing keys open, for `arn` (an ARN of [`context`]), issued at
/// `issued_at` for `algorithm` under the fixture wrapping key of `spec`.
///
/// It comes from the real GetParametersForImport (on a SYMMETRIC_DEFAULT key with that ARN,
/// under a policy that admits the legacy algorithm, with the fixture key as the only pooled
/// key), so it is exactly what a service issues. An algorithm GetParametersForImport never
/// issues (SM2PKE) gets a token sealed by hand in the documented format.
pub fn fixture_token(
    arn: &str,
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
    issued_at: OffsetDateTime,
) -> ImportToken {
    let mut rng = rng(2);
    let id = key_id(arn.rsplit('/').next().expect("key ARN"));
    let service = ImportService::new(context(), sealing_keys())
        .with_wrap_policy(WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure());
    let mut record = KeyRecord::create(
        &context(),
        id,
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: None,
        },
        issued_at - Duration::days(1),
    )
    .expect("fixture record");
    let mut pool = WrappingKeyPool::new();
    pool.insert(wrapping_key(spec).clone());
    let request = GetParametersForImportRequest {
        key_id: arn.to_owned(),
        wrapping_algorithm: algorithm,
        wrapping_key_spec: spec,
    };
    match service
        .get_parameters_for_import(&mut record, &request, &mut pool, issued_at, &mut rng)
        .into_result()
    {
        Ok(parameters) => parameters.import_token,
        Err(_) => {
            let mut key = vec![0x01];
            key.extend_from_slice(&wrapping_fixture(spec).pkcs8);
            let payload = raw_payload(
                0x02,
                [0x2a; 16],
                arn,
                algorithm,
                spec,
                issued_at,
                issued_at + Duration::hours(24),
                &key,
            );
            ImportToken::from_bytes(seal_raw_payload(
                sealing_keys().current(),
                arn,
                [9; 12],
                &payload,
            ))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// import_request

const IMPORT_SPECS: [KeySpec; 5] = [
    KeySpec::SymmetricDefault,
    KeySpec::Hmac256,
    KeySpec::EccNistP256,
    KeySpec::EccNistP521,
    KeySpec::Rsa2048,
];

/// Two distinct valid materials for a key spec of [`import_request`] ("A" and "B").
fn fixture_materials(spec: KeySpec) -> [&'static [u8]; 2] {
    const SYM_A: [u8; 32] = [0x11; 32];
    const SYM_B: [u8; 32] = [0x22; 32];
    const HMAC_A: [u8; 40] = [0x33; 40];
    const HMAC_B: [u8; 32] = [0x44; 32];
    match spec {
        KeySpec::SymmetricDefault => [&SYM_A, &SYM_B],
        KeySpec::Hmac256 => [&HMAC_A, &HMAC_B],
        KeySpec::EccNistP256 => [EC_P256, EC_P256_OTHER],
        KeySpec::EccNistP521 => [EC_P521, EC_P521_NOPUB],
        _ => [RSA_2048, RSA_2048_E3],
    }
}

fn fixture_record(spec: KeySpec) -> KeyRecord {
    KeyRecord::create(
        &context(),
        key_id(KEY_ID),
        CreateKeyParams {
            key_spec: spec,
            key_usage: Some(spec.default_key_usage().unwrap_or(KeyUsage::SignVerify)),
            origin: Origin::External,
            description: None,
        },
        now() - Duration::days(10),
    )
    .expect("fixture record")
}

fn prior_import() -> MaterialImport {
    MaterialImport {
        expiration: Expiration::Expires {
            valid_to: now() + Duration::days(30),
        },
        import_type: None,
        key_material_id: None,
        description: None,
        disabled_import_policy: DisabledImportPolicy::default(),
    }
}

/// The starting states of [`import_request`]'s record, by selector value.
fn prepared_record(spec: KeySpec, start: u8) -> KeyRecord {
    let mut record = fixture_record(spec);
    let earlier = now() - Duration::days(1);
    let [a, _] = fixture_materials(spec);
    let import = |r: &mut KeyRecord| {
        let checked = CheckedMaterial::check(spec, KeyMaterial::new(a.to_vec()))
            .expect("fixture material is valid");
        r.import_material(checked, prior_import(), earlier)
            .expect("prior import");
    };
    match start % 6 {
        0 => {}
        1 => import(&mut record),
        2 => {
            import(&mut record);
            record.disable(earlier).into_result().expect("disable");
        }
        3 => {
            import(&mut record);
            record
                .schedule_deletion(earlier, Some(7))
                .into_result()
                .expect("schedule");
        }
        4 => {
            import(&mut record);
            record
                .delete_material(None, earlier)
                .into_result()
                .expect("delete");
        }
        _ => {
            record
                .schedule_deletion(earlier, None)
                .into_result()
                .expect("schedule");
        }
    }
    record
}

/// Target `import_request`: arbitrary ImportKeyMaterial requests through
/// [`ImportService::import_key_material`] on a prepared record, with valid tokens and validly
/// wrapped fixture materials available through the selector bytes.
///
/// Input layout (all single bytes unless said otherwise): spec/start selector; token mode;
/// token algorithm/spec; material mode; tamper offset (u16) and xor byte; expiration mode;
/// valid-to offset (u16, hours+minutes); import type; material-id mode; key-id mode;
/// description (field); token bytes (field, for raw token mode); the rest is the raw
/// ciphertext or the plaintext material to wrap.
///
/// Properties: the record's invariants hold after every call; no `KMSInternalException`; a
/// failed call leaves the record as it was; a successful one leaves the token used up and, if
/// the key is Enabled, its material usable.
pub fn import_request(data: &[u8]) {
    let mut input = Input(data);
    let sel = input.byte();
    let spec = pick(&IMPORT_SPECS, sel);
    let start = sel / 5;
    let token_mode = input.byte();
    let token_alg = input.byte();
    let material_mode = input.byte();
    let tamper_at = usize::from(input.u16());
    let tamper_xor = input.byte();
    let expiry_mode = input.byte();
    let valid_to_minutes = i64::from(input.u16());
    let import_type_mode = input.byte();
    let id_mode = input.byte();
    let key_id_mode = input.byte();
    let description = input.field();
    let raw_token = input.field();
    let body = input.rest();

    let mut record = prepared_record(spec, start);
    let arn = record.arn().to_string();
    let algorithm = pick(WrappingAlgorithm::ALL, token_alg % 8);
    let wrapping_spec = pick(&WrappingKeySpec::RSA, token_alg / 8);
    let import_token = match token_mode % 4 {
        0 => fixture_token(&arn, algorithm, wrapping_spec, now() - Duration::hours(1)),
        1 => ImportToken::from_bytes(raw_token.to_vec()),
        2 => {
            let other = context().arn_for(&key_id(OTHER_KEY_ID)).to_string();
            fixture_token(&other, algorithm, wrapping_spec, now() - Duration::hours(1))
        }
        _ => fixture_token(&arn, algorithm, wrapping_spec, now() - Duration::hours(25)),
    };

    let [a, b] = fixture_materials(spec);
    let plaintext = match material_mode % 4 {
        0 => None,
        1 => Some(body),
        2 => Some(a),
        _ => Some(b),
    };
    let policy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();
    let mut rng = rng(3);
    let mut encrypted_key_material = plaintext
        .and_then(|m| {
            wrapping_key(wrapping_spec)
                .public_key()
                .wrap(algorithm, m, &policy, &mut rng)
                .ok()
        })
        .unwrap_or_else(|| body.to_vec());
    if material_mode & 0x04 != 0 && !encrypted_key_material.is_empty() {
        let i = tamper_at % encrypted_key_material.len();
        encrypted_key_material[i] ^= tamper_xor.max(1);
    }

    let key_id = match key_id_mode % 5 {
        0 => arn.clone(),
        1 => KEY_ID.to_owned(),
        2 => OTHER_KEY_ID.to_owned(),
        3 => "alias/fuzz".to_owned(),
        _ => String::from_utf8_lossy(description).into_owned(),
    };
    let mut request =
        ImportKeyMaterialRequest::new(key_id, import_token.into_bytes(), encrypted_key_material);
    let valid_to = now() + Duration::minutes(valid_to_minutes - 60);
    match expiry_mode % 4 {
        0 => request = request.expires_at(valid_to),
        1 => request = request.does_not_expire(),
        2 => request.valid_to = Some(valid_to),
        _ => {
            request = request.does_not_expire();
            request.valid_to = Some(valid_to);
        }
    }
    request.import_type = match import_type_mode % 3 {
        0 => None,
        1 => Some(ImportType::NewKeyMaterial),
        _ => Some(ImportType::ExistingKeyMaterial),
    };
    let key_id_string = KEY_ID.to_owned();
    request.key_material_id = match id_mode % 4 {
        0 => None,
        1 => Some(KeyMaterialId::derive(
            &key_id_string,
            &KeyMaterial::new(a.to_vec()),
        )),
        2 => Some(KeyMaterialId::derive(
            &key_id_string,
            &KeyMaterial::new(b.to_vec()),
        )),
        _ => Some(KeyMaterialId::from_bytes([id_mode; 32])),
    };
    if id_mode & 0x04 != 0 {
        request.key_material_description = Some(String::from_utf8_lossy(description).into_owned());
    }

    let service = ImportService::new(context(), sealing_keys())
        .with_wrap_policy(policy)
        .with_disabled_import_policy(pick(
            &[
                DisabledImportPolicy::StayDisabled,
                DisabledImportPolicy::Enable,
                DisabledImportPolicy::Reject,
            ],
            id_mode >> 3,
        ));
    let before = format!("{record:?}");
    let applied = service.import_key_material(&mut record, &request, now(), &mut rng);
    let (result, changed) = (applied.result, applied.changed);
    if let Err(e) = record.check_invariants() {
        panic!("invariant broken after import ({result:?}): {e}");
    }
    match result {
        Err(e) => {
            assert_not_internal(&e, "import");
            assert_eq!(
                format!("{record:?}"),
                before,
                "failed import changed the record"
            );
            assert!(!changed, "unchanged record reported as changed");
        }
        Ok(response) => {
            assert!(changed, "successful import not reported as a change");
            assert!(
                record
                    .materials()
                    .iter()
                    .any(|m| m.id() == response.key_material_id),
                "imported material not in the record"
            );
            if record.key_state() == KeyState::Enabled {
                usable_material(&record, now()).expect("enabled key has usable material");
            }
            let again = service.import_key_material(&mut record, &request, now(), &mut rng);
            assert_eq!(
                again.result.err(),
                Some(Error::InvalidImportToken),
                "token reused"
            );
        }
    }
}

/// Builds an [`import_request`] input from its parts (see its layout).
#[allow(clippy::too_many_arguments)]
pub fn import_request_input(
    spec: KeySpec,
    start: u8,
    token_mode: u8,
    algorithm: WrappingAlgorithm,
    wrapping_spec: WrappingKeySpec,
    material_mode: u8,
    expiry_mode: u8,
    import_type_mode: u8,
    id_mode: u8,
    body: &[u8],
) -> Vec<u8> {
    let spec_i = IMPORT_SPECS.iter().position(|s| *s == spec).expect("spec") as u8;
    let alg_i = WrappingAlgorithm::ALL
        .iter()
        .position(|a| *a == algorithm)
        .expect("algorithm") as u8;
    let ws_i = WrappingKeySpec::RSA
        .iter()
        .position(|s| *s == wrapping_spec)
        .expect("spec") as u8;
    let mut out = vec![
        spec_i + 5 * start,
        token_mode,
        alg_i + 8 * ws_i,
        material_mode,
        0,
        0,
        0,
        expiry_mode,
        // ValidTo 30 days ahead: 30·24·60 + 60 minutes.
    ];
    out.extend_from_slice(&((30 * 24 * 60 + 60) as u16).to_be_bytes());
    out.extend_from_slice(&[import_type_mode, id_mode, 0, 0, 0, 0, 0]);
    out.extend_from_slice(body);
    out
}

// ---------------------------------------------------------------------------------------------
// material

/// Target `material`: arbitrary bytes as material for every key spec (first byte, in
/// [`KeySpec::ALL`] order) through [`validate_material`].
///
/// Properties: failures are only `IncorrectKeyMaterialException` (or
/// `UnsupportedOperationException` for specs that take no imported material) and never quote
/// the material; accepted material is the key: symmetric and HMAC keys are the bytes given,
/// and the RSA and ECC private keys handed out are the ones whose public key is published.
pub fn material(data: &[u8]) {
    let mut input = Input(data);
    let spec = pick(KeySpec::ALL, input.byte());
    let bytes = input.rest();
    let material = KeyMaterial::new(bytes.to_vec());
    match validate_material(spec, &material) {
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::IncorrectKeyMaterial(_) | Error::UnsupportedOperation(_)
                ),
                "material failure gave {e:?}"
            );
            if bytes.len() >= 4 {
                let msg = e.to_string();
                assert!(!msg.contains(&hex(bytes)), "error quotes the material");
            }
        }
        Ok(key) => {
            assert!(spec.is_importable(), "{spec} accepted material");
            assert_eq!(key.key_spec(), spec);
            if spec == KeySpec::SymmetricDefault {
                assert_eq!(
                    &key.symmetric_key().expect("symmetric").expose_secret()[..],
                    bytes
                );
            } else if spec.is_hmac() {
                assert_eq!(key.hmac_key().expect("HMAC key"), bytes);
            } else {
                // The private key handed out is the one whose public key GetPublicKey shows.
                let spki = key.public_key_spki_der().expect("asymmetric key has SPKI");
                assert_eq!(
                    derived_spki(spec, &key),
                    spki,
                    "{spec} key and SPKI disagree"
                );
            }
        }
    }
}

/// The SPKI of the private key [`ValidatedMaterial`](kms_import::ValidatedMaterial) hands out
/// (RSA as PKCS#8, ECC as the scalar), derived with the RustCrypto crates.
fn derived_spki(spec: KeySpec, key: &kms_import::ValidatedMaterial) -> Vec<u8> {
    use pkcs8::{DecodePrivateKey, EncodePublicKey};
    if spec.is_rsa() {
        let der = key.rsa_private_key_der().expect("RSA key");
        let rsa = rsa::RsaPrivateKey::from_pkcs8_der(&der).expect("handed-out RSA key parses");
        return rsa
            .to_public_key()
            .to_public_key_der()
            .expect("SPKI")
            .into_vec();
    }
    let scalar = key.ecc_private_scalar().expect("ECC scalar");
    let der = match spec {
        KeySpec::EccNistP256 => p256::SecretKey::from_slice(&scalar)
            .expect("P-256 scalar")
            .public_key()
            .to_public_key_der(),
        KeySpec::EccNistP384 => p384::SecretKey::from_slice(&scalar)
            .expect("P-384 scalar")
            .public_key()
            .to_public_key_der(),
        KeySpec::EccNistP521 => p521::SecretKey::from_slice(&scalar)
            .expect("P-521 scalar")
            .public_key()
            .to_public_key_der(),
        _ => k256::SecretKey::from_slice(&scalar)
            .expect("secp256k1 scalar")
            .public_key()
            .to_public_key_der(),
    };
    der.expect("SPKI").into_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------------
// wire

/// Target `wire`: an `X-Amz-Target` value and a JSON body through
/// [`kms_import::wire::parse_request`].
///
/// Layout: everything up to the first `\n` is the target (lossy UTF-8), the rest is the body.
/// Without a newline, the first byte picks one of the known operations' targets.
///
/// Properties: failures are only `SerializationException`, `ValidationException` or
/// `UnsupportedOperationException` (unknown target), and encode to a JSON error body; a parsed
/// request is for the operation the target names.
pub fn wire(data: &[u8]) {
    use kms_import::wire::{Operation, encode_error, parse_request};
    let (target, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            &data[i + 1..],
        ),
        None => {
            let mut input = Input(data);
            let op = pick(Operation::ALL, input.byte());
            (op.target(), input.rest())
        }
    };
    match parse_request(&target, body) {
        Ok(request) => {
            assert_eq!(
                Operation::from_target(&target).ok(),
                Some(request.operation()),
                "request parsed for another operation"
            );
        }
        Err(e) => {
            assert!(
                matches!(
                    e,
                    Error::Serialization(_) | Error::Validation(_) | Error::UnsupportedOperation(_)
                ),
                "wire failure gave {e:?}"
            );
            let (status, encoded) = encode_error(&e);
            assert_eq!(status, 400);
            let json: serde_json::Value =
                serde_json::from_slice(&encoded).expect("error body is JSON");
            assert_eq!(json["__type"], e.code());
        }
    }
}

/// Builds a [`wire`] input.
pub fn wire_input(target: &str, body: &str) -> Vec<u8> {
    format!("{target}\n{body}").into_bytes()
}

// ---------------------------------------------------------------------------------------------
// state_sequence

/// Target `state_sequence`: sequences of record operations and time jumps on one EXTERNAL key,
/// checking [`KeyRecord::check_invariants`] after every step.
///
/// Layout: one setup byte (key spec: SYMMETRIC_DEFAULT or HMAC_256; disabled-import policy),
/// then two bytes per step: the operation (`% 10`: enable, disable, schedule deletion, cancel
/// deletion, import, delete, expire, advance hours, advance days, check use) and its argument.
///
/// Properties, after every step: the invariants hold; the revision never goes back; no
/// `KMSInternalException`; a failed operation changed nothing beyond the expiry that was due;
/// [`KeyRecord::state_at`] predicts the state that expiry then produces.
pub fn state_sequence(data: &[u8]) {
    let mut input = Input(data);
    let setup = input.byte();
    let spec = if setup & 1 == 0 {
        KeySpec::SymmetricDefault
    } else {
        KeySpec::Hmac256
    };
    let policy = pick(
        &[
            DisabledImportPolicy::StayDisabled,
            DisabledImportPolicy::Enable,
            DisabledImportPolicy::Reject,
        ],
        setup >> 1,
    );
    let materials: [KeyMaterial; 3] = match spec {
        KeySpec::SymmetricDefault => [0x11u8, 0x22, 0x33].map(|b| KeyMaterial::new(vec![b; 32])),
        _ => [0x44u8, 0x55, 0x66].map(|b| KeyMaterial::new(vec![b; 48])),
    };
    let ids = materials.clone().map(|m| KeyMaterialId::derive(KEY_ID, &m));
    let mut record = fixture_record(spec);
    let mut t = now();
    for step in input.rest().chunks(2) {
        let op = step[0] % 10;
        let arg = step.get(1).copied().unwrap_or(0);
        let before = record.clone();
        let result: Result<(), Error> = match op {
            0 => record.enable(t).into_result(),
            1 => record.disable(t).into_result(),
            2 => record
                .schedule_deletion(t, Some(u32::from(arg % 40)))
                .into_result()
                .map(|_| ()),
            3 => record.cancel_deletion(t).into_result(),
            4 => {
                let which = usize::from(arg % 3);
                let expiration = if arg & 0x80 != 0 {
                    Expiration::DoesNotExpire
                } else {
                    Expiration::Expires {
                        valid_to: t + Duration::hours(i64::from((arg >> 3) & 0x0f) * 6 + 1),
                    }
                };
                let request = MaterialImport {
                    expiration,
                    import_type: pick(
                        &[
                            None,
                            Some(ImportType::NewKeyMaterial),
                            Some(ImportType::ExistingKeyMaterial),
                        ],
                        (arg >> 2) % 3,
                    ),
                    key_material_id: (arg & 0x40 != 0).then_some(ids[which]),
                    description: None,
                    disabled_import_policy: policy,
                };
                let checked = CheckedMaterial::check(spec, materials[which].clone())
                    .expect("fixture material is valid");
                record.import_material(checked, request, t).map(|_| ())
            }
            5 => {
                let wanted = (arg & 0x04 != 0).then_some(ids[usize::from(arg % 3)]);
                record.delete_material(wanted, t).into_result().map(|_| ())
            }
            6 => {
                record.expire_materials(t);
                Ok(())
            }
            7 => {
                t += Duration::hours(i64::from(arg));
                Ok(())
            }
            8 => {
                t += Duration::days(i64::from(arg));
                Ok(())
            }
            _ => {
                let predicted = record.state_at(t);
                let mut applied = record.clone();
                applied.expire_materials(t);
                assert_eq!(
                    predicted,
                    applied.key_state(),
                    "state_at disagrees with expiry"
                );
                match record.check_usable(t) {
                    Ok(()) => {
                        assert_eq!(predicted, KeyState::Enabled, "usable while {predicted}");
                        usable_material(&record, t).expect("usable key has material");
                    }
                    Err(e) => {
                        assert_ne!(
                            predicted,
                            KeyState::Enabled,
                            "Enabled key not usable: {e:?}"
                        );
                        assert_not_internal(&e, "check_usable");
                    }
                }
                Ok(())
            }
        };
        if let Err(e) = record.check_invariants() {
            panic!("invariant broken after op {op} arg {arg} ({result:?}): {e}");
        }
        assert!(record.revision() >= before.revision(), "revision went back");
        if let Err(e) = result {
            assert_not_internal(&e, "record operation");
            let untouched = format!("{before:?}");
            let mut expired = before;
            expired.expire_materials(t);
            let now_seen = format!("{record:?}");
            assert!(
                now_seen == untouched || now_seen == format!("{expired:?}"),
                "failed op {op} changed the record beyond due expiry"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// seeds

/// The storage keys of [`stored_record`]: a fixed current key and one previous key.
pub fn storage_keys() -> StorageKeys {
    let key = |b: u8| StorageKey::from_bytes(StorageKeyId::from_bytes([b; 8]), [b; 32]);
    StorageKeys::with_previous(key(1), vec![key(2)], 2).expect("fixture storage keys")
}

/// Target `stored_record`: bytes as a stored key record. Selector byte, then the body:
///
/// - bit 0 clear: a sealed record for [`KEY_ID`], opened with [`storage_keys`];
/// - bit 0 set: a plaintext document (the current or the unversioned form).
///
/// Properties: no panic; whatever loads passes its invariants, writes out the document it was
/// read from (once normalised), and survives a seal/open round trip; a sealed record that
/// loads was sealed for [`KEY_ID`].
pub fn stored_record(data: &[u8]) {
    let mut input = Input(data);
    let sel = input.byte();
    let body = input.rest();
    let keys = storage_keys();
    let id = key_id(KEY_ID);
    let loaded = if sel & 0x01 == 0 {
        KeyRecord::open_sealed(&keys, &id, body).map(Some)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => KeyRecord::from_plaintext_json_insecure(text).map(Some),
            Err(_) => Ok(None),
        }
    };
    let Ok(Some(record)) = loaded else {
        return;
    };
    if let Err(e) = record.check_invariants() {
        panic!("a loaded record breaks an invariant: {e}");
    }
    let text = record
        .to_plaintext_json_insecure()
        .expect("a loaded record writes out");
    let again = KeyRecord::from_plaintext_json_insecure(&text).expect("its document reloads");
    assert_eq!(
        *again.to_plaintext_json_insecure().expect("writes out"),
        *text,
        "document round trip"
    );
    let sealed = record
        .seal(&keys, &mut rng(9))
        .expect("a loaded record seals");
    let opened =
        KeyRecord::open_sealed(&keys, &record.key_id(), &sealed).expect("its sealed form opens");
    assert_eq!(
        *opened.to_plaintext_json_insecure().expect("writes out"),
        *text,
        "sealed round trip"
    );
    if sel & 0x01 == 0 {
        assert_eq!(record.key_id(), id, "sealed record of another key opened");
    }
}

/// The seed corpora: `(target, file name, bytes)`, made with fixed seeds from the fixture keys
/// (valid ciphertexts for every algorithm and wrapping key, valid tokens, valid materials,
/// well-formed requests and operation sequences). `examples/fuzz_seeds.rs` writes them under
/// `fuzz/corpus/`.
pub fn seed_corpora() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rng = rng(5);
    let arn = key_arn();
    let legacy = WrapPolicy::new().allow_legacy_rsaes_pkcs1_v1_5_insecure();

    // unwrap: a valid ciphertext per algorithm x wrapping key, plus truncated and round-trip forms.
    for spec in WrappingKeySpec::RSA {
        let public = wrapping_key(spec).public_key();
        for algorithm in WrappingAlgorithm::ALL.iter().copied() {
            if algorithm == WrappingAlgorithm::Sm2pke {
                continue;
            }
            let is_legacy = algorithm == WrappingAlgorithm::RsaesPkcs1V15;
            let ct = public
                .wrap(algorithm, &[0x5a; 32], &legacy, &mut rng)
                .expect("seed wrap");
            let name = format!("{algorithm}_{spec}").to_lowercase();
            out.push((
                "unwrap",
                format!("{name}_valid"),
                unwrap_input(algorithm, is_legacy, false, spec, &ct),
            ));
            if spec == WrappingKeySpec::Rsa2048 {
                out.push((
                    "unwrap",
                    format!("{name}_truncated"),
                    unwrap_input(algorithm, is_legacy, false, spec, &ct[..ct.len() - 8]),
                ));
                out.push((
                    "unwrap",
                    format!("{name}_roundtrip"),
                    unwrap_input(algorithm, is_legacy, true, spec, &[0xa5; 40]),
                ));
            }
        }
    }
    // The aes-kw 0.3.1 trap: an RSA part that holds a 32-byte key, then an 8-byte KWP header.
    let public = wrapping_key(WrappingKeySpec::Rsa2048).public_key();
    let mut blob = public
        .wrap(
            WrappingAlgorithm::RsaesOaepSha256,
            &[0x77; 32],
            &legacy,
            &mut rng,
        )
        .expect("seed wrap");
    blob.extend_from_slice(&[0xa6, 0x59, 0x59, 0xa6, 0, 0, 0, 0]);
    out.push((
        "unwrap",
        "rsa_aes_8_byte_kwp".to_owned(),
        unwrap_input(
            WrappingAlgorithm::RsaAesKeyWrapSha256,
            false,
            false,
            WrappingKeySpec::Rsa2048,
            &blob,
        ),
    ));

    // token_open: valid tokens for every algorithm, plus raw payloads through the sealing mode.
    for (i, algorithm) in WrappingAlgorithm::ALL.iter().copied().enumerate() {
        let spec = pick(&WrappingKeySpec::RSA, i as u8);
        let token = fixture_token(&arn, algorithm, spec, now() - Duration::hours(1));
        let name = format!("{algorithm}_{spec}").to_lowercase();
        out.push((
            "token_open",
            format!("valid_{name}"),
            token_open_input(0, b"", token.as_bytes()),
        ));
        if i == 0 {
            out.push((
                "token_open",
                "expired_at_24h".to_owned(),
                token_open_input(0x04, b"", token.as_bytes()),
            ));
            out.push((
                "token_open",
                "wrong_arn".to_owned(),
                token_open_input(
                    0x01,
                    b"arn:aws:kms:us-east-1:111122223333:key/x",
                    token.as_bytes(),
                ),
            ));
            // The same token's payload, re-sealed raw: lets the fuzzer mutate the payload.
            let claims = sealing_keys()
                .open(token.as_bytes(), &arn, now())
                .expect("seed token opens");
            let payload = test_payload(&claims);
            out.push((
                "token_open",
                "raw_payload_valid".to_owned(),
                token_open_input(0x80, b"", &payload),
            ));
            out.push((
                "token_open",
                "raw_payload_trailing".to_owned(),
                token_open_input(0x80, b"", &[&payload[..], &[0]].concat()),
            ));
        }
    }
    let t = now();
    let payload = raw_payload(
        0x02,
        [0x17; 16],
        &arn,
        WrappingAlgorithm::RsaesOaepSha256,
        WrappingKeySpec::Rsa2048,
        t,
        t + Duration::hours(24),
        &[1, 2, 3],
    );
    let token = ImportToken::from_bytes(seal_raw_payload(
        &sealing_keys().previous()[1],
        &arn,
        [5; 12],
        &payload,
    ));
    out.push((
        "token_open",
        "previous_key_opaque_private_key".to_owned(),
        token_open_input(0, b"", token.as_bytes()),
    ));
    out.push((
        "token_open",
        "short".to_owned(),
        token_open_input(0, b"", &[1, 1, 1, 1, 1, 1, 1, 1, 1]),
    ));

    // import_request: every spec with a valid token and its own material, plus the main failures.
    for (i, spec) in IMPORT_SPECS.iter().copied().enumerate() {
        let algorithm = if spec == KeySpec::Rsa2048 {
            WrappingAlgorithm::RsaAesKeyWrapSha256
        } else {
            pick(
                &[
                    WrappingAlgorithm::RsaesOaepSha256,
                    WrappingAlgorithm::RsaesOaepSha1,
                    WrappingAlgorithm::RsaAesKeyWrapSha1,
                ],
                i as u8,
            )
        };
        let ws = if spec == KeySpec::EccNistP521 {
            WrappingKeySpec::Rsa3072
        } else {
            WrappingKeySpec::Rsa2048
        };
        let name = spec.as_str().to_lowercase();
        let seeds: [(&str, u8, u8, u8, u8, u8, u8); 7] = [
            // (name, start, token mode, material mode, expiry, import type, id mode)
            ("first_import", 0, 0, 2, 0, 0, 0),
            ("reimport_same", 1, 0, 2, 1, 0, 1),
            ("reimport_other", 1, 0, 3, 0, 0, 0),
            ("import_disabled", 2, 0, 2, 0, 0, 0x08),
            ("after_delete", 4, 0, 2, 0, 0, 1),
            ("tampered", 0, 0, 6, 0, 0, 0),
            ("expired_token", 0, 3, 2, 0, 0, 0),
        ];
        for (what, start, token_mode, material_mode, expiry, import_type, id_mode) in seeds {
            out.push((
                "import_request",
                format!("{name}_{what}"),
                import_request_input(
                    spec,
                    start,
                    token_mode,
                    algorithm,
                    ws,
                    material_mode,
                    expiry,
                    import_type,
                    id_mode,
                    &[],
                ),
            ));
        }
    }
    out.push((
        "import_request",
        "symmetric_rotation_new".to_owned(),
        import_request_input(
            KeySpec::SymmetricDefault,
            1,
            0,
            WrappingAlgorithm::RsaesOaepSha256,
            WrappingKeySpec::Rsa2048,
            3,
            1,
            1,
            0,
            &[],
        ),
    ));

    // material: each fixture for its spec, and a few near misses.
    let spec_byte = |s: KeySpec| KeySpec::ALL.iter().position(|x| *x == s).expect("spec") as u8;
    let material_seeds: [(&str, KeySpec, &[u8]); 12] = [
        ("symmetric", KeySpec::SymmetricDefault, &[0x11; 32]),
        ("symmetric_short", KeySpec::SymmetricDefault, &[0x11; 31]),
        ("hmac_224", KeySpec::Hmac224, &[0x22; 28]),
        ("hmac_512_long", KeySpec::Hmac512, &[0x22; 129]),
        ("ec_p256", KeySpec::EccNistP256, EC_P256),
        ("ec_p256_as_p384", KeySpec::EccNistP384, EC_P256),
        ("ec_p521", KeySpec::EccNistP521, EC_P521),
        ("ec_p521_nopub", KeySpec::EccNistP521, EC_P521_NOPUB),
        (
            "ec_k256",
            KeySpec::EccSecgP256k1,
            include_bytes!("../../tests/data/material/ec_k256.der"),
        ),
        ("rsa_2048", KeySpec::Rsa2048, RSA_2048),
        (
            "rsa_2048_bad_qinv",
            KeySpec::Rsa2048,
            include_bytes!("../../tests/data/material/rsa_2048_bad_qinv.der"),
        ),
        ("sm2", KeySpec::Sm2, &[0x11; 32]),
    ];
    for (name, spec, bytes) in material_seeds {
        let mut v = vec![spec_byte(spec)];
        v.extend_from_slice(bytes);
        out.push(("material", name.to_owned(), v));
    }
    let near_misses: [(&str, &[u8]); 8] = [
        (
            "ec_p256_compressed",
            include_bytes!("../../tests/data/material/ec_p256_compressed.der"),
        ),
        (
            "ec_p256_explicit",
            include_bytes!("../../tests/data/material/ec_p256_explicit.der"),
        ),
        (
            "ec_p256_hybrid",
            include_bytes!("../../tests/data/material/ec_p256_hybrid.der"),
        ),
        (
            "ec_p256_scalar_order",
            include_bytes!("../../tests/data/material/ec_p256_scalar_order.der"),
        ),
        (
            "ec_p256_wrong_pub",
            include_bytes!("../../tests/data/material/ec_p256_wrong_pub.der"),
        ),
        (
            "ber_p256_indefinite_length",
            include_bytes!("../../tests/data/material/ber_p256_indefinite_length.der"),
        ),
        (
            "trailing_p256",
            include_bytes!("../../tests/data/material/trailing_p256.der"),
        ),
        (
            "truncated_p256",
            include_bytes!("../../tests/data/material/truncated_p256.der"),
        ),
    ];
    for (name, bytes) in near_misses {
        let mut v = vec![spec_byte(KeySpec::EccNistP256)];
        v.extend_from_slice(bytes);
        out.push(("material", name.to_owned(), v));
    }

    // wire: one well-formed body per import operation and a few malformed ones.
    let b64 = |b: &[u8]| <base64ct::Base64 as base64ct::Encoding>::encode_string(b);
    let wire_seeds: Vec<(&str, &str, String)> = vec![
        ("import_key_material", "TrentService.ImportKeyMaterial", format!(
            r#"{{"KeyId":"{arn}","ImportToken":"{}","EncryptedKeyMaterial":"{}","ExpirationModel":"KEY_MATERIAL_EXPIRES","ValidTo":1800086400.5,"ImportType":"EXISTING_KEY_MATERIAL","KeyMaterialId":"{}","KeyMaterialDescription":"fuzz seed"}}"#,
            b64(&[1; 48]), b64(&[2; 256]), "ab".repeat(32)
        )),
        ("get_parameters", "TrentService.GetParametersForImport", format!(
            r#"{{"KeyId":"{KEY_ID}","WrappingAlgorithm":"RSA_AES_KEY_WRAP_SHA_256","WrappingKeySpec":"RSA_4096"}}"#
        )),
        ("delete_material", "TrentService.DeleteImportedKeyMaterial", format!(
            r#"{{"KeyId":"{KEY_ID}","KeyMaterialId":"{}"}}"#, "0".repeat(64)
        )),
        ("create_key", "TrentService.CreateKey",
            r#"{"KeySpec":"HMAC_256","KeyUsage":"GENERATE_VERIFY_MAC","Origin":"EXTERNAL","Description":"d"}"#.to_owned()),
        ("schedule_deletion", "TrentService.ScheduleKeyDeletion",
            format!(r#"{{"KeyId":"{KEY_ID}","PendingWindowInDays":7}}"#)),
        ("encrypt", "TrentService.Encrypt", format!(
            r#"{{"KeyId":"alias/x","Plaintext":"{}","EncryptionContext":{{"a":"b"}},"EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}}"#, b64(b"hi")
        )),
        ("sign", "TrentService.Sign", format!(
            r#"{{"KeyId":"{KEY_ID}","Message":"{}","MessageType":"RAW","SigningAlgorithm":"ECDSA_SHA_256"}}"#, b64(b"m")
        )),
        ("list_rotations", "TrentService.ListKeyRotations",
            format!(r#"{{"KeyId":"{KEY_ID}","IncludeKeyMaterial":"ALL_KEY_MATERIAL","Limit":10}}"#)),
        ("bad_base64", "TrentService.ImportKeyMaterial",
            format!(r#"{{"KeyId":"{KEY_ID}","ImportToken":"!!","EncryptedKeyMaterial":"AA=="}}"#)),
        ("unknown_member", "TrentService.DescribeKey",
            format!(r#"{{"KeyId":"{KEY_ID}","Bogus":[1,{{"x":null}}]}}"#)),
        ("unknown_target", "TrentService.Nope", "{}".to_owned()),
        ("not_json", "TrentService.EnableKey", "{\"KeyId\":".to_owned()),
        ("deep_nesting", "TrentService.EnableKey", format!("{}{}", "[".repeat(200), "]".repeat(200))),
    ];
    for (name, target, body) in wire_seeds {
        out.push(("wire", name.to_owned(), wire_input(target, &body)));
    }

    // state_sequence: the lifecycle paths of the key-state table.
    let seqs: [(&str, &[u8]); 10] = [
        ("import_enable_disable", &[0, 4, 0x80, 1, 0, 0, 0, 9, 0]),
        ("import_expire", &[0, 4, 0x08, 7, 30, 9, 0, 6, 0, 4, 0x80]),
        ("schedule_cancel", &[0, 4, 0x80, 2, 7, 3, 0, 0, 0]),
        (
            "delete_while_pending_deletion",
            &[0, 4, 0x80, 2, 10, 5, 0, 3, 0, 4, 0x80],
        ),
        (
            "rotation_new",
            &[0, 4, 0x80, 4, 0x85, 5, 5, 4, 0x85, 4, 0x86],
        ),
        ("reimport_by_id", &[0, 4, 0x80, 5, 0, 4, 0xc8, 9, 0]),
        (
            "hmac_disabled_reject",
            &[5, 4, 0x80, 1, 0, 5, 0, 4, 0x80, 0, 0],
        ),
        ("hmac_disabled_enable", &[3, 4, 0x80, 1, 0, 4, 0x80, 9, 0]),
        (
            "long_jumps",
            &[0, 4, 0x78, 8, 255, 8, 255, 9, 0, 2, 30, 8, 40, 9, 0],
        ),
        ("bad_window", &[0, 2, 3, 2, 39, 2, 30, 2, 7]),
    ];
    for (name, seq) in seqs {
        out.push(("state_sequence", name.to_owned(), seq.to_vec()));
    }

    // stored_record: sealed records in several states, and their plaintext documents.
    let keys = storage_keys();
    for start in 0..6u8 {
        let record = prepared_record(KeySpec::SymmetricDefault, start);
        let mut sealed = vec![0];
        sealed.extend(
            record
                .seal(&keys, &mut self::rng(u64::from(start)))
                .expect("seed seal"),
        );
        out.push(("stored_record", format!("sealed_{start}"), sealed));
        let mut text = vec![1];
        text.extend_from_slice(
            record
                .to_plaintext_json_insecure()
                .expect("seed document")
                .as_bytes(),
        );
        out.push(("stored_record", format!("document_{start}"), text));
    }
    let mut unversioned = vec![1];
    unversioned.extend_from_slice(UNVERSIONED_RECORD.as_bytes());
    out.push(("stored_record", "unversioned".to_owned(), unversioned));
    out
}

/// The unversioned record form of earlier releases (the golden file under `tests/data`).
const UNVERSIONED_RECORD: &str = include_str!("../../tests/data/records/key_record_v0.json");

/// Re-encodes opened claims as a version-1 payload (the format the token module documents),
/// carrying the fixture wrapping key of the claims' spec as bare PKCS#8.
fn test_payload(c: &TokenClaims) -> Vec<u8> {
    raw_payload(
        0x01,
        *c.token_id().as_bytes(),
        c.key_arn(),
        c.wrapping_algorithm(),
        c.wrapping_key_spec(),
        c.issued_at(),
        c.parameters_valid_to(),
        &wrapping_fixture(c.wrapping_key_spec()).pkcs8,
    )
}

/// A token payload in the documented layout, fields as given (no checks).
#[allow(clippy::too_many_arguments)]
fn raw_payload(
    version: u8,
    token_id: [u8; 16],
    arn: &str,
    algorithm: WrappingAlgorithm,
    spec: WrappingKeySpec,
    issued_at: OffsetDateTime,
    valid_to: OffsetDateTime,
    key: &[u8],
) -> Vec<u8> {
    let code = |a: WrappingAlgorithm| match a {
        WrappingAlgorithm::RsaesPkcs1V15 => 1u8,
        WrappingAlgorithm::RsaesOaepSha1 => 2,
        WrappingAlgorithm::RsaesOaepSha256 => 3,
        WrappingAlgorithm::RsaAesKeyWrapSha1 => 4,
        WrappingAlgorithm::RsaAesKeyWrapSha256 => 5,
        WrappingAlgorithm::Sm2pke => 6,
        _ => 0,
    };
    let spec_code = |s: WrappingKeySpec| match s {
        WrappingKeySpec::Rsa2048 => 1u8,
        WrappingKeySpec::Rsa3072 => 2,
        WrappingKeySpec::Rsa4096 => 3,
        WrappingKeySpec::Sm2 => 4,
        _ => 0,
    };
    let mut p = vec![version];
    p.extend_from_slice(&token_id);
    p.extend_from_slice(&(arn.len() as u16).to_be_bytes());
    p.extend_from_slice(arn.as_bytes());
    p.push(code(algorithm));
    p.push(spec_code(spec));
    p.extend_from_slice(&issued_at.unix_timestamp().to_be_bytes());
    p.extend_from_slice(&valid_to.unix_timestamp().to_be_bytes());
    p.extend_from_slice(&(key.len() as u16).to_be_bytes());
    p.extend_from_slice(key);
    p
}
