//! The job queues of this service (billing.md §8, §9.1) and the dedupe keys that tie each job
//! to one fact.

use platform::jobs::QueueSpec;
use uuid::Uuid;

use crate::config::Config;

pub const ORDER_PAYMENT_STATUS: &str = "order-payment-status";
pub const NOTIFICATIONS: &str = "notifications";
pub const QUEUE_NAMES: [&str; 2] = [ORDER_PAYMENT_STATUS, NOTIFICATIONS];

/// `order-payment-status`: unlimited attempts unless the job sets its own (PAYMENT_FAILED).
pub fn order_payment_status(config: &Config) -> QueueSpec {
    QueueSpec::new(ORDER_PAYMENT_STATUS)
        .with_backoff(config.outbox_backoff_base, config.outbox_backoff_max)
        .with_max_attempts(None)
}

/// `notifications`: `NOTIFICATION_OUTBOX_MAX_ATTEMPTS`.
pub fn notifications(config: &Config) -> QueueSpec {
    QueueSpec::new(NOTIFICATIONS)
        .with_backoff(config.outbox_backoff_base, config.outbox_backoff_max)
        .with_max_attempts(Some(config.notification_outbox_max_attempts))
}

pub fn order_paid_key(invoice_id: Uuid) -> String {
    format!("ORDER_PAID:{invoice_id}")
}

pub fn payment_failed_key(reference: &str) -> String {
    format!("ORDER_PAYMENT_FAILED:{reference}")
}

pub fn invoice_expired_key(invoice_id: Uuid) -> String {
    format!("ORDER_PAYMENT_FAILED:EXPIRED:{invoice_id}")
}

pub fn payment_confirmed_key(invoice_id: Uuid) -> String {
    format!("NOTIFY:PAYMENT_CONFIRMED:{invoice_id}")
}

pub fn invoice_created_key(invoice_id: Uuid) -> String {
    format!("NOTIFY:INVOICE_CREATED:{invoice_id}")
}
