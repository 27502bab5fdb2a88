//! Password policy (auth.md §5.2) and argon2id hashing.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::config::PasswordPolicy;

pub const MAX_LENGTH: usize = 128;

/// OWASP's first argon2id configuration: 19 MiB, 2 iterations, 1 lane. Verification reads the
/// parameters from the stored PHC string, so raising them later keeps old hashes valid.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

/// Every unmet requirement, named as in `details.requirements`.
pub fn unmet_requirements(password: &str, policy: &PasswordPolicy) -> Vec<&'static str> {
    let mut unmet = Vec::new();
    let length = password.chars().count();
    if length < policy.min_length || length > MAX_LENGTH {
        unmet.push("min_length");
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        unmet.push("uppercase");
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        unmet.push("lowercase");
    }
    if policy.require_digit && !password.chars().any(|c| c.is_ascii_digit()) {
        unmet.push("digit");
    }
    if policy.require_special && !password.chars().any(|c| c.is_ascii_punctuation()) {
        unmet.push("special_char");
    }
    unmet
}

/// The human-readable explanation of unmet requirements, in Bahasa Indonesia.
pub fn describe(unmet: &[&str], policy: &PasswordPolicy) -> String {
    let parts: Vec<String> = unmet
        .iter()
        .map(|r| match *r {
            "min_length" => format!("panjang {}–{} karakter", policy.min_length, MAX_LENGTH),
            "uppercase" => "minimal satu huruf besar".into(),
            "lowercase" => "minimal satu huruf kecil".into(),
            "digit" => "minimal satu angka".into(),
            _ => "minimal satu karakter khusus".into(),
        })
        .collect();
    format!("Password harus memenuhi: {}", parts.join(", "))
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes with a fresh random salt into a PHC string. CPU-bound: call from `spawn_blocking`.
pub fn hash(password: &str) -> anyhow::Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
}

/// Verifies against a stored PHC string; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fixed hash verified when the e-mail is unknown, so both paths cost the same time.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hash("dummy-password-for-equal-timing").unwrap_or_else(|_| {
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3q3nR1bl5E5pXcQ4T8sLZ0m2nqY1mS4e6nH9l0b2c1A".into()
        })
    })
}

/// A random password nobody knows, for accounts created by an admin (auth.md §5.6).
pub fn unusable_password() -> String {
    platform::crypto::random_base64url(48)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_digit: true,
            require_special: true,
        }
    }

    #[test]
    fn lists_unmet_requirements_like_the_spec() {
        assert_eq!(
            unmet_requirements("password", &policy()),
            vec!["uppercase", "digit", "special_char"]
        );
        assert_eq!(unmet_requirements("Aa1!", &policy()), vec!["min_length"]);
        assert!(unmet_requirements("Customer123!", &policy()).is_empty());
        assert_eq!(
            unmet_requirements(&format!("Aa1!{}", "x".repeat(125)), &policy()),
            vec!["min_length"]
        );
    }

    #[test]
    fn toggles_switch_requirements_off() {
        let relaxed = PasswordPolicy {
            require_uppercase: false,
            require_special: false,
            ..policy()
        };
        assert!(unmet_requirements("password1", &relaxed).is_empty());
    }

    #[test]
    fn hashes_are_argon2id_phc_and_verify() {
        let stored = hash("Customer123!").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("Customer123!", &stored));
        assert!(!verify("customer123!", &stored));
        assert!(!verify("Customer123!", "not-a-hash"));
        assert_ne!(stored, hash("Customer123!").expect("hash"), "salted");
    }
}
