//! The caller of a user route, re-read from the database on every request (auth.md §5.7).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use platform::AppError;
use platform::auth::{AuthUser, Claims};
use platform::http::RequestContext;

use crate::domain::user::{User, UserStatus};
use crate::state::AppState;
use crate::store::users;

pub struct CurrentUser {
    pub claims: Claims,
    pub user: User,
}

impl CurrentUser {
    /// Telegram linking needs a verified account (auth.md §5.3 rule 5).
    pub fn require_verified(&self) -> Result<(), AppError> {
        if self.user.status == UserStatus::Active {
            Ok(())
        } else {
            Err(AppError::email_not_verified())
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let AuthUser(claims) = AuthUser::from_request_parts(parts, state).await?;
        let ctx = RequestContext::from_request_parts(parts, state).await?;
        state
            .limiter
            .check(&ctx, "user", &claims.sub, state.config.rate_limits.user)
            .await?;
        let id = platform::extract::parse_uuid(&claims.sub)
            .ok_or_else(|| AppError::unauthorized("TOKEN_INVALID"))?;
        let user = users::by_id(&state.pool, id).await?.ok_or_else(|| {
            AppError::unauthorized_with_message(
                "TOKEN_INVALID",
                "Akun pemilik token tidak ditemukan",
            )
        })?;
        if let Some(refusal) = user.status.refusal() {
            return Err(refusal);
        }
        Ok(CurrentUser { claims, user })
    }
}
