//! The two delivery channels and how their failures are classified (notification.md §6.2).

pub mod email;
pub mod telegram;

use std::time::Duration;

/// What a failed delivery means for its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry {
    /// Try again after the queue's backoff.
    Backoff,
    /// Telegram flood control: try again after exactly this long, without using an attempt.
    After(Duration),
    /// No retry can help.
    Never,
}

/// A failed delivery: the code stored in the log (`CODE: detail`) and what happens next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub code: &'static str,
    pub detail: String,
    pub retry: Retry,
}

impl DeliveryError {
    pub fn new(code: &'static str, detail: impl Into<String>, retry: Retry) -> Self {
        Self {
            code,
            detail: detail.into(),
            retry,
        }
    }

    /// `CODE: detail`, as stored in `NotificationLog.error`.
    pub fn log_text(&self) -> String {
        format!("{}: {}", self.code, self.detail)
    }
}
