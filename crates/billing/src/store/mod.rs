//! SQL for this service's own database, nothing else.

pub mod callbacks;
pub mod invoices;
pub mod jobs;
pub mod payments;
