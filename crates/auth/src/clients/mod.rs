//! Typed clients of the services auth calls.

pub mod notification;
