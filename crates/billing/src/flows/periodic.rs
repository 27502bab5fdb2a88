//! The periodic tasks (billing.md §9.2 expiry, §9.3 reconciliation), safe with any number of
//! replicas: expiry claims rows with `SKIP LOCKED` and a conditional update; reconciliation goes
//! through the same locked code path as callbacks.

use std::time::Duration;

use tokio::sync::watch;

use crate::flows::{effects, settle};
use crate::state::AppState;
use crate::store::{callbacks, invoices, payments};

const EXPIRY_BATCH: i64 = 500;
/// Tripay's detail endpoint is asked at most five times per second in total.
const RECONCILE_SPACING: Duration = Duration::from_millis(200);

/// Expires every overdue PENDING invoice; returns how many.
pub async fn expire_due(state: &AppState) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let now = state.now();
        let mut tx = state.pool.begin().await?;
        let due = invoices::due_for_expiry(&mut tx, now, EXPIRY_BATCH).await?;
        let batch = due.len();
        for invoice in &due {
            if effects::expire_invoice(&mut tx, &state.config, invoice, None, None, now).await? {
                total += 1;
            }
        }
        tx.commit().await?;
        if batch > 0 {
            state.job_waker.wake();
        }
        if (batch as i64) < EXPIRY_BATCH {
            break;
        }
    }
    if total > 0 {
        tracing::info!(expired = total, "overdue invoices expired");
    }
    Ok(total)
}

/// One reconciliation cycle; returns how many events it applied.
pub async fn reconcile(state: &AppState) -> Result<u64, sqlx::Error> {
    let now = state.now();
    let due =
        invoices::due_for_reconciliation(&state.pool, now, state.config.reconcile_batch).await?;
    let mut applied = 0;
    for invoice in due {
        let settled =
            payments::settled_references(&mut *state.pool.acquire().await?, invoice.id).await?;
        let mut references: Vec<String> = invoice.previous_references.clone();
        references.extend(invoice.tripay_reference.clone());
        references.retain(|r| !settled.contains(r));
        references.dedup();
        let mut failed = false;
        for reference in references {
            tokio::time::sleep(RECONCILE_SPACING).await;
            let detail = match state.tripay.transaction_detail(&reference).await {
                Ok(detail) => detail,
                Err(e) => {
                    tracing::warn!(invoiceId = %invoice.id, reference = %reference, error = %e,
                        "reconciliation could not read the transaction");
                    failed = true;
                    continue;
                }
            };
            let status = detail.status.to_ascii_uppercase();
            if !matches!(status.as_str(), "PAID" | "EXPIRED" | "FAILED" | "REFUND") {
                continue;
            }
            let raw = serde_json::to_value(&detail).unwrap_or(serde_json::Value::Null);
            let event = settle::GatewayEvent::from_transaction(&detail, raw.clone());
            let text = raw.to_string();
            let callback_id = callbacks::insert(
                &mut *state.pool.acquire().await?,
                &callbacks::NewCallback {
                    event: "reconciliation",
                    reference: Some(&event.reference),
                    merchant_ref: event.merchant_ref.as_deref(),
                    status: Some(&event.status),
                    raw_body: &text,
                    source: settle::Source::Reconciliation.as_str(),
                    request_id: None,
                    now: state.now(),
                },
            )
            .await?;
            let result = settle::apply(
                state,
                &event,
                settle::Source::Reconciliation,
                Some(callback_id),
                None,
            )
            .await?;
            tracing::info!(invoiceId = %invoice.id, reference = %reference, status = %status,
                outcome = result.outcome, "reconciled a missed Tripay event");
            applied += 1;
        }
        if !failed {
            invoices::mark_reconciled(&state.pool, invoice.id, state.now()).await?;
        }
    }
    Ok(applied)
}

/// Runs both tasks on their intervals until `shutdown` turns `true`.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let expiry_every = Duration::from_secs(state.config.expiry_job_interval_seconds);
    let reconcile_every = Duration::from_secs(state.config.reconcile_interval_seconds);
    let mut expiry = tokio::time::interval(expiry_every);
    expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // `0` disables reconciliation; the timer then never fires.
    let mut reconcile_timer = tokio::time::interval(reconcile_every.max(Duration::from_secs(1)));
    reconcile_timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => {
                if *shutdown.borrow() { return; }
            }
            _ = expiry.tick() => {
                if let Err(e) = expire_due(&state).await {
                    tracing::error!(error = %e, "invoice expiry run failed");
                }
            }
            _ = reconcile_timer.tick(), if !reconcile_every.is_zero() => {
                if let Err(e) = reconcile(&state).await {
                    tracing::error!(error = %e, "reconciliation run failed");
                }
            }
        }
    }
}
