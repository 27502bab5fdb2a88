//! Job queue metrics: what this process's runner did (counters), and what waits in the table
//! (gauges read at scrape time by [`QueueDepth`]).

use std::time::Duration;

use futures::future::BoxFuture;
use sqlx::PgPool;

use crate::metrics::{Collector, CounterVec, Exposition, Kind};

pub static JOB_ATTEMPTS: CounterVec = CounterVec::new(
    "job_attempts_total",
    "Job attempts this process ran to an end, by queue and recorded outcome (done, retry, dead, \
     lease_lost, error = the outcome could not be written).",
    &["queue", "outcome"],
);

pub static JOBS_DEAD: CounterVec = CounterVec::new(
    "jobs_dead_total",
    "Jobs this process moved to DEAD, by queue and dead_reason.",
    &["queue", "reason"],
);

/// Outcomes shown at 0 from the runner's start, so that the first failure is a visible
/// increase rather than a new series.
pub(crate) fn init_queue(queue: &str) {
    for outcome in ["done", "retry", "dead"] {
        JOB_ATTEMPTS.inc_by(&[queue, outcome], 0);
    }
}

const DEPTH: &str = "job_queue_depth";
const OLDEST: &str = "job_queue_oldest_pending_seconds";
const UP: &str = "job_queue_metrics_up";

/// A scrape must answer well within Prometheus' default 10 s timeout even when the database
/// hangs; the same bound as the readiness probe.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Reads the service's queues from `jobs` at each scrape: one grouped query over the
/// unfinished rows (served by the `(queue, state, run_at)` index; `DONE` rows are not read).
#[derive(Debug, Clone)]
pub struct QueueDepth {
    pool: PgPool,
    queues: &'static [&'static str],
}

impl QueueDepth {
    /// `queues` are the service's queue names; each gets a line even when idle.
    pub fn new(pool: PgPool, queues: &'static [&'static str]) -> Self {
        Self { pool, queues }
    }

    async fn read(&self) -> Result<Vec<DepthRow>, sqlx::Error> {
        sqlx::query_as::<_, DepthRow>(
            "SELECT queue, \
                    count(*) FILTER (WHERE state = 'PENDING' AND run_at <= now()) AS pending, \
                    count(*) FILTER (WHERE state = 'PENDING' AND run_at > now()) AS delayed, \
                    count(*) FILTER (WHERE state = 'RUNNING') AS running, \
                    count(*) FILTER (WHERE state = 'DEAD') AS dead, \
                    COALESCE(EXTRACT(EPOCH FROM now() - min(run_at) \
                        FILTER (WHERE state = 'PENDING' AND run_at <= now())), 0)::float8 \
                        AS oldest_pending_seconds \
             FROM jobs \
             WHERE queue = ANY($1) AND state IN ('PENDING', 'RUNNING', 'DEAD') \
             GROUP BY queue",
        )
        .bind(self.queues)
        .fetch_all(&self.pool)
        .await
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
struct DepthRow {
    queue: String,
    pending: i64,
    delayed: i64,
    running: i64,
    dead: i64,
    oldest_pending_seconds: f64,
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl Collector for QueueDepth {
    fn collect<'a>(&'a self, out: &'a mut Exposition) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let rows = match tokio::time::timeout(QUERY_TIMEOUT, self.read()).await {
                Ok(Ok(rows)) => Some(rows),
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "could not read job queue depths for /metrics");
                    None
                }
                Err(_) => {
                    tracing::warn!("reading job queue depths for /metrics timed out");
                    None
                }
            };
            out.family(
                UP,
                "1 when this scrape could read the job queue gauges from the database, else 0 \
                 (and the gauges are missing).",
                Kind::Gauge,
            );
            out.sample(UP, &[], u64::from(rows.is_some()));
            let Some(rows) = rows else {
                return;
            };
            let row = |queue: &str| rows.iter().find(|r| r.queue == queue);
            out.family(
                DEPTH,
                "Unfinished jobs per queue and state: pending (due, waiting for a worker), \
                 delayed (PENDING with a future run_at: backoff or scheduled), running (leased), \
                 dead (dead letters awaiting an admin).",
                Kind::Gauge,
            );
            for queue in self.queues {
                let r = row(queue);
                for (state, n) in [
                    ("pending", r.map_or(0, |r| r.pending)),
                    ("delayed", r.map_or(0, |r| r.delayed)),
                    ("running", r.map_or(0, |r| r.running)),
                    ("dead", r.map_or(0, |r| r.dead)),
                ] {
                    out.sample(DEPTH, &[("queue", queue), ("state", state)], count(n));
                }
            }
            out.family(
                OLDEST,
                "Seconds since the oldest due PENDING job of the queue became due (0 when none): \
                 how far the workers lag behind.",
                Kind::Gauge,
            );
            for queue in self.queues {
                let age = row(queue).map_or(0.0, |r| r.oldest_pending_seconds.max(0.0));
                out.sample(OLDEST, &[("queue", queue)], age);
            }
        })
    }
}
