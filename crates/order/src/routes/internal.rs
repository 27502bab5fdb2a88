//! Internal routes (§4.4–§4.8): API key or admin JWT.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use platform::auth::AdminCaller;
use platform::extract::{NoQuery, StrictJson, StrictQuery, path_uuid};
use platform::http::{Data, RequestContext};
use platform::pagination::Paginated;
use platform::{ApiResult, AppError};

use super::bodies::{AdminListQuery, PaymentBody, ReasonBody};
use crate::domain::status::Actor;
use crate::domain::views::{AdminOrderView, OrderSummary, PaymentStatusView};
use crate::flows::admin;
use crate::flows::payment::{self, PaymentUpdate};
use crate::state::AppState;
use crate::store::orders::{self, ListFilter};

/// How far in the future a `paidAt` may be (clock skew between gateway and us).
const PAID_AT_SKEW: time::Duration = time::Duration::minutes(5);

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

pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminOrderView>> {
    let id = path_uuid("id", &raw_id)?;
    Ok(Data(admin::admin_detail(&state, id).await?))
}

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
