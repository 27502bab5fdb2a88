//! `bandwidth_tb`, NUMERIC(8,2): held as an integer number of hundredths of a terabyte so that
//! no float ever touches the stored value.

use serde::{Serialize, Serializer};

/// Hundredths of a terabyte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bandwidth(pub i64);

/// NUMERIC(8,2) holds at most 999999.99.
pub const MAX_HUNDREDTHS: i64 = 99_999_999;

impl Bandwidth {
    /// Reads the decimal text of a JSON number (`3`, `0.5`, `1.25`): non-negative, at most two
    /// decimals. Exponent notation is accepted when it denotes such a value (`5e-1`).
    pub fn parse_decimal(text: &str) -> Option<Self> {
        let (mantissa, exponent) = match text.split_once(['e', 'E']) {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (text, 0),
        };
        if mantissa.starts_with('-') {
            return None;
        }
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        if !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        // All significant digits, and where the decimal point sits after applying the exponent.
        let digits = format!("{whole}{fraction}");
        let point = i32::try_from(whole.len()).ok()? + exponent;
        let digits = digits.trim_start_matches('0');
        if digits.is_empty() {
            return Some(Bandwidth(0));
        }
        // value = digits × 10^(point − len(original digits)); we want hundredths.
        let scale = point - i32::try_from(whole.len() + fraction.len()).ok()? + 2;
        let significant = digits.trim_end_matches('0');
        let trailing_zeros = i32::try_from(digits.len() - significant.len()).ok()?;
        let scale = scale + trailing_zeros;
        if scale < 0 || significant.len() > 12 || scale > 12 {
            return None;
        }
        let base: i64 = significant.parse().ok()?;
        let value = base.checked_mul(10_i64.checked_pow(u32::try_from(scale).ok()?)?)?;
        (value <= MAX_HUNDREDTHS).then_some(Bandwidth(value))
    }
}

impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 {
            s.serialize_i64(self.0 / 100)
        } else {
            // Only for the wire: hundredths / 100 has a shortest decimal form of at most two
            // decimals, which is what serde_json prints.
            s.serialize_f64(self.0 as f64 / 100.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_up_to_two_decimals() {
        assert_eq!(Bandwidth::parse_decimal("3"), Some(Bandwidth(300)));
        assert_eq!(Bandwidth::parse_decimal("0"), Some(Bandwidth(0)));
        assert_eq!(Bandwidth::parse_decimal("0.5"), Some(Bandwidth(50)));
        assert_eq!(Bandwidth::parse_decimal("1.25"), Some(Bandwidth(125)));
        assert_eq!(Bandwidth::parse_decimal("1.10"), Some(Bandwidth(110)));
        assert_eq!(Bandwidth::parse_decimal("5e-1"), Some(Bandwidth(50)));
        assert_eq!(Bandwidth::parse_decimal("1e2"), Some(Bandwidth(10_000)));
        assert_eq!(
            Bandwidth::parse_decimal("999999.99"),
            Some(Bandwidth(MAX_HUNDREDTHS))
        );
    }

    #[test]
    fn refuses_negatives_extra_decimals_and_overflow() {
        for bad in [
            "-1", "1.255", "0.001", "1e-3", "1000000", "1e6", "abc", ".5", "1e99",
        ] {
            assert_eq!(Bandwidth::parse_decimal(bad), None, "{bad}");
        }
    }

    #[test]
    fn serializes_integers_without_a_fraction() {
        let json = |b: Bandwidth| serde_json::to_string(&b).expect("json");
        assert_eq!(json(Bandwidth(300)), "3");
        assert_eq!(json(Bandwidth(50)), "0.5");
        assert_eq!(json(Bandwidth(125)), "1.25");
        assert_eq!(json(Bandwidth(0)), "0");
    }
}
