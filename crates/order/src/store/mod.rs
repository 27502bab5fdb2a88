//! SQL of the order service's own database (no HTTP here). Enum columns are written with casts
//! from text and read back as text, so the Rust side keeps its own closed enums.

pub mod history;
pub mod jobs;
pub mod orders;
pub mod tasks;
