//! Offline stand-ins for the platform's third parties, speaking their real wire formats
//! (integrations.md §5): same paths, status codes, headers and body shapes, state in memory,
//! random values from a seedable generator, delays configurable down to zero, and control
//! routes under `/_sim/` that the real systems do not have.
//!
//! [`digitalocean`] (integrations.md §2.6), [`tripay`] (§1.7), [`telegram`] (§3) and the
//! [`smtp`] sink (§4.4).

pub mod digitalocean;
pub mod rng;
pub mod smtp;
pub mod telegram;
pub mod tripay;
