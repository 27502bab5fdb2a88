//! The JSON shapes of billing.md §4.4–§4.6 and §5.3–§5.4.

use platform::time_format::{wire, wire_option};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::channels;
use crate::store::invoices::InvoiceRow;

/// The invoice object (§4.6).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceView {
    pub id: Uuid,
    pub order_id: String,
    pub invoice_number: String,
    pub item_name: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub payment_method: Option<String>,
    pub payment_channel: Option<String>,
    pub payment_name: Option<String>,
    pub payment_code: Option<String>,
    pub payment_url: Option<String>,
    pub payment_fee: Option<i64>,
    pub total_amount: i64,
    #[serde(with = "wire_option")]
    pub payment_expires_at: Option<OffsetDateTime>,
    pub tripay_reference: Option<String>,
    #[serde(with = "wire")]
    pub expired_at: OffsetDateTime,
    #[serde(with = "wire_option")]
    pub paid_at: Option<OffsetDateTime>,
    pub paid_amount: Option<i64>,
    pub paid_channel: Option<String>,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

impl From<&InvoiceRow> for InvoiceView {
    fn from(i: &InvoiceRow) -> Self {
        Self {
            id: i.id,
            order_id: i.order_id.clone(),
            invoice_number: i.invoice_number.clone(),
            item_name: i.item_name.clone(),
            amount: i.amount,
            currency: i.currency.clone(),
            status: i.status.clone(),
            payment_method: i.payment_method.clone(),
            payment_channel: i.payment_channel.clone(),
            payment_name: i.payment_name.clone(),
            payment_code: i.payment_code.clone(),
            payment_url: i.payment_url.clone(),
            payment_fee: i.payment_fee,
            total_amount: i.amount.saturating_add(i.payment_fee.unwrap_or(0)),
            payment_expires_at: i.payment_expires_at,
            tripay_reference: i.tripay_reference.clone(),
            expired_at: i.expired_at,
            paid_at: i.paid_at,
            paid_amount: i.paid_amount,
            paid_channel: i.paid_channel.clone(),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// The internal representation: the invoice object plus the back-office fields.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InternalInvoiceView {
    #[serde(flatten)]
    pub invoice: InvoiceView,
    pub user_id: String,
    pub amount_received: Option<i64>,
    pub payment_attempts: i32,
    pub previous_references: Vec<String>,
    /// The parsed body of the callback that last changed the status.
    pub callback_payload: Option<Value>,
    pub cancel_reason: Option<String>,
    #[serde(with = "wire_option")]
    pub last_reconciled_at: Option<OffsetDateTime>,
}

impl From<&InvoiceRow> for InternalInvoiceView {
    fn from(i: &InvoiceRow) -> Self {
        Self {
            invoice: InvoiceView::from(i),
            user_id: i.user_id.clone(),
            amount_received: i.amount_received,
            payment_attempts: i.payment_attempts,
            previous_references: i.previous_references.clone(),
            callback_payload: i.callback_payload.clone(),
            cancel_reason: i.cancel_reason.clone(),
            last_reconciled_at: i.last_reconciled_at,
        }
    }
}

/// The active transaction block (§4.4).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentBlock {
    pub channel: Option<String>,
    pub code: Option<String>,
    pub channel_name: Option<String>,
    pub method: Option<String>,
    pub reference: String,
    pub payment_code: Option<String>,
    pub payment_url: Option<String>,
    pub pay_url: Option<String>,
    pub qr_string: Option<String>,
    pub qr_url: Option<String>,
    pub amount: i64,
    pub fee: i64,
    pub total_amount: i64,
    pub currency: String,
    #[serde(with = "wire_option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Tripay's `instructions` as received (`[{"title", "steps"}]`); steps may contain simple
    /// HTML, so clients sanitize them.
    pub instructions: Value,
}

impl PaymentBlock {
    /// The block of a PENDING invoice with an active transaction; `None` otherwise (§4.3).
    pub fn of(i: &InvoiceRow) -> Option<Self> {
        if i.status != "PENDING" {
            return None;
        }
        Self::active(i)
    }

