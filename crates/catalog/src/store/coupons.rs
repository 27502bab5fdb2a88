//! `coupons`, `coupon_plans` and `coupon_users`.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::coupon::{CouponDraft, CouponFacts};

const COLUMNS: &str = "c.id, c.code, c.name, c.description, c.discount_type, c.discount_value,
    c.min_order_amount, c.max_discount_amount, c.max_total_redemptions,
    c.max_redemptions_per_user, c.start_at, c.end_at, c.is_active, c.created_at, c.updated_at";

/// The coupon plus its restrictions and usage; `user` is the SQL expression of the user whose own
/// usage is counted (NULL counts nothing).
fn facts(user: &str) -> String {
    format!(
        "ARRAY(SELECT cp.plan_id FROM coupon_plans cp WHERE cp.coupon_id = c.id
                          ORDER BY cp.created_at, cp.plan_id) AS plan_ids,
    ARRAY(SELECT cu.user_id FROM coupon_users cu WHERE cu.coupon_id = c.id
          ORDER BY cu.created_at, cu.user_id) AS user_ids,
    (SELECT count(*) FROM coupon_redemptions r
      WHERE r.coupon_id = c.id AND r.released_at IS NULL) AS active_redemptions,
    (SELECT count(*) FROM coupon_redemptions r
      WHERE r.coupon_id = c.id AND r.released_at IS NULL AND r.user_id = {user})
      AS user_active_redemptions"
    )
}

pub const CODE_UNIQUE: &str = "coupons_code_key";

/// A coupon by its normalised code, with the usage of `user_id`.
pub async fn facts_by_code(
    db: impl PgExecutor<'_>,
    code: &str,
    user_id: Option<Uuid>,
) -> sqlx::Result<Option<CouponFacts>> {
    sqlx::query_as::<_, CouponFacts>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {} FROM coupons c WHERE c.code = $2",
        facts("$1")
    )))
    .bind(user_id)
    .bind(code)
    .fetch_optional(db)
    .await
}

pub async fn facts_by_id(
    db: impl PgExecutor<'_>,
    id: Uuid,
    user_id: Option<Uuid>,
) -> sqlx::Result<Option<CouponFacts>> {
    sqlx::query_as::<_, CouponFacts>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {} FROM coupons c WHERE c.id = $2",
        facts("$1")
    )))
    .bind(user_id)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks the coupon with code `code` until the transaction ends; its id when it exists.
///
/// Redeem serialises on this lock. Usage must be counted by *later* statements: under READ
/// COMMITTED each statement sees what was committed before it started, so a count taken in the
/// locking statement itself could miss the redemption of the transaction it waited for.
pub async fn lock_by_code(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar("SELECT id FROM coupons WHERE code = $1 FOR UPDATE")
        .bind(code)
        .fetch_optional(conn)
        .await
}

pub async fn lock_by_id(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id FROM coupons WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

#[derive(Debug, Default, Clone)]
pub struct AdminFilter {
    pub is_active: Option<bool>,
    /// A `LIKE` pattern over code and name.
    pub pattern: Option<String>,
}

const ADMIN_WHERE: &str = "($1::bool IS NULL OR c.is_active = $1)
    AND ($2::text IS NULL OR lower(c.code) LIKE $2 ESCAPE '\\' OR lower(c.name) LIKE $2 ESCAPE '\\')";

/// Coupons, newest first.
pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    filter: &AdminFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<CouponFacts>, i64)> {
    let rows = sqlx::query_as::<_, CouponFacts>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, {} FROM coupons c WHERE {ADMIN_WHERE}
         ORDER BY c.created_at DESC, c.id DESC LIMIT $3 OFFSET $4",
        facts("NULL::uuid")
    )))
    .bind(filter.is_active)
    .bind(filter.pattern.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM coupons c WHERE {ADMIN_WHERE}"
    )))
    .bind(filter.is_active)
    .bind(filter.pattern.as_deref())
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

/// Inserts a coupon; a taken code fails with a unique violation on [`CODE_UNIQUE`].
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    code: &str,
    f: &CouponDraft,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO coupons (id, code, name, description, discount_type, discount_value,
             min_order_amount, max_discount_amount, max_total_redemptions,
             max_redemptions_per_user, start_at, end_at, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(code)
    .bind(&f.name)
    .bind(f.description.as_deref())
    .bind(f.discount_type)
    .bind(f.discount_value)
    .bind(f.min_order_amount)
    .bind(f.max_discount_amount)
    .bind(f.max_total_redemptions)
    .bind(f.max_redemptions_per_user)
    .bind(f.start_at)
    .bind(f.end_at)
    .bind(f.is_active)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn replace(conn: &mut PgConnection, id: Uuid, f: &CouponDraft) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE coupons SET name = $2, description = $3, discount_type = $4, discount_value = $5,
                min_order_amount = $6, max_discount_amount = $7, max_total_redemptions = $8,
                max_redemptions_per_user = $9, start_at = $10, end_at = $11, is_active = $12,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(&f.name)
    .bind(f.description.as_deref())
    .bind(f.discount_type)
    .bind(f.discount_value)
    .bind(f.min_order_amount)
    .bind(f.max_discount_amount)
    .bind(f.max_total_redemptions)
    .bind(f.max_redemptions_per_user)
    .bind(f.start_at)
    .bind(f.end_at)
    .bind(f.is_active)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// True when any redemption, released or not, refers to the coupon.
pub async fn has_redemptions(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM coupon_redemptions WHERE coupon_id = $1)")
        .bind(id)
        .fetch_one(db)
        .await
}

pub async fn delete(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM coupons WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Restricts the coupon to a plan; `false` when it already was.
pub async fn add_plan(
    conn: &mut PgConnection,
    coupon_id: Uuid,
    plan_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO coupon_plans (coupon_id, plan_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(coupon_id)
    .bind(plan_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_plan(
    conn: &mut PgConnection,
    coupon_id: Uuid,
    plan_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM coupon_plans WHERE coupon_id = $1 AND plan_id = $2")
        .bind(coupon_id)
        .bind(plan_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Restricts the coupon to a user; `false` when it already was.
pub async fn add_user(
    conn: &mut PgConnection,
    coupon_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO coupon_users (coupon_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(coupon_id)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_user(
    conn: &mut PgConnection,
    coupon_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM coupon_users WHERE coupon_id = $1 AND user_id = $2")
        .bind(coupon_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks the coupon changed (its restrictions moved).
pub async fn touch(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE coupons SET updated_at = now() WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
