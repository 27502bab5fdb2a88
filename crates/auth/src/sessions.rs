//! Access tokens and refresh-token families: login, rotation with reuse detection, logout
//! (auth.md §3, §5.5).

use platform::AppError;
use platform::auth::Claims;
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::domain::codes;
use crate::domain::errors;
use crate::domain::password;
use crate::domain::user::{User, UserStatus};
use crate::state::AppState;
use crate::store::{refresh_tokens, users};

/// Where a session was opened from.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub info: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    /// RS256 JWT (auth.md §3).
    pub access_token: String,
    /// Opaque; presenting it again after a rotation revokes the whole session family.
    pub refresh_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
}

/// Signs an access token with exactly the claims of auth.md §3, from the user's current row.
pub fn access_token(state: &AppState, user: &User) -> Result<String, AppError> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let status = match user.status {
        UserStatus::PendingVerification => "PENDING_VERIFICATION",
        _ => "ACTIVE",
    };
    let claims = Claims {
        sub: user.id.to_string(),
        email: user.email.clone(),
        role: user.role,
        status: Some(status.into()),
        token_type: "access".into(),
        iss: state.config.common.jwt.issuer.clone(),
        iat: now,
        exp: now + state.config.access_ttl_seconds,
        nbf: None,
        jti: Some(Uuid::new_v4().to_string()),
    };
    state.signer.sign(&claims).map_err(AppError::internal)
}

async fn pair(
    state: &AppState,
    user: &User,
    family_id: Uuid,
    device: &Device,
) -> Result<TokenPair, AppError> {
    let refresh = codes::new_refresh_token();
    let hash = codes::digest(&refresh);
    refresh_tokens::insert(
        &state.pool,
        &refresh_tokens::NewRefreshToken {
            user_id: user.id,
            family_id,
            token_hash: &hash,
            device_info: device.info.as_deref(),
            ip_address: device.ip.as_deref(),
            expires_at: OffsetDateTime::now_utc()
                + Duration::seconds(state.config.refresh_ttl_seconds),
        },
    )
    .await?;
    Ok(TokenPair {
        access_token: access_token(state, user)?,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: state.config.access_ttl_seconds,
        refresh_expires_in: state.config.refresh_ttl_seconds,
    })
}

/// At most one argon2 run per core. Each run holds 19 MiB; unbounded, a burst of sign-ups ran
/// one blocking thread per request and glibc kept every thread's 19 MiB arena (2.6 GB RSS after
/// 20 concurrent registrations, bench/README.md), while the extra threads only shared the same
/// cores. Waiting here costs no more time than waiting for a core.
fn hashing_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        tokio::sync::Semaphore::new(cores)
    })
}

/// Runs argon2 off the async threads, one run per core at a time.
async fn run_argon2<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _slot = hashing_slots()
        .acquire()
        .await
        .map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)
}

pub async fn verify_password(plain: String, stored: String) -> Result<bool, AppError> {
    run_argon2(move || password::verify(&plain, &stored)).await
}

pub async fn hash_password(plain: String) -> Result<String, AppError> {
    run_argon2(move || password::hash(&plain))
        .await?
        .map_err(AppError::internal)
}

/// Login order of auth.md §5.5: password first, status only after a correct password.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    device: Device,
) -> Result<(User, TokenPair), AppError> {
    let user = users::by_email(&state.pool, email).await?;
    let stored = user.as_ref().map_or_else(
        || password::dummy_hash().to_string(),
        |u| u.password_hash.clone(),
    );
    let matches = verify_password(password, stored).await?;
    let user = match user {
        Some(u) if matches => u,
        found => {
            let reason = if found.is_some() {
                "WRONG_PASSWORD"
            } else {
                "UNKNOWN_EMAIL"
            };
            tracing::info!(event = "auth.login.failed", reason, email = %platform::telemetry::mask_email(email), "login failed");
            return Err(errors::invalid_credentials());
        }
    };
    if let Some(refusal) = user.status.refusal() {
        tracing::info!(event = "auth.login.failed", reason = user.status.as_str(), userId = %user.id, "login refused");
        return Err(refusal);
    }
    let tokens = pair(state, &user, Uuid::new_v4(), &device).await?;
    users::touch_login(&state.pool, user.id).await?;
    tracing::info!(event = "auth.login.success", userId = %user.id, "login succeeded");
    Ok((user, tokens))
}

async fn reuse_detected(
    state: &AppState,
    family_id: Uuid,
    user_id: Uuid,
) -> Result<AppError, AppError> {
    let revoked = refresh_tokens::revoke_family(&state.pool, family_id, "REUSE_DETECTED").await?;
    tracing::warn!(
        event = "auth.refresh.reuse_detected",
        userId = %user_id,
        familyId = %family_id,
        revoked,
        "a rotated refresh token was presented again; its session family is revoked"
    );
    Ok(errors::refresh_reused())
}

/// Rotation: the presented token is spent and a new one of the same family is issued.
pub async fn refresh(state: &AppState, presented: &str) -> Result<TokenPair, AppError> {
    let hash = codes::digest(presented);
    let token = refresh_tokens::by_hash(&state.pool, &hash)
        .await?
        .ok_or_else(errors::refresh_invalid)?;
    if token.revoked_at.is_some() {
        return Err(reuse_detected(state, token.family_id, token.user_id).await?);
    }
    if token.expires_at <= OffsetDateTime::now_utc() {
        return Err(errors::refresh_expired());
    }
    let user = users::by_id(&state.pool, token.user_id)
        .await?
        .ok_or_else(errors::refresh_invalid)?;
    if let Some(refusal) = user.status.refusal() {
        return Err(refusal);
    }
    if !refresh_tokens::revoke_one(&state.pool, token.id, "ROTATED").await? {
        // A concurrent refresh spent it first: the same token was used twice.
        return Err(reuse_detected(state, token.family_id, token.user_id).await?);
    }
    let device = Device {
        info: token.device_info.clone(),
        ip: token.ip_address.clone(),
    };
    pair(state, &user, token.family_id, &device).await
}

/// Idempotent and silent about whether the token existed.
pub async fn logout(state: &AppState, presented: &str) -> Result<(), AppError> {
    let hash = codes::digest(presented);
    if let Some(token) = refresh_tokens::by_hash(&state.pool, &hash).await?
        && refresh_tokens::revoke_one(&state.pool, token.id, "LOGOUT").await?
    {
        tracing::info!(event = "auth.logout", userId = %token.user_id, "session ended");
    }
    Ok(())
}

pub async fn logout_all(state: &AppState, user_id: Uuid) -> Result<u64, AppError> {
    let mut conn = state.pool.acquire().await?;
    let revoked = refresh_tokens::revoke_all_for_user(&mut conn, user_id, "LOGOUT_ALL").await?;
    tracing::info!(event = "auth.logout", userId = %user_id, revoked, "all sessions ended");
    Ok(revoked)
}
