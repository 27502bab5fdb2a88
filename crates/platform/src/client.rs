//! The service-to-service HTTP client (platform.md §10.1–§10.3): base URL and timeout per callee,
//! the standard headers, and the one retry policy.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::config::{Secret, ServiceEndpoint};

/// How a call ended, classified by platform.md §10.2.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// `2xx`.
    Success { status: u16, body: Value },
    /// Connection failure, `408`, `429`, `5xx`, or a timeout (retryable from a job only).
    Retryable {
        status: Option<u16>,
        retry_after: Option<Duration>,
        error: String,
        timed_out: bool,
    },
    /// `401` / `403`: a configuration error.
    AuthRejected { status: u16, body: Value },
    /// Any other `4xx`: the caller's spec says what it means.
    Final { status: u16, body: Value },
}

impl CallOutcome {
    pub fn is_success(&self) -> bool {
        matches!(self, CallOutcome::Success { .. })
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            CallOutcome::Success { status, .. }
            | CallOutcome::AuthRejected { status, .. }
            | CallOutcome::Final { status, .. } => Some(*status),
            CallOutcome::Retryable { status, .. } => *status,
        }
    }
}

/// Where a call is made from: the budget and retries differ (platform.md §10.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallMode {
    /// Someone waits: at most two retries, 250 ms then 1 s; a timeout is final.
    InRequest,
    /// A durable job: one attempt; the job's backoff does the retrying.
    FromJob,
}

/// One outgoing call.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub method: Method,
    pub path: &'a str,
    pub body: Option<&'a Value>,
    pub request_id: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub mode: CallMode,
}

impl<'a> Call<'a> {
    pub fn get(path: &'a str, request_id: &'a str) -> Self {
        Self {
            method: Method::GET,
            path,
            body: None,
            request_id,
            idempotency_key: None,
            mode: CallMode::InRequest,
        }
    }

    pub fn post(path: &'a str, body: &'a Value, request_id: &'a str) -> Self {
        Self {
            method: Method::POST,
            path,
            body: Some(body),
            request_id,
            idempotency_key: None,
            mode: CallMode::InRequest,
        }
    }

    pub fn idempotency_key(mut self, key: &'a str) -> Self {
        self.idempotency_key = Some(key);
        self
    }

    pub fn mode(mut self, mode: CallMode) -> Self {
        self.mode = mode;
        self
    }
}

/// A typed-by-convention client of one other service.
#[derive(Clone)]
pub struct ServiceClient {
    http: reqwest::Client,
    base_url: String,
    api_key: Secret,
    service_name: &'static str,
    retry_delays: [Duration; 2],
}

impl std::fmt::Debug for ServiceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceClient")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl ServiceClient {
    pub fn new(
        endpoint: &ServiceEndpoint,
        api_key: Secret,
        service_name: &'static str,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(endpoint.timeout_ms))
            .connect_timeout(Duration::from_millis(endpoint.timeout_ms))
            .build()?;
        Ok(Self {
            http,
            base_url: endpoint.base_url.clone(),
            api_key,
            service_name,
            retry_delays: [Duration::from_millis(250), Duration::from_secs(1)],
        })
    }

    /// Shorter in-request retry delays, for tests that exercise the retry path.
    pub fn with_retry_delays(mut self, delays: [Duration; 2]) -> Self {
        self.retry_delays = delays;
        self
    }

    /// Makes the call; in-request calls retry the retryable outcomes of §10.2 up to twice.
    /// Only reads and writes with an idempotency key are retried.
    pub async fn call(&self, call: Call<'_>) -> CallOutcome {
        let retriable_write = call.method == Method::GET || call.idempotency_key.is_some();
        let mut outcome = self.once(&call).await;
        if call.mode == CallMode::FromJob || !retriable_write {
            return outcome;
        }
        for delay in self.retry_delays {
            let again = match &outcome {
                CallOutcome::Retryable {
                    timed_out: true, ..
                } => false,
                CallOutcome::Retryable {
                    retry_after: Some(after),
                    status: Some(429),
                    ..
                } => *after <= Duration::from_secs(1),
                CallOutcome::Retryable { .. } => true,
                _ => false,
            };
            if !again {
                break;
            }
            let wait = match &outcome {
                CallOutcome::Retryable {
                    retry_after: Some(after),
                    ..
                } => delay.max(*after),
                _ => delay,
            };
            tokio::time::sleep(wait).await;
            outcome = self.once(&call).await;
        }
        outcome
    }

    async fn once(&self, call: &Call<'_>) -> CallOutcome {
        let url = format!("{}{}", self.base_url, call.path);
        let mut req = self
            .http
            .request(call.method.clone(), &url)
            .header("x-request-id", call.request_id)
            .header("x-service-name", self.service_name)
            .header("accept", "application/json")
            .header("x-api-key", self.api_key.expose());
        if let Some(key) = call.idempotency_key {
            req = req.header("idempotency-key", key);
        }
        if let Some(body) = call.body {
            req = req.json(body);
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                return CallOutcome::Retryable {
                    status: None,
                    retry_after: None,
                    timed_out: e.is_timeout(),
                    error: describe(&e),
                };
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match response.bytes().await {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            Err(e) => {
                return CallOutcome::Retryable {
                    status: Some(status.as_u16()),
                    retry_after,
                    timed_out: e.is_timeout(),
                    error: describe(&e),
                };
            }
        };
        classify(status, retry_after, body)
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connection failed".into()
    } else {
        "request failed".into()
    }
}

/// Platform.md §10.2's table.
pub fn classify(status: StatusCode, retry_after: Option<Duration>, body: Value) -> CallOutcome {
    let code = status.as_u16();
    match code {
        200..=299 => CallOutcome::Success { status: code, body },
        401 | 403 => {
            tracing::error!(
                status = code,
                "service call rejected our API key; check INTERNAL_API_KEY"
            );
            CallOutcome::AuthRejected { status: code, body }
        }
        408 | 429 | 500..=599 => CallOutcome::Retryable {
            status: Some(code),
            retry_after,
            timed_out: false,
            error: format!("HTTP {code}"),
        },
        _ => CallOutcome::Final { status: code, body },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_policy() {
        let c = |s: u16| classify(StatusCode::from_u16(s).expect("status"), None, Value::Null);
        assert!(c(202).is_success());
        assert!(matches!(c(401), CallOutcome::AuthRejected { .. }));
        assert!(matches!(c(403), CallOutcome::AuthRejected { .. }));
        for s in [408, 429, 500, 503] {
            assert!(matches!(c(s), CallOutcome::Retryable { .. }), "{s}");
        }
        for s in [400, 404, 409, 413, 415, 422] {
            assert!(matches!(c(s), CallOutcome::Final { .. }), "{s}");
        }
    }
}
