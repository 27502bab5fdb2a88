//! Pure rules: no SQL, no HTTP.

pub mod callback_rules;
pub mod channels;
pub mod deadlines;
pub mod errors;
pub mod invoice_number;
pub mod ip_allow;
pub mod status;
