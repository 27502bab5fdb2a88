//! Side effects shared by several flows: expiring an invoice (billing.md §9.2, also reached from
//! §4.4 step 2, §5.5 and §7.4) and the jobs that carry a change to other services.

use platform::jobs::{self, NewJob};
use serde_json::{Value, json};
use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::config::Config;
use crate::queues;
use crate::store::invoices::{self, InvoiceRow};

/// PENDING → EXPIRED with its PAYMENT_FAILED job, in the caller's transaction. `false` when the
/// invoice was no longer PENDING.
pub async fn expire_invoice(
    conn: &mut PgConnection,
    config: &Config,
    invoice: &InvoiceRow,
    payload: Option<&Value>,
    request_id: Option<&str>,
    now: OffsetDateTime,
) -> Result<bool, sqlx::Error> {
    if !invoices::expire(conn, invoice.id, payload, now).await? {
        return Ok(false);
    }
    let body = json!({
        "status": "PAYMENT_FAILED",
        "notes": "Invoice kedaluwarsa",
        "orderId": invoice.order_id,
    });
    enqueue_payment_failed(
        conn,
        config,
        invoice,
        queues::invoice_expired_key(invoice.id),
        body,
        request_id,
    )
    .await?;
    Ok(true)
}

/// A PAYMENT_FAILED instruction (§8.2): informational, limited attempts.
pub async fn enqueue_payment_failed(
    conn: &mut PgConnection,
    config: &Config,
    invoice: &InvoiceRow,
    dedupe_key: String,
    body: Value,
    request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let mut job = NewJob::new(
        &queues::order_payment_status(config),
        invoice.id.to_string(),
        body,
    )
    .dedupe_key(dedupe_key)
    .max_attempts(Some(config.notification_outbox_max_attempts));
    if let Some(id) = request_id {
        job = job.request_id(id);
    }
    jobs::enqueue(conn, job).await?;
    Ok(())
}

/// The PAID instruction (§8.1): retried until the order service answers definitively.
pub async fn enqueue_order_paid(
    conn: &mut PgConnection,
    config: &Config,
    invoice: &InvoiceRow,
    notes: String,
    request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let body = json!({
        "status": "PAID",
        "reference": invoice.tripay_reference,
        "paidAt": invoice.paid_at.map(platform::time_format::format),
        "notes": notes,
        "orderId": invoice.order_id,
    });
    let mut job = NewJob::new(
        &queues::order_payment_status(config),
        invoice.id.to_string(),
        body,
    )
    .dedupe_key(queues::order_paid_key(invoice.id))
    .max_attempts(None);
    if let Some(id) = request_id {
        job = job.request_id(id);
    }
    jobs::enqueue(conn, job).await?;
    Ok(())
}

/// `PAYMENT_CONFIRMED` to the customer (§9.1).
pub async fn enqueue_payment_confirmed(
    conn: &mut PgConnection,
    config: &Config,
    invoice: &InvoiceRow,
    payment_method: Option<&str>,
    request_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let body = json!({
        "event": "PAYMENT_CONFIRMED",
        "userId": invoice.user_id,
        "data": {
            "orderId": invoice.order_id,
            "invoiceNumber": invoice.invoice_number,
            "planName": invoice.item_name,
            "amount": invoice.amount,
            "paymentMethod": payment_method,
            "paidAt": invoice.paid_at.map(platform::time_format::format),
        },
        "orderId": invoice.order_id,
    });
    let mut job = NewJob::new(&queues::notifications(config), invoice.id.to_string(), body)
        .dedupe_key(queues::payment_confirmed_key(invoice.id));
    if let Some(id) = request_id {
        job = job.request_id(id);
    }
    jobs::enqueue(conn, job).await?;
    Ok(())
}

/// `INVOICE_CREATED` (only with `BILLING_NOTIFY_INVOICE_CREATED=true`, §4.1 step 7).
pub async fn enqueue_invoice_created(
    conn: &mut PgConnection,
    config: &Config,
    invoice: &InvoiceRow,
    request_id: &str,
) -> Result<(), sqlx::Error> {
    let body = json!({
        "event": "INVOICE_CREATED",
        "userId": invoice.user_id,
        "data": {
            "orderId": invoice.order_id,
            "invoiceId": invoice.id,
            "invoiceNumber": invoice.invoice_number,
            "amount": invoice.amount,
            "expiredAt": platform::time_format::format(invoice.expired_at),
            "invoiceUrl": format!("{}/invoices/{}", config.customer_web_base_url, invoice.id),
        },
        "orderId": invoice.order_id,
    });
    let job = NewJob::new(&queues::notifications(config), invoice.id.to_string(), body)
        .dedupe_key(queues::invoice_created_key(invoice.id))
        .request_id(request_id);
    jobs::enqueue(conn, job).await?;
    Ok(())
}
