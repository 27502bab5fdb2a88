//! Telegram chat linking through the bot (notification.md §7.3, optional): one replica at a time
//! long-polls `getUpdates` and answers `/start <code>` and `/stop`.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::watch;

use crate::channels::telegram::{OutgoingMessage, TelegramClient};
use crate::clients::auth::{AuthClient, LinkResult};
use crate::lock::RedisLock;
use crate::state::AppState;

const LOCK_TTL: Duration = Duration::from_secs(60);
/// Pause before trying for the lock again, or after a failed poll.
const PAUSE: Duration = Duration::from_secs(5);
const REDIS_TIMEOUT: Duration = Duration::from_secs(1);

pub const LINKED: &str = "Akun WeBrana Cloud Anda sudah terhubung. Notifikasi pembayaran dan VPS akan dikirim ke chat ini.";
pub const INVALID_CODE: &str =
    "Kode tautan tidak valid atau sudah kedaluwarsa. Silakan buat kode baru dari dashboard.";
pub const TROUBLE: &str = "Maaf, terjadi gangguan. Silakan coba beberapa saat lagi.";
pub const STOPPED: &str = "Notifikasi Telegram dihentikan.";
pub const USAGE: &str = "Untuk menghubungkan akun, buat kode tautan di dashboard WeBrana Cloud lalu kirim <code>/start KODE</code>. Kirim /stop untuk berhenti menerima notifikasi.";

/// A command the bot understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Start(Option<String>),
    Stop,
}

pub fn parse_command(text: &str) -> Option<Command> {
    let mut words = text.split_whitespace();
    let first = words.next()?;
    // `/start@webrana_cloud_bot` in groups names the bot.
    let name = first.split('@').next().unwrap_or(first);
    match name {
        "/start" => Some(Command::Start(words.next().map(str::to_owned))),
        "/stop" => Some(Command::Stop),
        _ => None,
    }
}

pub fn link_reply(result: LinkResult) -> &'static str {
    match result {
        LinkResult::Linked => LINKED,
        LinkResult::InvalidCode => INVALID_CODE,
        LinkResult::Failed => TROUBLE,
    }
}

struct Poller {
    state: AppState,
    telegram: TelegramClient,
    auth: AuthClient,
    offset_key: String,
}

/// Runs until `shutdown`; polls only while it holds the Redis lock.
pub async fn run(state: AppState, telegram: TelegramClient, mut shutdown: watch::Receiver<bool>) {
    let poller = Poller {
        offset_key: format!("{}telegram:offset", state.key_prefix),
        auth: state.auth.clone(),
        telegram,
        state,
    };
    let lock_key = format!("{}telegram:poller", poller.state.key_prefix);
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if let Some(lock) =
            RedisLock::acquire(poller.state.redis.as_ref(), lock_key.clone(), LOCK_TTL).await
        {
            poller.hold(&lock, &mut shutdown).await;
            lock.release().await;
        }
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep(PAUSE) => {}
        }
    }
}

impl Poller {
    /// Polls while the lock stays renewed; returns when it is lost, on shutdown, or after a
    /// conflict with another poller.
    async fn hold(&self, lock: &RedisLock, shutdown: &mut watch::Receiver<bool>) {
        if let Err(e) = self.telegram.delete_webhook().await {
            tracing::warn!(code = e.code, "deleteWebhook failed");
        }
        while lock.renew(LOCK_TTL).await {
            let offset = self.offset().await;
            let updates = tokio::select! {
                changed = shutdown.changed() => {
                    let _ = changed;
                    return;
                }
                updates = self.telegram.get_updates(offset) => updates,
            };
            match updates {
                Ok(updates) => {
                    for update in updates {
                        self.handle(&update).await;
                        if let Some(id) = update["update_id"].as_i64() {
                            self.store_offset(id + 1).await;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(code = e.code, detail = %e.detail, "getUpdates failed");
                    tokio::time::sleep(PAUSE).await;
                    return;
                }
            }
        }
    }

    async fn handle(&self, update: &Value) {
        let message = &update["message"];
        let Some(text) = message["text"].as_str() else {
            return;
        };
        let chat_id = match &message["chat"]["id"] {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => return,
        };
        let request_id = format!("telegram-update-{}", update["update_id"]);
        let reply = match parse_command(text) {
            Some(Command::Start(Some(code))) => {
                let username = message["from"]["username"].as_str();
                let result = self
                    .auth
                    .link_chat(&code, &chat_id, username, &request_id)
                    .await;
                tracing::info!(result = ?result, "telegram link code redeemed");
                link_reply(result)
            }
            Some(Command::Start(None)) => USAGE,
            Some(Command::Stop) => {
                self.auth.unlink_chat(&chat_id, &request_id).await;
                STOPPED
            }
            None => return,
        };
        let answer = OutgoingMessage {
            chat_id: &chat_id,
            text: reply,
            protect_content: false,
        };
        if let Err(e) = self.telegram.send_message(&answer).await {
            tracing::warn!(code = e.code, "bot reply failed");
        }
    }

    async fn offset(&self) -> Option<i64> {
        let mut conn = self.state.redis.as_ref()?.connection().await.ok()?;
        let raw: Option<i64> = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("GET")
                .arg(&self.offset_key)
                .query_async(&mut conn),
        )
        .await
        .ok()?
        .ok()?;
        raw
    }

    async fn store_offset(&self, offset: i64) {
        let Some(redis) = self.state.redis.as_ref() else {
            return;
        };
        if let Ok(mut conn) = redis.connection().await {
            let _ = tokio::time::timeout(
                REDIS_TIMEOUT,
                redis::cmd("SET")
                    .arg(&self.offset_key)
                    .arg(offset)
                    .query_async::<()>(&mut conn),
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_recognised() {
        assert_eq!(
            parse_command("/start ABCD2345"),
            Some(Command::Start(Some("ABCD2345".into())))
        );
        assert_eq!(parse_command("/start"), Some(Command::Start(None)));
        assert_eq!(
            parse_command("/start@webrana_cloud_bot  K0DE"),
            Some(Command::Start(Some("K0DE".into())))
        );
        assert_eq!(parse_command("/stop"), Some(Command::Stop));
        assert_eq!(parse_command("halo"), None);
        assert_eq!(parse_command(""), None);
    }

    #[test]
    fn replies_follow_the_spec() {
        assert!(
            link_reply(LinkResult::Linked).starts_with("Akun WeBrana Cloud Anda sudah terhubung")
        );
        assert!(link_reply(LinkResult::InvalidCode).starts_with("Kode tautan tidak valid"));
        assert!(link_reply(LinkResult::Failed).starts_with("Maaf, terjadi gangguan"));
    }
}
