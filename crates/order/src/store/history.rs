//! `status_history`: the audit trail, ordered by `seq`.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::views::HistoryRow;

#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub order_id: Uuid,
    pub previous_status: Option<&'a str>,
    pub new_status: &'a str,
    pub actor: &'a str,
    pub reason: &'a str,
    pub metadata: Value,
    pub request_id: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub now: OffsetDateTime,
}

pub async fn insert(conn: &mut PgConnection, e: &NewEntry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO status_history (id, order_id, previous_status, new_status, actor, reason,
             metadata, request_id, idempotency_key, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(Uuid::new_v4())
    .bind(e.order_id)
    .bind(e.previous_status)
    .bind(e.new_status)
    .bind(e.actor)
    .bind(e.reason)
    .bind(&e.metadata)
    .bind(e.request_id)
    .bind(e.idempotency_key)
    .bind(e.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a payment-status call with this `Idempotency-Key` already wrote an entry (§2.1).
pub async fn key_seen(
    conn: &mut PgConnection,
    order_id: Uuid,
    key: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM status_history WHERE order_id = $1 AND idempotency_key = $2)",
    )
    .bind(order_id)
    .bind(key)
    .fetch_one(conn)
    .await
}

/// The `reference` of the most recent `PAYMENT_FAILED` entry (§2.1 E1 replay).
pub async fn last_failed_reference(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<Option<String>> = sqlx::query_scalar(
        "SELECT metadata->>'reference' FROM status_history
         WHERE order_id = $1 AND new_status = 'PAYMENT_FAILED'
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.flatten())
}

pub async fn list(conn: &mut PgConnection, order_id: Uuid) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as::<_, HistoryRow>(
        "SELECT id, previous_status, new_status, actor, reason, metadata, created_at
         FROM status_history WHERE order_id = $1 ORDER BY seq",
    )
    .bind(order_id)
    .fetch_all(conn)
    .await
}
