//! Pure rules of auth: no SQL, no HTTP.

pub mod codes;
pub mod errors;
pub mod password;
pub mod profile;
pub mod user;
