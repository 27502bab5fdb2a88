//! Thin HTTP handlers: extract, call the flow, shape the response (notification.md §9).

mod bodies;
mod logs;
mod queues;
mod send;
mod templates;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every route of the service, each documented by its handler's `#[utoipa::path]`.
pub fn router(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(send::send))
        .routes(routes!(templates::list))
        .routes(routes!(templates::detail, templates::update))
        .routes(routes!(logs::list))
        .routes(routes!(logs::detail))
        // The platform's job admin routes (platform.md §10.4), except that a retry also requeues
        // the logs of the retried jobs, so they are this service's own handlers.
        .routes(routes!(queues::stats))
        .routes(routes!(queues::list_dead, queues::purge_dead))
        .routes(routes!(queues::retry_dead))
        .with_state(state)
}
