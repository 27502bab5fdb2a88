//! Admin routes over coupons (catalog.md §6.4): CRUD, plan and user restrictions, redemptions.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, Patch, QueryFields, StrictJson, StrictQuery,
};
use platform::http::{Created, Data};
use platform::openapi::{DataBody, ErrorBody, PageParams};
use platform::pagination::{PageQuery, Paginated};
use platform::{ApiResult, AppError, FieldError};
use time::OffsetDateTime;
use uuid::Uuid;

use super::extract::UuidPath;
use super::fields::{self, MAX_INT, MAX_MONEY, patch, patch_nullable, patch_value};
use super::replies::Deleted;
use crate::domain::coupon::{AdminCoupon, CouponDraft, normalize_code};
use crate::domain::redemption::RedemptionView;
use crate::domain::rules;
use crate::domain::terms::DiscountType;
use crate::flows::coupons::{self, CouponChanges, NewCoupon, Restriction};
use crate::state::AppState;
use crate::store::contains_pattern;
use crate::store::coupons::AdminFilter;
use crate::store::redemptions::ListFilter;
use platform::auth::AdminCaller;

pub struct ListQuery {
    page: PageQuery,
    filter: AdminFilter,
}

impl FromQuery for ListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let is_active = fields::query_bool(q, "isActive");
        let search = fields::query_search(q, "search");
        Some(ListQuery {
            page,
            filter: AdminFilter {
                is_active,
                pattern: contains_pattern(search.as_deref()),
            },
        })
    }
}

