//! The SQL of the job lifecycle: insert, claim under a lease, record an outcome, release.
//!
//! `attempts` is raised when a job is claimed, not when an attempt ends, so an attempt lost with
//! a crashed worker is counted without anyone having to notice the crash (platform.md §10.4
//! item 3). The claimed value doubles as a fencing token: an outcome is only written while the
//! row is still `RUNNING` under the same `lease_owner` *and* the same attempt number, so a worker
//! whose lease expired can never overwrite the result of the attempt that replaced it.
//!
//! These functions are the runner's building blocks; services use [`super::Worker`].

use std::time::Duration;

use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::{ClaimedJob, DEAD_AUTH_REJECTED, DEAD_MAX_ATTEMPTS, JobOutcome, NewJob, QueueSpec};

/// Bounds the free-text columns so that a verbose handler error cannot make the outcome's
/// UPDATE fail (which would leave the job `RUNNING` until its lease expires).
const MAX_ERROR_CHARS: usize = 2000;
const MAX_REASON_CHARS: usize = 50;
const MAX_REQUEST_ID_CHARS: usize = 128;

/// Rows deleted per statement by [`purge_done`], so the hourly purge never holds many locks or
/// one long transaction.
const PURGE_BATCH: i64 = 5000;

/// `s` cut to at most `max` characters (the unit of PostgreSQL's `varchar(n)`).
pub(crate) fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

pub(crate) async fn insert(
    conn: &mut PgConnection,
    job: &NewJob,
) -> Result<Option<Uuid>, sqlx::Error> {
    let request_id = job
        .request_id
        .as_deref()
        .map(|r| clip(r, MAX_REQUEST_ID_CHARS));
    sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO jobs (id, queue, subject_id, dedupe_key, payload, secret_payload_enc, \
                           max_attempts, run_at, request_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()), $9) \
         ON CONFLICT (dedupe_key) DO NOTHING \
         RETURNING id",
    )
    .bind(Uuid::new_v4())
    .bind(&job.queue)
    .bind(&job.subject_id)
    .bind(job.dedupe_key.as_deref())
    .bind(&job.payload)
    .bind(job.secret_payload_enc.as_deref())
    .bind(job.max_attempts)
    .bind(job.run_at)
    .bind(request_id)
    .fetch_optional(conn)
    .await
}

/// Claims up to `limit` due jobs of `queue` for `owner`: `PENDING` ones whose `run_at` has come,
/// and `RUNNING` ones whose lease expired (their lost attempt stays counted), oldest `run_at`
/// first. `SKIP LOCKED` lets any number of replicas claim side by side without waiting on or
/// taking each other's rows.
pub async fn claim(
    pool: &PgPool,
    queue: &str,
    owner: &str,
    lease: Duration,
    limit: usize,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    claim_ordered(pool, queue, owner, lease, limit, false).await
}

/// [`claim`], optionally holding back every job that has an older unfinished (`PENDING` or
/// `RUNNING`) job of the same subject in the queue.
pub async fn claim_ordered(
    pool: &PgPool,
    queue: &str,
    owner: &str,
    lease: Duration,
    limit: usize,
    in_subject_order: bool,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut jobs = sqlx::query_as::<_, ClaimedJob>(
        "WITH due AS ( \
             SELECT id, state AS previous_state \
             FROM jobs \
             WHERE queue = $1 \
               AND ((state = 'PENDING' AND run_at <= now()) \
                 OR (state = 'RUNNING' AND lease_expires_at <= now() \
                     AND (max_attempts IS NULL OR attempts < max_attempts))) \
               AND (NOT $5 OR NOT EXISTS ( \
                     SELECT 1 FROM jobs AS older \
                     WHERE older.queue = jobs.queue AND older.subject_id = jobs.subject_id \
                       AND older.state IN ('PENDING', 'RUNNING') \
                       AND older.created_at < jobs.created_at)) \
             ORDER BY run_at, created_at \
             LIMIT $2 \
             FOR UPDATE SKIP LOCKED \
         ) \
         UPDATE jobs AS j \
         SET state = 'RUNNING', \
             attempts = j.attempts + 1, \
             lease_owner = $3, \
             lease_expires_at = now() + make_interval(secs => $4), \
             last_error = CASE WHEN due.previous_state = 'RUNNING' \
                               THEN 'lease expired before the attempt ended' \
                               ELSE j.last_error END, \
             last_http_status = CASE WHEN due.previous_state = 'RUNNING' \
                                     THEN NULL ELSE j.last_http_status END, \
             updated_at = now() \
         FROM due \
         WHERE j.id = due.id \
         RETURNING j.id, j.queue, j.subject_id, j.payload, j.secret_payload_enc, \
                   j.attempts AS attempt, j.max_attempts, j.request_id, j.run_at, j.created_at, \
                   (due.previous_state = 'RUNNING') AS previous_attempt_lost",
    )
    .bind(queue)
    .bind(limit)
    .bind(owner)
    .bind(lease.as_secs_f64())
    .bind(in_subject_order)
    .fetch_all(pool)
    .await?;
    jobs.sort_by_key(|j| (j.run_at, j.created_at));
    Ok(jobs)
}

