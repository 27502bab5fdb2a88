//! The job admin routes of platform.md §10.4 over `email` and `telegram` (§9 items 7–10). They
//! are the platform's, except that a retry also returns the logs of the retried jobs to
//! `QUEUED` in the same transaction.

use axum::extract::{Path, State};
use platform::ApiResult;
use platform::auth::AdminCaller;
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery, parse_uuid,
};
use platform::http::Data;
use platform::jobs::{self, DeadJob, QueueStats};
use platform::openapi::{DataBody, ErrorBody};
use platform::pagination::{PageQuery, Paginated};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::bodies::RetryRequest;
use crate::domain::errors;
use crate::queues::QUEUE_NAMES;
use crate::state::AppState;
use crate::store::logs;

fn known(queue: &str) -> ApiResult<&'static str> {
    QUEUE_NAMES
        .iter()
        .copied()
        .find(|q| *q == queue)
        .ok_or_else(errors::queue_not_found)
}

/// `{"queues": [...]}`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct QueuesView {
    queues: Vec<QueueStats>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RetriedView {
    /// How many dead jobs went back to `PENDING` (and their logs to `QUEUED`).
    requeued: usize,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PurgedView {
    /// How many dead jobs were deleted.
    purged: usize,
}

/// Counts per queue (`email`, `telegram`): due, running, delayed and dead jobs.
#[utoipa::path(get, path = "/api/v1/internal/notifications/queues", tag = "jobs",
    security(("apiKey" = []), ("bearerAuth" = [])),
    responses(
        (status = 200, description = "One entry per queue", body = DataBody<QueuesView>),
        (status = 400, description = "`VALIDATION_ERROR`: an unknown query parameter", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
    ))]
pub async fn stats(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<QueuesView>> {
    let queues = jobs::queue_stats(&state.pool, &QUEUE_NAMES).await?;
    Ok(Data(QueuesView { queues }))
}

pub struct DeadQuery {
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

/// The queue's dead jobs, most recently failed first; `subjectId` is the log id, never the
/// message content.
#[utoipa::path(get, path = "/api/v1/internal/notifications/queues/{queue}/dead-letter", tag = "jobs",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("queue" = String, Path, description = "`email` or `telegram`"),
        ("page" = Option<u32>, Query, minimum = 1, description = "From 1; default 1"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "1–100; default 10"),
        ("deadReason" = Option<String>, Query, description = "Only jobs that died for this reason"),
    ),
    responses(
        (status = 200, description = "A page of dead jobs", body = Paginated<DeadJob>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`QUEUE_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn list_dead(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(q): StrictQuery<DeadQuery>,
) -> ApiResult<Paginated<DeadJob>> {
    let queue = known(&queue)?;
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

pub struct RetryBody {
    job_ids: Option<Vec<Uuid>>,
    limit: i64,
}

impl FromJson for RetryBody {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let job_ids = match f.opt_value("jobIds") {
            None => Some(None),
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
        }
        Some(Self {
            job_ids: job_ids?,
            limit,
        })
    }
}

/// Puts dead jobs back to `PENDING` with a fresh attempt budget and their logs back to
/// `QUEUED`, in one transaction.
#[utoipa::path(post, path = "/api/v1/internal/notifications/queues/{queue}/dead-letter/retry", tag = "jobs",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(("queue" = String, Path, description = "`email` or `telegram`")),
    request_body(content = RetryRequest, description = "An empty body is read as `{}`"),
    responses(
        (status = 200, description = "How many were requeued", body = DataBody<RetriedView>),
        (status = 400, description = "`VALIDATION_ERROR`, `BAD_REQUEST` (malformed JSON)", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`QUEUE_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`PAYLOAD_TOO_LARGE`", body = ErrorBody),
        (status = 415, description = "`UNSUPPORTED_MEDIA_TYPE`", body = ErrorBody),
    ))]
pub async fn retry_dead(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
    StrictJson(body): StrictJson<RetryBody>,
) -> ApiResult<Data<RetriedView>> {
    let queue = known(&queue)?;
    let mut tx = state.pool.begin().await?;
    let requeued = jobs::retry_dead(&mut *tx, queue, body.job_ids.as_deref(), body.limit).await?;
    let ids: Vec<Uuid> = requeued.iter().map(|j| j.id).collect();
    logs::requeue(&mut tx, &ids).await?;
    tx.commit().await?;
    if !ids.is_empty() {
        state.job_waker.wake();
        tracing::info!(queue, requeued = ids.len(), "dead letters requeued");
    }
    Ok(Data(RetriedView {
        requeued: ids.len(),
    }))
}

pub struct PurgeQuery {
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

/// Deletes the queue's dead jobs (and the secrets they held), or only those older than
/// `olderThanDays`; their logs stay `FAILED`.
#[utoipa::path(delete, path = "/api/v1/internal/notifications/queues/{queue}/dead-letter", tag = "jobs",
    security(("apiKey" = []), ("bearerAuth" = [])),
    params(
        ("queue" = String, Path, description = "`email` or `telegram`"),
        ("olderThanDays" = Option<u32>, Query, description = "Only jobs dead for longer than this"),
    ),
    responses(
        (status = 200, description = "How many were deleted", body = DataBody<PurgedView>),
        (status = 400, description = "`VALIDATION_ERROR`", body = ErrorBody),
        (status = 401, description = "`UNAUTHORIZED`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN` (a non-admin token)", body = ErrorBody),
        (status = 404, description = "`QUEUE_NOT_FOUND`", body = ErrorBody),
    ))]
pub async fn purge_dead(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(q): StrictQuery<PurgeQuery>,
) -> ApiResult<Data<PurgedView>> {
    let queue = known(&queue)?;
    let purged = jobs::purge_dead(&state.pool, queue, q.older_than_days).await?;
    Ok(Data(PurgedView {
        purged: purged.len(),
    }))
}
