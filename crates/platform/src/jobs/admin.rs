//! What the admin queue routes of platform.md §10.4 item 7 read and change. The routes live in
//! each service; these functions hold the SQL so that every service answers alike.
//!
//! Retry and purge take any executor so that a service can pass `&mut *tx` and record its own
//! side effects (notification's delivery logs) in the same transaction.

use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// One entry of `GET …/queues`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QueueStats {
    pub name: String,
    /// `PENDING` and due.
    pub waiting: i64,
    /// `RUNNING`.
    pub active: i64,
    /// `PENDING` with a future `run_at`.
    pub delayed: i64,
    pub dead: i64,
}

#[derive(sqlx::FromRow)]
struct StatsRow {
    queue: String,
    waiting: i64,
    active: i64,
    delayed: i64,
    dead: i64,
}

/// Counts per queue, one entry per name in `queues` and in that order, zeros for idle queues.
pub async fn queue_stats<'c>(
    executor: impl PgExecutor<'c>,
    queues: &[&str],
) -> Result<Vec<QueueStats>, sqlx::Error> {
    let rows = sqlx::query_as::<_, StatsRow>(
        "SELECT queue, \
                count(*) FILTER (WHERE state = 'PENDING' AND run_at <= now()) AS waiting, \
                count(*) FILTER (WHERE state = 'RUNNING') AS active, \
                count(*) FILTER (WHERE state = 'PENDING' AND run_at > now()) AS delayed, \
                count(*) FILTER (WHERE state = 'DEAD') AS dead \
         FROM jobs \
         WHERE queue = ANY($1) AND state <> 'DONE' \
         GROUP BY queue",
    )
    .bind(queues)
    .fetch_all(executor)
    .await?;
    Ok(queues
        .iter()
        .map(|name| {
            let row = rows.iter().find(|r| r.queue == *name);
            QueueStats {
                name: (*name).to_owned(),
                waiting: row.map_or(0, |r| r.waiting),
                active: row.map_or(0, |r| r.active),
                delayed: row.map_or(0, |r| r.delayed),
                dead: row.map_or(0, |r| r.dead),
            }
        })
        .collect())
}

/// One item of the dead-letter list. The payload is left out on purpose: it may hold personal
/// data, and the admin view only needs to know what failed and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeadJob {
    pub id: Uuid,
    pub queue: String,
    pub subject_id: String,
    pub attempts: i32,
    pub dead_reason: String,
    pub last_error: Option<String>,
    pub last_http_status: Option<i32>,
    pub request_id: Option<String>,
    #[serde(with = "crate::time_format::wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::time_format::wire")]
    pub updated_at: OffsetDateTime,
}

/// A page of `queue`'s `DEAD` jobs, most recently failed first, optionally only those with
/// `dead_reason`; with the total count for the page metadata. `page` starts at 1.
pub async fn list_dead(
    pool: &PgPool,
    queue: &str,
    page: u32,
    limit: u32,
    dead_reason: Option<&str>,
) -> Result<(Vec<DeadJob>, i64), sqlx::Error> {
    let limit = i64::from(limit.max(1));
    let offset = (i64::from(page.max(1)) - 1) * limit;
    let items = sqlx::query_as::<_, DeadJob>(
        "SELECT id, queue, subject_id, attempts, dead_reason, last_error, last_http_status, \
                request_id, created_at, updated_at \
         FROM jobs \
         WHERE queue = $1 AND state = 'DEAD' AND ($2::text IS NULL OR dead_reason = $2) \
         ORDER BY updated_at DESC, id DESC \
         LIMIT $3 OFFSET $4",
    )
    .bind(queue)
    .bind(dead_reason)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM jobs \
         WHERE queue = $1 AND state = 'DEAD' AND ($2::text IS NULL OR dead_reason = $2)",
    )
    .bind(queue)
    .bind(dead_reason)
    .fetch_one(pool)
    .await?;
    Ok((items, total))
}

/// A job touched by an admin operation, so the service can update what refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    pub id: Uuid,
    pub subject_id: String,
}

/// Returns `DEAD` jobs of `queue` to `PENDING` with `attempts = 0`, due now: the ones listed in
/// `job_ids` (ids that are not `DEAD` in this queue are ignored), or else the longest dead. At
/// most `limit` either way. The requeued jobs are returned; their count is the `requeued` answer.
pub async fn retry_dead<'c>(
    executor: impl PgExecutor<'c>,
    queue: &str,
    job_ids: Option<&[Uuid]>,
    limit: i64,
) -> Result<Vec<JobRef>, sqlx::Error> {
    sqlx::query_as::<_, JobRef>(
        "UPDATE jobs \
         SET state = 'PENDING', attempts = 0, run_at = now(), dead_reason = NULL, \
             updated_at = now() \
         WHERE state = 'DEAD' AND id IN ( \
             SELECT id FROM jobs \
             WHERE queue = $1 AND state = 'DEAD' AND ($2::uuid[] IS NULL OR id = ANY($2)) \
             ORDER BY updated_at, id \
             LIMIT $3 \
             FOR UPDATE) \
         RETURNING id, subject_id",
    )
    .bind(queue)
    .bind(job_ids)
    .bind(limit.max(0))
    .fetch_all(executor)
    .await
}

/// No job is older than this many days (about 2,700 years); a larger `older_than_days` means the
/// same and would take `now() - n days` out of PostgreSQL's interval range (an error, a 500 on the
/// purge routes).
const MAX_OLDER_THAN_DAYS: i64 = 1_000_000;

/// Deletes `queue`'s `DEAD` jobs — with `older_than_days`, only those last updated more than that
/// many days ago. Deleting the row also deletes its secret. The deleted jobs are returned; their
/// count is the `purged` answer.
pub async fn purge_dead<'c>(
    executor: impl PgExecutor<'c>,
    queue: &str,
    older_than_days: Option<i64>,
) -> Result<Vec<JobRef>, sqlx::Error> {
    sqlx::query_as::<_, JobRef>(
        "DELETE FROM jobs \
         WHERE queue = $1 AND state = 'DEAD' \
           AND ($2::bigint IS NULL OR updated_at < now() - $2::bigint * interval '1 day') \
         RETURNING id, subject_id",
    )
    .bind(queue)
    .bind(older_than_days.map(|days| days.min(MAX_OLDER_THAN_DAYS)))
    .fetch_all(executor)
    .await
}
