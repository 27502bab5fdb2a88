//! `vps_plan_images`: each plan's image allow-list (empty = every image).

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// `(plan_id, image_id)` pairs of the plans, oldest mapping first.
pub async fn for_plans(
    db: impl PgExecutor<'_>,
    plan_ids: &[Uuid],
) -> sqlx::Result<Vec<(Uuid, Uuid)>> {
    sqlx::query_as(
        "SELECT plan_id, image_id FROM vps_plan_images WHERE plan_id = ANY ($1)
         ORDER BY plan_id, created_at, image_id",
    )
    .bind(plan_ids)
    .fetch_all(db)
    .await
}

/// The allow-list of one plan.
pub async fn allow_list(db: impl PgExecutor<'_>, plan_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT image_id FROM vps_plan_images WHERE plan_id = $1 ORDER BY created_at, image_id",
    )
    .bind(plan_id)
    .fetch_all(db)
    .await
}

/// Non-deleted plans that list the image explicitly.
pub async fn plans_listing(db: impl PgExecutor<'_>, image_id: Uuid) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT pi.plan_id FROM vps_plan_images pi
         JOIN vps_plans p ON p.id = pi.plan_id AND p.deleted_at IS NULL
         WHERE pi.image_id = $1 ORDER BY p.sort_order, p.created_at, p.id",
    )
    .bind(image_id)
    .fetch_all(db)
    .await
}

/// Adds a mapping; `false` when it already existed.
pub async fn insert(conn: &mut PgConnection, plan_id: Uuid, image_id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO vps_plan_images (plan_id, image_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(plan_id)
    .bind(image_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: impl PgExecutor<'_>, plan_id: Uuid, image_id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM vps_plan_images WHERE plan_id = $1 AND image_id = $2")
        .bind(plan_id)
        .bind(image_id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops every mapping of an image (it is being deleted).
pub async fn delete_for_image(conn: &mut PgConnection, image_id: Uuid) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM vps_plan_images WHERE image_id = $1")
        .bind(image_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
