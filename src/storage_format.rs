//! The storage format of a key record: what [`KeyRecord::seal`](crate::KeyRecord::seal) writes
//! and [`KeyRecord::open_sealed_at`](crate::KeyRecord::open_sealed_at) reads (feature `serde`).
//!
//! An embedder stores these bytes as they are, beside the revision in a column of its own (see
//! "What an embedder stores" in the [crate documentation](crate)). The layout below is stable: a
//! release that changes it writes a higher version, and this release refuses any version it does
//! not know. A golden record of format version 1 is committed with the crate's tests
//! (`tests/data/records/`) and must keep loading.
//!
//! # Sealed form (envelope version 1)
//!
//! All integers are big-endian.
//!
//! | offset | length | field |
//! |---|---|---|
//! | 0 | 1 | envelope version, `0x01` |
//! | 1 | 8 | [`StorageKeyId`](crate::StorageKeyId) of the storage key |
//! | 9 | 8 | the record's revision (at most `i64::MAX`) |
//! | 17 | 12 | nonce, drawn from the caller's RNG for every seal |
//! | 29 | *n* | AES-256-GCM-SIV ciphertext of the record document (below) |
//! | 29 + *n* | 16 | AES-256-GCM-SIV tag |
//!
//! The associated data is the ASCII label `kms-import/key-record`, a zero byte, the envelope
//! version, the storage key id, the revision (8 bytes) and the record's key id as UTF-8 (the
//! bare id, not the ARN). The key id is not in the clear part: the opener names the key it
//! expects. The revision is in the clear so that a store can read it without the key, and in
//! the associated data so that it cannot be changed.
//!
//! # Record document (format version 1)
//!
//! The plaintext is a UTF-8 JSON object. Member names are stable and follow AWS's names where
//! AWS has one; every time is an RFC 3339 string in UTC with up to nine fractional digits; a
//! member this version does not know is refused, at every level; absent values are `null`.
//!
//! | member | value |
//! |---|---|
//! | `FormatVersion` | `1` |
//! | `Arn` | the key ARN |
//! | `CreationDate` | time |
//! | `KeyState` | e.g. `Enabled`, `PendingImport` |
//! | `Origin`, `KeySpec`, `KeyUsage` | AWS's strings |
//! | `Description` | string (empty when none) |
//! | `DeletionDate` | time or `null` |
//! | `KeyMaterials` | array, in association order, of the objects below |
//! | `UsedTokens` | `{"Capacity": n, "Watermark": time or null, "Entries": [{"TokenId": 32 hex, "IssuedAt": time, "ParametersValidTo": time}]}`; the watermark is the latest validity end of a dropped entry |
//! | `Revision` | integer, 0..=`i64::MAX`, equal to the envelope's |
//!
//! A key material: `KeyMaterialId` (64 lowercase hex), `KeyMaterial` (standard padded base64 of
//! the bytes, or `null` once deleted or expired), `ExpirationModel` (`KEY_MATERIAL_EXPIRES`,
//! `KEY_MATERIAL_DOES_NOT_EXPIRE`, or `null` exactly when the bytes are absent), `ValidTo`
//! (time under `KEY_MATERIAL_EXPIRES`, else `null`), `KeyMaterialState`,
//! `KeyMaterialDescription`, `RotationDate`, `RotationType`, `CommitmentVersion` (the version
//! of the commitment key the id was made with, or `null` for an id keyed with the key id alone;
//! read as `null` when absent) and `LegacyWrapping` (`true` while the material's first import
//! came through RSAES_PKCS1_V1_5 and nothing has confirmed it since; read as `false` when
//! absent).
//!
//! A document with a higher `FormatVersion`, or an envelope with a higher version, is refused
//! with [`StorageError::UnsupportedVersion`](crate::StorageError::UnsupportedVersion): it was written by a newer release.
//!
//! The unversioned form this crate wrote before (the record's serde derive: snake_case member
//! names, material in clear) is read, for migration only, by
//! `KeyRecord::from_plaintext_json_insecure` (feature `serde`).

// This module holds documentation only: the code is in `record::storage`.
