//! Thin HTTP handlers: extract, call the flow, shape the response (order.md §4).

mod bodies;
mod internal;
mod queues;
mod user;

use axum::Router;
use axum::routing::{delete, get, post};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/orders", post(user::create).get(user::list))
        .route("/api/v1/orders/{id}", get(user::detail))
        .route("/api/v1/internal/orders", get(internal::list))
        // Static segments take precedence over `{id}` (platform.md §4).
        .route("/api/v1/internal/orders/queues", get(queues::stats))
        .route(
            "/api/v1/internal/orders/queues/{queue}/dead-letter",
            get(queues::list_dead).merge(delete(queues::purge_dead)),
        )
        .route(
            "/api/v1/internal/orders/queues/{queue}/dead-letter/retry",
            post(queues::retry_dead),
        )
        .route("/api/v1/internal/orders/{id}", get(internal::detail))
        .route(
            "/api/v1/internal/orders/{id}/payment-status",
            post(internal::payment_status),
        )
        .route(
            "/api/v1/internal/orders/{id}/cancel",
            post(internal::cancel),
        )
        .route(
            "/api/v1/internal/orders/{id}/retry-provisioning",
            post(internal::retry_provisioning),
        )
        .with_state(state)
}
