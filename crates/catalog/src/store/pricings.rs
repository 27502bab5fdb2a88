//! `plan_pricings` rows.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::pricing::Pricing;
use crate::domain::terms::PlanDuration;

const COLUMNS: &str = "id, plan_id, duration, price, cost, is_active, created_at, updated_at";

pub const DURATION_UNIQUE: &str = "plan_pricings_plan_duration_uq";

/// Every pricing of the plans, active or not.
pub async fn for_plans(db: impl PgExecutor<'_>, plan_ids: &[Uuid]) -> sqlx::Result<Vec<Pricing>> {
    sqlx::query_as::<_, Pricing>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_pricings WHERE plan_id = ANY ($1) ORDER BY plan_id, duration"
    )))
    .bind(plan_ids)
    .fetch_all(db)
    .await
}

/// The pricing `id` of plan `plan_id` (a pricing of another plan is not found).
pub async fn by_id(
    db: impl PgExecutor<'_>,
    plan_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Pricing>> {
    sqlx::query_as::<_, Pricing>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_pricings WHERE id = $1 AND plan_id = $2"
    )))
    .bind(id)
    .bind(plan_id)
    .fetch_optional(db)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricingFields {
    pub duration: PlanDuration,
    pub price: i64,
    pub cost: i64,
    pub is_active: bool,
}

/// Inserts a pricing; an existing duration fails with a unique violation on
/// [`DURATION_UNIQUE`].
pub async fn insert(
    conn: &mut PgConnection,
    plan_id: Uuid,
    p: &PricingFields,
) -> sqlx::Result<Pricing> {
    sqlx::query_as::<_, Pricing>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO plan_pricings (id, plan_id, duration, price, cost, is_active)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(plan_id)
    .bind(p.duration)
    .bind(p.price)
    .bind(p.cost)
    .bind(p.is_active)
    .fetch_one(conn)
    .await
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PricingChanges {
    pub price: Option<i64>,
    pub cost: Option<i64>,
    pub is_active: Option<bool>,
}

pub async fn update(
    db: impl PgExecutor<'_>,
    plan_id: Uuid,
    id: Uuid,
    c: &PricingChanges,
) -> sqlx::Result<Option<Pricing>> {
    sqlx::query_as::<_, Pricing>(sqlx::AssertSqlSafe(format!(
        "UPDATE plan_pricings SET price = COALESCE($3, price), cost = COALESCE($4, cost),
                is_active = COALESCE($5, is_active), updated_at = now()
         WHERE id = $1 AND plan_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(plan_id)
    .bind(c.price)
    .bind(c.cost)
    .bind(c.is_active)
    .fetch_optional(db)
    .await
}

pub async fn delete(db: impl PgExecutor<'_>, plan_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM plan_pricings WHERE id = $1 AND plan_id = $2")
        .bind(id)
        .bind(plan_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