/// A job whose lease expired on its last allowed attempt, ended by [`kill_exhausted`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExhaustedJob {
    pub id: Uuid,
    pub queue: String,
    pub attempts: i32,
    pub request_id: Option<String>,
}

/// Ends in `DEAD`/`MAX_ATTEMPTS` the jobs of `queues` whose lease expired on their last allowed
/// attempt: [`claim`] leaves them alone because reclaiming would exceed the limit.
pub async fn kill_exhausted(
    pool: &PgPool,
    queues: &[&str],
) -> Result<Vec<ExhaustedJob>, sqlx::Error> {
    sqlx::query_as::<_, ExhaustedJob>(
        "UPDATE jobs \
         SET state = 'DEAD', dead_reason = $2, \
             last_error = 'lease expired before the last allowed attempt ended', \
             last_http_status = NULL, lease_owner = NULL, lease_expires_at = NULL, \
             updated_at = now() \
         WHERE state = 'RUNNING' AND id IN ( \
             SELECT id FROM jobs \
             WHERE queue = ANY($1) AND state = 'RUNNING' AND lease_expires_at <= now() \
               AND max_attempts IS NOT NULL AND attempts >= max_attempts \
             FOR UPDATE SKIP LOCKED) \
         RETURNING id, queue, attempts, request_id",
    )
    .bind(queues)
    .bind(DEAD_MAX_ATTEMPTS)
    .fetch_all(pool)
    .await
}

/// The part of a claimed job needed to record its outcome after the handler consumed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub job_id: Uuid,
    /// The attempt number the claim set: the fencing token of this lease.
    pub attempt: i32,
    pub max_attempts: Option<i32>,
}

impl From<&ClaimedJob> for Attempt {
    fn from(job: &ClaimedJob) -> Self {
        Self {
            job_id: job.id,
            attempt: job.attempt,
            max_attempts: job.max_attempts,
        }
    }
}

/// What [`record`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    Done,
    /// Back to `PENDING`, due after `delay`.
    Retrying {
        delay: Duration,
    },
    Dead {
        reason: String,
    },
    /// The lease was no longer ours (expired and reclaimed, or released): nothing was written.
    LeaseLost,
}

