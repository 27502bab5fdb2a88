//! Thin HTTP handlers: extract, call the flow, shape the response (notification.md §9).

mod bodies;
mod logs;
mod send;
mod templates;

use std::sync::Arc;

use platform::jobs::routes::{HookFuture, QueueAdmin, RetryHook};
use sqlx::PgConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::queues::QUEUE_NAMES;
use crate::state::AppState;

/// A retried job's log is `FAILED`; it goes back to `QUEUED` with its job, in one transaction.
struct RequeueLogs;

impl RetryHook for RequeueLogs {
    fn requeued<'a>(&'a self, conn: &'a mut PgConnection, job_ids: &'a [Uuid]) -> HookFuture<'a> {
        Box::pin(async move {
            crate::store::logs::requeue(conn, job_ids).await?;
            Ok(())
        })
    }
}

/// Every route of the service, each documented by its handler's `#[utoipa::path]`.
pub fn router(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(send::send))
        .routes(routes!(templates::list))
        .routes(routes!(templates::detail, templates::update))
        .routes(routes!(logs::list))
        .routes(routes!(logs::detail))
        .with_state(state.clone())
        // The platform's job admin routes (platform.md §10.4) over `email` and `telegram`.
        .merge(platform::jobs::routes::router(
            "/api/v1/internal/notifications",
            QueueAdmin {
                pool: state.pool.clone(),
                security: state.security.clone(),
                waker: state.job_waker.clone(),
                queues: &QUEUE_NAMES,
                on_retry: Some(Arc::new(RequeueLogs)),
            },
        ))
}
