//! `notification_logs` (notification.md §8): one row per message and channel.

use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

pub const QUEUED: &str = "QUEUED";
pub const SENT: &str = "SENT";
pub const FAILED: &str = "FAILED";

/// A log as the send pipeline creates it.
#[derive(Debug, Clone)]
pub struct NewLog {
    pub id: Uuid,
    pub user_id: String,
    pub event: &'static str,
    pub channel: &'static str,
    pub status: &'static str,
    pub recipient: String,
    pub template_key: String,
    pub template_version: i32,
    pub subject: Option<String>,
    /// Rendered from the redacted data.
    pub content: String,
    /// The request's data, redacted.
    pub payload: Value,
    pub error: Option<String>,
    pub job_id: Option<Uuid>,
    pub idempotency_key: Option<String>,
    pub request_id: String,
}

pub async fn insert(conn: &mut PgConnection, log: &NewLog) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_logs \
             (id, user_id, event, channel, status, recipient, template_key, template_version, \
              subject, content, payload, error, job_id, idempotency_key, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(log.id)
    .bind(&log.user_id)
    .bind(log.event)
    .bind(log.channel)
    .bind(log.status)
    .bind(clip(&log.recipient, 255))
    .bind(&log.template_key)
    .bind(log.template_version)
    .bind(log.subject.as_deref().map(|s| clip(s, 255)))
    .bind(&log.content)
    .bind(&log.payload)
    .bind(&log.error)
    .bind(log.job_id)
    .bind(&log.idempotency_key)
    .bind(clip(&log.request_id, 128))
    .execute(conn)
    .await?;
    Ok(())
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogRow {
    pub id: Uuid,
    pub user_id: String,
    pub event: String,
    pub channel: String,
    pub status: String,
    pub recipient: String,
    pub template_key: String,
    pub subject: Option<String>,
    pub error: Option<String>,
    pub attempts: i32,
    #[serde(with = "platform::time_format::wire_option")]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "platform::time_format::wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time_format::wire")]
    pub updated_at: OffsetDateTime,
    #[serde(skip)]
    pub template_version: i32,
    #[serde(skip)]
    pub content: String,
    #[serde(skip)]
    pub payload: Value,
    #[serde(skip)]
    pub job_id: Option<Uuid>,
    #[serde(skip)]
    pub idempotency_key: Option<String>,
    #[serde(skip)]
    pub request_id: String,
    #[serde(skip)]
    pub provider_message_id: Option<String>,
}

/// The detail view: the list item plus content, payload and the delivery references.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LogDetail<'a> {
    #[serde(flatten)]
    pub item: &'a LogRow,
    pub content: &'a str,
    pub payload: &'a Value,
    pub template_version: i32,
    pub job_id: Option<Uuid>,
    pub idempotency_key: Option<&'a str>,
    pub request_id: &'a str,
    pub provider_message_id: Option<&'a str>,
}

impl LogRow {
    pub fn detail(&self) -> LogDetail<'_> {
        LogDetail {
            item: self,
            content: &self.content,
            payload: &self.payload,
            template_version: self.template_version,
            job_id: self.job_id,
            idempotency_key: self.idempotency_key.as_deref(),
            request_id: &self.request_id,
            provider_message_id: self.provider_message_id.as_deref(),
        }
    }
}

const COLUMNS: &str = "id, user_id, event, channel, status, recipient, template_key, subject, \
                       error, attempts, sent_at, created_at, updated_at, template_version, \
                       content, payload, job_id, idempotency_key, request_id, \
                       provider_message_id";

