//! The caller's own account (auth.md §6.9–§6.15).

use axum::extract::State;
use platform::ApiResult;
use platform::extract::{JsonFields, NoQuery, Patch, StrictJson, StrictQuery};
use platform::http::{Created, Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody};

use super::bodies::{ChangePasswordRequest, PatchMeRequest, TelegramRequest};
use super::views::{LinkCode, Message, SessionsEnded};
use crate::accounts;
use crate::domain::errors;
use crate::domain::profile;
use crate::domain::user::UserProfile;
use crate::routes::CurrentUser;
use crate::sessions;
use crate::state::AppState;
use crate::store::users::{self, ProfileChanges};

/// Revokes every refresh token of the caller; access tokens run out on their own (auth.md §6.9).
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "me",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "Every session ended", body = DataBody<SessionsEnded>),
        (status = 400, description = "`VALIDATION_ERROR` (a query parameter was sent)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN` per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn logout_all(
    State(state): State<AppState>,
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<SessionsEnded>> {
    let revoked = sessions::logout_all(&state, me.user.id).await?;
    Ok(Data(SessionsEnded {
        message: "Semua sesi telah diakhiri",
        revoked_sessions: revoked,
    }))
}

pub struct ChangePasswordBody {
    current: String,
    new: String,
}

impl platform::extract::FromJson for ChangePasswordBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let current = f.string("currentPassword");
        let new = f.string("newPassword");
        Some(ChangePasswordBody {
            current: current?,
            new: new?,
        })
    }
}

/// Replaces the caller's password and revokes all their refresh tokens (auth.md §6.10).
#[utoipa::path(post, path = "/api/v1/auth/change-password", tag = "me",
    security(("bearerAuth" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "Password replaced; log in again", body = DataBody<Message>),
        (status = 400, description = "`INVALID_CURRENT_PASSWORD`, `VALIDATION_ERROR` (a weak password adds `details.requirements`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN` per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<ChangePasswordBody>,
) -> ApiResult<Data<Message>> {
    accounts::change_password(&state, &me.user, body.current, body.new).await?;
    Ok(Data(Message {
        message: "Password diganti; semua sesi diakhiri, silakan masuk kembali.",
    }))
}

/// The caller's profile, read from the database on every call (auth.md §6.11).
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "me",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The caller's UserProfile", body = DataBody<UserProfile>),
        (status = 400, description = "`VALIDATION_ERROR` (a query parameter was sent)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN` per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn get_me(
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> Data<UserProfile> {
    Data(me.user.profile())
}

pub struct PatchMeBody(ProfileChanges);

impl platform::extract::FromJson for PatchMeBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let mut ok = true;
        let mut changes = ProfileChanges::default();
        let any_field = [
            "fullName",
            "phoneNumber",
            "timezone",
            "language",
            "notificationPreferences",
        ]
        .iter()
        .any(|k| f.present(k));
        if let Some(v) = f.opt_string("fullName") {
            changes.full_name = profile::check_full_name(f, "fullName", v);
            ok &= changes.full_name.is_some();
        }
        match f.patch_string("phoneNumber") {
            Patch::Absent => {}
            Patch::Null => changes.phone_number = Some(None),
            Patch::Value(v) => match profile::check_phone(f, "phoneNumber", v) {
                Some(p) => changes.phone_number = Some(Some(p)),
                None => ok = false,
            },
        }
        if let Some(v) = f.opt_string("timezone") {
            changes.timezone = profile::check_timezone(f, "timezone", v);
            ok &= changes.timezone.is_some();
        }
        if let Some(v) = f.opt_string("language") {
            changes.language = profile::check_language(f, "language", v);
            ok &= changes.language.is_some();
        }
        if let Some((email, telegram)) = f.opt_object("notificationPreferences", |p| {
            (p.opt_bool("email"), p.opt_bool("telegram"))
        }) {
            changes.notify_email = email;
            changes.notify_telegram = telegram;
        }
        if !any_field {
            f.problem("body", "Minimal satu properti harus diisi");
            return None;
        }
        ok.then_some(PatchMeBody(changes))
    }
}

