//! `POST /api/v1/internal/notifications/send` (service route, §3).

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use platform::auth::ServiceCaller;
use platform::extract::{FromJson, JsonFields, StrictJson};
use platform::http::{Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody};
use platform::{ApiResult, AppError, FieldError};
use serde::Serialize;
use serde_json::{Map, Value};

use super::bodies::SendRequest as SendBodySchema;
use crate::domain::{Event, data, errors};
use crate::flows::send::{self, SendContext, SendOutcome, SendRequest, Summary};
use crate::state::AppState;

pub struct SendBody {
    event: String,
    user_id: String,
    data: Map<String, Value>,
}

impl FromJson for SendBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let event = f.string("event");
        let user_id = f.string("userId");
        if let Some(id) = &user_id
            && !(1..=128).contains(&id.chars().count())
        {
            f.problem("userId", "userId harus 1–128 karakter");
        }
        let data = match f.opt_value("data") {
            Some(Value::Object(map)) => Some(map),
            Some(_) => {
                f.problem("data", "data harus berupa objek");
                None
            }
            None => {
                f.problem("data", "data wajib diisi");
                None
            }
        };
        Some(Self {
            event: event?,
            user_id: user_id?,
            data: data?,
        })
    }
}

/// `Idempotency-Key`: 1–200 printable ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let valid = raw
        .to_str()
        .ok()
        .filter(|k| (1..=200).contains(&k.len()) && k.bytes().all(|b| (0x20..0x7f).contains(&b)));
    match valid {
        Some(key) => Ok(Some(key.to_owned())),
        None => Err(AppError::validation(vec![FieldError::new(
            "Idempotency-Key",
            "Idempotency-Key harus 1–200 karakter yang dapat dicetak",
        )])),
    }
}

/// The answer of `send`: one entry per channel the event went to.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendAnswer {
    /// The canonical event name (an alias is answered with its event).
    event: &'static str,
    user_id: String,
    /// Empty when no channel applies (e.g. e-mail opted out and no Telegram).
    notifications: Vec<Summary>,
}

/// Accepts a business event: resolves the recipient, renders each channel's template and queues
/// the deliveries, all or nothing (notification.md §3).
#[utoipa::path(post, path = "/api/v1/internal/notifications/send", tag = "notifications", operation_id = "sendNotification",
    security(("apiKey" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "1–200 printable ASCII characters; a repeat within 24 hours answers the first result with 200"),
    ),
    request_body = SendBodySchema,
    responses(
        (status = 202, description = "Accepted and queued", body = DataBody<SendAnswer>),
        (status = 200, description = "A repeat of an `Idempotency-Key` seen within 24 hours: the logs it created, with their current statuses; nothing new is queued", body = DataBody<SendAnswer>),
        (status = 400, description = "`INVALID_NOTIFICATION_EVENT`, `VALIDATION_ERROR` (`details.fields`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (an API key is required; tokens are not accepted)", body = ErrorBody),
        (status = 404, description = "`USER_NOT_FOUND` (unknown or deleted); nothing is stored", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 503, description = "`AUTH_SERVICE_UNAVAILABLE`, `SERVICE_UNAVAILABLE` (database); nothing is stored, retry with the same key", body = ErrorBody),
    ))]
pub async fn send(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    ctx: RequestContext,
    headers: HeaderMap,
    StrictJson(body): StrictJson<SendBody>,
) -> ApiResult<Response> {
    let key = idempotency_key(&headers)?;
    let event = Event::parse(&body.event).ok_or_else(errors::invalid_event)?;
    let problems = data::validate(event, &body.data);
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    let request = SendRequest {
        event,
        user_id: body.user_id,
        data: body.data,
    };
    let context = SendContext {
        request_id: ctx.request_id.clone(),
        idempotency_key: key,
        idempotency_window: Some(send::IDEMPOTENCY_WINDOW),
    };
    let user_id = request.user_id.clone();
    let outcome = send::send(&state, request, context).await?;
    let (status, notifications) = match outcome {
        SendOutcome::Accepted(n) => (StatusCode::ACCEPTED, n),
        SendOutcome::Repeated(n) => (StatusCode::OK, n),
    };
    let answer = SendAnswer {
        event: event.as_str(),
        user_id,
        notifications,
    };
    Ok((status, Data(answer)).into_response())
}
