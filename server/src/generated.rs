//! The material this server generates for its own keys (origin AWS_KMS), with every version a
//! symmetric key has had through RotateKeyOnDemand.

use crate::prelude::*;

/// How many on-demand rotations AWS allows per key (its documented quota).
pub(crate) const MAX_GENERATED_ROTATIONS: usize = 10;

/// One version of generated material and its public id.
pub(crate) struct GeneratedVersion {
    /// A random id, as AWS gives its own material: it says nothing about the material.
    pub(crate) id: KeyMaterialId,
    pub(crate) material: KeyMaterial,
}

/// Every version of an AWS_KMS key's material, oldest first; the last one is current.
/// Older versions stay so that ciphertexts made under them still decrypt.
pub(crate) struct Generated {
    versions: Vec<GeneratedVersion>,
}

fn version(spec: KeySpec, rng: &mut dyn CryptoRng) -> Result<GeneratedVersion, KmsError> {
    let mut id = [0u8; 32];
    rng.fill_bytes(&mut id);
    Ok(GeneratedVersion {
        id: KeyMaterialId::from_bytes(id),
        material: generate_material(spec, rng)?,
    })
}

impl Generated {
    /// Fresh material for a new key of `spec`.
    pub(crate) fn new(spec: KeySpec, rng: &mut dyn CryptoRng) -> Result<Generated, KmsError> {
        Ok(Generated {
            versions: vec![version(spec, rng)?],
        })
    }

    /// Every version, oldest first (what the store seals).
    pub(crate) fn versions(&self) -> &[GeneratedVersion] {
        &self.versions
    }

    /// The versions [`Generated::versions`] returned; None when there are none.
    pub(crate) fn from_versions(versions: Vec<GeneratedVersion>) -> Option<Generated> {
        (!versions.is_empty()).then_some(Generated { versions })
    }

    /// The version new ciphertexts, MACs and signatures use.
    pub(crate) fn current(&self) -> Result<&GeneratedVersion, KmsError> {
        self.versions.last().ok_or(KmsError::Internal)
    }

    /// The version whose id is `id`. Every id is compared, in constant time.
    pub(crate) fn find(&self, id: &KeyMaterialId) -> Option<&GeneratedVersion> {
        let mut found = None;
        for v in &self.versions {
            if v.id.ct_eq(id) {
                found = Some(v);
            }
        }
        found
    }

    /// How many on-demand rotations the key has had.
    pub(crate) fn rotations(&self) -> usize {
        self.versions.len().saturating_sub(1)
    }

    /// RotateKeyOnDemand: new material becomes current; the old stays for decryption.
    pub(crate) fn rotate(
        &mut self,
        spec: KeySpec,
        rng: &mut dyn CryptoRng,
    ) -> Result<(), KmsError> {
        self.versions.push(version(spec, rng)?);
        Ok(())
    }
}

/// RotateKeyOnDemand for a key of origin AWS_KMS: state first (DisabledException,
/// KMSInvalidStateException), then the key spec (UnsupportedOperationException without a
/// message, as AWS answers for an RSA key), then AWS's quota of on-demand rotations.
pub(crate) fn rotate_generated(
    record: &KeyRecord,
    generated: &mut Generated,
    now: OffsetDateTime,
    rng: &mut OsRng,
) -> Result<(), KmsError> {
    record.check_operation(KeyOperation::RotateKeyOnDemand, now)?;
    if !record.key_spec().is_symmetric() {
        return Err(KmsError::UnsupportedOperation(String::new()));
    }
    if generated.rotations() >= MAX_GENERATED_ROTATIONS {
        return Err(KmsError::LimitExceeded(format!(
            "The on-demand rotations limit has been reached for the given keyId. No more \
             on-demand rotations can be performed for this key: {}",
            record.arn()
        )));
    }
    generated.rotate(record.key_spec(), rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_adds_a_current_version_and_keeps_the_old_one() {
        let mut rng: OsRng = UnwrapErr(SysRng);
        let mut g = Generated::new(KeySpec::SymmetricDefault, &mut rng).unwrap();
        let first = g.current().unwrap().id;
        assert_eq!(g.rotations(), 0);
        g.rotate(KeySpec::SymmetricDefault, &mut rng).unwrap();
        let second = g.current().unwrap().id;
        assert_ne!(first, second);
        assert_eq!(g.rotations(), 1);
        assert!(g.find(&first).is_some());
        assert!(g.find(&second).is_some());
        assert!(g.find(&KeyMaterialId::from_bytes([0; 32])).is_none());
        assert_ne!(
            g.find(&first).unwrap().material.expose_secret(),
            g.current().unwrap().material.expose_secret()
        );
    }
}
