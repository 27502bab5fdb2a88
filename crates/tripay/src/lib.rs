//! Tripay payment gateway client (integrations.md §1): payment channels, closed transactions,
//! transaction detail, the request and callback signatures, and the callback body itself.

mod callback;
mod client;
mod config;
mod error;
mod fees;
mod model;
mod signature;

pub use callback::{Callback, CallbackParseError};
pub use client::TripayClient;
pub use config::{PRODUCTION_URL, SANDBOX_URL, TripayMode, TripaySettings};
pub use error::TripayError;
pub use fees::{channel_fee, customer_fee, total_fee};
pub use model::{CreateTransaction, Fee, Instruction, OrderItem, PaymentChannel, Transaction};
pub use signature::{callback_signature, transaction_signature, verify_callback};
