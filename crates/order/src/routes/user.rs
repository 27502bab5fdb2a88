//! Customer routes (§4.1–§4.3).

use axum::extract::{Path, Request, State};
use platform::ApiResult;
use platform::auth::AuthUser;
use platform::extract::{StrictQuery, parse_json_body, path_uuid, read_json_bytes};
use platform::http::{Created, Data, RequestContext};
use platform::pagination::Paginated;

use super::bodies::{CreateBody, UserListQuery};
use crate::domain::views::{OrderSummary, OrderView};
use crate::flows::{admin, create};
use crate::state::AppState;
use crate::store::orders::{self, ListFilter};

pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    request: Request,
) -> ApiResult<Created<OrderView>> {
    // Counted for every authenticated call, before the body is even read (§4.1 step 1).
    state
        .limiter
        .check(
            &ctx,
            "order-create",
            &claims.sub,
            state.config.order_create_per_min,
        )
        .await?;
    claims.require_verified()?;
    let bytes = read_json_bytes(request).await?;
    let CreateBody(body) = parse_json_body(&bytes)?;
    let order = create::create(&state, &claims.sub, body, &ctx.request_id).await?;
    Ok(Created {
        location: format!("/api/v1/orders/{}", order.id),
        body: order,
    })
}

pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    StrictQuery(q): StrictQuery<UserListQuery>,
) -> ApiResult<Paginated<OrderSummary>> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let filter = ListFilter {
        user_id: Some(claims.sub),
        status: q.status.map(|s| s.as_str()),
        expires_before: None,
    };
    let (rows, total) = orders::list(&state.pool, &filter, q.page.limit(), q.page.offset()).await?;
    Ok(Paginated::new(rows, q.page, total))
}

pub async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    Path(raw_id): Path<String>,
) -> ApiResult<Data<OrderView>> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let id = path_uuid("id", &raw_id)?;
    Ok(Data(admin::user_detail(&state, &claims.sub, id).await?))
}

/// `RATE_LIMIT_USER_PER_MIN` on the other user routes (platform §7).
async fn user_limit(state: &AppState, ctx: &RequestContext, sub: &str) -> ApiResult<()> {
    state
        .limiter
        .check(
            ctx,
            "user",
            sub,
            state.config.common.rate_limit_user_per_min,
        )
        .await
}
