//! Durable jobs: a transactional outbox in the service's own PostgreSQL (platform.md §10.4).
//!
//! Work that must survive a crash, a restart or an outage of the receiver is a row of `jobs`,
//! inserted by [`enqueue`] inside the transaction of the state change that causes it, so both
//! commit or roll back together. A [`Worker`] claims due rows with a lease
//! (`FOR UPDATE SKIP LOCKED`, any number of replicas), runs the queue's [`JobHandler`] and records
//! the [`JobOutcome`]; a crashed worker's job is claimed again once its lease has expired. Delivery
//! is therefore at least once: every write a job makes carries the job id as its
//! `Idempotency-Key` (§10.3) so that a repeat has no further effect.
//!
//! ```ignore
//! let mut tx = pool.begin().await?;
//! store::mark_paid(&mut tx, invoice_id).await?;
//! jobs::enqueue(&mut *tx, NewJob::new(&ORDER_PAYMENT_STATUS, invoice_id.to_string(), payload)
//!     .dedupe_key(format!("ORDER_PAID:{invoice_id}"))
//!     .request_id(&ctx.request_id))
//!     .await?;
//! tx.commit().await?;
//! waker.wake();
//! ```

pub mod admin;
pub mod backoff;
pub mod metrics;
pub mod routes;
pub mod store;
pub mod worker;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::PgConnection;
use time::OffsetDateTime;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::crypto::{CipherError, SecretCipher};

pub use admin::{DeadJob, JobRef, QueueStats, list_dead, purge_dead, queue_stats, retry_dead};
pub use metrics::QueueDepth;
pub use routes::QueueAdmin;
pub use store::{purge_done, reset_auth_rejected};
pub use worker::{Worker, WorkerConfig, default_lease_owner};

/// The migration that creates `jobs`, for services that embed it among their own migrations.
pub const MIGRATION_SQL: &str = include_str!("../../migrations/20260101000000_jobs.sql");

/// `dead_reason` of a job whose attempts reached `max_attempts`.
pub const DEAD_MAX_ATTEMPTS: &str = "MAX_ATTEMPTS";
/// `dead_reason` of a job the receiver answered with `401`/`403` (platform.md §10.2); such jobs
/// return to `PENDING` at the next startup, since a corrected API key implies a restart.
pub const DEAD_AUTH_REJECTED: &str = "AUTH_REJECTED";

/// How DONE jobs are kept before the runner deletes them (platform.md §10.4 item 4).
pub const DONE_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// A named queue and the policy its jobs run under (the table of platform.md §10.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueSpec {
    pub name: &'static str,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Limit of attempts for jobs enqueued without their own; `None` = unlimited.
    pub max_attempts: Option<i32>,
    /// Jobs of this queue one worker instance runs at the same time.
    pub concurrency: usize,
    /// A job is not claimed while an older unfinished job of the same subject waits in this
    /// queue (order.md §8.1: `ORDER_CREATED` always precedes `VPS_ACTIVE`).
    pub in_subject_order: bool,
}

impl QueueSpec {
    /// A queue with the platform's common policy (5 s / 10 min, unlimited, 4 at a time); the
    /// `with_*` methods adjust it to the queue's row of the table.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(600),
            max_attempts: None,
            concurrency: 4,
            in_subject_order: false,
        }
    }

    pub const fn with_subject_order(mut self) -> Self {
        self.in_subject_order = true;
        self
    }

    pub const fn with_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    pub const fn with_max_attempts(mut self, max_attempts: Option<i32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    pub const fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }
}

/// A job to insert with [`enqueue`].
#[derive(Clone, PartialEq)]
pub struct NewJob {
    pub queue: String,
    pub subject_id: String,
    /// One fact cannot be enqueued twice: a second job with the same key is silently not created.
    pub dedupe_key: Option<String>,
    pub payload: Value,
    /// Already sealed with the service's [`SecretCipher`]; never stored in clear.
    pub secret_payload_enc: Option<String>,
    /// Earliest first attempt; `None` = as soon as the transaction commits.
    pub run_at: Option<OffsetDateTime>,
    pub request_id: Option<String>,
    /// `None` = unlimited. Starts as the queue's limit; a job may differ (billing's `PAID` vs
    /// `PAYMENT_FAILED` share one queue but not one limit).
    pub max_attempts: Option<i32>,
}

