//! Back-office use cases: detail (§4.6), cancel (§4.7, T2), retry-provisioning (§4.8, T6).

use platform::AppError;
use platform::jobs::{self, NewJob};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::errors;
use crate::domain::status::{Actor, OrderStatus, transition};
use crate::domain::views::{AdminOrderView, AdminParts, OrderRow, OrderView};
use crate::queues::COUPON_RELEASE;
use crate::state::AppState;
use crate::store::{history, jobs as job_store, orders, tasks};

/// The user detail, for the owner only (§4.3).
pub async fn user_detail(state: &AppState, sub: &str, id: Uuid) -> Result<OrderView, AppError> {
    let order = orders::get(&state.pool, id)
        .await?
        .ok_or_else(errors::order_not_found)?;
    if order.user_id != sub {
        return Err(errors::order_access_denied());
    }
    let mut conn = state.pool.acquire().await?;
    let items = orders::items(&mut conn, id).await?;
    let task = tasks::for_order(&mut conn, id).await?;
    Ok(OrderView::new(&order, items, task.as_ref()))
}

pub async fn admin_detail(state: &AppState, id: Uuid) -> Result<AdminOrderView, AppError> {
    let order = orders::get(&state.pool, id)
        .await?
        .ok_or_else(errors::order_not_found)?;
    let mut conn = state.pool.acquire().await?;
    build(state, &mut conn, order).await
}

async fn build(
    state: &AppState,
    conn: &mut PgConnection,
    order: OrderRow,
) -> Result<AdminOrderView, AppError> {
    let id = order.id;
    let parts = AdminParts {
        items: orders::items(conn, id).await?,
        task: tasks::for_order(conn, id).await?,
        history: history::list(conn, id).await?,
        jobs: job_store::for_order(conn, id).await?,
        order,
    };
    Ok(AdminOrderView::new(
        parts,
        state.config.provisioning_max_attempts,
    ))
}

/// T2 by the back office; an already CANCELED order is answered unchanged.
pub async fn cancel(
    state: &AppState,
    id: Uuid,
    actor: &Actor,
    reason: Option<String>,
    request_id: &str,
) -> Result<AdminOrderView, AppError> {
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::order_not_found)?;
    let current = order.status()?;
    if current == OrderStatus::Canceled {
        let view = build(state, &mut tx, order).await?;
        tx.commit().await?;
        return Ok(view);
    }
    let t2 = transition(Some(current), OrderStatus::Canceled, actor)
        .map_err(|_| errors::order_status_conflict(current.as_str(), "CANCELED"))?;
    let now = state.now();
    let updated = orders::cancel(&mut tx, id, now)
        .await?
        .ok_or_else(|| errors::order_status_conflict(current.as_str(), "CANCELED"))?;
    history::insert(
        &mut tx,
        &history::NewEntry {
            order_id: id,
            previous_status: Some(current.as_str()),
            new_status: OrderStatus::Canceled.as_str(),
            actor: &actor.label(),
            reason: reason.as_deref().unwrap_or(t2.default_reason(actor)),
            metadata: json!({ "couponCode": updated.coupon_code }),
            request_id: Some(request_id),
            idempotency_key: None,
            now,
        },
    )
    .await?;
    if updated.coupon_code.is_some() {
        jobs::enqueue(
            &mut tx,
            NewJob::new(
                &COUPON_RELEASE,
                id.to_string(),
                json!({ "orderId": id, "reason": "ORDER_CANCELLED" }),
            )
            .dedupe_key(format!("COUPON_RELEASE:{id}"))
            .request_id(request_id),
        )
        .await?;
    }
    let view = build(state, &mut tx, updated).await?;
    tx.commit().await?;
    state.job_waker.wake();
    Ok(view)
}

/// T6 (§7.8): the order back to PROVISIONING and its task reset in one transaction.
pub async fn retry_provisioning(
    state: &AppState,
    id: Uuid,
    actor: &Actor,
    reason: Option<String>,
    request_id: &str,
) -> Result<AdminOrderView, AppError> {
    let mut tx = state.pool.begin().await?;
    let order = orders::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::order_not_found)?;
    let current = order.status()?;
    let t6 = transition(Some(current), OrderStatus::Provisioning, actor)
        .ok()
        .filter(|_| current == OrderStatus::Failed)
        .ok_or_else(|| errors::order_status_conflict(current.as_str(), "PROVISIONING"))?;
    let now = state.now();
    let previous = tasks::for_order(&mut tx, id).await?;
    // A FAILED order always has the task that failed (T5); without one there is nothing the
    // worker could resume, so the retry is refused rather than leaving a stuck order.
    let Some(previous) = previous else {
        return Err(errors::order_status_conflict(
            current.as_str(),
            "PROVISIONING",
        ));
    };
    if !orders::restart_provisioning(&mut tx, id, now).await? {
        return Err(errors::order_status_conflict(
            current.as_str(),
            "PROVISIONING",
        ));
    }
    let task = tasks::reset_for_retry(&mut tx, id, now).await?;
    history::insert(
        &mut tx,
        &history::NewEntry {
            order_id: id,
            previous_status: Some(current.as_str()),
            new_status: OrderStatus::Provisioning.as_str(),
            actor: &actor.label(),
            reason: reason.as_deref().unwrap_or(t6.default_reason(actor)),
            metadata: json!({
                "previousErrorCode": previous.error_code,
                "previousDropletId": previous.droplet_id,
                "retryCount": task.map(|t| t.retry_count),
            }),
            request_id: Some(request_id),
            idempotency_key: None,
            now,
        },
    )
    .await?;
    let order = orders::lock(&mut tx, id)
        .await?
        .ok_or_else(errors::order_not_found)?;
    let view = build(state, &mut tx, order).await?;
    tx.commit().await?;
    state.provisioning_waker.wake();
    Ok(view)
}
