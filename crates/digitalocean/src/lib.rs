//! DigitalOcean API v2 client (integrations.md §2, order.md §7.9).
//!
//! One typed client per third party: [`DigitalOceanClient`] makes each call with a timeout, reads
//! the `droplet` / `droplets` / `account` / `action` wrappers into typed values, and classifies
//! every failure into an [`ErrorKind`] so the provisioning worker can tell transient from
//! permanent without matching strings. Every answer, good or bad, carries the parsed
//! `ratelimit-*` headers ([`RateLimit`]).
//!
//! [`provisioning`] builds what the order service sends for a new droplet: the name, the tags and
//! the cloud-config `user_data` that sets the root password.
//!
//! Neither the token nor the root password ever appears in `Debug` output or logs.

pub mod client;
pub mod cloud_config;
pub mod config;
pub mod error;
pub mod model;
pub mod provisioning;
pub mod ratelimit;
pub mod status;

pub use client::{BuildError, DigitalOceanClient, Reply};
pub use config::DigitalOceanSettings;
pub use error::{ApiError, Error, ErrorKind};
pub use model::{
    Account, Action, ActionLink, ActionStatus, ActionType, CreateDropletRequest, CreatedDroplet,
    Droplet, DropletList, ImageRef, NetworkV4, NetworkV6, Networks, SshKeyRef, UserData,
};
pub use provisioning::{OrderDroplet, PasswordRejected};
pub use ratelimit::RateLimit;
pub use status::DropletStatus;
