//! The account and its JSON representations (auth.md §4, §4.1).

use platform::auth::Role;
use platform::time_format::{wire, wire_option};
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, sqlx::Type, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sqlx(type_name = "user_status", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserStatus {
    PendingVerification,
    Active,
    Suspended,
    Deleted,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::PendingVerification => "PENDING_VERIFICATION",
            UserStatus::Active => "ACTIVE",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deleted => "DELETED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING_VERIFICATION" => Some(UserStatus::PendingVerification),
            "ACTIVE" => Some(UserStatus::Active),
            "SUSPENDED" => Some(UserStatus::Suspended),
            "DELETED" => Some(UserStatus::Deleted),
            _ => None,
        }
    }

    /// Suspended and deleted accounts get no tokens and no service (auth.md §5.5, §5.7).
    pub fn refusal(self) -> Option<platform::AppError> {
        match self {
            UserStatus::Suspended => Some(super::errors::account_suspended()),
            UserStatus::Deleted => Some(super::errors::account_deleted()),
            _ => None,
        }
    }
}

// The document's view of `Role`, which lives in `platform` and has no schema of its own.
/// The account's role, as in the access token's `role` claim.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Role)]
#[allow(dead_code)]
pub enum RoleName {
    Customer,
    Admin,
    SuperAdmin,
}

/// A `users` row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub phone_number: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub timezone: String,
    pub language: String,
    pub email_verified_at: Option<OffsetDateTime>,
    pub telegram_chat_id: Option<String>,
    pub telegram_username: Option<String>,
    pub telegram_linked_at: Option<OffsetDateTime>,
    pub notify_email: bool,
    pub notify_telegram: bool,
    pub status_reason: Option<String>,
    pub last_login_at: Option<OffsetDateTime>,
    pub last_password_change_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct NotificationPreferences {
    pub email: bool,
    pub telegram: bool,
}

/// UserSummary (register, admin create).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    #[schema(value_type = RoleName)]
    pub role: Role,
    pub status: UserStatus,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
}

/// The login answer's `user` (UserSummary without `createdAt`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginUser {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    #[schema(value_type = RoleName)]
    pub role: Role,
    pub status: UserStatus,
}

/// UserProfile (`GET/PATCH /auth/me`, admin list items).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserProfile {
    pub id: Uuid,
    pub email: String,
    pub full_name: String,
    pub phone_number: Option<String>,
    #[schema(value_type = RoleName)]
    pub role: Role,
    pub status: UserStatus,
    pub timezone: String,
    pub language: String,
    #[serde(with = "wire_option")]
    pub email_verified_at: Option<OffsetDateTime>,
    pub telegram_chat_id: Option<String>,
    pub telegram_username: Option<String>,
    #[serde(with = "wire_option")]
    pub telegram_linked_at: Option<OffsetDateTime>,
    pub notification_preferences: NotificationPreferences,
    #[serde(with = "wire_option")]
    pub last_login_at: Option<OffsetDateTime>,
    #[serde(with = "wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "wire")]
    pub updated_at: OffsetDateTime,
}

/// UserProfile plus `statusReason` (the status-change answer).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserWithReason {
    #[serde(flatten)]
    pub profile: UserProfile,
    pub status_reason: Option<String>,
}

/// The admin detail and internal lookup (auth.md §6.17).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserDetail {
    #[serde(flatten)]
    pub profile: UserProfile,
    pub status_reason: Option<String>,
    #[serde(with = "wire_option")]
    pub last_password_change_at: Option<OffsetDateTime>,
    pub active_sessions: i64,
}

impl User {
    pub fn summary(&self) -> UserSummary {
        UserSummary {
            id: self.id,
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            status: self.status,
            created_at: self.created_at,
        }
    }

    pub fn login_user(&self) -> LoginUser {
        LoginUser {
            id: self.id,
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            role: self.role,
            status: self.status,
        }
    }

    pub fn profile(&self) -> UserProfile {
        UserProfile {
            id: self.id,
            email: self.email.clone(),
            full_name: self.full_name.clone(),
            phone_number: self.phone_number.clone(),
            role: self.role,
            status: self.status,
            timezone: self.timezone.clone(),
            language: self.language.clone(),
            email_verified_at: self.email_verified_at,
            telegram_chat_id: self.telegram_chat_id.clone(),
            telegram_username: self.telegram_username.clone(),
            telegram_linked_at: self.telegram_linked_at,
            notification_preferences: NotificationPreferences {
                email: self.notify_email,
                telegram: self.notify_telegram,
            },
            last_login_at: self.last_login_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    pub fn with_reason(&self) -> UserWithReason {
        UserWithReason {
            profile: self.profile(),
            status_reason: self.status_reason.clone(),
        }
    }

    pub fn detail(&self, active_sessions: i64) -> UserDetail {
        UserDetail {
            profile: self.profile(),
            status_reason: self.status_reason.clone(),
            last_password_change_at: self.last_password_change_at,
            active_sessions,
        }
    }
}
