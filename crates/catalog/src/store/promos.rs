//! `plan_promos` rows.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::promo::{Promo, PromoDraft};

const COLUMNS: &str = "id, plan_id, name, discount_type, discount_value, max_discount_amount,
    durations, start_at, end_at, is_active, created_at, updated_at";

/// Every promo of the plans.
pub async fn for_plans(db: impl PgExecutor<'_>, plan_ids: &[Uuid]) -> sqlx::Result<Vec<Promo>> {
    sqlx::query_as::<_, Promo>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_promos WHERE plan_id = ANY ($1) ORDER BY plan_id, start_at, id"
    )))
    .bind(plan_ids)
    .fetch_all(db)
    .await
}

/// The promos of the plans whose window contains `now` and that are active: a pre-filter for
/// the public routes; the domain still decides what is running.
pub async fn running_for_plans(
    db: impl PgExecutor<'_>,
    plan_ids: &[Uuid],
    now: OffsetDateTime,
) -> sqlx::Result<Vec<Promo>> {
    sqlx::query_as::<_, Promo>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_promos
         WHERE plan_id = ANY ($1) AND is_active AND start_at <= $2 AND end_at >= $2
         ORDER BY plan_id, start_at, id"
    )))
    .bind(plan_ids)
    .bind(now)
    .fetch_all(db)
    .await
}

pub async fn by_id(
    db: impl PgExecutor<'_>,
    plan_id: Uuid,
    id: Uuid,
) -> sqlx::Result<Option<Promo>> {
    sqlx::query_as::<_, Promo>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM plan_promos WHERE id = $1 AND plan_id = $2"
    )))
    .bind(id)
    .bind(plan_id)
    .fetch_optional(db)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    plan_id: Uuid,
    p: &PromoDraft,
) -> sqlx::Result<Promo> {
    sqlx::query_as::<_, Promo>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO plan_promos (id, plan_id, name, discount_type, discount_value,
             max_discount_amount, durations, start_at, end_at, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(plan_id)
    .bind(&p.name)
    .bind(p.discount_type)
    .bind(p.discount_value)
    .bind(p.max_discount_amount)
    .bind(&p.durations)
    .bind(p.start_at)
    .bind(p.end_at)
    .bind(p.is_active)
    .fetch_one(conn)
    .await
}

pub async fn replace(
    db: impl PgExecutor<'_>,
    plan_id: Uuid,
    id: Uuid,
    p: &PromoDraft,
) -> sqlx::Result<Option<Promo>> {
    sqlx::query_as::<_, Promo>(sqlx::AssertSqlSafe(format!(
        "UPDATE plan_promos SET name = $3, discount_type = $4, discount_value = $5,
                max_discount_amount = $6, durations = $7, start_at = $8, end_at = $9,
                is_active = $10, updated_at = now()
         WHERE id = $1 AND plan_id = $2 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(plan_id)
    .bind(&p.name)
    .bind(p.discount_type)
    .bind(p.discount_value)
    .bind(p.max_discount_amount)
    .bind(&p.durations)
    .bind(p.start_at)
    .bind(p.end_at)
    .bind(p.is_active)
    .fetch_optional(db)
    .await
}

pub async fn delete(db: impl PgExecutor<'_>, plan_id: Uuid, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM plan_promos WHERE id = $1 AND plan_id = $2")
        .bind(id)
        .bind(plan_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
