//! Thin HTTP handlers: extract, call the flow, shape the response (billing.md §4–§5).

mod bodies;
mod internal;
mod user;
mod webhook;

use platform::jobs::QueueAdmin;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::queues::QUEUE_NAMES;
use crate::state::AppState;

/// Every route of the service, each documented by its handler's `#[utoipa::path]`.
pub fn router(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(user::create, user::list))
        .routes(routes!(user::detail))
        .routes(routes!(user::pay))
        .routes(routes!(user::payment_channels))
        .routes(routes!(webhook::tripay))
        .routes(routes!(webhook::tripay_internal))
        .routes(routes!(internal::create))
        .routes(routes!(internal::transactions))
        .routes(routes!(internal::detail))
        .routes(routes!(internal::expire))
        .routes(routes!(internal::cancel))
        .routes(routes!(internal::resync_order))
        .with_state(state.clone())
        // The job admin routes (platform.md §10.4); `queues` wins over `{id}` (platform.md §4).
        .merge(platform::jobs::routes::router(
            "/api/v1/internal/billing",
            QueueAdmin {
                pool: state.pool.clone(),
                security: state.security.clone(),
                waker: state.job_waker.clone(),
                queues: &QUEUE_NAMES,
                on_retry: None,
            },
        ))
}
