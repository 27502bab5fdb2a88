//! Use cases: each reads the request's facts, asks `domain` what to do, and writes through
//! `store` / calls `clients`. Handlers stay thin; SQL and rules stay out of here.

pub mod admin;
pub mod create;
pub mod payment;
