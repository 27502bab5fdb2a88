//! This service's view of the platform `jobs` table beyond `platform::jobs::enqueue`.

use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: Uuid,
    pub queue: String,
    pub state: String,
    pub dead_reason: Option<String>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub last_http_status: Option<i32>,
    #[serde(with = "platform::time_format::wire")]
    pub run_at: OffsetDateTime,
    #[serde(with = "platform::time_format::wire_option")]
    pub done_at: Option<OffsetDateTime>,
}

const COLUMNS: &str =
    "id, queue, state, dead_reason, attempts, last_error, last_http_status, run_at, done_at";

/// Every job about the invoice, oldest first (§5.4).
pub async fn for_invoice(
    conn: &mut PgConnection,
    invoice_id: Uuid,
) -> Result<Vec<JobView>, sqlx::Error> {
    sqlx::query_as::<_, JobView>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE subject_id = $1 ORDER BY created_at, id"
    )))
    .bind(invoice_id.to_string())
    .fetch_all(conn)
    .await
}

/// Re-drives the invoice's `ORDER_PAID` job (§5.7); `None` when there is none.
pub async fn redrive(
    conn: &mut PgConnection,
    dedupe_key: &str,
    now: OffsetDateTime,
) -> Result<Option<JobView>, sqlx::Error> {
    sqlx::query_as::<_, JobView>(sqlx::AssertSqlSafe(format!(
        "UPDATE jobs SET state = 'PENDING', run_at = $2, attempts = 0, dead_reason = NULL,
             lease_owner = NULL, lease_expires_at = NULL, done_at = NULL, updated_at = $2
         WHERE dedupe_key = $1 AND state <> 'RUNNING'
         RETURNING {COLUMNS}"
    )))
    .bind(dedupe_key)
    .bind(now)
    .fetch_optional(conn)
    .await
}

pub async fn by_dedupe_key(
    conn: &mut PgConnection,
    dedupe_key: &str,
) -> Result<Option<JobView>, sqlx::Error> {
    sqlx::query_as::<_, JobView>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM jobs WHERE dedupe_key = $1"
    )))
    .bind(dedupe_key)
    .fetch_optional(conn)
    .await
}

/// Supersedes PAYMENT_FAILED jobs of an order once it is paid (§8.2).
pub async fn supersede_payment_failed(
    conn: &mut PgConnection,
    order_id: &str,
    now: OffsetDateTime,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE jobs SET state = 'DONE', done_at = $2, updated_at = $2,
             last_error = 'superseded by ORDER_PAID'
         WHERE queue = 'order-payment-status' AND state = 'PENDING'
           AND payload->>'orderId' = $1 AND payload->>'status' = 'PAYMENT_FAILED'",
    )
    .bind(order_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
