//! The SYMMETRIC_DEFAULT ciphertext format of this server.

use crate::prelude::*;

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
pub(crate) struct Envelope {
    pub(crate) key_id: KeyId,
    pub(crate) material_id: KeyMaterialId,
    pub(crate) nonce: [u8; 12],
    pub(crate) body: Vec<u8>,
    pub(crate) tag: [u8; 16],
}

pub(crate) const ENVELOPE_VERSION: u8 = 1;
pub(crate) const KEY_ID_LEN: usize = 36;
pub(crate) const HEADER_LEN: usize = 1 + KEY_ID_LEN + 32;
pub(crate) const ENVELOPE_LABEL: &[u8] = b"kms-import example server envelope v1";

impl Envelope {
    pub(crate) fn parse(blob: &[u8]) -> Option<Envelope> {
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

    pub(crate) fn header(key_id: &KeyId, material_id: &KeyMaterialId) -> Option<Vec<u8>> {
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

    pub(crate) fn aad(header: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
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

    pub(crate) fn seal(
        key: &[u8; 32],
        key_id: &KeyId,
        material_id: &KeyMaterialId,
        context: &BTreeMap<String, String>,
        plaintext: &[u8],
        rng: &mut dyn CryptoRng,
    ) -> Result<Vec<u8>, KmsError> {
        let header = Envelope::header(key_id, material_id).ok_or(KmsError::Internal)?;
        let mut nonce = [0u8; 12];
        rng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(<&GcmKey<Aes256Gcm>>::from(key));
        // Holds the plaintext until encrypted in place (and if encryption fails).
        let mut body = Zeroizing::new(plaintext.to_vec());
        let tag = cipher
            .encrypt_inout_detached(
                &GcmNonce::from(nonce),
                &Envelope::aad(&header, context),
                body.as_mut_slice().into(),
            )
            .map_err(|_| KmsError::Internal)?;
        let mut out = header;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&body);
        out.extend_from_slice(&tag);
        Ok(out)
    }

    pub(crate) fn open(
        &self,
        key: &[u8; 32],
        context: &BTreeMap<String, String>,
    ) -> Result<Zeroizing<Vec<u8>>, KmsError> {
        let header =
            Envelope::header(&self.key_id, &self.material_id).ok_or(KmsError::InvalidCiphertext)?;
        let cipher = Aes256Gcm::new(<&GcmKey<Aes256Gcm>>::from(key));
        let mut body = Zeroizing::new(self.body.clone());
        cipher
            .decrypt_inout_detached(
                &GcmNonce::from(self.nonce),
                &Envelope::aad(&header, context),
                body.as_mut_slice().into(),
                &GcmTag::from(self.tag),
            )
            .map_err(|_| KmsError::InvalidCiphertext)?;
        Ok(body)
    }
}
