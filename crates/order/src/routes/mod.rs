//! Thin HTTP handlers: extract, call the flow, shape the response (order.md §4).

mod bodies;
mod internal;
mod user;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/orders", post(user::create).get(user::list))
        .route("/api/v1/orders/{id}", get(user::detail))
        .route("/api/v1/internal/orders", get(internal::list))
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