impl std::fmt::Debug for NewJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewJob")
            .field("queue", &self.queue)
            .field("subject_id", &self.subject_id)
            .field("dedupe_key", &self.dedupe_key)
            .field("payload", &self.payload)
            .field(
                "secret_payload_enc",
                &self.secret_payload_enc.as_ref().map(|_| "<sealed>"),
            )
            .field("run_at", &self.run_at)
            .field("request_id", &self.request_id)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl NewJob {
    /// A job of `queue` about `subject_id`, due now, with the queue's attempt limit.
    pub fn new(queue: &QueueSpec, subject_id: impl Into<String>, payload: Value) -> Self {
        Self {
            queue: queue.name.to_owned(),
            subject_id: subject_id.into(),
            dedupe_key: None,
            payload,
            secret_payload_enc: None,
            run_at: None,
            request_id: None,
            max_attempts: queue.max_attempts,
        }
    }

    pub fn dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    /// Seals `secret` (a root password) so that only its ciphertext reaches the table.
    pub fn secret(mut self, cipher: &SecretCipher, secret: &str) -> Self {
        self.secret_payload_enc = Some(cipher.encrypt(secret));
        self
    }

    /// A secret the caller already sealed with the service's [`SecretCipher`].
    pub fn sealed_secret(mut self, sealed: impl Into<String>) -> Self {
        self.secret_payload_enc = Some(sealed.into());
        self
    }

    /// Schedules the first attempt, e.g. the payment deadline of an unpaid order.
    pub fn run_at(mut self, at: OffsetDateTime) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Schedules the first attempt `delay` after now.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.run_at = Some(OffsetDateTime::now_utc() + delay);
        self
    }

    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    pub fn max_attempts(mut self, max_attempts: Option<i32>) -> Self {
        self.max_attempts = max_attempts;
        self
    }
}

/// Inserts `job` through the caller's connection — pass `&mut *tx` so that the job commits or
/// rolls back with the state change that causes it (platform.md §10.4 item 1).
///
/// Returns the new job's id, or `None` when a job with the same `dedupe_key` already exists.
/// The conflict is resolved by `ON CONFLICT DO NOTHING`, so it raises no error and leaves the
/// caller's transaction usable. After the commit, call [`JobWaker::wake`] so that a worker of
/// this process starts at once instead of at its next poll.
pub async fn enqueue(conn: &mut PgConnection, job: NewJob) -> Result<Option<Uuid>, sqlx::Error> {
    store::insert(conn, &job).await
}

/// A job a worker has claimed and holds the lease of, as handed to its [`JobHandler`].
#[derive(Clone, sqlx::FromRow)]
pub struct ClaimedJob {
    /// Also the `Idempotency-Key` of the write this job makes (platform.md §10.3).
    pub id: Uuid,
    pub queue: String,
    pub subject_id: String,
    pub payload: Value,
    /// Sealed; open it with [`ClaimedJob::secret`].
    pub secret_payload_enc: Option<String>,
    /// This attempt's number, starting at 1; attempts lost with a crashed worker are counted.
    pub attempt: i32,
    pub max_attempts: Option<i32>,
    /// `X-Request-Id` of the request that caused the job, to forward on the job's calls.
    pub request_id: Option<String>,
    pub run_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
    /// The previous attempt was lost with its worker (lease expired): it may or may not have
    /// taken effect at the receiver.
    pub previous_attempt_lost: bool,
}

impl std::fmt::Debug for ClaimedJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClaimedJob")
            .field("id", &self.id)
            .field("queue", &self.queue)
            .field("subject_id", &self.subject_id)
            .field("attempt", &self.attempt)
            .field("max_attempts", &self.max_attempts)
            .field("request_id", &self.request_id)
            .field("has_secret", &self.secret_payload_enc.is_some())
            .field("previous_attempt_lost", &self.previous_attempt_lost)
            .finish_non_exhaustive()
    }
}

impl ClaimedJob {
    /// The payload as the queue's input type.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.payload)
    }

    /// Opens the sealed secret. An error means the key changed since the job was enqueued,
    /// which no retry cures: handlers usually end such a job as `Dead`.
    pub fn secret(&self, cipher: &SecretCipher) -> Result<Option<String>, CipherError> {
        self.secret_payload_enc
            .as_deref()
            .map(|sealed| cipher.decrypt(sealed))
            .transpose()
    }

    /// The request id to forward, or the job id when the job was not caused by a request, so
    /// that the receiver's logs can still be tied to this job.
    pub fn request_id_or_job_id(&self) -> String {
        self.request_id
            .clone()
            .unwrap_or_else(|| self.id.to_string())
    }
}