/// The logs accepted under `key` since `since`, in creation order.
pub async fn by_idempotency_key<'c>(
    executor: impl PgExecutor<'c>,
    key: &str,
    since: OffsetDateTime,
) -> Result<Vec<LogRow>, sqlx::Error> {
    sqlx::query_as::<_, LogRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notification_logs \
         WHERE idempotency_key = $1 AND created_at >= $2 ORDER BY created_at, channel"
    )))
    .bind(key)
    .bind(since)
    .fetch_all(executor)
    .await
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<LogRow>, sqlx::Error> {
    sqlx::query_as::<_, LogRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notification_logs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The filters of `GET …/logs`.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    pub user_id: Option<String>,
    pub event: Option<String>,
    pub channel: Option<String>,
    pub status: Option<String>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

const FILTER: &str = "($1::text IS NULL OR user_id = $1) AND ($2::text IS NULL OR event = $2) \
                      AND ($3::text IS NULL OR channel = $3) AND ($4::text IS NULL OR status = $4) \
                      AND ($5::timestamptz IS NULL OR created_at >= $5) \
                      AND ($6::timestamptz IS NULL OR created_at <= $6)";

pub async fn list(
    pool: &PgPool,
    f: &LogFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<LogRow>, i64), sqlx::Error> {
    let items = sqlx::query_as::<_, LogRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notification_logs WHERE {FILTER} \
         ORDER BY created_at DESC, id DESC LIMIT $7 OFFSET $8"
    )))
    .bind(&f.user_id)
    .bind(&f.event)
    .bind(&f.channel)
    .bind(&f.status)
    .bind(f.from)
    .bind(f.to)
    .bind(limit)
    .bind(offset)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM notification_logs WHERE {FILTER}"
    )))
    .bind(&f.user_id)
    .bind(&f.event)
    .bind(&f.channel)
    .bind(&f.status)
    .bind(f.from)
    .bind(f.to)
    .fetch_one(pool)
    .await?;
    Ok((items, total))
}

/// A delivered message. Only a log still waiting for this job changes, so a late duplicate
/// attempt cannot overwrite a newer state.
pub async fn mark_sent(
    pool: &PgPool,
    id: Uuid,
    job_id: Uuid,
    provider_message_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_logs \
         SET status = 'SENT', sent_at = now(), provider_message_id = $3, error = NULL, \
             attempts = attempts + 1, updated_at = now() \
         WHERE id = $1 AND job_id = $2 AND status = 'QUEUED'",
    )
    .bind(id)
    .bind(job_id)
    .bind(provider_message_id.map(|s| clip(s, 255)))
    .execute(pool)
    .await?;
    Ok(())
}

/// A failed attempt: the log keeps `QUEUED` while the job retries, `FAILED` when it is final.
/// `counted` is false for a Telegram flood-control deferral, which is not an attempt.
pub async fn mark_failed(
    pool: &PgPool,
    id: Uuid,
    job_id: Uuid,
    error: &str,
    final_failure: bool,
    counted: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notification_logs \
         SET status = CASE WHEN $4 THEN 'FAILED' ELSE status END, error = $3, \
             attempts = attempts + CASE WHEN $5 THEN 1 ELSE 0 END, updated_at = now() \
         WHERE id = $1 AND job_id = $2 AND status = 'QUEUED'",
    )
    .bind(id)
    .bind(job_id)
    .bind(error)
    .bind(final_failure)
    .bind(counted)
    .execute(pool)
    .await?;
    Ok(())
}

/// Dead letters sent back to their queue: their logs wait again.
pub async fn requeue(conn: &mut PgConnection, job_ids: &[Uuid]) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE notification_logs SET status = 'QUEUED', updated_at = now() \
         WHERE job_id = ANY($1) AND status = 'FAILED'",
    )
    .bind(job_ids)
    .execute(conn)
    .await?;
    Ok(r.rows_affected())
}

/// Logs still `QUEUED` whose job died without its handler's say — a worker crashed on the last
/// allowed attempt and the runner's lease sweep ended the job — become `FAILED` like any other
/// exhausted delivery.
pub async fn fail_orphaned(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE notification_logs l \
         SET status = 'FAILED', updated_at = now(), \
             error = COALESCE(l.error, j.dead_reason || ': ' || COALESCE(j.last_error, 'job ended')) \
         FROM jobs j \
         WHERE j.id = l.job_id AND j.state = 'DEAD' AND l.status = 'QUEUED'",
    )
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// The daily clean-up of logs older than the retention.
pub async fn delete_older_than(pool: &PgPool, days: i64) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "DELETE FROM notification_logs WHERE created_at < now() - make_interval(days => $1)",
    )
    .bind(i32::try_from(days).unwrap_or(i32::MAX))
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}
