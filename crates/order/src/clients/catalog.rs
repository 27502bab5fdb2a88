//! The catalog client (order.md §6): plan, image for a plan, coupon validation and redemption,
//! each one call through `platform::client::ServiceClient` (timeout per call, `X-API-Key`,
//! `X-Service-Name`, `X-Request-Id`, in-request retries of platform §10.2).

use platform::client::{Call, CallOutcome, ServiceClient};
use platform::config::{Secret, ServiceEndpoint};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::pricing::{CatalogImage, CatalogPlan, CouponValidation, Redemption};
use crate::domain::status::PlanDuration;

/// `details.operation` of `CATALOG_SERVICE_UNAVAILABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    GetPlan,
    GetImage,
    ValidateCoupon,
    RedeemCoupon,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::GetPlan => "GET_PLAN",
            Operation::GetImage => "GET_IMAGE",
            Operation::ValidateCoupon => "VALIDATE_COUPON",
            Operation::RedeemCoupon => "REDEEM_COUPON",
        }
    }
}

/// How a catalog call failed, before the caller maps it to its own error (§6 mapping table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogError {
    /// Timeout, connection failure, 5xx/429 after retries, 401/403, malformed answer:
    /// `reason` is `TIMEOUT | CONNECTION_FAILED | UPSTREAM_ERROR | INVALID_RESPONSE`.
    Unavailable {
        operation: Operation,
        reason: &'static str,
    },
    /// `404`, with the catalog's `error.code`.
    NotFound { code: Option<String> },
    /// Another final `4xx`: the catalog's `error.code` and `details.reason`.
    Refused {
        status: u16,
        code: Option<String>,
        reason: Option<String>,
    },
}

#[derive(Clone, Debug)]
pub struct CatalogClient {
    client: ServiceClient,
}

impl CatalogClient {
    pub fn new(endpoint: &ServiceEndpoint, api_key: Secret) -> anyhow::Result<Self> {
        Ok(Self {
            client: ServiceClient::new(endpoint, api_key, SERVICE_NAME)?,
        })
    }

    /// Tests shorten the 250 ms / 1 s retry delays.
    pub fn with_retry_delays(mut self, delays: [std::time::Duration; 2]) -> Self {
        self.client = self.client.with_retry_delays(delays);
        self
    }

    pub async fn plan(&self, plan_id: Uuid, request_id: &str) -> Result<CatalogPlan, CatalogError> {
        let path = format!("/api/v1/catalog/plans/{plan_id}");
        let outcome = self.client.call(Call::get(&path, request_id)).await;
        read(Operation::GetPlan, outcome)
    }

    pub async fn image_for_plan(
        &self,
        image_id: Uuid,
        plan_id: Uuid,
        request_id: &str,
    ) -> Result<CatalogImage, CatalogError> {
        let path = format!("/api/v1/catalog/images/{image_id}?planId={plan_id}");
        let outcome = self.client.call(Call::get(&path, request_id)).await;
        read(Operation::GetImage, outcome)
    }

    /// `amount` is the pricing entry's `finalPrice`; `user_id` the token's `sub`.
    pub async fn validate_coupon(
        &self,
        code: &str,
        plan_id: Uuid,
        user_id: &str,
        amount: i64,
        request_id: &str,
    ) -> Result<CouponValidation, CatalogError> {
        let body = json!({ "code": code, "planId": plan_id, "userId": user_id, "amount": amount });
        // A read in effect (nothing is written), so the platform's retries of a GET would be
        // safe; the client retries only writes with a key, and a validation is cheap to redo
        // by the customer, so it is sent once.
        let outcome = self
            .client
            .call(Call::post(
                "/api/v1/catalog/coupons/validate",
                &body,
                request_id,
            ))
            .await;
        read(Operation::ValidateCoupon, outcome)
    }

    /// Redeems for the new order; `Idempotency-Key` = the order id, so the in-request retries
    /// (and a repeat after a lost answer) are no-ops at the catalog.
    pub async fn redeem(
        &self,
        r: &RedeemRequest<'_>,
        request_id: &str,
    ) -> Result<Redemption, CatalogError> {
        let body = json!({
            "code": r.code, "orderId": r.order_id, "userId": r.user_id, "planId": r.plan_id,
            "duration": r.duration.as_str(), "amount": r.amount
        });
        let key = r.order_id.to_string();
        let outcome = self
            .client
            .call(
                Call::post("/api/v1/internal/catalog/coupons/redeem", &body, request_id)
                    .idempotency_key(&key),
            )
            .await;
        read(Operation::RedeemCoupon, outcome)
    }
}

#[derive(Debug, Clone)]
pub struct RedeemRequest<'a> {
    pub code: &'a str,
    pub order_id: Uuid,
    pub user_id: &'a str,
    pub plan_id: Uuid,
    pub duration: PlanDuration,
    pub amount: i64,
}

