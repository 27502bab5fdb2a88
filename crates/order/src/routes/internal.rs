//! Internal routes (§4.4–§4.8): API key or admin JWT.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use platform::auth::AdminCaller;
use platform::extract::{NoQuery, ReasonBody, StrictJson, StrictQuery, path_uuid};
use platform::http::{Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody, PageParams, ReasonRequest};
use platform::pagination::Paginated;
use platform::{ApiResult, AppError};

use super::bodies::{AdminListQuery, OrderStatusName, PaymentBody, PaymentStatusRequest};
use crate::domain::status::Actor;
use crate::domain::views::{AdminOrderView, OrderSummary, PaymentStatusView};
use crate::flows::admin;
use crate::flows::payment::{self, PaymentUpdate};
use crate::state::AppState;
use crate::store::orders::{self, ListFilter};

/// How far in the future a `paidAt` may be (clock skew between gateway and us).
const PAID_AT_SKEW: time::Duration = time::Duration::minutes(5);

/// Billing's payment instruction: `PAID` moves a pending order to `PAID` and starts
/// provisioning, `PAYMENT_FAILED` cancels it; replays answer the first result (order.md §4.4).
#[utoipa::path(post, path = "/api/v1/internal/orders/{id}/payment-status", tag = "internal",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Order id"),
        ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, pattern = r"^[ -~]*$",
            description = "1–200 printable ASCII characters; a replay with the same key answers the first result"),
    ),
    request_body = PaymentStatusRequest,
    responses(
        (status = 200, description = "Applied, or replayed (`replayed: true`)", body = DataBody<PaymentStatusView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`PAYMENT_STATUS_CONFLICT`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn payment_status(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    StrictJson(body): StrictJson<PaymentBody>,
) -> ApiResult<Data<PaymentStatusView>> {
    let id = path_uuid("id", &raw_id)?;
    let key = idempotency_key(&headers)?;
    if body.paid_at.is_some_and(|t| t > state.now() + PAID_AT_SKEW) {
        return Err(AppError::invalid_field(
            "paidAt",
            "paidAt tidak boleh lebih dari 5 menit di masa depan",
        ));
    }
    let update = PaymentUpdate {
        event: body.event,
        reference: body.reference,
        paid_at: body.paid_at,
        notes: body.notes,
    };
    let actor = Actor::from_identity(&caller.identity);
    Ok(Data(
        payment::update(&state, id, &actor, update, key.as_deref(), &ctx.request_id).await?,
    ))
}

/// Every order, for the back office and the reconciliation jobs (order.md §4.5).
#[utoipa::path(get, path = "/api/v1/internal/orders", tag = "internal", operation_id = "adminListOrders",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("status" = inline(Option<OrderStatusName>), Query, description = "Only orders in this status"),
        ("userId" = Option<String>, Query, max_length = 128, description = "Only this user's orders"),
        ("expiresBefore" = Option<String>, Query, format = DateTime, description = "Only orders whose service period ends before this instant"),
    ),
    responses(
        (status = 200, description = "A page of order summaries", body = Paginated<OrderSummary>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(q): StrictQuery<AdminListQuery>,
) -> ApiResult<Paginated<OrderSummary>> {
    let filter = ListFilter {
        user_id: q.user_id,
        status: q.status.map(|s| s.as_str()),
        expires_before: q.expires_before,
    };
    let (rows, total) = orders::list(&state.pool, &filter, q.page.limit(), q.page.offset()).await?;
    Ok(Paginated::new(rows, q.page, total))
}

/// An order with its back-office fields: status history, jobs, task internals (order.md §4.6).
#[utoipa::path(get, path = "/api/v1/internal/orders/{id}", tag = "internal", operation_id = "adminGetOrder",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The admin detail", body = DataBody<AdminOrderView>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminOrderView>> {
    let id = path_uuid("id", &raw_id)?;
    Ok(Data(admin::admin_detail(&state, id).await?))
}

/// Cancels an order that has not started provisioning (order.md §4.7).
#[utoipa::path(post, path = "/api/v1/internal/orders/{id}/cancel", tag = "internal",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body(content = ReasonRequest, description = "Optional; an empty body is accepted"),
    responses(
        (status = 200, description = "Canceled", body = DataBody<AdminOrderView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`ORDER_STATUS_CONFLICT`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictJson(ReasonBody(reason)): StrictJson<ReasonBody>,
) -> ApiResult<Data<AdminOrderView>> {
    let id = path_uuid("id", &raw_id)?;
    let actor = Actor::from_identity(&caller.identity);
    Ok(Data(
        admin::cancel(&state, id, &actor, reason, &ctx.request_id).await?,
    ))
}

/// Starts a new provisioning attempt for a `FAILED` order (order.md §4.8).
#[utoipa::path(post, path = "/api/v1/internal/orders/{id}/retry-provisioning", tag = "internal",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body(content = ReasonRequest, description = "Optional; an empty body is accepted"),
    responses(
        (status = 202, description = "Provisioning restarts", body = DataBody<AdminOrderView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`ORDER_STATUS_CONFLICT`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn retry_provisioning(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictJson(ReasonBody(reason)): StrictJson<ReasonBody>,
) -> ApiResult<(StatusCode, Data<AdminOrderView>)> {
    let id = path_uuid("id", &raw_id)?;
    let actor = Actor::from_identity(&caller.identity);
    let view = admin::retry_provisioning(&state, id, &actor, reason, &ctx.request_id).await?;
    Ok((StatusCode::ACCEPTED, Data(view)))
}

/// `Idempotency-Key`: optional, 1–200 printable ASCII characters (platform §10.3).
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let invalid = || {
        AppError::invalid_field(
            "Idempotency-Key",
            "Idempotency-Key harus 1-200 karakter ASCII yang dapat dicetak",
        )
    };
    let value = raw.to_str().map_err(|_| invalid())?;
    if value.is_empty()
        || value.len() > 200
        || !value.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    {
        return Err(invalid());
    }
    Ok(Some(value.to_string()))
}
