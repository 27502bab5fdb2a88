//! The simulator's memory: what the bot sent, what users wrote to it, the chats it knows and the
//! faults to answer with.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::config::TelegramSimConfig;
use super::html::{self, Entity};

/// How a chat answers `sendMessage` (integrations.md §3.3, §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ChatMode {
    Ok,
    /// 403 `Forbidden: bot was blocked by the user`.
    Blocked,
    /// 403 `Forbidden: user is deactivated`.
    Deactivated,
    /// 403 `Forbidden: bot was kicked from the group chat`.
    Kicked,
    /// 429 with `retry_after` for the chat's next `count` sends, then `Ok` again.
    Flood,
    /// 400 `group chat was upgraded to a supergroup chat` with `migrate_to_chat_id`.
    Migrated,
}

impl ChatMode {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.to_ascii_lowercase().as_str() {
            "ok" | "none" => Self::Ok,
            "blocked" => Self::Blocked,
            "deactivated" => Self::Deactivated,
            "kicked" => Self::Kicked,
            "flood" => Self::Flood,
            "migrated" => Self::Migrated,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    pub id: String,
    pub mode: ChatMode,
    /// Sends left in `Flood` mode.
    pub flood_left: u32,
    pub retry_after: u32,
    pub migrate_to_chat_id: Option<i64>,
    pub username: Option<String>,
    pub first_name: Option<String>,
    /// Telegram numbers messages per chat.
    #[serde(skip)]
    pub last_message_id: i64,
}

impl Chat {
    pub fn new(id: &str) -> Self {
        Self {
            id: id.to_owned(),
            mode: ChatMode::Ok,
            flood_left: 0,
            retry_after: 5,
            migrate_to_chat_id: None,
            username: None,
            first_name: None,
            last_message_id: 0,
        }
    }
}

/// A message the bot sent, as the inbox shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentMessage {
    /// Position in the inbox, 1 for the first message since the last reset.
    pub id: u64,
    pub chat_id: String,
    /// Telegram's `message_id` (per chat).
    pub message_id: i64,
    /// The text as the bot sent it (with its markup).
    pub text: String,
    /// The text as the user sees it: markup removed, entities decoded.
    pub plain_text: String,
    pub entities: Vec<Entity>,
    pub parse_mode: Option<String>,
    pub disable_notification: bool,
    pub protect_content: bool,
    pub link_preview_disabled: bool,
    /// Unix seconds, as in the Bot API's `date`.
    pub date: i64,
    #[serde(with = "platform::time_format::wire")]
    pub sent_at: OffsetDateTime,
}

/// A user's message waiting for `getUpdates`.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    pub update_id: i64,
    pub message: Value,
}

#[derive(Debug)]
pub struct Inner {
    pub config: TelegramSimConfig,
    pub messages: Vec<SentMessage>,
    /// Updates not yet confirmed by a later `offset`.
    pub updates: Vec<Update>,
    pub next_update_id: i64,
    pub chats: HashMap<String, Chat>,
    /// Global 429s left (`SIM_TELEGRAM_FLOOD_COUNT`, `POST /_sim/config`).
    pub flood_left: u32,
    pub retry_after: u32,
    /// Sends accepted in the current second, overall and per chat (`rate_limits`).
    pub window: (i64, u32),
    pub chat_windows: HashMap<String, i64>,
    /// Bumped by every `getUpdates`: an older poll still waiting ends with 409.
    pub poll_generation: u64,
}

pub struct Sim {
    initial: TelegramSimConfig,
    inner: Mutex<Inner>,
    /// Wakes long polls when an update arrives.
    pub arrived: Notify,
}

impl Sim {
    pub fn new(config: TelegramSimConfig) -> Arc<Self> {
        let first = config.starting_update_id();
        Arc::new(Self {
            inner: Mutex::new(Inner::fresh(config.clone(), first)),
            initial: config,
            arrived: Notify::new(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets messages, updates, chats and faults; update ids keep growing, so a poller's
    /// stored offset stays valid.
    pub fn reset(&self) {
        let mut state = self.lock();
        let next = state.next_update_id;
        *state = Inner::fresh(self.initial.clone(), next);
        drop(state);
        self.arrived.notify_waiters();
    }

    /// Stores a message a user wrote to the bot; the chat now knows the bot.
    pub fn inject(&self, incoming: Incoming) -> Update {
        let mut state = self.lock();
        let chat_id = incoming.chat_id.to_string();
        let chat = state
            .chats
            .entry(chat_id.clone())
            .or_insert_with(|| Chat::new(&chat_id));
        if incoming.username.is_some() {
            chat.username.clone_from(&incoming.username);
        }
        if incoming.first_name.is_some() {
            chat.first_name.clone_from(&incoming.first_name);
        }
        chat.last_message_id += 1;
        let message_id = chat.last_message_id;
        let first_name = incoming
            .first_name
            .clone()
            .unwrap_or_else(|| "Pelanggan".to_owned());
        let mut from = json!({"id": incoming.from_id.unwrap_or(incoming.chat_id),
            "is_bot": false, "first_name": first_name, "language_code": "id"});
        let kind = if incoming.chat_id < 0 {
            "group"
        } else {
            "private"
        };
        let mut chat = json!({"id": incoming.chat_id, "type": kind});
        if kind == "private" {
            chat["first_name"] = json!(first_name);
        } else {
            chat["title"] = json!("Grup WeBrana");
        }
        if let Some(username) = &incoming.username {
            from["username"] = json!(username);
            if kind == "private" {
                chat["username"] = json!(username);
            }
        }
        let mut message = json!({
            "message_id": message_id,
            "from": from,
            "chat": chat,
            "date": OffsetDateTime::now_utc().unix_timestamp(),
            "text": incoming.text,
        });
        let entities = html::command_entities(&incoming.text);
        if !entities.is_empty() {
            message["entities"] = json!(entities);
        }
        let update = Update {
            update_id: state.next_update_id,
            message,
        };
        state.next_update_id += 1;
        state.updates.push(update.clone());
        drop(state);
        self.arrived.notify_waiters();
        update
    }
}

/// A message from a user, injected through `POST /_sim/updates`.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub chat_id: i64,
    pub text: String,
    pub username: Option<String>,
    pub first_name: Option<String>,
    /// The sender; defaults to the chat (a private chat's id is the user's).
    pub from_id: Option<i64>,
}

impl Inner {
    fn fresh(config: TelegramSimConfig, next_update_id: i64) -> Self {
        let mut chats = HashMap::new();
        for id in &config.known_chats {
            chats.insert(id.clone(), Chat::new(id));
        }
        for id in &config.blocked_chats {
            chats
                .entry(id.clone())
                .or_insert_with(|| Chat::new(id))
                .mode = ChatMode::Blocked;
        }
        Self {
            flood_left: config.flood_count,
            retry_after: config.retry_after,
            messages: Vec::new(),
            updates: Vec::new(),
            next_update_id,
            chats,
            window: (0, 0),
            chat_windows: HashMap::new(),
            poll_generation: 0,
            config,
        }
    }

    /// Drops the updates before `offset` (Telegram's confirmation); a negative offset keeps only
    /// the last `-offset` updates.
    pub fn confirm(&mut self, offset: i64) {
        if offset < 0 {
            let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
            let drop = self.updates.len().saturating_sub(keep);
            self.updates.drain(..drop);
        } else {
            self.updates.retain(|u| u.update_id >= offset);
        }
    }
}