/// Maps one outcome by §6's table; `data` must deserialize into `T`.
pub fn read<T: DeserializeOwned>(op: Operation, outcome: CallOutcome) -> Result<T, CatalogError> {
    let unavailable = |reason| CatalogError::Unavailable {
        operation: op,
        reason,
    };
    match outcome {
        CallOutcome::Success { body, .. } => body
            .get("data")
            .cloned()
            .and_then(|data| serde_json::from_value(data).ok())
            .ok_or_else(|| {
                tracing::warn!(operation = op.as_str(), "catalog answer is malformed");
                unavailable("INVALID_RESPONSE")
            }),
        CallOutcome::Retryable {
            timed_out, status, ..
        } => Err(unavailable(if timed_out {
            "TIMEOUT"
        } else if status.is_none() {
            "CONNECTION_FAILED"
        } else {
            "UPSTREAM_ERROR"
        })),
        CallOutcome::AuthRejected { status, .. } => {
            // Our key is wrong or missing at the catalog: a configuration error (platform §10.2).
            tracing::error!(
                operation = op.as_str(),
                status,
                "catalog rejected our API key"
            );
            Err(unavailable("UPSTREAM_ERROR"))
        }
        CallOutcome::Final { status, body } => {
            let code = error_str(&body, &["error", "code"]);
            if status == 404 {
                Err(CatalogError::NotFound { code })
            } else {
                Err(CatalogError::Refused {
                    status,
                    code,
                    reason: error_str(&body, &["error", "details", "reason"]),
                })
            }
        }
    }
}

fn error_str(body: &Value, path: &[&str]) -> Option<String> {
    path.iter()
        .try_fold(body, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_outcomes_per_the_table() {
        let timeout = CallOutcome::Retryable {
            status: None,
            retry_after: None,
            error: "timeout".into(),
            timed_out: true,
        };
        assert_eq!(
            read::<CatalogPlan>(Operation::GetPlan, timeout),
            Err(CatalogError::Unavailable {
                operation: Operation::GetPlan,
                reason: "TIMEOUT"
            })
        );
        let refused = CallOutcome::Retryable {
            status: None,
            retry_after: None,
            error: "connection failed".into(),
            timed_out: false,
        };
        assert!(matches!(
            read::<CatalogPlan>(Operation::GetPlan, refused),
            Err(CatalogError::Unavailable {
                reason: "CONNECTION_FAILED",
                ..
            })
        ));
        let five = CallOutcome::Retryable {
            status: Some(503),
            retry_after: None,
            error: "x".into(),
            timed_out: false,
        };
        assert!(matches!(
            read::<CatalogPlan>(Operation::GetPlan, five),
            Err(CatalogError::Unavailable {
                reason: "UPSTREAM_ERROR",
                ..
            })
        ));
        let auth = CallOutcome::AuthRejected {
            status: 401,
            body: Value::Null,
        };
        assert!(matches!(
            read::<CatalogPlan>(Operation::GetPlan, auth),
            Err(CatalogError::Unavailable {
                reason: "UPSTREAM_ERROR",
                ..
            })
        ));
        let malformed = CallOutcome::Success {
            status: 200,
            body: json!({"data": {"id": "nope"}}),
        };
        assert!(matches!(
            read::<CatalogPlan>(Operation::GetPlan, malformed),
            Err(CatalogError::Unavailable {
                reason: "INVALID_RESPONSE",
                ..
            })
        ));
        let not_found = CallOutcome::Final {
            status: 404,
            body: json!({"error": {"code": "PLAN_NOT_FOUND"}}),
        };
        assert_eq!(
            read::<CatalogImage>(Operation::GetImage, not_found),
            Err(CatalogError::NotFound {
                code: Some("PLAN_NOT_FOUND".into())
            })
        );
        let unprocessable = CallOutcome::Final {
            status: 422,
            body: json!({"error": {"code": "COUPON_NOT_APPLICABLE", "details": {"reason": "LIMIT_GLOBAL_REACHED"}}}),
        };
        assert_eq!(
            read::<Redemption>(Operation::RedeemCoupon, unprocessable),
            Err(CatalogError::Refused {
                status: 422,
                code: Some("COUPON_NOT_APPLICABLE".into()),
                reason: Some("LIMIT_GLOBAL_REACHED".into())
            })
        );
    }

    #[test]
    fn reads_the_catalog_wire_format() {
        let body = json!({"data": {"valid": false, "code": "X", "amount": 1, "discountAmount": null,
            "finalPrice": null, "coupon": null, "reason": "EXPIRED", "message": "m", "currency": "IDR"}});
        let v: CouponValidation = read(
            Operation::ValidateCoupon,
            CallOutcome::Success { status: 200, body },
        )
        .expect("valid shape");
        assert!(!v.valid);
        assert_eq!(v.reason.as_deref(), Some("EXPIRED"));
    }
}
