//! The service-specific error codes (notification.md §10).

use axum::http::StatusCode;
use platform::AppError;

pub fn invalid_event() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_NOTIFICATION_EVENT",
        "Event notifikasi tidak dikenal",
    )
}

pub fn user_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "USER_NOT_FOUND",
        "Pengguna tidak ditemukan",
    )
}

pub fn template_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "TEMPLATE_NOT_FOUND",
        "Template tidak ditemukan",
    )
}

pub fn log_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "NOTIFICATION_LOG_NOT_FOUND",
        "Log notifikasi tidak ditemukan",
    )
}

pub fn template_invalid(details: serde_json::Value) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "TEMPLATE_INVALID",
        "Template tidak valid",
    )
    .with_details(details)
}

pub fn auth_unavailable() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "AUTH_SERVICE_UNAVAILABLE",
        "Layanan auth tidak tersedia, silakan coba lagi",
    )
}
