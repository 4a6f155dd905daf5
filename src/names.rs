//! AWS KMS enumerations, each spelled exactly as on the wire.
//!
//! `FromStr` and `Display` use the wire strings; an unknown string is a
//! [`Error::Validation`] in AWS's enum-constraint wording, naming the
//! request member the enum usually travels in. [`AwsName::parse_member`] names another member.
//! This is the only module that spells the wire strings.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// Common surface of every AWS enumeration in this module.
pub trait AwsName: Copy + Sized + 'static {
    /// The request member (camelCase, as AWS writes it in validation messages) that usually
    /// carries this enumeration.
    const MEMBER: &'static str;
    /// Every value, in the order of the AWS service model.
    const ALL: &'static [Self];

    /// The wire string.
    fn as_str(self) -> &'static str;

    /// Every wire string, in the order of [`AwsName::ALL`].
    fn wire_names() -> Vec<&'static str> {
        Self::ALL.iter().map(|v| v.as_str()).collect()
    }

    /// Parses a wire string; an unknown one is a `ValidationException` that names `member`.
    fn parse_member(value: &str, member: &str) -> Result<Self, Error> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.as_str() == value)
            .ok_or_else(|| Error::invalid_enum_value(value, member, &Self::wire_names()))
    }
}

macro_rules! aws_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident (member $member:literal) {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl AwsName for $name {
            const MEMBER: &'static str = $member;
            const ALL: &'static [Self] = &[ $( $name::$variant, )+ ];

            fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $wire, )+
                }
            }
        }

        impl $name {
            /// The wire string.
            pub fn as_str(self) -> &'static str {
                <Self as AwsName>::as_str(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                <Self as AwsName>::parse_member(s, $member)
            }
        }

        #[cfg(any(feature = "serde", feature = "wire"))]
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(any(feature = "serde", feature = "wire"))]
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|e: Error| serde::de::Error::custom(e.message()))
            }
        }
    };
}

aws_enum! {
    /// `KeySpec`: the type of a KMS key and of the material it holds.
    pub enum KeySpec (member "keySpec") {
        /// RSA key pair, 2048-bit modulus.
        Rsa2048 => "RSA_2048",
        /// RSA key pair, 3072-bit modulus.
        Rsa3072 => "RSA_3072",
        /// RSA key pair, 4096-bit modulus.
        Rsa4096 => "RSA_4096",
        /// NIST P-256 (secp256r1) key pair.
        EccNistP256 => "ECC_NIST_P256",
        /// NIST P-384 (secp384r1) key pair.
        EccNistP384 => "ECC_NIST_P384",
        /// NIST P-521 (secp521r1) key pair.
        EccNistP521 => "ECC_NIST_P521",
        /// SECG secp256k1 key pair.
        EccSecgP256k1 => "ECC_SECG_P256K1",
        /// 256-bit AES-GCM symmetric encryption key.
        SymmetricDefault => "SYMMETRIC_DEFAULT",
        /// HMAC key for HMAC-SHA-224.
        Hmac224 => "HMAC_224",
        /// HMAC key for HMAC-SHA-256.
        Hmac256 => "HMAC_256",
        /// HMAC key for HMAC-SHA-384.
        Hmac384 => "HMAC_384",
        /// HMAC key for HMAC-SHA-512.
        Hmac512 => "HMAC_512",
        /// SM2 key pair (China Regions only; not importable by this crate).
        Sm2 => "SM2",
        /// ML-DSA-44 key pair (cannot receive imported material).
        MlDsa44 => "ML_DSA_44",
        /// ML-DSA-65 key pair (cannot receive imported material).
        MlDsa65 => "ML_DSA_65",
        /// ML-DSA-87 key pair (cannot receive imported material).
        MlDsa87 => "ML_DSA_87",
        /// Ed25519 key pair (import unconfirmed by AWS; not importable by this crate).
        EccNistEdwards25519 => "ECC_NIST_EDWARDS25519",
    }
}

impl KeySpec {
    /// Whether this crate imports material for the spec: SYMMETRIC_DEFAULT, HMAC_*, RSA_* and
    /// the four ECC curves. SM2 (China Regions), ML-DSA and Ed25519 are known but not
    /// importable.
    pub fn is_importable(self) -> bool {
        !matches!(
            self,
            KeySpec::Sm2
                | KeySpec::MlDsa44
                | KeySpec::MlDsa65
                | KeySpec::MlDsa87
                | KeySpec::EccNistEdwards25519
        )
    }

