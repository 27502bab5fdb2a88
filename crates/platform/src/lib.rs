//! What every WeBrana service stands on: the conventions of `spec/platform.md`, in code, once.

pub mod auth;
pub mod client;
pub mod config;
pub mod crypto;
pub mod error;
pub mod extract;
pub mod health;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod ratelimit;
pub mod service;
pub mod telemetry;
pub mod time_format;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{ApiResult, AppError, FieldError};
