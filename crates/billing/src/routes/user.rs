//! Customer routes (billing.md §4.1–§4.5).

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use platform::auth::AuthUser;
use platform::extract::{StrictQuery, parse_json_body, path_uuid, read_json_bytes};
use platform::http::{Created, Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::Paginated;
use platform::{ApiResult, AppError};

use super::bodies::{
    ChannelsQuery, CreateBody, CreateInvoiceRequest, InvoiceStatusName, PayBody, PayInvoiceRequest,
    UserListQuery,
};
use crate::domain::errors;
use crate::flows::invoices::{self, Requester};
use crate::flows::pay::{self, PayRequest, Payer};
use crate::state::AppState;
use crate::store;
use crate::views::{
    ChannelView, CreatedInvoice, InvoiceDetail, InvoiceView, PayView, PaymentBlock,
    available_channels,
};

/// `RATE_LIMIT_USER_PER_MIN` on every user route (platform §7).
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

/// The channels for an invoice's amount, or `[]` when Tripay cannot be reached: issuing an
/// invoice never fails because of Tripay (§4.1).
pub async fn channels_for(state: &AppState, amount: i64) -> Vec<ChannelView> {
    match state.channels.get().await {
        Ok(list) => available_channels(&list, Some(amount)),
        Err(_) => Vec::new(),
    }
}

/// 201 with `Location` for a new invoice, 200 for an existing one.
pub fn created_response<I: serde::Serialize>(
    id: uuid::Uuid,
    body: CreatedInvoice<I>,
    created: bool,
) -> Response {
    if created {
        Created {
            location: format!("/api/v1/billing/invoices/{id}"),
            body,
        }
        .into_response()
    } else {
        Data(body).into_response()
    }
}

/// Issues an invoice for one of the caller's orders awaiting payment, or returns the order's
/// pending or paid invoice (billing.md §4.1).
#[utoipa::path(post, path = "/api/v1/billing/invoices", tag = "invoices", operation_id = "createInvoice",
    security(("bearerAuth" = [])),
    request_body = CreateInvoiceRequest,
    responses(
        (status = 201, description = "Issued; `Location` names the invoice. `availableChannels` is `[]` when Tripay cannot be reached", body = DataBody<CreatedInvoice<InvoiceView>>,
            headers(("Location" = String, description = "/api/v1/billing/invoices/{id}"))),
        (status = 200, description = "The order's existing PENDING or PAID invoice", body = DataBody<CreatedInvoice<InvoiceView>>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ORDER_ACCESS_DENIED`", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`ORDER_NOT_PAYABLE` (`details.currentStatus`; `details.reason` = `PAYMENT_DEADLINE_PASSED`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 422, description = "`INVALID_ORDER_AMOUNT`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
        (status = 503, description = "`ORDER_SERVICE_UNAVAILABLE`", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    request: Request,
) -> ApiResult<Response> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let bytes = read_json_bytes(request).await?;
    let body: CreateBody = parse_json_body(&bytes)?;
    let (invoice, created) = invoices::create(
        &state,
        body.order_id,
        Requester::Customer(&claims.sub),
        &ctx.request_id,
    )
    .await?;
    let body = CreatedInvoice {
        invoice: InvoiceView::from(&invoice),
        available_channels: channels_for(&state, invoice.amount).await,
    };
    Ok(created_response(invoice.id, body, created))
}

/// The caller's own invoices, newest first (billing.md §4.2).
#[utoipa::path(get, path = "/api/v1/billing/invoices", tag = "invoices", operation_id = "listInvoices",
    security(("bearerAuth" = [])),
    params(
        PageParams,
        ("status" = inline(Option<InvoiceStatusName>), Query, description = "Only invoices in this status"),
        ("orderId" = Option<Uuid>, Query, description = "Only the invoices of this order"),
    ),
    responses(
        (status = 200, description = "A page of invoices", body = Paginated<InvoiceView>,
            links(
                ("getFirstInvoice" = (operation_id = "getInvoice", parameters(("id" = "$response.body#/data/0/id")),
                    description = "The first invoice of the page")),
                ("payFirstInvoice" = (operation_id = "payInvoice", parameters(("id" = "$response.body#/data/0/id")),
                    description = "Pay the first invoice of the page")),
            )),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    StrictQuery(q): StrictQuery<UserListQuery>,
) -> ApiResult<Paginated<InvoiceView>> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let order_id = q.order_id.map(|id| id.to_string());
    let (rows, total) = store::invoices::list_for_user(
        &state.pool,
        &claims.sub,
        q.status.map(|s| s.as_str()),
        order_id.as_deref(),
        q.page.limit(),
        q.page.offset(),
    )
    .await?;
    let items = rows.iter().map(InvoiceView::from).collect();
    Ok(Paginated::new(items, q.page, total))
}

/// One of the caller's invoices with its active transaction and payment instructions
/// (billing.md §4.3); no call to Tripay.
#[utoipa::path(get, path = "/api/v1/billing/invoices/{id}", tag = "invoices", operation_id = "getInvoice",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice; `payment` is `null` unless it is PENDING with an active transaction", body = DataBody<InvoiceDetail>),
        (status = 400, description = "`VALIDATION_ERROR` (id is not a UUID, or a query parameter)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`INVOICE_ACCESS_DENIED`", body = ErrorBody),
        (status = 404, description = "`INVOICE_NOT_FOUND`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    Path(raw_id): Path<String>,
    StrictQuery(platform::extract::NoQuery): StrictQuery<platform::extract::NoQuery>,
) -> ApiResult<Data<InvoiceDetail>> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let id = path_uuid("id", &raw_id)?;
    let invoice = invoices::owned(&state, id, &claims.sub).await?;
    Ok(Data(InvoiceDetail {
        invoice: InvoiceView::from(&invoice),
        payment: PaymentBlock::of(&invoice),
    }))
}

/// Starts (or reuses) a Tripay closed-payment transaction on the chosen channel
/// (billing.md §4.4). Instruction steps may contain simple HTML; sanitize before rendering.
#[utoipa::path(post, path = "/api/v1/billing/invoices/{id}/pay", tag = "invoices", operation_id = "payInvoice",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    request_body = PayInvoiceRequest,
    responses(
        (status = 200, description = "The invoice and its active transaction (new, or reused on the same channel)", body = DataBody<PayView>),
        (status = 400, description = "`VALIDATION_ERROR` (the body, including a `returnUrl` outside `CUSTOMER_WEB_BASE_URL`), `BAD_REQUEST`; `PAYMENT_CHANNEL_INVALID` for an unknown channel, decided only after ownership (403/404), status and deadline (409)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 402, description = "`PAYMENT_FAILED`: Tripay refused the transaction (`details.gatewayMessage`)", body = ErrorBody),
        (status = 403, description = "`INVOICE_ACCESS_DENIED`: another user's invoice, whatever the channel", body = ErrorBody),
        (status = 404, description = "`INVOICE_NOT_FOUND`, whatever the channel", body = ErrorBody),
        (status = 409, description = "`INVOICE_ALREADY_PAID`, `INVOICE_EXPIRED` (also a deadline that has just passed: the invoice is expired on the spot), `INVALID_INVOICE_STATUS` (`details.currentStatus`); answered before the channel is checked", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 422, description = "`PAYMENT_CHANNEL_NOT_AVAILABLE` (`details.reason`: `NOT_ACTIVE`, `AMOUNT_OUT_OF_RANGE`, `EXPIRY_TOO_SHORT`)", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
        (status = 502, description = "`GATEWAY_ERROR`: Tripay answered 5xx or an unreadable body", body = ErrorBody),
        (status = 503, description = "`GATEWAY_ERROR`: Tripay unreachable or timed out, or no channel list", body = ErrorBody),
    ))]
pub async fn pay(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    Path(raw_id): Path<String>,
    request: Request,
) -> ApiResult<Data<PayView>> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let id = path_uuid("id", &raw_id)?;
    let bytes = read_json_bytes(request).await?;
    let body: PayBody = parse_json_body(&bytes)?;
    // The `returnUrl` prefix is one of §4.4's field rules (next to `customerName` and
    // `customerPhone`), so it is body validation and answered first, like every other
    // `VALIDATION_ERROR`. The channel is not: `PAYMENT_CHANNEL_INVALID` is behaviour step 3 and
    // comes after ownership, status and the deadline, inside the flow.
    if let Some(url) = &body.return_url
        && !url.starts_with(&state.config.customer_web_base_url)
    {
        return Err(AppError::invalid_field(
            "returnUrl",
            format!(
                "returnUrl harus diawali {}",
                state.config.customer_web_base_url
            ),
        ));
    }
    let invoice = pay::pay(
        &state,
        id,
        Payer {
            sub: &claims.sub,
            email: &claims.email,
        },
        PayRequest {
            channel: body.channel,
            customer_name: body.customer_name,
            customer_phone: body.customer_phone,
            return_url: body.return_url,
        },
        &ctx.request_id,
    )
    .await?;
    Ok(Data(PayView {
        payment: PaymentBlock::active(&invoice),
        invoice: InvoiceView::from(&invoice),
    }))
}

/// The Tripay channels that are mapped and active, optionally for one amount (billing.md §4.5).
#[utoipa::path(get, path = "/api/v1/billing/payment-channels", tag = "invoices", operation_id = "listPaymentChannels",
    security(("bearerAuth" = [])),
    params(("amount" = Option<i64>, Query, minimum = 1, description = "IDR; drops channels whose range excludes it and fills `estimatedFee`")),
    responses(
        (status = 200, description = "The available channels", body = DataBody<Vec<ChannelView>>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
        (status = 503, description = "`GATEWAY_ERROR`: Tripay unreachable and no usable cached list", body = ErrorBody),
    ))]
pub async fn payment_channels(
    State(state): State<AppState>,
    ctx: RequestContext,
    AuthUser(claims): AuthUser,
    StrictQuery(q): StrictQuery<ChannelsQuery>,
) -> ApiResult<Data<Vec<ChannelView>>> {
    user_limit(&state, &ctx, &claims.sub).await?;
    let list = state
        .channels
        .get()
        .await
        .map_err(|_| errors::gateway_error(StatusCode::SERVICE_UNAVAILABLE))?;
    Ok(Data(available_channels(&list, q.amount)))
}
