//! `GET /metrics` in the Prometheus text format (platform.md §2, §9).
//!
//! Counters and histograms are process-wide `static`s ([`CounterVec`], [`HistogramVec`]) so
//! that domain code bumps them where the event happens, without threading a registry through
//! its state; a family appears in the exposition from its first use. Values that live in the
//! database (job queue depths) are read at scrape time by the service's [`Collector`]s, passed
//! to [`crate::service::application`] as [`Sources`].
//!
//! The route is open like the health routes: the public edge does not forward `/metrics`
//! (platform.md §2), so only the internal network can scrape it, and nothing in it identifies a
//! customer (labels are route templates, queue names and outcomes, never ids).

mod family;
pub mod text;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;

pub use family::{CounterVec, DEFAULT_BUCKETS, HistogramVec};
pub use text::{CONTENT_TYPE, Exposition, Kind};

pub const PATH: &str = "/metrics";

/// The `route` of a request no route matched (the 404 fallback): raw paths would give every
/// scanner probe its own series.
pub const UNMATCHED_ROUTE: &str = "unmatched";

pub static HTTP_REQUESTS: CounterVec = CounterVec::new(
    "http_requests_total",
    "HTTP requests answered, by service, method, route template and status code.",
    &["service", "method", "route", "status"],
);

pub static HTTP_DURATION: HistogramVec = HistogramVec::new(
    "http_request_duration_seconds",
    "Time from receiving a request to its response headers, by service, method, route \
     template and status code.",
    &["service", "method", "route", "status"],
    DEFAULT_BUCKETS,
);

/// Methods outside this list share one label value, so arbitrary method names sent by clients
/// cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts one answered request; `route` is axum's `MatchedPath` (the template, e.g.
/// `/api/v1/orders/{id}`), `None` for the fallback.
pub fn record_request(
    service: &str,
    method: &Method,
    route: Option<&str>,
    status: StatusCode,
    elapsed: Duration,
) {
    let labels = [
        service,
        method_label(method),
        route.unwrap_or(UNMATCHED_ROUTE),
        status.as_str(),
    ];
    HTTP_REQUESTS.inc(&labels);
    HTTP_DURATION.observe(&labels, elapsed.as_secs_f64());
}

/// Writes families computed at scrape time. A collector gathers first and writes after, so an
/// error leaves no half-written family; it reports failures in its own metrics rather than
/// failing the scrape.
pub trait Collector: Send + Sync + 'static {
    fn collect<'a>(&'a self, out: &'a mut Exposition) -> BoxFuture<'a, ()>;
}

/// The service's scrape-time collectors, in addition to the process-wide families.
#[derive(Clone, Default)]
pub struct Sources {
    collectors: Vec<Arc<dyn Collector>>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, collector: impl Collector) -> Self {
        self.collectors.push(Arc::new(collector));
        self
    }
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("collectors", &self.collectors.len())
            .finish()
    }
}

/// The whole exposition: every registered family, then the collectors'.
pub async fn render(sources: &Sources) -> String {
    let mut out = Exposition::new();
    family::render_registered(&mut out);
    for collector in &sources.collectors {
        collector.collect(&mut out).await;
    }
    out.into_string()
}

async fn scrape(State(sources): State<Arc<Sources>>) -> Response {
    let mut response = render(&sources).await.into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// `GET /metrics`; merged into every service by [`crate::service::application`].
pub fn router(sources: Sources) -> Router {
    Router::new()
        .route(PATH, get(scrape))
        .with_state(Arc::new(sources))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Collector for Fixed {
        fn collect<'a>(&'a self, out: &'a mut Exposition) -> BoxFuture<'a, ()> {
            Box::pin(async move {
                out.family("metrics_test_fixed", "A collector's gauge.", Kind::Gauge);
                out.sample("metrics_test_fixed", &[("queue", "q1")], 7u64);
            })
        }
    }

    #[test]
    fn odd_methods_share_a_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let custom = Method::from_bytes(b"PROPFIND").expect("valid method");
        assert_eq!(method_label(&custom), "OTHER");
    }

    #[tokio::test]
    async fn requests_are_counted_by_template_and_collectors_are_appended() {
        let service = "metrics-unit-test";
        record_request(
            service,
            &Method::GET,
            Some("/api/v1/orders/{id}"),
            StatusCode::OK,
            Duration::from_millis(3),
        );
        record_request(
            service,
            &Method::GET,
            None,
            StatusCode::NOT_FOUND,
            Duration::from_millis(1),
        );
        let text = render(&Sources::new().with(Fixed)).await;
        assert!(text.contains(
            "http_requests_total{service=\"metrics-unit-test\",method=\"GET\",\
             route=\"/api/v1/orders/{id}\",status=\"200\"} 1\n"
        ));
        assert!(text.contains(
            "http_requests_total{service=\"metrics-unit-test\",method=\"GET\",\
             route=\"unmatched\",status=\"404\"} 1\n"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{service=\"metrics-unit-test\",method=\"GET\",\
             route=\"/api/v1/orders/{id}\",status=\"200\",le=\"0.005\"} 1\n"
        ));
        assert!(text.contains("# TYPE http_request_duration_seconds histogram\n"));
        assert!(text.ends_with(
            "# HELP metrics_test_fixed A collector's gauge.\n\
             # TYPE metrics_test_fixed gauge\n\
             metrics_test_fixed{queue=\"q1\"} 7\n"
        ));
    }
}
