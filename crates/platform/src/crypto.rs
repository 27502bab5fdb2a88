//! Small cryptographic building blocks shared by the services: digests, random tokens,
//! constant-time comparison and the AES-256-GCM cipher for secrets at rest (platform.md §10.4).

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use subtle::ConstantTimeEq;

/// SHA-256 of `data` as 64 lower-case hex characters.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(digest(&SHA256, data))
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // aws-lc's RNG only fails if the OS entropy source is gone, when nothing else can work either.
    aws_lc_rs::rand::fill(&mut buf).expect("operating system random source unavailable");
    buf
}

/// `n` random bytes as lower-case hex (2n characters).
pub fn random_hex(n: usize) -> String {
    hex::encode(random_bytes(n))
}

/// `n` random bytes as unpadded base64url.
pub fn random_base64url(n: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(n))
}

/// Compares two secrets without leaking their content or length through timing: both sides are
/// reduced to fixed-length SHA-256 digests first (platform.md §3.3).
pub fn secrets_equal(presented: &[u8], expected: &[u8]) -> bool {
    let a = digest(&SHA256, presented);
    let b = digest(&SHA256, expected);
    a.as_ref().ct_eq(b.as_ref()).into()
}

/// Constant-time equality of two equal-purpose byte strings (signatures, digests).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error("the key must be 64 hexadecimal characters (32 bytes)")]
    BadKey,
    #[error("ciphertext is malformed or was not produced with this key")]
    Undecryptable,
}

/// AES-256-GCM over secrets at rest, stored as base64(nonce ‖ ciphertext ‖ tag).
#[derive(Clone)]
pub struct SecretCipher {
    key: std::sync::Arc<LessSafeKey>,
}

impl std::fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretCipher(..)")
    }
}

impl SecretCipher {
    /// Builds the cipher from `CREDENTIALS_ENCRYPTION_KEY` (64 hex characters).
    pub fn from_hex(key_hex: &str) -> Result<Self, CipherError> {
        let raw = hex::decode(key_hex.trim()).map_err(|_| CipherError::BadKey)?;
        if raw.len() != 32 {
            return Err(CipherError::BadKey);
        }
        let unbound = UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| CipherError::BadKey)?;
        Ok(Self {
            key: std::sync::Arc::new(LessSafeKey::new(unbound)),
        })
    }

    pub fn encrypt(&self, plaintext: &str) -> String {
        let nonce_bytes = random_bytes(NONCE_LEN);
        let mut nonce_arr = [0u8; NONCE_LEN];
        nonce_arr.copy_from_slice(&nonce_bytes);
        let mut in_out = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce_arr),
                Aad::empty(),
                &mut in_out,
            )
            .expect("AES-GCM sealing of an in-memory buffer cannot fail");
        let mut out = nonce_arr.to_vec();
        out.extend_from_slice(&in_out);
        STANDARD.encode(out)
    }

    pub fn decrypt(&self, encoded: &str) -> Result<String, CipherError> {
        let raw = STANDARD
            .decode(encoded)
            .map_err(|_| CipherError::Undecryptable)?;
        if raw.len() < NONCE_LEN {
            return Err(CipherError::Undecryptable);
        }
        let (nonce, sealed) = raw.split_at(NONCE_LEN);
        let nonce =
            Nonce::try_assume_unique_for_key(nonce).map_err(|_| CipherError::Undecryptable)?;
        let mut in_out = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::empty(), &mut in_out)
            .map_err(|_| CipherError::Undecryptable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CipherError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_matches_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_compare_by_content_not_length() {
        assert!(secrets_equal(b"same-key", b"same-key"));
        assert!(!secrets_equal(b"same-key", b"same-kez"));
        assert!(!secrets_equal(b"short", b"a-much-longer-key"));
    }

    #[test]
    fn random_tokens_have_the_promised_shape() {
        assert_eq!(random_hex(32).len(), 64);
        assert_eq!(random_base64url(32).len(), 43);
        assert_ne!(random_hex(16), random_hex(16));
    }

    #[test]
    fn cipher_round_trips_and_rejects_tampering() {
        let cipher = SecretCipher::from_hex(&"ab".repeat(32)).expect("valid key");
        let sealed = cipher.encrypt("root-password");
        assert_ne!(sealed, "root-password");
        assert_eq!(cipher.decrypt(&sealed).expect("decrypts"), "root-password");
        let other = SecretCipher::from_hex(&"cd".repeat(32)).expect("valid key");
        assert!(other.decrypt(&sealed).is_err());
        assert!(cipher.decrypt("not base64!").is_err());
    }

    #[test]
    fn cipher_rejects_bad_keys() {
        assert!(SecretCipher::from_hex("abcd").is_err());
        assert!(SecretCipher::from_hex(&"zz".repeat(32)).is_err());
    }
}
