//! `orders` and `order_items`.

use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::views::{ItemRow, OrderRow, OrderSummary};

/// Every column of an order row, enums as text.
const COLUMNS: &str = "id, user_id, plan_id, plan_name, image_id, image_name, \
    duration::text AS duration, provider_size_slug, provider_image_slug, base_price, \
    promo_discount, coupon_code, coupon_discount, final_price, currency::text AS currency, \
    status::text AS status, payment_reference, paid_at, canceled_at, payment_deadline, \
    activated_at, expires_at, created_at, updated_at";

/// An order as created by T0 (status `PENDING_PAYMENT`).
#[derive(Debug, Clone)]
pub struct NewOrder<'a> {
    pub id: Uuid,
    pub user_id: &'a str,
    pub plan_id: Uuid,
    pub plan_name: &'a str,
    pub image_id: Uuid,
    pub image_name: &'a str,
    pub duration: &'static str,
    pub provider_size_slug: &'a str,
    pub provider_image_slug: &'a str,
    pub base_price: i64,
    pub promo_discount: i64,
    pub coupon_code: Option<&'a str>,
    pub coupon_discount: i64,
    pub final_price: i64,
    pub payment_deadline: OffsetDateTime,
    pub now: OffsetDateTime,
}

pub async fn insert(conn: &mut PgConnection, o: &NewOrder<'_>) -> Result<OrderRow, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(AssertSqlSafe(format!(
        "INSERT INTO orders (id, user_id, plan_id, plan_name, image_id, image_name, duration,
             provider_size_slug, provider_image_slug, base_price, promo_discount, coupon_code,
             coupon_discount, final_price, currency, status, payment_deadline, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::plan_duration, $8, $9, $10, $11, $12, $13, $14, 'IDR',
             'PENDING_PAYMENT', $15, $16, $16)
         RETURNING {COLUMNS}"
    )))
    .bind(o.id)
    .bind(o.user_id)
    .bind(o.plan_id)
    .bind(o.plan_name)
    .bind(o.image_id)
    .bind(o.image_name)
    .bind(o.duration)
    .bind(o.provider_size_slug)
    .bind(o.provider_image_slug)
    .bind(o.base_price)
    .bind(o.promo_discount)
    .bind(o.coupon_code)
    .bind(o.coupon_discount)
    .bind(o.final_price)
    .bind(o.payment_deadline)
    .bind(o.now)
    .fetch_one(conn)
    .await
}

/// One item; `item_type` is `PLAN` or `IMAGE` (the closed set of §1.1).
pub async fn insert_item(
    conn: &mut PgConnection,
    order_id: Uuid,
    item_type: &'static str,
    reference_id: Uuid,
    description: &str,
    unit_price: i64,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO order_items (id, order_id, item_type, reference_id, description, unit_price,
             quantity, total_price, created_at)
         VALUES ($1, $2, $3::item_type, $4, $5, $6, 1, $6, $7)",
    )
    .bind(Uuid::new_v4())
    .bind(order_id)
    .bind(item_type)
    .bind(reference_id)
    .bind(description)
    .bind(unit_price)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The order under a row lock for the rest of the transaction: concurrent status changes of one
/// order run one after the other, and each re-reads the state its predecessor committed.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn items(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as::<_, ItemRow>(
        "SELECT id, item_type::text AS item_type, reference_id, description, unit_price, quantity,
             total_price
         FROM order_items WHERE order_id = $1
         ORDER BY CASE item_type WHEN 'PLAN' THEN 0 WHEN 'IMAGE' THEN 1 ELSE 2 END, created_at, id",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await
}

/// T1, compare-and-set on `PENDING_PAYMENT`; `None` when the order was no longer pending.
pub async fn mark_paid(
    conn: &mut PgConnection,
    id: Uuid,
    reference: Option<&str>,
    paid_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(AssertSqlSafe(format!(
        "UPDATE orders SET status = 'PAID', paid_at = $2, payment_reference = $3, updated_at = $4
         WHERE id = $1 AND status = 'PENDING_PAYMENT'
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(paid_at)
    .bind(reference)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// T2, compare-and-set on `PENDING_PAYMENT`.
pub async fn cancel(
    conn: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as::<_, OrderRow>(AssertSqlSafe(format!(
        "UPDATE orders SET status = 'CANCELED', canceled_at = $2, updated_at = $2
         WHERE id = $1 AND status = 'PENDING_PAYMENT'
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(now)
    .fetch_optional(conn)
    .await
}

/// T6, compare-and-set on `FAILED`.
pub async fn restart_provisioning(
    conn: &mut PgConnection,
    id: Uuid,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE orders SET status = 'PROVISIONING', updated_at = $2
         WHERE id = $1 AND status = 'FAILED'",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `reference` pays another order already (§2.1 `REFERENCE_ALREADY_USED`).
pub async fn reference_used_elsewhere(
    conn: &mut PgConnection,
    id: Uuid,
    reference: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM orders WHERE payment_reference = $1 AND id <> $2)",
    )
    .bind(reference)
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Filters of the list routes; they combine with AND.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub user_id: Option<String>,
    pub status: Option<&'static str>,
    pub expires_before: Option<OffsetDateTime>,
}

/// One page, newest first (`created_at DESC, id DESC`), and the total count.
pub async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrderSummary>, i64), sqlx::Error> {
    const WHERE: &str = "($1::text IS NULL OR o.user_id = $1)
         AND ($2::text IS NULL OR o.status::text = $2)
         AND ($3::timestamptz IS NULL OR o.expires_at < $3)";
    let rows = sqlx::query_as::<_, OrderSummary>(AssertSqlSafe(format!(
        "SELECT o.id, o.user_id, o.status::text AS status, o.plan_id, o.plan_name, o.image_id,
             o.image_name, o.duration::text AS duration, o.final_price, o.currency::text AS currency,
             t.ipv4_public, o.paid_at, o.activated_at, o.expires_at, o.created_at
         FROM orders o LEFT JOIN provisioning_tasks t ON t.order_id = o.id
         WHERE {WHERE}
         ORDER BY o.created_at DESC, o.id DESC
         LIMIT $4 OFFSET $5"
    )))
    .bind(filter.user_id.as_deref())
    .bind(filter.status)
    .bind(filter.expires_before)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
        "SELECT count(*) FROM orders o WHERE {WHERE}"
    )))
    .bind(filter.user_id.as_deref())
    .bind(filter.status)
    .bind(filter.expires_before)
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}
