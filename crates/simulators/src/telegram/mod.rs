//! Telegram Bot API simulator (integrations.md §3.5).
//!
//! The Bot API at the root, so notification only changes `TELEGRAM_API_BASE_URL`:
//! `GET|POST /bot<token>/getMe`, `/sendMessage`, `/getUpdates` (long polling with `offset`,
//! `limit`, `timeout`), `/deleteWebhook`; parameters as query, JSON or form body. A wrong token
//! answers 401 `Unauthorized`, a malformed path 404 `Not Found`. `sendMessage` validates the HTML
//! subset (400 `can't parse entities`), the length (400 `message is too long`) and the chat:
//! unknown chats answer 400 `chat not found` until the user writes to the bot (an injected
//! update) or the chat is registered (`SIM_TELEGRAM_CHATS`, `POST /_sim/chats/{id}`).
//!
//! Pages and control routes:
//! - `GET /inbox` (`?chatId=`) — the messages sent, newest first, as a person reads them, with a
//!   form to write to the bot; `POST /inbox/send` is that form.
//! - `GET /_sim/messages` (`?chatId=`) — JSON `{"data": [{id, chatId, messageId, text, plainText,
//!   entities, parseMode, protectContent, disableNotification, linkPreviewDisabled, date,
//!   sentAt}]}`, oldest first; `DELETE /_sim/messages` empties the inbox.
//! - `POST /_sim/updates` — `{"chatId", "text", "username"?, "firstName"?, "fromId"?}`: a user's
//!   message for `getUpdates` (e.g. `/start ABCD2345`); `GET /_sim/updates` the unconfirmed ones.
//! - `GET /_sim/chats`; `POST /_sim/chats/{id}` — `{"mode": "ok"|"blocked"|"deactivated"|
//!   "kicked"|"flood"|"migrated", "count", "retryAfter", "migrateToChatId"}`.
//! - `GET|POST /_sim/config` — `{"flood": {"count", "retryAfter"}, "acceptAnyChat",
//!   "rateLimits"}`: the next `count` sends to any chat answer 429.
//! - `POST /_sim/reset`.

mod api;
mod config;
mod control;
mod html;
mod inbox;
mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

pub use config::{
    DEFAULT_BOT_NAME, DEFAULT_BOT_USERNAME, DEFAULT_MAX_POLL, DEFAULT_PORT, DEFAULT_TOKEN,
    TelegramSimConfig, parse_chat_id,
};
pub use html::Entity;
use state::Sim;
pub use state::{Chat, ChatMode, Incoming, SentMessage, Update};

/// The simulator as a router, with fresh in-memory state.
pub fn router(config: TelegramSimConfig) -> Router {
    router_with_handle(config).0
}

/// The router and a handle on its state, for tests that run the simulator in their own process
/// and drive it without HTTP.
pub fn router_with_handle(config: TelegramSimConfig) -> (Router, TelegramSimHandle) {
    let sim = Sim::new(config);
    let handle = TelegramSimHandle(sim.clone());
    let router = Router::new()
        .route("/inbox", get(inbox::page))
        .route("/inbox/send", post(inbox::send))
        .route(
            "/_sim/messages",
            get(control::messages).delete(control::clear_messages),
        )
        .route(
            "/_sim/updates",
            get(control::pending_updates).post(control::inject),
        )
        .route("/_sim/chats", get(control::chats))
        .route("/_sim/chats/{id}", post(control::set_chat))
        .route(
            "/_sim/config",
            get(control::show_config).post(control::update_config),
        )
        .route("/_sim/reset", post(control::reset))
        .route("/{bot}/{method}", get(api::method).post(api::method))
        .fallback(api::not_found)
        .with_state(sim);
    (router, handle)
}

/// In-process access to a running simulator: the same as the control routes.
#[derive(Clone)]
pub struct TelegramSimHandle(Arc<Sim>);

impl TelegramSimHandle {
    /// Every message the bot sent since the last reset, oldest first.
    pub fn messages(&self) -> Vec<SentMessage> {
        self.0.lock().messages.clone()
    }

    /// The messages sent to `chat_id`.
    pub fn messages_to(&self, chat_id: &str) -> Vec<SentMessage> {
        let chat = parse_chat_id(chat_id).map(|c| c.to_string());
        self.messages()
            .into_iter()
            .filter(|m| Some(&m.chat_id) == chat.as_ref())
            .collect()
    }

    /// Waits until at least `n` messages were sent (tests), returning what is there at the end.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<SentMessage> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A user's message for `getUpdates`; the chat now knows the bot.
    pub fn inject(&self, incoming: Incoming) -> Update {
        self.0.inject(incoming)
    }

    /// Sets how `chat_id` answers sends (`count` and `retry_after` for `Flood`).
    pub fn set_chat_mode(
        &self,
        chat_id: i64,
        mode: ChatMode,
        count: u32,
        retry_after: u32,
    ) -> Chat {
        control::set_mode(&self.0, chat_id, mode, count, retry_after.max(1), None)
    }

    /// The next `count` sends to any chat answer 429 with `retry_after`.
    pub fn flood(&self, count: u32, retry_after: u32) {
        let mut state = self.0.lock();
        state.flood_left = count;
        state.retry_after = retry_after.max(1);
    }

    pub fn reset(&self) {
        self.0.reset();
    }
}

/// Serves the simulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: TelegramSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(
        %addr,
        bot = %config.bot_username,
        "Telegram simulator listening; inbox at http://{addr}/inbox"
    );
    platform::http::serve(listener, router(config), shutdown).await
}
