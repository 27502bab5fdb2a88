//! The daily clean-up (notification.md §8, §6.2): logs past `NOTIFICATION_LOG_RETENTION_DAYS`
//! and dead letters past `DEAD_LETTER_RETENTION_DAYS`; and, hourly, the logs of jobs that died
//! with a crashed worker.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::watch;

use crate::config::QueueSettings;
use crate::queues::QUEUE_NAMES;
use crate::store::logs;

pub const INTERVAL: Duration = Duration::from_secs(24 * 60 * 60);
pub const RECONCILE_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// One pass; returns the deleted logs and dead jobs.
pub async fn once(pool: &PgPool, q: &QueueSettings) -> Result<(u64, u64), sqlx::Error> {
    let old_logs = logs::delete_older_than(pool, q.log_retention_days).await?;
    let mut dead = 0;
    for queue in QUEUE_NAMES {
        let purged =
            platform::jobs::purge_dead(pool, queue, Some(q.dead_letter_retention_days)).await?;
        dead += purged.len() as u64;
    }
    Ok((old_logs, dead))
}

/// Runs [`once`] at start and then daily, and [`logs::fail_orphaned`] hourly, until `shutdown`.
pub async fn run(pool: PgPool, q: QueueSettings, mut shutdown: watch::Receiver<bool>) {
    let mut next_purge = tokio::time::Instant::now();
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        match logs::fail_orphaned(&pool).await {
            Ok(0) => {}
            Ok(failed) => tracing::warn!(
                failed,
                "logs of jobs that died with their worker marked FAILED"
            ),
            Err(e) => tracing::warn!(error = %e, "could not reconcile logs with dead jobs"),
        }
        if tokio::time::Instant::now() >= next_purge {
            next_purge += INTERVAL;
            match once(&pool, &q).await {
                Ok((0, 0)) => {}
                Ok((logs, dead)) => {
                    tracing::info!(logs, deadJobs = dead, "old notifications purged")
                }
                Err(e) => {
                    tracing::warn!(error = %e, "notification clean-up failed; next run tomorrow")
                }
            }
        }
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep(RECONCILE_INTERVAL) => {}
        }
    }
}
