//! Plans and their children: pricings, promos and the image allow-list.

use platform::error::is_unique_violation;
use platform::{ApiResult, AppError};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Window, group_by};
use crate::domain::errors;
use crate::domain::plan::{AdminPlan, Plan, PublicPlan};
use crate::domain::pricing::{AdminPricing, Pricing};
use crate::domain::promo::{AdminPromo, Promo, PromoDraft};
use crate::state::AppState;
use crate::store::plans::{
    self as plan_store, AdminFilter, PlanChanges, PlanFields, SellableFilter,
};
use crate::store::pricings::{self as pricing_store, PricingChanges, PricingFields};
use crate::store::{images as image_store, plan_images, promos as promo_store};

/// Sellable plans as customers see them, priced at this instant.
pub async fn public_list(
    state: &AppState,
    filter: &SellableFilter,
    window: Window,
) -> ApiResult<(Vec<PublicPlan>, i64)> {
    let now = state.now();
    let (plans, total) =
        plan_store::list_sellable(&state.pool, filter, window.limit, window.offset).await?;
    if plans.is_empty() {
        return Ok((vec![], total));
    }
    let ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let (pricings, promos) = tokio::try_join!(
        pricing_store::for_plans(&state.pool, &ids),
        promo_store::running_for_plans(&state.pool, &ids, now),
    )?;
    let mut pricings = group_by(pricings, |p| p.plan_id);
    let mut promos = group_by(promos, |p| p.plan_id);
    let views = plans
        .iter()
        .map(|plan| {
            let pricings = pricings.remove(&plan.id).unwrap_or_default();
            let promos = promos.remove(&plan.id).unwrap_or_default();
            PublicPlan::new(plan, &pricings, &promos, now)
        })
        .collect();
    Ok((views, total))
}

/// Any non-deleted plan, inactive ones included (callers tell "inactive" from "unknown").
pub async fn public_detail(state: &AppState, id: Uuid) -> ApiResult<PublicPlan> {
    let now = state.now();
    let plan = plan_store::by_id(&state.pool, id)
        .await?
        .ok_or_else(errors::plan_not_found)?;
    let ids = [id];
    let (pricings, promos) = tokio::try_join!(
        pricing_store::for_plans(&state.pool, &ids),
        promo_store::running_for_plans(&state.pool, &ids, now),
    )?;
    Ok(PublicPlan::new(&plan, &pricings, &promos, now))
}

async fn admin_views(
    state: &AppState,
    plans: &[Plan],
    now: OffsetDateTime,
) -> ApiResult<Vec<AdminPlan>> {
    let ids: Vec<Uuid> = plans.iter().map(|p| p.id).collect();
    let (pricings, promos, mappings) = tokio::try_join!(
        pricing_store::for_plans(&state.pool, &ids),
        promo_store::for_plans(&state.pool, &ids),
        plan_images::for_plans(&state.pool, &ids),
    )?;
    let mut pricings = group_by(pricings, |p| p.plan_id);
    let mut promos = group_by(promos, |p| p.plan_id);
    let mut images = group_by(mappings, |m| m.0);
    Ok(plans
        .iter()
        .map(|plan| {
            let image_ids = images
                .remove(&plan.id)
                .unwrap_or_default()
                .into_iter()
                .map(|(_, image)| image)
                .collect();
            AdminPlan::new(
                plan,
                &pricings.remove(&plan.id).unwrap_or_default(),
                &promos.remove(&plan.id).unwrap_or_default(),
                image_ids,
                now,
            )
        })
        .collect())
}

pub async fn admin_list(
    state: &AppState,
    filter: &AdminFilter,
    window: Window,
) -> ApiResult<(Vec<AdminPlan>, i64)> {
    let (plans, total) =
        plan_store::list_admin(&state.pool, filter, window.limit, window.offset).await?;
    Ok((admin_views(state, &plans, state.now()).await?, total))
}

pub async fn admin_detail(state: &AppState, id: Uuid) -> ApiResult<AdminPlan> {
    let plan = plan_store::by_id(&state.pool, id)
        .await?
        .ok_or_else(errors::plan_not_found)?;
    let mut views = admin_views(state, std::slice::from_ref(&plan), state.now()).await?;
    views.pop().ok_or_else(errors::plan_not_found)
}

fn name_taken() -> AppError {
    errors::duplicate("name", "Nama paket sudah dipakai paket lain")
}

