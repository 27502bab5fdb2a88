//! SQL of this service's own tables; the queue jobs are the platform's (`platform::jobs`).

pub mod logs;
pub mod templates;