    /// Every spec whose material this crate imports, in model order.
    pub fn importable() -> impl Iterator<Item = KeySpec> {
        KeySpec::ALL.iter().copied().filter(|s| s.is_importable())
    }

    /// SYMMETRIC_DEFAULT.
    pub fn is_symmetric(self) -> bool {
        self == KeySpec::SymmetricDefault
    }

    /// HMAC_224/256/384/512.
    pub fn is_hmac(self) -> bool {
        matches!(
            self,
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512
        )
    }

    /// RSA_2048/3072/4096.
    pub fn is_rsa(self) -> bool {
        matches!(self, KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096)
    }

    /// The four ECC curves this crate imports (P-256, P-384, P-521, secp256k1).
    pub fn is_ecc(self) -> bool {
        matches!(
            self,
            KeySpec::EccNistP256
                | KeySpec::EccNistP384
                | KeySpec::EccNistP521
                | KeySpec::EccSecgP256k1
        )
    }

    /// Asymmetric key pairs (RSA, ECC, SM2, ML-DSA, Ed25519): the specs with a public key.
    pub fn is_asymmetric(self) -> bool {
        !self.is_symmetric() && !self.is_hmac()
    }

    /// The RSA modulus size in bits, for RSA_* specs.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeySpec::Rsa2048 => Some(2048),
            KeySpec::Rsa3072 => Some(3072),
            KeySpec::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// The key usages a key of this spec may be created with, in model order.
    pub fn allowed_key_usages(self) -> &'static [KeyUsage] {
        match self {
            KeySpec::SymmetricDefault => &[KeyUsage::EncryptDecrypt],
            KeySpec::Hmac224 | KeySpec::Hmac256 | KeySpec::Hmac384 | KeySpec::Hmac512 => {
                &[KeyUsage::GenerateVerifyMac]
            }
            KeySpec::Rsa2048 | KeySpec::Rsa3072 | KeySpec::Rsa4096 => {
                &[KeyUsage::SignVerify, KeyUsage::EncryptDecrypt]
            }
            KeySpec::EccNistP256 | KeySpec::EccNistP384 | KeySpec::EccNistP521 => {
                &[KeyUsage::SignVerify, KeyUsage::KeyAgreement]
            }
            KeySpec::EccSecgP256k1 => &[KeyUsage::SignVerify],
            KeySpec::Sm2 => &[
                KeyUsage::SignVerify,
                KeyUsage::EncryptDecrypt,
                KeyUsage::KeyAgreement,
            ],
            KeySpec::MlDsa44
            | KeySpec::MlDsa65
            | KeySpec::MlDsa87
            | KeySpec::EccNistEdwards25519 => &[KeyUsage::SignVerify],
        }
    }

    /// The usage CreateKey picks when the request names none: ENCRYPT_DECRYPT for symmetric
    /// keys, GENERATE_VERIFY_MAC for HMAC keys. Asymmetric specs have no default (AWS requires
    /// KeyUsage for them).
    pub fn default_key_usage(self) -> Option<KeyUsage> {
        match self {
            KeySpec::SymmetricDefault => Some(KeyUsage::EncryptDecrypt),
            s if s.is_hmac() => Some(KeyUsage::GenerateVerifyMac),
            _ => None,
        }
    }
}

aws_enum! {
    /// `KeyUsage`: the cryptographic operations a key may be used for.
    pub enum KeyUsage (member "keyUsage") {
        /// Sign and verify.
        SignVerify => "SIGN_VERIFY",
        /// Encrypt and decrypt.
        EncryptDecrypt => "ENCRYPT_DECRYPT",
        /// Generate and verify MACs.
        GenerateVerifyMac => "GENERATE_VERIFY_MAC",
        /// Derive shared secrets.
        KeyAgreement => "KEY_AGREEMENT",
    }
}

aws_enum! {
    /// `Origin`: where a key's material comes from. Fixed at creation.
    pub enum Origin (member "origin") {
        /// KMS generated the material.
        AwsKms => "AWS_KMS",
        /// The customer imports the material (the only origin the import operations accept).
        External => "EXTERNAL",
        /// An AWS CloudHSM custom key store holds the material.
        AwsCloudhsm => "AWS_CLOUDHSM",
        /// An external key store holds the material.
        ExternalKeyStore => "EXTERNAL_KEY_STORE",
    }
}

