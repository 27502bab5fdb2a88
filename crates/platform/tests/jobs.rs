//! Durable jobs against a real PostgreSQL (platform.md §10.4). Each test gets a fresh database.
//!
//! Run with `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p platform --test jobs`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use platform::crypto::SecretCipher;
use platform::jobs::store::{self, Attempt, Recorded};
use platform::jobs::{
    self, ClaimedJob, JobOutcome, JobWaker, NewJob, QueueSpec, Worker, WorkerConfig, handler_fn,
};
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};
use uuid::Uuid;

const FAST: QueueSpec = QueueSpec::new("fast")
    .with_backoff(Duration::from_millis(10), Duration::from_millis(40))
    .with_concurrency(4);

const SLOW_BACKOFF: QueueSpec = QueueSpec::new("slow")
    .with_backoff(Duration::from_secs(10), Duration::from_secs(60))
    .with_concurrency(4);

/// State the handlers of a test share with its assertions.
type Shared<T> = Arc<Mutex<T>>;

fn config(lease: Duration) -> WorkerConfig {
    WorkerConfig::new(Duration::from_millis(50), lease).with_shutdown_grace(Duration::from_secs(2))
}

fn cipher() -> SecretCipher {
    SecretCipher::from_hex(&"ab".repeat(32)).expect("valid key")
}

/// A running worker and the switch that stops it.
struct Running {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Running {
    fn start(worker: Worker) -> Self {
        let (stop, rx) = watch::channel(false);
        Self {
            stop,
            handle: worker.spawn(rx),
        }
    }

    async fn shutdown(self) {
        let _ = self.stop.send(true);
        timeout(Duration::from_secs(5), self.handle)
            .await
            .expect("worker stops within the grace period")
            .expect("worker task ends cleanly");
    }
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    state: String,
    attempts: i32,
    max_attempts: Option<i32>,
    secret_payload_enc: Option<String>,
    lease_owner: Option<String>,
    lease_expires_at: Option<OffsetDateTime>,
    last_error: Option<String>,
    last_http_status: Option<i32>,
    dead_reason: Option<String>,
    request_id: Option<String>,
    done_at: Option<OffsetDateTime>,
    /// Seconds from the database's now to `run_at`.
    due_in: f64,
}

async fn row(pool: &PgPool, id: Uuid) -> Option<Row> {
    sqlx::query_as::<_, Row>(
        "SELECT state, attempts, max_attempts, secret_payload_enc, lease_owner, lease_expires_at, \
                last_error, last_http_status, dead_reason, request_id, done_at, \
                EXTRACT(EPOCH FROM (run_at - now()))::float8 AS due_in \
         FROM jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .expect("query job")
}

async fn wait_for_state(pool: &PgPool, id: Uuid, state: &str, within: Duration) -> Row {
    let deadline = Instant::now() + within;
    loop {
        let current = row(pool, id).await;
        if let Some(r) = current {
            if r.state == state {
                return r;
            }
            assert!(
                Instant::now() < deadline,
                "job {id} is {r:?}, expected {state}"
            );
        } else {
            assert!(Instant::now() < deadline, "job {id} does not exist");
        }
        sleep(Duration::from_millis(20)).await;
    }
}

async fn enqueue_committed(pool: &PgPool, job: NewJob) -> Uuid {
    let mut tx = pool.begin().await.expect("begin");
    let id = jobs::enqueue(&mut tx, job)
        .await
        .expect("enqueue")
        .expect("not a duplicate");
    tx.commit().await.expect("commit");
    id
}

/// Makes a scheduled job due and claims it as `"owner"`, to reach a later attempt without
/// waiting out its backoff.
async fn claim_after_making_due(pool: &PgPool, queue: &QueueSpec, id: Uuid) -> Attempt {
    sqlx::query("UPDATE jobs SET run_at = now() WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .expect("make due");
    let claimed = store::claim(pool, queue.name, "owner", Duration::from_secs(5), 10)
        .await
        .expect("claim");
    let job = claimed.iter().find(|j| j.id == id).expect("claimed");
    Attempt::from(job)
}

async fn count_jobs(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM jobs")
        .fetch_one(pool)
        .await
        .expect("count")
}

/// Collects the JSON log lines written while it is the thread's default subscriber.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl LogBuffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

// (a) A job is part of the caller's transaction: a rollback discards it, a commit runs it once.
#[sqlx::test(migrations = "./migrations")]
async fn rolled_back_jobs_never_exist_and_committed_jobs_run_once(pool: PgPool) {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(true)
        .with_max_level(tracing::Level::INFO)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let cipher = cipher();
    let runs: Shared<Vec<(Uuid, Option<String>)>> = Arc::default();

    let mut tx = pool.begin().await.expect("begin");
    let discarded = jobs::enqueue(
        &mut tx,
        NewJob::new(&FAST, "order-1", json!({"n": 1})).secret(&cipher, "discarded-secret"),
    )
    .await
    .expect("enqueue")
    .expect("id");
    tx.rollback().await.expect("rollback");
    assert!(row(&pool, discarded).await.is_none());

    let committed = enqueue_committed(
        &pool,
        NewJob::new(&FAST, "order-2", json!({"n": 2}))
            .secret(&cipher, "root-pass-XYZ")
            .request_id("req-123"),
    )
    .await;
    let pending = row(&pool, committed).await.expect("exists");
    assert_eq!(pending.state, "PENDING");
    let sealed = pending.secret_payload_enc.expect("sealed secret stored");
    assert!(!sealed.contains("root-pass-XYZ"));

    let seen = runs.clone();
    let handler_cipher = cipher.clone();
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5))).queue(
        FAST,
        handler_fn(move |job: ClaimedJob| {
            let secret = job.secret(&handler_cipher).expect("secret opens");
            seen.lock().expect("runs").push((job.id, secret));
            async { JobOutcome::Done }
        }),
    );
    let running = Running::start(worker);

