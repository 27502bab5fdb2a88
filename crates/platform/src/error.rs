//! The error envelope of platform.md §5–§6: every failure of every service leaves through [`AppError`].

use std::borrow::Cow;

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Value, json};

/// One field problem inside `details.fields`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A failure answered with `{"error":{"code","message","details"}}`.
///
/// `source` is logged (never sent) when the status is a 5xx, so clients see only the envelope.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: Cow<'static, str>,
    pub message: Cow<'static, str>,
    pub details: Option<Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    source: Option<anyhow::Error>,
}

pub type ApiResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            details: None,
            headers: Vec::new(),
            source: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    pub fn with_source(mut self, source: impl Into<anyhow::Error>) -> Self {
        self.source = Some(source.into());
        self
    }

    pub fn bad_request() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Permintaan tidak valid",
        )
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self::validation_with_message("Data yang dikirim tidak valid", fields)
    }

    pub fn validation_with_message(
        message: impl Into<Cow<'static, str>>,
        fields: Vec<FieldError>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", message)
            .with_details(json!({ "fields": fields }))
    }

    /// A single-field validation failure, e.g. a malformed path id.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// `401 UNAUTHORIZED` with `details.reason` (platform §3.1, §3.3).
    pub fn unauthorized(reason: &'static str) -> Self {
        Self::unauthorized_with_message(reason, "Autentikasi diperlukan atau tidak valid")
    }

    pub fn unauthorized_with_message(
        reason: &'static str,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        let err = Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
            .with_details(json!({ "reason": reason }));
        if reason.starts_with("TOKEN_") {
            err.with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
        } else {
            err
        }
    }

    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
            "Anda tidak memiliki izin untuk aksi ini",
        )
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Data tidak ditemukan")
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "Metode tidak diizinkan",
        )
    }

    pub fn conflict() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "CONFLICT",
            "Terjadi konflik dengan data yang ada",
        )
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            "Ukuran permintaan terlalu besar",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Format permintaan harus JSON",
        )
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "TOO_MANY_REQUESTS",
            "Terlalu banyak permintaan, silakan coba lagi nanti",
        )
    }

    pub fn email_not_verified() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "EMAIL_NOT_VERIFIED",
            "Selesaikan verifikasi email terlebih dahulu",
        )
    }

    pub fn service_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "Layanan sedang tidak tersedia",
        )
    }

    /// An unexpected failure: the cause is logged, the client sees only the generic envelope.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Terjadi kesalahan pada server",
        )
        .with_source(source)
    }

    /// The envelope a bare status maps to when no handler produced one (axum's own rejections,
    /// unknown routes, panics).
    pub fn from_status(status: StatusCode) -> Self {
        match status {
            StatusCode::BAD_REQUEST => Self::bad_request(),
            StatusCode::UNAUTHORIZED => Self::unauthorized("TOKEN_MISSING"),
            StatusCode::FORBIDDEN => Self::forbidden(),
            StatusCode::NOT_FOUND => Self::not_found(),
            StatusCode::METHOD_NOT_ALLOWED => Self::method_not_allowed(),
            StatusCode::CONFLICT => Self::conflict(),
            StatusCode::PAYLOAD_TOO_LARGE => Self::payload_too_large(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::unsupported_media_type(),
            StatusCode::TOO_MANY_REQUESTS => Self::too_many_requests(),
            StatusCode::SERVICE_UNAVAILABLE => Self::service_unavailable(),
            StatusCode::GATEWAY_TIMEOUT => Self::new(
                status,
                "GATEWAY_TIMEOUT",
                "Layanan terkait tidak merespons tepat waktu",
            ),
            s if s.is_client_error() => Self::new(s, "BAD_REQUEST", "Permintaan tidak valid"),
            _ => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Terjadi kesalahan pada server",
            ),
        }
    }

    pub fn body(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(details) = &self.details {
            error["details"] = details.clone();
        }
        json!({ "error": error })
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)?;
        if let Some(source) = &self.source {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            match &self.source {
                Some(source) => {
                    tracing::error!(code = %self.code, error = %format!("{source:#}"), "request failed")
                }
                None => tracing::error!(code = %self.code, "request failed"),
            }
        }
        let mut response = (self.status, axum::Json(self.body())).into_response();
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            // The pool could not hand out a connection: the database is the unavailable dependency.
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                Self::service_unavailable().with_source(err)
            }
            other => Self::internal(other),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        Self::internal(err)
    }
}

/// True when a database error is a unique-constraint violation (SQLSTATE 23505), optionally on
/// the named constraint.
pub fn is_unique_violation(err: &sqlx::Error, constraint: Option<&str>) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23505")
                && constraint.is_none_or(|c| db.constraint() == Some(c))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_code_message_and_details() {
        let err = AppError::validation(vec![FieldError::new(
            "planId",
            "planId harus berupa UUID v4",
        )]);
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            err.body(),
            json!({"error":{"code":"VALIDATION_ERROR","message":"Data yang dikirim tidak valid",
                "details":{"fields":[{"field":"planId","message":"planId harus berupa UUID v4"}]}}})
        );
    }

    #[test]
    fn envelope_omits_absent_details() {
        assert_eq!(
            AppError::not_found().body(),
            json!({"error":{"code":"NOT_FOUND","message":"Data tidak ditemukan"}})
        );
    }

    #[test]
    fn token_failures_carry_www_authenticate() {
        let response = AppError::unauthorized("TOKEN_EXPIRED").into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
        let response = AppError::unauthorized("API_KEY_MISSING").into_response();
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }

    #[test]
    fn bare_statuses_map_to_their_codes() {
        assert_eq!(
            AppError::from_status(StatusCode::PAYLOAD_TOO_LARGE).code,
            "PAYLOAD_TOO_LARGE"
        );
        assert_eq!(
            AppError::from_status(StatusCode::METHOD_NOT_ALLOWED).code,
            "METHOD_NOT_ALLOWED"
        );
        assert_eq!(
            AppError::from_status(StatusCode::IM_A_TEAPOT).status,
            StatusCode::IM_A_TEAPOT
        );
        assert_eq!(
            AppError::from_status(StatusCode::BAD_GATEWAY).code,
            "INTERNAL_SERVER_ERROR"
        );
    }
}
