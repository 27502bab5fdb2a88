//! The Bot API as the simulator answers it (integrations.md §3): `/bot<token>/<method>` with
//! parameters from the query string, a JSON body or a form body, as Telegram takes them.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::config::parse_chat_id;
use super::html::{self, Parsed};
use super::state::{Chat, ChatMode, SentMessage, Sim};

/// Telegram's limit on a message's text after entity parsing.
pub const MAX_TEXT_CHARS: usize = 4096;
/// Telegram's overall send limit per bot and second.
const GLOBAL_PER_SECOND: u32 = 30;

pub fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

/// Telegram's error envelope; `parameters` carries `retry_after` or `migrate_to_chat_id`.
pub fn fail(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({"ok": false, "error_code": code, "description": description});
    if let Some(parameters) = parameters {
        body["parameters"] = parameters;
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    (status, axum::Json(body)).into_response()
}

fn bad_request(description: &str) -> Response {
    fail(400, &format!("Bad Request: {description}"), None)
}

pub async fn not_found() -> Response {
    fail(404, "Not Found", None)
}

/// A method's parameters, whichever way they came; values keep their JSON type when sent as
/// JSON and are strings otherwise, so every accessor takes both.
struct Params(Map<String, Value>);

impl Params {
    /// `Err` is the problem, for a 400 `Bad Request: …`.
    fn read(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Self, &'static str> {
        let mut map = Map::new();
        if let Some(query) = query {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_str(query).map_err(|_| "can't parse query string")?;
            map.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
        }
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(map));
        }
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(fields)) => map.extend(fields),
                _ => return Err("can't parse JSON object"),
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let pairs: Vec<(String, String)> =
                serde_urlencoded::from_bytes(body).map_err(|_| "can't parse form data")?;
            map.extend(pairs.into_iter().map(|(k, v)| (k, Value::String(v))));
        }
        Ok(Self(map))
    }

    fn string(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn int(&self, name: &str) -> Option<i64> {
        match self.0.get(name)? {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> bool {
        match self.0.get(name) {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => matches!(s.trim(), "true" | "True" | "1"),
            Some(Value::Number(n)) => n.as_i64().is_some_and(|n| n != 0),
            _ => false,
        }
    }

    /// An object or array parameter; form bodies carry them JSON-serialized.
    fn structured(&self, name: &str) -> Option<Value> {
        match self.0.get(name)? {
            Value::String(s) => serde_json::from_str(s).ok(),
            other => Some(other.clone()),
        }
    }
}

/// Whether `token` has the shape of a bot token (`<digits>:<secret>`); Telegram answers 401 to a
/// wrong one of that shape and 404 to anything else.
fn token_shaped(token: &str) -> bool {
    token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !secret.is_empty()
    })
}

