//! `provisioning_tasks`: read by the detail routes, reset by the admin retry (§7.8). The
//! provisioning worker (phase 2) owns every other write.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::views::TaskRow;

const COLUMNS: &str = "id, status::text AS status, do_region, do_size, do_image, droplet_id, \
    droplet_name, droplet_status, ipv4_public, ipv4_private, droplet_tags, droplet_created_at, \
    abandoned_droplet_ids, attempts, retry_count, next_poll_at, error_code, error_message, \
    error_detail, started_at, completed_at, created_at, updated_at";

pub async fn for_order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<TaskRow>, sqlx::Error> {
    sqlx::query_as::<_, TaskRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM provisioning_tasks WHERE order_id = $1"
    )))
    .bind(order_id)
    .fetch_optional(conn)
    .await
}

/// §7.8: `PENDING`, a fresh attempt budget, one more retry, errors and timers cleared; the
/// droplet id is kept so the worker can resolve the previous droplet first.
pub async fn reset_for_retry(
    conn: &mut PgConnection,
    order_id: Uuid,
    now: OffsetDateTime,
) -> Result<Option<TaskRow>, sqlx::Error> {
    sqlx::query_as::<_, TaskRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE provisioning_tasks SET status = 'PENDING', attempts = 0,
             retry_count = retry_count + 1, error_code = NULL, error_message = NULL,
             error_detail = NULL, completed_at = NULL, create_requested_at = NULL,
             next_poll_at = NULL, updated_at = $2
         WHERE order_id = $1
         RETURNING {COLUMNS}"
    )))
    .bind(order_id)
    .bind(now)
    .fetch_optional(conn)
    .await
}