    let done = wait_for_state(&pool, committed, "DONE", Duration::from_secs(5)).await;
    // A few more polls: nothing runs twice, the rolled-back job never shows up.
    sleep(Duration::from_millis(250)).await;
    running.shutdown().await;

    assert_eq!(done.attempts, 1);
    assert!(
        done.secret_payload_enc.is_none(),
        "secret cleared when DONE"
    );
    assert!(done.done_at.is_some());
    assert!(done.lease_owner.is_none() && done.lease_expires_at.is_none());
    assert_eq!(done.request_id.as_deref(), Some("req-123"));
    let runs = runs.lock().expect("runs").clone();
    assert_eq!(runs, vec![(committed, Some("root-pass-XYZ".to_owned()))]);
    assert!(row(&pool, discarded).await.is_none());
    assert_eq!(count_jobs(&pool).await, 1);

    let logs = logs.text();
    assert!(
        logs.contains("\"requestId\":\"req-123\""),
        "attempt logs carry the request id: {logs}"
    );
    assert!(
        logs.contains(&committed.to_string()),
        "attempt logs carry the job id"
    );
    assert!(logs.contains("\"outcome\":\"DONE\""));
    assert!(
        !logs.contains("root-pass-XYZ"),
        "the secret is never logged"
    );
    assert!(!logs.contains(&sealed), "not even sealed");
}

// (b) A worker killed mid-job: its job is claimed again once the lease expires, and the lost
// attempt counts.
#[sqlx::test(migrations = "./migrations")]
async fn a_killed_workers_job_is_claimed_again_after_its_lease(pool: PgPool) {
    let id = enqueue_committed(&pool, NewJob::new(&FAST, "order-1", json!({}))).await;

    let started = Arc::new(Notify::new());
    let signal = started.clone();
    let first = Worker::new(
        pool.clone(),
        config(Duration::from_secs(1)).with_lease_owner("first"),
    )
    .queue(
        FAST,
        handler_fn(move |_job| {
            let signal = signal.clone();
            async move {
                signal.notify_one();
                std::future::pending::<JobOutcome>().await
            }
        }),
    );
    let (_stop_first, rx) = watch::channel(false);
    let first = first.spawn(rx);
    timeout(Duration::from_secs(5), started.notified())
        .await
        .expect("first worker starts the job");

    // The crash: the runner and its in-flight attempt vanish without writing anything.
    first.abort();
    assert!(first.await.expect_err("aborted").is_cancelled());
    let held = row(&pool, id).await.expect("exists");
    assert_eq!(held.state, "RUNNING");
    assert_eq!(held.lease_owner.as_deref(), Some("first"));
    assert_eq!(held.attempts, 1);
    let lease_expires_at = held.lease_expires_at.expect("lease");

    let seen: Shared<Vec<(i32, bool, OffsetDateTime)>> = Arc::default();
    let record = seen.clone();
    let second = Worker::new(
        pool.clone(),
        config(Duration::from_secs(5)).with_lease_owner("second"),
    )
    .queue(
        FAST,
        handler_fn(move |job: ClaimedJob| {
            record.lock().expect("seen").push((
                job.attempt,
                job.previous_attempt_lost,
                OffsetDateTime::now_utc(),
            ));
            async { JobOutcome::Done }
        }),
    );
    let second = Running::start(second);
    let done = wait_for_state(&pool, id, "DONE", Duration::from_secs(5)).await;
    second.shutdown().await;

    assert_eq!(done.attempts, 2, "the lost attempt is counted");
    assert!(done.lease_owner.is_none());
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 1, "ran once on the second worker");
    let (attempt, lost, ran_at) = seen[0];
    assert_eq!(attempt, 2);
    assert!(
        lost,
        "the handler learns that the previous attempt was lost"
    );
    assert!(
        ran_at >= lease_expires_at - Duration::from_millis(50),
        "not reclaimed before the lease expired ({ran_at} < {lease_expires_at})"
    );
}

// (c) Retryable failures back off exponentially, and never sooner than Retry-After.
#[sqlx::test(migrations = "./migrations")]
async fn retries_back_off_and_respect_not_before(pool: PgPool) {
    let plain = enqueue_committed(&pool, NewJob::new(&SLOW_BACKOFF, "a", json!({}))).await;
    let throttled = enqueue_committed(
        &pool,
        NewJob::new(&SLOW_BACKOFF, "b", json!({"retryAfter": 120})),
    )
    .await;

    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5))).queue(
        SLOW_BACKOFF,
        handler_fn(|job: ClaimedJob| async move {
            match job.payload["retryAfter"].as_u64() {
                Some(secs) => JobOutcome::Retry {
                    error: "rate limited".into(),
                    http_status: Some(429),
                    not_before: Some(Duration::from_secs(secs)),
                },
                None => JobOutcome::retry("receiver unavailable").with_status(503),
            }
        }),
    );
    let running = Running::start(worker);
    let deadline = Instant::now() + Duration::from_secs(5);
    let (plain_row, throttled_row) = loop {
        let (a, b) = (
            row(&pool, plain).await.expect("a"),
            row(&pool, throttled).await.expect("b"),
        );
        if a.state == "PENDING" && a.attempts == 1 && b.state == "PENDING" && b.attempts == 1 {
            break (a, b);
        }
        assert!(Instant::now() < deadline, "no retry recorded: {a:?} {b:?}");
        sleep(Duration::from_millis(20)).await;
    };
    running.shutdown().await;

    // First retry: base 10 s ± 20 %.
    assert!(
        (7.5..=12.0).contains(&plain_row.due_in),
        "due in {}",
        plain_row.due_in
    );
    assert_eq!(
        plain_row.last_error.as_deref(),
        Some("receiver unavailable")
    );
    assert_eq!(plain_row.last_http_status, Some(503));
    assert!(plain_row.lease_owner.is_none());
    assert!(plain_row.dead_reason.is_none());
    // Retry-After beyond the backoff wins.
    assert!(
        (119.0..=120.0).contains(&throttled_row.due_in),
        "due in {}",
        throttled_row.due_in
    );
    assert_eq!(throttled_row.last_http_status, Some(429));

    // The second failure doubles the delay (attempt 2 → base × 2).
    let lease = claim_after_making_due(&pool, &SLOW_BACKOFF, plain).await;
    let recorded = store::record(
        &pool,
        "owner",
        &lease,
        &SLOW_BACKOFF,
        &JobOutcome::retry("still unavailable"),
    )
    .await
    .expect("record");
    match recorded {
        Recorded::Retrying { delay } => {
            assert!(
                delay >= Duration::from_secs(16) && delay <= Duration::from_secs(24),
                "{delay:?}"
            )
        }
        other => panic!("expected a retry, got {other:?}"),
    }
    let again = row(&pool, plain).await.expect("a");
    assert_eq!(again.attempts, 2);
    assert!(
        (15.5..=24.0).contains(&again.due_in),
        "due in {}",
        again.due_in
    );
}

