//! Coupons: public validation, the order service's redeem and release, and administration.

use platform::error::is_unique_violation;
use platform::{ApiResult, AppError};
use time::OffsetDateTime;
use uuid::Uuid;

use super::Window;
use crate::domain::coupon::{self, AdminCoupon, CouponDraft, CouponFacts, ValidationOutcome};
use crate::domain::errors;
use crate::domain::redemption::{
    RedeemRequest, Redemption, RedemptionView, ReleaseOutcome, Repeat, compare_repeat,
};
use crate::domain::terms::{DiscountType, ReleaseReason};
use crate::state::AppState;
use crate::store::coupons::{self as coupon_store, AdminFilter};
use crate::store::plans as plan_store;
use crate::store::redemptions::{self, ListFilter};

/// A price preview: nothing is written.
#[derive(Debug, Clone)]
pub struct ValidateInput {
    /// Normalised (trimmed, upper-case).
    pub code: String,
    pub amount: i64,
    pub plan_id: Option<Uuid>,
    /// The user the checks are made for; `None` for an anonymous preview.
    pub user_id: Option<Uuid>,
}

pub async fn validate(state: &AppState, input: ValidateInput) -> ApiResult<ValidationOutcome> {
    let facts = coupon_store::facts_by_code(&state.pool, &input.code, input.user_id).await?;
    let request = coupon::Request {
        plan_id: input.plan_id,
        user_id: input.user_id,
        amount: input.amount,
        now: state.now(),
    };
    let result = coupon::evaluate(facts.as_ref(), &request);
    Ok(ValidationOutcome::new(
        input.code,
        input.amount,
        facts.as_ref(),
        result,
    ))
}

/// A redeem's outcome: a new record (`201`) or the repeat of an earlier identical one (`200`).
#[derive(Debug, Clone)]
pub enum Redeemed {
    Created(Redemption),
    Repeated(Redemption),
}

fn answer_repeat(existing: Redemption, req: &RedeemRequest) -> ApiResult<Redeemed> {
    match compare_repeat(&existing, req) {
        Repeat::Same => Ok(Redeemed::Repeated(existing)),
        Repeat::Conflict(reason) => Err(errors::order_already_redeemed(reason)),
    }
}

enum Attempt {
    Done(Redeemed),
    /// Another transaction recorded a redemption for the same order (with another coupon,
    /// since redeems of one coupon queue on its lock) and committed first.
    LostOrderRace,
}

/// Redeems a coupon for an order, exactly once per order, with every limit holding under
/// concurrency: the coupon row is locked for the whole check-and-insert.
pub async fn redeem(state: &AppState, req: &RedeemRequest) -> ApiResult<Redeemed> {
    match redeem_locked(state, req).await? {
        Attempt::Done(outcome) => Ok(outcome),
        Attempt::LostOrderRace => {
            let existing = redemptions::by_order(&state.pool, req.order_id)
                .await?
                .ok_or_else(|| {
                    AppError::internal(anyhow::anyhow!(
                        "order redemption vanished after a unique violation"
                    ))
                })?;
            answer_repeat(existing, req)
        }
    }
}

async fn redeem_locked(state: &AppState, req: &RedeemRequest) -> ApiResult<Attempt> {
    let now = state.now();
    let mut tx = state.pool.begin().await?;
    let coupon_id = coupon_store::lock_by_code(&mut tx, &req.code).await?;
    // Read only after the lock: a repeat that waited for the first attempt sees its record.
    if let Some(existing) = redemptions::by_order(&mut *tx, req.order_id).await? {
        return answer_repeat(existing, req).map(Attempt::Done);
    }
    let facts = match coupon_id {
        Some(id) => coupon_store::facts_by_id(&mut *tx, id, Some(req.user_id)).await?,
        None => None,
    };
    let request = coupon::Request {
        plan_id: Some(req.plan_id),
        user_id: Some(req.user_id),
        amount: req.amount,
        now,
    };
    let applied = coupon::evaluate(facts.as_ref(), &request)
        .map_err(|rejection| errors::coupon_not_applicable(&rejection))?;
    let Some(facts) = facts else {
        return Err(AppError::internal(anyhow::anyhow!(
            "a coupon applied without being found"
        )));
    };
    match redemptions::insert(&mut tx, facts.coupon.id, req, &applied, now).await {
        Ok(record) => {
            tx.commit().await?;
            tracing::info!(
                orderId = %req.order_id,
                userId = %req.user_id,
                couponId = %facts.coupon.id,
                discountAmount = applied.discount_amount,
                "coupon redeemed"
            );
            Ok(Attempt::Done(Redeemed::Created(record)))
        }
        Err(e) if is_unique_violation(&e, Some(redemptions::ORDER_UNIQUE)) => {
            Ok(Attempt::LostOrderRace)
        }
        Err(e) => Err(e.into()),
    }
}

