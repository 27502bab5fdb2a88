//! The handlers of this service's job queues (order.md §8): notifications, coupon releases and
//! payment timeouts. Each runs at least once per job; the job id is the `Idempotency-Key` of
//! every write it makes elsewhere.

use std::sync::Arc;

use platform::client::{Call, CallMode, CallOutcome, ServiceClient};
use platform::crypto::SecretCipher;
use platform::jobs::{self, ClaimedJob, JobOutcome, JobWaker, NewJob, Worker, WorkerConfig};
use serde_json::json;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::config::Config;
use crate::domain::status::OrderStatus;
use crate::queues::{COUPON_RELEASE, NOTIFICATIONS, PAYMENT_TIMEOUT};
use crate::store::{history, orders};

pub const NOTIFICATION_PATH: &str = "/api/v1/internal/notifications/send";
pub const COUPON_RELEASE_PATH: &str = "/api/v1/internal/catalog/coupons/release";

/// What the three handlers share.
#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub notification: ServiceClient,
    pub catalog: ServiceClient,
    pub cipher: SecretCipher,
    pub waker: JobWaker,
}

impl JobContext {
    pub fn from_config(config: &Config, pool: PgPool, waker: JobWaker) -> anyhow::Result<Self> {
        let key = config.common.internal_api_key.clone();
        Ok(Self {
            pool,
            notification: ServiceClient::new(&config.notification, key.clone(), SERVICE_NAME)?,
            catalog: ServiceClient::new(&config.catalog, key, SERVICE_NAME)?,
            cipher: config.credentials.clone(),
            waker,
        })
    }

    /// The job runner with the three queues registered.
    pub fn worker(self, config: WorkerConfig) -> Worker {
        let ctx = Arc::new(self);
        let (n, c, p) = (ctx.clone(), ctx.clone(), ctx.clone());
        Worker::new(ctx.pool.clone(), config)
            .with_waker(ctx.waker.clone())
            .queue(
                NOTIFICATIONS,
                jobs::handler_fn(move |job| {
                    let ctx = n.clone();
                    async move { ctx.notify(job).await }
                }),
            )
            .queue(
                COUPON_RELEASE,
                jobs::handler_fn(move |job| {
                    let ctx = c.clone();
                    async move { ctx.release_coupon(job).await }
                }),
            )
            .queue(
                PAYMENT_TIMEOUT,
                jobs::handler_fn(move |job| {
                    let ctx = p.clone();
                    async move { ctx.payment_timeout(job).await }
                }),
            )
    }

    /// §8.1: one delivery attempt.
    pub async fn notify(&self, job: ClaimedJob) -> JobOutcome {
        let mut body = job.payload.clone();
        match job.secret(&self.cipher) {
            Ok(Some(password)) => body["data"]["password"] = json!(password),
            Ok(None) => {}
            Err(e) => return JobOutcome::dead("UNDECRYPTABLE", e.to_string()),
        }
        let request_id = job.request_id_or_job_id();
        let key = job.id.to_string();
        let outcome = self
            .notification
            .call(
                Call::post(NOTIFICATION_PATH, &body, &request_id)
                    .idempotency_key(&key)
                    .mode(CallMode::FromJob),
            )
            .await;
        let result = classify(&outcome, true);
        if result == JobOutcome::Done && body["event"] == "VPS_ACTIVE" {
            // Delivered: the task's copy of the password is no longer needed (§7.4).
            let cleared = sqlx::query(
                "UPDATE provisioning_tasks SET root_password_enc = NULL WHERE order_id::text = $1",
            )
            .bind(&job.subject_id)
            .execute(&self.pool)
            .await;
            if let Err(e) = cleared {
                return JobOutcome::retry(format!("clearing the root password failed: {e}"));
            }
        }
        if let JobOutcome::Dead { reason, .. } = &result {
            tracing::error!(jobId = %job.id, reason = %reason, "notification rejected");
        }
        result
    }

