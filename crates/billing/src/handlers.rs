//! The handlers of this service's job queues: payment status to the order service (§8) and
//! notifications (§9.1). Each runs at least once per job; the job id is the `Idempotency-Key`.

use std::sync::Arc;

use platform::client::{Call, CallMode, CallOutcome, ServiceClient};
use platform::jobs::{self, ClaimedJob, JobOutcome, JobWaker, Worker, WorkerConfig};
use serde_json::Value;
use sqlx::PgPool;

use crate::SERVICE_NAME;
use crate::config::Config;
use crate::queues;

pub const NOTIFICATION_PATH: &str = "/api/v1/internal/notifications/send";

pub fn payment_status_path(order_id: &str) -> String {
    format!("/api/v1/internal/orders/{order_id}/payment-status")
}

#[derive(Clone)]
pub struct JobContext {
    pub pool: PgPool,
    pub order: ServiceClient,
    pub notification: ServiceClient,
    pub waker: JobWaker,
    pub alert_after_attempts: i32,
}

impl JobContext {
    pub fn from_config(config: &Config, pool: PgPool, waker: JobWaker) -> anyhow::Result<Self> {
        let key = config.common.internal_api_key.clone();
        Ok(Self {
            pool,
            order: ServiceClient::new(&config.order, key.clone(), SERVICE_NAME)?,
            notification: ServiceClient::new(&config.notification, key, SERVICE_NAME)?,
            waker,
            alert_after_attempts: config.outbox_alert_after_attempts,
        })
    }

    /// The job runner with both queues registered.
    pub fn worker(self, config: &Config, worker: WorkerConfig) -> Worker {
        let ctx = Arc::new(self);
        let (o, n) = (ctx.clone(), ctx.clone());
        Worker::new(ctx.pool.clone(), worker)
            .with_waker(ctx.waker.clone())
            .queue(
                queues::order_payment_status(config),
                jobs::handler_fn(move |job| {
                    let ctx = o.clone();
                    async move { ctx.payment_status(job).await }
                }),
            )
            .queue(
                queues::notifications(config),
                jobs::handler_fn(move |job| {
                    let ctx = n.clone();
                    async move { ctx.notify(job).await }
                }),
            )
    }

    /// §8.1 / §8.2: one delivery of PAID or PAYMENT_FAILED.
    pub async fn payment_status(&self, job: ClaimedJob) -> JobOutcome {
        let Some(order_id) = job.payload["orderId"].as_str().map(str::to_owned) else {
            return JobOutcome::dead("REJECTED", "payload without orderId");
        };
        let paid = job.payload["status"] == "PAID";
        if !paid {
            match self.order_paid_job_exists(&order_id).await {
                Ok(true) => return JobOutcome::Done,
                Ok(false) => {}
                Err(e) => return JobOutcome::retry(format!("reading jobs failed: {e}")),
            }
        }
        let body = without_order_id(&job.payload);
        let request_id = job.request_id_or_job_id();
        let key = job.id.to_string();
        let path = payment_status_path(&order_id);
        let outcome = self
            .order
            .call(
                Call::post(&path, &body, &request_id)
                    .idempotency_key(&key)
                    .mode(CallMode::FromJob),
            )
            .await;
        let result = classify_payment_status(&outcome, paid);
        match &result {
            JobOutcome::Retry { error, .. } if paid && job.attempt >= self.alert_after_attempts => {
                tracing::error!(
                    event = "order_sync_stuck", jobId = %job.id, invoiceId = %job.subject_id,
                    orderId = %order_id, attempts = job.attempt, error = %error,
                    "the order service has not acknowledged a payment"
                );
            }
            JobOutcome::Dead { reason, .. } if reason == "REFUND_REVIEW" => {
                tracing::error!(
                    event = "order_sync_blocked", jobId = %job.id, invoiceId = %job.subject_id,
                    orderId = %order_id, "the order service refused a paid invoice; refund review"
                );
            }
            JobOutcome::Dead { reason, error, .. } => {
                tracing::error!(
                    jobId = %job.id, invoiceId = %job.subject_id, orderId = %order_id,
                    reason = %reason, error = %error, "payment status delivery abandoned"
                );
            }
            _ => {}
        }
        result
    }

