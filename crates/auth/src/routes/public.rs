//! Public routes: registration, verification, login, refresh, logout, password reset
//! (auth.md §6.1–§6.8).

use axum::extract::State;
use platform::extract::{JsonFields, NoQuery, StrictJson, StrictQuery};
use platform::http::{Created, Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody};
use platform::{ApiResult, AppError};

use super::bodies::{
    EmailRequest, LoginRequest, RefreshRequest, RegisterRequest, ResetPasswordRequest, TokenRequest,
};
use super::views::{EmailVerified, LoggedIn, MailedMessage, Message, Registered};
use crate::accounts::{self, IssuedToken, Registration};
use crate::domain::profile;
use crate::sessions::{self, Device, TokenPair};
use crate::state::AppState;

/// The raw token for `debugToken` when `AUTH_DEBUG_TOKENS=true` (tests without a mailbox,
/// auth.md §5.4).
fn debug_token(state: &AppState, token: Option<&IssuedToken>) -> Option<String> {
    token
        .filter(|_| state.config.debug_tokens)
        .map(|t| t.raw.clone())
}

async fn limit_public(state: &AppState, ctx: &RequestContext) -> ApiResult<()> {
    state
        .limiter
        .check(
            ctx,
            "public",
            &ctx.client_ip.to_string(),
            state.config.rate_limits.public,
        )
        .await
}

pub struct RegisterBody(Registration);

impl platform::extract::FromJson for RegisterBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let email = profile::read_email(f, "email", true);
        let password = f.string("password");
        let full_name = f
            .string("fullName")
            .and_then(|v| profile::check_full_name(f, "fullName", v));
        let phone_number = f
            .opt_string("phoneNumber")
            .map(|v| profile::check_phone(f, "phoneNumber", v));
        let (timezone, language) = profile::read_locale(f);
        Some(RegisterBody(Registration {
            email: email?,
            password: password?,
            full_name: full_name?,
            phone_number: phone_number.map_or(Some(None), |p| p.map(Some))?,
            timezone: timezone?,
            language: language?,
        }))
    }
}

/// Creates a `customer` account, `PENDING_VERIFICATION` with a verification e-mail unless
/// verification is switched off (auth.md §6.1).
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered; `Location` is the profile route", body = DataBody<Registered>,
            headers(("Location" = String, description = "/api/v1/auth/me"))),
        (status = 400, description = "`VALIDATION_ERROR` (a weak password adds `details.requirements`), `BAD_REQUEST`", body = ErrorBody),
        (status = 409, description = "`EMAIL_ALREADY_EXISTS`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_REGISTER_PER_MIN` per client IP)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(RegisterBody(body)): StrictJson<RegisterBody>,
) -> ApiResult<Created<Registered>> {
    state
        .limiter
        .check(
            &ctx,
            "register",
            &ctx.client_ip.to_string(),
            state.config.rate_limits.register,
        )
        .await?;
    accounts::check_policy(&state, "password", &body.password)?;
    let (user, token) = accounts::register(&state, body, &ctx.request_id).await?;
    Ok(Created {
        location: "/api/v1/auth/me".into(),
        body: Registered {
            user: user.summary(),
            debug_token: debug_token(&state, token.as_ref()),
        },
    })
}

pub struct TokenBody(String);

impl platform::extract::FromJson for TokenBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let token = f.string("token")?;
        if token.is_empty() || token.len() > 512 {
            f.problem("token", "token harus berupa teks 1–512 karakter");
            return None;
        }
        Some(TokenBody(token))
    }
}

