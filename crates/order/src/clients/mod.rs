//! Typed HTTP clients of the services this one calls.

pub mod catalog;
