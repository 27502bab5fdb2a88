//! Typed clients of the other services billing calls inside a request.

pub mod auth;
pub mod order;
