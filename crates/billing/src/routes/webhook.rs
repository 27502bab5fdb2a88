//! `POST /api/v1/billing/webhooks/tripay` and its internal alias (billing.md §5.1, §6): no API
//! key or JWT; the callback signature over the raw bytes is the only credential.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::extract::read_json_bytes;
use platform::http::RequestContext;
use platform::openapi::ErrorBody;
use platform::{ApiResult, AppError};
use serde::Serialize;

use super::bodies::TripayCallbackRequest;
use crate::flows::callback;
use crate::state::AppState;

const MAX_CALLBACK_BYTES: usize = 64 * 1024;

/// `{"success": true}`: Tripay's protocol, not the platform envelope (integrations.md §1.5).
#[derive(Serialize, utoipa::ToSchema)]
pub struct TripayCallbackAck {
    /// Always `true`.
    success: bool,
}

/// Tripay's payment callback at the public URL given to Tripay as `callback_url`
/// (billing.md §5.1, §6–§7).
#[utoipa::path(post, path = "/api/v1/billing/webhooks/tripay", tag = "webhooks", operation_id = "tripayCallback",
    params(
        ("X-Callback-Signature" = String, Header, description = "Lowercase hex HMAC-SHA256 of the raw body, keyed with the Tripay private key"),
        ("X-Callback-Event" = String, Header, description = "Must be `payment_status`"),
    ),
    request_body(content = TripayCallbackRequest, description = "Tripay's JSON, signed as sent: at most 64 KiB, unknown fields ignored"),
    responses(
        (status = 200, description = "Acknowledged: processed, or a repeat (`DUPLICATE`), unmatched, ignored, or rejected for a wrong amount or a cancelled invoice (recorded for a manual refund)", body = TripayCallbackAck),
        (status = 400, description = "`CALLBACK_EVENT_UNSUPPORTED`, `INVALID_CALLBACK_PAYLOAD`, `BAD_REQUEST` (only once the signature is valid); nothing is stored", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (`details.reason`: `SIGNATURE_MISSING`, `SIGNATURE_INVALID`); nothing is stored", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: a correctly signed, well-formed callback from outside `TRIPAY_CALLBACK_ALLOWED_IPS` (checked after the signature, event and payload, so a bad one from there is still 401 or 400); nothing is stored", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE` (over 64 KiB)", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 500, description = "`INTERNAL_SERVER_ERROR` (a database failure): Tripay resends, reconciliation covers the rest", body = ErrorBody),
    ))]
pub async fn tripay(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    request: Request,
) -> ApiResult<Response> {
    receive(&state, &ctx, &headers, request).await
}

/// The same callback at the internal alias, reachable only inside the network (e.g. by the
/// simulator): the same signature check, no API key accepted in its place (billing.md §1).
#[utoipa::path(post, path = "/api/v1/internal/billing/webhooks/tripay", tag = "webhooks", operation_id = "tripayCallbackInternal",
    params(
        ("X-Callback-Signature" = String, Header, description = "Lowercase hex HMAC-SHA256 of the raw body, keyed with the Tripay private key"),
        ("X-Callback-Event" = String, Header, description = "Must be `payment_status`"),
    ),
    request_body(content = TripayCallbackRequest, description = "Tripay's JSON, signed as sent: at most 64 KiB, unknown fields ignored"),
    responses(
        (status = 200, description = "Acknowledged: processed, or a repeat (`DUPLICATE`), unmatched, ignored, or rejected for a wrong amount or a cancelled invoice (recorded for a manual refund)", body = TripayCallbackAck),
        (status = 400, description = "`CALLBACK_EVENT_UNSUPPORTED`, `INVALID_CALLBACK_PAYLOAD`, `BAD_REQUEST` (only once the signature is valid); nothing is stored", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (`details.reason`: `SIGNATURE_MISSING`, `SIGNATURE_INVALID`); nothing is stored", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: a correctly signed, well-formed callback from outside `TRIPAY_CALLBACK_ALLOWED_IPS` (checked after the signature, event and payload, so a bad one from there is still 401 or 400); nothing is stored", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE` (over 64 KiB)", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 500, description = "`INTERNAL_SERVER_ERROR` (a database failure): Tripay resends, reconciliation covers the rest", body = ErrorBody),
    ))]
pub async fn tripay_internal(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: HeaderMap,
    request: Request,
) -> ApiResult<Response> {
    receive(&state, &ctx, &headers, request).await
}

async fn receive(
    state: &AppState,
    ctx: &RequestContext,
    headers: &HeaderMap,
    request: Request,
) -> ApiResult<Response> {
    let bytes = read_json_bytes(request).await?;
    if bytes.len() > MAX_CALLBACK_BYTES {
        return Err(AppError::payload_too_large());
    }
    callback::receive(state, headers, ctx.client_ip, &bytes, &ctx.request_id).await?;
    Ok((
        StatusCode::OK,
        axum::Json(TripayCallbackAck { success: true }),
    )
        .into_response())
}