fn duration_taken() -> AppError {
    errors::duplicate(
        "duration",
        "Paket ini sudah memiliki harga untuk durasi tersebut",
    )
}

/// A plan with its nested rows, created all at once or not at all.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub fields: PlanFields,
    pub pricings: Vec<PricingFields>,
    pub promos: Vec<PromoDraft>,
    pub image_ids: Vec<Uuid>,
}

pub async fn create(state: &AppState, new: NewPlan) -> ApiResult<AdminPlan> {
    let id = Uuid::new_v4();
    let mut tx = state.pool.begin().await?;
    plan_store::insert(&mut tx, id, &new.fields)
        .await
        .map_err(
            |e| match is_unique_violation(&e, Some(plan_store::NAME_UNIQUE)) {
                true => name_taken(),
                false => e.into(),
            },
        )?;
    if !new.image_ids.is_empty() {
        let found = image_store::lock_existing(&mut tx, &new.image_ids).await?;
        let missing: Vec<Uuid> = new
            .image_ids
            .iter()
            .filter(|i| !found.contains(i))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(
                errors::image_not_found().with_details(serde_json::json!({ "imageIds": missing }))
            );
        }
        for image_id in &new.image_ids {
            plan_images::insert(&mut tx, id, *image_id).await?;
        }
    }
    for pricing in &new.pricings {
        // Durations were checked unique while reading the body.
        pricing_store::insert(&mut tx, id, pricing).await?;
    }
    for promo in &new.promos {
        promo_store::insert(&mut tx, Uuid::new_v4(), id, promo).await?;
    }
    tx.commit().await?;
    admin_detail(state, id).await
}

pub async fn update(state: &AppState, id: Uuid, changes: &PlanChanges) -> ApiResult<AdminPlan> {
    // An empty PATCH is a read: it must not look like an edit.
    if *changes == PlanChanges::default() {
        return admin_detail(state, id).await;
    }
    plan_store::update(&state.pool, id, changes)
        .await
        .map_err(
            |e| match is_unique_violation(&e, Some(plan_store::NAME_UNIQUE)) {
                true => name_taken(),
                false => e.into(),
            },
        )?
        .ok_or_else(errors::plan_not_found)?;
    admin_detail(state, id).await
}

pub async fn delete(state: &AppState, id: Uuid) -> ApiResult<()> {
    if plan_store::soft_delete(&state.pool, id).await? {
        Ok(())
    } else {
        Err(errors::plan_not_found())
    }
}

/// Promos of a plan, to price a pricing in its admin shape.
async fn plan_promos(state: &AppState, plan_id: Uuid) -> ApiResult<Vec<Promo>> {
    Ok(promo_store::for_plans(&state.pool, &[plan_id]).await?)
}

async fn pricing_view(state: &AppState, pricing: &Pricing) -> ApiResult<AdminPricing> {
    let promos = plan_promos(state, pricing.plan_id).await?;
    Ok(AdminPricing::new(pricing, &promos, state.now()))
}

pub async fn add_pricing(
    state: &AppState,
    plan_id: Uuid,
    fields: &PricingFields,
) -> ApiResult<AdminPricing> {
    let mut tx = state.pool.begin().await?;
    if !plan_store::lock(&mut tx, plan_id).await? {
        return Err(errors::plan_not_found());
    }
    let pricing = pricing_store::insert(&mut tx, plan_id, fields)
        .await
        .map_err(
            |e| match is_unique_violation(&e, Some(pricing_store::DURATION_UNIQUE)) {
                true => duration_taken(),
                false => e.into(),
            },
        )?;
    tx.commit().await?;
    pricing_view(state, &pricing).await
}

async fn require_plan(state: &AppState, plan_id: Uuid) -> ApiResult<()> {
    match plan_store::by_id(&state.pool, plan_id).await? {
        Some(_) => Ok(()),
        None => Err(errors::plan_not_found()),
    }
}

pub async fn update_pricing(
    state: &AppState,
    plan_id: Uuid,
    pricing_id: Uuid,
    changes: &PricingChanges,
) -> ApiResult<AdminPricing> {
    require_plan(state, plan_id).await?;
    let pricing = if *changes == PricingChanges::default() {
        pricing_store::by_id(&state.pool, plan_id, pricing_id).await?
    } else {
        pricing_store::update(&state.pool, plan_id, pricing_id, changes).await?
    }
    .ok_or_else(errors::pricing_not_found)?;
    pricing_view(state, &pricing).await
}

