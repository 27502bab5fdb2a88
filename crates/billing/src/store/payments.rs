//! `payments`: the audit trail of gateway outcomes, keyed by `(reference, gateway_status)`.

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub invoice_id: Uuid,
    pub amount: i64,
    pub amount_received: Option<i64>,
    pub fee: Option<i64>,
    pub channel: &'a str,
    pub reference: &'a str,
    pub gateway_status: &'a str,
    pub status: &'a str,
    pub note: Option<String>,
    pub source: &'a str,
    pub raw_payload: &'a Value,
    pub paid_at: Option<OffsetDateTime>,
    pub now: OffsetDateTime,
}

/// Inserts the event's row; `false` when the same event was recorded before (a repeat).
pub async fn insert(conn: &mut PgConnection, p: &NewPayment<'_>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO payments (id, invoice_id, amount, amount_received, fee, channel, reference,
             gateway_status, status, note, source, raw_payload, paid_at, processed_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)
         ON CONFLICT (reference, gateway_status) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(p.invoice_id)
    .bind(p.amount)
    .bind(p.amount_received)
    .bind(p.fee)
    .bind(p.channel)
    .bind(p.reference)
    .bind(p.gateway_status)
    .bind(p.status)
    .bind(&p.note)
    .bind(p.source)
    .bind(p.raw_payload)
    .bind(p.paid_at)
    .bind(p.now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn exists(
    conn: &mut PgConnection,
    reference: &str,
    gateway_status: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM payments WHERE reference = $1 AND gateway_status = $2)",
    )
    .bind(reference)
    .bind(gateway_status)
    .fetch_one(conn)
    .await
}

/// References of `invoice_id` that already have a recorded outcome (reconciliation skips them).
pub async fn settled_references(
    conn: &mut PgConnection,
    invoice_id: Uuid,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT reference FROM payments WHERE invoice_id = $1")
        .bind(invoice_id)
        .fetch_all(conn)
        .await
}

/// A payment as the admin detail shows it (§5.4).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    pub id: Uuid,
    pub reference: String,
    pub gateway_status: String,
    pub status: String,
    pub amount: i64,
    pub amount_received: Option<i64>,
    pub fee: Option<i64>,
    pub channel: String,
    pub note: Option<String>,
    pub source: String,
    #[serde(with = "platform::time_format::wire_option")]
    pub paid_at: Option<OffsetDateTime>,
    #[serde(with = "platform::time_format::wire")]
    pub processed_at: OffsetDateTime,
}

pub async fn for_invoice(
    conn: &mut PgConnection,
    invoice_id: Uuid,
) -> Result<Vec<PaymentView>, sqlx::Error> {
    sqlx::query_as::<_, PaymentView>(
        "SELECT id, reference, gateway_status, status, amount, amount_received, fee, channel,
             note, source, paid_at, processed_at
         FROM payments WHERE invoice_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(invoice_id)
    .fetch_all(conn)
    .await
}
