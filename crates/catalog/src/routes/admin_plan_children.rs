//! Admin routes over a plan's children (catalog.md §6.2): pricings, promos and the image
//! allow-list. A child of another plan than the one in the path is not found.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::extract::{FromJson, JsonFields, NoQuery, StrictJson, StrictQuery};
use platform::http::{Created, Data};
use platform::openapi::{DataBody, ErrorBody};
use time::OffsetDateTime;
use uuid::Uuid;

use super::extract::UuidPath;
use super::fields::{self, MAX_INT, MAX_MONEY, patch, patch_nullable, patch_value};
use super::replies::{Deleted, PlanImage, PlanImageDeleted};
use crate::domain::pricing::AdminPricing;
use crate::domain::promo::{AdminPromo, PromoDraft};
use crate::domain::rules;
use crate::domain::terms::{DiscountType, PlanDuration};
use crate::flows::plans::{self, PromoChanges};
use crate::state::AppState;
use crate::store::pricings::{PricingChanges, PricingFields};
use platform::auth::AdminCaller;

// Documentation only: `read_pricing` is the authority; keep the two in step.
/// A pricing of one billing duration.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PricingBody)]
#[allow(dead_code)]
pub struct PricingDoc {
    #[schema(value_type = PlanDuration)]
    duration: String,
    /// The selling price of the whole term, in IDR.
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    price: i64,
    /// The provider's cost of the term; default 0.
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    cost: Option<i64>,
    /// Default `true`.
    is_active: Option<bool>,
}

/// A Pricing object, in a body of its own or in `pricings[i]`.
pub fn read_pricing(f: &mut JsonFields) -> Option<PricingFields> {
    let duration = fields::req_enum(f, "duration", &PlanDuration::NAMES, PlanDuration::parse);
    let price = fields::req_int(f, "price", 1, MAX_MONEY);
    let cost = fields::opt_int(f, "cost", 0, MAX_MONEY);
    let is_active = f.opt_bool("isActive");
    Some(PricingFields {
        duration: duration?,
        price: price?,
        cost: cost.unwrap_or(0),
        is_active: is_active.unwrap_or(true),
    })
}

fn read_durations(f: &mut JsonFields) -> Option<Vec<PlanDuration>> {
    let names = fields::opt_string_list(
        f,
        "durations",
        4,
        |s| PlanDuration::parse(s).is_some(),
        "harus salah satu dari: MONTHLY, QUARTERLY, SEMI_ANNUAL, ANNUAL",
        false,
    )?;
    Some(
        names
            .iter()
            .filter_map(|n| PlanDuration::parse(n))
            .collect(),
    )
}

fn read_discount_type(f: &mut JsonFields, required: bool) -> Option<DiscountType> {
    if required {
        fields::req_enum(f, "discountType", &DiscountType::NAMES, DiscountType::parse)
    } else {
        fields::opt_enum(f, "discountType", &DiscountType::NAMES, DiscountType::parse)
    }
}

// Documentation only: `read_promo` is the authority; keep the two in step.
/// A scheduled automatic discount on a plan.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PromoBody)]
#[allow(dead_code)]
pub struct PromoDoc {
    #[schema(min_length = 1, max_length = 255)]
    name: String,
    #[schema(value_type = DiscountType)]
    discount_type: String,
    /// `PERCENT`: 1–100; `FIXED`: an amount in IDR.
    #[schema(minimum = 1, maximum = 2147483647)]
    discount_value: i32,
    /// A cap on the discount; `null` = none.
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    max_discount_amount: Option<i64>,
    /// Unique; empty or absent = every duration.
    #[schema(value_type = Option<Vec<PlanDuration>>, max_items = 4)]
    durations: Option<Vec<String>>,
    start_at: OffsetDateTime,
    /// After `startAt`.
    end_at: OffsetDateTime,
    /// Default `true`.
    is_active: Option<bool>,
}

