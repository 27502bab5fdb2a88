//! Payer details from the auth service (billing.md §4.4), cached for five minutes. Auth being
//! down never stops a payment: the caller falls back to the token's e-mail.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use platform::client::{Call, CallOutcome, ServiceClient};

const TTL: Duration = Duration::from_secs(300);
/// Bounds memory if many distinct users pay within the TTL.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayerDetails {
    pub full_name: Option<String>,
    pub phone_number: Option<String>,
}

#[derive(Clone, Debug)]
pub struct AuthClient {
    client: ServiceClient,
    cache: Arc<Mutex<HashMap<String, (Instant, PayerDetails)>>>,
}

impl AuthClient {
    pub fn new(client: ServiceClient) -> Self {
        Self {
            client,
            cache: Arc::default(),
        }
    }

    /// `None` when auth could not answer.
    pub async fn payer(&self, user_id: &str, request_id: &str) -> Option<PayerDetails> {
        if let Ok(cache) = self.cache.lock()
            && let Some((at, details)) = cache.get(user_id)
            && at.elapsed() < TTL
        {
            return Some(details.clone());
        }
        let path = format!("/api/v1/internal/users/{user_id}");
        match self.client.call(Call::get(&path, request_id)).await {
            CallOutcome::Success { body, .. } => {
                let data = &body["data"];
                let details = PayerDetails {
                    full_name: data["fullName"].as_str().map(str::to_owned),
                    phone_number: data["phoneNumber"].as_str().map(str::to_owned),
                };
                if let Ok(mut cache) = self.cache.lock() {
                    if cache.len() >= MAX_ENTRIES {
                        cache.retain(|_, (at, _)| at.elapsed() < TTL);
                    }
                    if cache.len() < MAX_ENTRIES {
                        cache.insert(user_id.to_owned(), (Instant::now(), details.clone()));
                    }
                }
                Some(details)
            }
            other => {
                tracing::warn!(status = ?other.status(), "payer details unavailable; using fallbacks");
                None
            }
        }
    }
}
