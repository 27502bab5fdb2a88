//! The simulator's memory: transactions, callback deliveries, injected faults.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use tripay::{Callback, Transaction};

use super::config::{SimChannel, TripaySimConfig};
use crate::rng::SplitMix64;

/// A forced answer for the next API calls (`POST /_sim/config`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    ServerError,
    Timeout,
}

/// One callback delivery attempt, as `GET /_sim/callbacks` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub reference: String,
    pub status: String,
    pub url: String,
    pub attempt: usize,
    /// The body as sent (parsed for reading) and its `X-Callback-Signature`.
    pub request: Value,
    pub signature: String,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub delivered: bool,
    pub at: i64,
}

#[derive(Debug)]
pub struct Inner {
    pub config: TripaySimConfig,
    pub transactions: Vec<Transaction>,
    pub deliveries: Vec<Delivery>,
    pub fault: Fault,
    pub fault_count: u32,
    /// Set through `POST /_sim/config`: every callback goes here, whatever the transaction says.
    pub callback_override: Option<String>,
    pub sequence: u64,
    pub rng: SplitMix64,
}

pub struct Sim {
    initial: TripaySimConfig,
    inner: Mutex<Inner>,
    pub http: reqwest::Client,
}

impl Sim {
    pub fn new(config: TripaySimConfig) -> Arc<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Arc::new(Self {
            inner: Mutex::new(Inner::fresh(config.clone())),
            initial: config,
            http,
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn reset(&self) {
        *self.lock() = Inner::fresh(self.initial.clone());
    }
}

impl Inner {
    fn fresh(config: TripaySimConfig) -> Self {
        let rng = SplitMix64::new(config.seed);
        Self {
            config,
            transactions: Vec::new(),
            deliveries: Vec::new(),
            fault: Fault::None,
            fault_count: 0,
            callback_override: None,
            sequence: 0,
            rng,
        }
    }

    pub fn channel(&self, code: &str) -> Option<&SimChannel> {
        self.config.channels.iter().find(|c| c.listing.code == code)
    }

    pub fn transaction_mut(&mut self, reference: &str) -> Option<&mut Transaction> {
        self.transactions
            .iter_mut()
            .find(|t| t.reference == reference)
    }

    /// The fault to apply to this API call, counting it down.
    pub fn take_fault(&mut self) -> Fault {
        if self.fault == Fault::None || self.fault_count == 0 {
            return Fault::None;
        }
        self.fault_count -= 1;
        let fault = self.fault;
        if self.fault_count == 0 {
            self.fault = Fault::None;
        }
        fault
    }

    /// `n` random decimal digits, the first non-zero.
    pub fn digits(&mut self, n: usize) -> String {
        let mut out = String::with_capacity(n);
        for i in 0..n {
            let d = if i == 0 {
                1 + self.rng.below(9)
            } else {
                self.rng.below(10)
            };
            out.push(char::from(b'0' + d as u8));
        }
        out
    }
}

/// The callback Tripay sends for `tx` in its current status; `amount` overrides the paid total.
pub fn callback_for(tx: &Transaction, amount: Option<i64>) -> Callback {
    let total = amount.unwrap_or(tx.amount);
    Callback {
        reference: tx.reference.clone(),
        merchant_ref: tx.merchant_ref.clone(),
        payment_method: Some(tx.payment_name.clone()),
        payment_method_code: Some(tx.payment_method.clone()),
        total_amount: total,
        fee_merchant: Some(tx.fee_merchant),
        fee_customer: Some(tx.fee_customer),
        total_fee: Some(tx.total_fee),
        amount_received: Some(total - tx.total_fee),
        is_closed_payment: 1,
        status: tx.status.clone(),
        paid_at: tx.paid_at,
        note: None,
    }
}

/// Sends `callback` and retries per the schedule until it is accepted (HTTP 200 with
/// `{"success": true}`), recording every attempt.
pub async fn deliver(sim: Arc<Sim>, url: String, callback: Callback) {
    let body = callback.to_wire_bytes();
    let (signature, retry) = {
        let state = sim.lock();
        (
            tripay::callback_signature(state.config.private_key.expose(), &body),
            state.config.callback_retry.clone(),
        )
    };
    let request_log = serde_json::from_slice(&body).unwrap_or(Value::Null);
    for attempt in 1..=retry.len() + 1 {
        if attempt > 1 {
            tokio::time::sleep(retry[attempt - 2]).await;
        }
        let sent = sim
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-callback-event", "payment_status")
            .header("x-callback-signature", &signature)
            .body(body.clone())
            .send()
            .await;
        let (status, text, error) = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                (Some(status), response.text().await.ok(), None)
            }
            Err(e) => (None, None, Some(e.to_string())),
        };
        let delivered = status == Some(200)
            && text
                .as_deref()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .is_some_and(|v| v["success"] == Value::Bool(true));
        sim.lock().deliveries.push(Delivery {
            reference: callback.reference.clone(),
            status: callback.status.clone(),
            url: url.clone(),
            attempt,
            request: request_log.clone(),
            signature: signature.clone(),
            response_status: status,
            response_body: text,
            error,
            delivered,
            at: OffsetDateTime::now_utc().unix_timestamp(),
        });
        if delivered {
            return;
        }
    }
}

/// Sends the callback of `reference`'s current status in the background, if it has a URL.
pub fn notify(sim: &Arc<Sim>, reference: &str, amount: Option<i64>) {
    let target = {
        let state = sim.lock();
        state
            .transactions
            .iter()
            .find(|t| t.reference == reference)
            .map(|tx| {
                let url = state
                    .callback_override
                    .clone()
                    .or(tx.callback_url.clone())
                    .or(state.config.callback_url.clone());
                (url, callback_for(tx, amount))
            })
    };
    if let Some((Some(url), callback)) = target {
        tokio::spawn(deliver(sim.clone(), url, callback));
    }
}

/// Marks UNPAID transactions past their `expired_time` EXPIRED and sends their callbacks.
pub fn expire_due(sim: &Arc<Sim>) {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let due: Vec<String> = {
        let mut state = sim.lock();
        state
            .transactions
            .iter_mut()
            .filter(|t| t.status == "UNPAID" && t.expired_time <= now)
            .map(|t| {
                t.status = "EXPIRED".to_owned();
                t.reference.clone()
            })
            .collect()
    };
    for reference in due {
        notify(sim, &reference, None);
    }
}
