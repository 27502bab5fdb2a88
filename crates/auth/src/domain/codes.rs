//! The one-time secrets auth hands out: refresh tokens, e-mail tokens and Telegram link codes.

use platform::crypto::{random_base64url, random_bytes, random_hex, sha256_hex};

/// Opaque refresh token: 32 random bytes, base64url (43 characters).
pub fn new_refresh_token() -> String {
    random_base64url(32)
}

/// Verification / reset token: 32 random bytes, hex (64 characters).
pub fn new_email_token() -> String {
    random_hex(32)
}

/// What is stored instead of a token.
pub fn digest(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

const LINK_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// An 8-character Telegram link code without look-alike characters (auth.md §5.9).
pub fn new_link_code() -> String {
    // 32 symbols: the low five bits of each random byte choose one without bias.
    random_bytes(8)
        .iter()
        .map(|b| LINK_ALPHABET[usize::from(b & 31)] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(new_refresh_token().len(), 43);
        assert_eq!(new_email_token().len(), 64);
        let code = new_link_code();
        assert_eq!(code.len(), 8);
        assert!(code.bytes().all(|b| LINK_ALPHABET.contains(&b)));
        assert_eq!(digest("abc").len(), 64);
    }
}
