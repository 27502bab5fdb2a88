//! Activation, expiry and payment deadline (order.md §1.3).

use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

use super::status::PlanDuration;

/// `t` plus `months` calendar months in UTC, keeping the time of day and clamping to the last
/// day of the target month (Jan 31 + 1 month = Feb 28/29).
pub fn add_months(t: OffsetDateTime, months: u32) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let zero_based = i64::from(u8::from(t.month())) - 1 + i64::from(months);
    let year = t.year() + i32::try_from(zero_based.div_euclid(12)).unwrap_or(0);
    // `rem_euclid(12)` is 0..=11, so the month number is 1..=12 and always valid.
    let month = Month::try_from(u8::try_from(zero_based.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(Month::January);
    let day = t.day().min(month.length(year));
    match Date::from_calendar_date(year, month, day) {
        Ok(date) => t.replace_date(date),
        // Only a year beyond time's range gets here; keep the input rather than panic.
        Err(_) => t,
    }
}

/// `expires_at` of an order that became ACTIVE at `activated_at`.
pub fn expires_at(activated_at: OffsetDateTime, duration: PlanDuration) -> OffsetDateTime {
    add_months(activated_at, duration.months())
}

/// `payment_deadline = created_at + ORDER_PAYMENT_TIMEOUT_HOURS`.
pub fn payment_deadline(created_at: OffsetDateTime, timeout_hours: u32) -> OffsetDateTime {
    created_at + Duration::hours(i64::from(timeout_hours))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn keeps_time_of_day() {
        assert_eq!(
            expires_at(
                datetime!(2025-01-15 10:02:41.907 UTC),
                PlanDuration::Monthly
            ),
            datetime!(2025-02-15 10:02:41.907 UTC)
        );
    }

    #[test]
    fn clamps_to_month_end() {
        assert_eq!(
            add_months(datetime!(2025-01-31 08:00 UTC), 1),
            datetime!(2025-02-28 08:00 UTC)
        );
        assert_eq!(
            add_months(datetime!(2024-01-31 08:00 UTC), 1),
            datetime!(2024-02-29 08:00 UTC)
        );
        assert_eq!(
            expires_at(datetime!(2025-08-31 00:00 UTC), PlanDuration::SemiAnnual),
            datetime!(2026-02-28 00:00 UTC)
        );
    }

    #[test]
    fn crosses_years() {
        assert_eq!(
            expires_at(datetime!(2025-11-30 23:59:59 UTC), PlanDuration::Quarterly),
            datetime!(2026-02-28 23:59:59 UTC)
        );
        assert_eq!(
            expires_at(datetime!(2024-02-29 12:00 UTC), PlanDuration::Annual),
            datetime!(2025-02-28 12:00 UTC)
        );
    }

    #[test]
    fn computes_in_utc() {
        // 2025-01-31 23:30 UTC is Feb 1 in Jakarta; UTC decides.
        assert_eq!(
            add_months(datetime!(2025-02-01 06:30 +07:00), 1),
            datetime!(2025-02-28 23:30 UTC)
        );
    }

    #[test]
    fn deadline_adds_hours() {
        assert_eq!(
            payment_deadline(datetime!(2025-01-15 10:00 UTC), 72),
            datetime!(2025-01-18 10:00 UTC)
        );
    }
}
