//! Fee arithmetic (integrations.md §1.2): `flat + round_half_up(amount × percent / 100)`.

use crate::model::{Fee, PaymentChannel};

/// E-wallets whose computed fee is raised to at least Rp 1.000.
const EWALLET_MINIMUM: &[&str] = &["OVO", "DANA", "SHOPEEPAY"];

/// One fee component for `amount`. The percentage is taken in hundredths of a percent so the
/// rounding is exact integer arithmetic (Tripay's percentages have at most two decimals).
pub fn channel_fee(fee: &Fee, amount: i64) -> i64 {
    let basis_points = (fee.percent * 100.0).round() as i128;
    let scaled = i128::from(amount) * basis_points;
    // round half up of scaled / 10_000
    let percent_part = (scaled + 5_000).div_euclid(10_000);
    fee.flat
        .saturating_add(i64::try_from(percent_part).unwrap_or(i64::MAX))
}

/// The total fee of a transaction of `amount`, clamped to the channel's bounds.
pub fn total_fee(channel: &PaymentChannel, amount: i64) -> i64 {
    let mut fee = channel_fee(&channel.total_fee, amount);
    if let Some(min) = channel.minimum_fee {
        fee = fee.max(min);
    }
    if let Some(max) = channel.maximum_fee {
        fee = fee.min(max);
    }
    if EWALLET_MINIMUM.contains(&channel.code.as_str()) {
        fee = fee.max(1_000);
    }
    fee
}

/// The part of the fee added on top for the customer.
pub fn customer_fee(channel: &PaymentChannel, amount: i64) -> i64 {
    channel_fee(&channel.fee_customer, amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(
        code: &str,
        flat: i64,
        percent: f64,
        min: Option<i64>,
        max: Option<i64>,
    ) -> PaymentChannel {
        PaymentChannel {
            group: "g".into(),
            code: code.into(),
            name: code.into(),
            kind: "direct".into(),
            fee_merchant: Fee { flat, percent },
            fee_customer: Fee::default(),
            total_fee: Fee { flat, percent },
            minimum_fee: min,
            maximum_fee: max,
            minimum_amount: None,
            maximum_amount: None,
            icon_url: None,
            active: true,
        }
    }

    #[test]
    fn percentages_round_half_up() {
        let fee = Fee {
            flat: 750,
            percent: 0.7,
        };
        assert_eq!(channel_fee(&fee, 150_000), 750 + 1_050);
        // 0.7 % of 50 = 0.35 → 0; of 500 = 3.5 → 4
        assert_eq!(
            channel_fee(
                &Fee {
                    flat: 0,
                    percent: 0.7
                },
                50
            ),
            0
        );
        assert_eq!(
            channel_fee(
                &Fee {
                    flat: 0,
                    percent: 0.7
                },
                500
            ),
            4
        );
        assert_eq!(
            channel_fee(
                &Fee {
                    flat: 4_250,
                    percent: 0.0
                },
                1
            ),
            4_250
        );
    }

    #[test]
    fn totals_are_clamped_and_ewallets_have_a_minimum() {
        assert_eq!(
            total_fee(
                &channel("BRIVA", 4_250, 0.0, Some(4_250), Some(4_250)),
                10_000
            ),
            4_250
        );
        assert_eq!(
            total_fee(&channel("QRIS", 750, 0.7, Some(1_000), None), 10_000),
            1_000
        );
        assert_eq!(
            total_fee(&channel("QRIS", 750, 0.7, None, Some(2_000)), 1_000_000),
            2_000
        );
        assert_eq!(
            total_fee(&channel("OVO", 0, 3.0, None, None), 10_000),
            1_000
        );
        assert_eq!(
            total_fee(&channel("OVO", 0, 3.0, None, None), 100_000),
            3_000
        );
        assert_eq!(
            customer_fee(&channel("BRIVA", 4_250, 0.0, None, None), 10_000),
            0
        );
    }
}
