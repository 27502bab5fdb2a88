//! auth → notification: account e-mails (auth.md §5.4, platform.md §10.5).

use platform::client::{Call, CallOutcome, ServiceClient};
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::config::Config;

/// The account events auth owns (platform.md §10.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountEmail {
    EmailVerification,
    PasswordReset,
    AccountSetPassword,
}

impl AccountEmail {
    pub fn event(self) -> &'static str {
        match self {
            AccountEmail::EmailVerification => "EMAIL_VERIFICATION",
            AccountEmail::PasswordReset => "PASSWORD_RESET",
            AccountEmail::AccountSetPassword => "ACCOUNT_SET_PASSWORD",
        }
    }
}

/// One account e-mail to request; `token_id` is the verification row's id, the idempotency key.
#[derive(Debug)]
pub struct AccountEmailRequest<'a> {
    pub kind: AccountEmail,
    pub user_id: Uuid,
    pub email: &'a str,
    pub full_name: &'a str,
    pub action_url: String,
    pub expires_at: OffsetDateTime,
    pub token_id: Uuid,
}

#[derive(Clone, Debug)]
pub struct NotificationClient {
    client: ServiceClient,
}

impl NotificationClient {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            client: ServiceClient::new(
                &config.notification,
                config.common.internal_api_key.clone(),
                SERVICE_NAME,
            )?,
        })
    }

    /// Best effort, after the commit: a failure is logged and never fails the user's request,
    /// who can simply ask again. Returns whether notification accepted the e-mail.
    pub async fn send_account_email(&self, req: AccountEmailRequest<'_>, request_id: &str) -> bool {
        let body = json!({
            "event": req.kind.event(),
            "userId": req.user_id.to_string(),
            "data": {
                "email": req.email,
                "fullName": req.full_name,
                "actionUrl": req.action_url,
                "expiresAt": platform::time_format::format(req.expires_at),
            }
        });
        let key = req.token_id.to_string();
        let outcome = self
            .client
            .call(
                Call::post("/api/v1/internal/notifications/send", &body, request_id)
                    .idempotency_key(&key),
            )
            .await;
        match outcome {
            CallOutcome::Success { .. } => true,
            other => {
                tracing::error!(
                    event = req.kind.event(),
                    userId = %req.user_id,
                    status = other.status(),
                    "account e-mail could not be handed to notification-service"
                );
                false
            }
        }
    }
}
