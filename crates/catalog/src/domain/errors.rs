//! catalog's own error codes (platform.md §6, catalog.md §6) with their messages.

use axum::http::StatusCode;
use platform::AppError;
use serde_json::json;

use super::coupon::Rejection;

pub fn plan_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "PLAN_NOT_FOUND",
        "Paket VPS tidak ditemukan",
    )
}

pub fn image_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "IMAGE_NOT_FOUND",
        "Image sistem operasi tidak ditemukan",
    )
}

pub fn pricing_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "PRICING_NOT_FOUND",
        "Data harga paket tidak ditemukan",
    )
}

pub fn promo_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "PROMO_NOT_FOUND",
        "Data promo tidak ditemukan",
    )
}

pub fn coupon_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "COUPON_NOT_FOUND",
        "Data kupon tidak ditemukan",
    )
}

pub fn plan_image_mapping_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "MAPPING_NOT_FOUND",
        "Relasi paket dan image tidak ditemukan",
    )
}

pub fn coupon_plan_mapping_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "MAPPING_NOT_FOUND",
        "Relasi kupon dan paket tidak ditemukan",
    )
}

pub fn coupon_user_mapping_not_found() -> AppError {
    AppError::new(
        StatusCode::NOT_FOUND,
        "MAPPING_NOT_FOUND",
        "Relasi kupon dan pengguna tidak ditemukan",
    )
}

/// `409 DUPLICATE_ENTRY`; `field` names what collided.
pub fn duplicate(field: &'static str, message: &'static str) -> AppError {
    AppError::new(StatusCode::CONFLICT, "DUPLICATE_ENTRY", message)
        .with_details(json!({ "field": field }))
}

pub fn coupon_in_use() -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "COUPON_IN_USE",
        "Kupon sudah pernah digunakan, nonaktifkan saja",
    )
}

/// `reason`: `DIFFERENT_COUPON`, `DIFFERENT_REQUEST` or `REDEMPTION_RELEASED`.
pub fn order_already_redeemed(reason: &'static str) -> AppError {
    let message = match reason {
        "REDEMPTION_RELEASED" => "Kupon pesanan ini sudah dilepas dan tidak dapat dipakai lagi",
        _ => "Pesanan ini sudah memakai kupon dengan data yang berbeda",
    };
    AppError::new(StatusCode::CONFLICT, "ORDER_ALREADY_REDEEMED", message)
        .with_details(json!({ "reason": reason }))
}

pub fn coupon_not_applicable(rejection: &Rejection) -> AppError {
    let mut details = json!({ "reason": rejection.reason.as_str() });
    if let Some(min) = rejection.min_order_amount {
        details["minOrderAmount"] = json!(min);
    }
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "COUPON_NOT_APPLICABLE",
        rejection.message(),
    )
    .with_details(details)
}
