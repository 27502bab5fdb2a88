//! The delivery queues of this service (notification.md §6) on the platform job mechanism; their
//! handlers are in [`crate::handlers`].

use platform::jobs::QueueSpec;

use crate::config::QueueSettings;

pub const EMAIL: &str = "email";
pub const TELEGRAM: &str = "telegram";

/// Every queue of this service, in the order `GET …/queues` lists them.
pub const QUEUE_NAMES: [&str; 2] = [EMAIL, TELEGRAM];

fn spec(name: &'static str, q: &QueueSettings, concurrency: usize) -> QueueSpec {
    QueueSpec::new(name)
        .with_backoff(q.backoff_base, q.backoff_max)
        .with_max_attempts(Some(q.max_attempts))
        .with_concurrency(concurrency)
}

pub fn email(q: &QueueSettings) -> QueueSpec {
    spec(EMAIL, q, q.email_concurrency)
}

pub fn telegram(q: &QueueSettings) -> QueueSpec {
    spec(TELEGRAM, q, q.telegram_concurrency)
}
