//! Calls to other WeBrana services.

pub mod auth;
