//! Discount arithmetic shared by promos and coupons (catalog.md §4.2): integer Rupiah only,
//! percentages rounded down, never more than the base.

use super::terms::DiscountType;

/// A discount rule: `PERCENT` of the base or a `FIXED` amount, optionally capped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discount {
    pub kind: DiscountType,
    /// Percent (1–100) or Rupiah.
    pub value: i64,
    /// `max_discount_amount`, Rupiah.
    pub cap: Option<i64>,
}

impl Discount {
    /// The discount `d` on base amount `base`: `0 ≤ d ≤ base`.
    pub fn amount_on(&self, base: i64) -> i64 {
        if base <= 0 || self.value <= 0 {
            return 0;
        }
        let raw = match self.kind {
            // i128 so that no base × percent can overflow; division of non-negatives floors.
            DiscountType::Percent => {
                let d = i128::from(base) * i128::from(self.value) / 100;
                i64::try_from(d).unwrap_or(i64::MAX)
            }
            DiscountType::Fixed => self.value,
        };
        let capped = match self.cap {
            Some(cap) => raw.min(cap.max(0)),
            None => raw,
        };
        capped.min(base)
    }
}

/// `floor(amount / months)`.
pub fn per_month(amount: i64, months: i64) -> i64 {
    if months <= 0 {
        return amount;
    }
    amount.div_euclid(months)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn percent(value: i64, cap: Option<i64>) -> Discount {
        Discount {
            kind: DiscountType::Percent,
            value,
            cap,
        }
    }

    fn fixed(value: i64, cap: Option<i64>) -> Discount {
        Discount {
            kind: DiscountType::Fixed,
            value,
            cap,
        }
    }

    #[test]
    fn percent_rounds_down() {
        assert_eq!(percent(10, None).amount_on(125_000), 12_500);
        assert_eq!(percent(20, None).amount_on(375_000), 75_000);
        // 15 % of 99.999 = 14.999,85 → 14.999.
        assert_eq!(percent(15, None).amount_on(99_999), 14_999);
        assert_eq!(percent(33, None).amount_on(1), 0);
        assert_eq!(percent(1, None).amount_on(199), 1);
    }

    #[test]
    fn the_cap_limits_percent_and_fixed() {
        assert_eq!(percent(10, Some(100_000)).amount_on(3_825_000), 100_000);
        assert_eq!(percent(10, Some(100_000)).amount_on(1_000_000), 100_000);
        assert_eq!(percent(10, Some(100_000)).amount_on(999_999), 99_999);
        assert_eq!(fixed(50_000, Some(20_000)).amount_on(300_000), 20_000);
    }

    #[test]
    fn never_more_than_the_base_and_never_negative() {
        assert_eq!(fixed(100_000, None).amount_on(85_000), 85_000);
        assert_eq!(percent(100, None).amount_on(85_000), 85_000);
        assert_eq!(percent(100, Some(10_000)).amount_on(85_000), 10_000);
        assert_eq!(fixed(25_000, None).amount_on(0), 0);
        assert_eq!(percent(50, None).amount_on(-10), 0);
    }

    #[test]
    fn huge_amounts_do_not_overflow() {
        assert_eq!(percent(100, None).amount_on(i64::MAX), i64::MAX);
        assert_eq!(percent(50, None).amount_on(i64::MAX), i64::MAX / 2);
    }

    #[test]
    fn per_month_rounds_down() {
        assert_eq!(per_month(3_825_000, 12), 318_750);
        assert_eq!(per_month(356_000, 3), 118_666);
        assert_eq!(per_month(300_000, 1), 300_000);
    }
}
