//! The simulator's own routes (integrations.md §1.7): status changes with their callbacks, the
//! transaction and delivery logs, fault injection and reset.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tripay::Transaction;

use super::api::failure;
use super::checkout;
use super::state::{self, Fault, Sim};

/// What a control action does to a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Pay,
    Expire,
    Fail,
    Refund,
}

impl Action {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "pay" => Some(Self::Pay),
            "expire" => Some(Self::Expire),
            "fail" => Some(Self::Fail),
            "refund" => Some(Self::Refund),
            _ => None,
        }
    }

    fn status(self) -> &'static str {
        match self {
            Self::Pay => "PAID",
            Self::Expire => "EXPIRED",
            Self::Fail => "FAILED",
            Self::Refund => "REFUND",
        }
    }
}

/// Why a control action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("Transaction not found")]
    NotFound,
    /// The transaction's status does not allow the move (e.g. expiring a paid one).
    #[error("Transaction is {0}")]
    Conflict(String),
}

impl SimError {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
        }
    }
}

/// Applies `action` and sends its callback; `amount` simulates an under- or over-payment.
pub fn apply(
    sim: &Arc<Sim>,
    reference: &str,
    action: Action,
    amount: Option<i64>,
    paid_at: Option<i64>,
) -> Result<Transaction, SimError> {
    let tx = {
        let mut state = sim.lock();
        let Some(tx) = state.transaction_mut(reference) else {
            return Err(SimError::NotFound);
        };
        let allowed = match action {
            Action::Refund => tx.status == "PAID",
            _ => tx.status == "UNPAID",
        };
        if !allowed {
            return Err(SimError::Conflict(tx.status.clone()));
        }
        tx.status = action.status().to_owned();
        if action == Action::Pay {
            tx.paid_at =
                Some(paid_at.unwrap_or_else(|| OffsetDateTime::now_utc().unix_timestamp()));
        }
        tx.clone()
    };
    state::notify(sim, reference, amount);
    Ok(tx)
}

/// Sends the callback of the transaction's current status again.
pub fn resend_for(sim: &Arc<Sim>, reference: &str) -> Result<(), SimError> {
    let known = sim
        .lock()
        .transactions
        .iter()
        .any(|t| t.reference == reference);
    if !known {
        return Err(SimError::NotFound);
    }
    state::notify(sim, reference, None);
    Ok(())
}

/// The checkout page's buttons are plain HTML forms; their browser goes back to the page.
fn from_a_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

pub async fn act(
    State(sim): State<Arc<Sim>>,
    Path((reference, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(action) = Action::parse(&action) else {
        return failure(StatusCode::NOT_FOUND, "Unknown action");
    };
    let form = from_a_form(&headers);
    let options: Value = if form {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or(Value::Null)
    };
    let amount = options["amount"].as_i64();
    let paid_at = options["paidAt"].as_i64();
    let outcome = apply(&sim, &reference, action, amount, paid_at);
    match (outcome, form) {
        (Ok(_), true) => checkout::back_to_page(&reference),
        (Ok(tx), false) => axum::Json(json!({"success": true, "data": tx})).into_response(),
        (Err(e), true) => checkout::refusal_page(&reference, e.status(), &e.to_string()),
        (Err(e), false) => failure(e.status(), &e.to_string()),
    }
}

pub async fn resend(State(sim): State<Arc<Sim>>, Path(reference): Path<String>) -> Response {
    match resend_for(&sim, &reference) {
        Ok(()) => axum::Json(json!({"success": true})).into_response(),
        Err(e) => failure(e.status(), &e.to_string()),
    }
}

pub async fn transactions(State(sim): State<Arc<Sim>>) -> Response {
    let list = serde_json::to_value(&sim.lock().transactions).unwrap_or(Value::Null);
    axum::Json(json!({"data": list})).into_response()
}

pub async fn callbacks(State(sim): State<Arc<Sim>>) -> Response {
    let list = serde_json::to_value(&sim.lock().deliveries).unwrap_or(Value::Null);
    axum::Json(json!({"data": list})).into_response()
}

fn config_view(sim: &Sim) -> Value {
    let state = sim.lock();
    json!({
        "merchantCode": state.config.merchant_code,
        "prefix": state.config.prefix,
        "callbackUrl": state.callback_override.clone().or(state.config.callback_url.clone()),
        "callbackRetrySeconds": state.config.callback_retry.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>(),
        "fault": match state.fault { Fault::None => "none", Fault::ServerError => "server_error", Fault::Timeout => "timeout" },
        "faultCount": state.fault_count,
        "channels": state.config.channels.iter()
            .map(|c| json!({"code": c.listing.code, "active": c.listing.active}))
            .collect::<Vec<_>>(),
    })
}

pub async fn show_config(State(sim): State<Arc<Sim>>) -> Response {
    axum::Json(json!({"data": config_view(&sim)})).into_response()
}

/// `{"fault": "server_error"|"timeout"|"none", "count": N, "channels": {"BRIVA": {"active":
/// false}}, "callbackUrl": "…", "callbackRetrySeconds": [1, 1]}`.
pub async fn update_config(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let Ok(Value::Object(change)) = serde_json::from_slice::<Value>(&body) else {
        return failure(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    {
        let mut state = sim.lock();
        if let Some(fault) = change.get("fault") {
            let parsed = match fault.as_str() {
                Some("none") => Fault::None,
                Some("server_error") => Fault::ServerError,
                Some("timeout") => Fault::Timeout,
                _ => {
                    return failure(
                        StatusCode::BAD_REQUEST,
                        "fault must be none, server_error or timeout",
                    );
                }
            };
            state.fault = parsed;
            state.fault_count = change
                .get("count")
                .and_then(Value::as_u64)
                .map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX));
        }
        if let Some(Value::Object(channels)) = change.get("channels") {
            for (code, setting) in channels {
                let Some(active) = setting["active"].as_bool() else {
                    continue;
                };
                match state
                    .config
                    .channels
                    .iter_mut()
                    .find(|c| &c.listing.code == code)
                {
                    Some(channel) => channel.listing.active = active,
                    None => {
                        return failure(
                            StatusCode::BAD_REQUEST,
                            &format!("Unknown channel {code}"),
                        );
                    }
                }
            }
        }
        if let Some(url) = change.get("callbackUrl") {
            state.callback_override = url.as_str().map(str::to_owned);
        }
        if let Some(Value::Array(delays)) = change.get("callbackRetrySeconds") {
            state.config.callback_retry = delays
                .iter()
                .filter_map(Value::as_f64)
                .filter(|s| *s >= 0.0)
                .map(Duration::from_secs_f64)
                .collect();
        }
    }
    axum::Json(json!({"data": config_view(&sim)})).into_response()
}

pub async fn reset(State(sim): State<Arc<Sim>>) -> Response {
    sim.reset();
    axum::Json(json!({"success": true})).into_response()
}
