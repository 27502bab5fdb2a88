//! Customer routes (§4.1–§4.3).

use axum::extract::{Path, Request, State};
use platform::ApiResult;
use platform::auth::AuthUser;
use platform::extract::{StrictQuery, parse_json_body, path_uuid, read_json_bytes};
use platform::http::{Created, Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::Paginated;

use super::bodies::{CreateBody, CreateOrderRequest, OrderStatusName, UserListQuery};
use crate::domain::views::{OrderSummary, OrderView};
use crate::flows::{admin, create};
use crate::state::AppState;
use crate::store::orders::{self, ListFilter};

/// Prices the chosen plan, image and duration (with an optional coupon) from the catalog and
/// creates the order in `PENDING_PAYMENT` (order.md §4.1).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders",
    security(("bearerAuth" = [])),
    request_body = CreateOrderRequest,
    responses(
        (status = 201, description = "Created; `Location` names the order", body = DataBody<OrderView>,
            headers(("Location" = String, description = "/api/v1/orders/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`, `INVALID_PLAN`, `INVALID_IMAGE`, `INVALID_COUPON`, `INVALID_DURATION`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`EMAIL_NOT_VERIFIED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
        (status = 503, description = "`CATALOG_SERVICE_UNAVAILABLE`", body = ErrorBody),
    ))]
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

/// The caller's own orders, newest first (order.md §4.2).
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    security(("bearerAuth" = [])),
    params(PageParams, ("status" = inline(Option<OrderStatusName>), Query, description = "Only orders in this status")),
    responses(
        (status = 200, description = "A page of order summaries", body = Paginated<OrderSummary>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
    ))]
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

/// One of the caller's orders with its pricing, items and provisioning task (order.md §4.3).
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = DataBody<OrderView>),
        (status = 400, description = "`VALIDATION_ERROR` (id is not a UUID)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ORDER_ACCESS_DENIED`", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
    ))]
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