// (d) Attempts run out → DEAD with MAX_ATTEMPTS; a final failure → DEAD with its reason.
#[sqlx::test(migrations = "./migrations")]
async fn exhausted_and_final_failures_end_dead(pool: PgPool) {
    let limited = FAST.with_max_attempts(Some(3));
    let cipher = cipher();
    let exhausted =
        enqueue_committed(&pool, NewJob::new(&limited, "a", json!({"kind": "retry"}))).await;
    let once = enqueue_committed(
        &pool,
        NewJob::new(&limited, "b", json!({"kind": "retry"})).max_attempts(Some(1)),
    )
    .await;
    let unlimited = enqueue_committed(
        &pool,
        NewJob::new(&limited, "c", json!({"kind": "retryTwice"})).max_attempts(None),
    )
    .await;
    let blocked = enqueue_committed(
        &pool,
        NewJob::new(&limited, "d", json!({"kind": "dead"})).secret(&cipher, "keep-me"),
    )
    .await;

    let calls: Shared<HashMap<Uuid, i32>> = Arc::default();
    let counter = calls.clone();
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5))).queue(
        limited,
        handler_fn(move |job: ClaimedJob| {
            *counter.lock().expect("calls").entry(job.id).or_default() += 1;
            let outcome = match job.payload["kind"].as_str() {
                Some("dead") => JobOutcome::Dead {
                    reason: "TELEGRAM_BLOCKED".into(),
                    error: "bot was blocked by the user".into(),
                    http_status: Some(403),
                },
                Some("retryTwice") if job.attempt < 3 => JobOutcome::retry("flaky"),
                Some("retryTwice") => JobOutcome::Done,
                _ => JobOutcome::retry("always failing").with_status(502),
            };
            async move { outcome }
        }),
    );
    let running = Running::start(worker);
    let exhausted_row = wait_for_state(&pool, exhausted, "DEAD", Duration::from_secs(5)).await;
    let once_row = wait_for_state(&pool, once, "DEAD", Duration::from_secs(5)).await;
    let unlimited_row = wait_for_state(&pool, unlimited, "DONE", Duration::from_secs(5)).await;
    let blocked_row = wait_for_state(&pool, blocked, "DEAD", Duration::from_secs(5)).await;
    sleep(Duration::from_millis(150)).await;
    running.shutdown().await;

    assert_eq!(exhausted_row.attempts, 3);
    assert_eq!(exhausted_row.max_attempts, Some(3));
    assert_eq!(exhausted_row.dead_reason.as_deref(), Some("MAX_ATTEMPTS"));
    assert_eq!(exhausted_row.last_error.as_deref(), Some("always failing"));
    assert_eq!(exhausted_row.last_http_status, Some(502));
    assert_eq!(
        once_row.attempts, 1,
        "a per-job limit overrides the queue's"
    );
    assert_eq!(once_row.dead_reason.as_deref(), Some("MAX_ATTEMPTS"));
    assert_eq!(unlimited_row.attempts, 3);
    assert_eq!(unlimited_row.max_attempts, None);
    assert_eq!(blocked_row.attempts, 1);
    assert_eq!(blocked_row.dead_reason.as_deref(), Some("TELEGRAM_BLOCKED"));
    assert_eq!(blocked_row.last_http_status, Some(403));
    assert!(
        blocked_row.secret_payload_enc.is_some(),
        "DEAD jobs keep their secret for a retry"
    );

    let calls = calls.lock().expect("calls").clone();
    assert_eq!(calls[&exhausted], 3, "no attempt after the limit");
    assert_eq!(calls[&once], 1);
    assert_eq!(calls[&unlimited], 3);
    assert_eq!(calls[&blocked], 1);
}

// A panicking handler is a retryable failure and does not take the runner down.
#[sqlx::test(migrations = "./migrations")]
async fn a_panicking_handler_is_retried(pool: PgPool) {
    let id = enqueue_committed(&pool, NewJob::new(&FAST, "a", json!({}))).await;
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5))).queue(
        FAST,
        handler_fn(|job: ClaimedJob| async move {
            if job.attempt == 1 {
                panic!("handler bug on attempt {}", job.attempt);
            }
            JobOutcome::Done
        }),
    );
    let running = Running::start(worker);
    let done = wait_for_state(&pool, id, "DONE", Duration::from_secs(5)).await;
    assert_eq!(done.attempts, 2);
    // The runner still works after the panic.
    let next = enqueue_committed(&pool, NewJob::new(&FAST, "b", json!({}))).await;
    wait_for_state(&pool, next, "DONE", Duration::from_secs(5)).await;
    running.shutdown().await;
}

