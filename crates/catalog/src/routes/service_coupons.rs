//! Service routes of the order service (catalog.md §6.5): redeem and release, API key only,
//! idempotent per `orderId`.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::auth::ServiceCaller;
use platform::extract::{FromJson, JsonFields, StrictJson};
use platform::http::{Created, Data};

use super::coupon_validate::read_code;
use super::fields::{self, MAX_MONEY};
use crate::domain::redemption::{RedeemRequest, RedeemResult, ReleaseOutcome};
use crate::domain::terms::{PlanDuration, ReleaseReason};
use crate::flows::coupons::{self, Redeemed};
use crate::state::AppState;

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

pub struct ReleaseBody {
    order_id: uuid::Uuid,
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

pub async fn release(
    State(state): State<AppState>,
    _caller: ServiceCaller,
    StrictJson(body): StrictJson<ReleaseBody>,
) -> ApiResult<Data<ReleaseOutcome>> {
    Ok(Data(
        coupons::release(&state, body.order_id, body.reason).await?,
    ))
}
