//! The catalog's extractors: the admin caller, the optional credentials of coupon validation,
//! UUID path parameters, and `Cache-Control: no-store`.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use platform::auth::Credentials;
use platform::extract::parse_uuid;
use platform::{AppError, FieldError};
use uuid::Uuid;

use crate::state::AppState;

/// Who asks for a coupon validation. Every presented credential must be valid: a wrong API key
/// or a bad bearer token is `401`, never silently ignored.
#[derive(Debug, Clone)]
pub struct ValidateCaller {
    /// A valid `X-API-Key` (the order service): trusted with the body's `userId`, not limited.
    pub service: bool,
    /// The verified bearer token's `sub`.
    pub token_sub: Option<String>,
}

impl FromRequestParts<AppState> for ValidateCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let credentials = Credentials::from_request_parts(parts, state).await?;
        Ok(ValidateCaller {
            service: credentials.api_key,
            token_sub: credentials.claims.map(|c| c.sub),
        })
    }
}

/// `N` path parameters that must all be UUIDs; every malformed one is named in one
/// `400 VALIDATION_ERROR`.
#[derive(Debug, Clone, Copy)]
pub struct UuidPath<const N: usize>(pub [Uuid; N]);

impl<S: Send + Sync, const N: usize> FromRequestParts<S> for UuidPath<N> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::bad_request())?;
        let mut ids = Vec::with_capacity(N);
        let mut problems = Vec::new();
        for (name, raw) in &params {
            match parse_uuid(raw) {
                Some(id) => ids.push(id),
                None => problems.push(FieldError::new(
                    name.clone(),
                    format!("{name} harus berupa UUID v4"),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(AppError::validation(problems));
        }
        let ids: [Uuid; N] = ids.try_into().map_err(|_| {
            AppError::internal(anyhow::anyhow!("route declares another number of ids"))
        })?;
        Ok(UuidPath(ids))
    }
}

/// A response that must not be cached anywhere (catalog.md §2: plan detail and coupons).
#[derive(Debug)]
pub struct NoStore<T>(pub T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
