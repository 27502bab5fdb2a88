//! The Tripay HTTP client (integrations.md §1.1–§1.4): bearer API key, JSON, one timeout, and
//! every failure classified as a [`TripayError`].

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::TripaySettings;
use crate::error::TripayError;
use crate::model::{CreateTransaction, PaymentChannel, Transaction};
use crate::signature;

#[derive(Clone)]
pub struct TripayClient {
    http: reqwest::Client,
    base_url: String,
    api_key: platform::config::Secret,
    private_key: platform::config::Secret,
    merchant_code: String,
}

impl std::fmt::Debug for TripayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TripayClient")
            .field("base_url", &self.base_url)
            .field("merchant_code", &self.merchant_code)
            .finish_non_exhaustive()
    }
}

impl TripayClient {
    pub fn new(settings: &TripaySettings) -> Result<Self, TripayError> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .build()
            .map_err(|e| TripayError::Unreachable(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base_url: settings.base_url.clone(),
            api_key: settings.api_key.clone(),
            private_key: settings.private_key.clone(),
            merchant_code: settings.merchant_code.clone(),
        })
    }

    pub fn merchant_code(&self) -> &str {
        &self.merchant_code
    }

    pub fn sign_transaction(&self, merchant_ref: &str, amount: i64) -> String {
        signature::transaction_signature(
            self.private_key.expose(),
            &self.merchant_code,
            merchant_ref,
            amount,
        )
    }

    pub fn verify_callback(&self, raw_body: &[u8], presented: &str) -> bool {
        signature::verify_callback(self.private_key.expose(), raw_body, presented)
    }

    /// `GET /merchant/payment-channel`.
    pub async fn payment_channels(&self) -> Result<Vec<PaymentChannel>, TripayError> {
        let request = self
            .http
            .get(format!("{}/merchant/payment-channel", self.base_url));
        self.send(request).await
    }

    /// `POST /transaction/create` (closed payment).
    pub async fn create_transaction(
        &self,
        req: &CreateTransaction,
    ) -> Result<Transaction, TripayError> {
        let request = self
            .http
            .post(format!("{}/transaction/create", self.base_url))
            .json(req);
        self.send(request).await
    }

    /// `GET /transaction/detail?reference=…`.
    pub async fn transaction_detail(&self, reference: &str) -> Result<Transaction, TripayError> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/transaction/detail", self.base_url),
            &[("reference", reference)],
        )
        .map_err(|e| TripayError::Unreachable(format!("bad base URL: {e}")))?;
        self.send(self.http.get(url)).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, TripayError> {
        let response = request
            .bearer_auth(self.api_key.expose())
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| TripayError::Unreachable(describe(&e)))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TripayError::Unreachable(describe(&e)))?;
        classify(status, &bytes)
    }
}

fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        e.to_string()
    }
}

/// Tripay's envelope `{"success", "message", "data"}` by HTTP status.
fn classify<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T, TripayError> {
    let bad = |detail: String| TripayError::BadResponse {
        status: status.as_u16(),
        detail,
    };
    if status.is_server_error() {
        return Err(bad(snippet(bytes)));
    }
    let envelope: Value = serde_json::from_slice(bytes).map_err(|_| bad(snippet(bytes)))?;
    let success = envelope["success"].as_bool();
    let message = envelope["message"].as_str().unwrap_or("").to_owned();
    match success {
        Some(false) if status.is_success() || status.is_client_error() => {
            Err(TripayError::Rejected {
                status: status.as_u16(),
                message,
            })
        }
        Some(true) if status.is_success() => {
            T::deserialize(&envelope["data"]).map_err(|e| bad(format!("unexpected data: {e}")))
        }
        _ if status.is_client_error() => Err(TripayError::Rejected {
            status: status.as_u16(),
            message: if message.is_empty() {
                snippet(bytes)
            } else {
                message
            },
        }),
        _ => Err(bad(snippet(bytes))),
    }
}

fn snippet(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        let ok: Result<Vec<Value>, _> = classify(
            StatusCode::OK,
            br#"{"success":true,"message":"","data":[]}"#,
        );
        assert_eq!(ok, Ok(vec![]));
        let refused: Result<Value, _> = classify(
            StatusCode::BAD_REQUEST,
            br#"{"success":false,"message":"Invalid signature"}"#,
        );
        assert_eq!(
            refused,
            Err(TripayError::Rejected {
                status: 400,
                message: "Invalid signature".into()
            })
        );
        let soft: Result<Value, _> = classify(
            StatusCode::OK,
            br#"{"success":false,"message":"Payment channel is not enabled"}"#,
        );
        assert!(matches!(
            soft,
            Err(TripayError::Rejected { status: 200, .. })
        ));
        let down: Result<Value, _> = classify(StatusCode::BAD_GATEWAY, b"<html>");
        assert!(matches!(
            down,
            Err(TripayError::BadResponse { status: 502, .. })
        ));
        let garbage: Result<Value, _> = classify(StatusCode::OK, b"<html>");
        assert!(matches!(
            garbage,
            Err(TripayError::BadResponse { status: 200, .. })
        ));
        let shapeless: Result<Vec<Value>, _> = classify(
            StatusCode::OK,
            br#"{"success":true,"data":{"not":"a list"}}"#,
        );
        assert!(matches!(shapeless, Err(TripayError::BadResponse { .. })));
        let no_envelope: Result<Value, _> = classify(StatusCode::UNAUTHORIZED, b"denied");
        assert!(matches!(
            no_envelope,
            Err(TripayError::BadResponse { status: 401, .. })
        ));
    }
}
