//! Pure rules of the order service: no SQL, no HTTP.

pub mod dates;
pub mod errors;
pub mod payment;
pub mod pricing;
pub mod status;
pub mod views;
