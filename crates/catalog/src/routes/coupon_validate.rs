//! `POST /api/v1/catalog/coupons/validate` (catalog.md §6.1): a read-only price preview,
//! limited per client IP against code guessing unless the order service asks.

use axum::extract::State;
use platform::ApiResult;
use platform::extract::{FromJson, JsonFields, parse_json_body, parse_uuid, read_json_bytes};
use platform::http::{Data, RequestContext};
use platform::openapi::{DataBody, ErrorBody};
use uuid::Uuid;

use super::extract::{NoStore, ValidateCaller};
use super::fields::{self, MAX_MONEY};
use crate::domain::coupon::{ValidationOutcome, normalize_code};
use crate::flows::coupons::{self, ValidateInput};
use crate::state::AppState;

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// A coupon code to preview against an amount.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponValidateBody)]
#[allow(dead_code)]
pub struct ValidateRequest {
    /// Trimmed and matched case-insensitively; 1–32 characters.
    #[schema(min_length = 1, max_length = 32)]
    code: String,
    /// The post-promo price the coupon would apply to, in IDR.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    amount: i64,
    /// Required by plan-restricted coupons.
    plan_id: Option<Uuid>,
    /// Ignored when a bearer token is sent (its `sub` is used); otherwise needed by
    /// user-restricted coupons and the per-user limit.
    user_id: Option<Uuid>,
}

pub struct ValidateBody {
    code: String,
    amount: i64,
    plan_id: Option<Uuid>,
    user_id: Option<Uuid>,
}

/// A coupon code as typed by a customer: trimmed, 1–32 characters, upper-cased for matching.
pub fn read_code(f: &mut JsonFields) -> Option<String> {
    let code = normalize_code(&f.string("code")?);
    let n = code.chars().count();
    if n == 0 || n > 32 {
        f.problem("code", "code harus 1–32 karakter");
        return None;
    }
    Some(code)
}

impl FromJson for ValidateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let code = read_code(f);
        let amount = fields::req_int(f, "amount", 0, MAX_MONEY);
        let plan_id = f.opt_uuid("planId");
        let user_id = f.opt_uuid("userId");
        Some(ValidateBody {
            code: code?,
            amount: amount?,
            plan_id,
            user_id,
        })
    }
}

/// A read-only price preview of a coupon: answered with `200` whether it applies or not
/// (`valid`, `reason`). Limited per client IP unless a valid `X-API-Key` is sent
/// (catalog.md §6.1, §4.4).
#[utoipa::path(post, path = "/api/v1/catalog/coupons/validate", tag = "catalog", operation_id = "validateCoupon",
    security((), ("bearerAuth" = []), ("apiKey" = [])),
    request_body = ValidateRequest,
    responses(
        (status = 200, description = "The outcome; `valid: false` carries `reason` and `message`", body = DataBody<ValidationOutcome>,
            headers(("Cache-Control" = String, description = "`no-store`"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED` (an invalid bearer token or API key)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
        (status = 429, description = "`TOO_MANY_REQUESTS`", body = ErrorBody),
    ))]
pub async fn validate(
    State(state): State<AppState>,
    ctx: RequestContext,
    caller: ValidateCaller,
    req: axum::extract::Request,
) -> ApiResult<NoStore<Data<ValidationOutcome>>> {
    // Counted before the body is read, so that malformed guesses use up the budget too.
    if !caller.service {
        state
            .limiter
            .check(
                &ctx,
                "coupon-validate",
                &ctx.client_ip.to_string(),
                state.config.coupon_validate_per_min,
            )
            .await?;
    }
    let bytes = read_json_bytes(req).await?;
    let body: ValidateBody = parse_json_body(&bytes)?;
    // A token's subject replaces the body's user. Subjects are opaque (platform.md §3.1); one
    // that is not a UUID can be on no coupon's list, so it is checked as an unknown user.
    let user_id = match &caller.token_sub {
        Some(sub) => parse_uuid(sub),
        None => body.user_id,
    };
    let outcome = coupons::validate(
        &state,
        ValidateInput {
            code: body.code,
            amount: body.amount,
            plan_id: body.plan_id,
            user_id,
        },
    )
    .await?;
    Ok(NoStore(Data(outcome)))
}
