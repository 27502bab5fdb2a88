//! The simulator's own routes (integrations.md §3.5): sent messages, injected user messages,
//! per-chat modes, global faults and reset.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::config::parse_chat_id;
use super::state::{Chat, ChatMode, Incoming, Sim};

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn data(value: Value) -> Response {
    axum::Json(json!({ "data": value })).into_response()
}

/// A chat id given as a JSON number or a string of digits.
fn chat_id_of(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => parse_chat_id(s),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    pub chat_id: Option<String>,
}

pub async fn messages(State(sim): State<Arc<Sim>>, Query(filter): Query<Filter>) -> Response {
    let mut list = sim.lock().messages.clone();
    if let Some(chat) = filter.chat_id.as_deref().and_then(parse_chat_id) {
        let chat = chat.to_string();
        list.retain(|m| m.chat_id == chat);
    }
    data(serde_json::to_value(list).unwrap_or(Value::Null))
}

pub async fn clear_messages(State(sim): State<Arc<Sim>>) -> Response {
    sim.lock().messages.clear();
    data(json!({"cleared": true}))
}

/// Parses `{"chatId", "text", "username"?, "firstName"?, "fromId"?}`.
pub fn incoming(body: &Value) -> Result<Incoming, &'static str> {
    let chat_id = chat_id_of(&body["chatId"]).ok_or("chatId must be a numeric chat id")?;
    let text = body["text"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or("text is required")?;
    let from_id = match &body["fromId"] {
        Value::Null => None,
        other => Some(chat_id_of(other).ok_or("fromId must be a numeric user id")?),
    };
    Ok(Incoming {
        chat_id,
        text: text.to_owned(),
        username: body["username"]
            .as_str()
            .map(|u| u.trim_start_matches('@').to_owned()),
        first_name: body["firstName"].as_str().map(str::to_owned),
        from_id,
    })
}

pub async fn inject(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    match incoming(&body) {
        Ok(message) => {
            let update = sim.inject(message);
            (StatusCode::CREATED, axum::Json(json!({"data": update}))).into_response()
        }
        Err(problem) => refuse(StatusCode::BAD_REQUEST, problem),
    }
}

pub async fn pending_updates(State(sim): State<Arc<Sim>>) -> Response {
    let state = sim.lock();
    axum::Json(json!({
        "data": state.updates,
        "nextUpdateId": state.next_update_id,
    }))
    .into_response()
}

pub async fn chats(State(sim): State<Arc<Sim>>) -> Response {
    let mut list: Vec<Chat> = sim.lock().chats.values().cloned().collect();
    list.sort_by(|a, b| a.id.cmp(&b.id));
    data(serde_json::to_value(list).unwrap_or(Value::Null))
}

/// `{"mode": "ok"|"blocked"|"deactivated"|"kicked"|"flood"|"migrated", "count": N,
/// "retryAfter": s, "migrateToChatId": id}`; the chat becomes known to the bot.
pub async fn set_chat(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(chat_id) = parse_chat_id(&id) else {
        return refuse(StatusCode::BAD_REQUEST, "The chat id must be numeric");
    };
    let body: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(value @ Value::Object(_)) => value,
            _ => return refuse(StatusCode::BAD_REQUEST, "The body must be a JSON object"),
        }
    };
    let mode = match body["mode"].as_str() {
        None => ChatMode::Ok,
        Some(raw) => match ChatMode::parse(raw) {
            Some(mode) => mode,
            None => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "mode must be ok, blocked, deactivated, kicked, flood or migrated",
                );
            }
        },
    };
    let migrate_to = match &body["migrateToChatId"] {
        Value::Null => None,
        other => match chat_id_of(other) {
            Some(id) => Some(id),
            None => return refuse(StatusCode::BAD_REQUEST, "migrateToChatId must be numeric"),
        },
    };
    let chat = set_mode(
        &sim,
        chat_id,
        mode,
        count_of(&body["count"], 1),
        count_of(&body["retryAfter"], 5).max(1),
        migrate_to,
    );
    data(serde_json::to_value(chat).unwrap_or(Value::Null))
}

fn count_of(value: &Value, default: u32) -> u32 {
    value
        .as_u64()
        .map_or(default, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

pub fn set_mode(
    sim: &Sim,
    chat_id: i64,
    mode: ChatMode,
    count: u32,
    retry_after: u32,
    migrate_to: Option<i64>,
) -> Chat {
    let key = chat_id.to_string();
    let mut state = sim.lock();
    let chat = state
        .chats
        .entry(key.clone())
        .or_insert_with(|| Chat::new(&key));
    chat.mode = mode;
    chat.flood_left = if mode == ChatMode::Flood { count } else { 0 };
    chat.retry_after = retry_after;
    chat.migrate_to_chat_id = migrate_to;
    if mode == ChatMode::Flood && count == 0 {
        chat.mode = ChatMode::Ok;
    }
    chat.clone()
}

fn config_view(sim: &Sim) -> Value {
    let state = sim.lock();
    json!({
        "botId": state.config.bot_id(),
        "botUsername": state.config.bot_username,
        "acceptAnyChat": state.config.accept_any_chat,
        "rateLimits": state.config.rate_limits,
        "flood": {"count": state.flood_left, "retryAfter": state.retry_after},
        "maxPollSeconds": state.config.max_poll.as_secs(),
        "nextUpdateId": state.next_update_id,
    })
}

pub async fn show_config(State(sim): State<Arc<Sim>>) -> Response {
    data(config_view(&sim))
}

/// `{"flood": {"count": N, "retryAfter": s}, "acceptAnyChat": bool, "rateLimits": bool}`: the
/// next N `sendMessage` calls to any chat answer 429.
pub async fn update_config(State(sim): State<Arc<Sim>>, body: axum::body::Bytes) -> Response {
    let Ok(Value::Object(change)) = serde_json::from_slice::<Value>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "The body must be a JSON object");
    };
    {
        let mut state = sim.lock();
        if let Some(flood) = change.get("flood") {
            state.flood_left = count_of(&flood["count"], 1);
            state.retry_after = count_of(&flood["retryAfter"], state.retry_after).max(1);
        }
        if let Some(any) = change.get("acceptAnyChat").and_then(Value::as_bool) {
            state.config.accept_any_chat = any;
        }
        if let Some(limits) = change.get("rateLimits").and_then(Value::as_bool) {
            state.config.rate_limits = limits;
        }
    }
    data(config_view(&sim))
}

pub async fn reset(State(sim): State<Arc<Sim>>) -> Response {
    sim.reset();
    data(json!({"reset": true}))
}
