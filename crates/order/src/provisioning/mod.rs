//! The provisioning worker (order.md §7): turns `PAID` orders into droplets.
//!
//! Every step is a short transaction on `provisioning_tasks`; nothing needed to continue lives
//! only in memory (§7.7). A task is claimed with a lease (`lease_owner`, `lease_expires_at`)
//! before each step and released by the step's final write, which is conditional on still
//! holding it, so several replicas (or a restarted process) can run side by side.

mod step;
mod store;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use digitalocean::DigitalOceanClient;
use platform::crypto::SecretCipher;
use platform::jobs::JobWaker;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;

use crate::config::Config;

pub use step::{ErrorCode, generate_password};

/// The shortest pause between two cycles.
const MIN_WAIT: Duration = Duration::from_millis(10);

/// Wakes this process's provisioning worker right after a payment or retry commits (§7.1).
#[derive(Debug, Clone, Default)]
pub struct ProvisioningWaker(Arc<Notify>);

impl ProvisioningWaker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn wake(&self) {
        self.0.notify_one();
    }
}

/// Liveness of the background loops for `GET /health` (§4.9): when the provisioning worker
/// last completed a cycle, and whether the job runner's task is still running. Unarmed (no
/// workers started in this process, e.g. an HTTP-only test) counts as live.
#[derive(Debug, Clone, Default)]
pub struct Liveness {
    armed: Arc<AtomicBool>,
    last_cycle_ms: Arc<AtomicI64>,
    jobs_alive: Arc<AtomicBool>,
}

/// Marks the job runner dead when dropped: at its end, its panic or its abort.
pub struct JobsAliveGuard(Liveness);

impl Drop for JobsAliveGuard {
    fn drop(&mut self) {
        self.0.jobs_alive.store(false, Ordering::Relaxed);
    }
}

impl Liveness {
    /// Called when the workers start; the first cycle counts from now.
    pub fn arm(&self) -> JobsAliveGuard {
        self.beat();
        self.jobs_alive.store(true, Ordering::Relaxed);
        self.armed.store(true, Ordering::Relaxed);
        JobsAliveGuard(self.clone())
    }

    pub fn beat(&self) {
        self.last_cycle_ms
            .store(unix_ms(OffsetDateTime::now_utc()), Ordering::Relaxed);
    }

    /// Time since the provisioning worker's last completed cycle.
    pub fn since_last_cycle(&self) -> Duration {
        let last = self.last_cycle_ms.load(Ordering::Relaxed);
        let now = unix_ms(OffsetDateTime::now_utc());
        Duration::from_millis(u64::try_from(now - last).unwrap_or(0))
    }

    /// Both loops alive: the job runner's task runs and the provisioning worker completed a
    /// cycle within `max_silence`.
    pub fn is_live(&self, max_silence: Duration) -> bool {
        if !self.armed.load(Ordering::Relaxed) {
            return true;
        }
        self.jobs_alive.load(Ordering::Relaxed) && self.since_last_cycle() <= max_silence
    }
}

fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// What the worker needs, taken from [`Config`] (tests build it directly to shorten things).
#[derive(Debug, Clone)]
pub struct ProvisioningSettings {
    pub region: String,
    pub poll_interval: Duration,
    pub max_attempts: i32,
    pub concurrency: usize,
    /// `DIGITALOCEAN_TIMEOUT_MS + 30 s` (§7.1).
    pub lease: Duration,
    /// How long the current step may finish after the shutdown signal (§7.7: 10 s).
    pub shutdown_grace: Duration,
    pub lease_owner: String,
    pub notification_max_attempts: i32,
}

impl ProvisioningSettings {
    pub fn from_config(config: &Config) -> Self {
        Self {
            region: config.digitalocean.default_region.clone(),
            poll_interval: Duration::from_millis(config.provisioning_poll_interval_ms),
            max_attempts: i32::try_from(config.provisioning_max_attempts).unwrap_or(i32::MAX),
            concurrency: config.provisioning_worker_concurrency.max(1),
            lease: config.digitalocean.timeout + Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
            lease_owner: platform::jobs::default_lease_owner(),
            notification_max_attempts: i32::try_from(config.notification_max_attempts)
                .unwrap_or(i32::MAX),
        }
    }
}

/// The worker of one process.
#[derive(Clone)]
pub struct Provisioner {
    pub(crate) pool: PgPool,
    pub(crate) settings: Arc<ProvisioningSettings>,
    pub(crate) client: DigitalOceanClient,
    pub(crate) cipher: SecretCipher,
    pub(crate) waker: ProvisioningWaker,
    pub(crate) job_waker: JobWaker,
    pub(crate) liveness: Liveness,
}

