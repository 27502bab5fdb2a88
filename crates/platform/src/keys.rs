//! RSA key pairs for RS256 tokens, PEM-encoded (`webrana keygen`, local development, tests).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// A PEM private key (PKCS#8) and its public key (SubjectPublicKeyInfo).
#[derive(Clone)]
pub struct RsaPemPair {
    pub private_pem: String,
    pub public_pem: String,
}

impl std::fmt::Debug for RsaPemPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaPemPair")
            .field("public_pem", &self.public_pem)
            .finish()
    }
}

pub fn generate_rsa_2048() -> anyhow::Result<RsaPemPair> {
    let pair = KeyPair::generate(KeySize::Rsa2048)
        .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    let private_der = pair
        .as_der()
        .map_err(|_| anyhow::anyhow!("PKCS#8 encoding failed"))?;
    let public_der = pair
        .public_key()
        .as_der()
        .map_err(|_| anyhow::anyhow!("SPKI encoding failed"))?;
    Ok(RsaPemPair {
        private_pem: pem("PRIVATE KEY", private_der.as_ref()),
        public_pem: pem("PUBLIC KEY", public_der.as_ref()),
    })
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pair_signs_and_verifies_rs256() {
        let pair = generate_rsa_2048().expect("keygen");
        assert!(
            pair.private_pem
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let enc =
            jsonwebtoken::EncodingKey::from_rsa_pem(pair.private_pem.as_bytes()).expect("private");
        let dec =
            jsonwebtoken::DecodingKey::from_rsa_pem(pair.public_pem.as_bytes()).expect("public");
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        let token = jsonwebtoken::encode(
            &header,
            &serde_json::json!({"sub": "x", "exp": 4_000_000_000u64}),
            &enc,
        )
        .expect("sign");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Value>(&token, &dec, &validation).expect("verify");
    }
}