/// Spends an e-mail verification token; a pending account becomes `ACTIVE` (auth.md §6.2).
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth",
    request_body = TokenRequest,
    responses(
        (status = 200, description = "Verified", body = DataBody<EmailVerified>),
        (status = 400, description = "`TOKEN_INVALID`, `TOKEN_USED`, `TOKEN_EXPIRED`, `VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_PUBLIC_PER_MIN` per client IP)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn verify_email(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(TokenBody(token)): StrictJson<TokenBody>,
) -> ApiResult<Data<EmailVerified>> {
    limit_public(&state, &ctx).await?;
    let user_id = accounts::verify_email(&state, &token).await?;
    Ok(Data(EmailVerified {
        message: "Verifikasi email berhasil",
        user_id,
    }))
}

pub struct EmailBody(Option<String>);

impl platform::extract::FromJson for EmailBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        Some(EmailBody(profile::read_email(f, "email", true)))
    }
}

/// Reads `{"email"}` and counts the per-e-mail limit (per IP when the body has no usable e-mail).
async fn email_body_limited(
    state: &AppState,
    ctx: &RequestContext,
    req: axum::extract::Request,
    bucket: &str,
    limit: u32,
) -> ApiResult<String> {
    let bytes = platform::extract::read_json_bytes(req).await?;
    let parsed = platform::extract::parse_json_body::<EmailBody>(&bytes);
    let key = match &parsed {
        Ok(EmailBody(Some(email))) => email.clone(),
        _ => ctx.client_ip.to_string(),
    };
    state.limiter.check(ctx, bucket, &key, limit).await?;
    match parsed? {
        EmailBody(Some(email)) => Ok(email),
        EmailBody(None) => Err(AppError::invalid_field("email", "email wajib diisi")),
    }
}

/// Issues a new verification token when the e-mail belongs to a pending account; the answer is
/// the same either way (auth.md §6.3).
#[utoipa::path(post, path = "/api/v1/auth/resend-verification", tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 200, description = "Always the same message", body = DataBody<MailedMessage>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_RESEND_VERIFICATION_PER_MIN` per e-mail, per client IP without a usable one)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn resend_verification(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    req: axum::extract::Request,
) -> ApiResult<Data<MailedMessage>> {
    let limit = state.config.rate_limits.resend_verification;
    let email = email_body_limited(&state, &ctx, req, "resend-verification", limit).await?;
    let token = accounts::resend_verification(&state, &email, &ctx.request_id).await?;
    Ok(Data(MailedMessage {
        message: "Bila akun ada dan belum terverifikasi, email verifikasi baru sudah dikirim",
        debug_token: debug_token(&state, token.as_ref()),
    }))
}

pub struct LoginBody {
    email: String,
    password: String,
    device_info: Option<String>,
}

impl platform::extract::FromJson for LoginBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let email = profile::read_email(f, "email", true);
        let password = f.string("password").and_then(|p| {
            if p.is_empty() || p.chars().count() > crate::domain::password::MAX_LENGTH {
                f.problem("password", "password harus 1–128 karakter");
                None
            } else {
                Some(p)
            }
        });
        let device_info = f
            .opt_string("deviceInfo")
            .map(|v| profile::check_max_len(f, "deviceInfo", v, 500));
        Some(LoginBody {
            email: email?,
            password: password?,
            device_info: device_info.map_or(Some(None), |d| d.map(Some))?,
        })
    }
}

fn user_agent(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(500).collect())
}

/// Opens a session: an access token and the first refresh token of a new family (auth.md §6.4).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; `requiresVerification` is true for a pending account", body = DataBody<LoggedIn>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`INVALID_CREDENTIALS` (unknown e-mail or wrong password, same body)", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED` (after a correct password)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_LOGIN_PER_MIN` per client IP)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: axum::http::HeaderMap,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<LoginBody>,
) -> ApiResult<Data<LoggedIn>> {
    state
        .limiter
        .check(
            &ctx,
            "login",
            &ctx.client_ip.to_string(),
            state.config.rate_limits.login,
        )
        .await?;
    let device = Device {
        info: body.device_info.or_else(|| user_agent(&headers)),
        ip: Some(ctx.client_ip.to_string()),
    };
    let (user, tokens) = sessions::login(&state, &body.email, body.password, device).await?;
    Ok(Data(LoggedIn {
        tokens,
        user: user.login_user(),
        requires_verification: user.status == crate::domain::user::UserStatus::PendingVerification,
    }))
}

