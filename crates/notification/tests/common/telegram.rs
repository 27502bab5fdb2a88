//! The Telegram Bot API faked at the HTTP level with the wire format of integrations.md §3:
//! `/bot<token>/<method>`, `{"ok": …}` answers, per-chat modes for 403, 400 and 429.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use platform::testing::TestServer;
use serde_json::{Value, json};

pub const BOT_TOKEN: &str = "7000000001:AAHtestTokenForNotificationTests0123";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatMode {
    Ok,
    Blocked,
    /// 429 with this `retry_after` for the next `n` sends.
    Flood {
        retry_after: u64,
        n: u32,
    },
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub body: Value,
    pub at: std::time::Instant,
    pub status: u16,
}

#[derive(Clone, Default)]
struct FakeState {
    chats: Arc<Mutex<HashMap<String, ChatMode>>>,
    sent: Arc<Mutex<Vec<Sent>>>,
    next_id: Arc<Mutex<i64>>,
    /// Updates waiting for `getUpdates`, and the `getUpdates` bodies received.
    updates: Arc<Mutex<Vec<Value>>>,
    polls: Arc<Mutex<Vec<Value>>>,
    webhook_deletes: Arc<Mutex<u32>>,
}

pub struct FakeTelegram {
    pub server: TestServer,
    state: FakeState,
}

impl FakeTelegram {
    pub async fn start() -> Self {
        let state = FakeState::default();
        let router = Router::new().fallback(handle).with_state(state.clone());
        Self {
            server: TestServer::spawn(router).await,
            state,
        }
    }

    pub fn chat(&self, id: &str, mode: ChatMode) {
        if let Ok(mut c) = self.state.chats.lock() {
            c.insert(id.to_string(), mode);
        }
    }

    /// A user's message for the bot, delivered by the next `getUpdates`.
    pub fn inject(&self, update_id: i64, chat: i64, username: &str, text: &str) {
        if let Ok(mut u) = self.state.updates.lock() {
            u.push(
                json!({"update_id": update_id, "message": {"message_id": update_id,
                "from": {"id": chat, "username": username}, "chat": {"id": chat, "type": "private"},
                "date": 1736935260, "text": text}}),
            );
        }
    }

    pub fn polls(&self) -> Vec<Value> {
        self.state
            .polls
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    pub fn webhook_deletes(&self) -> u32 {
        self.state.webhook_deletes.lock().map(|d| *d).unwrap_or(0)
    }

    /// Every `sendMessage` call, accepted or not.
    pub fn calls(&self) -> Vec<Sent> {
        self.state
            .sent
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub fn delivered(&self) -> Vec<Sent> {
        self.calls()
            .into_iter()
            .filter(|s| s.status == 200)
            .collect()
    }
}

fn error(
    status: u16,
    description: &str,
    parameters: Option<Value>,
) -> (StatusCode, axum::Json<Value>) {
    let mut body = json!({"ok": false, "error_code": status, "description": description});
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
}

async fn handle(State(state): State<FakeState>, uri: Uri, body: Bytes) -> impl IntoResponse {
    let path = uri.path().trim_start_matches('/');
    let Some((bot, method)) = path.split_once('/') else {
        return error(404, "Not Found", None);
    };
    if bot != format!("bot{BOT_TOKEN}") {
        return error(401, "Unauthorized", None);
    }
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    match method {
        "getMe" => (
            StatusCode::OK,
            axum::Json(
                json!({"ok": true, "result": {"id": 7000000001i64, "is_bot": true,
                "first_name": "WeBrana Cloud", "username": "webrana_cloud_bot"}}),
            ),
        ),
        "deleteWebhook" => {
            if let Ok(mut d) = state.webhook_deletes.lock() {
                *d += 1;
            }
            (
                StatusCode::OK,
                axum::Json(json!({"ok": true, "result": true})),
            )
        }
        "getUpdates" => {
            if let Ok(mut p) = state.polls.lock() {
                p.push(body);
            }
            let pending: Vec<Value> = state
                .updates
                .lock()
                .map(|mut u| u.drain(..).collect())
                .unwrap_or_default();
            if pending.is_empty() {
                // A short stand-in for Telegram's long poll.
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            (
                StatusCode::OK,
                axum::Json(json!({"ok": true, "result": pending})),
            )
        }
        "sendMessage" => {
            let chat = match &body["chat_id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mode = state.chats.lock().ok().and_then(|c| c.get(&chat).copied());
            let answer = match mode {
                None => error(400, "Bad Request: chat not found", None),
                Some(ChatMode::Blocked) => {
                    error(403, "Forbidden: bot was blocked by the user", None)
                }
                Some(ChatMode::Flood { retry_after, n }) if n > 0 => {
                    if let Ok(mut c) = state.chats.lock() {
                        let next = if n > 1 {
                            ChatMode::Flood {
                                retry_after,
                                n: n - 1,
                            }
                        } else {
                            ChatMode::Ok
                        };
                        c.insert(chat.clone(), next);
                    }
                    error(
                        429,
                        &format!("Too Many Requests: retry after {retry_after}"),
                        Some(json!({"retry_after": retry_after})),
                    )
                }
                Some(_) => {
                    let id = state
                        .next_id
                        .lock()
                        .map(|mut n| {
                            *n += 1;
                            41 + *n
                        })
                        .unwrap_or(42);
                    (
                        StatusCode::OK,
                        axum::Json(json!({"ok": true, "result": {"message_id": id,
                            "date": 1736935260, "chat": {"id": chat.parse::<i64>().unwrap_or(0),
                            "type": "private"}, "text": body["text"]}})),
                    )
                }
            };
            if let Ok(mut s) = state.sent.lock() {
                s.push(Sent {
                    body,
                    at: std::time::Instant::now(),
                    status: answer.0.as_u16(),
                });
            }
            answer
        }
        _ => error(404, "Not Found", None),
    }
}