pub async fn method(
    State(sim): State<Arc<Sim>>,
    Path((bot, method)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(token) = bot.strip_prefix("bot") else {
        return fail(404, "Not Found", None);
    };
    let expected = sim.lock().config.token.clone();
    if !platform::crypto::secrets_equal(token.as_bytes(), expected.expose().as_bytes()) {
        return if token_shaped(token) {
            fail(401, "Unauthorized", None)
        } else {
            fail(404, "Not Found", None)
        };
    }
    let params = match Params::read(query.as_deref(), &headers, &body) {
        Ok(params) => params,
        Err(problem) => return bad_request(problem),
    };
    // Method names are case-insensitive on Telegram.
    match method.to_ascii_lowercase().as_str() {
        "getme" => ok(bot_user(&sim)),
        "sendmessage" => send_message(&sim, &params),
        "getupdates" => get_updates(&sim, &params).await,
        "deletewebhook" => {
            if params.flag("drop_pending_updates") {
                sim.lock().updates.clear();
            }
            axum::Json(json!({"ok": true, "result": true,
                "description": "Webhook is already deleted"}))
            .into_response()
        }
        _ => fail(404, "Not Found", None),
    }
}

fn bot_user(sim: &Sim) -> Value {
    let state = sim.lock();
    json!({
        "id": state.config.bot_id(),
        "is_bot": true,
        "first_name": state.config.bot_name,
        "username": state.config.bot_username,
        "can_join_groups": true,
        "can_read_all_group_messages": false,
        "supports_inline_queries": false,
    })
}

fn chat_object(chat: &Chat, id: i64) -> Value {
    let kind = if id >= 0 {
        "private"
    } else if chat.id.starts_with("-100") {
        "supergroup"
    } else {
        "group"
    };
    let mut object = json!({"id": id, "type": kind});
    if kind == "private" {
        object["first_name"] = json!(chat.first_name.as_deref().unwrap_or("Pelanggan"));
        if let Some(username) = &chat.username {
            object["username"] = json!(username);
        }
    } else {
        object["title"] = json!("Grup WeBrana");
    }
    object
}

/// `Err` is the whole 400 description.
fn parse_text(text: &str, parse_mode: Option<&str>) -> Result<Parsed, String> {
    match parse_mode.map(str::to_ascii_lowercase).as_deref() {
        None => Ok(Parsed {
            text: text.to_owned(),
            entities: Vec::new(),
        }),
        Some("html") => html::parse(text),
        // Accepted unchecked: the platform only sends HTML (notification.md §3).
        Some("markdown" | "markdownv2") => Ok(Parsed {
            text: text.to_owned(),
            entities: Vec::new(),
        }),
        Some(_) => Err("Bad Request: unsupported parse_mode".to_owned()),
    }
}

fn send_message(sim: &Sim, params: &Params) -> Response {
    let Some(raw_chat) = params.string("chat_id").filter(|c| !c.trim().is_empty()) else {
        return bad_request("chat_id is empty");
    };
    let text = params.string("text").unwrap_or_default();
    if text.is_empty() {
        return bad_request("message text is empty");
    }
    let parse_mode = params.string("parse_mode").filter(|m| !m.trim().is_empty());
    let link_preview_disabled = params.flag("disable_web_page_preview")
        || params
            .structured("link_preview_options")
            .is_some_and(|o| o["is_disabled"] == Value::Bool(true));

    let now = OffsetDateTime::now_utc();
    let mut state = sim.lock();
    let accept_any = state.config.accept_any_chat;
    let Some(chat_id) = parse_chat_id(&raw_chat) else {
        return bad_request("chat not found");
    };
    let key = chat_id.to_string();
    if accept_any {
        state
            .chats
            .entry(key.clone())
            .or_insert_with(|| Chat::new(&key));
    }
    let Some(chat) = state.chats.get_mut(&key) else {
        return bad_request("chat not found");
    };
    match chat.mode {
        ChatMode::Ok => {}
        ChatMode::Blocked => return fail(403, "Forbidden: bot was blocked by the user", None),
        ChatMode::Deactivated => return fail(403, "Forbidden: user is deactivated", None),
        ChatMode::Kicked => {
            return fail(403, "Forbidden: bot was kicked from the group chat", None);
        }
        ChatMode::Migrated => {
            let to = chat
                .migrate_to_chat_id
                .unwrap_or_else(|| -1_000_000_000_000 - chat_id.abs());
            return fail(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                Some(json!({"migrate_to_chat_id": to})),
            );
        }
        ChatMode::Flood => {
            let after = chat.retry_after;
            chat.flood_left = chat.flood_left.saturating_sub(1);
            if chat.flood_left == 0 {
                chat.mode = ChatMode::Ok;
            }
            return too_many(after);
        }
    }
    if state.flood_left > 0 {
        state.flood_left -= 1;
        return too_many(state.retry_after);
    }
    if state.config.rate_limits {
        let second = now.unix_timestamp();
        if state.chat_windows.get(&key) == Some(&second) {
            return too_many(1);
        }
        if state.window.0 == second && state.window.1 >= GLOBAL_PER_SECOND {
            return too_many(1);
        }
    }
    let parsed = match parse_text(&text, parse_mode.as_deref()) {
        Ok(parsed) => parsed,
        Err(description) => return fail(400, &description, None),
    };
    if parsed.text.trim().is_empty() {
        return bad_request("message text is empty");
    }
    if parsed.text.chars().count() > MAX_TEXT_CHARS {
        return bad_request("message is too long");
    }
    if state.config.rate_limits {
        let second = now.unix_timestamp();
        state.chat_windows.insert(key.clone(), second);
        state.window = if state.window.0 == second {
            (second, state.window.1 + 1)
        } else {
            (second, 1)
        };
    }
    let Some(chat) = state.chats.get_mut(&key) else {
        return bad_request("chat not found");
    };
    chat.last_message_id += 1;
    let message_id = chat.last_message_id;
    let chat_json = chat_object(chat, chat_id);
    let id = state.messages.last().map_or(1, |m| m.id + 1);
    let date = now.unix_timestamp();
    state.messages.push(SentMessage {
        id,
        chat_id: key,
        message_id,
        text,
        plain_text: parsed.text.clone(),
        entities: parsed.entities.clone(),
        parse_mode,
        disable_notification: params.flag("disable_notification"),
        protect_content: params.flag("protect_content"),
        link_preview_disabled,
        date,
        sent_at: now,
    });
    let from = json!({"id": state.config.bot_id(), "is_bot": true,
        "first_name": state.config.bot_name, "username": state.config.bot_username});
    drop(state);
    let mut result = json!({
        "message_id": message_id,
        "from": from,
        "chat": chat_json,
        "date": date,
        "text": parsed.text,
    });
    if !parsed.entities.is_empty() {
        result["entities"] = json!(parsed.entities);
    }
    if link_preview_disabled {
        result["link_preview_options"] = json!({"is_disabled": true});
    }
    ok(result)
}

fn too_many(retry_after: u32) -> Response {
    fail(
        429,
        &format!("Too Many Requests: retry after {retry_after}"),
        Some(json!({"retry_after": retry_after})),
    )
}

/// Long polling: answers as soon as an update at or after `offset` exists, or after `timeout`
/// seconds (capped) with an empty list. A newer `getUpdates` ends a waiting one with 409, as on
/// Telegram when two bot instances poll.
async fn get_updates(sim: &Sim, params: &Params) -> Response {
    let offset = params.int("offset");
    let limit = params.int("limit").unwrap_or(100).clamp(1, 100);
    let limit = usize::try_from(limit).unwrap_or(100);
    let wants_messages = match params.structured("allowed_updates") {
        Some(Value::Array(kinds)) if !kinds.is_empty() => {
            kinds.iter().any(|k| k.as_str() == Some("message"))
        }
        _ => true,
    };
    let (generation, max_poll) = {
        let mut state = sim.lock();
        state.poll_generation += 1;
        if let Some(offset) = offset {
            state.confirm(offset);
        }
        (state.poll_generation, state.config.max_poll)
    };
    // Wakes the poll this one replaces, so that it can give up with 409.
    sim.arrived.notify_waiters();
    let wait =
        Duration::from_secs(params.int("timeout").unwrap_or(0).max(0).unsigned_abs()).min(max_poll);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let notified = sim.arrived.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let state = sim.lock();
            if state.poll_generation != generation {
                return fail(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                    None,
                );
            }
            let ready: Vec<Value> = if wants_messages {
                state
                    .updates
                    .iter()
                    .take(limit)
                    .map(|u| json!({"update_id": u.update_id, "message": u.message}))
                    .collect()
            } else {
                Vec::new()
            };
            if !ready.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok(Value::Array(ready));
            }
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shapes() {
        assert!(token_shaped("123:abc"));
        assert!(!token_shaped("abc"));
        assert!(!token_shaped(":abc"));
        assert!(!token_shaped("12a:abc"));
        assert!(!token_shaped("123:"));
    }
}
