//! Typed failures of a DigitalOcean call, classified by the table of integrations.md §2.1 so the
//! provisioning worker decides transient vs permanent from the kind, never from a message.

use std::time::Duration;

use serde::Deserialize;

use crate::ratelimit::RateLimit;

/// A failed call: what went wrong, and the rate-limit headers of the answer (default when there
/// was no answer at all).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("DigitalOcean {operation}: {kind}")]
pub struct Error {
    /// What was called, e.g. `GET /v2/droplets/{id}`; never contains the token.
    pub operation: &'static str,
    pub kind: ErrorKind,
    pub rate_limit: RateLimit,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// `401`: bad or revoked token. Transient for the order worker, logged at error level.
    #[error("token rejected ({0})")]
    Unauthorized(Box<ApiError>),
    /// `403`: token lacks scope or the account is locked. Transient, logged at error level.
    #[error("access forbidden ({0})")]
    Forbidden(Box<ApiError>),
    /// `404`: unknown droplet or action.
    #[error("not found ({0})")]
    NotFound(Box<ApiError>),
    /// `422`: invalid slug, bad name, droplet limit reached, conflicting action. The provider's
    /// message says which.
    #[error("request refused ({0})")]
    Unprocessable(Box<ApiError>),
    /// `429`: wait `retry_after` (the later of `Retry-After` and `ratelimit-reset`; `None` when
    /// the answer carried neither) before calling again.
    #[error("rate limited ({error}), retry in {retry_after:?}")]
    RateLimited {
        retry_after: Option<Duration>,
        error: Box<ApiError>,
    },
    /// `5xx`: provider outage (`server_error`, `service_unavailable`, or a proxy's page).
    #[error("provider error ({0})")]
    Server(Box<ApiError>),
    /// Any other status (`400`, `405`, `409`, a redirect, ...).
    #[error("unexpected answer ({0})")]
    Unexpected(Box<ApiError>),
    /// No complete answer within the client's timeout. A create may still have happened.
    #[error("timed out")]
    Timeout,
    /// Refused, reset, name resolution, TLS: the request may or may not have arrived.
    #[error("connection failed: {0}")]
    Connection(String),
    /// A successful status whose body is not the expected JSON. A create may still have happened.
    #[error("malformed answer (HTTP {status}): {detail}")]
    MalformedBody { status: u16, detail: String },
}

/// DigitalOcean's error body `{"id", "message", "request_id"}` plus the HTTP status. When the
/// body is not that JSON (a proxy's HTML page, say) `id` is empty and `message` holds the start
/// of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub id: String,
    pub message: String,
    pub request_id: Option<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = if self.id.is_empty() { "-" } else { &self.id };
        write!(f, "HTTP {} {id}: {}", self.status, self.message)
    }
}

/// Longest stretch of a non-JSON error body kept in [`ApiError::message`].
const MAX_SNIPPET_CHARS: usize = 200;

impl ApiError {
    /// Reads an error body leniently; never fails.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default)]
            id: Option<String>,
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            request_id: Option<String>,
        }
        if let Ok(wire) = serde_json::from_slice::<Wire>(body)
            && (wire.id.is_some() || wire.message.is_some())
        {
            return Self {
                status,
                id: wire.id.unwrap_or_default(),
                message: wire.message.unwrap_or_default(),
                request_id: wire.request_id,
            };
        }
        let text = String::from_utf8_lossy(body);
        let snippet: String = text
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_SNIPPET_CHARS)
            .collect();
        Self {
            status,
            id: String::new(),
            message: snippet.trim().to_string(),
            request_id: None,
        }
    }
}

impl ErrorKind {
    /// Classifies a non-2xx answer by its status (§2.1's table).
    pub fn from_status(status: u16, error: ApiError, retry_after: Option<Duration>) -> Self {
        // Boxed: the body is rare and large, and errors travel by value through `Result`s.
        let error = Box::new(error);
        match status {
            401 => Self::Unauthorized(error),
            403 => Self::Forbidden(error),
            404 => Self::NotFound(error),
            422 => Self::Unprocessable(error),
            429 => Self::RateLimited { retry_after, error },
            500..=599 => Self::Server(error),
            _ => Self::Unexpected(error),
        }
    }
}