    async fn order_paid_job_exists(&self, order_id: &str) -> Result<bool, sqlx::Error> {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE queue = 'order-payment-status'
                 AND payload->>'orderId' = $1 AND payload->>'status' = 'PAID')",
        )
        .bind(order_id)
        .fetch_one(&self.pool)
        .await
    }

    /// §9.1: one notification delivery; failures never touch invoices.
    pub async fn notify(&self, job: ClaimedJob) -> JobOutcome {
        let body = without_order_id(&job.payload);
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
        let result = classify_notification(&outcome);
        if let JobOutcome::Dead { reason, .. } = &result {
            tracing::error!(jobId = %job.id, reason = %reason, "notification rejected");
        }
        result
    }
}

/// The stored payload is the request body plus `orderId`, which the receivers do not accept.
fn without_order_id(payload: &Value) -> Value {
    let mut body = payload.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("orderId");
    }
    body
}

/// The answer table of §8.1 (PAID) and §8.2 (PAYMENT_FAILED).
pub fn classify_payment_status(outcome: &CallOutcome, paid: bool) -> JobOutcome {
    if let Some(result) = JobOutcome::from_call(outcome) {
        return result;
    }
    let status = outcome.status().unwrap_or(0);
    let body = match outcome {
        CallOutcome::Final { body, .. } => body.to_string(),
        _ => String::new(),
    };
    let dead = |reason: &str| {
        JobOutcome::dead(reason, format!("order service answered {status}: {body}"))
            .with_status(status)
    };
    match status {
        409 if paid => dead("REFUND_REVIEW"),
        409 => JobOutcome::Done,
        404 => dead("ORDER_NOT_FOUND"),
        _ => dead("REJECTED_BY_ORDER"),
    }
}

/// §9.1: 2xx done; a refusal is final; the rest is retried up to the attempt limit.
pub fn classify_notification(outcome: &CallOutcome) -> JobOutcome {
    if let Some(result) = JobOutcome::from_call(outcome) {
        return result;
    }
    let status = outcome.status().unwrap_or(0);
    match status {
        400 | 404 | 413 | 422 => JobOutcome::dead(
            "REJECTED",
            format!("notification service answered {status}"),
        )
        .with_status(status),
        _ => JobOutcome::Retry {
            error: format!("notification service answered {status}"),
            http_status: Some(status),
            not_before: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn final_(status: u16) -> CallOutcome {
        CallOutcome::Final {
            status,
            body: json!({"error": {"code": "X"}}),
        }
    }

    fn dead_reason(o: JobOutcome) -> String {
        match o {
            JobOutcome::Dead { reason, .. } => reason,
            other => panic!("expected dead, got {other:?}"),
        }
    }

    #[test]
    fn paid_answers_follow_the_table() {
        let ok = CallOutcome::Success {
            status: 200,
            body: json!({}),
        };
        assert_eq!(classify_payment_status(&ok, true), JobOutcome::Done);
        assert_eq!(
            dead_reason(classify_payment_status(&final_(409), true)),
            "REFUND_REVIEW"
        );
        assert_eq!(
            dead_reason(classify_payment_status(&final_(404), true)),
            "ORDER_NOT_FOUND"
        );
        for s in [400, 413, 422] {
            assert_eq!(
                dead_reason(classify_payment_status(&final_(s), true)),
                "REJECTED_BY_ORDER"
            );
        }
        let auth = CallOutcome::AuthRejected {
            status: 401,
            body: json!({}),
        };
        assert_eq!(
            dead_reason(classify_payment_status(&auth, true)),
            "AUTH_REJECTED"
        );
        let down = CallOutcome::Retryable {
            status: Some(503),
            retry_after: None,
            error: "down".into(),
            timed_out: false,
        };
        assert!(matches!(
            classify_payment_status(&down, true),
            JobOutcome::Retry { .. }
        ));
    }

    #[test]
    fn payment_failed_treats_a_conflict_as_done() {
        assert_eq!(
            classify_payment_status(&final_(409), false),
            JobOutcome::Done
        );
        assert_eq!(
            dead_reason(classify_payment_status(&final_(404), false)),
            "ORDER_NOT_FOUND"
        );
    }

    #[test]
    fn notification_answers_follow_the_table() {
        for s in [400, 404, 413, 422] {
            assert_eq!(dead_reason(classify_notification(&final_(s))), "REJECTED");
        }
        assert!(matches!(
            classify_notification(&final_(409)),
            JobOutcome::Retry { .. }
        ));
        let auth = CallOutcome::AuthRejected {
            status: 403,
            body: json!({}),
        };
        assert_eq!(dead_reason(classify_notification(&auth)), "AUTH_REJECTED");
    }

    #[test]
    fn the_order_id_is_not_sent() {
        let body = without_order_id(&json!({"status": "PAID", "orderId": "x"}));
        assert_eq!(body, json!({"status": "PAID"}));
    }
}
