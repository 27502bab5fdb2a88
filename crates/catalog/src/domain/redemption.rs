//! Coupon redemptions (catalog.md §4.4, §6.5): one per order, released when the order never
//! completes, and the idempotency rule of redeem.

use platform::time_format::{wire, wire_option};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use super::pricing::CURRENCY;
use super::terms::PlanDuration;

/// A `coupon_redemptions` row, with its coupon's code.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Redemption {
    pub id: Uuid,
    pub coupon_id: Uuid,
    pub code: String,
    pub user_id: Uuid,
    pub order_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub duration: Option<PlanDuration>,
    pub amount: i64,
    pub discount_amount: i64,
    pub final_price: i64,
    pub redeemed_at: OffsetDateTime,
    pub released_at: Option<OffsetDateTime>,
    pub release_reason: Option<String>,
}

/// What the order service asks to redeem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemRequest {
    /// Normalised (trimmed, upper-case).
    pub code: String,
    pub order_id: Uuid,
    pub user_id: Uuid,
    pub plan_id: Uuid,
    pub duration: PlanDuration,
    pub amount: i64,
}

/// How an order's existing redemption answers a new redeem of the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repeat {
    /// The same request again: answer with the record (`200`).
    Same,
    /// `ORDER_ALREADY_REDEEMED`, with the reason given in `details.reason`.
    Conflict(&'static str),
}

/// Redeem is idempotent per order: only the very request that made the record may see it again.
/// Another coupon, another user, plan, term or amount would give the order numbers that were
/// never computed for it, and a released record must not come back to life.
pub fn compare_repeat(existing: &Redemption, req: &RedeemRequest) -> Repeat {
    if existing.released_at.is_some() {
        Repeat::Conflict("REDEMPTION_RELEASED")
    } else if existing.code != req.code {
        Repeat::Conflict("DIFFERENT_COUPON")
    } else if existing.user_id != req.user_id
        || existing.plan_id != Some(req.plan_id)
        || existing.duration != Some(req.duration)
        || existing.amount != req.amount
    {
        Repeat::Conflict("DIFFERENT_REQUEST")
    } else {
        Repeat::Same
    }
}

/// The answer of redeem (new or repeated).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedeemResult {
    pub redemption_id: Uuid,
    pub coupon_id: Uuid,
    pub code: String,
    pub order_id: Uuid,
    pub user_id: Uuid,
    #[schema(value_type = String, example = "IDR")]
    pub currency: &'static str,
    pub amount: i64,
    pub discount_amount: i64,
    pub final_price: i64,
    #[serde(with = "wire")]
    pub redeemed_at: OffsetDateTime,
}

impl From<&Redemption> for RedeemResult {
    fn from(r: &Redemption) -> Self {
        Self {
            redemption_id: r.id,
            coupon_id: r.coupon_id,
            code: r.code.clone(),
            order_id: r.order_id,
            user_id: r.user_id,
            currency: CURRENCY,
            amount: r.amount,
            discount_amount: r.discount_amount,
            final_price: r.final_price,
            redeemed_at: r.redeemed_at,
        }
    }
}

/// The Redemption shape of the admin routes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RedemptionView {
    pub id: Uuid,
    pub coupon_id: Uuid,
    pub code: String,
    pub user_id: Uuid,
    pub order_id: Uuid,
    pub plan_id: Option<Uuid>,
    pub duration: Option<PlanDuration>,
    #[schema(value_type = String, example = "IDR")]
    pub currency: &'static str,
    pub amount: i64,
    pub discount_amount: i64,
    pub final_price: i64,
    #[serde(with = "wire")]
    pub redeemed_at: OffsetDateTime,
    #[serde(with = "wire_option")]
    pub released_at: Option<OffsetDateTime>,
    pub release_reason: Option<String>,
}

impl From<&Redemption> for RedemptionView {
    fn from(r: &Redemption) -> Self {
        Self {
            id: r.id,
            coupon_id: r.coupon_id,
            code: r.code.clone(),
            user_id: r.user_id,
            order_id: r.order_id,
            plan_id: r.plan_id,
            duration: r.duration,
            currency: CURRENCY,
            amount: r.amount,
            discount_amount: r.discount_amount,
            final_price: r.final_price,
            redeemed_at: r.redeemed_at,
            released_at: r.released_at,
            release_reason: r.release_reason.clone(),
        }
    }
}

/// The answer of release: `released: false` when the order had no active redemption; then
/// `releasedAt` is the earlier release, if any.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseOutcome {
    pub order_id: Uuid,
    pub released: bool,
    #[serde(with = "wire_option")]
    pub released_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn request() -> RedeemRequest {
        RedeemRequest {
            code: "WELCOME10".into(),
            order_id: Uuid::from_u128(1),
            user_id: Uuid::from_u128(2),
            plan_id: Uuid::from_u128(3),
            duration: PlanDuration::Monthly,
            amount: 300_000,
        }
    }

    fn record() -> Redemption {
        Redemption {
            id: Uuid::from_u128(9),
            coupon_id: Uuid::from_u128(8),
            code: "WELCOME10".into(),
            user_id: Uuid::from_u128(2),
            order_id: Uuid::from_u128(1),
            plan_id: Some(Uuid::from_u128(3)),
            duration: Some(PlanDuration::Monthly),
            amount: 300_000,
            discount_amount: 30_000,
            final_price: 270_000,
            redeemed_at: datetime!(2026-01-01 00:00:00 UTC),
            released_at: None,
            release_reason: None,
        }
    }

    #[test]
    fn only_the_same_request_is_a_repeat() {
        assert_eq!(compare_repeat(&record(), &request()), Repeat::Same);
        let other_code = RedeemRequest {
            code: "FLAT25K".into(),
            ..request()
        };
        assert_eq!(
            compare_repeat(&record(), &other_code),
            Repeat::Conflict("DIFFERENT_COUPON")
        );
        let other_amount = RedeemRequest {
            amount: 299_999,
            ..request()
        };
        assert_eq!(
            compare_repeat(&record(), &other_amount),
            Repeat::Conflict("DIFFERENT_REQUEST")
        );
        let released = Redemption {
            released_at: Some(datetime!(2026-01-02 00:00:00 UTC)),
            ..record()
        };
        assert_eq!(
            compare_repeat(&released, &request()),
            Repeat::Conflict("REDEMPTION_RELEASED")
        );
    }
}
