//! Per-duration pricing (catalog.md §4.1, §4.3): the quote a customer pays for a term, and its
//! JSON shapes.

use platform::time_format::wire;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::discount::per_month;
use super::promo::{ActivePromo, Promo, best_promo};
use super::terms::PlanDuration;

pub const CURRENCY: &str = "IDR";

/// A `plan_pricings` row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Pricing {
    pub id: Uuid,
    pub plan_id: Uuid,
    pub duration: PlanDuration,
    /// Selling price for the whole term.
    pub price: i64,
    /// Provider cost for the term; admin eyes only.
    pub cost: i64,
    pub is_active: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// What a term costs at one instant: `price − promoDiscount = finalPrice`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote<'a> {
    pub price: i64,
    pub promo_discount: i64,
    pub final_price: i64,
    pub price_per_month: i64,
    pub promo: Option<&'a Promo>,
}

/// Prices `duration` at `price` with the promos of its plan.
pub fn quote<'a>(
    duration: PlanDuration,
    price: i64,
    promos: &'a [Promo],
    now: OffsetDateTime,
) -> Quote<'a> {
    let (promo, promo_discount) = match best_promo(promos, duration, price, now) {
        Some((p, d)) => (Some(p), d),
        None => (None, 0),
    };
    let final_price = price - promo_discount;
    Quote {
        price,
        promo_discount,
        final_price,
        price_per_month: per_month(final_price, duration.months()),
        promo,
    }
}

/// A pricing as customers see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicPricing {
    pub id: Uuid,
    pub duration: PlanDuration,
    pub months: i64,
    #[schema(value_type = String, example = "IDR")]
    pub currency: &'static str,
    pub price: i64,
    pub promo_discount: i64,
    pub final_price: i64,
    pub price_per_month: i64,
    pub is_active: bool,
    pub active_promo: Option<ActivePromo>,
}

impl PublicPricing {
    pub fn new(p: &Pricing, promos: &[Promo], now: OffsetDateTime) -> Self {
        let q = quote(p.duration, p.price, promos, now);
        Self {
            id: p.id,
            duration: p.duration,
            months: p.duration.months(),
            currency: CURRENCY,
            price: q.price,
            promo_discount: q.promo_discount,
            final_price: q.final_price,
            price_per_month: q.price_per_month,
            is_active: p.is_active,
            active_promo: q.promo.map(ActivePromo::from),
        }
    }
}

/// A pricing as the admin portal sees it: the public quote plus cost and timestamps.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminPricing {
    #[serde(flatten)]
    pub public: PublicPricing,
    pub plan_id: Uuid,
    pub cost: i64,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl AdminPricing {
    pub fn new(p: &Pricing, promos: &[Promo], now: OffsetDateTime) -> Self {
        Self {
            public: PublicPricing::new(p, promos, now),
            plan_id: p.plan_id,
            cost: p.cost,
            created_at: p.created_at,
            updated_at: p.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::promo::tests::promo;
    use crate::domain::terms::DiscountType;
    use time::macros::datetime;

    #[test]
    fn the_seeded_standard_plan_quotes_like_the_spec() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let mut launch = promo(
            1,
            DiscountType::Percent,
            20,
            datetime!(2025-01-01 00:00:00 UTC),
            datetime!(2030-12-31 16:59:59 UTC),
        );
        launch.durations = vec![PlanDuration::Monthly];
        let promos = [launch];
        let monthly = quote(PlanDuration::Monthly, 375_000, &promos, now);
        assert_eq!(
            (
                monthly.price,
                monthly.promo_discount,
                monthly.final_price,
                monthly.price_per_month
            ),
            (375_000, 75_000, 300_000, 300_000)
        );
        assert!(monthly.promo.is_some());
        let annual = quote(PlanDuration::Annual, 3_825_000, &promos, now);
        assert_eq!(
            (
                annual.promo_discount,
                annual.final_price,
                annual.price_per_month
            ),
            (0, 3_825_000, 318_750)
        );
        assert!(annual.promo.is_none());
    }

    #[test]
    fn a_full_discount_quotes_zero() {
        let now = datetime!(2026-01-01 00:00:00 UTC);
        let all = promo(
            1,
            DiscountType::Percent,
            100,
            datetime!(2025-01-01 00:00:00 UTC),
            datetime!(2027-01-01 00:00:00 UTC),
        );
        let q = quote(
            PlanDuration::Quarterly,
            356_000,
            std::slice::from_ref(&all),
            now,
        );
        assert_eq!((q.final_price, q.price_per_month), (0, 0));
    }
}
