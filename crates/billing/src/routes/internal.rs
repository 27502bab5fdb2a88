//! Internal routes (billing.md §5.2–§5.7): API key, or admin JWT for the admin routes.

use axum::extract::{Path, Request, State};
use axum::response::Response;
use platform::ApiResult;
use platform::auth::{AdminCaller, ServiceCaller};
use platform::extract::{
    NoBody, NoQuery, ReasonBody, StrictJson, StrictQuery, parse_json_body, path_uuid,
    read_json_bytes,
};
use platform::http::{Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody, PageParams, ReasonRequest};
use platform::pagination::Paginated;

use super::bodies::{
    ChannelFilterName, CreateBody, CreateInvoiceRequest, DateFieldName, EmptyRequest,
    TransactionsQuery,
};
use super::user::{channels_for, created_response};
use crate::flows::admin;
use crate::flows::invoices::{self, Requester};
use crate::state::AppState;
use crate::store::invoices::{AdminFilter, admin_list};
use crate::store::jobs::JobView;
use crate::views::{AdminDetail, CreatedInvoice, InternalInvoiceView, TransactionView};

/// Issues an invoice on behalf of the order service or the back office, without the ownership
/// check (billing.md §5.2).
#[utoipa::path(post, path = "/api/v1/internal/billing/invoices", tag = "internal", operation_id = "internalCreateInvoice",
    security(("apiKey" = [])),
    request_body = CreateInvoiceRequest,
    responses(
        (status = 201, description = "Issued; `Location` names the invoice. `availableChannels` is `[]` when Tripay cannot be reached", body = DataBody<CreatedInvoice<InternalInvoiceView>>,
            headers(("Location" = String, description = "/api/v1/billing/invoices/{id}"))),
        (status = 200, description = "The order's existing PENDING or PAID invoice", body = DataBody<CreatedInvoice<InternalInvoiceView>>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (an API key is required; tokens are not accepted)", body = ErrorBody),
        (status = 404, description = "`ORDER_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`ORDER_NOT_PAYABLE` (`details.currentStatus`; `details.reason` = `PAYMENT_DEADLINE_PASSED`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 422, description = "`INVALID_ORDER_AMOUNT`", body = ErrorBody),
        (status = 503, description = "`ORDER_SERVICE_UNAVAILABLE`", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    ctx: RequestContext,
    _caller: ServiceCaller,
    request: Request,
) -> ApiResult<Response> {
    let bytes = read_json_bytes(request).await?;
    let body: CreateBody = parse_json_body(&bytes)?;
    let (invoice, created) =
        invoices::create(&state, body.order_id, Requester::Internal, &ctx.request_id).await?;
    let body = CreatedInvoice {
        invoice: InternalInvoiceView::from(&invoice),
        available_channels: channels_for(&state, invoice.amount).await,
    };
    Ok(created_response(invoice.id, body, created))
}

/// Every invoice with its order-sync state, for the back office (billing.md §5.3); sorted by the
/// chosen date field, newest first.
#[utoipa::path(get, path = "/api/v1/internal/billing/transactions", tag = "internal", operation_id = "listTransactions",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("status" = Option<String>, Query, pattern = r"^\s*(PENDING|PAID|EXPIRED|CANCELLED)\s*(,\s*(PENDING|PAID|EXPIRED|CANCELLED)\s*)*$", description = "One InvoiceStatus or a comma list, e.g. `PAID,EXPIRED` (exact names; blanks around each are ignored)"),
        ("channel" = inline(Option<ChannelFilterName>), Query, description = "A PaymentChannel or Tripay code (case-insensitive, surrounding whitespace ignored; any other value is a `VALIDATION_ERROR`); matches `paymentChannel` or `paidChannel`"),
        ("from" = Option<String>, Query, format = DateTime, description = "Inclusive; not after `to`"),
        ("to" = Option<String>, Query, format = DateTime, description = "Exclusive"),
        ("dateField" = inline(Option<DateFieldName>), Query, description = "The date `from`, `to` and the order apply to; default `createdAt`"),
        ("userId" = Option<String>, Query, max_length = 128, description = "Only this user's invoices"),
        ("orderId" = Option<String>, Query, max_length = 128, description = "Only this order's invoices"),
        ("search" = Option<String>, Query, max_length = 100, description = "An exact invoice number or Tripay reference"),
    ),
    responses(
        (status = 200, description = "A page of internal invoice objects with `orderSyncStatus` and `lastPaymentStatus`", body = Paginated<TransactionView>,
            links(
                ("getFirstTransaction" = (operation_id = "adminGetInvoice", parameters(("id" = "$response.body#/data/0/id")),
                    description = "The admin detail of the first invoice of the page")),
            )),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
    ))]
