//! `tripay_callbacks`: every callback whose signature verified, stored before it is applied.

use serde::Serialize;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct NewCallback<'a> {
    pub event: &'a str,
    pub reference: Option<&'a str>,
    pub merchant_ref: Option<&'a str>,
    pub status: Option<&'a str>,
    pub raw_body: &'a str,
    pub source: &'a str,
    pub request_id: Option<&'a str>,
    pub now: OffsetDateTime,
}

pub async fn insert(conn: &mut PgConnection, c: &NewCallback<'_>) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO tripay_callbacks (id, event, reference, merchant_ref, status, raw_body,
             source, request_id, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(c.event)
    .bind(c.reference)
    .bind(c.merchant_ref)
    .bind(c.status)
    .bind(c.raw_body)
    .bind(c.source)
    .bind(c.request_id)
    .bind(c.now)
    .execute(conn)
    .await?;
    Ok(id)
}

pub async fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &str,
    invoice_id: Option<Uuid>,
    now: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE tripay_callbacks SET outcome = $2, invoice_id = $3, processed_at = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(outcome)
    .bind(invoice_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallbackView {
    pub id: Uuid,
    pub reference: Option<String>,
    pub status: Option<String>,
    pub outcome: Option<String>,
    pub source: String,
    #[serde(with = "platform::time_format::wire")]
    pub received_at: OffsetDateTime,
}

/// The 50 most recent callbacks of an invoice (§5.4).
pub async fn recent_for_invoice(
    conn: &mut PgConnection,
    invoice_id: Uuid,
) -> Result<Vec<CallbackView>, sqlx::Error> {
    sqlx::query_as::<_, CallbackView>(
        "SELECT id, reference, status, outcome, source, received_at FROM tripay_callbacks
         WHERE invoice_id = $1 ORDER BY received_at DESC, id DESC LIMIT 50",
    )
    .bind(invoice_id)
    .fetch_all(conn)
    .await
}