/// A Promo object, in a body of its own or in `promos[i]`, cross-field rules included.
pub fn read_promo(f: &mut JsonFields) -> Option<PromoDraft> {
    let name = fields::req_text(f, "name", 255);
    let discount_type = read_discount_type(f, true);
    let discount_value = fields::req_i32(f, "discountValue", 1, MAX_INT);
    let max_discount_amount = fields::opt_int(f, "maxDiscountAmount", 1, MAX_MONEY);
    let durations = read_durations(f);
    let start_at = fields::req_time(f, "startAt");
    let end_at = fields::req_time(f, "endAt");
    let is_active = f.opt_bool("isActive");
    let rules = [
        rules::discount_value("", discount_type, discount_value),
        rules::window("", start_at, end_at),
    ];
    for p in rules.into_iter().flatten() {
        f.problem(&p.field, p.message);
    }
    Some(PromoDraft {
        name: name?,
        discount_type: discount_type?,
        discount_value: discount_value?,
        max_discount_amount,
        durations: durations.unwrap_or_default(),
        start_at: start_at?,
        end_at: end_at?,
        is_active: is_active.unwrap_or(true),
    })
}

pub struct PricingBody(PricingFields);

impl FromJson for PricingBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        read_pricing(f).map(PricingBody)
    }
}

