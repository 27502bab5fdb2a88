//! DigitalOcean API v2 simulator (integrations.md §2.6).
//!
//! The `/v2` routes the platform uses, answering with DigitalOcean's status codes, headers and
//! bodies; droplets turn `active` `active_after` their creation; failures are injected by tag
//! (`sim:fail-create`, `sim:errored`, `sim:never-active`, `sim:vanish`, `sim:slow-create`) or
//! through `POST /_sim/config`.
//!
//! Control routes:
//! - `GET /_sim/droplets` — every droplet, with a `_sim` block (behaviour, forced status, the
//!   `user_data` received) and `meta.creates`.
//! - `POST /_sim/droplets/{id}/status` `{"status": "errored"}` — force a status (`null` clears).
//! - `POST /_sim/reset` — back to the startup state, random generator included.
//! - `GET|POST /_sim/config` — `{"fault": "server_error" | "service_unavailable" | "timeout" |
//!   "malformed_body" | "none", "count": N, "per_minute_budget", "active_after_ms",
//!   "nonstandard_errored", "slow_create_delay_ms", "timeout_hold_ms", "next_create_tags"}`.

mod api;
mod config;
mod control;
mod guard;
mod state;
mod wire;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::middleware;
use axum::routing::{get, post};

pub use config::{
    DEFAULT_HOLD, DEFAULT_PER_MINUTE_BUDGET, DEFAULT_TOKEN, DoSimConfig, SimImage, SimRegion,
    SimSize,
};
use state::Sim;

/// The simulator as a router, with fresh in-memory state.
pub fn router(config: DoSimConfig) -> Router {
    let sim = Arc::new(Sim::new(config));
    Router::new()
        .route("/v2/droplets", get(api::list).post(api::create))
        .route("/v2/droplets/{id}", get(api::get).delete(api::delete))
        .route("/v2/droplets/{id}/actions", post(api::post_action))
        .route(
            "/v2/droplets/{id}/actions/{action_id}",
            get(api::get_droplet_action),
        )
        .route("/v2/actions/{id}", get(api::get_action))
        .route("/v2/account", get(api::account))
        .route("/_sim/droplets", get(control::droplets))
        .route("/_sim/droplets/{id}/status", post(control::force_status))
        .route("/_sim/reset", post(control::reset))
        .route(
            "/_sim/config",
            get(control::show_config).post(control::update_config),
        )
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            sim.clone(),
            guard::api_guard,
        ))
        .with_state(sim)
}

/// Serves the simulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: DoSimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(
        addr = %listener.local_addr()?,
        seed = config.seed,
        active_after_ms = config.active_after.as_millis() as u64,
        "DigitalOcean simulator listening"
    );
    platform::http::serve(listener, router(config), shutdown).await
}
