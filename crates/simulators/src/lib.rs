//! Offline stand-ins for the platform's third parties, speaking their real wire formats
//! (integrations.md §5): same paths, status codes, headers and body shapes, state in memory,
//! random values from a seedable generator, delays configurable down to zero, and control
//! routes under `/_sim/` that the real systems do not have.
//!
//! For now: [`digitalocean`] (integrations.md §2.6).

pub mod digitalocean;
pub mod rng;
