//! Invoice numbers and Tripay merchant references (billing.md §3).

use time::{OffsetDateTime, UtcOffset};

/// 32 characters without the look-alikes `0`, `O`, `1`, `I`.
pub const ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Asia/Jakarta: UTC+7 all year.
const JAKARTA: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// `INV-YYYYMMDD-XXXX`, the date in Jakarta, the suffix from four random bytes.
pub fn generate(created_at: OffsetDateTime, random: [u8; 4]) -> String {
    let local = created_at.to_offset(JAKARTA);
    let suffix: String = random
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect();
    format!(
        "INV-{:04}{:02}{:02}-{suffix}",
        local.year(),
        u8::from(local.month()),
        local.day()
    )
}

/// A fresh number drawn with the operating system's CSPRNG.
pub fn draw(created_at: OffsetDateTime) -> String {
    let bytes = platform::crypto::random_bytes(4);
    let mut random = [0u8; 4];
    random.copy_from_slice(&bytes[..4]);
    generate(created_at, random)
}

/// Whether `s` has the exact shape of an invoice number.
pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && s.starts_with("INV-")
        && b[4..12].iter().all(u8::is_ascii_digit)
        && b[12] == b'-'
        && b[13..].iter().all(|c| ALPHABET.contains(c))
}

/// `merchant_ref` of the `attempt`-th Tripay transaction of an invoice (attempts count from 1).
pub fn merchant_ref(invoice_number: &str, attempt: i32) -> String {
    if attempt <= 1 {
        invoice_number.to_owned()
    } else {
        format!("{invoice_number}-{attempt}")
    }
}

/// The invoice number inside a callback's `merchant_ref`
/// (`^(INV-\d{8}-[A-Z0-9]{4})(-\d+)?$`, §7.3), if it has that shape.
pub fn from_merchant_ref(merchant_ref: &str) -> Option<&str> {
    let base = merchant_ref.get(..17)?;
    let b = base.as_bytes();
    let shaped = base.starts_with("INV-")
        && b[4..12].iter().all(u8::is_ascii_digit)
        && b[12] == b'-'
        && b[13..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    let rest = &merchant_ref[17..];
    let suffix_ok = rest.is_empty()
        || (rest.len() > 1
            && rest.starts_with('-')
            && rest[1..].bytes().all(|c| c.is_ascii_digit()));
    (shaped && suffix_ok).then_some(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_date_is_jakarta_and_the_suffix_uses_the_alphabet() {
        // 18:30 UTC is already the next day in Jakarta.
        let n = generate(datetime!(2025-01-14 18:30 UTC), [0, 31, 32, 255]);
        assert_eq!(n, "INV-20250115-2Z2Z");
        assert!(is_valid(&n));
        let n = generate(datetime!(2025-01-15 03:00 UTC), [5, 6, 7, 8]);
        assert!(n.starts_with("INV-20250115-"));
    }

    #[test]
    fn drawn_numbers_are_valid_and_vary() {
        let now = OffsetDateTime::now_utc();
        let numbers: std::collections::HashSet<String> = (0..50).map(|_| draw(now)).collect();
        assert!(numbers.iter().all(|n| is_valid(n)));
        assert!(numbers.len() > 40);
    }

    #[test]
    fn validity_rejects_look_alikes_and_bad_shapes() {
        assert!(is_valid("INV-20250115-7KQ3"));
        for bad in [
            "INV-20250115-7KQ0",
            "INV-20250115-7KQO",
            "INV-20250115-7kq3",
            "INV-2025011-7KQ33",
            "INV-20250115-7KQ",
            "XNV-20250115-7KQ3",
        ] {
            assert!(!is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn merchant_refs_carry_the_attempt_and_strip_back() {
        assert_eq!(merchant_ref("INV-20250115-7KQ3", 1), "INV-20250115-7KQ3");
        assert_eq!(merchant_ref("INV-20250115-7KQ3", 2), "INV-20250115-7KQ3-2");
        assert_eq!(
            from_merchant_ref("INV-20250115-7KQ3-12"),
            Some("INV-20250115-7KQ3")
        );
        assert_eq!(
            from_merchant_ref("INV-20250115-7KQ3"),
            Some("INV-20250115-7KQ3")
        );
        for other in [
            "INV-20250115-7KQ3-",
            "INV-20250115-7KQ3x",
            "ORDER-1",
            "",
            "INV-20250115-7kq3",
        ] {
            assert_eq!(from_merchant_ref(other), None, "{other}");
        }
    }
}
