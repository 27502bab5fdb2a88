//! Public routes: registration, verification, login, refresh, logout, password reset
//! (auth.md §6.1–§6.8).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::extract::{JsonFields, StrictJson};
use platform::http::{Created, Data, RequestContext};
use platform::{ApiResult, AppError};
use serde_json::{Value, json};

use crate::accounts::{self, IssuedToken, Registration};
use crate::domain::profile;
use crate::sessions::{self, Device};
use crate::state::AppState;

/// Adds `debugToken` when `AUTH_DEBUG_TOKENS=true` (tests without a mailbox, auth.md §5.4).
fn with_debug_token(state: &AppState, mut body: Value, token: Option<&IssuedToken>) -> Value {
    if let (true, Some(token)) = (state.config.debug_tokens, token) {
        body["debugToken"] = json!(token.raw);
    }
    body
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

pub async fn register(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictJson(RegisterBody(body)): StrictJson<RegisterBody>,
) -> ApiResult<Response> {
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
    let data = with_debug_token(&state, json!(user.summary()), token.as_ref());
    Ok(Created {
        location: "/api/v1/auth/me".into(),
        body: data,
    }
    .into_response())
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

pub async fn verify_email(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictJson(TokenBody(token)): StrictJson<TokenBody>,
) -> ApiResult<Data<Value>> {
    limit_public(&state, &ctx).await?;
    let user_id = accounts::verify_email(&state, &token).await?;
    Ok(Data(
        json!({ "message": "Verifikasi email berhasil", "userId": user_id }),
    ))
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

pub async fn resend_verification(
    State(state): State<AppState>,
    ctx: RequestContext,
    req: axum::extract::Request,
) -> ApiResult<Data<Value>> {
    let limit = state.config.rate_limits.resend_verification;
    let email = email_body_limited(&state, &ctx, req, "resend-verification", limit).await?;
    let token = accounts::resend_verification(&state, &email, &ctx.request_id).await?;
    let message = "Bila akun ada dan belum terverifikasi, email verifikasi baru sudah dikirim";
    Ok(Data(with_debug_token(
        &state,
        json!({ "message": message }),
        token.as_ref(),
    )))
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

pub async fn login(
    State(state): State<AppState>,
    ctx: RequestContext,
    headers: axum::http::HeaderMap,
    StrictJson(body): StrictJson<LoginBody>,
) -> ApiResult<Data<Value>> {
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
    let mut data = json!(tokens);
    data["user"] = json!(user.login_user());
    data["requiresVerification"] =
        json!(user.status == crate::domain::user::UserStatus::PendingVerification);
    Ok(Data(data))
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

pub async fn refresh(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictJson(RefreshBody(token)): StrictJson<RefreshBody>,
) -> ApiResult<Data<sessions::TokenPair>> {
    limit_public(&state, &ctx).await?;
    Ok(Data(sessions::refresh(&state, &token).await?))
}

pub async fn logout(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictJson(RefreshBody(token)): StrictJson<RefreshBody>,
) -> ApiResult<Data<Value>> {
    limit_public(&state, &ctx).await?;
    sessions::logout(&state, &token).await?;
    Ok(Data(json!({ "message": "Berhasil keluar" })))
}

pub async fn forgot_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    req: axum::extract::Request,
) -> ApiResult<Data<Value>> {
    let limit = state.config.rate_limits.forgot_password;
    let email = email_body_limited(&state, &ctx, req, "forgot-password", limit).await?;
    let token = accounts::forgot_password(&state, &email, &ctx.request_id).await?;
    let message = "Bila email terdaftar, tautan reset password sudah kami kirim";
    Ok(Data(with_debug_token(
        &state,
        json!({ "message": message }),
        token.as_ref(),
    )))
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

pub async fn reset_password(
    State(state): State<AppState>,
    ctx: RequestContext,
    StrictJson(body): StrictJson<ResetBody>,
) -> ApiResult<Data<Value>> {
    limit_public(&state, &ctx).await?;
    accounts::reset_password(&state, &body.token, body.new_password).await?;
    Ok(Data(
        json!({ "message": "Password telah diperbarui. Silakan masuk dengan password baru." }),
    ))
}
