//! Invoice deadlines and Tripay transaction expiry (billing.md §3, §4.4 step 6).

use time::{Duration, OffsetDateTime};

/// `expiredAt = min(createdAt + INVOICE_EXPIRY_HOURS, order.paymentDeadline)`: an invoice never
/// outlives the order's payment deadline.
pub fn invoice_expiry(
    created_at: OffsetDateTime,
    expiry_hours: u32,
    payment_deadline: OffsetDateTime,
) -> OffsetDateTime {
    (created_at + Duration::hours(i64::from(expiry_hours))).min(payment_deadline)
}

/// Why a channel cannot take a transaction now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryTooShort;

/// `txExpiry = min(expiredAt, now + max window)`, which must leave at least the channel's
/// minimum window.
pub fn transaction_expiry(
    now: OffsetDateTime,
    invoice_expired_at: OffsetDateTime,
    window_minutes: (i64, i64),
) -> Result<OffsetDateTime, ExpiryTooShort> {
    let (min, max) = window_minutes;
    let expiry = invoice_expired_at.min(now + Duration::minutes(max));
    if expiry < now + Duration::minutes(min) {
        return Err(ExpiryTooShort);
    }
    Ok(expiry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_order_deadline_caps_the_invoice() {
        let created = datetime!(2025-01-15 10:00 UTC);
        let far = datetime!(2025-01-18 10:00 UTC);
        assert_eq!(
            invoice_expiry(created, 24, far),
            datetime!(2025-01-16 10:00 UTC)
        );
        let near = datetime!(2025-01-15 12:00 UTC);
        assert_eq!(invoice_expiry(created, 24, near), near);
    }

    #[test]
    fn transaction_expiry_respects_the_window() {
        let now = datetime!(2025-01-15 10:00 UTC);
        let invoice = datetime!(2025-01-16 10:00 UTC);
        // QRIS: at most 60 minutes.
        assert_eq!(
            transaction_expiry(now, invoice, (10, 60)),
            Ok(datetime!(2025-01-15 11:00 UTC))
        );
        // A month-long VA window is capped by the invoice.
        assert_eq!(transaction_expiry(now, invoice, (15, 43_200)), Ok(invoice));
        // 30 minutes left but the channel needs 60.
        let soon = datetime!(2025-01-15 10:30 UTC);
        assert_eq!(
            transaction_expiry(now, soon, (60, 43_200)),
            Err(ExpiryTooShort)
        );
        assert_eq!(transaction_expiry(now, soon, (15, 43_200)), Ok(soon));
    }
}
