//! Applying one gateway event — a callback (§7) or a reconciled transaction detail (§9.3) — to
//! its invoice, in one transaction under the invoice lock.

use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::callback_rules::{self, Decision, Facts};
use crate::domain::channels;
use crate::domain::invoice_number;
use crate::domain::status::InvoiceStatus;
use crate::flows::effects;
use crate::state::AppState;
use crate::store::invoices::{self, InvoiceRow, Settlement};
use crate::store::{callbacks, jobs, payments};

/// Where an event came from (`Payment.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Callback,
    Reconciliation,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "CALLBACK",
            Self::Reconciliation => "RECONCILIATION",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Callback => "Tripay callback",
            Self::Reconciliation => "Tripay reconciliation",
        }
    }
}

/// One gateway event, normalized from a callback body or a transaction detail.
#[derive(Debug, Clone)]
pub struct GatewayEvent {
    pub reference: String,
    pub merchant_ref: Option<String>,
    /// Upper-cased.
    pub status: String,
    pub is_closed_payment: bool,
    pub total_amount: i64,
    pub fee_customer: Option<i64>,
    pub total_fee: Option<i64>,
    pub amount_received: Option<i64>,
    pub payment_method: Option<String>,
    pub payment_method_code: Option<String>,
    pub paid_at: Option<i64>,
    pub note: Option<String>,
    pub raw: Value,
}

impl GatewayEvent {
    pub fn from_callback(c: &tripay::Callback, raw: Value) -> Self {
        Self {
            reference: c.reference.clone(),
            merchant_ref: c.merchant_ref.clone(),
            status: c.status.to_ascii_uppercase(),
            is_closed_payment: c.is_closed_payment == 1,
            total_amount: c.total_amount,
            fee_customer: c.fee_customer,
            total_fee: c.total_fee,
            amount_received: c.amount_received,
            payment_method: c.payment_method.clone(),
            payment_method_code: c.payment_method_code.clone(),
            paid_at: c.paid_at,
            note: c.note.clone(),
            raw,
        }
    }

    pub fn from_transaction(t: &tripay::Transaction, raw: Value) -> Self {
        Self {
            reference: t.reference.clone(),
            merchant_ref: t.merchant_ref.clone(),
            status: t.status.to_ascii_uppercase(),
            is_closed_payment: true,
            total_amount: t.amount,
            fee_customer: Some(t.fee_customer),
            total_fee: Some(t.total_fee),
            amount_received: Some(t.amount_received),
            payment_method: Some(t.payment_name.clone()),
            payment_method_code: Some(t.payment_method.clone()),
            paid_at: t.paid_at,
            note: None,
            raw,
        }
    }
}

/// `CallbackOutcome` and the invoice it concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub outcome: &'static str,
    pub invoice_id: Option<Uuid>,
}

/// §7.3: by `merchant_ref`, then by reference (active, superseded, or seen in a payment).
async fn locate(
    conn: &mut PgConnection,
    event: &GatewayEvent,
) -> Result<Option<InvoiceRow>, sqlx::Error> {
    if let Some(number) = event
        .merchant_ref
        .as_deref()
        .and_then(invoice_number::from_merchant_ref)
        && let Some(found) = invoices::by_number(conn, number).await?
    {
        return Ok(Some(found));
    }
    invoices::by_reference(conn, &event.reference).await
}

static PAYMENTS_PROCESSED: platform::metrics::CounterVec = platform::metrics::CounterVec::new(
    "payments_processed_total",
    "Tripay payment events applied, by source (CALLBACK, RECONCILIATION), Tripay status and \
     outcome (PROCESSED, DUPLICATE, REJECTED, IGNORED, UNMATCHED).",
    &["source", "status", "outcome"],
);

/// Tripay's statuses as a label; anything else shares one value, so that an unexpected status
/// cannot add series.
fn status_label(status: &str) -> &'static str {
    match status {
        "UNPAID" => "UNPAID",
        "PAID" => "PAID",
        "FAILED" => "FAILED",
        "EXPIRED" => "EXPIRED",
        "REFUND" => "REFUND",
        _ => "OTHER",
    }
}