/// Changes the caller's own profile fields; `notificationPreferences` is merged (auth.md §6.12).
#[utoipa::path(patch, path = "/api/v1/auth/me", tag = "me",
    security(("bearerAuth" = [])),
    request_body = PatchMeRequest,
    responses(
        (status = 200, description = "The updated UserProfile", body = DataBody<UserProfile>),
        (status = 400, description = "`VALIDATION_ERROR` (also for an empty body or a field that is not editable), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN` per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn patch_me(
    State(state): State<AppState>,
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PatchMeBody(changes)): StrictJson<PatchMeBody>,
) -> ApiResult<Data<UserProfile>> {
    let user = users::update_profile(&state.pool, me.user.id, &changes)
        .await?
        .ok_or_else(errors::user_not_found)?;
    Ok(Data(user.profile()))
}

pub struct TelegramBody {
    chat_id: String,
    username: Option<String>,
}

impl platform::extract::FromJson for TelegramBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let chat_id = profile::read_chat_id(f, "chatId");
        // An invalid username is recorded as a problem, which fails the request in `finish`.
        let username = profile::read_telegram_username(f, "telegramUsername");
        Some(TelegramBody {
            chat_id: chat_id?,
            username,
        })
    }
}

/// Links a Telegram chat directly; needs a verified account (auth.md §6.13).
#[utoipa::path(put, path = "/api/v1/auth/me/telegram", tag = "me",
    security(("bearerAuth" = [])),
    request_body = TelegramRequest,
    responses(
        (status = 200, description = "The UserProfile with the Telegram fields set", body = DataBody<UserProfile>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`EMAIL_NOT_VERIFIED`, `ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN` per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn put_telegram(
    State(state): State<AppState>,
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<TelegramBody>,
) -> ApiResult<Data<UserProfile>> {
    me.require_verified()?;
    let user = users::link_telegram(
        &state.pool,
        me.user.id,
        &body.chat_id,
        body.username.as_deref(),
    )
    .await?
    .ok_or_else(errors::user_not_found)?;
    Ok(Data(user.profile()))
}

/// Clears the caller's Telegram link; repeating it is harmless (auth.md §6.14).
#[utoipa::path(delete, path = "/api/v1/auth/me/telegram", tag = "me",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "The UserProfile with the Telegram fields `null`", body = DataBody<UserProfile>),
        (status = 400, description = "`VALIDATION_ERROR` (a query parameter was sent)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN` per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn delete_telegram(
    State(state): State<AppState>,
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<UserProfile>> {
    let user = users::unlink_telegram(&state.pool, me.user.id)
        .await?
        .ok_or_else(errors::user_not_found)?;
    Ok(Data(user.profile()))
}

/// A single-use code the user sends to the bot as `/start <code>`; older unused codes stop
/// working (auth.md §6.15).
#[utoipa::path(post, path = "/api/v1/auth/me/telegram/link-code", tag = "me",
    security(("bearerAuth" = [])),
    responses(
        (status = 201, description = "Issued; `Location` is the Telegram link route", body = DataBody<LinkCode>,
            headers(("Location" = String, description = "/api/v1/auth/me/telegram"))),
        (status = 400, description = "`VALIDATION_ERROR` (a query parameter was sent)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`EMAIL_NOT_VERIFIED`, `ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_USER_PER_MIN`, then `RATE_LIMIT_TELEGRAM_LINK_CODE_PER_MIN`, per user)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn link_code(
    State(state): State<AppState>,
    ctx: RequestContext,
    me: CurrentUser,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Created<LinkCode>> {
    me.require_verified()?;
    state
        .limiter
        .check(
            &ctx,
            "telegram-link-code",
            &me.user.id.to_string(),
            state.config.rate_limits.telegram_link_code,
        )
        .await?;
    let (code, expires_at) = accounts::issue_link_code(&state, me.user.id).await?;
    let deep_link = state
        .config
        .telegram_bot_username
        .as_ref()
        .map(|bot| format!("https://t.me/{bot}?start={code}"));
    Ok(Created {
        location: "/api/v1/auth/me/telegram".into(),
        body: LinkCode {
            code,
            expires_at,
            deep_link,
        },
    })
}
