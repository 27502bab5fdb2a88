//! The rules of notification.md that need no I/O: events and routing, event data, redaction and
//! the variables every template sees.

pub mod data;
pub mod errors;
pub mod event;
pub mod redact;
pub mod vars;

pub use event::{Channel, Event};
