//! T0: create an order (order.md §4.1).

use platform::AppError;
use platform::jobs::{self, NewJob};
use serde_json::json;
use uuid::Uuid;

use crate::clients::catalog::{CatalogError, Operation, RedeemRequest};
use crate::domain::dates;
use crate::domain::errors;
use crate::domain::pricing::{self, CatalogImage, CatalogPlan, Redemption};
use crate::domain::status::{Actor, OrderStatus, PlanDuration, transition};
use crate::domain::views::{OrderView, TaskRow};
use crate::queues::{self, COUPON_RELEASE, NOTIFICATIONS, PAYMENT_TIMEOUT};
use crate::state::AppState;
use crate::store::{history, jobs as job_store, orders};

/// A validated request body.
#[derive(Debug, Clone)]
pub struct CreateOrder {
    pub plan_id: Uuid,
    pub image_id: Uuid,
    pub duration: PlanDuration,
    /// Trimmed and upper-cased; `None` = no coupon.
    pub coupon_code: Option<String>,
}

/// How long a coupon guard waits before releasing a redemption whose order never committed.
const GUARD_DELAY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

pub async fn create(
    state: &AppState,
    user_id: &str,
    req: CreateOrder,
    request_id: &str,
) -> Result<OrderView, AppError> {
    let actor = Actor::User(user_id.to_string());
    let t0 = transition(None, OrderStatus::PendingPayment, &actor)
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e:?}")))?;
    // The redemption needs the id before the order exists (step 2).
    let order_id = Uuid::new_v4();

    // Step 3: plan and image in parallel; the plan's verdict comes first.
    let (plan, image) = tokio::join!(
        state.catalog.plan(req.plan_id, request_id),
        state
            .catalog
            .image_for_plan(req.image_id, req.plan_id, request_id)
    );
    let plan = check_plan(req.plan_id, plan)?;
    let image = check_image(req.image_id, req.plan_id, image)?;
    let pricing = pricing::pick_pricing(&plan, req.duration).map_err(|available| {
        errors::invalid_duration(req.duration.as_str(), req.plan_id, &available)
    })?;
    // The entry's own figures must hold before its finalPrice becomes a coupon amount.
    pricing::check_pricing(pricing).map_err(|e| inconsistent(Operation::GetPlan, &e))?;

    // Steps 4–5: validate, commit the guard, redeem.
    let redemption = match &req.coupon_code {
        None => None,
        Some(code) => Some(
            redeem_with_guard(
                state,
                user_id,
                order_id,
                &req,
                code,
                pricing.final_price,
                request_id,
            )
            .await?,
        ),
    };

    // Step 6: the snapshot copies the catalog's figures after its consistency checks.
    let snapshot = pricing::snapshot(pricing, redemption.as_ref())
        .map_err(|e| inconsistent(Operation::RedeemCoupon, &e))?;

    // Step 7: one transaction.
    let now = state.now();
    let deadline = dates::payment_deadline(now, state.config.payment_timeout_hours);
    let mut tx = state.pool.begin().await?;
    let order = orders::insert(
        &mut tx,
        &orders::NewOrder {
            id: order_id,
            user_id,
            plan_id: plan.id,
            plan_name: &plan.display_name,
            image_id: image.id,
            image_name: &image.display_name,
            duration: req.duration.as_str(),
            provider_size_slug: &plan.provider_size_slug,
            provider_image_slug: &image.provider_slug,
            base_price: snapshot.base_price,
            promo_discount: snapshot.promo_discount,
            coupon_code: snapshot.coupon_code.as_deref(),
            coupon_discount: snapshot.coupon_discount,
            final_price: snapshot.final_price,
            payment_deadline: deadline,
            now,
        },
    )
    .await?;
    orders::insert_item(
        &mut tx,
        order_id,
        "PLAN",
        plan.id,
        &pricing::plan_item_description(&plan),
        snapshot.base_price,
        now,
    )
    .await?;
    orders::insert_item(
        &mut tx,
        order_id,
        "IMAGE",
        image.id,
        &image.display_name,
        0,
        now,
    )
    .await?;
    history::insert(
        &mut tx,
        &history::NewEntry {
            order_id,
            previous_status: None,
            new_status: OrderStatus::PendingPayment.as_str(),
            actor: &actor.label(),
            reason: t0.default_reason(&actor),
            metadata: json!({
                "planId": plan.id, "imageId": image.id, "duration": req.duration.as_str(),
                "couponCode": snapshot.coupon_code
            }),
            request_id: Some(request_id),
            idempotency_key: None,
            now,
        },
    )
    .await?;
    let event_data = json!({
        "orderId": order_id, "planName": order.plan_name, "imageName": order.image_name,
        "duration": order.duration, "basePrice": order.base_price,
        "promoDiscount": order.promo_discount, "couponCode": order.coupon_code,
        "couponDiscount": order.coupon_discount, "finalPrice": order.final_price,
        "currency": order.currency,
        "createdAt": platform::time_format::format(order.created_at),
        "paymentDeadline": platform::time_format::format(order.payment_deadline),
    });
    jobs::enqueue(
        &mut tx,
        NewJob::new(
            &NOTIFICATIONS,
            order_id.to_string(),
            json!({ "event": "ORDER_CREATED", "userId": user_id, "data": event_data }),
        )
        .dedupe_key(format!("ORDER_CREATED:{order_id}"))
        .max_attempts(Some(
            i32::try_from(state.config.notification_max_attempts).unwrap_or(i32::MAX),
        ))
        .request_id(request_id),
    )
    .await?;
    jobs::enqueue(
        &mut tx,
        NewJob::new(
            &PAYMENT_TIMEOUT,
            order_id.to_string(),
            json!({ "orderId": order_id }),
        )
        .dedupe_key(format!("PAYMENT_TIMEOUT:{order_id}"))
        .run_at(deadline)
        .request_id(request_id),
    )
    .await?;
    if redemption.is_some() {
        job_store::delete_by_dedupe_key(&mut tx, &queues::guard_key(order_id)).await?;
    }
    let items = orders::items(&mut tx, order_id).await?;
    // If the commit fails the guard job stays and releases the redemption later (§8.2).
    tx.commit().await?;
    state.job_waker.wake();
    Ok(OrderView::new(&order, items, None::<&TaskRow>))
}

