//! The billing error codes of billing.md §10.

use axum::http::StatusCode;
use platform::AppError;
use serde_json::json;

pub fn invoice_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "INVOICE_NOT_FOUND",
        "Invoice tidak ditemukan",
    )
}

pub fn invoice_access_denied() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "INVOICE_ACCESS_DENIED",
        "Anda tidak memiliki akses ke invoice ini",
    )
}

pub fn order_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "ORDER_NOT_FOUND",
        "Order tidak ditemukan",
    )
}

pub fn order_access_denied() -> AppError {
    AppError::new(
        StatusCode::FORBIDDEN,
        "ORDER_ACCESS_DENIED",
        "Anda tidak memiliki akses ke order ini",
    )
}

pub fn order_not_payable(current_status: &str, reason: Option<&str>) -> AppError {
    let mut details = json!({ "currentStatus": current_status });
    if let Some(reason) = reason {
        details["reason"] = json!(reason);
    }
    AppError::new(
        StatusCode::CONFLICT,
        "ORDER_NOT_PAYABLE",
        "Order tidak dalam status menunggu pembayaran",
    )
    .with_details(details)
}

pub fn invalid_order_amount() -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "INVALID_ORDER_AMOUNT",
        "Nominal order tidak valid untuk ditagihkan",
    )
}

pub fn invoice_already_paid() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "INVOICE_ALREADY_PAID",
        "Invoice sudah dibayar",
    )
}

pub fn invoice_expired() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "INVOICE_EXPIRED",
        "Invoice sudah kedaluwarsa",
    )
}

pub fn invalid_invoice_status(current_status: &str) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "INVALID_INVOICE_STATUS",
        "Status invoice tidak memungkinkan aksi ini",
    )
    .with_details(json!({ "currentStatus": current_status }))
}

pub fn channel_invalid() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "PAYMENT_CHANNEL_INVALID",
        "Channel pembayaran tidak dikenal",
    )
}

/// `reason` ∈ `NOT_ACTIVE`, `AMOUNT_OUT_OF_RANGE`, `EXPIRY_TOO_SHORT`.
pub fn channel_not_available(reason: &str) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "PAYMENT_CHANNEL_NOT_AVAILABLE",
        "Channel pembayaran tidak tersedia untuk invoice ini",
    )
    .with_details(json!({ "reason": reason }))
}

pub fn payment_failed(gateway_message: &str) -> AppError {
    AppError::new(
        StatusCode::PAYMENT_REQUIRED,
        "PAYMENT_FAILED",
        "Payment gateway menolak pembuatan transaksi",
    )
    .with_details(json!({ "gatewayMessage": gateway_message }))
}

/// 502 for a bad answer, 503 when Tripay cannot be reached.
pub fn gateway_error(status: StatusCode) -> AppError {
    AppError::new(
        status,
        "GATEWAY_ERROR",
        "Payment gateway sedang bermasalah, silakan coba lagi",
    )
}

pub fn callback_event_unsupported() -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "CALLBACK_EVENT_UNSUPPORTED",
        "Jenis event callback tidak didukung",
    )
}

pub fn invalid_callback_payload(problem: &str) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_CALLBACK_PAYLOAD",
        "Payload callback tidak valid",
    )
    .with_details(json!({ "problem": problem }))
}

pub fn order_service_unavailable() -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "ORDER_SERVICE_UNAVAILABLE",
        "Layanan order tidak tersedia, silakan coba lagi",
    )
}

/// `reason` = `SIGNATURE_MISSING` or `SIGNATURE_INVALID`.
pub fn signature_rejected(reason: &str) -> AppError {
    AppError::new(
        StatusCode::UNAUTHORIZED,
        "UNAUTHORIZED",
        "Tanda tangan callback tidak valid",
    )
    .with_details(json!({ "reason": reason }))
}

pub fn callback_ip_forbidden() -> AppError {
    AppError::new(StatusCode::FORBIDDEN, "FORBIDDEN", "Akses ditolak")
}
