//! The runner: claims due jobs of its queues, runs their handlers, records the outcomes, and on
//! shutdown hands back what it still holds (platform.md §10.4 items 2, 3, 4 and 6).
//!
//! One loop task per process does all claiming, so the per-queue concurrency limit is plain
//! bookkeeping; each attempt runs in its own task of a `JoinSet`, which also means that dropping
//! or aborting the runner aborts its attempts — the same as a crash, after which the leases
//! expire and other instances take the jobs over.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use sqlx::PgPool;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};
use tracing::Instrument;

use super::store::{self, Attempt, Recorded};
use super::{
    ClaimedJob, DEAD_AUTH_REJECTED, DONE_RETENTION, JobHandler, JobOutcome, JobWaker, QueueSpec,
};

/// How the runner of one process behaves; the service fills it from `JOB_POLL_INTERVAL_MS` and
/// `JOB_LEASE_SECONDS` (platform.md §13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Names this instance in `lease_owner`; must be unique per running worker.
    pub lease_owner: String,
    pub poll_interval: Duration,
    /// How long a claim is exclusive. An attempt is abandoned (and retried) shortly before its
    /// lease runs out, so that no other instance can start the same job while it still runs.
    pub lease: Duration,
    /// How long in-flight attempts may finish after the shutdown signal (platform.md §12).
    pub shutdown_grace: Duration,
    pub purge_interval: Duration,
    /// `DONE` jobs older than this are deleted by the periodic purge.
    pub done_retention: Duration,
}

impl WorkerConfig {
    pub fn new(poll_interval: Duration, lease: Duration) -> Self {
        Self {
            lease_owner: default_lease_owner(),
            poll_interval,
            lease,
            shutdown_grace: Duration::from_secs(10),
            purge_interval: Duration::from_secs(60 * 60),
            done_retention: DONE_RETENTION,
        }
    }

    /// From the values of `JOB_POLL_INTERVAL_MS` and `JOB_LEASE_SECONDS`.
    pub fn from_settings(job_poll_interval_ms: u64, job_lease_seconds: u64) -> Self {
        Self::new(
            Duration::from_millis(job_poll_interval_ms),
            Duration::from_secs(job_lease_seconds),
        )
    }

    pub fn with_lease_owner(mut self, owner: impl Into<String>) -> Self {
        self.lease_owner = owner.into();
        self
    }

    pub fn with_shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = grace;
        self
    }

    pub fn with_purge(mut self, interval: Duration, retention: Duration) -> Self {
        self.purge_interval = interval;
        self.done_retention = retention;
        self
    }

    /// The time an attempt may take: its lease minus a margin (a tenth, at most 5 s) for the
    /// claim's round trip and clock drift between this process and the database.
    pub fn attempt_timeout(&self) -> Duration {
        self.lease
            .saturating_sub((self.lease / 10).min(Duration::from_secs(5)))
    }
}

/// `<hostname>-<pid>-<uuid>`: readable in the table, and unique even for two runners in one
/// process (tests) or a restarted process that reuses a pid.
pub fn default_lease_owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".to_owned());
    format!(
        "{}-{}-{}",
        store::clip(&host, 100),
        std::process::id(),
        uuid::Uuid::new_v4()
    )
}

struct RegisteredQueue {
    spec: QueueSpec,
    handler: Arc<dyn JobHandler>,
}

/// The job runner of one process; see the module documentation.
pub struct Worker {
    pool: PgPool,
    config: WorkerConfig,
    queues: Vec<RegisteredQueue>,
    waker: JobWaker,
}

impl Worker {
    pub fn new(pool: PgPool, config: WorkerConfig) -> Self {
        Self {
            pool,
            config,
            queues: Vec::new(),
            waker: JobWaker::new(),
        }
    }

    /// Runs `spec`'s jobs with `handler`.
    ///
    /// # Panics
    /// When a queue of that name is already registered: a wiring mistake best found at startup.
    pub fn queue(mut self, spec: QueueSpec, handler: impl JobHandler) -> Self {
        assert!(
            self.queues.iter().all(|q| q.spec.name != spec.name),
            "job queue {:?} registered twice",
            spec.name
        );
        self.queues.push(RegisteredQueue {
            spec,
            handler: Arc::new(handler),
        });
        self
    }

    /// Listens to `waker` — the one the service's handlers call after enqueuing.
    pub fn with_waker(mut self, waker: JobWaker) -> Self {
        self.waker = waker;
        self
    }

    pub fn waker(&self) -> JobWaker {
        self.waker.clone()
    }

