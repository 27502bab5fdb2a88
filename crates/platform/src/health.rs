//! `GET /health` and `GET /health/ready` (platform.md §8).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use futures::future::BoxFuture;
use serde_json::{Map, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::ratelimit::RedisHandle;

type Probe = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// One dependency check; `required` checks decide the readiness status, the others are shown.
#[derive(Clone)]
pub struct Check {
    pub name: &'static str,
    pub required: bool,
    probe: Probe,
}

impl Check {
    pub fn new<F, Fut>(name: &'static str, required: bool, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        Self {
            name,
            required,
            probe: Arc::new(move || Box::pin(probe())),
        }
    }

    pub fn postgres(pool: sqlx::PgPool) -> Self {
        Self::new("database", true, move || {
            let pool = pool.clone();
            async move { sqlx::query("SELECT 1").execute(&pool).await.is_ok() }
        })
    }

    pub fn redis(redis: RedisHandle, required: bool) -> Self {
        Self::new("redis", required, move || {
            let redis = redis.clone();
            async move { redis.ping().await }
        })
    }
}

#[derive(Clone)]
pub(crate) struct HealthState {
    service: &'static str,
    checks: Arc<Vec<Check>>,
    liveness: Option<Liveness>,
}

/// Whether the process's own background loops still run (platform.md §8): `/health` answers
/// `503` when it says no, so the orchestrator restarts the process, which resumes from the
/// database.
pub type Liveness = Arc<dyn Fn() -> bool + Send + Sync>;

/// The two health routes, with no credentials and no envelope.
pub fn routes(service: &'static str, checks: Vec<Check>) -> Router {
    routes_with_liveness(service, checks, None)
}

pub fn routes_with_liveness(
    service: &'static str,
    checks: Vec<Check>,
    liveness: Option<Liveness>,
) -> Router {
    let (router, _) = documented_routes().split_for_parts();
    router.with_state(HealthState {
        service,
        checks: Arc::new(checks),
        liveness,
    })
}

/// The health routes with their documentation (the document needs no state).
pub(crate) fn documented_routes() -> OpenApiRouter<HealthState> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
}

/// `{"status", "service", "timestamp"}` of `GET /health`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct LiveBody {
    /// `ok`, or `unavailable` when a background loop stopped.
    status: String,
    service: String,
    timestamp: String,
}

/// `{"status", "checks": {name: "up"|"down"}}` of `GET /health/ready`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ReadyBody {
    status: String,
    #[schema(value_type = Object)]
    checks: (),
}

/// Liveness: the process and its background loops run (platform.md §8).
#[utoipa::path(get, path = "/health", tag = "health",
    responses(
        (status = 200, description = "Alive", body = LiveBody),
        (status = 503, description = "A background loop stopped; restart the process", body = LiveBody),
    ))]
async fn live(State(state): State<HealthState>) -> Response {
    let alive = state.liveness.as_ref().is_none_or(|alive| alive());
    let status = if alive {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if alive { "ok" } else { "unavailable" },
        "service": state.service,
        "timestamp": crate::time_format::format(time::OffsetDateTime::now_utc()),
    });
    (status, Json(body)).into_response()
}

/// Readiness: every required dependency (PostgreSQL, Redis when it holds the limits, …) answers.
#[utoipa::path(get, path = "/health/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = ReadyBody),
        (status = 503, description = "A required dependency is down", body = ReadyBody),
    ))]
async fn ready(State(state): State<HealthState>) -> Response {
    let results = futures::future::join_all(state.checks.iter().map(|check| async move {
        let up = tokio::time::timeout(Duration::from_secs(2), (check.probe)())
            .await
            .unwrap_or(false);
        (check.name, check.required, up)
    }))
    .await;
    let mut checks = Map::new();
    let mut ok = true;
    for (name, required, up) in results {
        checks.insert(name.to_string(), json!(if up { "up" } else { "down" }));
        ok &= up || !required;
    }
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({ "status": if ok { "ok" } else { "unavailable" }, "checks": checks });
    (status, Json(body)).into_response()
}