/// How an attempt ended, as the queue's handler judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// The work is done (or the answer means it had already been done).
    Done,
    /// Transient failure: try again after the queue's backoff, and never sooner than
    /// `not_before` (a `429`'s `Retry-After`).
    Retry {
        error: String,
        http_status: Option<u16>,
        not_before: Option<Duration>,
    },
    /// Final failure: no retry will help; `reason` becomes `dead_reason`.
    Dead {
        reason: String,
        error: String,
        http_status: Option<u16>,
    },
}

impl JobOutcome {
    pub fn retry(error: impl Into<String>) -> Self {
        Self::Retry {
            error: error.into(),
            http_status: None,
            not_before: None,
        }
    }

    pub fn dead(reason: impl Into<String>, error: impl Into<String>) -> Self {
        Self::Dead {
            reason: reason.into(),
            error: error.into(),
            http_status: None,
        }
    }

    /// A `401`/`403` from another service: a configuration error (platform.md §10.2).
    pub fn auth_rejected(http_status: u16) -> Self {
        Self::Dead {
            reason: DEAD_AUTH_REJECTED.to_owned(),
            error: format!("the receiver rejected our credentials ({http_status})"),
            http_status: Some(http_status),
        }
    }

    /// Attaches the HTTP status of the answer that caused this outcome.
    pub fn with_status(mut self, status: u16) -> Self {
        match &mut self {
            Self::Done => {}
            Self::Retry { http_status, .. } | Self::Dead { http_status, .. } => {
                *http_status = Some(status)
            }
        }
        self
    }

    /// Maps a service call made from a job by platform.md §10.2: success → `Done`, retryable →
    /// `Retry` (honouring `Retry-After`), `401`/`403` → `Dead` with `AUTH_REJECTED`. A final
    /// `4xx` means what the queue's spec says, so it gives `None` for the caller to judge.
    pub fn from_call(outcome: &crate::client::CallOutcome) -> Option<Self> {
        use crate::client::CallOutcome;
        match outcome {
            CallOutcome::Success { .. } => Some(Self::Done),
            CallOutcome::Retryable {
                status,
                retry_after,
                error,
                ..
            } => Some(Self::Retry {
                error: error.clone(),
                http_status: *status,
                not_before: *retry_after,
            }),
            CallOutcome::AuthRejected { status, .. } => Some(Self::auth_rejected(*status)),
            CallOutcome::Final { .. } => None,
        }
    }
}

/// The future a [`JobHandler`] returns: boxed so that handlers of different queues fit one
/// runner without the `async-trait` crate.
pub type JobFuture<'a> = Pin<Box<dyn Future<Output = JobOutcome> + Send + 'a>>;

/// The work of one queue. A panic is caught and treated as a retryable failure.
///
/// Runs at least once per job and possibly again after a crash: the handler must make a repeat
/// harmless, normally by sending the job id as `Idempotency-Key`.
pub trait JobHandler: Send + Sync + 'static {
    fn handle(&self, job: ClaimedJob) -> JobFuture<'_>;
}

impl<H: JobHandler + ?Sized> JobHandler for Arc<H> {
    fn handle(&self, job: ClaimedJob) -> JobFuture<'_> {
        (**self).handle(job)
    }
}

/// A [`JobHandler`] made of an async closure, for small queues and tests.
pub fn handler_fn<F, Fut>(f: F) -> impl JobHandler
where
    F: Fn(ClaimedJob) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = JobOutcome> + Send + 'static,
{
    struct FnHandler<F>(F);
    impl<F, Fut> JobHandler for FnHandler<F>
    where
        F: Fn(ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobOutcome> + Send + 'static,
    {
        fn handle(&self, job: ClaimedJob) -> JobFuture<'_> {
            Box::pin((self.0)(job))
        }
    }
    FnHandler(f)
}

/// Wakes this process's worker right after a commit that enqueued work, so a job does not wait
/// for the next poll; other replicas still find it by polling. Cheap to clone into every
/// service state; a wake with no worker listening is remembered until one listens.
#[derive(Debug, Clone, Default)]
pub struct JobWaker(Arc<Notify>);

impl JobWaker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn wake(&self) {
        self.0.notify_one();
    }

    pub(crate) async fn woken(&self) {
        self.0.notified().await;
    }
}
