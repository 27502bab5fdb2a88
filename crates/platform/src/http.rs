//! The HTTP shell every service shares: request ids, client IPs, the access log and request
//! metrics, security headers, CORS, the 1 MiB body limit, envelopes for axum's own failures,
//! success envelopes and graceful serving (platform.md §2, §4, §7, §9, §11, §12).

use std::future::IntoFuture;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, MatchedPath, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::Instrument;

use crate::config::AppEnv;
use crate::error::AppError;
use crate::ratelimit::RateStatus;

pub const MAX_BODY_BYTES: usize = 1024 * 1024;
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// Per-request facts gathered by the middleware and read by handlers, extractors and the
/// access log.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub request_id: String,
    pub client_ip: IpAddr,
    actor: Arc<Mutex<Option<String>>>,
    rate: Arc<Mutex<Option<RateStatus>>>,
}

impl RequestContext {
    pub fn set_actor(&self, identity: &str) {
        if let Ok(mut slot) = self.actor.lock() {
            *slot = Some(identity.to_string());
        }
    }

    pub fn actor(&self) -> Option<String> {
        self.actor.lock().ok().and_then(|slot| slot.clone())
    }

    /// Remembers the rate-limit window of this request; the middleware turns it into the
    /// `X-RateLimit-*` headers of the response.
    pub fn set_rate(&self, status: Option<RateStatus>) {
        if let (Some(status), Ok(mut slot)) = (status, self.rate.lock()) {
            *slot = Some(status);
        }
    }

    fn rate(&self) -> Option<RateStatus> {
        self.rate.lock().ok().and_then(|slot| *slot)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<RequestContext>()
            .cloned()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("RequestContext layer missing")))
    }
}

/// What the shared layers need to know about the service.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `auth-service`, `catalog-service`, … (the `X-Service-Name` of platform.md §1).
    pub service_name: &'static str,
    pub app_env: AppEnv,
    pub cors_origins: Vec<String>,
    pub trusted_proxy_hops: usize,
}

/// Keeps an incoming id of 1–128 characters from `[A-Za-z0-9._:-]`, else makes a new one.
pub fn accept_request_id(incoming: Option<&str>) -> String {
    match incoming {
        Some(id)
            if (1..=128).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._:-".contains(c)) =>
        {
            id.to_string()
        }
        _ => uuid::Uuid::new_v4().to_string(),
    }
}

/// The client IP of platform.md §7: the TCP peer, or with `hops` > 0 the hops-th entry from the
/// right of `X-Forwarded-For` (the leftmost when there are fewer).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, hops: usize) -> IpAddr {
    if hops == 0 {
        return peer;
    }
    let entries: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if entries.is_empty() {
        return peer;
    }
    let index = entries.len().saturating_sub(hops);
    entries[index]
}