aws_enum! {
    /// `KeyState`: the eight states of a KMS key.
    pub enum KeyState (member "keyState") {
        /// A multi-Region key being created.
        Creating => "Creating",
        /// Usable for cryptographic operations.
        Enabled => "Enabled",
        /// Holds its material but refuses cryptographic operations.
        Disabled => "Disabled",
        /// Scheduled for deletion.
        PendingDeletion => "PendingDeletion",
        /// Waiting for imported material.
        PendingImport => "PendingImport",
        /// A multi-Region replica scheduled for deletion.
        PendingReplicaDeletion => "PendingReplicaDeletion",
        /// Custom key store disconnected (never applies to imported keys).
        Unavailable => "Unavailable",
        /// A multi-Region key being updated.
        Updating => "Updating",
    }
}

aws_enum! {
    /// `ExpirationModel` as it travels on the wire. See
    /// `Expiration` for the typed form that carries `ValidTo`.
    pub enum ExpirationModel (member "expirationModel") {
        /// The material expires at `ValidTo`.
        KeyMaterialExpires => "KEY_MATERIAL_EXPIRES",
        /// The material does not expire.
        KeyMaterialDoesNotExpire => "KEY_MATERIAL_DOES_NOT_EXPIRE",
    }
}

aws_enum! {
    /// `WrappingAlgorithm` (AWS `AlgorithmSpec`): how key material is encrypted for import.
    pub enum WrappingAlgorithm (member "wrappingAlgorithm") {
        /// RSAES-PKCS1-v1_5. Retired by AWS on 2023-10-10; legacy, opt-in only.
        RsaesPkcs1V15 => "RSAES_PKCS1_V1_5",
        /// RSAES-OAEP with SHA-1 and MGF1-SHA-1, empty label.
        RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
        /// RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label.
        RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        /// RSA-OAEP-SHA-1 of an ephemeral AES-256 key, then AES Key Wrap with Padding.
        RsaAesKeyWrapSha1 => "RSA_AES_KEY_WRAP_SHA_1",
        /// RSA-OAEP-SHA-256 of an ephemeral AES-256 key, then AES Key Wrap with Padding.
        RsaAesKeyWrapSha256 => "RSA_AES_KEY_WRAP_SHA_256",
        /// SM2 public-key encryption (China Regions; not implemented by this crate).
        Sm2pke => "SM2PKE",
    }
}

aws_enum! {
    /// `WrappingKeySpec`: the type of the wrapping (public) key GetParametersForImport returns.
    pub enum WrappingKeySpec (member "wrappingKeySpec") {
        /// RSA, 2048-bit modulus.
        Rsa2048 => "RSA_2048",
        /// RSA, 3072-bit modulus.
        Rsa3072 => "RSA_3072",
        /// RSA, 4096-bit modulus (AWS's preferred choice).
        Rsa4096 => "RSA_4096",
        /// SM2 (China Regions; not implemented by this crate).
        Sm2 => "SM2",
    }
}

impl WrappingKeySpec {
    /// The three RSA wrapping key specs this crate implements.
    pub const RSA: [WrappingKeySpec; 3] = [
        WrappingKeySpec::Rsa2048,
        WrappingKeySpec::Rsa3072,
        WrappingKeySpec::Rsa4096,
    ];

    /// RSA modulus size in bits; `None` for SM2.
    pub fn modulus_bits(self) -> Option<usize> {
        match self {
            WrappingKeySpec::Rsa2048 => Some(2048),
            WrappingKeySpec::Rsa3072 => Some(3072),
            WrappingKeySpec::Rsa4096 => Some(4096),
            WrappingKeySpec::Sm2 => None,
        }
    }

    /// RSA modulus size in bytes (the length of every RSA ciphertext); `None` for SM2.
    pub fn modulus_len(self) -> Option<usize> {
        self.modulus_bits().map(|b| b / 8)
    }
}

aws_enum! {
    /// `ImportType`: whether ImportKeyMaterial brings new material or re-imports known material.
    pub enum ImportType (member "importType") {
        /// New material for a symmetric key; it waits in PENDING_ROTATION.
        NewKeyMaterial => "NEW_KEY_MATERIAL",
        /// Material already associated with the key.
        ExistingKeyMaterial => "EXISTING_KEY_MATERIAL",
    }
}

aws_enum! {
    /// `ImportState` of one key material.
    pub enum ImportState (member "importState") {
        /// The material is present.
        Imported => "IMPORTED",
        /// The material was deleted or expired and waits for re-import.
        PendingImport => "PENDING_IMPORT",
    }
}

aws_enum! {
    /// `KeyMaterialState` of one key material.
    pub enum KeyMaterialState (member "keyMaterialState") {
        /// Rotated out: decrypts, never encrypts.
        NonCurrent => "NON_CURRENT",
        /// Used for new encryptions.
        Current => "CURRENT",
        /// Imported with NEW_KEY_MATERIAL, waiting for RotateKeyOnDemand.
        PendingRotation => "PENDING_ROTATION",
        /// Multi-Region form of PENDING_ROTATION (not implemented by this crate).
        PendingMultiRegionImportAndRotation => "PENDING_MULTI_REGION_IMPORT_AND_ROTATION",
    }
}

