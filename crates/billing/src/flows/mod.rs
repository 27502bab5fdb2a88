//! The service's operations, each a short sequence of rules, store calls and client calls.

pub mod admin;
pub mod callback;
pub mod effects;
pub mod invoices;
pub mod pay;
pub mod periodic;
pub mod settle;
