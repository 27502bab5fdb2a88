//! Account life cycle: registration, e-mail verification, password reset and change, admin
//! creation and status changes, Telegram linking (auth.md §5.3–§5.9).

use platform::AppError;
use platform::auth::Role;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::clients::notification::{AccountEmail, AccountEmailRequest};
use crate::domain::codes;
use crate::domain::errors;
use crate::domain::user::{User, UserStatus};
use crate::sessions::hash_password;
use crate::state::AppState;
use crate::store::verification_tokens::TokenKind;
use crate::store::{link_codes, refresh_tokens, users, verification_tokens};

/// A one-time token created for an e-mail: the raw value exists only here and in the e-mail.
#[derive(Debug)]
pub struct IssuedToken {
    pub id: Uuid,
    pub raw: String,
    pub expires_at: OffsetDateTime,
}

async fn issue_email_token(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    kind: TokenKind,
    ttl_seconds: i64,
) -> Result<IssuedToken, AppError> {
    verification_tokens::retire_unused(conn, user_id, kind).await?;
    let raw = codes::new_email_token();
    let expires_at = OffsetDateTime::now_utc() + Duration::seconds(ttl_seconds);
    let id =
        verification_tokens::insert(conn, user_id, &codes::digest(&raw), kind, expires_at).await?;
    Ok(IssuedToken {
        id,
        raw,
        expires_at,
    })
}

/// Hands the e-mail to notification after the commit (auth.md §5.4).
async fn send_email(
    state: &AppState,
    kind: AccountEmail,
    user: &User,
    token: &IssuedToken,
    request_id: &str,
) -> bool {
    let page = match kind {
        AccountEmail::EmailVerification => "verify-email",
        AccountEmail::PasswordReset | AccountEmail::AccountSetPassword => "reset-password",
    };
    let action_url = format!(
        "{}/{page}?token={}",
        state.config.customer_web_base_url, token.raw
    );
    state
        .notification
        .send_account_email(
            AccountEmailRequest {
                kind,
                user_id: user.id,
                email: &user.email,
                full_name: &user.full_name,
                action_url,
                expires_at: token.expires_at,
                token_id: token.id,
            },
            request_id,
        )
        .await
}

/// A fresh token for an existing account, committed, then e-mailed.
async fn issue_and_send(
    state: &AppState,
    user: &User,
    kind: AccountEmail,
    ttl_seconds: i64,
    request_id: &str,
) -> Result<IssuedToken, AppError> {
    let token_kind = match kind {
        AccountEmail::EmailVerification => TokenKind::EmailVerification,
        AccountEmail::PasswordReset | AccountEmail::AccountSetPassword => TokenKind::PasswordReset,
    };
    let mut tx = state.pool.begin().await?;
    let token = issue_email_token(&mut tx, user.id, token_kind, ttl_seconds).await?;
    tx.commit().await?;
    send_email(state, kind, user, &token, request_id).await;
    Ok(token)
}

pub struct Registration {
    pub email: String,
    pub password: String,
    pub full_name: String,
    pub phone_number: Option<String>,
    pub timezone: String,
    pub language: String,
}

pub async fn register(
    state: &AppState,
    r: Registration,
    request_id: &str,
) -> Result<(User, Option<IssuedToken>), AppError> {
    let password_hash = hash_password(r.password).await?;
    let verify = state.config.email_verification_enabled;
    let mut tx = state.pool.begin().await?;
    let user = users::insert(
        &mut tx,
        &users::NewUser {
            id: Uuid::new_v4(),
            email: &r.email,
            password_hash: &password_hash,
            full_name: &r.full_name,
            phone_number: r.phone_number.as_deref(),
            role: Role::Customer,
            status: if verify {
                UserStatus::PendingVerification
            } else {
                UserStatus::Active
            },
            timezone: &r.timezone,
            language: &r.language,
            email_verified_at: if verify {
                None
            } else {
                Some(OffsetDateTime::now_utc())
            },
        },
    )
    .await?
    .ok_or_else(errors::email_already_exists)?;
    let token = if verify {
        Some(
            issue_email_token(
                &mut tx,
                user.id,
                TokenKind::EmailVerification,
                state.config.email_verification_ttl_seconds,
            )
            .await?,
        )
    } else {
        None
    };
    tx.commit().await?;
    tracing::info!(event = "auth.register.success", userId = %user.id, "account registered");
    if let Some(token) = &token {
        send_email(
            state,
            AccountEmail::EmailVerification,
            &user,
            token,
            request_id,
        )
        .await;
    }
    Ok((user, token))
}

