//! Template routes (admin, §9 items 2–4).

use axum::extract::{Path, State};
use platform::auth::AdminCaller;
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, Patch, QueryFields, StrictJson, StrictQuery,
    path_uuid,
};
use platform::http::Data;
use platform::openapi::{DataBody, ErrorBody};
use platform::{ApiResult, AppError, FieldError};

use super::bodies::{ChannelName, StoredEventName, UpdateTemplateRequest};
use crate::domain::{Channel, Event, errors};
use crate::state::AppState;
use crate::store::templates::{self, TemplateRow, TemplateUpdate};
use crate::templates::check::{self, Candidate};
use crate::templates::defaults::{self, LAYOUT_KEY};

const EVENT_NAMES: [&str; 9] = [
    "ORDER_CREATED",
    "INVOICE_CREATED",
    "PAYMENT_CONFIRMED",
    "VPS_ACTIVE",
    "PROVISIONING_FAILED",
    "VPS_EXPIRING",
    "EMAIL_VERIFICATION",
    "PASSWORD_RESET",
    "ACCOUNT_SET_PASSWORD",
];

pub struct ListQuery {
    channel: Option<String>,
    event: Option<String>,
}

impl FromQuery for ListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let channel = q.one_of("channel", &["EMAIL", "TELEGRAM"]);
        let event = q.one_of("event", &EVENT_NAMES);
        Some(Self { channel, event })
    }
}

/// Every template (both channels and the e-mail `layout`), not paginated (notification.md §9).
#[utoipa::path(get, path = "/api/v1/internal/notifications/templates", tag = "templates", operation_id = "listTemplates",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("channel" = inline(Option<ChannelName>), Query, description = "Only this channel's templates"),
        ("event" = inline(Option<StoredEventName>), Query, description = "Only this event's templates"),
    ),
    responses(
        (status = 200, description = "The templates", body = DataBody<Vec<TemplateRow>>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(q): StrictQuery<ListQuery>,
) -> ApiResult<Data<Vec<TemplateRow>>> {
    let rows = templates::list(&state.pool, q.channel.as_deref(), q.event.as_deref()).await?;
    Ok(Data(rows))
}

/// One template (notification.md §9).
#[utoipa::path(get, path = "/api/v1/internal/notifications/templates/{id}", tag = "templates", operation_id = "getTemplate",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Template id")),
    responses(
        (status = 200, description = "The template", body = DataBody<TemplateRow>),
        (status = 400, description = "`VALIDATION_ERROR` (id is not a UUID, or a query parameter)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`TEMPLATE_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<TemplateRow>> {
    let id = path_uuid("id", &id)?;
    let row = templates::get(&state.pool, id)
        .await?
        .ok_or_else(errors::template_not_found)?;
    Ok(Data(row))
}

pub struct UpdateBody {
    subject: Patch<String>,
    body: Option<String>,
    text_body: Patch<String>,
    is_active: Option<bool>,
}

impl FromJson for UpdateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let subject = f.patch_string("subject");
        let body = f.opt_string("body");
        let text_body = f.patch_string("textBody");
        let is_active = f.opt_bool("isActive");
        if body.as_deref().is_some_and(|b| b.trim().is_empty()) {
            f.problem("body", "body tidak boleh kosong");
        }
        if subject.is_absent() && body.is_none() && text_body.is_absent() && is_active.is_none() {
            f.problem(
                "body",
                "Isi minimal satu dari subject, body, textBody atau isActive",
            );
        }
        Some(Self {
            subject,
            body,
            text_body,
            is_active,
        })
    }
}

/// Edits a template after checking that it still compiles and renders; `version` goes up by one
/// and applies to notifications accepted afterwards (notification.md §9).
#[utoipa::path(put, path = "/api/v1/internal/notifications/templates/{id}", tag = "templates", operation_id = "updateTemplate",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Template id")),
    request_body = UpdateTemplateRequest,
    responses(
        (status = 200, description = "The updated template", body = DataBody<TemplateRow>),
        (status = 400, description = "`VALIDATION_ERROR` (no field, blank `body`, `subject` or `textBody` where the template has none), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`TEMPLATE_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 422, description = "`TEMPLATE_INVALID` (`details.reason`, `line`, `column` when known; `details.unknownVariables`)", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    caller: AdminCaller,
    Path(id): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(edit): StrictJson<UpdateBody>,
) -> ApiResult<Data<TemplateRow>> {
    let id = path_uuid("id", &id)?;
    let current = templates::get(&state.pool, id)
        .await?
        .ok_or_else(errors::template_not_found)?;
    let channel = Channel::parse(&current.channel).unwrap_or(Channel::Email);
    let is_layout = current.key == LAYOUT_KEY;
    let subject = match (&edit.subject, channel) {
        (Patch::Absent, _) => current.subject.clone(),
        (_, Channel::Telegram) => {
            return Err(AppError::validation(vec![FieldError::new(
                "subject",
                "Template Telegram tidak memiliki subject",
            )]));
        }
        (_, Channel::Email) if is_layout => {
            return Err(AppError::validation(vec![FieldError::new(
                "subject",
                "Layout tidak memiliki subject",
            )]));
        }
        (Patch::Null, Channel::Email) => {
            return Err(AppError::validation(vec![FieldError::new(
                "subject",
                "subject wajib diisi untuk template email",
            )]));
        }
        (Patch::Value(s), Channel::Email) => Some(s.clone()),
    };
    let text_body = match edit.text_body {
        Patch::Absent => current.text_body.clone(),
        Patch::Null => None,
        Patch::Value(_) if channel == Channel::Telegram || is_layout => {
            return Err(AppError::validation(vec![FieldError::new(
                "textBody",
                "textBody hanya untuk template email",
            )]));
        }
        Patch::Value(t) => Some(t),
    };
    let body = edit.body.unwrap_or_else(|| current.body.clone());
    let event = current.event.as_deref().and_then(Event::parse);
    let candidate = Candidate {
        key: &current.key,
        channel,
        event,
        subject: subject.as_deref(),
        body: &body,
        text_body: text_body.as_deref(),
        variables: &current.variables,
    };
    let layout = if is_layout {
        body.clone()
    } else {
        templates::find(&state.pool, LAYOUT_KEY, Channel::Email.as_str())
            .await?
            .map_or_else(|| defaults::layout().to_owned(), |t| t.body)
    };
    check::check(&candidate, &layout, &state.config.site())
        .map_err(|invalid| errors::template_invalid(invalid.details()))?;
    let update = TemplateUpdate {
        subject,
        body,
        text_body,
        is_active: edit.is_active.unwrap_or(current.is_active),
        updated_by: caller.identity,
    };
    let row = templates::update(&state.pool, id, &update).await?;
    tracing::info!(template = %row.key, channel = %row.channel, version = row.version, "template updated");
    Ok(Data(row))
}
