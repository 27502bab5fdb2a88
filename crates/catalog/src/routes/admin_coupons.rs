//! Admin routes over coupons (catalog.md §6.4): CRUD, plan and user restrictions, redemptions.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, Patch, QueryFields, StrictJson, StrictQuery,
};
use platform::http::{Created, Data};
use platform::pagination::{PageQuery, Paginated};
use platform::{ApiResult, AppError, FieldError};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::extract::UuidPath;
use super::fields::{self, MAX_INT, MAX_MONEY, patch, patch_nullable, patch_value};
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

pub async fn list(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(query): StrictQuery<ListQuery>,
) -> ApiResult<Paginated<AdminCoupon>> {
    let (items, total) = coupons::admin_list(&state, &query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}

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

pub async fn update(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PatchBody(changes)): StrictJson<PatchBody>,
) -> ApiResult<Data<AdminCoupon>> {
    Ok(Data(coupons::update(&state, id, changes).await?))
}

pub async fn delete(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Value>> {
    coupons::delete(&state, id).await?;
    Ok(Data(json!({ "id": id, "deleted": true })))
}

pub struct PlanRef(Uuid);

impl FromJson for PlanRef {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        f.uuid("planId").map(PlanRef)
    }
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

pub async fn redemptions(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([id]): UuidPath<1>,
    StrictQuery(query): StrictQuery<RedemptionQuery>,
) -> ApiResult<Paginated<RedemptionView>> {
    let (items, total) = coupons::redemptions(&state, id, query.filter, query.page.into()).await?;
    Ok(Paginated::new(items, query.page, total))
}
