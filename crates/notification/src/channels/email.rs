//! E-mail over SMTP with lettre (notification.md §7.1, integrations.md §4).

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use uuid::Uuid;

use super::{DeliveryError, Retry};
use crate::config::SmtpSettings;

/// One message as the `email` job carries it.
#[derive(Debug, Clone)]
pub struct OutgoingEmail<'a> {
    pub log_id: Uuid,
    pub to: &'a str,
    pub to_name: Option<&'a str>,
    pub subject: &'a str,
    pub html: &'a str,
    pub text: &'a str,
}

/// The SMTP sender: a pooled transport, the `From` and `Reply-To` mailboxes.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    /// The domain of `Message-ID`s: the sender's.
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    pub fn new(smtp: &SmtpSettings, from: &str, reply_to: Option<&str>) -> anyhow::Result<Self> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("SMTP_FROM is not a mailbox: {e}"))?;
        let reply_to = reply_to
            .map(|r| r.parse::<Mailbox>())
            .transpose()
            .map_err(|e| anyhow::anyhow!("SMTP_REPLY_TO is not a mailbox: {e}"))?;
        let tls = || TlsParameters::new(smtp.host.clone());
        let builder = if smtp.implicit_tls {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                .tls(Tls::Wrapper(tls()?))
        } else if smtp.require_tls {
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                .tls(Tls::Required(tls()?))
        } else {
            // Local sinks only: plain SMTP, refused in production by the configuration.
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host).tls(Tls::None)
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(smtp.timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(smtp.pool_size)
                    .idle_timeout(Duration::from_secs(60)),
            );
        if let (Some(user), Some(pass)) = (&smtp.user, &smtp.pass) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_owned()));
        }
        let domain = from.email.domain().to_owned();
        Ok(Self {
            transport: builder.build(),
            from,
            reply_to,
            domain,
        })
    }

    /// Opens (and closes) a connection, for the readiness details at startup.
    pub async fn test_connection(&self) -> bool {
        self.transport.test_connection().await.unwrap_or(false)
    }

    /// The MIME message: `multipart/alternative` (text, then HTML), with the headers of
    /// integrations.md §4.2. Returns it with its `Message-ID`.
    pub fn build(&self, mail: &OutgoingEmail<'_>) -> Result<(Message, String), DeliveryError> {
        let to = mail
            .to
            .parse()
            .map(|email| Mailbox::new(mail.to_name.map(str::to_owned), email))
            .map_err(|e| {
                DeliveryError::new(
                    "SMTP_PERMANENT",
                    format!("invalid recipient: {e}"),
                    Retry::Never,
                )
            })?;
        let message_id = format!("<{}@{}>", Uuid::new_v4(), self.domain);
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .message_id(Some(message_id.clone()))
            .date_now()
            .raw_header(raw_header("Auto-Submitted", "auto-generated"))
            .raw_header(raw_header("X-WeBrana-Log-Id", &mail.log_id.to_string()));
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        let body = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(mail.text.to_owned()),
            )
            .singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(mail.html.to_owned()),
            );
        let message = builder.multipart(body).map_err(|e| {
            DeliveryError::new(
                "SMTP_PERMANENT",
                format!("message not built: {e}"),
                Retry::Never,
            )
        })?;
        Ok((message, message_id))
    }

    /// Sends one message; returns its `Message-ID`.
    pub async fn send(&self, mail: &OutgoingEmail<'_>) -> Result<String, DeliveryError> {
        let (message, message_id) = self.build(mail)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(message_id),
            Err(e) => Err(classify(&e)),
        }
    }
}

fn raw_header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
}

/// integrations.md §4.3.
pub fn classify(e: &lettre::transport::smtp::Error) -> DeliveryError {
    let detail = e.to_string();
    if let Some(code) = e.status() {
        let code = u16::from(code);
        return match code {
            530 | 534 | 535 => {
                tracing::error!(
                    event = "smtp_auth_failed",
                    code,
                    "SMTP authentication failed"
                );
                DeliveryError::new("SMTP_AUTH_FAILED", detail, Retry::Backoff)
            }
            500..=599 => DeliveryError::new("SMTP_PERMANENT", detail, Retry::Never),
            _ => DeliveryError::new("SMTP_TRANSIENT", detail, Retry::Backoff),
        };
    }
    if e.is_client() && detail.contains("STARTTLS") {
        tracing::error!("SMTP server does not offer STARTTLS, which is required");
        return DeliveryError::new("SMTP_TLS_UNAVAILABLE", detail, Retry::Backoff);
    }
    DeliveryError::new("SMTP_TRANSIENT", detail, Retry::Backoff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailer() -> Mailer {
        let smtp = SmtpSettings {
            host: "127.0.0.1".into(),
            port: 2525,
            implicit_tls: false,
            require_tls: false,
            user: None,
            pass: None,
            pool_size: 1,
            timeout: Duration::from_secs(1),
        };
        Mailer::new(
            &smtp,
            "WeBrana Cloud <noreply@webrana.id>",
            Some("support@webrana.id"),
        )
        .expect("mailer")
    }

    // The pooled transport lives on the Tokio runtime, even when nothing is sent.
    #[tokio::test]
    async fn messages_carry_the_required_headers() {
        let log_id = Uuid::new_v4();
        let mail = OutgoingEmail {
            log_id,
            to: "budi@example.com",
            to_name: Some("Budi Santoso"),
            subject: "🚀 VPS siap",
            html: "<p>Halo</p>",
            text: "Halo",
        };
        let (message, message_id) = mailer().build(&mail).expect("message");
        let raw = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(message_id.starts_with('<') && message_id.ends_with("@webrana.id>"));
        assert!(raw.contains(&format!("Message-ID: {message_id}")), "{raw}");
        assert!(
            raw.contains("From: \"WeBrana Cloud\" <noreply@webrana.id>"),
            "{raw}"
        );
        assert!(
            raw.contains("To: \"Budi Santoso\" <budi@example.com>"),
            "{raw}"
        );
        assert!(raw.contains("Reply-To: support@webrana.id"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated"), "{raw}");
        assert!(
            raw.contains(&format!("X-WeBrana-Log-Id: {log_id}")),
            "{raw}"
        );
        assert!(
            raw.contains("Subject: =?utf-8?"),
            "non-ASCII subjects are encoded: {raw}"
        );
        assert!(raw.contains("multipart/alternative"), "{raw}");
        let text_at = raw.find("text/plain").expect("text part");
        let html_at = raw.find("text/html").expect("html part");
        assert!(text_at < html_at, "text first");
        assert!(raw.contains("Date: "), "{raw}");
    }

    #[tokio::test]
    async fn bad_addresses_are_permanent_failures() {
        let mail = OutgoingEmail {
            log_id: Uuid::new_v4(),
            to: "not an address",
            to_name: None,
            subject: "s",
            html: "h",
            text: "t",
        };
        let e = mailer().build(&mail).expect_err("refused");
        assert_eq!((e.code, e.retry), ("SMTP_PERMANENT", Retry::Never));
    }
}