    /// The stored active transaction regardless of status (the answer of `pay`).
    pub fn active(i: &InvoiceRow) -> Option<Self> {
        let reference = i.tripay_reference.clone()?;
        let fee = i.payment_fee.unwrap_or(0);
        let code = i
            .payment_channel
            .as_deref()
            .and_then(channels::by_name)
            .and_then(|c| c.code)
            .map(str::to_owned);
        Some(Self {
            channel: i.payment_channel.clone(),
            code,
            channel_name: i.payment_name.clone(),
            method: i.payment_method.clone(),
            reference,
            payment_code: i.payment_code.clone(),
            payment_url: i.payment_url.clone(),
            pay_url: i.pay_url.clone(),
            qr_string: i.qr_string.clone(),
            qr_url: i.qr_url.clone(),
            amount: i.amount,
            fee,
            total_amount: i.amount.saturating_add(fee),
            currency: i.currency.clone(),
            expires_at: i.payment_expires_at,
            instructions: i
                .payment_instructions
                .clone()
                .unwrap_or_else(|| Value::Array(Vec::new())),
        })
    }
}

/// An invoice with its active transaction (§4.3).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InvoiceDetail {
    #[serde(flatten)]
    pub invoice: InvoiceView,
    pub payment: Option<PaymentBlock>,
}

/// The answer of `pay` (§4.4).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayView {
    pub invoice: InvoiceView,
    pub payment: Option<PaymentBlock>,
}

/// The answer of invoice creation (§4.1).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedInvoice<I: Serialize> {
    #[serde(flatten)]
    pub invoice: I,
    pub available_channels: Vec<ChannelView>,
}

/// A fee as Tripay states it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeeView {
    pub flat: i64,
    pub percent: f64,
}

/// One available channel (§4.5).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChannelView {
    pub channel: &'static str,
    pub code: String,
    pub name: String,
    pub group: String,
    pub method: &'static str,
    #[serde(rename = "type")]
    pub kind: String,
    pub icon_url: Option<String>,
    pub customer_fee: FeeView,
    pub estimated_fee: Option<i64>,
    pub minimum_amount: i64,
    pub maximum_amount: i64,
}

/// The channels that are mapped, active and (with `amount`) take that amount.
pub fn available_channels(
    list: &[tripay::PaymentChannel],
    amount: Option<i64>,
) -> Vec<ChannelView> {
    list.iter()
        .filter(|c| c.active)
        .filter_map(|c| {
            let mapped = channels::by_code(&c.code)?;
            let minimum_amount = c.minimum_amount.unwrap_or(mapped.min_amount);
            let maximum_amount = c.maximum_amount.unwrap_or(mapped.max_amount);
            if let Some(a) = amount
                && !(minimum_amount..=maximum_amount).contains(&a)
            {
                return None;
            }
            Some(ChannelView {
                channel: mapped.name,
                code: c.code.clone(),
                name: c.name.clone(),
                group: c.group.clone(),
                method: mapped.method.as_str(),
                kind: c.kind.to_ascii_uppercase(),
                icon_url: c.icon_url.clone(),
                customer_fee: FeeView {
                    flat: c.fee_customer.flat,
                    percent: c.fee_customer.percent,
                },
                estimated_fee: amount.map(|a| tripay::channel_fee(&c.fee_customer, a)),
                minimum_amount,
                maximum_amount,
            })
        })
        .collect()
}

/// One row of the admin transaction list (§5.3).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    #[serde(flatten)]
    pub invoice: InternalInvoiceView,
    pub order_sync_status: Option<String>,
    pub last_payment_status: Option<String>,
}

/// The admin invoice detail (§5.4).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminDetail {
    pub invoice: InternalInvoiceView,
    pub payment: Option<PaymentBlock>,
    pub payments: Vec<crate::store::payments::PaymentView>,
    pub callbacks: Vec<crate::store::callbacks::CallbackView>,
    pub jobs: Vec<crate::store::jobs::JobView>,
}