/// Applies `event`; `callback_id` is its inbound row, whose outcome is set in the same commit.
pub async fn apply(
    state: &AppState,
    event: &GatewayEvent,
    source: Source,
    callback_id: Option<Uuid>,
    request_id: Option<&str>,
) -> Result<Applied, sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let applied = apply_in(&mut tx, state, event, source, request_id).await?;
    if let Some(id) = callback_id {
        callbacks::finish(
            &mut tx,
            id,
            applied.outcome,
            applied.invoice_id,
            state.now(),
        )
        .await?;
    }
    tx.commit().await?;
    state.job_waker.wake();
    PAYMENTS_PROCESSED.inc(&[
        source.as_str(),
        status_label(&event.status),
        applied.outcome,
    ]);
    Ok(applied)
}

async fn apply_in(
    conn: &mut PgConnection,
    state: &AppState,
    event: &GatewayEvent,
    source: Source,
    request_id: Option<&str>,
) -> Result<Applied, sqlx::Error> {
    if !event.is_closed_payment {
        return Ok(Applied {
            outcome: "IGNORED",
            invoice_id: None,
        });
    }
    let Some(found) = locate(conn, event).await? else {
        tracing::warn!(
            event = "callback_unmatched", reference = %event.reference,
            merchantRef = ?event.merchant_ref, "no invoice for a Tripay event"
        );
        return Ok(Applied {
            outcome: "UNMATCHED",
            invoice_id: None,
        });
    };
    // Lock every invoice of the order for PAID (a double payment must see its siblings), only
    // this one otherwise. Always in id order, so concurrent events never deadlock.
    let (invoice, siblings) = if event.status == "PAID" {
        let all = invoices::lock_order(conn, &found.order_id).await?;
        let (mine, others): (Vec<_>, Vec<_>) = all.into_iter().partition(|i| i.id == found.id);
        match mine.into_iter().next() {
            Some(invoice) => (invoice, others),
            None => return Ok(unmatched(&found)),
        }
    } else {
        match invoices::lock(conn, found.id).await? {
            Some(invoice) => (invoice, Vec::new()),
            None => return Ok(unmatched(&found)),
        }
    };
    let applied = |outcome| Applied {
        outcome,
        invoice_id: Some(invoice.id),
    };
    if payments::exists(conn, &event.reference, &event.status).await? {
        return Ok(applied("DUPLICATE"));
    }
    if event.reference != invoice.tripay_reference.clone().unwrap_or_default() {
        tracing::info!(
            invoiceId = %invoice.id, reference = %event.reference,
            activeReference = ?invoice.tripay_reference, "event for a non-active transaction"
        );
    }
    let now = state.now();
    let status = InvoiceStatus::parse(&invoice.status).unwrap_or(InvoiceStatus::Pending);
    let decision = callback_rules::decide(Facts {
        gateway_status: &event.status,
        invoice_status: status,
        is_active_reference: invoice.tripay_reference.as_deref() == Some(event.reference.as_str()),
        other_invoice_paid: siblings.iter().any(|i| i.status == "PAID"),
        deadline_passed: now >= invoice.expired_at,
        amount_ok: callback_rules::amount_matches(
            invoice.amount,
            invoice.payment_fee,
            event.total_amount,
            event.fee_customer,
        ),
    });
    let Some(payment_status) = decision.payment_status(&event.status) else {
        return Ok(applied(decision.outcome()));
    };
    let paid_at = event
        .paid_at
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
    let mut note = event.note.clone();
    match decision {
        Decision::MarkPaid { late } => {
            for sibling in siblings.iter().filter(|i| i.status == "PENDING") {
                let reason = format!("Dibayar melalui {}", invoice.invoice_number);
                invoices::cancel(conn, sibling.id, Some(&reason), now).await?;
            }
            let mapped = event
                .payment_method_code
                .as_deref()
                .and_then(channels::by_code)
                .map(|c| (c.name, c.method.as_str()));
            let paid = invoices::mark_paid(
                conn,
                invoice.id,
                &Settlement {
                    paid_at: paid_at.unwrap_or(now),
                    paid_amount: event.total_amount,
                    amount_received: event.amount_received,
                    paid_channel: event.payment_method_code.as_deref(),
                    reference: &event.reference,
                    channel: mapped,
                    payload: &event.raw,
                },
                now,
            )
            .await?;
            if late {
                note = Some("LATE_PAYMENT".into());
            }
            jobs::supersede_payment_failed(conn, &invoice.order_id, now).await?;
            let code = event.payment_method_code.as_deref().unwrap_or("-");
            let notes = format!(
                "{} PAID ({code}), invoice {}",
                source.label(),
                invoice.invoice_number
            );
            effects::enqueue_order_paid(conn, &state.config, &paid, notes, request_id).await?;
            // The notification service requires a method name; Tripay's display name first.
            let method = event
                .payment_method
                .as_deref()
                .or(paid.payment_name.as_deref())
                .or(event.payment_method_code.as_deref())
                .or(Some("Tripay"));
            effects::enqueue_payment_confirmed(conn, &state.config, &paid, method, request_id)
                .await?;
            tracing::info!(invoiceId = %invoice.id, orderId = %invoice.order_id,
                reference = %event.reference, late, "invoice paid");
        }
        Decision::DoublePayment => {
            note = Some("ORDER_ALREADY_PAID".into());
            tracing::error!(
                event = "double_payment", invoiceId = %invoice.id, orderId = %invoice.order_id,
                reference = %event.reference, amount = event.total_amount,
                "an already paid order was paid again; refund manually"
            );
        }
        Decision::Reject(reason) => {
            note = Some(match reason {
                callback_rules::RejectReason::AmountMismatch => format!(
                    "{}: expected {} (+ fee {}), received {} (fee_customer {:?})",
                    reason.note(),
                    invoice.amount,
                    invoice.payment_fee.unwrap_or(0),
                    event.total_amount,
                    event.fee_customer
                ),
                callback_rules::RejectReason::InvoiceCancelled => reason.note().to_owned(),
            });
            tracing::error!(
                event = "payment_rejected", invoiceId = %invoice.id, orderId = %invoice.order_id,
                reference = %event.reference, reason = reason.note(),
                "a payment was not accepted; refund manually"
            );
        }
        Decision::TransactionExpired {
            clear_active,
            expire_invoice,
        } => {
            if clear_active {
                invoices::clear_active(conn, invoice.id, now).await?;
            }
            if expire_invoice {
                effects::expire_invoice(conn, &state.config, &invoice, None, request_id, now)
                    .await?;
            } else {
                let body = serde_json::json!({
                    "status": "PAYMENT_FAILED", "reference": event.reference,
                    "notes": "Transaksi Tripay kedaluwarsa", "orderId": invoice.order_id,
                });
                effects::enqueue_payment_failed(
                    conn,
                    &state.config,
                    &invoice,
                    crate::queues::payment_failed_key(&event.reference),
                    body,
                    request_id,
                )
                .await?;
            }
        }
        Decision::TransactionFailed { clear_active } => {
            if clear_active {
                invoices::clear_active(conn, invoice.id, now).await?;
            }
            let code = event.payment_method_code.as_deref().unwrap_or("-");
            let body = serde_json::json!({
                "status": "PAYMENT_FAILED", "reference": event.reference,
                "notes": format!("Tripay callback FAILED ({code})"), "orderId": invoice.order_id,
            });
            effects::enqueue_payment_failed(
                conn,
                &state.config,
                &invoice,
                crate::queues::payment_failed_key(&event.reference),
                body,
                request_id,
            )
            .await?;
        }
        Decision::Refund => {
            tracing::error!(
                event = "refund_received", invoiceId = %invoice.id, orderId = %invoice.order_id,
                reference = %event.reference, amount = event.total_amount,
                "Tripay reported a refund; handle it in finance"
            );
        }
        Decision::RecordOnly | Decision::Ignore | Decision::Repeat => {}
    }
    let inserted = payments::insert(
        conn,
        &payments::NewPayment {
            invoice_id: invoice.id,
            amount: event.total_amount,
            amount_received: event.amount_received,
            fee: event.total_fee,
            channel: event.payment_method_code.as_deref().unwrap_or(""),
            reference: &event.reference,
            gateway_status: &event.status,
            status: payment_status,
            note,
            source: source.as_str(),
            raw_payload: &event.raw,
            paid_at,
            now,
        },
    )
    .await?;
    if !inserted {
        // Unreachable while the invoice lock is held, kept so a repeat can never apply twice.
        return Err(sqlx::Error::Protocol(
            "payment event recorded concurrently".into(),
        ));
    }
    Ok(applied(decision.outcome()))
}

fn unmatched(found: &InvoiceRow) -> Applied {
    Applied {
        outcome: "UNMATCHED",
        invoice_id: Some(found.id),
    }
}
