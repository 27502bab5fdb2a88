//! The answers that are not a user representation of `domain::user`: typed so the document can
//! describe them; each serializes exactly as auth.md §6 shows it.

use platform::time_format::wire;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::user::{LoginUser, UserSummary};
use crate::sessions::TokenPair;

/// A fixed Indonesian confirmation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub message: &'static str,
}

/// The generic answer of the routes that may e-mail a token; it never tells whether they did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MailedMessage {
    pub message: &'static str,
    /// Only with `AUTH_DEBUG_TOKENS=true` and only when a token was created (auth.md §5.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_token: Option<String>,
}

/// `POST /auth/register`: the new account's UserSummary.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Registered {
    #[serde(flatten)]
    pub user: UserSummary,
    /// The e-mail verification token, only with `AUTH_DEBUG_TOKENS=true` (auth.md §5.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_token: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EmailVerified {
    pub message: &'static str,
    pub user_id: Uuid,
}

/// `POST /auth/login`: the token pair, the account and whether it still needs verifying.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    #[serde(flatten)]
    pub tokens: TokenPair,
    pub user: LoginUser,
    pub requires_verification: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionsEnded {
    pub message: &'static str,
    /// Refresh tokens revoked by this call.
    pub revoked_sessions: u64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkCode {
    /// 8 characters of `ABCDEFGHJKLMNPQRSTUVWXYZ23456789`, single use.
    pub code: String,
    #[serde(with = "wire")]
    pub expires_at: OffsetDateTime,
    /// `https://t.me/{bot}?start={code}`; `null` when `TELEGRAM_BOT_USERNAME` is unset.
    pub deep_link: Option<String>,
}

/// `POST /internal/users`: UserSummary plus whether the set-password e-mail was accepted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserSummary,
    pub set_password_email_sent: bool,
    /// The set-password token, only with `AUTH_DEBUG_TOKENS=true` (auth.md §5.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debug_token: Option<String>,
}

/// The account a Telegram chat was just linked to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TelegramLinked {
    pub user_id: Uuid,
    pub email: String,
    pub full_name: String,
    pub telegram_chat_id: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TelegramUnlinked {
    /// Accounts that held the chat; 0 when none did.
    pub unlinked_users: u64,
}