// (e) A dedupe key makes the second enqueue a silent no-op inside a transaction that commits.
#[sqlx::test(migrations = "./migrations")]
async fn a_duplicate_dedupe_key_is_skipped_without_aborting_the_transaction(pool: PgPool) {
    sqlx::query("CREATE TABLE facts (id int PRIMARY KEY)")
        .execute(&pool)
        .await
        .expect("table");
    let first = enqueue_committed(
        &pool,
        NewJob::new(&FAST, "inv-1", json!({})).dedupe_key("ORDER_PAID:inv-1"),
    )
    .await;

    let mut tx = pool.begin().await.expect("begin");
    let again = jobs::enqueue(
        &mut tx,
        NewJob::new(&FAST, "inv-1", json!({"other": true})).dedupe_key("ORDER_PAID:inv-1"),
    )
    .await
    .expect("a duplicate is no error");
    assert_eq!(again, None);
    // The transaction is still usable and commits its other work.
    sqlx::query("INSERT INTO facts (id) VALUES (1)")
        .execute(&mut *tx)
        .await
        .expect("still usable");
    let other = jobs::enqueue(
        &mut tx,
        NewJob::new(&FAST, "inv-2", json!({})).dedupe_key("ORDER_PAID:inv-2"),
    )
    .await
    .expect("enqueue")
    .expect("a different key is a new job");
    tx.commit().await.expect("commit");

    let facts: i64 = sqlx::query_scalar("SELECT count(*) FROM facts")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(facts, 1);
    assert_eq!(count_jobs(&pool).await, 2);
    assert!(row(&pool, first).await.is_some());
    assert!(row(&pool, other).await.is_some());
    let payload: serde_json::Value = sqlx::query_scalar("SELECT payload FROM jobs WHERE id = $1")
        .bind(first)
        .fetch_one(&pool)
        .await
        .expect("payload");
    assert_eq!(payload, json!({}), "the first job is untouched");
}

// (f) Two runners competing for the same jobs never run one twice, concurrently or at all.
#[sqlx::test(migrations = "./migrations")]
async fn competing_runners_never_run_a_job_twice(pool: PgPool) {
    let queue = FAST.with_concurrency(2);
    let mut ids = HashSet::new();
    for n in 0..24 {
        ids.insert(
            enqueue_committed(&pool, NewJob::new(&queue, format!("s-{n}"), json!({}))).await,
        );
    }

    let running_now: Shared<HashSet<Uuid>> = Arc::default();
    let runs: Shared<HashMap<Uuid, Vec<String>>> = Arc::default();
    let overlaps: Shared<Vec<Uuid>> = Arc::default();
    let make_worker = |name: &'static str| {
        let (running_now, runs, overlaps) = (running_now.clone(), runs.clone(), overlaps.clone());
        Worker::new(
            pool.clone(),
            config(Duration::from_secs(5)).with_lease_owner(name),
        )
        .queue(
            queue,
            handler_fn(move |job: ClaimedJob| {
                let (running_now, runs, overlaps) =
                    (running_now.clone(), runs.clone(), overlaps.clone());
                async move {
                    if !running_now.lock().expect("set").insert(job.id) {
                        overlaps.lock().expect("overlaps").push(job.id);
                    }
                    runs.lock()
                        .expect("runs")
                        .entry(job.id)
                        .or_default()
                        .push(name.to_owned());
                    sleep(Duration::from_millis(15)).await;
                    running_now.lock().expect("set").remove(&job.id);
                    JobOutcome::Done
                }
            }),
        )
    };
    let a = Running::start(make_worker("runner-a"));
    let b = Running::start(make_worker("runner-b"));

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let done: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = 'DONE'")
            .fetch_one(&pool)
            .await
            .expect("count");
        if done == 24 {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of 24 jobs done");
        sleep(Duration::from_millis(20)).await;
    }
    sleep(Duration::from_millis(150)).await;
    a.shutdown().await;
    b.shutdown().await;

    assert!(overlaps.lock().expect("overlaps").is_empty());
    let runs = runs.lock().expect("runs").clone();
    assert_eq!(runs.keys().copied().collect::<HashSet<_>>(), ids);
    for (id, by) in &runs {
        assert_eq!(by.len(), 1, "job {id} ran {by:?}");
    }
    let attempts: Vec<i32> = sqlx::query_scalar("SELECT attempts FROM jobs")
        .fetch_all(&pool)
        .await
        .expect("attempts");
    assert!(attempts.iter().all(|a| *a == 1));
}

// The per-instance concurrency limit holds.
#[sqlx::test(migrations = "./migrations")]
async fn a_queue_runs_at_most_its_concurrency_at_once(pool: PgPool) {
    let queue = FAST.with_concurrency(2);
    for n in 0..6 {
        enqueue_committed(&pool, NewJob::new(&queue, format!("s-{n}"), json!({}))).await;
    }
    let current = Arc::new(Mutex::new(0usize));
    let peak = Arc::new(Mutex::new(0usize));
    let (c, p) = (current.clone(), peak.clone());
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5))).queue(
        queue,
        handler_fn(move |_job| {
            let (c, p) = (c.clone(), p.clone());
            async move {
                {
                    let mut now = c.lock().expect("current");
                    *now += 1;
                    let mut top = p.lock().expect("peak");
                    *top = (*top).max(*now);
                }
                sleep(Duration::from_millis(60)).await;
                *c.lock().expect("current") -= 1;
                JobOutcome::Done
            }
        }),
    );
    let running = Running::start(worker);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let done: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE state = 'DONE'")
            .fetch_one(&pool)
            .await
            .expect("count");
        if done == 6 {
            break;
        }
        assert!(Instant::now() < deadline, "only {done} of 6 jobs done");
        sleep(Duration::from_millis(20)).await;
    }
    running.shutdown().await;
    assert_eq!(*peak.lock().expect("peak"), 2);
}