/// Shared checks of verification and reset tokens, in the order of auth.md §5.3.
async fn spend_token(
    conn: &mut sqlx::PgConnection,
    raw: &str,
    kind: TokenKind,
) -> Result<verification_tokens::VerificationToken, AppError> {
    let token = verification_tokens::by_hash_for_update(conn, &codes::digest(raw))
        .await?
        .filter(|t| t.kind == kind)
        .ok_or_else(errors::email_token_invalid)?;
    if token.used_at.is_some() {
        return Err(errors::email_token_used());
    }
    if token.expires_at <= OffsetDateTime::now_utc() {
        return Err(errors::email_token_expired());
    }
    Ok(token)
}

pub async fn verify_email(state: &AppState, raw: &str) -> Result<Uuid, AppError> {
    let mut tx = state.pool.begin().await?;
    let token = spend_token(&mut tx, raw, TokenKind::EmailVerification).await?;
    verification_tokens::mark_used(&mut *tx, token.id).await?;
    users::mark_verified(&mut tx, token.user_id).await?;
    tx.commit().await?;
    tracing::info!(event = "auth.verify_email.success", userId = %token.user_id, "e-mail verified");
    Ok(token.user_id)
}

/// Issues a fresh verification token when the e-mail belongs to a pending account; silent
/// otherwise (no enumeration).
pub async fn resend_verification(
    state: &AppState,
    email: &str,
    request_id: &str,
) -> Result<Option<IssuedToken>, AppError> {
    let Some(user) = users::by_email(&state.pool, email).await? else {
        return Ok(None);
    };
    if user.status != UserStatus::PendingVerification {
        return Ok(None);
    }
    let ttl = state.config.email_verification_ttl_seconds;
    issue_and_send(
        state,
        &user,
        AccountEmail::EmailVerification,
        ttl,
        request_id,
    )
    .await
    .map(Some)
}

pub async fn forgot_password(
    state: &AppState,
    email: &str,
    request_id: &str,
) -> Result<Option<IssuedToken>, AppError> {
    let Some(user) = users::by_email(&state.pool, email).await? else {
        return Ok(None);
    };
    if !matches!(
        user.status,
        UserStatus::Active | UserStatus::PendingVerification
    ) {
        return Ok(None);
    }
    let ttl = state.config.password_reset_ttl_seconds;
    issue_and_send(state, &user, AccountEmail::PasswordReset, ttl, request_id)
        .await
        .map(Some)
}

/// Checks the new password against the policy; the error names `field`.
pub fn check_policy(state: &AppState, field: &str, password: &str) -> Result<(), AppError> {
    let unmet =
        crate::domain::password::unmet_requirements(password, &state.config.password_policy);
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(errors::weak_password(
            field,
            &unmet,
            &state.config.password_policy,
        ))
    }
}

pub async fn reset_password(
    state: &AppState,
    raw: &str,
    new_password: String,
) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let token = spend_token(&mut tx, raw, TokenKind::PasswordReset).await?;
    let user = users::by_id_for_update(&mut tx, token.user_id)
        .await?
        .ok_or_else(errors::email_token_invalid)?;
    if let Some(refusal) = user.status.refusal() {
        return Err(refusal);
    }
    check_policy(state, "newPassword", &new_password)?;
    let hash = hash_password(new_password).await?;
    users::set_password(&mut tx, user.id, &hash).await?;
    verification_tokens::mark_used(&mut *tx, token.id).await?;
    refresh_tokens::revoke_all_for_user(&mut tx, user.id, "PASSWORD_RESET").await?;
    // The link proves the mailbox, so a pending account becomes active.
    users::mark_verified(&mut tx, user.id).await?;
    tx.commit().await?;
    tracing::info!(event = "auth.password.reset", userId = %user.id, "password reset");
    Ok(())
}

pub async fn change_password(
    state: &AppState,
    user: &User,
    current: String,
    new_password: String,
) -> Result<(), AppError> {
    if !crate::sessions::verify_password(current, user.password_hash.clone()).await? {
        return Err(errors::invalid_current_password());
    }
    check_policy(state, "newPassword", &new_password)?;
    let hash = hash_password(new_password).await?;
    let mut tx = state.pool.begin().await?;
    users::set_password(&mut tx, user.id, &hash).await?;
    refresh_tokens::revoke_all_for_user(&mut tx, user.id, "PASSWORD_CHANGED").await?;
    tx.commit().await?;
    tracing::info!(event = "auth.password.change", userId = %user.id, "password changed");
    Ok(())
}