    pub fn queue_names(&self) -> Vec<&'static str> {
        self.queues.iter().map(|q| q.spec.name).collect()
    }

    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Runs on a task of its own until `shutdown`.
    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    /// Claims and runs jobs until `shutdown` turns `true` (or its sender is dropped), then stops
    /// claiming, lets in-flight attempts finish within the grace period, interrupts the rest and
    /// releases every lease it still holds. Database errors are logged and retried at the next
    /// poll, never fatal: the jobs wait safely in the table.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let Worker {
            pool,
            config,
            queues,
            waker,
        } = self;
        let owner: Arc<str> = Arc::from(store::clip(&config.lease_owner, 200));
        let names: Vec<&str> = queues.iter().map(|q| q.spec.name).collect();
        let attempt_timeout = config.attempt_timeout();

        let mut tasks: JoinSet<()> = JoinSet::new();
        let mut task_queue: HashMap<tokio::task::Id, usize> = HashMap::new();
        let mut in_flight = vec![0usize; queues.len()];
        let mut want_claim = vec![true; queues.len()];
        let mut want_sweep = true;
        let mut next_purge = Instant::now();
        let mut poll = tokio::time::interval(config.poll_interval.max(Duration::from_millis(1)));
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        poll.reset();

        for name in &names {
            super::metrics::init_queue(name);
        }
        tracing::info!(leaseOwner = %owner, queues = ?names, "job worker started");
        loop {
            if *shutdown.borrow_and_update() {
                break;
            }
            if want_sweep {
                want_sweep = false;
                match store::kill_exhausted(&pool, &names).await {
                    Ok(killed) => {
                        for job in killed {
                            super::metrics::JOBS_DEAD
                                .inc(&[job.queue.as_str(), super::DEAD_MAX_ATTEMPTS]);
                            tracing::warn!(
                                jobId = %job.id,
                                queue = %job.queue,
                                attempt = job.attempts,
                                requestId = job.request_id.as_deref(),
                                outcome = "DEAD",
                                deadReason = super::DEAD_MAX_ATTEMPTS,
                                "job lease expired on its last allowed attempt"
                            );
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "could not look for exhausted job leases"),
                }
            }
            for (qi, queue) in queues.iter().enumerate() {
                if !std::mem::take(&mut want_claim[qi]) {
                    continue;
                }
                let free = queue.spec.concurrency.saturating_sub(in_flight[qi]);
                if free == 0 {
                    continue;
                }
                let claimed = store::claim_ordered(
                    &pool,
                    queue.spec.name,
                    &owner,
                    config.lease,
                    free,
                    queue.spec.in_subject_order,
                )
                .await;
                match claimed {
                    Ok(jobs) => {
                        for job in jobs {
                            in_flight[qi] += 1;
                            let attempt = run_attempt(
                                pool.clone(),
                                owner.clone(),
                                queue.spec,
                                queue.handler.clone(),
                                job,
                                attempt_timeout,
                            );
                            let handle = tasks.spawn(attempt);
                            task_queue.insert(handle.id(), qi);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(queue = queue.spec.name, error = %e, "could not claim jobs")
                    }
                }
            }
            if Instant::now() >= next_purge {
                next_purge = Instant::now() + config.purge_interval;
                tasks.spawn(purge(pool.clone(), config.done_retention));
            }

            tokio::select! {
                changed = shutdown.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                Some(finished) = tasks.join_next_with_id() => {
                    let id = match finished {
                        Ok((id, ())) => id,
                        Err(e) => {
                            tracing::error!(error = %e, "a job task ended abnormally");
                            e.id()
                        }
                    };
                    if let Some(qi) = task_queue.remove(&id) {
                        // A full queue may have due jobs waiting for this slot.
                        if in_flight[qi] >= queues[qi].spec.concurrency {
                            want_claim[qi] = true;
                        }
                        in_flight[qi] = in_flight[qi].saturating_sub(1);
                    }
                }
                () = waker.woken() => want_claim.fill(true),
                _ = poll.tick() => {
                    want_claim.fill(true);
                    want_sweep = true;
                }
            }
        }

        tracing::info!(
            inFlight = task_queue.len(),
            "job worker stopping: no new claims"
        );
        let drained = tokio::time::timeout(config.shutdown_grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                interrupted = tasks.len(),
                graceMs = config.shutdown_grace.as_millis() as u64,
                "in-flight jobs did not finish within the shutdown grace; interrupting them"
            );
            tasks.shutdown().await;
        }
        match store::release(&pool, &owner).await {
            Ok(released) => tracing::info!(released, "job worker stopped; leases released"),
            Err(e) => tracing::error!(
                error = %e,
                "could not release job leases; they are taken over when they expire"
            ),
        }
    }
}

async fn purge(pool: PgPool, retention: Duration) {
    match store::purge_done(&pool, retention).await {
        Ok(0) => {}
        Ok(deleted) => tracing::info!(deleted, "purged old DONE jobs"),
        Err(e) => tracing::warn!(error = %e, "could not purge old DONE jobs"),
    }
}