// (g) Shutdown lets in-flight attempts finish within the grace, then releases what is left
// without counting the interrupted attempt.
#[sqlx::test(migrations = "./migrations")]
async fn graceful_shutdown_finishes_or_releases_in_flight_jobs(pool: PgPool) {
    let stuck = enqueue_committed(&pool, NewJob::new(&FAST, "stuck", json!({"stuck": true}))).await;
    let quick =
        enqueue_committed(&pool, NewJob::new(&FAST, "quick", json!({"stuck": false}))).await;
    let started = Arc::new(Mutex::new(0usize));
    let counter = started.clone();
    let worker = Worker::new(
        pool.clone(),
        config(Duration::from_secs(30))
            .with_lease_owner("leaving")
            .with_shutdown_grace(Duration::from_millis(400)),
    )
    .queue(
        FAST,
        handler_fn(move |job: ClaimedJob| {
            *counter.lock().expect("started") += 1;
            async move {
                if job.payload["stuck"] == json!(true) {
                    std::future::pending::<()>().await;
                }
                // Finishes during the grace period.
                sleep(Duration::from_millis(150)).await;
                JobOutcome::Done
            }
        }),
    );
    let running = Running::start(worker);
    let deadline = Instant::now() + Duration::from_secs(5);
    while *started.lock().expect("started") < 2 {
        assert!(Instant::now() < deadline, "both jobs start");
        sleep(Duration::from_millis(10)).await;
    }
    let stopping = Instant::now();
    running.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(2),
        "the grace period bounds the shutdown"
    );

    // No claims after the signal: a job enqueued now stays PENDING.
    let later =
        enqueue_committed(&pool, NewJob::new(&FAST, "later", json!({"stuck": false}))).await;

    let quick_row = row(&pool, quick).await.expect("quick");
    assert_eq!(
        quick_row.state, "DONE",
        "an attempt that ends within the grace is recorded"
    );
    let stuck_row = row(&pool, stuck).await.expect("stuck");
    assert_eq!(
        stuck_row.state, "PENDING",
        "the interrupted job is released"
    );
    assert_eq!(
        stuck_row.attempts, 0,
        "the interrupted attempt is not counted"
    );
    assert!(stuck_row.lease_owner.is_none() && stuck_row.lease_expires_at.is_none());
    assert!(stuck_row.due_in <= 0.0, "released jobs are due at once");
    sleep(Duration::from_millis(150)).await;
    assert_eq!(row(&pool, later).await.expect("later").state, "PENDING");
}

// A JobWaker starts a worker right after the commit instead of at its next poll.
#[sqlx::test(migrations = "./migrations")]
async fn a_waker_starts_work_without_waiting_for_the_poll(pool: PgPool) {
    let waker = JobWaker::new();
    let worker = Worker::new(
        pool.clone(),
        WorkerConfig::new(Duration::from_secs(60), Duration::from_secs(5)),
    )
    .with_waker(waker.clone())
    .queue(FAST, handler_fn(|_job| async { JobOutcome::Done }));
    let running = Running::start(worker);
    // Let the startup claim pass so that only the waker can bring the runner back.
    sleep(Duration::from_millis(200)).await;

    let id = enqueue_committed(&pool, NewJob::new(&FAST, "a", json!({}))).await;
    sleep(Duration::from_millis(200)).await;
    assert_eq!(
        row(&pool, id).await.expect("job").state,
        "PENDING",
        "no poll for a minute"
    );
    waker.wake();
    wait_for_state(&pool, id, "DONE", Duration::from_secs(2)).await;
    running.shutdown().await;
}

// A future run_at schedules work; the job is not claimed before it.
#[sqlx::test(migrations = "./migrations")]
async fn scheduled_jobs_wait_for_their_run_at(pool: PgPool) {
    let later = enqueue_committed(
        &pool,
        NewJob::new(&FAST, "a", json!({})).delay(Duration::from_millis(1500)),
    )
    .await;
    let far = enqueue_committed(
        &pool,
        NewJob::new(&FAST, "b", json!({}))
            .run_at(OffsetDateTime::now_utc() + Duration::from_secs(3600)),
    )
    .await;
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5)))
        .queue(FAST, handler_fn(|_job| async { JobOutcome::Done }));
    let running = Running::start(worker);
    sleep(Duration::from_millis(300)).await;
    assert_eq!(row(&pool, later).await.expect("later").state, "PENDING");
    wait_for_state(&pool, later, "DONE", Duration::from_secs(5)).await;
    assert_eq!(row(&pool, far).await.expect("far").state, "PENDING");
    running.shutdown().await;
}

// An attempt that outlives its lease is abandoned and retried rather than left running while
// another instance could start the job again.
#[sqlx::test(migrations = "./migrations")]
async fn an_attempt_is_abandoned_before_its_lease_expires(pool: PgPool) {
    let id = enqueue_committed(&pool, NewJob::new(&SLOW_BACKOFF, "a", json!({}))).await;
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(1))).queue(
        SLOW_BACKOFF,
        handler_fn(|_job| std::future::pending::<JobOutcome>()),
    );
    let running = Running::start(worker);
    let deadline = Instant::now() + Duration::from_secs(4);
    let retried = loop {
        let r = row(&pool, id).await.expect("job");
        if r.state == "PENDING" && r.attempts == 1 {
            break r;
        }
        assert!(Instant::now() < deadline, "attempt not abandoned: {r:?}");
        sleep(Duration::from_millis(20)).await;
    };
    running.shutdown().await;
    assert!(
        retried
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("abandoned")),
        "{retried:?}"
    );
    assert!(retried.due_in > 5.0, "scheduled with the queue's backoff");
}

