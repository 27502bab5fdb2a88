//! The handlers of the `email` and `telegram` queues (notification.md §6.2). Each attempt
//! delivers the job's message once and records the result on its log before the platform
//! runner records it on the job.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use platform::crypto::SecretCipher;
use platform::jobs::{self, ClaimedJob, JobOutcome, JobWaker, Worker, WorkerConfig};
use platform::metrics::CounterVec;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::channels::email::{Mailer, OutgoingEmail};
use crate::channels::telegram::{OutgoingMessage, TelegramClient};
use crate::channels::{DeliveryError, Retry};
use crate::clients::auth::AuthClient;
use crate::domain::Channel;
use crate::queues;
use crate::state::AppState;
use crate::store::logs;
use crate::throttle::Throttle;

/// Flood-control deferrals of one job before a 429 counts as an ordinary failed attempt.
pub const MAX_DEFERRALS: i64 = 20;

pub(crate) static NOTIFICATIONS: CounterVec = CounterVec::new(
    "notifications_total",
    "Notification messages by channel (email, telegram) and outcome: sent (handed to the \
     SMTP relay or Telegram), failed (given up: permanent error, attempts exhausted or \
     template render failure), retry (a failed attempt that will be tried again).",
    &["channel", "outcome"],
);

/// The channel's queue name doubles as its label, so a job's queue can be used directly.
pub(crate) fn channel_label(channel: Channel) -> &'static str {
    match channel {
        Channel::Email => queues::EMAIL,
        Channel::Telegram => queues::TELEGRAM,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailJob {
    log_id: Uuid,
    event: String,
    to: String,
    to_name: Option<String>,
    subject: String,
    html: String,
    text: String,
}

#[derive(Debug, Deserialize)]
struct EmailSecret {
    subject: String,
    html: String,
    text: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TelegramJob {
    log_id: Uuid,
    event: String,
    chat_id: String,
    text: String,
    #[serde(default)]
    deferrals: i64,
}

#[derive(Debug, Deserialize)]
struct TelegramSecret {
    text: String,
}

/// What the two handlers share.
#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub cipher: SecretCipher,
    pub mailer: Option<Mailer>,
    pub telegram: Option<TelegramClient>,
    pub auth: AuthClient,
    pub throttle: Throttle,
    pub waker: JobWaker,
    /// Readiness shows whether the relay took the latest message.
    pub smtp_up: Arc<AtomicBool>,
    pub email_queue: jobs::QueueSpec,
    pub telegram_queue: jobs::QueueSpec,
}

impl JobContext {
    pub fn from_state(state: &AppState) -> anyhow::Result<Self> {
        let config = &state.config;
        let mailer = config
            .smtp
            .as_ref()
            .map(|smtp| Mailer::new(smtp, &config.smtp_from, config.smtp_reply_to.as_deref()))
            .transpose()?;
        let telegram = if config.telegram.active() {
            Some(TelegramClient::new(&config.telegram)?)
        } else {
            None
        };
        Ok(Self {
            pool: state.pool.clone(),
            cipher: config.credentials.clone(),
            mailer,
            telegram,
            auth: state.auth.clone(),
            throttle: Throttle::new(
                state.redis.clone(),
                &state.key_prefix,
                config.telegram.max_per_second,
            ),
            waker: state.job_waker.clone(),
            smtp_up: state.smtp_reachable.clone(),
            email_queue: queues::email(&config.queues),
            telegram_queue: queues::telegram(&config.queues),
        })
    }

    /// The job runner with both queues registered.
    pub fn worker(self, config: WorkerConfig) -> Worker {
        let ctx = Arc::new(self);
        let (e, t) = (ctx.clone(), ctx.clone());
        Worker::new(ctx.pool.clone(), config)
            .with_waker(ctx.waker.clone())
            .queue(
                ctx.email_queue,
                jobs::handler_fn(move |job| {
                    let ctx = e.clone();
                    async move { ctx.deliver_email(job).await }
                }),
            )
            .queue(
                ctx.telegram_queue,
                jobs::handler_fn(move |job| {
                    let ctx = t.clone();
                    async move { ctx.deliver_telegram(job).await }
                }),
            )
    }

    pub async fn deliver_email(&self, job: ClaimedJob) -> JobOutcome {
        let p: EmailJob = match job.payload_as() {
            Ok(p) => p,
            Err(e) => return JobOutcome::dead("BAD_PAYLOAD", e.to_string()),
        };
        let secret: Option<EmailSecret> = match self.open(&job) {
            Ok(secret) => secret,
            Err(outcome) => return outcome,
        };
        let (subject, html, text) = match &secret {
            Some(s) => (s.subject.as_str(), s.html.as_str(), s.text.as_str()),
            None => (p.subject.as_str(), p.html.as_str(), p.text.as_str()),
        };
        let span =
            tracing::info_span!("delivery", logId = %p.log_id, event = %p.event, channel = "EMAIL");
        let _guard = span.enter();
        let Some(mailer) = &self.mailer else {
            let e =
                DeliveryError::new("EMAIL_NOT_CONFIGURED", "SMTP_HOST is not set", Retry::Never);
            return self.failed(&job, p.log_id, e, 0).await;
        };
        let mail = OutgoingEmail {
            log_id: p.log_id,
            to: &p.to,
            to_name: p.to_name.as_deref(),
            subject,
            html,
            text,
        };
        match mailer.send(&mail).await {
            Ok(message_id) => {
                self.smtp_up.store(true, Ordering::Relaxed);
                self.sent(&job, p.log_id, &message_id).await
            }
            Err(e) => {
                if e.code == "SMTP_TRANSIENT" {
                    self.smtp_up.store(false, Ordering::Relaxed);
                }
                self.failed(&job, p.log_id, e, 0).await
            }
        }
    }

    pub async fn deliver_telegram(&self, job: ClaimedJob) -> JobOutcome {
        let p: TelegramJob = match job.payload_as() {
            Ok(p) => p,
            Err(e) => return JobOutcome::dead("BAD_PAYLOAD", e.to_string()),
        };
        let secret: Option<TelegramSecret> = match self.open(&job) {
            Ok(secret) => secret,
            Err(outcome) => return outcome,
        };
        let text = secret.as_ref().map_or(p.text.as_str(), |s| s.text.as_str());
        let Some(telegram) = &self.telegram else {
            let e = DeliveryError::new(
                "TELEGRAM_NOT_CONFIGURED",
                "Telegram is disabled",
                Retry::Never,
            );
            return self.failed(&job, p.log_id, e, p.deferrals).await;
        };
        self.throttle.acquire(&p.chat_id).await;
        let message = OutgoingMessage {
            chat_id: &p.chat_id,
            text,
            protect_content: p.event == "VPS_ACTIVE",
        };
        match telegram.send_message(&message).await {
            Ok(message_id) => self.sent(&job, p.log_id, &message_id).await,
            Err(e) => {
                if e.code == "TELEGRAM_BLOCKED" {
                    self.auth
                        .unlink_chat(&p.chat_id, &job.request_id_or_job_id())
                        .await;
                }
                self.failed(&job, p.log_id, e, p.deferrals).await
            }
        }
    }

    /// The sealed real content, when the message holds secrets.
    fn open<T: for<'de> Deserialize<'de>>(
        &self,
        job: &ClaimedJob,
    ) -> Result<Option<T>, JobOutcome> {
        match job.secret(&self.cipher) {
            Ok(None) => Ok(None),
            Ok(Some(raw)) => serde_json::from_str(&raw)
                .map(Some)
                .map_err(|e| JobOutcome::dead("BAD_PAYLOAD", e.to_string())),
            Err(e) => Err(JobOutcome::dead("UNDECRYPTABLE", e.to_string())),
        }
    }

    async fn sent(&self, job: &ClaimedJob, log_id: Uuid, provider_id: &str) -> JobOutcome {
        // Counted before the log is written: the message is out even if recording it fails.
        NOTIFICATIONS.inc(&[job.queue.as_str(), "sent"]);
        let provider_id = Some(provider_id).filter(|s| !s.is_empty());
        match logs::mark_sent(&self.pool, log_id, job.id, provider_id).await {
            Ok(()) => {
                tracing::info!(logId = %log_id, jobId = %job.id, "notification sent");
                JobOutcome::Done
            }
            // The message went out but the log could not say so: the retry may duplicate it,
            // which at-least-once delivery allows, but a log stuck in QUEUED would lie.
            Err(e) => JobOutcome::retry(format!("recording the delivery failed: {e}")),
        }
    }

    async fn failed(
        &self,
        job: &ClaimedJob,
        log_id: Uuid,
        e: DeliveryError,
        deferrals: i64,
    ) -> JobOutcome {
        let error = e.log_text();
        match e.retry {
            Retry::After(wait) if deferrals < MAX_DEFERRALS => {
                NOTIFICATIONS.inc(&[job.queue.as_str(), "retry"]);
                if let Err(db) =
                    logs::mark_failed(&self.pool, log_id, job.id, &error, false, false).await
                {
                    tracing::warn!(error = %db, "could not record the deferral on the log");
                }
                match defer(&self.pool, job, wait, &error).await {
                    Ok(true) => tracing::warn!(
                        logId = %log_id,
                        retryInMs = wait.as_millis() as u64,
                        "Telegram flood control; job deferred without using an attempt"
                    ),
                    Ok(false) => {}
                    Err(db) => tracing::warn!(error = %db, "could not defer the job"),
                }
                JobOutcome::Retry {
                    error,
                    http_status: Some(429),
                    not_before: Some(wait),
                }
            }
            Retry::Never => {
                NOTIFICATIONS.inc(&[job.queue.as_str(), "failed"]);
                self.record_failure(job, log_id, &error, true).await;
                tracing::error!(
                    event = "dead_letter_added",
                    logId = %log_id,
                    jobId = %job.id,
                    code = e.code,
                    "notification failed permanently"
                );
                JobOutcome::dead(e.code, error)
            }
            Retry::Backoff | Retry::After(_) => {
                let last = job.max_attempts.is_some_and(|max| job.attempt >= max);
                let outcome = if last { "failed" } else { "retry" };
                NOTIFICATIONS.inc(&[job.queue.as_str(), outcome]);
                self.record_failure(job, log_id, &error, last).await;
                if last {
                    tracing::error!(
                        event = "dead_letter_added",
                        logId = %log_id,
                        jobId = %job.id,
                        code = e.code,
                        "notification attempts exhausted"
                    );
                }
                JobOutcome::retry(error)
            }
        }
    }

    async fn record_failure(&self, job: &ClaimedJob, log_id: Uuid, error: &str, last: bool) {
        if let Err(db) = logs::mark_failed(&self.pool, log_id, job.id, error, last, true).await {
            tracing::warn!(error = %db, "could not record the failed attempt on the log");
        }
    }
}

/// Puts a flood-controlled job back exactly `wait` from now and gives back its attempt. The
/// runner then finds the job no longer leased and records nothing more for this attempt.
async fn defer(
    pool: &PgPool,
    job: &ClaimedJob,
    wait: Duration,
    error: &str,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE jobs \
         SET state = 'PENDING', attempts = GREATEST(attempts - 1, 0), \
             run_at = now() + make_interval(secs => $3), last_error = $4, \
             last_http_status = 429, lease_owner = NULL, lease_expires_at = NULL, \
             payload = jsonb_set(payload, '{deferrals}', \
                                 to_jsonb(COALESCE((payload->>'deferrals')::int, 0) + 1)), \
             updated_at = now() \
         WHERE id = $1 AND state = 'RUNNING' AND attempts = $2",
    )
    .bind(job.id)
    .bind(job.attempt)
    .bind(wait.as_secs_f64())
    .bind(error)
    .execute(pool)
    .await?;
    Ok(r.rows_affected() > 0)
}