/// Stops an order's redemption from counting; a repeat answers `released: false`.
pub async fn release(
    state: &AppState,
    order_id: Uuid,
    reason: ReleaseReason,
) -> ApiResult<ReleaseOutcome> {
    let now = state.now();
    if let Some(released_at) = redemptions::release(&state.pool, order_id, reason, now).await? {
        tracing::info!(orderId = %order_id, reason = reason.as_str(), "coupon redemption released");
        return Ok(ReleaseOutcome {
            order_id,
            released: true,
            released_at: Some(released_at),
        });
    }
    let earlier = redemptions::by_order(&state.pool, order_id).await?;
    Ok(ReleaseOutcome {
        order_id,
        released: false,
        released_at: earlier.and_then(|r| r.released_at),
    })
}

pub async fn admin_list(
    state: &AppState,
    filter: &AdminFilter,
    window: Window,
) -> ApiResult<(Vec<AdminCoupon>, i64)> {
    let (rows, total) =
        coupon_store::list(&state.pool, filter, window.limit, window.offset).await?;
    Ok((rows.iter().map(AdminCoupon::from).collect(), total))
}

async fn facts(db: impl sqlx::PgExecutor<'_>, id: Uuid) -> ApiResult<CouponFacts> {
    coupon_store::facts_by_id(db, id, None)
        .await?
        .ok_or_else(errors::coupon_not_found)
}

pub async fn admin_detail(state: &AppState, id: Uuid) -> ApiResult<AdminCoupon> {
    Ok(AdminCoupon::from(&facts(&state.pool, id).await?))
}

/// A new coupon with its restrictions, created all at once or not at all.
#[derive(Debug, Clone)]
pub struct NewCoupon {
    /// Normalised (trimmed, upper-case).
    pub code: String,
    pub draft: CouponDraft,
    pub plan_ids: Vec<Uuid>,
    pub user_ids: Vec<Uuid>,
}

pub async fn create(state: &AppState, new: &NewCoupon) -> ApiResult<AdminCoupon> {
    let id = Uuid::new_v4();
    let mut tx = state.pool.begin().await?;
    coupon_store::insert(&mut tx, id, &new.code, &new.draft)
        .await
        .map_err(
            |e| match is_unique_violation(&e, Some(coupon_store::CODE_UNIQUE)) {
                true => errors::duplicate("code", "Kode kupon sudah dipakai"),
                false => e.into(),
            },
        )?;
    if !new.plan_ids.is_empty() {
        let found = plan_store::existing(&mut *tx, &new.plan_ids).await?;
        let missing: Vec<Uuid> = new
            .plan_ids
            .iter()
            .filter(|p| !found.contains(p))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(
                errors::plan_not_found().with_details(serde_json::json!({ "planIds": missing }))
            );
        }
    }
    for plan_id in &new.plan_ids {
        coupon_store::add_plan(&mut tx, id, *plan_id).await?;
    }
    for user_id in &new.user_ids {
        coupon_store::add_user(&mut tx, id, *user_id).await?;
    }
    let created = facts(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(AdminCoupon::from(&created))
}

/// A coupon PATCH: `None` keeps a field; `Some(None)` clears a nullable one.
#[derive(Debug, Default, Clone)]
pub struct CouponChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub discount_type: Option<DiscountType>,
    pub discount_value: Option<i32>,
    pub min_order_amount: Option<Option<i64>>,
    pub max_discount_amount: Option<Option<i64>>,
    pub max_total_redemptions: Option<Option<i32>>,
    pub max_redemptions_per_user: Option<Option<i32>>,
    pub start_at: Option<OffsetDateTime>,
    pub end_at: Option<Option<OffsetDateTime>>,
    pub is_active: Option<bool>,
}

impl CouponChanges {
    fn merge(self, mut d: CouponDraft) -> CouponDraft {
        if let Some(v) = self.name {
            d.name = v;
        }
        if let Some(v) = self.description {
            d.description = v;
        }
        if let Some(v) = self.discount_type {
            d.discount_type = v;
        }
        if let Some(v) = self.discount_value {
            d.discount_value = v;
        }
        if let Some(v) = self.min_order_amount {
            d.min_order_amount = v;
        }
        if let Some(v) = self.max_discount_amount {
            d.max_discount_amount = v;
        }
        if let Some(v) = self.max_total_redemptions {
            d.max_total_redemptions = v;
        }
        if let Some(v) = self.max_redemptions_per_user {
            d.max_redemptions_per_user = v;
        }
        if let Some(v) = self.start_at {
            d.start_at = v;
        }
        if let Some(v) = self.end_at {
            d.end_at = v;
        }
        if let Some(v) = self.is_active {
            d.is_active = v;
        }
        d
    }
}

