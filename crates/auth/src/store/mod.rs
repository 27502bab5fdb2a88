//! SQL of auth's own database, nothing else.

pub mod link_codes;
pub mod refresh_tokens;
pub mod users;
pub mod verification_tokens;