// The outcome of an attempt whose lease was taken over is discarded (fencing by owner and
// attempt), and a lease that expires on the last allowed attempt ends the job.
#[sqlx::test(migrations = "./migrations")]
async fn a_stale_worker_cannot_overwrite_the_next_attempt(pool: PgPool) {
    let id = enqueue_committed(&pool, NewJob::new(&FAST, "a", json!({}))).await;
    // Long enough that the second claim surely falls inside it on a loaded machine.
    let lease = Duration::from_millis(600);

    let first = store::claim(&pool, FAST.name, "stale", lease, 5)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].attempt, 1);
    assert!(!first[0].previous_attempt_lost);
    assert!(
        store::claim(&pool, FAST.name, "other", lease, 5)
            .await
            .expect("claim")
            .is_empty(),
        "leased"
    );

    sleep(lease + Duration::from_millis(250)).await;
    let second = store::claim(&pool, FAST.name, "fresh", Duration::from_secs(5), 5)
        .await
        .expect("claim");
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].attempt, 2, "the lost attempt is counted");
    assert!(second[0].previous_attempt_lost);

    let stale = store::record(
        &pool,
        "stale",
        &Attempt::from(&first[0]),
        &FAST,
        &JobOutcome::dead("X", "late"),
    )
    .await
    .expect("record");
    assert_eq!(stale, Recorded::LeaseLost);
    assert_eq!(row(&pool, id).await.expect("job").state, "RUNNING");
    // Same owner but an older attempt is fenced off as well.
    let mut old_attempt = Attempt::from(&second[0]);
    old_attempt.attempt = 1;
    assert_eq!(
        store::record(&pool, "fresh", &old_attempt, &FAST, &JobOutcome::Done)
            .await
            .expect("record"),
        Recorded::LeaseLost
    );
    let fresh = store::record(
        &pool,
        "fresh",
        &Attempt::from(&second[0]),
        &FAST,
        &JobOutcome::Done,
    )
    .await
    .expect("record");
    assert_eq!(fresh, Recorded::Done);
    assert_eq!(row(&pool, id).await.expect("job").state, "DONE");

    // Lease lost on the last allowed attempt: not claimed again, but DEAD with MAX_ATTEMPTS.
    let last = enqueue_committed(
        &pool,
        NewJob::new(&FAST, "b", json!({})).max_attempts(Some(1)),
    )
    .await;
    assert_eq!(
        store::claim(&pool, FAST.name, "stale", lease, 5)
            .await
            .expect("claim")
            .len(),
        1
    );
    sleep(lease + Duration::from_millis(250)).await;
    assert!(
        store::claim(&pool, FAST.name, "fresh", lease, 5)
            .await
            .expect("claim")
            .is_empty()
    );
    let killed = store::kill_exhausted(&pool, &[FAST.name])
        .await
        .expect("sweep");
    assert_eq!(killed.len(), 1);
    let dead = row(&pool, last).await.expect("job");
    assert_eq!(dead.state, "DEAD");
    assert_eq!(dead.dead_reason.as_deref(), Some("MAX_ATTEMPTS"));
    assert_eq!(dead.attempts, 1);
}