pub async fn update(state: &AppState, id: Uuid, changes: CouponChanges) -> ApiResult<AdminCoupon> {
    let mut tx = state.pool.begin().await?;
    if !coupon_store::lock_by_id(&mut tx, id).await? {
        return Err(errors::coupon_not_found());
    }
    let current = facts(&mut *tx, id).await?;
    // Lowering a limit below current usage is allowed: the coupon is then simply exhausted.
    let merged = changes.merge(CouponDraft::from(&current.coupon));
    let problems = merged.problems();
    if !problems.is_empty() {
        return Err(AppError::validation(problems));
    }
    if merged == CouponDraft::from(&current.coupon) {
        return Ok(AdminCoupon::from(&current));
    }
    coupon_store::replace(&mut tx, id, &merged).await?;
    let updated = facts(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(AdminCoupon::from(&updated))
}

/// Deletes a coupon nobody ever redeemed; a used one can only be deactivated.
pub async fn delete(state: &AppState, id: Uuid) -> ApiResult<()> {
    let mut tx = state.pool.begin().await?;
    if !coupon_store::lock_by_id(&mut tx, id).await? {
        return Err(errors::coupon_not_found());
    }
    if coupon_store::has_redemptions(&mut *tx, id).await? {
        return Err(errors::coupon_in_use());
    }
    coupon_store::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// Which restriction list a mapping route changes.
#[derive(Debug, Clone, Copy)]
pub enum Restriction {
    Plan(Uuid),
    User(Uuid),
}

pub async fn restrict(state: &AppState, id: Uuid, r: Restriction) -> ApiResult<AdminCoupon> {
    let mut tx = state.pool.begin().await?;
    if !coupon_store::lock_by_id(&mut tx, id).await? {
        return Err(errors::coupon_not_found());
    }
    let added = match r {
        Restriction::Plan(plan_id) => {
            if plan_store::existing(&mut *tx, &[plan_id]).await?.is_empty() {
                return Err(errors::plan_not_found());
            }
            coupon_store::add_plan(&mut tx, id, plan_id).await?
        }
        Restriction::User(user_id) => coupon_store::add_user(&mut tx, id, user_id).await?,
    };
    if !added {
        return Err(match r {
            Restriction::Plan(_) => {
                errors::duplicate("planId", "Kupon sudah dibatasi ke paket ini")
            }
            Restriction::User(_) => {
                errors::duplicate("userId", "Kupon sudah dibatasi ke pengguna ini")
            }
        });
    }
    coupon_store::touch(&mut tx, id).await?;
    let updated = facts(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(AdminCoupon::from(&updated))
}

/// Removes a restriction. Removing the last one opens the coupon to every plan (or user).
pub async fn unrestrict(state: &AppState, id: Uuid, r: Restriction) -> ApiResult<AdminCoupon> {
    let mut tx = state.pool.begin().await?;
    if !coupon_store::lock_by_id(&mut tx, id).await? {
        return Err(errors::coupon_not_found());
    }
    let removed = match r {
        Restriction::Plan(plan_id) => coupon_store::remove_plan(&mut tx, id, plan_id).await?,
        Restriction::User(user_id) => coupon_store::remove_user(&mut tx, id, user_id).await?,
    };
    if !removed {
        return Err(match r {
            Restriction::Plan(_) => errors::coupon_plan_mapping_not_found(),
            Restriction::User(_) => errors::coupon_user_mapping_not_found(),
        });
    }
    coupon_store::touch(&mut tx, id).await?;
    let updated = facts(&mut *tx, id).await?;
    tx.commit().await?;
    Ok(AdminCoupon::from(&updated))
}

pub async fn redemptions(
    state: &AppState,
    id: Uuid,
    filter: ListFilter,
    window: Window,
) -> ApiResult<(Vec<RedemptionView>, i64)> {
    facts(&state.pool, id).await?;
    let (rows, total) =
        redemptions::list(&state.pool, id, filter, window.limit, window.offset).await?;
    Ok((rows.iter().map(RedemptionView::from).collect(), total))
}