/// Every coupon, newest first (catalog.md §6.4).
#[utoipa::path(get, path = "/api/v1/internal/catalog/coupons", tag = "coupons", operation_id = "adminListCoupons",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        PageParams,
        ("isActive" = Option<bool>, Query, description = "Only active (or inactive) coupons"),
        ("search" = Option<String>, Query, max_length = 255, description = "Part of the code or name, case-insensitive"),
    ),
    responses(
        (status = 200, description = "A page of coupons", body = Paginated<AdminCoupon>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<AdminCoupon>> {
    let (items, total) = coupons::admin_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

/// A coupon with its restrictions and active redemption count (catalog.md §6.4).
#[utoipa::path(get, path = "/api/v1/internal/catalog/coupons/{id}", tag = "coupons", operation_id = "adminGetCoupon",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Coupon id")),
    responses(
        (status = 200, description = "The coupon", body = DataBody<AdminCoupon>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminCoupon>> {
    Ok(Data(coupons::admin_detail(&state, id).await?))
}

fn read_discount_type(f: &mut JsonFields, required: bool) -> Option<DiscountType> {
    if required {
        fields::req_enum(f, "discountType", &DiscountType::NAMES, DiscountType::parse)
    } else {
        fields::opt_enum(f, "discountType", &DiscountType::NAMES, DiscountType::parse)
    }
}

fn limit(f: &mut JsonFields, name: &str) -> Patch<i32> {
    patch(f, name, |f| fields::opt_i32(f, name, 1, MAX_INT))
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// A new coupon with its optional plan and user restrictions.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponCreateBody)]
#[allow(dead_code)]
pub struct CreateDoc {
    /// Trimmed, then stored upper-case; unique in any case.
    #[schema(min_length = 3, max_length = 32, pattern = "^[A-Za-z0-9_-]+$")]
    code: String,
    #[schema(min_length = 1, max_length = 255)]
    name: String,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(value_type = DiscountType)]
    discount_type: String,
    /// `PERCENT`: 1–100; `FIXED`: an amount in IDR.
    #[schema(minimum = 1, maximum = 2147483647)]
    discount_value: i32,
    /// `null` = no minimum.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    min_order_amount: Option<i64>,
    /// `null` = no cap.
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    max_discount_amount: Option<i64>,
    /// Absent or `null` = unlimited.
    #[schema(minimum = 1, maximum = 2147483647)]
    max_total_redemptions: Option<i32>,
    /// Absent = 1; `null` = unlimited.
    #[schema(minimum = 1, maximum = 2147483647)]
    max_redemptions_per_user: Option<i32>,
    /// Default: the time of the request.
    start_at: Option<OffsetDateTime>,
    /// After `startAt`; `null` = no end.
    end_at: Option<OffsetDateTime>,
    /// Default `true`.
    is_active: Option<bool>,
    /// Existing plans; non-empty = the coupon applies to these plans only.
    #[schema(max_items = 100)]
    plan_ids: Option<Vec<Uuid>>,
    /// Not checked against auth; non-empty = the coupon applies to these users only.
    #[schema(max_items = 1000)]
    user_ids: Option<Vec<Uuid>>,
}

pub struct CreateBody {
    code: String,
    /// `start_at` is the request time when the body had none (filled in by the handler).
    draft: CouponDraft,
    start_given: bool,
    plan_ids: Vec<Uuid>,
    user_ids: Vec<Uuid>,
}

impl FromJson for CreateBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let code = f
            .string("code")
            .map(|c| c.trim().to_string())
            .and_then(|c| {
                if fields::is_coupon_code(&c) {
                    Some(normalize_code(&c))
                } else {
                    f.problem("code", "code harus 3–32 karakter A–Z, a–z, 0–9, _ atau -");
                    None
                }
            });
        let name = fields::req_text(f, "name", 255);
        let description = fields::opt_text(f, "description", 2000);
        let discount_type = read_discount_type(f, true);
        let discount_value = fields::req_i32(f, "discountValue", 1, MAX_INT);
        let min_order_amount = fields::opt_int(f, "minOrderAmount", 0, MAX_MONEY);
        let max_discount_amount = fields::opt_int(f, "maxDiscountAmount", 1, MAX_MONEY);
        let max_total = fields::opt_i32(f, "maxTotalRedemptions", 1, MAX_INT);
        // Absent = 1 per user; an explicit null = unlimited (catalog.md §6.4).
        let per_user = match limit(f, "maxRedemptionsPerUser") {
            Patch::Absent => Some(1),
            Patch::Null => None,
            Patch::Value(v) => Some(v),
        };
        let start_at = fields::opt_time(f, "startAt");
        let end_at = fields::opt_time(f, "endAt");
        let is_active = f.opt_bool("isActive");
        let plan_ids = fields::opt_uuid_list(f, "planIds", 100);
        let user_ids = fields::opt_uuid_list(f, "userIds", 1000);
        // Without a start the window is judged against the request time, by the handler.
        let rules = [
            rules::discount_value("", discount_type, discount_value),
            rules::window("", start_at, end_at),
        ];
        for p in rules.into_iter().flatten() {
            f.problem(&p.field, p.message);
        }
        let draft = CouponDraft {
            name: name?,
            description,
            discount_type: discount_type?,
            discount_value: discount_value?,
            min_order_amount,
            max_discount_amount,
            max_total_redemptions: max_total,
            max_redemptions_per_user: per_user,
            start_at: start_at.unwrap_or(OffsetDateTime::UNIX_EPOCH),
            end_at,
            is_active: is_active.unwrap_or(true),
        };
        Some(CreateBody {
            code: code?,
            draft,
            start_given: start_at.is_some(),
            plan_ids: plan_ids.unwrap_or_default(),
            user_ids: user_ids.unwrap_or_default(),
        })
    }
}

/// Creates a coupon with its plan and user restrictions, all at once or not at all
/// (catalog.md §6.4).
#[utoipa::path(post, path = "/api/v1/internal/catalog/coupons", tag = "coupons", operation_id = "adminCreateCoupon",
    security(("apiKey" = []), ("bearerAuth" = [])),
    request_body = CreateDoc,
    responses(
        (status = 201, description = "Created; `Location` names the coupon", body = DataBody<AdminCoupon>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/coupons/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR` (also a percentage over 100 or `endAt` not after `startAt`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND` (`details.planIds` lists the unknown ones)", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`code`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<CreateBody>,
) -> ApiResult<Response> {
    let mut draft = body.draft;
    if !body.start_given {
        draft.start_at = state.now();
        if draft.end_at.is_some_and(|end| end <= draft.start_at) {
            return Err(AppError::validation(vec![FieldError::new(
                "endAt",
                "endAt harus setelah startAt (waktu sekarang)",
            )]));
        }
    }
    let coupon = coupons::create(
        &state,
        &NewCoupon {
            code: body.code,
            draft,
            plan_ids: body.plan_ids,
            user_ids: body.user_ids,
        },
    )
    .await?;
    Ok(Created {
        location: format!("/api/v1/internal/catalog/coupons/{}", coupon.id),
        body: coupon,
    }
    .into_response())
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// Any creation field but `code`, `planIds` and `userIds`, each optional; the rules between
/// fields judge the merged coupon. `null` clears the nullable fields (`description`, the
/// amounts, the limits — unlimited — and `endAt`) and leaves the others unchanged.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponPatchBody)]
#[allow(dead_code)]
pub struct PatchDoc {
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    #[schema(max_length = 2000)]
    description: Option<String>,
    #[schema(value_type = Option<DiscountType>)]
    discount_type: Option<String>,
    #[schema(minimum = 1, maximum = 2147483647)]
    discount_value: Option<i32>,
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    min_order_amount: Option<i64>,
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    max_discount_amount: Option<i64>,
    /// May be below the current usage: the coupon is then exhausted.
    #[schema(minimum = 1, maximum = 2147483647)]
    max_total_redemptions: Option<i32>,
    #[schema(minimum = 1, maximum = 2147483647)]
    max_redemptions_per_user: Option<i32>,
    start_at: Option<OffsetDateTime>,
    end_at: Option<OffsetDateTime>,
    is_active: Option<bool>,
}

pub struct PatchBody(CouponChanges);

impl FromJson for PatchBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let name = patch(f, "name", |f| fields::opt_nonblank_text(f, "name", 255));
        let description = fields::patch_opt_text(f, "description", 2000);
        let discount_type = patch(f, "discountType", |f| read_discount_type(f, false));
        let discount_value = patch(f, "discountValue", |f| {
            fields::opt_i32(f, "discountValue", 1, MAX_INT)
        });
        let min_order_amount = patch(f, "minOrderAmount", |f| {
            fields::opt_int(f, "minOrderAmount", 0, MAX_MONEY)
        });
        let max_discount_amount = patch(f, "maxDiscountAmount", |f| {
            fields::opt_int(f, "maxDiscountAmount", 1, MAX_MONEY)
        });
        let max_total = limit(f, "maxTotalRedemptions");
        let per_user = limit(f, "maxRedemptionsPerUser");
        let start_at = patch(f, "startAt", |f| fields::opt_time(f, "startAt"));
        let end_at = patch(f, "endAt", |f| fields::opt_time(f, "endAt"));
        let is_active = patch(f, "isActive", |f| f.opt_bool("isActive"));
        for fixed in ["code", "planIds", "userIds"] {
            if f.present(fixed) {
                f.opt_value(fixed);
                let hint = match fixed {
                    "code" => "code tidak dapat diubah; buat kupon baru",
                    "planIds" => "planIds tidak dapat diubah lewat PATCH; gunakan rute plans kupon",
                    _ => "userIds tidak dapat diubah lewat PATCH; gunakan rute users kupon",
                };
                f.problem(fixed, hint);
            }
        }
        Some(PatchBody(CouponChanges {
            name: patch_value(name),
            description,
            discount_type: patch_value(discount_type),
            discount_value: patch_value(discount_value),
            min_order_amount: patch_nullable(min_order_amount),
            max_discount_amount: patch_nullable(max_discount_amount),
            max_total_redemptions: patch_nullable(max_total),
            max_redemptions_per_user: patch_nullable(per_user),
            start_at: patch_value(start_at),
            end_at: patch_nullable(end_at),
            is_active: patch_value(is_active),
        }))
    }
}

/// Changes a coupon; an unchanged result writes nothing (catalog.md §6.4).
#[utoipa::path(patch, path = "/api/v1/internal/catalog/coupons/{id}", tag = "coupons", operation_id = "adminUpdateCoupon",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Coupon id")),
    request_body = PatchDoc,
    responses(
        (status = 200, description = "The coupon after the change", body = DataBody<AdminCoupon>),
        (status = 400, description = "`VALIDATION_ERROR` (also for `code`, `planIds`, `userIds`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PatchBody(changes)): StrictJson<PatchBody>,
) -> ApiResult<Data<AdminCoupon>> {
    Ok(Data(coupons::update(&state, id, changes).await?))
}

/// Deletes a coupon nobody ever redeemed; a used one can only be deactivated (catalog.md §4.4).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/coupons/{id}", tag = "coupons", operation_id = "adminDeleteCoupon",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Coupon id")),
    responses(
        (status = 200, description = "Deleted", body = DataBody<Deleted>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`COUPON_IN_USE`", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Deleted>> {
    coupons::delete(&state, id).await?;
    Ok(Data(Deleted::new(id)))
}

/// A plan the coupon is limited to.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponPlanBody)]
#[allow(dead_code)]
pub struct PlanRefDoc {
    plan_id: Uuid,
}

pub struct PlanRef(Uuid);

impl FromJson for PlanRef {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        f.uuid("planId").map(PlanRef)
    }
}

/// A user the coupon is limited to.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = CouponUserBody)]
#[allow(dead_code)]
pub struct UserRefDoc {
    /// Not checked against auth.
    user_id: Uuid,
}

pub struct UserRef(Uuid);

impl FromJson for UserRef {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        f.uuid("userId").map(UserRef)
    }
}

fn created(coupon: AdminCoupon) -> Response {
    Created {
        location: format!("/api/v1/internal/catalog/coupons/{}", coupon.id),
        body: coupon,
    }
    .into_response()
}

/// Limits the coupon to a plan (besides those already listed) (catalog.md §6.4).
#[utoipa::path(post, path = "/api/v1/internal/catalog/coupons/{id}/plans", tag = "coupons", operation_id = "adminAddCouponPlan",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Coupon id")),
    request_body = PlanRefDoc,
    responses(
        (status = 201, description = "The coupon with the new restriction; `Location` names it", body = DataBody<AdminCoupon>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/coupons/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`, `PLAN_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`planId`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn add_plan(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PlanRef(plan_id)): StrictJson<PlanRef>,
) -> ApiResult<Response> {
    Ok(created(
        coupons::restrict(&state, id, Restriction::Plan(plan_id)).await?,
    ))
}

/// Removes a plan restriction; removing the last opens the coupon to every plan
/// (catalog.md §6.4).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/coupons/{id}/plans/{planId}", tag = "coupons", operation_id = "adminRemoveCouponPlan",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Coupon id"),
        ("planId" = Uuid, Path, description = "Plan id"),
    ),
    responses(
        (status = 200, description = "The coupon without the restriction", body = DataBody<AdminCoupon>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`, `MAPPING_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn remove_plan(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id, plan_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminCoupon>> {
    Ok(Data(
        coupons::unrestrict(&state, id, Restriction::Plan(plan_id)).await?,
    ))
}

/// Limits the coupon to a user (besides those already listed) (catalog.md §6.4).
#[utoipa::path(post, path = "/api/v1/internal/catalog/coupons/{id}/users", tag = "coupons", operation_id = "adminAddCouponUser",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Coupon id")),
    request_body = UserRefDoc,
    responses(
        (status = 201, description = "The coupon with the new restriction; `Location` names it", body = DataBody<AdminCoupon>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/coupons/{id}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`userId`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn add_user(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(UserRef(user_id)): StrictJson<UserRef>,
) -> ApiResult<Response> {
    Ok(created(
        coupons::restrict(&state, id, Restriction::User(user_id)).await?,
    ))
}

/// Removes a user restriction; removing the last opens the coupon to every user
/// (catalog.md §6.4).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/coupons/{id}/users/{userId}", tag = "coupons", operation_id = "adminRemoveCouponUser",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Coupon id"),
        ("userId" = Uuid, Path, description = "User id"),
    ),
    responses(
        (status = 200, description = "The coupon without the restriction", body = DataBody<AdminCoupon>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`, `MAPPING_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn remove_user(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id, user_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<AdminCoupon>> {
    Ok(Data(
        coupons::unrestrict(&state, id, Restriction::User(user_id)).await?,
    ))
}

pub struct RedemptionQuery {
    page: PageQuery,
    filter: ListFilter,
}

impl FromQuery for RedemptionQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let user_id = q.uuid("userId");
        let include_released = fields::query_bool(q, "includeReleased").unwrap_or(true);
        Some(RedemptionQuery {
            page,
            filter: ListFilter {
                user_id,
                include_released,
            },
        })
    }
}

/// The coupon's redemptions, released ones included unless asked otherwise (catalog.md §6.4).
#[utoipa::path(get, path = "/api/v1/internal/catalog/coupons/{id}/redemptions", tag = "coupons", operation_id = "adminListRedemptions",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Coupon id"),
        PageParams,
        ("userId" = Option<Uuid>, Query, description = "Only this user's redemptions"),
        ("includeReleased" = Option<bool>, Query, description = "Default `true`; `false` keeps the active ones only"),
    ),
    responses(
        (status = 200, description = "A page of redemptions", body = Paginated<RedemptionView>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`COUPON_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn redemptions(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(query): StrictQuery<RedemptionQuery>,
) -> ApiResult<Paginated<RedemptionView>> {
    let (items, total) = coupons::redemptions(&state, id, query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}
