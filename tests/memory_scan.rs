//! No stray copies of imported material: after validate_material, ImportKeyMaterial, three
//! usable_material calls and DeleteImportedKeyMaterial, a scan of the whole process memory
//! (`/proc/self/mem`) finds a marker material nowhere, and nowhere either once everything is
//! dropped.
//!
//! Linux only, and meaningful only in an optimised build (debug builds keep temporaries the
//! optimiser removes):
//!
//! ```sh
//! cargo test --release -p kms-import --test memory_scan
//! ```
#![cfg(all(target_os = "linux", not(debug_assertions)))]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};

use kms_import::WrappingKeyPool;
use kms_import::{
    CommitmentKey, CommitmentKeys, KeyMaterial, KeySpec, Origin, WrappingAlgorithm,
    WrappingKeySpec, validate_material,
};
use kms_import::{CreateKeyParams, KeyRecord};
use kms_import::{
    DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest,
    ImportService, usable_material,
};
use kms_import::{KeyContext, KeyId};
use kms_import::{SealingKey, SealingKeys};
use kms_import::{WrapPolicy, WrappingPrivateKey, WrappingPublicKey};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use time::{Duration, OffsetDateTime};

const MARKER_LEN: usize = 32;

/// The marker's bytes, one at a time, from a fixed generator: the test never holds the marker
/// anywhere except in the buffer it hands to the library.
fn marker_byte(i: usize) -> u8 {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ (i as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    (x >> 40) as u8
}

/// A fresh heap buffer holding the marker.
fn marker() -> Vec<u8> {
    let mut v = Vec::with_capacity(MARKER_LEN);
    for i in 0..MARKER_LEN {
        v.push(marker_byte(i));
    }
    v
}

/// Counts the places in readable memory where the marker lies, without ever writing the marker
/// into memory: each candidate is compared byte by byte against the generator.
struct Scanner {
    buf: Vec<u8>,
    /// Where the last scan found the marker (region name and offset), for failure messages.
    places: Vec<String>,
    /// The marker's bytes inverted: what the scanner keeps in memory instead of the marker.
    inverted: [u8; MARKER_LEN],
}

impl Scanner {
    fn new() -> Scanner {
        let mut inverted = [0u8; MARKER_LEN];
        for (i, b) in inverted.iter_mut().enumerate() {
            *b = !marker_byte(i);
        }
        Scanner {
            buf: vec![0u8; 1 << 20],
            places: Vec::new(),
            inverted,
        }
    }

    fn count(&mut self) -> usize {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("/proc/self/maps");
        let mut mem = File::open("/proc/self/mem").expect("/proc/self/mem");
        let mut found = 0;
        self.places.clear();
        for line in maps.lines() {
            let mut fields = line.split_whitespace();
            let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
                continue;
            };
            let path = fields.nth(3).unwrap_or("");
            if !perms.starts_with('r') || path == "[vvar]" || path == "[vsyscall]" {
                continue;
            }
            let Some((start, end)) = range.split_once('-') else {
                continue;
            };
            let start = u64::from_str_radix(start, 16).expect("start");
            let end = u64::from_str_radix(end, 16).expect("end");
            let here = self.scan_region(&mut mem, start, end);
            if here > 0 {
                let name = if path.is_empty() { "anonymous" } else { path };
                self.places.push(format!("{here} in {name} ({perms})"));
            }
            found += here;
        }
        found
    }

    fn scan_region(&mut self, mem: &mut File, start: u64, end: u64) -> usize {
        let step = (self.buf.len() - MARKER_LEN) as u64;
        let mut found = 0;
        let mut at = start;
        while at < end {
            let len = ((end - at) as usize).min(self.buf.len());
            let read = mem
                .seek(SeekFrom::Start(at))
                .and_then(|_| mem.read(&mut self.buf[..len]));
            let Ok(n) = read else { break };
            if n == 0 {
                break;
            }
            let chunk = &self.buf[..n];
            let last = n.saturating_sub(MARKER_LEN - 1);
            // Matches starting in the overlap are counted by the next chunk.
            let limit = if at + (n as u64) < end {
                last.min(step as usize)
            } else {
                last
            };
            for j in 0..limit {
                if chunk[j] ^ 0xff == self.inverted[0]
                    && chunk[j..j + MARKER_LEN]
                        .iter()
                        .zip(self.inverted.iter())
                        .all(|(b, inv)| b ^ 0xff == *inv)
                {
                    found += 1;
                }
            }
            self.buf.iter_mut().for_each(|b| *b = 0);
            std::hint::black_box(&self.buf);
            at += step;
        }
        found
    }
}

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[inline(never)]
fn wrap_marker(public_key: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
    let material = KeyMaterial::new(marker());
    let validated = validate_material(KeySpec::SymmetricDefault, &material).unwrap();
    drop(validated);
    WrappingPublicKey::from_spki_der(public_key)
        .unwrap()
        .wrap(
            WrappingAlgorithm::RsaesOaepSha256,
            material.expose_secret(),
            &WrapPolicy::new(),
            rng,
        )
        .unwrap()
}

