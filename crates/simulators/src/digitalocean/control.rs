//! `/_sim/` control routes: inspect droplets, force a status, reset, inject faults.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{Fault, FaultKind, Sim, State as SimState, Status};
use super::wire;

type Shared = State<Arc<Sim>>;

/// `GET /_sim/droplets`: every droplet, vanished ones included, each with a `_sim` block
/// (behaviour, forced status, the `user_data` the client sent), plus the number of creates.
pub(crate) async fn droplets(State(sim): Shared) -> Response {
    let state = sim.lock();
    let now = Instant::now();
    let droplets: Vec<Value> = state
        .droplets
        .values()
        .map(|d| {
            let mut v = wire::droplet(d, d.status(now, &state.settings), &sim.startup);
            let b = d.behaviour;
            let markers: Vec<&str> = [
                (b.errored, "errored"),
                (b.never_active, "never-active"),
                (b.vanish, "vanish"),
                (b.slow_create, "slow-create"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            v["_sim"] = json!({
                "behaviour": markers,
                "vanished": !d.visible(),
                "forced_status": d.forced.map(Status::as_str),
                "user_data": d.user_data,
            });
            v
        })
        .collect();
    Json(json!({
        "droplets": droplets,
        "meta": { "total": droplets.len(), "creates": state.creates }
    }))
    .into_response()
}

/// `POST /_sim/droplets/{id}/status` with `{"status": "active" | "new" | "off" | "archive" |
/// "errored" | null}`: forces what reads report (`null` returns to the normal lifecycle).
pub(crate) async fn force_status(
    State(sim): Shared,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        status: Option<String>,
    }
    let forced = match serde_json::from_slice::<Body>(&body) {
        Ok(Body { status: None }) => None,
        Ok(Body { status: Some(raw) }) => match Status::parse(&raw) {
            Some(status) => Some(status),
            None => return control_error(&sim, StatusCode::BAD_REQUEST, "unknown status"),
        },
        Err(e) => return control_error(&sim, StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let mut state = sim.lock();
    let Some(droplet) = id
        .parse()
        .ok()
        .and_then(|id: i64| state.droplets.get_mut(&id))
    else {
        let request_id = state.request_id();
        return wire::error(
            StatusCode::NOT_FOUND,
            "not_found",
            wire::NOT_FOUND,
            request_id,
        );
    };
    droplet.forced = forced;
    let droplet = droplet.clone();
    // A forced status may complete the create action.
    state.settle(Instant::now());
    let status = droplet.status(Instant::now(), &state.settings);
    Json(json!({ "droplet": wire::droplet(&droplet, status, &sim.startup) })).into_response()
}

/// `POST /_sim/reset`: back to the startup state, random generator included.
pub(crate) async fn reset(State(sim): Shared) -> Response {
    sim.reset();
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /_sim/config` body; every field optional.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigPatch {
    /// `server_error`, `service_unavailable`, `timeout`, `malformed_body`, or `none` to clear.
    fault: Option<String>,
    /// Calls the fault applies to (default 1).
    count: Option<u32>,
    per_minute_budget: Option<u32>,
    active_after_ms: Option<u64>,
    nonstandard_errored: Option<bool>,
    slow_create_delay_ms: Option<u64>,
    /// How long a `timeout` fault holds the answer.
    timeout_hold_ms: Option<u64>,
    /// Tags added to the next create only.
    next_create_tags: Option<Vec<String>>,
}

/// `POST /_sim/config`: changes run-time settings and injects faults for the next N API calls;
/// answers the resulting configuration. `GET` shows it.
pub(crate) async fn update_config(State(sim): Shared, body: Bytes) -> Response {
    let patch = match serde_json::from_slice::<ConfigPatch>(&body) {
        Ok(patch) => patch,
        Err(e) => return control_error(&sim, StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let fault = match patch.fault.as_deref() {
        None => None,
        Some("none") => Some(None),
        Some(raw) => match FaultKind::parse(raw) {
            Some(kind) => Some(Some(Fault {
                kind,
                remaining: patch.count.unwrap_or(1),
            })),
            None => return control_error(&sim, StatusCode::BAD_REQUEST, "unknown fault"),
        },
    };
    let mut state = sim.lock();
    if let Some(fault) = fault {
        state.fault = fault.filter(|f| f.remaining > 0);
    }
    let s = &mut state.settings;
    if let Some(budget) = patch.per_minute_budget {
        s.per_minute_budget = budget;
    }
    if let Some(ms) = patch.active_after_ms {
        s.active_after = Duration::from_millis(ms);
    }
    if let Some(flag) = patch.nonstandard_errored {
        s.nonstandard_errored = flag;
    }
    if let Some(ms) = patch.slow_create_delay_ms {
        s.slow_create_delay = Duration::from_millis(ms);
    }
    if let Some(ms) = patch.timeout_hold_ms {
        s.timeout_hold = Duration::from_millis(ms);
    }
    if let Some(tags) = patch.next_create_tags {
        state.next_create_tags = tags;
    }
    Json(config_view(&state)).into_response()
}

pub(crate) async fn show_config(State(sim): Shared) -> Response {
    Json(config_view(&sim.lock())).into_response()
}

fn config_view(state: &SimState) -> Value {
    let s = &state.settings;
    json!({
        "seed": state.seed,
        "fault": state.fault.map(|f| json!({ "kind": f.kind.as_str(), "remaining": f.remaining })),
        "per_minute_budget": s.per_minute_budget,
        "active_after_ms": s.active_after.as_millis() as u64,
        "nonstandard_errored": s.nonstandard_errored,
        "slow_create_delay_ms": s.slow_create_delay.as_millis() as u64,
        "timeout_hold_ms": s.timeout_hold.as_millis() as u64,
        "next_create_tags": state.next_create_tags,
    })
}

fn control_error(sim: &Sim, status: StatusCode, message: &str) -> Response {
    let request_id = sim.lock().request_id();
    wire::error(status, "bad_request", message, request_id)
}
