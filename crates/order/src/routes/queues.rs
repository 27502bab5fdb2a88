//! The job admin routes of platform.md §10.4 item 7 for this service's queues (§8).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use platform::auth::AdminCaller;
use platform::extract::{
    FromJson, FromQuery, JsonFields, NoQuery, QueryFields, StrictJson, StrictQuery, parse_uuid,
};
use platform::http::Data;
use platform::jobs::{self, DeadJob};
use platform::pagination::{PageQuery, Paginated};
use platform::{ApiResult, AppError};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::queues::{COUPON_RELEASE, NOTIFICATIONS, PAYMENT_TIMEOUT};
use crate::state::AppState;

/// Every queue of this service, in the order `GET …/queues` lists them.
pub const QUEUE_NAMES: [&str; 3] = [
    NOTIFICATIONS.name,
    COUPON_RELEASE.name,
    PAYMENT_TIMEOUT.name,
];

fn known(queue: &str) -> ApiResult<&'static str> {
    QUEUE_NAMES
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

pub async fn stats(
    State(state): State<AppState>,
    _caller: AdminCaller,
    StrictQuery(NoQuery): StrictQuery<NoQuery>,
) -> ApiResult<Data<Value>> {
    let queues = jobs::queue_stats(&state.pool, &QUEUE_NAMES).await?;
    Ok(Data(json!({ "queues": queues })))
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

pub async fn retry_dead(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictJson(body): StrictJson<RetryBody>,
) -> ApiResult<Data<Value>> {
    let queue = known(&queue)?;
    let requeued =
        jobs::retry_dead(&state.pool, queue, body.job_ids.as_deref(), body.limit).await?;
    if !requeued.is_empty() {
        state.job_waker.wake();
    }
    Ok(Data(json!({ "requeued": requeued.len() })))
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

pub async fn purge_dead(
    State(state): State<AppState>,
    _caller: AdminCaller,
    Path(queue): Path<String>,
    StrictQuery(q): StrictQuery<PurgeQuery>,
) -> ApiResult<Data<Value>> {
    let queue = known(&queue)?;
    let purged = jobs::purge_dead(&state.pool, queue, q.older_than_days).await?;
    Ok(Data(json!({ "purged": purged.len() })))
}
