//! The job admin routes of platform.md §10.4 item 7 — queue stats, dead-letter list, retry and
//! purge — for any service's queues, mounted under the service's internal prefix.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::auth::{AdminCaller, Security};
use crate::error::{ApiResult, AppError};
use crate::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery, parse_uuid,
};
use crate::http::Data;
use crate::jobs::{self, DeadJob, JobWaker, QueueStats};
use crate::openapi::{DataBody, ErrorBody};
use crate::pagination::{PageQuery, Paginated};
use axum::extract::{FromRef, Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// The future a [`RetryHook`] returns.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + 'a>>;

/// A service's own work in the transaction that revives dead jobs, so that its rows never
/// disagree with the jobs: notification returns the jobs' delivery logs to `QUEUED`.
pub trait RetryHook: Send + Sync + 'static {
    fn requeued<'a>(&'a self, conn: &'a mut PgConnection, job_ids: &'a [Uuid]) -> HookFuture<'a>;
}

/// What the queue admin routes need of a service.
#[derive(Clone)]
pub struct QueueAdmin {
    pub pool: PgPool,
    pub security: Arc<Security>,
    /// Wakes this process's worker after a retry.
    pub waker: JobWaker,
    /// The service's queues, in the order `GET …/queues` lists them.
    pub queues: &'static [&'static str],
    /// Runs in the retry's transaction with the ids of the revived jobs.
    pub on_retry: Option<Arc<dyn RetryHook>>,
}

impl FromRef<QueueAdmin> for Arc<Security> {
    fn from_ref(state: &QueueAdmin) -> Self {
        state.security.clone()
    }
}

/// `{prefix}/queues`, `{prefix}/queues/{queue}/dead-letter` (GET, DELETE) and
/// `{prefix}/queues/{queue}/dead-letter/retry` (POST), e.g. with `prefix` =
/// `/api/v1/internal/orders`, documented. Merge it into the service's router; its static
/// `queues` segment takes precedence over the service's `{id}` routes.
pub fn router<S: Clone + Send + Sync + 'static>(
    prefix: &str,
    admin: QueueAdmin,
) -> OpenApiRouter<S> {
    let queues = OpenApiRouter::new()
        .routes(routes!(stats))
        .routes(routes!(list_dead, purge_dead))
        .routes(routes!(retry_dead))
        .with_state(admin);
    OpenApiRouter::new().nest(prefix, queues)
}

/// `{"queues": [...]}`.
#[derive(Serialize, ToSchema)]
struct QueuesView {
    queues: Vec<QueueStats>,
}

#[derive(Serialize, ToSchema)]
struct RetriedView {
    /// How many dead jobs went back to `PENDING`.
    requeued: usize,
}

#[derive(Serialize, ToSchema)]
struct PurgedView {
    /// How many dead jobs were deleted.
    purged: usize,
}

fn known(state: &QueueAdmin, queue: &str) -> ApiResult<&'static str> {
    state
        .queues
        .iter()
        .copied()
        .find(|q| *q == queue)
        .ok_or_else(|| {
            AppError::new(
                StatusCode::NOT_FOUND,
                "QUEUE_NOT_FOUND",
                "Antrean tidak ditemukan",
            )
        })
}

/// Counts per queue of this service: due, running, delayed and dead jobs.
#[utoipa::path(get, path = "/queues", tag = "jobs",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses(
        (status = 200, description = "One entry per queue", body = DataBody<QueuesView>),
        (status = 400, description = "`VALIDATION_ERROR`: an unknown query parameter", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`: no or a bad token / API key", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not an admin", body = ErrorBody),
    ))]
async fn stats(
    State(state): State<QueueAdmin>,
    _caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<QueuesView>> {
    let queues = jobs::queue_stats(&state.pool, state.queues).await?;
    Ok(Data(QueuesView { queues }))
}

struct DeadQuery {
    page: PageQuery,
    dead_reason: Option<String>,
}

impl FromQuery for DeadQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let page = PageQuery::read(q);
        let dead_reason = q.string("deadReason");
        Some(Self { page, dead_reason })
    }
}

/// The queue's dead jobs, most recently failed first.
#[utoipa::path(get, path = "/queues/{queue}/dead-letter", tag = "jobs",
    security(("bearerAuth" = []), ("apiKey" = [])),
    params(
        ("queue" = String, Path, description = "A queue of this service"),
        ("page" = Option<u32>, Query, minimum = 1, description = "From 1 (default 1)"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Default 10"),
        ("deadReason" = Option<String>, Query, description = "Only jobs that died for this reason"),
    ),
    responses(
        (status = 200, description = "A page of dead jobs", body = Paginated<DeadJob>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`", body = ErrorBody),
        (status = 404, description = "`QUEUE_NOT_FOUND`", body = ErrorBody),
    ))]
