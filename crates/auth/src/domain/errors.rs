//! auth's own error codes (platform.md §6, auth.md §6) with their fixed messages.

use axum::http::StatusCode;
use platform::{AppError, FieldError};
use serde_json::json;

use crate::config::PasswordPolicy;
use crate::domain::password;

pub fn invalid_credentials() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "INVALID_CREDENTIALS",
        "Kombinasi email dan password tidak cocok",
    )
}

pub fn email_already_exists() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "EMAIL_ALREADY_EXISTS",
        "Email ini sudah digunakan akun lain",
    )
}

pub fn user_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "USER_NOT_FOUND",
        "Pengguna tidak ditemukan",
    )
}

pub fn account_suspended() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "ACCOUNT_SUSPENDED",
        "Akun Anda sedang ditangguhkan. Silakan hubungi tim support.",
    )
}

pub fn account_deleted() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "ACCOUNT_DELETED",
        "Akun ini sudah dihapus",
    )
}

/// Verification and reset tokens (400).
pub fn email_token_invalid() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "TOKEN_INVALID",
        "Token verifikasi tidak dikenal",
    )
}

pub fn email_token_used() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "TOKEN_USED",
        "Token ini sudah pernah dipakai",
    )
}

pub fn email_token_expired() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "TOKEN_EXPIRED",
        "Masa berlaku token sudah habis",
    )
}

/// Refresh tokens (401).
pub fn refresh_invalid() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "TOKEN_INVALID",
        "Refresh token tidak dikenal atau sudah dicabut",
    )
}

pub fn refresh_expired() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "TOKEN_EXPIRED",
        "Masa berlaku refresh token sudah habis",
    )
}

pub fn refresh_reused() -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "TOKEN_REUSE_DETECTED",
        "Refresh token lama dipakai ulang; seluruh sesi terkait dicabut demi keamanan.",
    )
}

pub fn invalid_current_password() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_CURRENT_PASSWORD",
        "Password lama tidak sesuai",
    )
}

pub fn invalid_link_code() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_LINK_CODE",
        "Kode penautan Telegram tidak dikenal",
    )
}

pub fn link_code_expired() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "LINK_CODE_EXPIRED",
        "Kode penautan Telegram sudah tidak berlaku",
    )
}

pub fn access_denied() -> AppError {
    AppError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "Akses ditolak")
}

pub fn admin_role_needs_super_admin() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "FORBIDDEN",
        "Role admin hanya dapat dibuat oleh super_admin",
    )
}

/// A password-policy failure: `VALIDATION_ERROR` with `details.requirements` (auth.md §5.2).
pub fn weak_password(field: &str, unmet: &[&'static str], policy: &PasswordPolicy) -> AppError {
    let fields = vec![FieldError::new(field, password::describe(unmet, policy))];
    AppError::validation_with_message("Password belum memenuhi kebijakan keamanan", vec![])
        .with_details(json!({ "fields": fields, "requirements": unmet }))
}
