//! The caller's own account (auth.md §6.9–§6.15).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::extract::{JsonFields, Patch, StrictJson};
use platform::http::{Created, Data, RequestContext};
use serde_json::{Value, json};

use crate::accounts;
use crate::domain::errors;
use crate::domain::profile;
use crate::domain::user::UserProfile;
use crate::routes::CurrentUser;
use crate::sessions;
use crate::state::AppState;
use crate::store::users::{self, ProfileChanges};

pub async fn logout_all(State(state): State<AppState>, me: CurrentUser) -> ApiResult<Data<Value>> {
    let revoked = sessions::logout_all(&state, me.user.id).await?;
    Ok(Data(
        json!({ "message": "Semua sesi telah diakhiri", "revokedSessions": revoked }),
    ))
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

pub async fn change_password(
    State(state): State<AppState>,
    me: CurrentUser,
    StrictJson(body): StrictJson<ChangePasswordBody>,
) -> ApiResult<Data<Value>> {
    accounts::change_password(&state, &me.user, body.current, body.new).await?;
    Ok(Data(
        json!({ "message": "Password diganti; semua sesi diakhiri, silakan masuk kembali." }),
    ))
}

pub async fn get_me(me: CurrentUser) -> Data<UserProfile> {
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

pub async fn patch_me(
    State(state): State<AppState>,
    me: CurrentUser,
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

pub async fn put_telegram(
    State(state): State<AppState>,
    me: CurrentUser,
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

pub async fn delete_telegram(
    State(state): State<AppState>,
    me: CurrentUser,
) -> ApiResult<Data<UserProfile>> {
    let user = users::unlink_telegram(&state.pool, me.user.id)
        .await?
        .ok_or_else(errors::user_not_found)?;
    Ok(Data(user.profile()))
}

pub async fn link_code(
    State(state): State<AppState>,
    ctx: RequestContext,
    me: CurrentUser,
) -> ApiResult<Response> {
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
    let body = json!({
        "code": code,
        "expiresAt": platform::time_format::format(expires_at),
        "deepLink": deep_link,
    });
    Ok(Created {
        location: "/api/v1/auth/me/telegram".into(),
        body,
    }
    .into_response())
}