pub struct AdminCreate {
    pub email: String,
    pub full_name: String,
    pub phone_number: Option<String>,
    pub role: Role,
    pub status: UserStatus,
    pub timezone: String,
    pub language: String,
}

/// Creates an account without a password and sends the set-password link (auth.md §5.6, §6.18).
pub async fn admin_create(
    state: &AppState,
    c: AdminCreate,
    request_id: &str,
) -> Result<(User, IssuedToken, bool), AppError> {
    let password_hash = hash_password(crate::domain::password::unusable_password()).await?;
    let mut tx = state.pool.begin().await?;
    let user = users::insert(
        &mut tx,
        &users::NewUser {
            id: Uuid::new_v4(),
            email: &c.email,
            password_hash: &password_hash,
            full_name: &c.full_name,
            phone_number: c.phone_number.as_deref(),
            role: c.role,
            status: c.status,
            timezone: &c.timezone,
            language: &c.language,
            email_verified_at: (c.status == UserStatus::Active).then(OffsetDateTime::now_utc),
        },
    )
    .await?
    .ok_or_else(errors::email_already_exists)?;
    let token = issue_email_token(
        &mut tx,
        user.id,
        TokenKind::PasswordReset,
        state.config.set_password_ttl_seconds,
    )
    .await?;
    tx.commit().await?;
    let sent = send_email(
        state,
        AccountEmail::AccountSetPassword,
        &user,
        &token,
        request_id,
    )
    .await;
    Ok((user, token, sent))
}

/// Applies the admin matrix of auth.md §5.7 and changes the status.
pub async fn change_status(
    state: &AppState,
    caller: &platform::auth::AdminCaller,
    target_id: Uuid,
    status: UserStatus,
    reason: Option<String>,
) -> Result<User, AppError> {
    let mut tx = state.pool.begin().await?;
    let target = users::by_id_for_update(&mut tx, target_id)
        .await?
        .ok_or_else(errors::user_not_found)?;
    let own_account = caller.sub.as_deref() == Some(target.id.to_string().as_str());
    let allowed = !own_account
        && match target.role {
            Role::SuperAdmin => false,
            Role::Admin => caller.role == Role::SuperAdmin,
            Role::Customer => true,
        };
    if !allowed {
        return Err(errors::access_denied());
    }
    let user = users::set_status(&mut tx, target.id, status, reason.as_deref())
        .await?
        .ok_or_else(errors::user_not_found)?;
    match status {
        UserStatus::Suspended => {
            refresh_tokens::revoke_all_for_user(&mut tx, user.id, "ACCOUNT_SUSPENDED").await?;
        }
        UserStatus::Deleted => {
            refresh_tokens::revoke_all_for_user(&mut tx, user.id, "ACCOUNT_DELETED").await?;
        }
        _ => {}
    }
    tx.commit().await?;
    tracing::info!(
        event = "auth.admin.user_status_changed",
        userId = %user.id,
        from = target.status.as_str(),
        to = status.as_str(),
        actor = %caller.identity,
        "account status changed"
    );
    Ok(user)
}

/// A new Telegram link code; older unused codes stop working.
pub async fn issue_link_code(
    state: &AppState,
    user_id: Uuid,
) -> Result<(String, OffsetDateTime), AppError> {
    let expires_at =
        OffsetDateTime::now_utc() + Duration::seconds(state.config.telegram_link_code_ttl_seconds);
    for _ in 0..5 {
        let code = codes::new_link_code();
        let mut tx = state.pool.begin().await?;
        if link_codes::issue(&mut tx, user_id, &code, expires_at).await? {
            tx.commit().await?;
            return Ok((code, expires_at));
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "could not draw a unique Telegram link code"
    )))
}

/// The bot received `/start <code>`: the code's owner gets the chat (auth.md §6.20).
pub async fn link_with_code(
    state: &AppState,
    code: &str,
    chat_id: &str,
    username: Option<&str>,
) -> Result<User, AppError> {
    let mut tx = state.pool.begin().await?;
    let link = link_codes::by_code_for_update(&mut tx, &code.to_uppercase())
        .await?
        .filter(|l| l.used_at.is_none())
        .ok_or_else(errors::invalid_link_code)?;
    if link.expires_at <= OffsetDateTime::now_utc() {
        return Err(errors::link_code_expired());
    }
    link_codes::mark_used(&mut tx, link.id).await?;
    let user = users::link_telegram(&mut *tx, link.user_id, chat_id, username)
        .await?
        .ok_or_else(errors::invalid_link_code)?;
    tx.commit().await?;
    Ok(user)
}
