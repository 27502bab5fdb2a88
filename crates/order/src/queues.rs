//! The job queues of this service (order.md §8) on the platform job mechanism; their handlers
//! are in [`crate::handlers`].

use platform::jobs::QueueSpec;

/// `ORDER_CREATED`, `VPS_ACTIVE`, `PROVISIONING_FAILED` deliveries (§8.1). The attempt limit is
/// `NOTIFICATION_MAX_ATTEMPTS`, set per job at enqueue; 30 is its default.
pub const NOTIFICATIONS: QueueSpec = QueueSpec::new("notifications")
    .with_max_attempts(Some(30))
    .with_subject_order();
/// Coupon releases, unlimited attempts (§8.2).
pub const COUPON_RELEASE: QueueSpec = QueueSpec::new("coupon-release");
/// The payment deadline of an unpaid order (§8.3).
pub const PAYMENT_TIMEOUT: QueueSpec = QueueSpec::new("payment-timeout");

/// Every queue of this service, in the order `GET …/queues` lists them.
pub const QUEUE_NAMES: [&str; 3] = [
    NOTIFICATIONS.name,
    COUPON_RELEASE.name,
    PAYMENT_TIMEOUT.name,
];

/// Dedupe keys: one fact, one job.
pub fn guard_key(order_id: uuid::Uuid) -> String {
    format!("COUPON_GUARD:{order_id}")
}