/// One attempt: the handler under a timeout and a panic guard, then its outcome recorded.
/// Logs carry the job's request id; the payload and its secret are never logged.
async fn run_attempt(
    pool: PgPool,
    owner: Arc<str>,
    spec: QueueSpec,
    handler: Arc<dyn JobHandler>,
    job: ClaimedJob,
    timeout: Duration,
) {
    let attempt = Attempt::from(&job);
    let span = tracing::info_span!(
        "job",
        jobId = %job.id,
        queue = spec.name,
        attempt = job.attempt,
        requestId = job.request_id.as_deref(),
    );
    async move {
        if job.previous_attempt_lost {
            tracing::warn!("the previous attempt was lost with its worker; running the job again");
        }
        tracing::info!("job attempt started");
        let started = Instant::now();
        // The handler is called inside the guarded future, so a panic while building its
        // future is caught as well.
        let work = AssertUnwindSafe(async move { handler.handle(job).await }).catch_unwind();
        let outcome = match tokio::time::timeout(timeout, work).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(panic)) => JobOutcome::retry(format!(
                "handler panicked: {}",
                panic_message(panic.as_ref())
            )),
            Err(_) => JobOutcome::retry(format!(
                "attempt abandoned after {} ms, before its lease would expire",
                timeout.as_millis()
            )),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let recorded = store::record(&pool, &owner, &attempt, &spec, &outcome).await;
        count_outcome(spec.name, &recorded);
        log_outcome(recorded, &outcome, elapsed_ms);
    }
    .instrument(span)
    .await
}

fn count_outcome(queue: &str, recorded: &Result<Recorded, sqlx::Error>) {
    let outcome = match recorded {
        Ok(Recorded::Done) => "done",
        Ok(Recorded::Retrying { .. }) => "retry",
        Ok(Recorded::Dead { reason }) => {
            super::metrics::JOBS_DEAD.inc(&[queue, reason]);
            "dead"
        }
        Ok(Recorded::LeaseLost) => "lease_lost",
        Err(_) => "error",
    };
    super::metrics::JOB_ATTEMPTS.inc(&[queue, outcome]);
}

fn log_outcome(recorded: Result<Recorded, sqlx::Error>, outcome: &JobOutcome, elapsed_ms: u64) {
    let (error, http_status) = match outcome {
        JobOutcome::Done => (None, None),
        JobOutcome::Retry {
            error, http_status, ..
        }
        | JobOutcome::Dead {
            error, http_status, ..
        } => (Some(error.as_str()), *http_status),
    };
    match recorded {
        Ok(Recorded::Done) => tracing::info!(outcome = "DONE", elapsedMs = elapsed_ms, "job done"),
        Ok(Recorded::Retrying { delay }) => tracing::warn!(
            outcome = "RETRY",
            error,
            httpStatus = http_status,
            retryInMs = delay.as_millis() as u64,
            elapsedMs = elapsed_ms,
            "job attempt failed; retrying later"
        ),
        Ok(Recorded::Dead { reason }) if reason == DEAD_AUTH_REJECTED => tracing::error!(
            outcome = "DEAD",
            deadReason = %reason,
            error,
            httpStatus = http_status,
            elapsedMs = elapsed_ms,
            "job rejected for our credentials: check the API key configuration"
        ),
        Ok(Recorded::Dead { reason }) => tracing::warn!(
            outcome = "DEAD",
            deadReason = %reason,
            error,
            httpStatus = http_status,
            elapsedMs = elapsed_ms,
            "job is dead"
        ),
        Ok(Recorded::LeaseLost) => tracing::warn!(
            outcome = "LEASE_LOST",
            elapsedMs = elapsed_ms,
            "job lease was lost before the outcome could be recorded; outcome discarded"
        ),
        Err(e) => tracing::error!(
            error = %e,
            elapsedMs = elapsed_ms,
            "could not record the job outcome; the job runs again once its lease expires"
        ),
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = panic.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s
    } else {
        "non-string panic payload"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_end_before_their_lease() {
        let c = WorkerConfig::from_settings(1000, 60);
        assert_eq!(c.attempt_timeout(), Duration::from_secs(55));
        let c = WorkerConfig::from_settings(1000, 120);
        assert_eq!(c.attempt_timeout(), Duration::from_secs(115));
        let c = WorkerConfig::from_settings(50, 1);
        assert_eq!(c.attempt_timeout(), Duration::from_millis(900));
    }

    #[test]
    fn lease_owners_are_unique_and_fit_the_column() {
        let a = default_lease_owner();
        let b = default_lease_owner();
        assert_ne!(a, b);
        assert!(a.chars().count() <= 200);
        assert!(a.contains(&std::process::id().to_string()));
    }

    #[test]
    fn panic_messages_are_readable() {
        let caught = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "boom 1");
        let caught = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(caught.as_ref()), "static");
    }
}
