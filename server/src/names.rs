//! The AWS KMS enumerations of the operations this server answers beyond the import
//! operations (kms-import spells those), each spelled exactly as on the wire, with kms-import's
//! [`AwsName`] rules: an unknown string is a `ValidationException` in AWS's enum-constraint
//! wording.

use std::fmt;
use std::str::FromStr;

use kms_import::{AwsName, Error as KmsError};

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
            type Err = KmsError;

            fn from_str(s: &str) -> Result<Self, KmsError> {
                <Self as AwsName>::parse_member(s, $member)
            }
        }

                impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

                impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(|e: KmsError| serde::de::Error::custom(e.message()))
            }
        }
    };
}

aws_enum! {
    /// `EncryptionAlgorithmSpec` of Encrypt and Decrypt.
    pub enum EncryptionAlgorithmSpec (member "encryptionAlgorithm") {
        /// AES-256-GCM under a symmetric key.
        SymmetricDefault => "SYMMETRIC_DEFAULT",
        /// RSAES-OAEP SHA-1.
        RsaesOaepSha1 => "RSAES_OAEP_SHA_1",
        /// RSAES-OAEP SHA-256.
        RsaesOaepSha256 => "RSAES_OAEP_SHA_256",
        /// SM2 public-key encryption.
        Sm2pke => "SM2PKE",
    }
}

aws_enum! {
    /// `SigningAlgorithmSpec` of Sign and Verify.
    pub enum SigningAlgorithmSpec (member "signingAlgorithm") {
        /// RSASSA-PSS with SHA-256.
        RsassaPssSha256 => "RSASSA_PSS_SHA_256",
        /// RSASSA-PSS with SHA-384.
        RsassaPssSha384 => "RSASSA_PSS_SHA_384",
        /// RSASSA-PSS with SHA-512.
        RsassaPssSha512 => "RSASSA_PSS_SHA_512",
        /// RSASSA-PKCS1-v1_5 with SHA-256.
        RsassaPkcs1V15Sha256 => "RSASSA_PKCS1_V1_5_SHA_256",
        /// RSASSA-PKCS1-v1_5 with SHA-384.
        RsassaPkcs1V15Sha384 => "RSASSA_PKCS1_V1_5_SHA_384",
        /// RSASSA-PKCS1-v1_5 with SHA-512.
        RsassaPkcs1V15Sha512 => "RSASSA_PKCS1_V1_5_SHA_512",
        /// ECDSA with SHA-256.
        EcdsaSha256 => "ECDSA_SHA_256",
        /// ECDSA with SHA-384.
        EcdsaSha384 => "ECDSA_SHA_384",
        /// ECDSA with SHA-512.
        EcdsaSha512 => "ECDSA_SHA_512",
        /// SM2 digital signature.
        Sm2dsa => "SM2DSA",
        /// ML-DSA with SHAKE-256.
        MlDsaShake256 => "ML_DSA_SHAKE_256",
    }
}

aws_enum! {
    /// `MacAlgorithmSpec` of GenerateMac and VerifyMac.
    pub enum MacAlgorithmSpec (member "macAlgorithm") {
        /// HMAC-SHA-224.
        HmacSha224 => "HMAC_SHA_224",
        /// HMAC-SHA-256.
        HmacSha256 => "HMAC_SHA_256",
        /// HMAC-SHA-384.
        HmacSha384 => "HMAC_SHA_384",
        /// HMAC-SHA-512.
        HmacSha512 => "HMAC_SHA_512",
    }
}

aws_enum! {
    /// `MessageType` of Sign and Verify.
    pub enum MessageType (member "messageType") {
        /// The message is hashed by KMS.
        Raw => "RAW",
        /// The message is already a digest.
        Digest => "DIGEST",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T: AwsName + FromStr<Err = KmsError> + fmt::Display + PartialEq + fmt::Debug>() {
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
        round_trips::<EncryptionAlgorithmSpec>();
        round_trips::<SigningAlgorithmSpec>();
        round_trips::<MacAlgorithmSpec>();
        round_trips::<MessageType>();
    }

    #[test]
    fn unknown_values_name_the_member() {
        let err = "HMAC_MD5".parse::<MacAlgorithmSpec>().unwrap_err();
        assert_eq!(err.code(), "ValidationException");
        assert!(
            err.message().contains("at 'macAlgorithm'"),
            "{}",
            err.message()
        );
    }
}