/// Adds a pricing for a duration the plan has no pricing for (catalog.md §6.2).
#[utoipa::path(post, path = "/api/v1/internal/catalog/plans/{id}/pricings", tag = "plans", operation_id = "adminAddPricing",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Plan id")),
    request_body = PricingDoc,
    responses(
        (status = 201, description = "Created; `Location` names the pricing", body = DataBody<AdminPricing>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/plans/{id}/pricings/{pricingId}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`duration`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn add_pricing(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PricingBody(fields)): StrictJson<PricingBody>,
) -> ApiResult<Response> {
    let pricing = plans::add_pricing(&state, plan_id, &fields).await?;
    Ok(Created {
        location: format!(
            "/api/v1/internal/catalog/plans/{plan_id}/pricings/{}",
            pricing.public.id
        ),
        body: pricing,
    }
    .into_response())
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// A pricing change; `duration` cannot change, and `null` leaves a field unchanged.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PricingPatchBody)]
#[allow(dead_code)]
pub struct PricingPatchDoc {
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    price: Option<i64>,
    #[schema(minimum = 0, maximum = 1000000000000000_i64)]
    cost: Option<i64>,
    is_active: Option<bool>,
}

pub struct PricingPatch(PricingChanges);

impl FromJson for PricingPatch {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let price = patch(f, "price", |f| fields::opt_int(f, "price", 1, MAX_MONEY));
        let cost = patch(f, "cost", |f| fields::opt_int(f, "cost", 0, MAX_MONEY));
        let is_active = patch(f, "isActive", |f| f.opt_bool("isActive"));
        if f.present("duration") {
            f.opt_value("duration");
            f.problem(
                "duration",
                "duration tidak dapat diubah; hapus harga ini lalu buat yang baru",
            );
        }
        Some(PricingPatch(PricingChanges {
            price: patch_value(price),
            cost: patch_value(cost),
            is_active: patch_value(is_active),
        }))
    }
}

/// Changes a pricing's price, cost or state; an empty body changes nothing (catalog.md §6.2).
#[utoipa::path(patch, path = "/api/v1/internal/catalog/plans/{id}/pricings/{pricingId}", tag = "plans", operation_id = "adminUpdatePricing",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Plan id"),
        ("pricingId" = Uuid, Path, description = "Pricing id (of this plan)"),
    ),
    request_body = PricingPatchDoc,
    responses(
        (status = 200, description = "The pricing after the change", body = DataBody<AdminPricing>),
        (status = 400, description = "`VALIDATION_ERROR` (also for `duration`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`, `PRICING_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn update_pricing(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, pricing_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PricingPatch(changes)): StrictJson<PricingPatch>,
) -> ApiResult<Data<AdminPricing>> {
    Ok(Data(
        plans::update_pricing(&state, plan_id, pricing_id, &changes).await?,
    ))
}

/// Deletes a pricing: the plan no longer sells that duration (catalog.md §6.2).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/plans/{id}/pricings/{pricingId}", tag = "plans", operation_id = "adminDeletePricing",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Plan id"),
        ("pricingId" = Uuid, Path, description = "Pricing id (of this plan)"),
    ),
    responses(
        (status = 200, description = "Deleted", body = DataBody<Deleted>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`, `PRICING_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn delete_pricing(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, pricing_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Deleted>> {
    plans::delete_pricing(&state, plan_id, pricing_id).await?;
    Ok(Data(Deleted::new(pricing_id)))
}

pub struct PromoBody(PromoDraft);

impl FromJson for PromoBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        read_promo(f).map(PromoBody)
    }
}

/// Adds a scheduled promo to a plan (catalog.md §6.2, §4.3).
#[utoipa::path(post, path = "/api/v1/internal/catalog/plans/{id}/promos", tag = "plans", operation_id = "adminAddPromo",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Plan id")),
    request_body = PromoDoc,
    responses(
        (status = 201, description = "Created; `Location` names the promo", body = DataBody<AdminPromo>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/plans/{id}/promos/{promoId}"))),
        (status = 400, description = "`VALIDATION_ERROR` (also a percentage over 100 or `endAt` not after `startAt`), `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn add_promo(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PromoBody(draft)): StrictJson<PromoBody>,
) -> ApiResult<Response> {
    let promo = plans::add_promo(&state, plan_id, &draft).await?;
    Ok(Created {
        location: format!(
            "/api/v1/internal/catalog/plans/{plan_id}/promos/{}",
            promo.public.id
        ),
        body: promo,
    }
    .into_response())
}

// Documentation only: the `FromJson` parser below is the authority; keep the two in step.
/// Any promo field, each optional; the rules between fields judge the merged promo. `null`
/// leaves a field unchanged, except `maxDiscountAmount` (removes the cap) and `durations`
/// (every duration).
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PromoPatchBody)]
#[allow(dead_code)]
pub struct PromoPatchDoc {
    #[schema(min_length = 1, max_length = 255)]
    name: Option<String>,
    #[schema(value_type = Option<DiscountType>)]
    discount_type: Option<String>,
    #[schema(minimum = 1, maximum = 2147483647)]
    discount_value: Option<i32>,
    #[schema(minimum = 1, maximum = 1000000000000000_i64)]
    max_discount_amount: Option<i64>,
    #[schema(value_type = Option<Vec<PlanDuration>>, max_items = 4)]
    durations: Option<Vec<String>>,
    start_at: Option<OffsetDateTime>,
    end_at: Option<OffsetDateTime>,
    is_active: Option<bool>,
}

pub struct PromoPatch(PromoChanges);

impl FromJson for PromoPatch {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let name = patch(f, "name", |f| fields::opt_nonblank_text(f, "name", 255));
        let discount_type = patch(f, "discountType", |f| read_discount_type(f, false));
        let discount_value = patch(f, "discountValue", |f| {
            fields::opt_i32(f, "discountValue", 1, MAX_INT)
        });
        let max_discount_amount = patch(f, "maxDiscountAmount", |f| {
            fields::opt_int(f, "maxDiscountAmount", 1, MAX_MONEY)
        });
        let durations = patch(f, "durations", read_durations);
        let start_at = patch(f, "startAt", |f| fields::opt_time(f, "startAt"));
        let end_at = patch(f, "endAt", |f| fields::opt_time(f, "endAt"));
        let is_active = patch(f, "isActive", |f| f.opt_bool("isActive"));
        Some(PromoPatch(PromoChanges {
            name: patch_value(name),
            discount_type: patch_value(discount_type),
            discount_value: patch_value(discount_value),
            max_discount_amount: patch_nullable(max_discount_amount),
            // `null` durations mean "every duration", like `[]`.
            durations: patch_nullable(durations).map(Option::unwrap_or_default),
            start_at: patch_value(start_at),
            end_at: patch_value(end_at),
            is_active: patch_value(is_active),
        }))
    }
}

