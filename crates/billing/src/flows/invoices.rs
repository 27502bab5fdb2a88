//! Issuing invoices (billing.md §4.1, §5.2) and reading them (§4.2, §4.3).

use platform::AppError;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::{deadlines, errors, invoice_number};
use crate::flows::effects;
use crate::state::AppState;
use crate::store::invoices::{self, InvoiceRow, NewInvoice};

/// Who asks for the invoice: a customer (ownership checked) or a service / back office.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    Customer(&'a str),
    Internal,
}

impl Requester<'_> {
    fn check_owner(&self, owner: &str) -> Result<(), AppError> {
        match self {
            Requester::Customer(sub) if *sub != owner => Err(errors::order_access_denied()),
            _ => Ok(()),
        }
    }
}

/// Unique indexes whose violation the insert resolves itself.
const NUMBER_TAKEN: &str = "invoices_invoice_number_key";
const ORDER_INVOICED: &str = "invoices_live_order";
const NUMBER_TRIES: usize = 5;

/// The invoice and whether this call created it (201) or found it (200).
pub async fn create(
    state: &AppState,
    order_id: Uuid,
    requester: Requester<'_>,
    request_id: &str,
) -> Result<(InvoiceRow, bool), AppError> {
    let order_key = order_id.to_string();
    if let Some(existing) =
        invoices::live_for_order(&mut *state.pool.acquire().await?, &order_key).await?
    {
        requester.check_owner(&existing.user_id)?;
        return Ok((existing, false));
    }
    let order = state.order.get(&order_key, request_id).await?;
    requester.check_owner(&order.user_id)?;
    let now = state.now();
    if order.status != "PENDING_PAYMENT" {
        return Err(errors::order_not_payable(&order.status, None));
    }
    let Some(deadline) = order.payment_deadline.filter(|d| *d > now) else {
        return Err(errors::order_not_payable(
            &order.status,
            Some("PAYMENT_DEADLINE_PASSED"),
        ));
    };
    let amount = order
        .final_price
        .filter(|p| *p > 0)
        .ok_or_else(errors::invalid_order_amount)?;
    let expired_at = deadlines::invoice_expiry(now, state.config.invoice_expiry_hours, deadline);
    let item_name = order.item_name();
    for _ in 0..NUMBER_TRIES {
        let number = invoice_number::draw(now);
        let mut tx = state.pool.begin().await?;
        let inserted = invoices::insert(
            &mut tx,
            &NewInvoice {
                id: Uuid::new_v4(),
                order_id: &order_key,
                user_id: &order.user_id,
                invoice_number: &number,
                item_name: &item_name,
                plan_id: order.plan_id.as_deref(),
                amount,
                expired_at,
                now,
            },
        )
        .await;
        match inserted {
            Ok(invoice) => {
                if state.config.notify_invoice_created {
                    effects::enqueue_invoice_created(&mut tx, &state.config, &invoice, request_id)
                        .await?;
                }
                tx.commit().await?;
                state.job_waker.wake();
                tracing::info!(invoiceId = %invoice.id, orderId = %order_key,
                    invoiceNumber = %invoice.invoice_number, "invoice issued");
                return Ok((invoice, true));
            }
            Err(e) if violated(&e) == Some(NUMBER_TAKEN) => continue,
            Err(e) if violated(&e) == Some(ORDER_INVOICED) => {
                drop(tx);
                // A concurrent request won the race: answer with its invoice.
                let winner =
                    invoices::live_for_order(&mut *state.pool.acquire().await?, &order_key)
                        .await?
                        .ok_or_else(|| AppError::internal(anyhow::anyhow!("invoice vanished")))?;
                requester.check_owner(&winner.user_id)?;
                return Ok((winner, false));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "no free invoice number after {NUMBER_TRIES} tries"
    )))
}

fn violated(e: &sqlx::Error) -> Option<&str> {
    e.as_database_error()
        .filter(|d| d.is_unique_violation())
        .and_then(|d| d.constraint())
}

/// The invoice if `sub` owns it (§4.3).
pub async fn owned(state: &AppState, id: Uuid, sub: &str) -> Result<InvoiceRow, AppError> {
    let invoice = invoices::get(&mut *state.pool.acquire().await?, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    if invoice.user_id != sub {
        return Err(errors::invoice_access_denied());
    }
    Ok(invoice)
}

/// Whether the invoice's deadline has passed while it still waits for payment.
pub fn overdue(invoice: &InvoiceRow, now: OffsetDateTime) -> bool {
    invoice.status == "PENDING" && now >= invoice.expired_at
}