/// Writes the outcome of `attempt`, only while `owner` still holds that very lease.
pub async fn record(
    pool: &PgPool,
    owner: &str,
    attempt: &Attempt,
    queue: &QueueSpec,
    outcome: &JobOutcome,
) -> Result<Recorded, sqlx::Error> {
    let (result, recorded) = match outcome {
        JobOutcome::Done => {
            let r = sqlx::query(
                "UPDATE jobs \
                 SET state = 'DONE', done_at = now(), secret_payload_enc = NULL, \
                     last_error = NULL, last_http_status = NULL, \
                     lease_owner = NULL, lease_expires_at = NULL, updated_at = now() \
                 WHERE id = $1 AND state = 'RUNNING' AND lease_owner = $2 AND attempts = $3",
            )
            .bind(attempt.job_id)
            .bind(owner)
            .bind(attempt.attempt)
            .execute(pool)
            .await?;
            (r, Recorded::Done)
        }
        JobOutcome::Retry {
            error,
            http_status,
            not_before,
        } => {
            let exhausted = attempt
                .max_attempts
                .is_some_and(|max| attempt.attempt >= max);
            if exhausted {
                let r =
                    mark_dead(pool, owner, attempt, DEAD_MAX_ATTEMPTS, error, *http_status).await?;
                (
                    r,
                    Recorded::Dead {
                        reason: DEAD_MAX_ATTEMPTS.to_owned(),
                    },
                )
            } else {
                let delay = super::backoff::next_delay(
                    queue.backoff_base,
                    queue.backoff_max,
                    attempt.attempt,
                    *not_before,
                );
                let r = sqlx::query(
                    "UPDATE jobs \
                     SET state = 'PENDING', run_at = now() + make_interval(secs => $4), \
                         last_error = $5, last_http_status = $6, \
                         lease_owner = NULL, lease_expires_at = NULL, updated_at = now() \
                     WHERE id = $1 AND state = 'RUNNING' AND lease_owner = $2 AND attempts = $3",
                )
                .bind(attempt.job_id)
                .bind(owner)
                .bind(attempt.attempt)
                .bind(delay.as_secs_f64())
                .bind(clip(error, MAX_ERROR_CHARS))
                .bind(http_status.map(i32::from))
                .execute(pool)
                .await?;
                (r, Recorded::Retrying { delay })
            }
        }
        JobOutcome::Dead {
            reason,
            error,
            http_status,
        } => {
            let reason = clip(reason, MAX_REASON_CHARS);
            let r = mark_dead(pool, owner, attempt, reason, error, *http_status).await?;
            (
                r,
                Recorded::Dead {
                    reason: reason.to_owned(),
                },
            )
        }
    };
    Ok(if result.rows_affected() == 0 {
        Recorded::LeaseLost
    } else {
        recorded
    })
}

async fn mark_dead(
    pool: &PgPool,
    owner: &str,
    attempt: &Attempt,
    reason: &str,
    error: &str,
    http_status: Option<u16>,
) -> Result<sqlx::postgres::PgQueryResult, sqlx::Error> {
    // The secret is kept: a retry from the dead letter must send the same content (§10.4 item 4).
    sqlx::query(
        "UPDATE jobs \
         SET state = 'DEAD', dead_reason = $4, last_error = $5, last_http_status = $6, \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = now() \
         WHERE id = $1 AND state = 'RUNNING' AND lease_owner = $2 AND attempts = $3",
    )
    .bind(attempt.job_id)
    .bind(owner)
    .bind(attempt.attempt)
    .bind(reason)
    .bind(clip(error, MAX_ERROR_CHARS))
    .bind(http_status.map(i32::from))
    .execute(pool)
    .await
}

/// Hands the jobs `owner` still holds back to `PENDING` at shutdown, without counting the
/// interrupted attempt, so another instance can take them at once instead of after the lease.
pub async fn release(pool: &PgPool, owner: &str) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE jobs \
         SET state = 'PENDING', attempts = GREATEST(attempts - 1, 0), \
             lease_owner = NULL, lease_expires_at = NULL, updated_at = now() \
         WHERE state = 'RUNNING' AND lease_owner = $1",
    )
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// Returns `DEAD` jobs with reason `AUTH_REJECTED` to `PENDING` with a fresh attempt budget.
/// Called once at startup: a corrected API key implies a restart (platform.md §10.4 item 5).
pub async fn reset_auth_rejected<'c>(executor: impl PgExecutor<'c>) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE jobs \
         SET state = 'PENDING', attempts = 0, run_at = now(), dead_reason = NULL, \
             updated_at = now() \
         WHERE state = 'DEAD' AND dead_reason = $1",
    )
    .bind(DEAD_AUTH_REJECTED)
    .execute(executor)
    .await?;
    Ok(r.rows_affected())
}

/// Deletes `DONE` jobs whose `done_at` is more than `older_than` ago (platform.md §10.4 item 4:
/// 30 days, [`super::DONE_RETENTION`]); the runner calls it periodically. Returns the number
/// deleted.
pub async fn purge_done(pool: &PgPool, older_than: Duration) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let r = sqlx::query(
            "DELETE FROM jobs WHERE id IN ( \
                 SELECT id FROM jobs \
                 WHERE state = 'DONE' AND done_at < now() - make_interval(secs => $1) \
                 LIMIT $2)",
        )
        .bind(older_than.as_secs_f64())
        .bind(PURGE_BATCH)
        .execute(pool)
        .await?;
        total += r.rows_affected();
        if r.rows_affected() < PURGE_BATCH as u64 {
            return Ok(total);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("abcdef", 3), "abc");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("ab", 3), "ab");
        assert_eq!(clip("ééé", 2), "éé");
        assert_eq!(clip("", 2), "");
    }
}
