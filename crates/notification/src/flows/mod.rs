//! The service's use cases, between the routes and the stores.

pub mod send;
