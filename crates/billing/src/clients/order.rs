//! The order service's internal order read (billing.md §4.1 step 2).

use platform::AppError;
use platform::client::{Call, CallOutcome, ServiceClient};
use serde_json::Value;
use time::OffsetDateTime;

use crate::domain::errors;

/// What billing reads of an order; the amount and owner are never taken from the client.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFacts {
    pub user_id: String,
    pub status: String,
    /// `pricing.finalPrice` when it is an integer.
    pub final_price: Option<i64>,
    pub plan_id: Option<String>,
    pub plan_name: String,
    pub duration: String,
    pub payment_deadline: Option<OffsetDateTime>,
}

impl OrderFacts {
    pub fn from_body(data: &Value) -> Option<Self> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        Some(Self {
            user_id: text(&data["userId"])?,
            status: text(&data["status"])?,
            final_price: data["pricing"]["finalPrice"].as_i64(),
            plan_id: text(&data["planId"]),
            plan_name: text(&data["planName"]).unwrap_or_default(),
            duration: text(&data["duration"]).unwrap_or_default(),
            payment_deadline: data["paymentDeadline"]
                .as_str()
                .and_then(platform::time_format::parse),
        })
    }

    /// `<planName> - <duration>`, e.g. `Basic VPS 1vCPU 1GB - MONTHLY`.
    pub fn item_name(&self) -> String {
        let name = format!("{} - {}", self.plan_name, self.duration);
        name.chars().take(255).collect()
    }
}

#[derive(Clone, Debug)]
pub struct OrderClient(pub ServiceClient);

impl OrderClient {
    pub async fn get(&self, order_id: &str, request_id: &str) -> Result<OrderFacts, AppError> {
        let path = format!("/api/v1/internal/orders/{order_id}");
        match self.0.call(Call::get(&path, request_id)).await {
            CallOutcome::Success { body, .. } => OrderFacts::from_body(&body["data"])
                .ok_or_else(|| {
                    tracing::error!(orderId = %order_id, "the order service's answer lacks userId or status");
                    errors::order_service_unavailable()
                }),
            CallOutcome::Final { status: 404, .. } => Err(errors::order_not_found()),
            CallOutcome::AuthRejected { status, .. } => {
                tracing::error!(status, "the order service rejected our API key");
                Err(errors::order_service_unavailable())
            }
            CallOutcome::Final { status, .. } => {
                tracing::error!(status, orderId = %order_id, "unexpected answer of the order service");
                Err(errors::order_service_unavailable())
            }
            CallOutcome::Retryable { error, .. } => {
                tracing::warn!(error = %error, orderId = %order_id, "the order service is unavailable");
                Err(errors::order_service_unavailable())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_fields_billing_needs() {
        let facts = OrderFacts::from_body(&json!({
            "userId": "u1", "status": "PENDING_PAYMENT", "planId": "p", "planName": "Basic VPS",
            "duration": "MONTHLY", "pricing": {"finalPrice": 150000},
            "paymentDeadline": "2025-01-18T10:00:00.000Z"
        }))
        .unwrap();
        assert_eq!(facts.final_price, Some(150_000));
        assert_eq!(facts.item_name(), "Basic VPS - MONTHLY");
        assert!(facts.payment_deadline.is_some());
        let odd = OrderFacts::from_body(&json!({
            "userId": "u1", "status": "PENDING_PAYMENT", "pricing": {"finalPrice": 1.5}
        }))
        .unwrap();
        assert_eq!(odd.final_price, None);
        assert!(OrderFacts::from_body(&json!({"status": "X"})).is_none());
    }
}
