//! Back-office actions on invoices (billing.md §5.4–§5.7).

use platform::AppError;
use uuid::Uuid;

use crate::domain::errors;
use crate::flows::effects;
use crate::queues;
use crate::state::AppState;
use crate::store::invoices::{self, InvoiceRow};
use crate::store::jobs::{self, JobView};
use crate::store::{callbacks, payments};
use crate::views::{AdminDetail, InternalInvoiceView, PaymentBlock};

pub async fn detail(state: &AppState, id: Uuid) -> Result<AdminDetail, AppError> {
    let mut conn = state.pool.acquire().await?;
    let invoice = invoices::get(&mut conn, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    Ok(AdminDetail {
        invoice: InternalInvoiceView::from(&invoice),
        payment: PaymentBlock::of(&invoice),
        payments: payments::for_invoice(&mut conn, id).await?,
        callbacks: callbacks::recent_for_invoice(&mut conn, id).await?,
        jobs: jobs::for_invoice(&mut conn, id).await?,
    })
}

/// §5.5: PENDING → EXPIRED (with the §9.2 side effects); EXPIRED is a no-op.
pub async fn expire(
    state: &AppState,
    id: Uuid,
    reason: Option<&str>,
    actor: &str,
    request_id: &str,
) -> Result<InvoiceRow, AppError> {
    let mut tx = state.pool.begin().await?;
    let invoice = invoices::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    match invoice.status.as_str() {
        "PAID" => return Err(errors::invoice_already_paid()),
        "CANCELLED" => return Err(errors::invalid_invoice_status("CANCELLED")),
        "EXPIRED" => return Ok(invoice),
        _ => {}
    }
    let now = state.now();
    effects::expire_invoice(
        &mut tx,
        &state.config,
        &invoice,
        None,
        Some(request_id),
        now,
    )
    .await?;
    let updated = invoices::get(&mut tx, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    tx.commit().await?;
    state.job_waker.wake();
    tracing::info!(invoiceId = %id, actor, reason = ?reason, "invoice expired manually");
    Ok(updated)
}

/// §5.6: PENDING or EXPIRED → CANCELLED; nothing is sent to the order service.
pub async fn cancel(
    state: &AppState,
    id: Uuid,
    reason: Option<&str>,
    actor: &str,
) -> Result<InvoiceRow, AppError> {
    let mut tx = state.pool.begin().await?;
    let invoice = invoices::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    match invoice.status.as_str() {
        "PAID" => return Err(errors::invoice_already_paid()),
        "CANCELLED" => return Ok(invoice),
        _ => {}
    }
    invoices::cancel(&mut tx, id, reason, state.now()).await?;
    let updated = invoices::get(&mut tx, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    tx.commit().await?;
    tracing::info!(invoiceId = %id, actor, reason = ?reason, "invoice cancelled");
    Ok(updated)
}

/// §5.7: the invoice's ORDER_PAID job back to PENDING (created when missing).
pub async fn resync_order(
    state: &AppState,
    id: Uuid,
    actor: &str,
    request_id: &str,
) -> Result<JobView, AppError> {
    let mut tx = state.pool.begin().await?;
    let invoice = invoices::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    if invoice.status != "PAID" {
        return Err(errors::invalid_invoice_status(&invoice.status));
    }
    let key = queues::order_paid_key(id);
    let now = state.now();
    let job = match jobs::redrive(&mut tx, &key, now).await? {
        Some(job) => job,
        None => {
            if jobs::by_dedupe_key(&mut tx, &key).await?.is_none() {
                let notes = format!("Resync by {actor}, invoice {}", invoice.invoice_number);
                effects::enqueue_order_paid(
                    &mut tx,
                    &state.config,
                    &invoice,
                    notes,
                    Some(request_id),
                )
                .await?;
            }
            // Either just created, or RUNNING right now (its outcome will follow).
            jobs::by_dedupe_key(&mut tx, &key)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("ORDER_PAID job missing")))?
        }
    };
    tx.commit().await?;
    state.job_waker.wake();
    tracing::info!(invoiceId = %id, jobId = %job.id, actor, "order sync re-driven");
    Ok(job)
}