#[test]
fn no_copy_of_the_material_survives_its_deletion_or_the_drop() {
    let mut scanner = Scanner::new();
    assert_eq!(
        scanner.count(),
        0,
        "the marker is in memory before the test made it"
    );

    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let context = KeyContext::new("aws", "us-east-1", "111122223333").unwrap();
    let service = ImportService::new(
        context.clone(),
        SealingKeys::new(SealingKey::generate(&mut rng)),
    )
    .with_commitment_keys(CommitmentKeys::new(CommitmentKey::generate(&mut rng)));
    let key_id = KeyId::random(&mut rng);
    let mut record = KeyRecord::create(
        &context,
        key_id,
        CreateKeyParams {
            key_spec: KeySpec::SymmetricDefault,
            key_usage: None,
            origin: Origin::External,
            description: None,
        },
        now,
    )
    .unwrap();
    let mut pool = WrappingKeyPool::new();
    pool.insert(WrappingPrivateKey::from_pkcs8_der(&data("wrapping_rsa_2048.pk8.der")).unwrap());
    let params = service
        .get_parameters_for_import(
            &mut record,
            &GetParametersForImportRequest {
                key_id: key_id.to_string(),
                wrapping_algorithm: WrappingAlgorithm::RsaesOaepSha256,
                wrapping_key_spec: WrappingKeySpec::Rsa2048,
            },
            &mut pool,
            now,
            &mut rng,
        )
        .into_result()
        .unwrap();
    let wrapped = wrap_marker(&params.public_key, &mut rng);
    let mut counts = Vec::new();
    let mut look = |scanner: &mut Scanner, when: &str| {
        let n = scanner.count();
        counts.push(format!("{when}: {n} {:?}", scanner.places));
        n
    };
    let after_wrap = look(&mut scanner, "after validate_material and wrap");

    let request = ImportKeyMaterialRequest::new(
        key_id.to_string(),
        params.import_token.into_bytes(),
        wrapped,
    )
    .expires_at(now + Duration::days(1));
    service
        .import_key_material(&mut record, &request, now, &mut rng)
        .into_result()
        .unwrap();
    for _ in 0..3 {
        let usable = usable_material(&record, now).unwrap();
        assert_eq!(usable.symmetric_key().unwrap().expose_secret().len(), 32);
    }
    let after_use = look(&mut scanner, "after import and three usable_material");

    service
        .delete_imported_key_material(
            &mut record,
            &DeleteImportedKeyMaterialRequest {
                key_id: key_id.to_string(),
                key_material_id: None,
            },
            now,
        )
        .into_result()
        .unwrap();
    let after_delete = look(&mut scanner, "after DeleteImportedKeyMaterial");

    drop(record);
    drop(service);
    drop(pool);
    let after_drop = look(&mut scanner, "after the drop");
    // Only the record holds the material while it is imported; nothing once it is deleted.
    assert_eq!(
        (after_wrap, after_use, after_delete, after_drop),
        (0, 1, 0, 0),
        "{counts:#?}"
    );
}