async fn request_context(
    settings: axum::extract::State<Arc<HttpSettings>>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let request_id = accept_request_id(
        req.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let ctx = RequestContext {
        request_id: request_id.clone(),
        client_ip: client_ip(peer, req.headers(), settings.trusted_proxy_hops),
        actor: Arc::new(Mutex::new(None)),
        rate: Arc::new(Mutex::new(None)),
    };
    req.extensions_mut().insert(ctx.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    // Present because this layer wraps each route (`Router::layer`); absent for the fallback.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let authenticated = req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key("x-api-key");

    let span = tracing::info_span!("request", requestId = %request_id);
    let mut response = next.run(req).instrument(span.clone()).await;

    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(REQUEST_ID_HEADER, v);
    }
    set_security_headers(headers, settings.app_env, authenticated);
    if let Some(rate) = ctx.rate() {
        // A 429 already carries its own headers; every other answer of a limited route gets them.
        for (name, value) in rate.headers() {
            headers.entry(name).or_insert(value);
        }
    }

    let elapsed = started.elapsed();
    crate::metrics::record_request(
        settings.service_name,
        &method,
        route.as_ref().map(MatchedPath::as_str),
        response.status(),
        elapsed,
    );
    // Lets an in-process caller (the document/router parity tests) see which route answered.
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    let status = response.status().as_u16();
    let duration_ms = elapsed.as_secs_f64() * 1000.0;
    let actor = ctx.actor().unwrap_or_else(|| "anonymous".into());
    span.in_scope(|| {
        tracing::info!(
            target: "access",
            method = %method,
            path = %path,
            status,
            durationMs = (duration_ms * 100.0).round() / 100.0,
            actor = %actor,
            "request completed"
        )
    });
    response
}

fn set_security_headers(headers: &mut HeaderMap, app_env: AppEnv, authenticated: bool) {
    let fixed: [(&str, &str); 4] = [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        (
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ),
    ];
    // A route may set its own policy (Swagger UI needs scripts); the strict one is the default.
    for (name, value) in fixed {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(HeaderValue::from_static(value));
    }
    if authenticated {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if app_env.is_production() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}

/// Gives every error response without our envelope one: axum's own rejections (405, 413, a bad
/// path segment), and anything a layer produced with an empty body.
async fn envelope_guard(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut fresh = AppError::from_status(status).into_response();
    for (name, value) in parts.headers.iter() {
        if name == header::ALLOW || name == header::RETRY_AFTER || name == header::WWW_AUTHENTICATE
        {
            fresh.headers_mut().insert(name.clone(), value.clone());
        }
    }
    fresh
}

async fn not_found() -> AppError {
    AppError::not_found()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    AppError::internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// Wraps a service's routes with the shared layers. Call it last, after all routes are added.
pub fn finish_router(routes: Router, settings: HttpSettings) -> Router {
    let settings = Arc::new(settings);
    let cors = cors_layer(&settings.cors_origins);
    routes
        .fallback(not_found)
        .layer(middleware::from_fn(envelope_guard))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(cors)
        .layer(middleware::from_fn_with_state(settings, request_context))
}

fn cors_layer(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static(REQUEST_ID_HEADER),
        ])
        .expose_headers([
            HeaderName::from_static(REQUEST_ID_HEADER),
            header::RETRY_AFTER,
            HeaderName::from_static("x-ratelimit-limit"),
            HeaderName::from_static("x-ratelimit-remaining"),
            HeaderName::from_static("x-ratelimit-reset"),
        ])
        .max_age(Duration::from_secs(600))
}

/// `200 {"data": …}`.
#[derive(Debug)]
pub struct Data<T>(pub T);

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        axum::Json(serde_json::json!({ "data": self.0 })).into_response()
    }
}

/// `201 {"data": …}` with `Location`.
#[derive(Debug)]
pub struct Created<T> {
    pub location: String,
    pub body: T,
}

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        let mut response = (
            StatusCode::CREATED,
            axum::Json(serde_json::json!({ "data": self.body })),
        )
            .into_response();
        if let Ok(v) = HeaderValue::from_str(&self.location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        response
    }
}

/// Serves until SIGTERM or Ctrl-C, then lets in-flight requests finish for up to 10 seconds
/// (platform.md §12).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (signalled_tx, mut signalled_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        let _ = signalled_tx.send(true);
    })
    .into_future();
    let drain_deadline = async move {
        let _ = signalled_rx.wait_for(|s| *s).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    };
    tokio::select! {
        result = server => result,
        _ = drain_deadline => {
            tracing::warn!("in-flight requests still running 10 s after shutdown; stopping anyway");
            Ok(())
        }
    }
}

/// Resolves on SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutdown signal received");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_kept_or_replaced() {
        assert_eq!(accept_request_id(Some("abc-123:x.y_z")), "abc-123:x.y_z");
        assert_ne!(accept_request_id(Some("has space")), "has space");
        assert_ne!(accept_request_id(Some(&"a".repeat(129))), "a".repeat(129));
        assert_eq!(accept_request_id(None).len(), 36);
    }

    #[test]
    fn client_ip_follows_trusted_hops() {
        let peer: IpAddr = "10.0.0.9".parse().expect("ip");
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 2.2.2.2, 3.3.3.3"),
        );
        assert_eq!(client_ip(peer, &headers, 0), peer);
        assert_eq!(client_ip(peer, &headers, 1).to_string(), "3.3.3.3");
        assert_eq!(client_ip(peer, &headers, 2).to_string(), "2.2.2.2");
        assert_eq!(client_ip(peer, &headers, 5).to_string(), "1.1.1.1");
        assert_eq!(client_ip(peer, &HeaderMap::new(), 1), peer);
    }
}
