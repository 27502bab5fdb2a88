//! This service's view of the platform `jobs` table beyond `platform::jobs::enqueue`.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::views::JobRow;

/// Deletes the coupon guard job once the order it protects has committed (§8.2).
pub async fn delete_by_dedupe_key(conn: &mut PgConnection, key: &str) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM jobs WHERE dedupe_key = $1 AND state = 'PENDING'")
        .bind(key)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// Every job about the order, oldest first, without payloads (§3.3).
pub async fn for_order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Vec<JobRow>, sqlx::Error> {
    sqlx::query_as::<_, JobRow>(
        "SELECT id, queue,
             CASE WHEN queue = 'notifications' THEN payload->>'event' END AS event,
             state, attempts, dead_reason, last_error, run_at, created_at, done_at
         FROM jobs WHERE subject_id = $1 ORDER BY created_at, run_at, id",
    )
    .bind(order_id.to_string())
    .fetch_all(conn)
    .await
}