pub async fn transactions(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(q): StrictQuery<TransactionsQuery>,
) -> ApiResult<Paginated<TransactionView>> {
    let filter = AdminFilter {
        statuses: q.statuses,
        channel: q
            .channel
            .map(|c| (c.name.to_owned(), c.code.map(str::to_owned))),
        from: q.from,
        to: q.to,
        by_paid_at: q.by_paid_at,
        user_id: q.user_id,
        order_id: q.order_id,
        search: q.search,
    };
    let (rows, total) = admin_list(&state.pool, &filter, q.page.limit(), q.page.offset()).await?;
    let items = rows
        .iter()
        .map(|r| TransactionView {
            invoice: InternalInvoiceView::from(&r.invoice),
            order_sync_status: r.order_sync_status.clone(),
            last_payment_status: r.last_payment_status.clone(),
        })
        .collect();
    Ok(Paginated::new(items, q.page, total))
}

/// An invoice with its payments, the 50 most recent callbacks and its jobs (billing.md §5.4).
#[utoipa::path(get, path = "/api/v1/internal/billing/invoices/{id}", tag = "internal", operation_id = "adminGetInvoice",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The admin detail", body = DataBody<AdminDetail>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`INVOICE_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminDetail>> {
    let id = path_uuid("id", &raw_id)?;
    Ok(Data(admin::detail(&state, id).await?))
}

/// Expires a PENDING invoice now, with the side effects of the expiry task; an EXPIRED one is
/// answered unchanged (billing.md §5.5).
#[utoipa::path(post, path = "/api/v1/internal/billing/invoices/{id}/expire", tag = "internal", operation_id = "expireInvoice",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    request_body(content = ReasonRequest, description = "Optional; an empty body is accepted. The reason is logged"),
    responses(
        (status = 200, description = "Expired, or already was", body = DataBody<InternalInvoiceView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`INVOICE_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`INVOICE_ALREADY_PAID`, `INVALID_INVOICE_STATUS` (CANCELLED)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn expire(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictJson(ReasonBody(reason)): StrictJson<ReasonBody>,
) -> ApiResult<Data<InternalInvoiceView>> {
    let id = path_uuid("id", &raw_id)?;
    let invoice = admin::expire(
        &state,
        id,
        reason.as_deref(),
        &caller.identity,
        &ctx.request_id,
    )
    .await?;
    Ok(Data(InternalInvoiceView::from(&invoice)))
}

/// Cancels a PENDING or EXPIRED invoice; a CANCELLED one is answered unchanged. The order
/// service is not told (billing.md §5.6).
#[utoipa::path(post, path = "/api/v1/internal/billing/invoices/{id}/cancel", tag = "internal", operation_id = "cancelInvoice",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    request_body(content = ReasonRequest, description = "Optional; an empty body is accepted. The reason is stored in `cancelReason`"),
    responses(
        (status = 200, description = "Cancelled, or already was", body = DataBody<InternalInvoiceView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`INVOICE_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`INVOICE_ALREADY_PAID`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictJson(ReasonBody(reason)): StrictJson<ReasonBody>,
) -> ApiResult<Data<InternalInvoiceView>> {
    let id = path_uuid("id", &raw_id)?;
    let invoice = admin::cancel(&state, id, reason.as_deref(), &caller.identity).await?;
    Ok(Data(InternalInvoiceView::from(&invoice)))
}

/// Re-drives the `ORDER_PAID` job of a PAID invoice (created when missing) once an operator has
/// resolved why it died (billing.md §5.7).
#[utoipa::path(post, path = "/api/v1/internal/billing/invoices/{id}/resync-order", tag = "internal", operation_id = "resyncOrder",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Invoice id")),
    request_body(content = EmptyRequest, description = "Optional; empty or `{}`"),
    responses(
        (status = 200, description = "The job, back to `PENDING` (or `RUNNING` right now)", body = DataBody<JobView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`INVOICE_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`INVALID_INVOICE_STATUS` (not PAID; `details.currentStatus`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn resync_order(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: AdminCaller,
    Path(raw_id): Path<String>,
    StrictJson(NoBody): StrictJson<NoBody>,
) -> ApiResult<Data<JobView>> {
    let id = path_uuid("id", &raw_id)?;
    Ok(Data(
        admin::resync_order(&state, id, &caller.identity, &ctx.request_id).await?,
    ))
}