/// Puts a job straight into a state for the admin tests.
async fn job_in_state(
    pool: &PgPool,
    queue: &QueueSpec,
    subject: &str,
    state: &str,
    reason: Option<&str>,
) -> Uuid {
    let id = enqueue_committed(
        pool,
        NewJob::new(queue, subject, json!({"email": "secret@example.com"}))
            .request_id(format!("req-{subject}")),
    )
    .await;
    sqlx::query(
        "UPDATE jobs SET state = $2, dead_reason = $3, attempts = 4, \
                last_error = CASE WHEN $2 = 'DEAD' THEN 'boom' END, \
                last_http_status = CASE WHEN $2 = 'DEAD' THEN 500 END, \
                lease_owner = CASE WHEN $2 = 'RUNNING' THEN 'someone' END, \
                lease_expires_at = CASE WHEN $2 = 'RUNNING' THEN now() + interval '1 minute' END, \
                done_at = CASE WHEN $2 = 'DONE' THEN now() END \
         WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(reason)
    .execute(pool)
    .await
    .expect("set state");
    id
}

async fn age(pool: &PgPool, id: Uuid, column: &str, days: i64) {
    let sql = match column {
        "updated_at" => "UPDATE jobs SET updated_at = now() - $2 * interval '1 day' WHERE id = $1",
        _ => "UPDATE jobs SET done_at = now() - $2 * interval '1 day' WHERE id = $1",
    };
    sqlx::query(sql)
        .bind(id)
        .bind(days as f64)
        .execute(pool)
        .await
        .expect("age");
}

// (h) Startup reset of AUTH_REJECTED and the admin queue operations.
#[sqlx::test(migrations = "./migrations")]
async fn reset_auth_rejected_returns_those_jobs_to_pending(pool: PgPool) {
    let rejected = job_in_state(&pool, &FAST, "a", "DEAD", Some("AUTH_REJECTED")).await;
    let other = job_in_state(&pool, &FAST, "b", "DEAD", Some("MAX_ATTEMPTS")).await;
    assert_eq!(jobs::reset_auth_rejected(&pool).await.expect("reset"), 1);
    let r = row(&pool, rejected).await.expect("job");
    assert_eq!(
        (r.state.as_str(), r.attempts, r.dead_reason),
        ("PENDING", 0, None)
    );
    assert!(r.due_in <= 0.0);
    assert_eq!(row(&pool, other).await.expect("job").state, "DEAD");
    assert_eq!(jobs::reset_auth_rejected(&pool).await.expect("reset"), 0);
}

#[sqlx::test(migrations = "./migrations")]
async fn queue_stats_count_per_state(pool: PgPool) {
    let other_queue = QueueSpec::new("other");
    job_in_state(&pool, &FAST, "w1", "PENDING", None).await;
    job_in_state(&pool, &FAST, "w2", "PENDING", None).await;
    enqueue_committed(
        &pool,
        NewJob::new(&FAST, "d1", json!({})).delay(Duration::from_secs(600)),
    )
    .await;
    job_in_state(&pool, &FAST, "a1", "RUNNING", None).await;
    job_in_state(&pool, &FAST, "x1", "DEAD", Some("MAX_ATTEMPTS")).await;
    job_in_state(&pool, &FAST, "done", "DONE", None).await;
    job_in_state(&pool, &other_queue, "o1", "DEAD", Some("MAX_ATTEMPTS")).await;

    let stats = jobs::queue_stats(&pool, &["fast", "idle", "other"])
        .await
        .expect("stats");
    assert_eq!(
        serde_json::to_value(&stats).expect("json"),
        json!([
            {"name": "fast", "waiting": 2, "active": 1, "delayed": 1, "dead": 1},
            {"name": "idle", "waiting": 0, "active": 0, "delayed": 0, "dead": 0},
            {"name": "other", "waiting": 0, "active": 0, "delayed": 0, "dead": 1},
        ])
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn list_dead_pages_newest_first_without_payload(pool: PgPool) {
    let mut dead = Vec::new();
    for n in 0..5 {
        let reason = if n % 2 == 0 {
            "MAX_ATTEMPTS"
        } else {
            "TELEGRAM_BLOCKED"
        };
        let id = job_in_state(&pool, &FAST, &format!("s{n}"), "DEAD", Some(reason)).await;
        age(&pool, id, "updated_at", 10 - n).await;
        dead.push(id);
    }
    job_in_state(&pool, &FAST, "alive", "PENDING", None).await;
    job_in_state(
        &pool,
        &QueueSpec::new("other"),
        "elsewhere",
        "DEAD",
        Some("MAX_ATTEMPTS"),
    )
    .await;

    let (page1, total) = jobs::list_dead(&pool, "fast", 1, 2, None)
        .await
        .expect("list");
    assert_eq!(total, 5);
    assert_eq!(
        page1.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![dead[4], dead[3]]
    );
    let (page3, _) = jobs::list_dead(&pool, "fast", 3, 2, None)
        .await
        .expect("list");
    assert_eq!(
        page3.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![dead[0]]
    );
    let (blocked, total) = jobs::list_dead(&pool, "fast", 1, 10, Some("TELEGRAM_BLOCKED"))
        .await
        .expect("list");
    assert_eq!(total, 2);
    assert_eq!(
        blocked.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![dead[3], dead[1]]
    );
    let (beyond, total) = jobs::list_dead(&pool, "fast", 9, 10, None)
        .await
        .expect("list");
    assert!(beyond.is_empty());
    assert_eq!(total, 5);

    let item = serde_json::to_value(&page1[0]).expect("json");
    let keys: HashSet<&str> = item
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        HashSet::from([
            "id",
            "queue",
            "subjectId",
            "attempts",
            "deadReason",
            "lastError",
            "lastHttpStatus",
            "requestId",
            "createdAt",
            "updatedAt"
        ])
    );
    assert_eq!(item["subjectId"], "s4");
    assert_eq!(item["deadReason"], "MAX_ATTEMPTS");
    assert_eq!(item["lastError"], "boom");
    assert_eq!(item["lastHttpStatus"], 500);
    assert_eq!(item["requestId"], "req-s4");
    assert!(item["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(
        !item.to_string().contains("secret@example.com"),
        "never the payload"
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn retry_dead_requeues_listed_or_oldest_jobs(pool: PgPool) {
    let mut dead = Vec::new();
    for n in 0..4 {
        let id = job_in_state(&pool, &FAST, &format!("s{n}"), "DEAD", Some("MAX_ATTEMPTS")).await;
        age(&pool, id, "updated_at", 10 - n).await;
        dead.push(id);
    }
    let pending = job_in_state(&pool, &FAST, "alive", "PENDING", None).await;
    let elsewhere = job_in_state(
        &pool,
        &QueueSpec::new("other"),
        "x",
        "DEAD",
        Some("MAX_ATTEMPTS"),
    )
    .await;

    // Listed ids, in the caller's transaction; ids that are not DEAD here are ignored.
    let mut tx = pool.begin().await.expect("begin");
    let requeued = jobs::retry_dead(
        &mut *tx,
        "fast",
        Some(&[dead[2], pending, elsewhere, Uuid::new_v4()]),
        100,
    )
    .await
    .expect("retry");
    tx.commit().await.expect("commit");
    assert_eq!(
        requeued,
        vec![jobs::JobRef {
            id: dead[2],
            subject_id: "s2".into()
        }]
    );
    let r = row(&pool, dead[2]).await.expect("job");
    assert_eq!(
        (r.state.as_str(), r.attempts, r.dead_reason),
        ("PENDING", 0, None)
    );
    assert!(r.due_in <= 0.0);
    assert_eq!(row(&pool, elsewhere).await.expect("job").state, "DEAD");

    // Without ids: the longest dead, up to the limit.
    let mut conn = pool.acquire().await.expect("conn");
    let requeued = jobs::retry_dead(&mut *conn, "fast", None, 2)
        .await
        .expect("retry");
    let ids: HashSet<Uuid> = requeued.iter().map(|j| j.id).collect();
    assert_eq!(ids, HashSet::from([dead[0], dead[1]]));
    assert_eq!(row(&pool, dead[3]).await.expect("job").state, "DEAD");
    assert!(
        jobs::retry_dead(&pool, "fast", Some(&[]), 100)
            .await
            .expect("retry")
            .is_empty()
    );
}

#[sqlx::test(migrations = "./migrations")]
async fn purge_dead_deletes_dead_jobs_optionally_by_age(pool: PgPool) {
    let old = job_in_state(&pool, &FAST, "old", "DEAD", Some("MAX_ATTEMPTS")).await;
    age(&pool, old, "updated_at", 10).await;
    let recent = job_in_state(&pool, &FAST, "recent", "DEAD", Some("MAX_ATTEMPTS")).await;
    let pending = job_in_state(&pool, &FAST, "alive", "PENDING", None).await;
    let elsewhere = job_in_state(
        &pool,
        &QueueSpec::new("other"),
        "x",
        "DEAD",
        Some("MAX_ATTEMPTS"),
    )
    .await;

    let mut tx = pool.begin().await.expect("begin");
    let purged = jobs::purge_dead(&mut *tx, "fast", Some(7))
        .await
        .expect("purge");
    tx.commit().await.expect("commit");
    assert_eq!(
        purged,
        vec![jobs::JobRef {
            id: old,
            subject_id: "old".into()
        }]
    );
    assert!(row(&pool, old).await.is_none());
    assert!(row(&pool, recent).await.is_some());

    // Any age past the oldest representable instant keeps everything (found by scripts/fuzz.sh:
    // `olderThanDays=2147483648` used to fail the query with "interval out of range").
    for days in [i64::from(u32::MAX), i64::MAX] {
        let purged = jobs::purge_dead(&pool, "fast", Some(days))
            .await
            .expect("a huge age is not an error");
        assert!(purged.is_empty(), "{days}");
    }

    let purged = jobs::purge_dead(&pool, "fast", None).await.expect("purge");
    assert_eq!(
        purged.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![recent]
    );
    assert!(row(&pool, pending).await.is_some());
    assert!(row(&pool, elsewhere).await.is_some());
}

#[sqlx::test(migrations = "./migrations")]
async fn purge_done_deletes_only_old_done_jobs(pool: PgPool) {
    let old = job_in_state(&pool, &FAST, "old", "DONE", None).await;
    age(&pool, old, "done_at", 31).await;
    let recent = job_in_state(&pool, &FAST, "recent", "DONE", None).await;
    age(&pool, recent, "done_at", 29).await;
    let dead = job_in_state(&pool, &FAST, "dead", "DEAD", Some("MAX_ATTEMPTS")).await;
    age(&pool, dead, "updated_at", 90).await;

    assert_eq!(
        jobs::purge_done(&pool, jobs::DONE_RETENTION)
            .await
            .expect("purge"),
        1
    );
    assert!(row(&pool, old).await.is_none());
    assert!(row(&pool, recent).await.is_some());
    assert!(row(&pool, dead).await.is_some());

    // The runner purges by itself at startup.
    age(&pool, recent, "done_at", 40).await;
    let worker = Worker::new(pool.clone(), config(Duration::from_secs(5)))
        .queue(FAST, handler_fn(|_job| async { JobOutcome::Done }));
    let running = Running::start(worker);
    let deadline = Instant::now() + Duration::from_secs(3);
    while row(&pool, recent).await.is_some() {
        assert!(Instant::now() < deadline, "the runner did not purge");
        sleep(Duration::from_millis(20)).await;
    }
    running.shutdown().await;
}

#[sqlx::test(migrations = "./migrations")]
async fn subject_ordered_queues_hold_back_younger_jobs_of_a_subject(pool: PgPool) {
    let older = enqueue_committed(&pool, NewJob::new(&FAST, "order-1", json!({"n": 1}))).await;
    let younger = enqueue_committed(&pool, NewJob::new(&FAST, "order-1", json!({"n": 2}))).await;
    let other = enqueue_committed(&pool, NewJob::new(&FAST, "order-2", json!({"n": 3}))).await;
    let lease = Duration::from_secs(5);

    let first = store::claim_ordered(&pool, FAST.name, "w", lease, 10, true)
        .await
        .expect("claim");
    let ids: Vec<Uuid> = first.iter().map(|j| j.id).collect();
    assert!(ids.contains(&older) && ids.contains(&other), "{ids:?}");
    assert!(
        !ids.contains(&younger),
        "held back while the older job is unfinished"
    );

    // Still RUNNING: the younger one stays back.
    let again = store::claim_ordered(&pool, FAST.name, "w", lease, 10, true)
        .await
        .expect("claim");
    assert!(again.is_empty());

    sqlx::query("UPDATE jobs SET state = 'DONE', done_at = now(), lease_owner = NULL, lease_expires_at = NULL WHERE id = $1")
        .bind(older)
        .execute(&pool)
        .await
        .expect("finish older");
    let next = store::claim_ordered(&pool, FAST.name, "w", lease, 10, true)
        .await
        .expect("claim");
    assert_eq!(next.iter().map(|j| j.id).collect::<Vec<_>>(), vec![younger]);
}

#[sqlx::test(migrations = "./migrations")]
async fn unordered_queues_claim_every_due_job(pool: PgPool) {
    enqueue_committed(&pool, NewJob::new(&FAST, "order-1", json!({"n": 1}))).await;
    enqueue_committed(&pool, NewJob::new(&FAST, "order-1", json!({"n": 2}))).await;
    let claimed = store::claim(&pool, FAST.name, "w", Duration::from_secs(5), 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
}
