//! Admin routes over a plan's children (catalog.md §6.2): pricings, promos and the image
//! allow-list. A child of another plan than the one in the path is not found.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use platform::ApiResult;
use platform::extract::{FromJson, JsonFields, NoQuery, StrictJson, StrictQuery};
use platform::http::{Created, Data};
use serde_json::{Value, json};

use super::extract::UuidPath;
use super::fields::{self, MAX_INT, MAX_MONEY, patch, patch_nullable, patch_value};
use crate::domain::pricing::AdminPricing;
use crate::domain::promo::{AdminPromo, PromoDraft};
use crate::domain::rules;
use crate::domain::terms::{DiscountType, PlanDuration};
use crate::flows::plans::{self, PromoChanges};
use crate::state::AppState;
use crate::store::pricings::{PricingChanges, PricingFields};
use platform::auth::AdminCaller;

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

pub async fn delete_pricing(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, pricing_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Value>> {
    plans::delete_pricing(&state, plan_id, pricing_id).await?;
    Ok(Data(json!({ "id": pricing_id, "deleted": true })))
}

pub struct PromoBody(PromoDraft);

impl FromJson for PromoBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        read_promo(f).map(PromoBody)
    }
}

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

pub async fn delete_promo(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, promo_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Value>> {
    plans::delete_promo(&state, plan_id, promo_id).await?;
    Ok(Data(json!({ "id": promo_id, "deleted": true })))
}

pub struct ImageRef(uuid::Uuid);

impl FromJson for ImageRef {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        f.uuid("imageId").map(ImageRef)
    }
}

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
        body: json!({ "planId": plan_id, "imageId": image_id }),
    }
    .into_response())
}

pub async fn remove_image(
    State(state): State<AppState>,
    _caller: AdminCaller,
    UuidPath([plan_id, image_id]): UuidPath<2>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Value>> {
    plans::remove_image(&state, plan_id, image_id).await?;
    Ok(Data(
        json!({ "planId": plan_id, "imageId": image_id, "deleted": true }),
    ))
}
