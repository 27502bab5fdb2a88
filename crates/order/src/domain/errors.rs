//! The order service's error codes (order.md §5) as envelopes.

use axum::http::StatusCode;
use platform::AppError;
use serde_json::{Value, json};

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

pub fn invalid_plan(details: Value) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_PLAN",
        "Paket tidak ditemukan atau sedang tidak tersedia",
    )
    .with_details(details)
}

pub fn invalid_image(details: Value) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_IMAGE",
        "Image tidak ditemukan atau tidak tersedia untuk paket ini",
    )
    .with_details(details)
}

pub fn invalid_coupon(code: &str, reason: &str) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_COUPON",
        "Kode kupon tidak dapat digunakan",
    )
    .with_details(json!({ "couponCode": code, "reason": reason }))
}

pub fn invalid_duration(duration: &str, plan_id: uuid::Uuid, available: &[String]) -> AppError {
    AppError::new(
        StatusCode::BAD_REQUEST,
        "INVALID_DURATION",
        "Durasi tidak tersedia untuk paket ini",
    )
    .with_details(json!({
        "duration": duration, "planId": plan_id, "availableDurations": available
    }))
}

pub fn payment_status_conflict(
    current: &str,
    requested: &str,
    reason: Option<&'static str>,
) -> AppError {
    let mut details = json!({ "currentStatus": current, "requestedStatus": requested });
    if let Some(reason) = reason {
        details["reason"] = json!(reason);
    }
    AppError::new(
        StatusCode::CONFLICT,
        "PAYMENT_STATUS_CONFLICT",
        "Status pembayaran tidak dapat diubah pada status order saat ini",
    )
    .with_details(details)
}

pub fn order_status_conflict(current: &str, requested: &str) -> AppError {
    AppError::new(
        StatusCode::CONFLICT,
        "ORDER_STATUS_CONFLICT",
        "Aksi tidak dapat dilakukan pada status order saat ini",
    )
    .with_details(json!({ "currentStatus": current, "requestedStatus": requested }))
}

/// `operation`: `GET_PLAN | GET_IMAGE | VALIDATE_COUPON | REDEEM_COUPON`; `reason`:
/// `TIMEOUT | CONNECTION_FAILED | UPSTREAM_ERROR | INVALID_RESPONSE`.
pub fn catalog_unavailable(operation: &str, reason: &str) -> AppError {
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "CATALOG_SERVICE_UNAVAILABLE",
        "Layanan katalog sedang tidak dapat dihubungi, silakan coba lagi",
    )
    .with_details(json!({ "operation": operation, "reason": reason }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_their_statuses() {
        let cases = [
            (order_not_found(), 404, "ORDER_NOT_FOUND"),
            (order_access_denied(), 403, "ORDER_ACCESS_DENIED"),
            (invalid_plan(json!({})), 400, "INVALID_PLAN"),
            (invalid_image(json!({})), 400, "INVALID_IMAGE"),
            (invalid_coupon("X", "EXPIRED"), 400, "INVALID_COUPON"),
            (
                invalid_duration("ANNUAL", uuid::Uuid::nil(), &[]),
                400,
                "INVALID_DURATION",
            ),
            (
                payment_status_conflict("ACTIVE", "PAID", None),
                409,
                "PAYMENT_STATUS_CONFLICT",
            ),
            (
                order_status_conflict("ACTIVE", "CANCELED"),
                409,
                "ORDER_STATUS_CONFLICT",
            ),
            (
                catalog_unavailable("GET_PLAN", "TIMEOUT"),
                503,
                "CATALOG_SERVICE_UNAVAILABLE",
            ),
        ];
        for (err, status, code) in cases {
            let body = err.body();
            assert_eq!(err.status.as_u16(), status, "{code}");
            assert_eq!(body["error"]["code"], code);
        }
    }
}