impl Error {
    /// Worth trying again later: auth problems (an operator can fix the token without losing
    /// the order), rate limits, outages, timeouts, connection failures and garbled answers.
    /// Not found, refused (`422`) and other `4xx` answers are permanent.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            ErrorKind::Unauthorized(_)
            | ErrorKind::Forbidden(_)
            | ErrorKind::RateLimited { .. }
            | ErrorKind::Server(_)
            | ErrorKind::Timeout
            | ErrorKind::Connection(_)
            | ErrorKind::MalformedBody { .. } => true,
            ErrorKind::Unexpected(e) => e.status == 408,
            ErrorKind::NotFound(_) | ErrorKind::Unprocessable(_) => false,
        }
    }

    /// `401`/`403`: a configuration problem an operator must see, so it is logged at error level.
    pub fn is_auth_rejected(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Unauthorized(_) | ErrorKind::Forbidden(_)
        )
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self.kind, ErrorKind::NotFound(_))
    }

    /// Whether the provider may have acted on a create although we got no usable answer (no
    /// answer, a garbled one, or an outage mid-request), so the caller must look the droplet up
    /// by its tag before creating again (§2.2).
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Timeout
                | ErrorKind::Connection(_)
                | ErrorKind::MalformedBody { .. }
                | ErrorKind::Server(_)
        )
    }

    /// The wait a `429` asked for.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.kind {
            ErrorKind::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The provider's error body, when there was an answer with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.kind {
            ErrorKind::Unauthorized(e)
            | ErrorKind::Forbidden(e)
            | ErrorKind::NotFound(e)
            | ErrorKind::Unprocessable(e)
            | ErrorKind::Server(e)
            | ErrorKind::Unexpected(e)
            | ErrorKind::RateLimited { error: e, .. } => Some(e),
            ErrorKind::Timeout | ErrorKind::Connection(_) | ErrorKind::MalformedBody { .. } => None,
        }
    }

    /// The HTTP status of the answer, `None` when there was none.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ErrorKind::MalformedBody { status, .. } => Some(*status),
            _ => self.api_error().map(|e| e.status),
        }
    }

    /// The provider's message (kept as `error_detail` of a failed create, order.md §7.5).
    pub fn provider_message(&self) -> Option<&str> {
        self.api_error()
            .map(|e| e.message.as_str())
            .filter(|m| !m.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: u16) -> Error {
        let api = ApiError::from_body(status, br#"{"id":"x","message":"m","request_id":"r"}"#);
        Error {
            operation: "GET /v2/droplets/{id}",
            kind: ErrorKind::from_status(status, api, None),
            rate_limit: RateLimit::default(),
        }
    }

    #[test]
    fn classification_follows_the_provider_table() {
        for transient in [401, 403, 408, 429, 500, 502, 503] {
            assert!(error(transient).is_transient(), "{transient}");
        }
        for permanent in [400, 404, 405, 409, 422] {
            assert!(!error(permanent).is_transient(), "{permanent}");
        }
        assert!(error(401).is_auth_rejected());
        assert!(error(403).is_auth_rejected());
        assert!(!error(429).is_auth_rejected());
        assert!(error(404).is_not_found());
        assert!(matches!(error(422).kind, ErrorKind::Unprocessable(_)));
        assert!(matches!(error(503).kind, ErrorKind::Server(_)));
        assert!(matches!(error(400).kind, ErrorKind::Unexpected(_)));
    }

    #[test]
    fn no_answer_is_transient_and_of_unknown_outcome() {
        for kind in [
            ErrorKind::Timeout,
            ErrorKind::Connection("refused".into()),
            ErrorKind::MalformedBody {
                status: 202,
                detail: "eof".into(),
            },
        ] {
            let e = Error {
                operation: "POST /v2/droplets",
                kind,
                rate_limit: RateLimit::default(),
            };
            assert!(e.is_transient());
            assert!(e.outcome_unknown());
            assert_eq!(e.provider_message(), None);
        }
        assert!(!error(422).outcome_unknown());
    }

    #[test]
    fn reads_the_documented_error_body() {
        let api = ApiError::from_body(
            422,
            br#"{"id":"unprocessable_entity","message":"You specified an invalid size for Droplet creation.","request_id":"4b0f3ac5-8ddb-4c4b-bb84-4a4a5b0fe0b2"}"#,
        );
        assert_eq!(api.id, "unprocessable_entity");
        assert_eq!(
            api.message,
            "You specified an invalid size for Droplet creation."
        );
        assert_eq!(
            api.request_id.as_deref(),
            Some("4b0f3ac5-8ddb-4c4b-bb84-4a4a5b0fe0b2")
        );
    }

    #[test]
    fn a_non_json_error_body_keeps_a_short_snippet() {
        let page = format!(
            "<html>\n<h1>502 Bad Gateway</h1>{}</html>",
            "x".repeat(1000)
        );
        let api = ApiError::from_body(502, page.as_bytes());
        assert_eq!(api.id, "");
        assert!(api.message.starts_with("<html> <h1>502 Bad Gateway"));
        assert!(api.message.chars().count() <= MAX_SNIPPET_CHARS);
    }

    #[test]
    fn display_names_the_operation_and_the_provider_answer() {
        let shown = error(404).to_string();
        assert_eq!(
            shown,
            "DigitalOcean GET /v2/droplets/{id}: not found (HTTP 404 x: m)"
        );
    }
}