pub async fn delete_pricing(state: &AppState, plan_id: Uuid, pricing_id: Uuid) -> ApiResult<()> {
    require_plan(state, plan_id).await?;
    if pricing_store::delete(&state.pool, plan_id, pricing_id).await? {
        Ok(())
    } else {
        Err(errors::pricing_not_found())
    }
}

pub async fn add_promo(
    state: &AppState,
    plan_id: Uuid,
    draft: &PromoDraft,
) -> ApiResult<AdminPromo> {
    let mut tx = state.pool.begin().await?;
    if !plan_store::lock(&mut tx, plan_id).await? {
        return Err(errors::plan_not_found());
    }
    let promo = promo_store::insert(&mut tx, Uuid::new_v4(), plan_id, draft).await?;
    tx.commit().await?;
    Ok(AdminPromo::new(&promo, state.now()))
}

/// A promo PATCH: `None` keeps a field; `max_discount_amount: Some(None)` clears the cap.
#[derive(Debug, Default, Clone)]
pub struct PromoChanges {
    pub name: Option<String>,
    pub discount_type: Option<crate::domain::terms::DiscountType>,
    pub discount_value: Option<i32>,
    pub max_discount_amount: Option<Option<i64>>,
    pub durations: Option<Vec<crate::domain::terms::PlanDuration>>,
    pub start_at: Option<OffsetDateTime>,
    pub end_at: Option<OffsetDateTime>,
    pub is_active: Option<bool>,
}

impl PromoChanges {
    fn merge(self, mut draft: PromoDraft) -> PromoDraft {
        if let Some(v) = self.name {
            draft.name = v;
        }
        if let Some(v) = self.discount_type {
            draft.discount_type = v;
        }
        if let Some(v) = self.discount_value {
            draft.discount_value = v;
        }
        if let Some(v) = self.max_discount_amount {
            draft.max_discount_amount = v;
        }
        if let Some(v) = self.durations {
            draft.durations = v;
        }
        if let Some(v) = self.start_at {
            draft.start_at = v;
        }
        if let Some(v) = self.end_at {
            draft.end_at = v;
        }
        if let Some(v) = self.is_active {
            draft.is_active = v;
        }
        draft
    }
}

pub async fn update_promo(
    state: &AppState,
    plan_id: Uuid,
    promo_id: Uuid,
    changes: PromoChanges,
) -> ApiResult<AdminPromo> {
    require_plan(state, plan_id).await?;
    let mut tx = state.pool.begin().await?;
    let current = promo_store::by_id(&mut *tx, plan_id, promo_id)
        .await?
        .ok_or_else(errors::promo_not_found)?;
    let merged = changes.merge(PromoDraft::from(&current));
    let problems = merged.problems("");
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    if merged == PromoDraft::from(&current) {
        return Ok(AdminPromo::new(&current, state.now()));
    }
    let promo = promo_store::replace(&mut *tx, plan_id, promo_id, &merged)
        .await?
        .ok_or_else(errors::promo_not_found)?;
    tx.commit().await?;
    Ok(AdminPromo::new(&promo, state.now()))
}

pub async fn delete_promo(state: &AppState, plan_id: Uuid, promo_id: Uuid) -> ApiResult<()> {
    require_plan(state, plan_id).await?;
    if promo_store::delete(&state.pool, plan_id, promo_id).await? {
        Ok(())
    } else {
        Err(errors::promo_not_found())
    }
}

pub async fn add_image(state: &AppState, plan_id: Uuid, image_id: Uuid) -> ApiResult<()> {
    let mut tx = state.pool.begin().await?;
    if !plan_store::lock(&mut tx, plan_id).await? {
        return Err(errors::plan_not_found());
    }
    if image_store::lock_existing(&mut tx, &[image_id])
        .await?
        .is_empty()
    {
        return Err(errors::image_not_found());
    }
    if !plan_images::insert(&mut tx, plan_id, image_id).await? {
        return Err(errors::duplicate(
            "imageId",
            "Image ini sudah ada di daftar image paket",
        ));
    }
    tx.commit().await?;
    Ok(())
}

pub async fn remove_image(state: &AppState, plan_id: Uuid, image_id: Uuid) -> ApiResult<()> {
    require_plan(state, plan_id).await?;
    if plan_images::delete(&state.pool, plan_id, image_id).await? {
        Ok(())
    } else {
        Err(errors::plan_image_mapping_not_found())
    }
}
