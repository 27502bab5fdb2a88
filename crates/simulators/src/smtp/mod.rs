//! SMTP sink (integrations.md §4.4): a real SMTP listener (plain, no authentication) that keeps
//! every message in memory, and an HTTP side to read them.
//!
//! - SMTP: `EHLO`/`HELO`, `MAIL FROM`, `RCPT TO` (many), `DATA` (dot-unstuffed, size-limited),
//!   `RSET`, `NOOP`, `QUIT`.
//! - `GET /mailbox` — the messages as an HTML page, newest first; `GET /mailbox/{id}` one message
//!   (text part, and the HTML part in a sandboxed frame).
//! - `GET /_sim/messages` (`?to=` filter) — JSON `{"data": [{id, from, to, subject, text, html,
//!   receivedAt}]}`; `DELETE /_sim/messages` empties the mailbox.

mod mailbox;
mod session;
mod web;

use std::future::Future;

pub use mailbox::{Mail, Mailbox};
pub use web::router;

use platform::config::{ConfigError, Env};

/// The SMTP port `webrana simulate smtp` listens on unless `SIM_SMTP_PORT` says otherwise.
pub const DEFAULT_SMTP_PORT: u16 = 2525;

#[derive(Debug, Clone)]
pub struct SmtpSinkConfig {
    /// `SIM_SMTP_MAX_BYTES`: larger messages are refused with 552.
    pub max_bytes: usize,
    /// `SIM_SMTP_PORT`.
    pub smtp_port: u16,
}

impl Default for SmtpSinkConfig {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            smtp_port: DEFAULT_SMTP_PORT,
        }
    }
}

impl SmtpSinkConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::from_process();
        let defaults = Self::default();
        let config = Self {
            max_bytes: env.ranged_or("SIM_SMTP_MAX_BYTES", defaults.max_bytes, 1024, 100 << 20),
            smtp_port: env.parse_or("SIM_SMTP_PORT", defaults.smtp_port),
        };
        env.finish()?;
        Ok(config)
    }
}

/// Accepts SMTP connections on `listener` until the task is dropped, one task per connection.
pub async fn serve_smtp(
    listener: tokio::net::TcpListener,
    mailbox: Mailbox,
    config: SmtpSinkConfig,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let mailbox = mailbox.clone();
        let max = config.max_bytes;
        tokio::spawn(async move {
            if let Err(e) = session::run(stream, mailbox, max).await {
                tracing::debug!(error = %e, "SMTP session ended with an error");
            }
        });
    }
}

/// Both sides until `shutdown` resolves.
pub async fn serve(
    smtp: tokio::net::TcpListener,
    http: tokio::net::TcpListener,
    config: SmtpSinkConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mailbox = Mailbox::default();
    tracing::info!(smtp = %smtp.local_addr()?, http = %http.local_addr()?, "SMTP sink listening");
    let accepting = tokio::spawn(serve_smtp(smtp, mailbox.clone(), config));
    let served = platform::http::serve(http, router(mailbox), shutdown).await;
    accepting.abort();
    served
}
