//! What happens to every API request before its handler: the per-minute rate limit and its
//! headers, injected faults, and bearer-token validation. `/_sim/` routes pass untouched.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use time::OffsetDateTime;

use super::state::{FaultKind, RateDecision, Sim};
use super::wire;

/// Largest body the malformed-body fault reads back to cut short.
const MAX_BODY_BYTES: usize = 1024 * 1024;

pub(crate) async fn api_guard(
    State(sim): State<Arc<Sim>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if path == "/_sim" || path.starts_with("/_sim/") {
        return next.run(request).await;
    }
    let is_api = path == "/v2" || path.starts_with("/v2/");
    let (decision, fault, hold) = {
        let mut state = sim.lock();
        let budget = state.settings.per_minute_budget;
        let decision = state.window.take(
            budget,
            Instant::now(),
            OffsetDateTime::now_utc().unix_timestamp(),
        );
        if !decision.allowed {
            let mut response = wire::error(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                wire::TOO_MANY_REQUESTS,
                state.request_id(),
            );
            set_rate_headers(response.headers_mut(), &decision);
            set_number(
                response.headers_mut(),
                header::RETRY_AFTER,
                decision.retry_after_secs,
            );
            return response;
        }
        let fault = if is_api { state.take_fault() } else { None };
        (decision, fault, state.settings.timeout_hold)
    };
    let mut response = match fault {
        Some(FaultKind::ServerError) => outage(&sim, StatusCode::INTERNAL_SERVER_ERROR),
        Some(FaultKind::ServiceUnavailable) => outage(&sim, StatusCode::SERVICE_UNAVAILABLE),
        Some(FaultKind::Timeout) => {
            // The call takes effect; only its answer is late, like a response lost in transit.
            let response = authorized(&sim, is_api, request, next).await;
            tokio::time::sleep(hold).await;
            response
        }
        Some(FaultKind::MalformedBody) => {
            cut_short(authorized(&sim, is_api, request, next).await).await
        }
        None => authorized(&sim, is_api, request, next).await,
    };
    set_rate_headers(response.headers_mut(), &decision);
    response
}

/// Runs the handler if the request carries the configured bearer token (API routes only).
async fn authorized(sim: &Sim, is_api: bool, request: Request, next: Next) -> Response {
    if is_api && !bearer_matches(request.headers(), sim.startup.token.expose()) {
        let request_id = sim.lock().request_id();
        return wire::error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            wire::UNAUTHORIZED,
            request_id,
        );
    }
    next.run(request).await
}

fn bearer_matches(headers: &HeaderMap, token: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    match value.split_once(' ') {
        Some((scheme, given)) => scheme.eq_ignore_ascii_case("bearer") && given.trim() == token,
        None => false,
    }
}

fn outage(sim: &Sim, status: StatusCode) -> Response {
    let (id, message) = if status == StatusCode::SERVICE_UNAVAILABLE {
        ("service_unavailable", wire::SERVICE_UNAVAILABLE)
    } else {
        ("server_error", wire::SERVER_ERROR)
    };
    let request_id = sim.lock().request_id();
    wire::error(status, id, message, request_id)
}

/// Keeps status and headers but only the first half of the body, so it is not valid JSON.
async fn cut_short(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    let half = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, Body::from(half))
}

fn set_rate_headers(headers: &mut HeaderMap, decision: &RateDecision) {
    set_number(headers, "ratelimit-limit", u64::from(decision.limit));
    set_number(
        headers,
        "ratelimit-remaining",
        u64::from(decision.remaining),
    );
    set_number(headers, "ratelimit-reset", decision.reset_unix);
}

fn set_number<K, N>(headers: &mut HeaderMap, name: K, value: N)
where
    K: axum::http::header::IntoHeaderName,
    N: ToString,
{
    if let Ok(v) = HeaderValue::from_str(&value.to_string()) {
        headers.insert(name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(header::AUTHORIZATION, v);
        }
        headers
    }

    #[test]
    fn only_the_exact_bearer_token_passes() {
        assert!(bearer_matches(&with_auth("Bearer tok"), "tok"));
        assert!(bearer_matches(&with_auth("bearer tok"), "tok"));
        assert!(!bearer_matches(&with_auth("Bearer tok2"), "tok"));
        assert!(!bearer_matches(&with_auth("Basic tok"), "tok"));
        assert!(!bearer_matches(&with_auth("tok"), "tok"));
        assert!(!bearer_matches(&HeaderMap::new(), "tok"));
    }
}
