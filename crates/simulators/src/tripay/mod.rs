//! Tripay simulator (integrations.md §1.7).
//!
//! The API under a prefix (default `/api-sandbox`) so billing only changes `TRIPAY_BASE_URL`:
//! `GET …/merchant/payment-channel`, `POST …/transaction/create` (JSON or form),
//! `GET …/transaction/detail?reference=`. Transactions live in memory; a clock expires them at
//! `expired_time` and sends the EXPIRED callback. Every status change sends a callback signed over
//! its exact bytes, retried per the configured schedule until answered `200 {"success": true}`.
//!
//! Pages and control routes:
//! - `GET /checkout/{reference}` — the hosted checkout page with Pay / Fail / Expire buttons
//!   (plain forms posting to the control routes below, which send the browser back to the page);
//!   `GET /checkout/{reference}/qr` — the `qr_url` of QRIS transactions;
//!   `POST /checkout/{reference}/pay|fail|expire` — the same buttons for scripts.
//! - `POST /_sim/transactions/{reference}/pay|expire|fail|refund` — optional
//!   `{"amount", "paidAt"}` (an under- or over-payment, a payment time).
//! - `POST /_sim/transactions/{reference}/callbacks/resend`.
//! - `GET /_sim/transactions`, `GET /_sim/callbacks` (every delivery attempt).
//! - `GET|POST /_sim/config` — `{"fault": "server_error"|"timeout"|"none", "count": N,
//!   "channels": {"BRIVA": {"active": false}}, "callbackUrl", "callbackRetrySeconds"}`.
//! - `POST /_sim/reset`.

mod api;
mod checkout;
mod config;
mod control;
mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};

pub use config::{
    DEFAULT_API_KEY, DEFAULT_MERCHANT_CODE, DEFAULT_PREFIX, DEFAULT_PRIVATE_KEY, SimChannel,
    TripaySimConfig, default_channels,
};
pub use control::SimError;
pub use state::Delivery;
use state::Sim;
use tripay::Transaction;

/// The simulator as a router, with fresh in-memory state. Its expiry clock runs while the
/// router (or a clone) exists.
pub fn router(config: TripaySimConfig) -> Router {
    router_with_handle(config).0
}

/// The router and a handle on its state, for tests that run the simulator in their own process
/// and drive it without HTTP.
pub fn router_with_handle(config: TripaySimConfig) -> (Router, TripaySimHandle) {
    let prefix = config.prefix.clone();
    let sim = Sim::new(config);
    let handle = TripaySimHandle(sim.clone());
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let weak = Arc::downgrade(&sim);
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let Some(sim) = weak.upgrade() else { return };
                state::expire_due(&sim);
            }
        });
    }
    let router = Router::new()
        .route(
            &format!("{prefix}/merchant/payment-channel"),
            get(api::channels),
        )
        .route(&format!("{prefix}/transaction/create"), post(api::create))
        .route(&format!("{prefix}/transaction/detail"), get(api::detail))
        .route("/checkout/{reference}", get(checkout::page))
        .route("/checkout/{reference}/qr", get(checkout::qr))
        .route("/checkout/{reference}/{action}", post(checkout::button))
        .route(
            "/_sim/transactions/{reference}/callbacks/resend",
            post(control::resend),
        )
        .route(
            "/_sim/transactions/{reference}/{action}",
            post(control::act),
        )
        .route("/_sim/transactions", get(control::transactions))
        .route("/_sim/callbacks", get(control::callbacks))
        .route(
            "/_sim/config",
            get(control::show_config).post(control::update_config),
        )
        .route("/_sim/reset", post(control::reset))
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(sim);
    (router, handle)
}

/// In-process access to a running simulator: the same status changes as the control routes
/// (each sends its callback), and the transaction and delivery logs.
#[derive(Clone)]
pub struct TripaySimHandle(Arc<Sim>);

impl TripaySimHandle {
    /// Pays `reference`; `amount` simulates an under- or over-payment, `paid_at` fixes the time.
    pub fn pay(
        &self,
        reference: &str,
        amount: Option<i64>,
        paid_at: Option<i64>,
    ) -> Result<Transaction, SimError> {
        control::apply(&self.0, reference, control::Action::Pay, amount, paid_at)
    }

    pub fn expire(&self, reference: &str) -> Result<Transaction, SimError> {
        control::apply(&self.0, reference, control::Action::Expire, None, None)
    }

    pub fn fail(&self, reference: &str) -> Result<Transaction, SimError> {
        control::apply(&self.0, reference, control::Action::Fail, None, None)
    }

    pub fn refund(&self, reference: &str) -> Result<Transaction, SimError> {
        control::apply(&self.0, reference, control::Action::Refund, None, None)
    }

    /// Sends the callback of the transaction's current status again.
    pub fn resend_callback(&self, reference: &str) -> Result<(), SimError> {
        control::resend_for(&self.0, reference)
    }

    pub fn transaction(&self, reference: &str) -> Option<Transaction> {
        self.0.lock().transaction_mut(reference).map(|t| t.clone())
    }

    pub fn transactions(&self) -> Vec<Transaction> {
        self.0.lock().transactions.clone()
    }

    /// Every callback delivery attempt so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.0.lock().deliveries.clone()
    }

    pub fn reset(&self) {
        self.0.reset();
    }
}

/// Serves the simulator on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: TripaySimConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(
        addr = %listener.local_addr()?,
        prefix = %config.prefix,
        merchant = %config.merchant_code,
        "Tripay simulator listening"
    );
    platform::http::serve(listener, router(config), shutdown).await
}