aws_enum! {
    /// `IncludeKeyMaterial` of ListKeyRotations.
    pub enum IncludeKeyMaterial (member "includeKeyMaterial") {
        /// Every material associated with the key, pending ones included.
        AllKeyMaterial => "ALL_KEY_MATERIAL",
        /// Only materials that have been rotated in.
        RotationsOnly => "ROTATIONS_ONLY",
    }
}

aws_enum! {
    /// `RotationType` in ListKeyRotations.
    pub enum RotationType (member "rotationType") {
        /// Automatic yearly rotation (never for imported material).
        Automatic => "AUTOMATIC",
        /// RotateKeyOnDemand.
        OnDemand => "ON_DEMAND",
    }
}

aws_enum! {
    /// `KeyManager` in DescribeKey.
    pub enum KeyManager (member "keyManager") {
        /// An AWS managed key.
        Aws => "AWS",
        /// A customer managed key (every key this crate creates).
        Customer => "CUSTOMER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: AwsName + FromStr<Err = Error> + fmt::Display + PartialEq + fmt::Debug>() {
        for v in T::ALL {
            let s = v.to_string();
            assert_eq!(s.parse::<T>().unwrap(), *v);
        }
        let names = T::wire_names();
        let mut dedup = names.clone();
        dedup.sort_unstable();
        dedup.dedup();
        assert_eq!(dedup.len(), names.len(), "duplicate wire names");
    }

    #[test]
    fn every_enum_round_trips_through_its_wire_string() {
        round_trips::<KeySpec>();
        round_trips::<KeyUsage>();
        round_trips::<Origin>();
        round_trips::<KeyState>();
        round_trips::<ExpirationModel>();
        round_trips::<WrappingAlgorithm>();
        round_trips::<WrappingKeySpec>();
        round_trips::<ImportType>();
        round_trips::<ImportState>();
        round_trips::<KeyMaterialState>();
        round_trips::<IncludeKeyMaterial>();
        round_trips::<RotationType>();
        round_trips::<KeyManager>();
    }

    #[test]
    fn unknown_wrapping_algorithm_is_aws_validation_error() {
        let err = "RSAES_OAEP_SHA_512"
            .parse::<WrappingAlgorithm>()
            .unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert_eq!(
            err.message(),
            "1 validation error detected: Value 'RSAES_OAEP_SHA_512' at 'wrappingAlgorithm' \
             failed to satisfy constraint: Member must satisfy enum value set: [RSAES_PKCS1_V1_5, \
             RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1, \
             RSA_AES_KEY_WRAP_SHA_256, SM2PKE]"
        );
    }

    #[test]
    fn parsing_is_case_sensitive() {
        assert!("rsa_2048".parse::<WrappingKeySpec>().is_err());
        assert!("enabled".parse::<KeyState>().is_err());
        assert!(" RSA_2048".parse::<KeySpec>().is_err());
        assert!("".parse::<Origin>().is_err());
    }

    #[test]
    fn parse_member_names_the_given_member() {
        let err = KeySpec::parse_member("AES_256", "customerMasterKeySpec").unwrap_err();
        assert!(err.message().contains("at 'customerMasterKeySpec'"));
    }

    #[test]
    fn importable_specs_are_the_documented_twelve() {
        let got: Vec<&str> = KeySpec::importable().map(KeySpec::as_str).collect();
        assert_eq!(
            got,
            [
                "RSA_2048",
                "RSA_3072",
                "RSA_4096",
                "ECC_NIST_P256",
                "ECC_NIST_P384",
                "ECC_NIST_P521",
                "ECC_SECG_P256K1",
                "SYMMETRIC_DEFAULT",
                "HMAC_224",
                "HMAC_256",
                "HMAC_384",
                "HMAC_512"
            ]
        );
        assert_eq!(KeyState::ALL.len(), 8);
    }

    #[test]
    fn wrapping_key_sizes() {
        assert_eq!(WrappingKeySpec::Rsa2048.modulus_len(), Some(256));
        assert_eq!(WrappingKeySpec::Rsa3072.modulus_len(), Some(384));
        assert_eq!(WrappingKeySpec::Rsa4096.modulus_len(), Some(512));
        assert_eq!(WrappingKeySpec::Sm2.modulus_len(), None);
    }
}
