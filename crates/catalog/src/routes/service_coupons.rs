//! Service routes of the order service (catalog.md §6.5): redeem and release, API key only,
//! idempotent per `orderId`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::auth::ServiceCaller;
use platform::extract::{FromJson, JsonFields, StrictJson};
use platform::http::{Created, Data};
use platform::openapi::{DataBody, ErrorBody};
use uuid::Uuid;

use super::coupon_validate::read_code;
use super::fields::{self, MAX_MONEY};
use crate::domain::redemption::{RedeemRequest, RedeemResult, ReleaseOutcome};
use crate::domain::terms::{PlanDuration, ReleaseReason};
use crate::flows::coupons::{self, Redeemed};
use crate::state::AppState;

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// A coupon to record for a new order.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponRedeemBody)]
#[allow(dead_code)]
pub struct RedeemDoc {
    /// Trimmed and matched case-insensitively; 1–32 characters.
    #[schema(min_length = 1, max_length = 32)]
    code: String,
    /// The natural idempotency key: a repeat with the same body answers the first record.
    order_id: Uuid,
    user_id: Uuid,
    plan_id: Uuid,
    #[schema(value_type = PlanDuration)]
    duration: String,
    /// The post-promo price, in IDR.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    amount: i64,
}

pub struct RedeemBody(RedeemRequest);

impl FromJson for RedeemBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let code = read_code(f);
        let order_id = f.uuid("orderId");
        let user_id = f.uuid("userId");
        let plan_id = f.uuid("planId");
        let duration = fields::req_enum(f, "duration", &PlanDuration::NAMES, PlanDuration::parse);
        let amount = fields::req_int(f, "amount", 0, MAX_MONEY);
        Some(RedeemBody(RedeemRequest {
            code: code?,
            order_id: order_id?,
            user_id: user_id?,
            plan_id: plan_id?,
            duration: duration?,
            amount: amount?,
        }))
    }
}

/// Records the coupon for a new order, re-running every check under the coupon's lock;
/// idempotent per `orderId` (catalog.md §6.5). An `Idempotency-Key` header is not read.
#[utoipa::path(post, path = "/api/v1/internal/catalog/coupons/redeem", tag = "service", operation_id = "redeemCoupon",
    security(("apiKey" = [])),
    request_body = RedeemDoc,
    responses(
        (status = 201, description = "Redeemed; `Location` names the coupon's redemptions", body = DataBody<RedeemResult>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/coupons/{couponId}/redemptions"))),
        (status = 200, description = "A repeat of an earlier identical redeem: the same record", body = DataBody<RedeemResult>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (`X-API-Key` missing or wrong)", body = ErrorBody),
        (status = 409, description = "`ORDER_ALREADY_REDEEMED` (`details.reason`: `DIFFERENT_COUPON`, `DIFFERENT_REQUEST`, `REDEMPTION_RELEASED`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 422, description = "`COUPON_NOT_APPLICABLE` (`details.reason`: a validation reason; `details.minOrderAmount` for `MIN_AMOUNT_NOT_MET`)", body = ErrorBody),
    ))]
pub async fn redeem(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictJson(RedeemBody(body)): StrictJson<RedeemBody>,
) -> ApiResult<Response> {
    Ok(match coupons::redeem(&state, &body).await? {
        Redeemed::Created(record) => Created {
            location: format!(
                "/api/v1/internal/catalog/coupons/{}/redemptions",
                record.coupon_id
            ),
            body: RedeemResult::from(&record),
        }
        .into_response(),
        Redeemed::Repeated(record) => Data(RedeemResult::from(&record)).into_response(),
    })
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[schema(as = ReleaseReason)]
#[allow(dead_code)]
pub enum ReleaseReasonName {
    OrderCancelled,
    PaymentExpired,
    OrderNotCreated,
    PaymentFailed,
    OrderFailed,
    Refunded,
    Other,
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// An order whose redemption stops counting, and why.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponReleaseBody)]
#[allow(dead_code)]
pub struct ReleaseDoc {
    order_id: Uuid,
    reason: ReleaseReasonName,
}

pub struct ReleaseBody {
    order_id: Uuid,
    reason: ReleaseReason,
}

impl FromJson for ReleaseBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let order_id = f.uuid("orderId");
        let reason = fields::req_enum(f, "reason", &ReleaseReason::NAMES, ReleaseReason::parse);
        Some(ReleaseBody {
            order_id: order_id?,
            reason: reason?,
        })
    }
}

/// Stops an order's redemption from counting toward the limits; a repeat answers
/// `released: false` (catalog.md §6.5).
#[utoipa::path(post, path = "/api/v1/internal/catalog/coupons/release", tag = "service", operation_id = "releaseCoupon",
    security(("apiKey" = [])),
    request_body = ReleaseDoc,
    responses(
        (status = 200, description = "Released, or `released: false` when the order had no active redemption", body = DataBody<ReleaseOutcome>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (`X-API-Key` missing or wrong)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn release(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictJson(body): StrictJson<ReleaseBody>,
) -> ApiResult<Data<ReleaseOutcome>> {
    Ok(Data(
        coupons::release(&state, body.order_id, body.reason).await?,
    ))
}
