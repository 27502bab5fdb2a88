//! T1 / E1: payment-status calls (order.md §2.1, §4.4).

use platform::AppError;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::errors;
use crate::domain::payment::{self, PaymentDecision, PaymentEvent, PaymentFacts};
use crate::domain::status::{Actor, OrderStatus, transition};
use crate::domain::views::{OrderRow, PaymentStatusView};
use crate::state::AppState;
use crate::store::{history, orders};

#[derive(Debug, Clone)]
pub struct PaymentUpdate {
    pub event: PaymentEvent,
    pub reference: Option<String>,
    pub paid_at: Option<OffsetDateTime>,
    pub notes: Option<String>,
}

pub async fn update(
    state: &AppState,
    order_id: Uuid,
    actor: &Actor,
    body: PaymentUpdate,
    idempotency_key: Option<&str>,
    request_id: &str,
) -> Result<PaymentStatusView, AppError> {
    let mut tx = state.pool.begin().await?;
    // The row lock makes concurrent calls for one order run one after the other: the second of
    // ten identical PAIDs sees the first one's key or reference and replays.
    let order = orders::lock(&mut tx, order_id)
        .await?
        .ok_or_else(errors::order_not_found)?;
    let current = order.status()?;
    let key_seen = match idempotency_key {
        Some(key) => history::key_seen(&mut tx, order_id, key).await?,
        None => false,
    };
    let used_elsewhere = match (&body.reference, body.event) {
        (Some(r), PaymentEvent::Paid) => {
            orders::reference_used_elsewhere(&mut tx, order_id, r).await?
        }
        _ => false,
    };
    let last_failed = match body.event {
        PaymentEvent::PaymentFailed => history::last_failed_reference(&mut tx, order_id).await?,
        PaymentEvent::Paid => None,
    };
    let decision = payment::decide(&PaymentFacts {
        event: body.event,
        current,
        reference: body.reference.as_deref(),
        stored_reference: order.payment_reference.as_deref(),
        last_failed_reference: last_failed.as_deref(),
        key_seen,
        reference_used_elsewhere: used_elsewhere,
    });
    let now = state.now();
    let metadata = json!({
        "reference": body.reference,
        "paidAt": body.paid_at.map(platform::time_format::format),
        "notes": body.notes,
    });
    match decision {
        PaymentDecision::Replay => Ok(view(&order, current, true)),
        PaymentDecision::Conflict(reason) => Err(errors::payment_status_conflict(
            current.as_str(),
            body.event.as_str(),
            reason,
        )),
        PaymentDecision::MarkPaid => {
            let t1 = transition(Some(current), OrderStatus::Paid, actor)
                .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?;
            let paid_at = body.paid_at.unwrap_or(now);
            let updated =
                match orders::mark_paid(&mut tx, order_id, body.reference.as_deref(), paid_at, now)
                    .await
                {
                    Ok(Some(row)) => row,
                    // Unreachable under the row lock; answer as the spec's compare-and-set says.
                    Ok(None) => {
                        return Err(errors::payment_status_conflict(
                            current.as_str(),
                            "PAID",
                            None,
                        ));
                    }
                    // Another order took this reference between our check and our write.
                    Err(e)
                        if platform::error::is_unique_violation(
                            &e,
                            Some("orders_payment_reference_key"),
                        ) =>
                    {
                        return Err(errors::payment_status_conflict(
                            current.as_str(),
                            "PAID",
                            Some("REFERENCE_ALREADY_USED"),
                        ));
                    }
                    Err(e) => return Err(e.into()),
                };
            history::insert(
                &mut tx,
                &history::NewEntry {
                    order_id,
                    previous_status: Some(current.as_str()),
                    new_status: OrderStatus::Paid.as_str(),
                    actor: &actor.label(),
                    reason: body.notes.as_deref().unwrap_or(t1.default_reason(actor)),
                    metadata,
                    request_id: Some(request_id),
                    idempotency_key,
                    now,
                },
            )
            .await?;
            // The provisioning worker takes PAID orders without a task (§7.1 step 1) and
            // performs T3; nothing else needs to be written here.
            tx.commit().await?;
            state.provisioning_waker.wake();
            Ok(PaymentStatusView {
                id: order_id,
                status: OrderStatus::Paid.as_str().to_string(),
                previous_status: current.as_str().to_string(),
                paid_at: updated.paid_at,
                payment_reference: updated.payment_reference,
                replayed: false,
                updated_at: updated.updated_at,
            })
        }
        PaymentDecision::RecordFailure => {
            history::insert(
                &mut tx,
                &history::NewEntry {
                    order_id,
                    previous_status: Some(current.as_str()),
                    new_status: PaymentEvent::PaymentFailed.as_str(),
                    actor: &actor.label(),
                    reason: body.notes.as_deref().unwrap_or("Pembayaran gagal"),
                    metadata,
                    request_id: Some(request_id),
                    idempotency_key,
                    now,
                },
            )
            .await?;
            tx.commit().await?;
            Ok(view(&order, current, false))
        }
    }
}

/// The answer without a transition: the current state.
fn view(order: &OrderRow, current: OrderStatus, replayed: bool) -> PaymentStatusView {
    PaymentStatusView {
        id: order.id,
        status: current.as_str().to_string(),
        previous_status: current.as_str().to_string(),
        paid_at: order.paid_at,
        payment_reference: order.payment_reference.clone(),
        replayed,
        updated_at: order.updated_at,
    }
}
