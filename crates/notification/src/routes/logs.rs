//! Delivery history (admin, §9 items 5–6).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::auth::AdminCaller;
use platform::extract::{FromQuery, NoQuery, QueryFields, StrictQuery, path_uuid};
use platform::http::Data;
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::{PageQuery, Paginated};
use time::OffsetDateTime;

use super::bodies::{ChannelName, LogStatusName, StoredEventName};
use crate::domain::errors;
use crate::state::AppState;
use crate::store::logs::{self, LogDetail, LogFilter, LogRow};

pub struct ListQuery {
    page: PageQuery,
    filter: LogFilter,
}

fn time_param(q: &mut QueryFields, name: &str) -> Option<OffsetDateTime> {
    let raw = q.string(name)?;
    let parsed = platform::time_format::parse(&raw);
    if parsed.is_none() {
        q.problem(name, format!("{name} harus berupa waktu ISO 8601"));
    }
    parsed
}

impl FromQuery for ListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let user_id = q.string("userId");
        let event = q.one_of(
            "event",
            &[
                "ORDER_CREATED",
                "INVOICE_CREATED",
                "PAYMENT_CONFIRMED",
                "VPS_ACTIVE",
                "PROVISIONING_FAILED",
                "VPS_EXPIRING",
                "EMAIL_VERIFICATION",
                "PASSWORD_RESET",
                "ACCOUNT_SET_PASSWORD",
            ],
        );
        let channel = q.one_of("channel", &["EMAIL", "TELEGRAM"]);
        let status = q.one_of("status", &["QUEUED", "SENT", "FAILED"]);
        let from = time_param(q, "from");
        let to = time_param(q, "to");
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            q.problem("to", "to harus setelah from");
        }
        Some(Self {
            page,
            filter: LogFilter {
                user_id,
                event,
                channel,
                status,
                from,
                to,
            },
        })
    }
}

/// The delivery history, newest first (notification.md §9).
#[utoipa::path(get, path = "/api/v1/internal/notifications/logs", tag = "logs", operation_id = "listLogs",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("userId" = Option<String>, Query, description = "Only this user's logs"),
        ("event" = inline(Option<StoredEventName>), Query, description = "Only this event's logs"),
        ("channel" = inline(Option<ChannelName>), Query, description = "Only this channel's logs"),
        ("status" = inline(Option<LogStatusName>), Query, description = "Only logs in this status"),
        ("from" = Option<String>, Query, format = DateTime, description = "Created at or after; not after `to`"),
        ("to" = Option<String>, Query, format = DateTime, description = "Created at or before; with `from`, not before it (else `VALIDATION_ERROR` on `to`)"),
    ),
    responses(
        (status = 200, description = "A page of logs", body = Paginated<LogRow>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(q): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<LogRow>> {
    let (items, total) =
        logs::list(&state.pool, &q.filter, q.page.limit(), q.page.offset()).await?;
    Ok(Paginated::new(items, q.page, total))
}

/// One log with its redacted content and payload and its delivery references
/// (notification.md §9).
#[utoipa::path(get, path = "/api/v1/internal/notifications/logs/{id}", tag = "logs", operation_id = "getLog",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Log id")),
    responses(
        (status = 200, description = "The log", body = DataBody<LogDetail>),
        (status = 400, description = "`VALIDATION_ERROR` (id is not a UUID, or a query parameter)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`NOTIFICATION_LOG_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Response> {
    let id = path_uuid("id", &id)?;
    let row = logs::get(&state.pool, id)
        .await?
        .ok_or_else(errors::log_not_found)?;
    Ok(Data(row.detail()).into_response())
}