    /// §8.2: release a coupon redemption (the guard first checks whether the order exists).
    pub async fn release_coupon(&self, job: ClaimedJob) -> JobOutcome {
        if job.payload["reason"] == "ORDER_NOT_CREATED" {
            let Ok(order_id) = job.subject_id.parse::<Uuid>() else {
                return JobOutcome::dead("REJECTED", "subject is not an order id");
            };
            match orders::get(&self.pool, order_id).await {
                Ok(Some(_)) => return JobOutcome::Done,
                Ok(None) => {}
                Err(e) => return JobOutcome::retry(e.to_string()),
            }
        }
        let request_id = job.request_id_or_job_id();
        let key = job.id.to_string();
        let outcome = self
            .catalog
            .call(
                Call::post(COUPON_RELEASE_PATH, &job.payload, &request_id)
                    .idempotency_key(&key)
                    .mode(CallMode::FromJob),
            )
            .await;
        classify(&outcome, false)
    }

    /// §8.3: T2 by the system when the deadline passed on an unpaid order.
    pub async fn payment_timeout(&self, job: ClaimedJob) -> JobOutcome {
        let Ok(order_id) = job.subject_id.parse::<Uuid>() else {
            return JobOutcome::dead("REJECTED", "subject is not an order id");
        };
        match self.expire(order_id).await {
            Ok(()) => JobOutcome::Done,
            Err(e) => JobOutcome::retry(e.to_string()),
        }
    }

    async fn expire(&self, order_id: Uuid) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let Some(order) = orders::lock(&mut tx, order_id).await? else {
            return Ok(());
        };
        if order.status != OrderStatus::PendingPayment.as_str() {
            return Ok(());
        }
        let now = OffsetDateTime::now_utc();
        let Some(updated) = orders::cancel(&mut tx, order_id, now).await? else {
            return Ok(());
        };
        history::insert(
            &mut tx,
            &history::NewEntry {
                order_id,
                previous_status: Some(OrderStatus::PendingPayment.as_str()),
                new_status: OrderStatus::Canceled.as_str(),
                actor: "system",
                reason: "Batas waktu pembayaran habis",
                metadata: json!({ "couponCode": updated.coupon_code }),
                request_id: None,
                idempotency_key: None,
                now,
            },
        )
        .await?;
        if updated.coupon_code.is_some() {
            jobs::enqueue(
                &mut tx,
                NewJob::new(
                    &COUPON_RELEASE,
                    order_id.to_string(),
                    json!({ "orderId": order_id, "reason": "PAYMENT_EXPIRED" }),
                )
                .dedupe_key(format!("COUPON_RELEASE:{order_id}")),
            )
            .await?;
        }
        tx.commit().await?;
        self.waker.wake();
        Ok(())
    }
}

/// platform.md §10.2 via [`JobOutcome::from_call`]; a final `4xx` is `REJECTED` (`404` of a
/// notification: `NOT_FOUND`, an unknown user).
pub fn classify(outcome: &CallOutcome, notification: bool) -> JobOutcome {
    if let Some(result) = JobOutcome::from_call(outcome) {
        return result;
    }
    let status = outcome.status().unwrap_or(0);
    let reason = if notification && status == 404 {
        "NOT_FOUND"
    } else {
        "REJECTED"
    };
    JobOutcome::dead(reason, format!("the receiver refused the job ({status})")).with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_per_platform_10_2() {
        let ok = CallOutcome::Success {
            status: 202,
            body: json!({}),
        };
        assert_eq!(classify(&ok, true), JobOutcome::Done);
        let down = CallOutcome::Retryable {
            status: Some(503),
            retry_after: None,
            error: "down".into(),
            timed_out: false,
        };
        assert!(matches!(classify(&down, true), JobOutcome::Retry { .. }));
        let auth = CallOutcome::AuthRejected {
            status: 401,
            body: json!({}),
        };
        assert!(
            matches!(classify(&auth, true), JobOutcome::Dead { reason, .. } if reason == "AUTH_REJECTED")
        );
        let unknown_user = CallOutcome::Final {
            status: 404,
            body: json!({}),
        };
        assert!(
            matches!(classify(&unknown_user, true), JobOutcome::Dead { reason, .. } if reason == "NOT_FOUND")
        );
        assert!(
            matches!(classify(&unknown_user, false), JobOutcome::Dead { reason, .. } if reason == "REJECTED")
        );
        let bad = CallOutcome::Final {
            status: 422,
            body: json!({}),
        };
        assert!(
            matches!(classify(&bad, true), JobOutcome::Dead { reason, .. } if reason == "REJECTED")
        );
    }
}