async fn list_dead(
    State(state): State<QueueAdmin>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(q): StrictQuery<DeadQuery>,
) -> ApiResult<Paginated<DeadJob>> {
    let queue = known(&state, &queue)?;
    let (items, total) = jobs::list_dead(
        &state.pool,
        queue,
        q.page.page,
        q.page.limit,
        q.dead_reason.as_deref(),
    )
    .await?;
    Ok(Paginated::new(items, q.page, total))
}

/// Which dead jobs to retry: the listed ones, or up to `limit` of them.
#[derive(serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[serde(rename_all = "camelCase")]
#[schema(as = RetryDeadLettersBody)]
#[allow(dead_code)]
struct RetryBodySchema {
    job_ids: Option<Vec<Uuid>>,
    /// 1–1000, default 100.
    #[schema(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

struct RetryBody {
    job_ids: Option<Vec<Uuid>>,
    limit: i64,
}

impl FromJson for RetryBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let job_ids = match f.opt_value("jobIds") {
            None | Some(Value::Null) => Some(None),
            Some(Value::Array(items)) => {
                let ids: Option<Vec<Uuid>> = items
                    .iter()
                    .map(|v| v.as_str().and_then(parse_uuid))
                    .collect();
                if ids.is_none() {
                    f.problem("jobIds", "jobIds harus berupa daftar UUID");
                }
                ids.map(Some)
            }
            Some(_) => {
                f.problem("jobIds", "jobIds harus berupa daftar UUID");
                None
            }
        };
        let limit = f.opt_i64("limit").unwrap_or(100);
        if !(1..=1000).contains(&limit) {
            f.problem("limit", "limit harus antara 1 dan 1000");
            return None;
        }
        Some(Self {
            job_ids: job_ids?,
            limit,
        })
    }
}

/// Puts dead jobs back to `PENDING` with a fresh attempt budget.
#[utoipa::path(post, path = "/queues/{queue}/dead-letter/retry", tag = "jobs",
    security(("bearerAuth" = []), ("apiKey" = [])),
    params(("queue" = String, Path, description = "A queue of this service")),
    request_body = RetryBodySchema,
    responses(
        (status = 200, description = "How many were requeued", body = DataBody<RetriedView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST` (malformed JSON)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`", body = ErrorBody),
        (status = 404, description = "`QUEUE_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
async fn retry_dead(
    State(state): State<QueueAdmin>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<RetryBody>,
) -> ApiResult<Data<RetriedView>> {
    let queue = known(&state, &queue)?;
    let mut tx = state.pool.begin().await?;
    let requeued = jobs::retry_dead(&mut *tx, queue, body.job_ids.as_deref(), body.limit).await?;
    let ids: Vec<Uuid> = requeued.iter().map(|j| j.id).collect();
    if let Some(hook) = &state.on_retry {
        hook.requeued(&mut tx, &ids).await?;
    }
    tx.commit().await?;
    if !ids.is_empty() {
        state.waker.wake();
        tracing::info!(queue, requeued = ids.len(), "dead letters requeued");
    }
    Ok(Data(RetriedView {
        requeued: ids.len(),
    }))
}

struct PurgeQuery {
    older_than_days: Option<i64>,
}

impl FromQuery for PurgeQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        let days = q.u32("olderThanDays").map(i64::from);
        Some(Self {
            older_than_days: days,
        })
    }
}

/// Deletes the queue's dead jobs, or only those older than `olderThanDays`.
#[utoipa::path(delete, path = "/queues/{queue}/dead-letter", tag = "jobs",
    security(("bearerAuth" = []), ("apiKey" = [])),
    params(
        ("queue" = String, Path, description = "A queue of this service"),
        ("olderThanDays" = Option<u32>, Query, description = "Only jobs dead for longer than this"),
    ),
    responses(
        (status = 200, description = "How many were deleted", body = DataBody<PurgedView>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`", body = ErrorBody),
        (status = 404, description = "`QUEUE_NOT_FOUND`", body = ErrorBody),
    ))]
async fn purge_dead(
    State(state): State<QueueAdmin>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(q): StrictQuery<PurgeQuery>,
) -> ApiResult<Data<PurgedView>> {
    let queue = known(&state, &queue)?;
    let purged = jobs::purge_dead(&state.pool, queue, q.older_than_days).await?;
    Ok(Data(PurgedView {
        purged: purged.len(),
    }))
}
