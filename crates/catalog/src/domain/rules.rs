//! Rules between fields of a promo or coupon, judged on whatever parts of it are known, so a
//! request lists them together with its other problems.

use platform::FieldError;
use time::OffsetDateTime;

use super::terms::DiscountType;

/// A percentage is at most 100.
pub fn discount_value(
    prefix: &str,
    kind: Option<DiscountType>,
    value: Option<i32>,
) -> Option<FieldError> {
    match (kind, value) {
        (Some(DiscountType::Percent), Some(v)) if v > 100 => Some(FieldError::new(
            format!("{prefix}discountValue"),
            format!("{prefix}discountValue untuk PERCENT harus antara 1 dan 100"),
        )),
        _ => None,
    }
}

/// A window ends after it starts.
pub fn window(
    prefix: &str,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
) -> Option<FieldError> {
    match (start, end) {
        (Some(s), Some(e)) if e <= s => Some(FieldError::new(
            format!("{prefix}endAt"),
            format!("{prefix}endAt harus setelah {prefix}startAt"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn percent_is_capped_at_100_fixed_is_not() {
        assert!(discount_value("", Some(DiscountType::Percent), Some(100)).is_none());
        assert!(discount_value("", Some(DiscountType::Percent), Some(101)).is_some());
        assert!(discount_value("", Some(DiscountType::Fixed), Some(100_000)).is_none());
        assert!(discount_value("", None, Some(150)).is_none());
        let p = discount_value("promos[0].", Some(DiscountType::Percent), Some(150));
        assert_eq!(
            p.map(|p| p.field).as_deref(),
            Some("promos[0].discountValue")
        );
    }

    #[test]
    fn a_window_must_not_be_empty_or_inverted() {
        let t = datetime!(2025-01-01 00:00:00 UTC);
        assert!(window("", Some(t), Some(t)).is_some());
        assert!(window("", Some(t), Some(t - time::Duration::SECOND)).is_some());
        assert!(window("", Some(t), Some(t + time::Duration::SECOND)).is_none());
        assert!(window("", Some(t), None).is_none());
    }
}
