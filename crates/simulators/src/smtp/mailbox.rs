//! The messages received, parsed enough to be read by a person or a test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Mail {
    pub id: u64,
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// Decoded (RFC 2047) subject.
    pub subject: String,
    pub text: Option<String>,
    pub html: Option<String>,
    #[serde(skip)]
    pub raw: String,
    #[serde(with = "platform::time_format::wire")]
    pub received_at: OffsetDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct Mailbox(Arc<Mutex<Vec<Mail>>>);

impl Mailbox {
    pub fn messages(&self) -> Vec<Mail> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    pub fn clear(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }

    /// Stores a message from its envelope and raw bytes; returns its id.
    pub fn deliver(&self, from: String, to: Vec<String>, raw: &[u8]) -> u64 {
        let parsed = mail_parser::MessageParser::default().parse(raw);
        let subject = parsed
            .as_ref()
            .and_then(|m| m.subject())
            .unwrap_or("")
            .to_owned();
        let text = parsed
            .as_ref()
            .and_then(|m| m.body_text(0))
            .map(|t| t.into_owned());
        let html = parsed
            .as_ref()
            .and_then(|m| m.body_html(0))
            .map(|t| t.into_owned());
        let Ok(mut messages) = self.0.lock() else {
            return 0;
        };
        let id = messages.last().map_or(1, |m| m.id + 1);
        messages.push(Mail {
            id,
            from,
            to,
            subject,
            text,
            html,
            raw: String::from_utf8_lossy(raw).into_owned(),
            received_at: OffsetDateTime::now_utc(),
        });
        id
    }

    /// Waits until at least `n` messages arrived (tests), returning what is there at the end.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || tokio::time::Instant::now() >= deadline {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
