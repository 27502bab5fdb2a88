//! `coupon_redemptions`: one row per order that used a coupon.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::coupon::Applied;
use crate::domain::redemption::{RedeemRequest, Redemption};
use crate::domain::terms::ReleaseReason;

const COLUMNS: &str = "r.id, r.coupon_id, c.code, r.user_id, r.order_id, r.plan_id, r.duration,
    r.amount, r.discount_amount, r.final_price, r.redeemed_at, r.released_at, r.release_reason";

pub const ORDER_UNIQUE: &str = "coupon_redemptions_order_id_key";

pub async fn by_order(db: impl PgExecutor<'_>, order_id: Uuid) -> sqlx::Result<Option<Redemption>> {
    sqlx::query_as::<_, Redemption>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id
         WHERE r.order_id = $1"
    )))
    .bind(order_id)
    .fetch_optional(db)
    .await
}

/// Records the redemption; a second one for the same order fails with a unique violation on
/// [`ORDER_UNIQUE`].
pub async fn insert(
    conn: &mut PgConnection,
    coupon_id: Uuid,
    req: &RedeemRequest,
    applied: &Applied,
    now: OffsetDateTime,
) -> sqlx::Result<Redemption> {
    sqlx::query_as::<_, Redemption>(sqlx::AssertSqlSafe(format!(
        "WITH r AS (
             INSERT INTO coupon_redemptions (id, coupon_id, user_id, order_id, plan_id, duration,
                 amount, discount_amount, final_price, redeemed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             RETURNING *)
         SELECT {COLUMNS} FROM r JOIN coupons c ON c.id = r.coupon_id"
    )))
    .bind(Uuid::new_v4())
    .bind(coupon_id)
    .bind(req.user_id)
    .bind(req.order_id)
    .bind(req.plan_id)
    .bind(req.duration)
    .bind(applied.amount)
    .bind(applied.discount_amount)
    .bind(applied.final_price)
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Releases the order's active redemption; its release time, or `None` when the order had none
/// active.
pub async fn release(
    db: impl PgExecutor<'_>,
    order_id: Uuid,
    reason: ReleaseReason,
    now: OffsetDateTime,
) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar(
        "UPDATE coupon_redemptions SET released_at = $2, release_reason = $3
         WHERE order_id = $1 AND released_at IS NULL RETURNING released_at",
    )
    .bind(order_id)
    .bind(now)
    .bind(reason.as_str())
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone, Copy)]
pub struct ListFilter {
    pub user_id: Option<Uuid>,
    pub include_released: bool,
}

const LIST_WHERE: &str = "r.coupon_id = $1
    AND ($2::uuid IS NULL OR r.user_id = $2)
    AND ($3 OR r.released_at IS NULL)";

/// A coupon's redemptions, newest first.
pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    coupon_id: Uuid,
    filter: ListFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Redemption>, i64)> {
    let rows = sqlx::query_as::<_, Redemption>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id
         WHERE {LIST_WHERE} ORDER BY r.redeemed_at DESC, r.id DESC LIMIT $4 OFFSET $5"
    )))
    .bind(coupon_id)
    .bind(filter.user_id)
    .bind(filter.include_released)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM coupon_redemptions r WHERE {LIST_WHERE}"
    )))
    .bind(coupon_id)
    .bind(filter.user_id)
    .bind(filter.include_released)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}