/// Changes a promo; the rules between fields are checked on the merged result (catalog.md §6.2).
#[utoipa::path(patch, path = "/api/v1/internal/catalog/plans/{id}/promos/{promoId}", tag = "plans", operation_id = "adminUpdatePromo",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Plan id"),
        ("promoId" = Uuid, Path, description = "Promo id (of this plan)"),
    ),
    request_body = PromoPatchDoc,
    responses(
        (status = 200, description = "The promo after the change", body = DataBody<AdminPromo>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`, `PROMO_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn update_promo(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, promo_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(PromoPatch(changes)): StrictJson<PromoPatch>,
) -> ApiResult<Data<AdminPromo>> {
    Ok(Data(
        plans::update_promo(&state, plan_id, promo_id, changes).await?,
    ))
}

/// Deletes a promo (catalog.md §6.2).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/plans/{id}/promos/{promoId}", tag = "plans", operation_id = "adminDeletePromo",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Plan id"),
        ("promoId" = Uuid, Path, description = "Promo id (of this plan)"),
    ),
    responses(
        (status = 200, description = "Deleted", body = DataBody<Deleted>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`, `PROMO_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn delete_promo(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, promo_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Deleted>> {
    plans::delete_promo(&state, plan_id, promo_id).await?;
    Ok(Data(Deleted::new(promo_id)))
}

/// An image to add to the plan's allow-list.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = PlanImageBody)]
#[allow(dead_code)]
pub struct ImageRefDoc {
    image_id: Uuid,
}

pub struct ImageRef(Uuid);

impl FromJson for ImageRef {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        f.uuid("imageId").map(ImageRef)
    }
}

/// Adds an image to the plan's allow-list; a plan with a non-empty list allows only the listed
/// images (catalog.md §6.2, §4.5).
#[utoipa::path(post, path = "/api/v1/internal/catalog/plans/{id}/images", tag = "plans", operation_id = "adminAddPlanImage",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "Plan id")),
    request_body = ImageRefDoc,
    responses(
        (status = 201, description = "Added; `Location` names the row", body = DataBody<PlanImage>,
            headers(("Location" = String, description = "/api/v1/internal/catalog/plans/{id}/images/{imageId}"))),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`, `IMAGE_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`DUPLICATE_ENTRY` (`imageId`)", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn add_image(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id]): UuidPath<1>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(ImageRef(image_id)): StrictJson<ImageRef>,
) -> ApiResult<Response> {
    plans::add_image(&state, plan_id, image_id).await?;
    Ok(Created {
        location: format!("/api/v1/internal/catalog/plans/{plan_id}/images/{image_id}"),
        body: PlanImage { plan_id, image_id },
    }
    .into_response())
}

/// Removes an image from the plan's allow-list; an emptied list allows every image
/// (catalog.md §6.2, §4.5).
#[utoipa::path(delete, path = "/api/v1/internal/catalog/plans/{id}/images/{imageId}", tag = "plans", operation_id = "adminRemovePlanImage",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("id" = Uuid, Path, description = "Plan id"),
        ("imageId" = Uuid, Path, description = "Image id"),
    ),
    responses(
        (status = 200, description = "Removed", body = DataBody<PlanImageDeleted>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin or inactive admin token)", body = ErrorBody),
        (status = 404, description = "`PLAN_NOT_FOUND`, `MAPPING_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn remove_image(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, image_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<PlanImageDeleted>> {
    plans::remove_image(&state, plan_id, image_id).await?;
    Ok(Data(PlanImageDeleted {
        plan_id,
        image_id,
        deleted: true,
    }))
}
