//! Starting a payment: a Tripay closed transaction for an invoice (billing.md §4.4).

use axum::http::StatusCode;
use platform::AppError;
use serde_json::Value;
use time::Duration;
use tripay::{CreateTransaction, OrderItem, TripayError};
use uuid::Uuid;

use crate::domain::channels;
use crate::domain::{deadlines, errors, invoice_number};
use crate::flows::effects;
use crate::state::AppState;
use crate::store::invoices::{self, ActiveTransaction, InvoiceRow};

/// The validated body of `pay`.
#[derive(Debug, Clone)]
pub struct PayRequest {
    /// As sent: it is normalized only after ownership, status and deadline (§4.4 steps 1–3),
    /// so an unknown channel never hides a 403, 404 or 409.
    pub channel: String,
    pub customer_name: Option<String>,
    pub customer_phone: Option<String>,
    pub return_url: Option<String>,
}

/// Who pays: the token's subject and e-mail.
#[derive(Debug, Clone)]
pub struct Payer<'a> {
    pub sub: &'a str,
    pub email: &'a str,
}

/// An active transaction this close to its end is not handed out again.
const REUSE_MARGIN: Duration = Duration::seconds(60);

pub async fn pay(
    state: &AppState,
    id: Uuid,
    payer: Payer<'_>,
    req: PayRequest,
    request_id: &str,
) -> Result<InvoiceRow, AppError> {
    // §4.4 step 1, ownership and status, without a lock or any outbound call.
    let invoice = super::invoices::owned(state, id, payer.sub).await?;
    check_payable(&invoice)?;
    // Step 3 on the same read when step 2 cannot apply, so that an unknown channel costs no
    // auth call and no lock. Past the deadline the locked section below expires the invoice
    // (step 2) before the channel is looked at.
    let channel = channels::normalize(&req.channel);
    if channel.is_none() && state.now() < invoice.expired_at {
        return Err(errors::channel_invalid());
    }
    let (name, phone) = payer_details(state, &payer, &req, request_id).await;
    let return_url = req
        .return_url
        .clone()
        .unwrap_or_else(|| format!("{}/invoices/{id}", state.config.customer_web_base_url));

    let mut tx = state.pool.begin().await?;
    // Serializes pay calls of one invoice: two concurrent calls never create two transactions.
    let invoice = invoices::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::invoice_not_found)?;
    check_payable(&invoice)?;
    let now = state.now();
    if now >= invoice.expired_at {
        effects::expire_invoice(
            &mut tx,
            &state.config,
            &invoice,
            None,
            Some(request_id),
            now,
        )
        .await?;
        tx.commit().await?;
        state.job_waker.wake();
        return Err(errors::invoice_expired());
    }
    // Step 3 in the spec's order. An unknown channel only gets this far past the deadline,
    // which step 2 has just answered; this is the fallback should that ever change.
    let Some(channel) = channel else {
        return Err(errors::channel_invalid());
    };
    if invoice.payment_channel.as_deref() == Some(channel.name)
        && invoice.tripay_reference.is_some()
        && invoice
            .payment_expires_at
            .is_some_and(|at| at > now + REUSE_MARGIN)
    {
        return Ok(invoice);
    }
    let Some(code) = channel.code else {
        return Err(errors::channel_not_available("NOT_ACTIVE"));
    };
    let list = state.channels.get().await.map_err(|e| {
        tracing::warn!(error = %e, "no Tripay channel list");
        errors::gateway_error(StatusCode::SERVICE_UNAVAILABLE)
    })?;
    let Some(listed) = list.iter().find(|c| c.code == code && c.active) else {
        return Err(errors::channel_not_available("NOT_ACTIVE"));
    };
    let min = listed.minimum_amount.unwrap_or(channel.min_amount);
    let max = listed.maximum_amount.unwrap_or(channel.max_amount);
    if !(min..=max).contains(&invoice.amount) {
        return Err(errors::channel_not_available("AMOUNT_OUT_OF_RANGE"));
    }
    let window = state.config.expiry_overrides.window(channel);
    let tx_expiry = deadlines::transaction_expiry(now, invoice.expired_at, window)
        .map_err(|_| errors::channel_not_available("EXPIRY_TOO_SHORT"))?;

    let attempt = invoices::count_attempt(&mut tx, id, now).await?;
    let merchant_ref = invoice_number::merchant_ref(&invoice.invoice_number, attempt);
    let request = CreateTransaction {
        method: code.to_owned(),
        merchant_ref: merchant_ref.clone(),
        amount: invoice.amount,
        customer_name: name,
        customer_email: payer.email.to_owned(),
        customer_phone: phone,
        order_items: vec![OrderItem {
            sku: invoice.plan_id.clone(),
            name: invoice.item_name.clone(),
            price: invoice.amount,
            quantity: 1,
            product_url: None,
            image_url: None,
        }],
        callback_url: state.config.tripay_callback_url.clone(),
        return_url: Some(return_url),
        expired_time: Some(tx_expiry.unix_timestamp()),
        signature: state.tripay.sign_transaction(&merchant_ref, invoice.amount),
    };
    let created = match state.tripay.create_transaction(&request).await {
        Ok(t) => t,
        Err(e) => {
            // The attempt is counted so the next try gets its own merchant_ref; the previous
            // active transaction stays as it was.
            tx.commit().await?;
            return Err(gateway_failure(&e, &invoice, &merchant_ref));
        }
    };
    let instructions = serde_json::to_value(&created.instructions).unwrap_or(Value::Null);
    let expires_at =
        time::OffsetDateTime::from_unix_timestamp(created.expired_time).unwrap_or(tx_expiry);
    let superseded = invoice
        .tripay_reference
        .as_deref()
        .filter(|r| *r != created.reference);
    let updated = invoices::set_active_transaction(
        &mut tx,
        id,
        &ActiveTransaction {
            channel: channel.name,
            method: channel.method.as_str(),
            name: &created.payment_name,
            code: created.pay_code.as_deref(),
            checkout_url: created.checkout_url.as_deref(),
            pay_url: created.pay_url.as_deref(),
            qr_string: created.qr_string.as_deref(),
            qr_url: created.qr_url.as_deref(),
            fee: created.fee_customer,
            instructions,
            expires_at,
            reference: &created.reference,
            superseded,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(invoiceId = %id, reference = %created.reference, channel = channel.name,
        merchantRef = %merchant_ref, "Tripay transaction created");
    Ok(updated)
}

fn check_payable(invoice: &InvoiceRow) -> Result<(), AppError> {
    match invoice.status.as_str() {
        "PAID" => Err(errors::invoice_already_paid()),
        "EXPIRED" => Err(errors::invoice_expired()),
        "CANCELLED" => Err(errors::invalid_invoice_status("CANCELLED")),
        _ => Ok(()),
    }
}

/// Name and phone sent to Tripay: the body's, else auth's, else the e-mail's local part.
async fn payer_details(
    state: &AppState,
    payer: &Payer<'_>,
    req: &PayRequest,
    request_id: &str,
) -> (String, Option<String>) {
    let needs_auth = req.customer_name.is_none() || req.customer_phone.is_none();
    let auth = if needs_auth {
        state.auth.payer(payer.sub, request_id).await
    } else {
        None
    };
    let local_part = payer.email.split('@').next().unwrap_or(payer.email);
    let name = req
        .customer_name
        .clone()
        .or_else(|| auth.as_ref().and_then(|a| a.full_name.clone()))
        .unwrap_or_else(|| local_part.to_owned());
    let phone = req
        .customer_phone
        .clone()
        .or_else(|| auth.and_then(|a| a.phone_number));
    (name, phone)
}

/// §4.4 step 8.
fn gateway_failure(e: &TripayError, invoice: &InvoiceRow, merchant_ref: &str) -> AppError {
    tracing::warn!(invoiceId = %invoice.id, merchantRef = %merchant_ref, error = %e,
        "Tripay did not create the transaction");
    match e {
        TripayError::Rejected { message, .. } => errors::payment_failed(message),
        TripayError::Unreachable(_) => errors::gateway_error(StatusCode::SERVICE_UNAVAILABLE),
        TripayError::BadResponse { .. } => errors::gateway_error(StatusCode::BAD_GATEWAY),
    }
}
