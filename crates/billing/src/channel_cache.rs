//! Tripay's channel list, cached in memory (billing.md §9.4): fresh for
//! `TRIPAY_CHANNEL_CACHE_TTL_SECONDS`; when a refresh fails the stale list is served for up to
//! an hour, after which channel-dependent calls fail with 503 `GATEWAY_ERROR`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;
use tripay::{PaymentChannel, TripayClient, TripayError};

const STALE_LIMIT: Duration = Duration::from_secs(60 * 60);

/// The list and when it was fetched.
type Entry = Option<(Instant, Arc<Vec<PaymentChannel>>)>;

#[derive(Clone)]
pub struct ChannelCache {
    client: TripayClient,
    ttl: Duration,
    /// Held across a refresh so that concurrent requests wait for one Tripay call.
    entry: Arc<Mutex<Entry>>,
}

impl ChannelCache {
    pub fn new(client: TripayClient, ttl: Duration) -> Self {
        Self {
            client,
            ttl,
            entry: Arc::default(),
        }
    }

    pub async fn get(&self) -> Result<Arc<Vec<PaymentChannel>>, TripayError> {
        let mut entry = self.entry.lock().await;
        if let Some((at, list)) = entry.as_ref()
            && at.elapsed() < self.ttl
        {
            return Ok(list.clone());
        }
        match self.client.payment_channels().await {
            Ok(list) => {
                let list = Arc::new(list);
                *entry = Some((Instant::now(), list.clone()));
                Ok(list)
            }
            Err(e) => {
                tracing::warn!(event = "tripay_unreachable", error = %e, "channel list refresh failed");
                match entry.as_ref() {
                    Some((at, list)) if at.elapsed() < STALE_LIMIT => Ok(list.clone()),
                    _ => Err(e),
                }
            }
        }
    }

    /// Forgets the list (tests that change the simulator's channels).
    pub async fn clear(&self) {
        *self.entry.lock().await = None;
    }
}