impl Provisioner {
    pub fn new(
        pool: PgPool,
        settings: ProvisioningSettings,
        client: DigitalOceanClient,
        cipher: SecretCipher,
    ) -> Self {
        Self {
            pool,
            settings: Arc::new(settings),
            client,
            cipher,
            waker: ProvisioningWaker::new(),
            job_waker: JobWaker::new(),
            liveness: Liveness::default(),
        }
    }

    /// Listens to `waker` (the one payment and retry flows call).
    pub fn with_waker(mut self, waker: ProvisioningWaker) -> Self {
        self.waker = waker;
        self
    }

    /// Wakes `job_waker` after enqueuing a notification.
    pub fn with_job_waker(mut self, job_waker: JobWaker) -> Self {
        self.job_waker = job_waker;
        self
    }

    pub fn with_liveness(mut self, liveness: Liveness) -> Self {
        self.liveness = liveness;
        self
    }

    pub fn spawn(self, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    /// Runs cycles until `shutdown` turns `true` (or its sender is dropped); then lets the
    /// current steps finish within the grace period and releases every lease it holds.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(leaseOwner = %self.settings.lease_owner, "provisioning worker started");
        loop {
            if *shutdown.borrow_and_update() {
                break;
            }
            let cycle = self.clone().cycle();
            tokio::pin!(cycle);
            let next = tokio::select! {
                next = &mut cycle => next,
                _ = shutdown.changed() => {
                    match tokio::time::timeout(self.settings.shutdown_grace, cycle).await {
                        Ok(_) => {}
                        Err(_) => tracing::warn!("provisioning step abandoned at shutdown"),
                    }
                    break;
                }
            };
            self.liveness.beat();
            let wait = match next {
                Ok(Some(due)) => {
                    let until = due - OffsetDateTime::now_utc();
                    // A floor keeps a task another step is racing for from spinning the loop.
                    Duration::try_from(until)
                        .unwrap_or(Duration::ZERO)
                        .clamp(MIN_WAIT, self.settings.poll_interval.max(MIN_WAIT))
                }
                Ok(None) => self.settings.poll_interval,
                Err(e) => {
                    tracing::error!(error = %e, "provisioning cycle failed");
                    self.settings.poll_interval
                }
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.waker.0.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
        if let Err(e) = store::release_all(&self.pool, &self.settings.lease_owner).await {
            tracing::error!(error = %e, "releasing provisioning leases failed");
        }
        tracing::info!("provisioning worker stopped");
    }

    /// One wake-up (§7.1): start paid orders, then advance due tasks in parallel. Returns the
    /// earliest `next_poll_at` still ahead.
    pub async fn cycle(self) -> anyhow::Result<Option<OffsetDateTime>> {
        self.start_paid_orders().await?;
        self.advance_due().await
    }

    /// §7.1 (1) and §7.2: T3 for `PAID` orders without a task; returns how many started.
    pub async fn start_paid_orders(&self) -> anyhow::Result<usize> {
        let limit = i64::try_from(self.settings.concurrency).unwrap_or(10);
        let mut started = 0;
        for order_id in store::paid_without_task(&self.pool, limit).await? {
            match store::start(&self.pool, order_id, &self.settings.region).await {
                Ok(true) => started += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(orderId = %order_id, error = %e, "starting provisioning failed")
                }
            }
        }
        Ok(started)
    }

    /// §7.1 (2) and (3): claims due tasks and advances them one step each, in parallel.
    pub async fn advance_due(&self) -> anyhow::Result<Option<OffsetDateTime>> {
        let limit = i64::try_from(self.settings.concurrency).unwrap_or(10);
        let claimed = store::claim_due(
            &self.pool,
            &self.settings.lease_owner,
            self.settings.lease,
            limit,
        )
        .await?;
        let mut steps = JoinSet::new();
        for task in claimed {
            let me = self.clone();
            steps.spawn(async move {
                let (task_id, order_id) = (task.id, task.order_id);
                if let Err(e) = me.advance(task).await {
                    tracing::error!(orderId = %order_id, error = %e, "provisioning step failed");
                    let _ = store::release(&me.pool, task_id, &me.settings.lease_owner).await;
                }
            });
        }
        while steps.join_next().await.is_some() {}
        Ok(store::next_due(&self.pool).await?)
    }
}