pub struct RefreshBody(String);

impl platform::extract::FromJson for RefreshBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let token = f.string("refreshToken")?;
        if token.is_empty() || token.len() > 512 {
            f.problem(
                "refreshToken",
                "refreshToken harus berupa teks 1–512 karakter",
            );
            return None;
        }
        Some(RefreshBody(token))
    }
}

/// Rotates a refresh token: the presented one is spent, a new one of the same family is issued
/// with a fresh access token; a spent token presented again revokes the family (auth.md §6.5).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The new pair", body = DataBody<TokenPair>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`TOKEN_INVALID`, `TOKEN_EXPIRED`, `TOKEN_REUSE_DETECTED`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_PUBLIC_PER_MIN` per client IP)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn refresh(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(RefreshBody(token)): StrictJson<RefreshBody>,
) -> ApiResult<Data<TokenPair>> {
    limit_public(&state, &ctx).await?;
    Ok(Data(sessions::refresh(&state, &token).await?))
}

/// Revokes the presented refresh token; the same answer for unknown or revoked tokens
/// (auth.md §6.6).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "Logged out (also for unknown or already revoked tokens)", body = DataBody<Message>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_PUBLIC_PER_MIN` per client IP)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn logout(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(RefreshBody(token)): StrictJson<RefreshBody>,
) -> ApiResult<Data<Message>> {
    limit_public(&state, &ctx).await?;
    sessions::logout(&state, &token).await?;
    Ok(Data(Message {
        message: "Berhasil keluar",
    }))
}

/// E-mails a password-reset link when the address belongs to an active or pending account; the
/// answer is the same either way (auth.md §6.7).
#[utoipa::path(post, path = "/api/v1/auth/forgot-password", tag = "auth",
    request_body = EmailRequest,
    responses(
        (status = 200, description = "Always the same message", body = DataBody<MailedMessage>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_FORGOT_PASSWORD_PER_MIN` per e-mail, per client IP without a usable one)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn forgot_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    req: axum::extract::Request,
) -> ApiResult<Data<MailedMessage>> {
    let limit = state.config.rate_limits.forgot_password;
    let email = email_body_limited(&state, &ctx, req, "forgot-password", limit).await?;
    let token = accounts::forgot_password(&state, &email, &ctx.request_id).await?;
    Ok(Data(MailedMessage {
        message: "Bila email terdaftar, tautan reset password sudah kami kirim",
        debug_token: debug_token(&state, token.as_ref()),
    }))
}

pub struct ResetBody {
    token: String,
    new_password: String,
}

impl platform::extract::FromJson for ResetBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let token = TokenBody::from_json(f);
        let new_password = f.string("newPassword");
        Some(ResetBody {
            token: token?.0,
            new_password: new_password?,
        })
    }
}

/// Sets a new password with a reset or set-password token; every session of the account ends
/// and a pending account becomes `ACTIVE` (auth.md §6.8).
#[utoipa::path(post, path = "/api/v1/auth/reset-password", tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 200, description = "Password replaced", body = DataBody<Message>),
        (status = 400, description = "`TOKEN_INVALID`, `TOKEN_USED`, `TOKEN_EXPIRED` (checked before the password), `VALIDATION_ERROR` (a weak password adds `details.requirements`), `BAD_REQUEST`", body = ErrorBody),
        (status = 403, description = "`ACCOUNT_SUSPENDED`, `ACCOUNT_DELETED`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS` (`RATE_LIMIT_PUBLIC_PER_MIN` per client IP)", body = ErrorBody,
            headers(("Retry-After" = u32, description = "Seconds until the window resets"))),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<ResetBody>,
) -> ApiResult<Data<Message>> {
    limit_public(&state, &ctx).await?;
    accounts::reset_password(&state, &body.token, body.new_password).await?;
    Ok(Data(Message {
        message: "Password telah diperbarui. Silakan masuk dengan password baru.",
    }))
}
