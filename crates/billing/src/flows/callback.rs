//! The Tripay callback (billing.md §6–§7): verify over the raw bytes, store, apply.

use std::net::IpAddr;

use axum::http::HeaderMap;
use platform::AppError;

use crate::domain::errors;
use crate::flows::settle::{self, Applied, GatewayEvent, Source};
use crate::state::AppState;
use crate::store::callbacks;

pub const EVENT_HEADER: &str = "x-callback-event";
pub const SIGNATURE_HEADER: &str = "x-callback-signature";

/// Everything but the success reply, which is Tripay's `{"success": true}`.
pub async fn receive(
    state: &AppState,
    headers: &HeaderMap,
    client_ip: IpAddr,
    raw: &[u8],
    request_id: &str,
) -> Result<Applied, AppError> {
    // §6 in its order: signature over the raw bytes (2–3), event (4), payload (5), and only
    // then the optional allow list (6). Every refusal happens before anything is stored.
    let Some(presented) = headers.get(SIGNATURE_HEADER) else {
        tracing::warn!("Tripay callback without a signature");
        return Err(errors::signature_rejected("SIGNATURE_MISSING"));
    };
    let presented = presented.to_str().unwrap_or("");
    if presented.trim().is_empty() {
        return Err(errors::signature_rejected("SIGNATURE_MISSING"));
    }
    if !state.tripay.verify_callback(raw, presented) {
        let prefix: String = presented.trim().chars().take(8).collect();
        tracing::warn!(signaturePrefix = %prefix, "Tripay callback with an invalid signature");
        return Err(errors::signature_rejected("SIGNATURE_INVALID"));
    }
    let event = headers
        .get(EVENT_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if event != "payment_status" {
        return Err(errors::callback_event_unsupported());
    }
    let callback = tripay::Callback::parse(raw)
        .map_err(|e| errors::invalid_callback_payload(&e.to_string()))?;
    let text = String::from_utf8_lossy(raw);
    let parsed: serde_json::Value = serde_json::from_slice(raw)
        .map_err(|e| errors::invalid_callback_payload(&e.to_string()))?;
    if !state.config.callback_allowed_ips.allows(client_ip) {
        tracing::warn!(ip = %client_ip, reference = %callback.reference,
            "Tripay callback from an address outside the allow list");
        return Err(errors::callback_ip_forbidden());
    }
    let status = callback.status.to_ascii_uppercase();
    let callback_id = callbacks::insert(
        &mut *state.pool.acquire().await.map_err(AppError::from)?,
        &callbacks::NewCallback {
            event,
            reference: Some(&callback.reference),
            merchant_ref: callback.merchant_ref.as_deref(),
            status: Some(&status),
            raw_body: &text,
            source: Source::Callback.as_str(),
            request_id: Some(request_id),
            now: state.now(),
        },
    )
    .await
    .map_err(AppError::from)?;
    let event = GatewayEvent::from_callback(&callback, parsed);
    let applied = settle::apply(
        state,
        &event,
        Source::Callback,
        Some(callback_id),
        Some(request_id),
    )
    .await
    .map_err(AppError::from)?;
    tracing::info!(
        reference = %event.reference, status = %event.status, outcome = applied.outcome,
        invoiceId = ?applied.invoice_id, "Tripay callback processed"
    );
    Ok(applied)
}