fn check_plan(
    plan_id: Uuid,
    answer: Result<CatalogPlan, CatalogError>,
) -> Result<CatalogPlan, AppError> {
    let invalid =
        |reason: &str| errors::invalid_plan(json!({ "planId": plan_id, "reason": reason }));
    match answer {
        Ok(plan) => match pricing::plan_problem(&plan) {
            Some(reason) => Err(invalid(reason)),
            None => Ok(plan),
        },
        Err(CatalogError::NotFound { .. }) => Err(invalid("PLAN_NOT_FOUND")),
        Err(CatalogError::Refused { code, .. }) => {
            Err(invalid(code.as_deref().unwrap_or("UPSTREAM_REJECTED")))
        }
        Err(CatalogError::Unavailable { operation, reason }) => {
            Err(errors::catalog_unavailable(operation.as_str(), reason))
        }
    }
}

fn check_image(
    image_id: Uuid,
    plan_id: Uuid,
    answer: Result<CatalogImage, CatalogError>,
) -> Result<CatalogImage, AppError> {
    let invalid =
        |reason: &str| errors::invalid_image(json!({ "imageId": image_id, "reason": reason }));
    match answer {
        Ok(image) => match pricing::image_problem(&image) {
            Some(reason) => Err(invalid(reason)),
            None => Ok(image),
        },
        // The image route answers PLAN_NOT_FOUND for an unknown `planId` (§6).
        Err(CatalogError::NotFound { code }) if code.as_deref() == Some("PLAN_NOT_FOUND") => Err(
            errors::invalid_plan(json!({ "planId": plan_id, "reason": "PLAN_NOT_FOUND" })),
        ),
        Err(CatalogError::NotFound { .. }) => Err(invalid("IMAGE_NOT_FOUND")),
        Err(CatalogError::Refused { code, .. }) => {
            Err(invalid(code.as_deref().unwrap_or("UPSTREAM_REJECTED")))
        }
        Err(CatalogError::Unavailable { operation, reason }) => {
            Err(errors::catalog_unavailable(operation.as_str(), reason))
        }
    }
}

/// Steps 4–5 of §4.1. Returns the redemption, or the error to answer with; a refused redemption
/// deletes its guard, an unanswered one leaves it to release whatever took effect.
async fn redeem_with_guard(
    state: &AppState,
    user_id: &str,
    order_id: Uuid,
    req: &CreateOrder,
    code: &str,
    amount: i64,
    request_id: &str,
) -> Result<Redemption, AppError> {
    let coupon_error = |e: CatalogError, op: Operation| match e {
        CatalogError::NotFound { .. } => errors::invalid_coupon(code, "NOT_FOUND"),
        CatalogError::Refused {
            code: c, reason, ..
        } => {
            let why = match (c.as_deref(), reason) {
                (Some("COUPON_NOT_APPLICABLE"), Some(r)) => r,
                (Some(c), _) => c.to_string(),
                (None, _) => "REJECTED".to_string(),
            };
            errors::invalid_coupon(code, &why)
        }
        CatalogError::Unavailable { reason, .. } => {
            errors::catalog_unavailable(op.as_str(), reason)
        }
    };
    let validation = state
        .catalog
        .validate_coupon(code, req.plan_id, user_id, amount, request_id)
        .await
        .map_err(|e| coupon_error(e, Operation::ValidateCoupon))?;
    if !validation.valid {
        let reason = validation.reason.as_deref().unwrap_or("INVALID");
        return Err(errors::invalid_coupon(code, reason));
    }

    let guard_key = queues::guard_key(order_id);
    let mut conn = state.pool.acquire().await?;
    jobs::enqueue(
        &mut conn,
        NewJob::new(
            &COUPON_RELEASE,
            order_id.to_string(),
            json!({ "orderId": order_id, "reason": "ORDER_NOT_CREATED" }),
        )
        .dedupe_key(guard_key.clone())
        .delay(GUARD_DELAY)
        .request_id(request_id),
    )
    .await?;
    drop(conn);

    let answer = state
        .catalog
        .redeem(
            &RedeemRequest {
                code,
                order_id,
                user_id,
                plan_id: req.plan_id,
                duration: req.duration,
                amount,
            },
            request_id,
        )
        .await;
    match answer {
        Ok(r) if r.order_id == order_id => Ok(r),
        Ok(_) => Err(errors::catalog_unavailable(
            Operation::RedeemCoupon.as_str(),
            "INVALID_RESPONSE",
        )),
        Err(e @ (CatalogError::NotFound { .. } | CatalogError::Refused { .. })) => {
            // Refused: nothing was redeemed, so the guard has nothing to release.
            let mut conn = state.pool.acquire().await?;
            job_store::delete_by_dedupe_key(&mut conn, &guard_key).await?;
            Err(coupon_error(e, Operation::RedeemCoupon))
        }
        Err(e) => Err(coupon_error(e, Operation::RedeemCoupon)),
    }
}

fn inconsistent(op: Operation, e: &pricing::Inconsistent) -> AppError {
    tracing::error!(
        operation = op.as_str(),
        problem = e.0,
        "catalog figures are inconsistent"
    );
    errors::catalog_unavailable(op.as_str(), "INVALID_RESPONSE")
}
