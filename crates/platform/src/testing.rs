//! Test support (feature `testing`): a service on a random port, RSA test keys, unique Redis
//! prefixes, an HTTP fake that records what other services sent it, and token minting.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use serde_json::Value;

use crate::auth::{Claims, Role, TokenSigner};
use crate::config::{JwtAlgorithm, JwtSettings, Secret};
use crate::keys::{RsaPemPair, generate_rsa_2048};

pub const TEST_API_KEY: &str = "test-internal-api-key-0123456789abcdef";
pub const TEST_ISSUER: &str = "webrana-cloud";

/// One RSA pair per test process: key generation is the slow part of a token test.
pub fn test_keys() -> &'static RsaPemPair {
    static KEYS: OnceLock<RsaPemPair> = OnceLock::new();
    KEYS.get_or_init(|| generate_rsa_2048().expect("RSA key generation"))
}

/// A second, unrelated pair: tokens it signs must be refused.
pub fn foreign_keys() -> &'static RsaPemPair {
    static KEYS: OnceLock<RsaPemPair> = OnceLock::new();
    KEYS.get_or_init(|| generate_rsa_2048().expect("RSA key generation"))
}

pub fn rs256_settings() -> JwtSettings {
    JwtSettings {
        algorithm: JwtAlgorithm::Rs256,
        public_key_pem: Some(test_keys().public_pem.clone()),
        secret: None,
        issuer: TEST_ISSUER.into(),
    }
}

pub fn api_key() -> Secret {
    Secret::new(TEST_API_KEY)
}

pub fn signer() -> TokenSigner {
    TokenSigner::rs256(&test_keys().private_pem).expect("test signing key")
}

/// Claims as auth would issue them for a 15-minute token.
pub fn claims(sub: &str, role: Role) -> Claims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    Claims {
        sub: sub.into(),
        email: format!("{}@test.webrana.cloud", &sub[..sub.len().min(8)]),
        role,
        status: Some("ACTIVE".into()),
        token_type: "access".into(),
        iss: TEST_ISSUER.into(),
        iat: now,
        exp: now + 900,
        nbf: None,
        jti: Some(uuid::Uuid::new_v4().to_string()),
    }
}

pub fn token(sub: &str, role: Role) -> String {
    signer().sign(&claims(sub, role)).expect("sign")
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A Redis key prefix no other test shares.
pub fn unique_prefix(name: &str) -> String {
    format!("test:{name}:{}:", uuid::Uuid::new_v4().simple())
}

/// A router served on 127.0.0.1 with a random port, with peer addresses like production.
pub struct TestServer {
    pub addr: SocketAddr,
    pub base_url: String,
    pub client: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn spawn(router: Router) -> Self {
        Self::spawn_on("127.0.0.1:0".parse().expect("address"), router).await
    }

    /// On a given address, e.g. the port of a stopped server, so a restarted stand-in is found
    /// where its callers expect it.
    pub async fn spawn_on(addr: SocketAddr, router: Router) -> Self {
        let listener = tokio::net::TcpListener::bind(addr).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Self {
            addr,
            base_url: format!("http://{addr}"),
            client: reqwest::Client::new(),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).json(body)
    }

    pub fn patch(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client.patch(self.url(path)).json(body)
    }

    pub fn put(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client.put(self.url(path)).json(body)
    }

    pub fn delete(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.delete(self.url(path))
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A request received by a [`FakeService`].
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Clone)]
struct FakeState {
    requests: Arc<Mutex<Vec<Recorded>>>,
    response: Arc<Mutex<(u16, Value)>>,
    /// Answers for particular paths, over the default `response`.
    by_path: Arc<Mutex<std::collections::HashMap<String, (u16, Value)>>>,
}

/// An HTTP stand-in for another service or a third party: answers every request with the
/// configured status and body (or the one set for its path) and records it.
pub struct FakeService {
    pub server: TestServer,
    state: FakeState,
}

impl FakeService {
    pub async fn start(status: u16, body: Value) -> Self {
        let state = FakeState {
            requests: Arc::new(Mutex::new(Vec::new())),
            response: Arc::new(Mutex::new((status, body))),
            by_path: Arc::default(),
        };
        let router = Router::new().fallback(record).with_state(state.clone());
        Self {
            server: TestServer::spawn(router).await,
            state,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.server.base_url
    }

    pub fn respond_with(&self, status: u16, body: Value) {
        if let Ok(mut r) = self.state.response.lock() {
            *r = (status, body);
        }
    }

    /// The answer for requests to `path` (any method), over the default one.
    pub fn respond_to(&self, path: &str, status: u16, body: Value) {
        if let Ok(mut r) = self.state.by_path.lock() {
            r.insert(path.to_owned(), (status, body));
        }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// The requests received for `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }
}

async fn record(
    State(state): State<FakeState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if let Ok(mut requests) = state.requests.lock() {
        requests.push(Recorded {
            method,
            path: uri.path().to_string(),
            headers,
            body,
        });
    }
    let for_path = state
        .by_path
        .lock()
        .ok()
        .and_then(|m| m.get(uri.path()).cloned());
    let (status, body) = match for_path {
        Some(answer) => answer,
        None => state
            .response
            .lock()
            .map(|r| r.clone())
            .unwrap_or((500, Value::Null)),
    };
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
}

/// Sends a request and returns its status and JSON body (a non-JSON body as a string).
pub async fn send(req: reqwest::RequestBuilder) -> (reqwest::StatusCode, Value) {
    let response = req.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

/// Asserts the error envelope: the status, the code and a non-empty (Indonesian) message.
pub fn assert_error(
    status: reqwest::StatusCode,
    body: &Value,
    expected: reqwest::StatusCode,
    code: &str,
) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

/// A port nothing listens on, for "the other service is down" tests.
pub async fn closed_port_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// The JSON log lines written while the returned guard is alive on this thread (tests run on a
/// current-thread runtime, so the service's tasks log here too).
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    pub fn start(service: &'static str) -> (Self, tracing::subscriber::DefaultGuard) {
        use tracing_subscriber::layer::SubscriberExt;
        let capture = Self::default();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_subscriber::EnvFilter::new("info"))
            .with(crate::telemetry::json_layer(service, capture.clone()));
        (capture, tracing::subscriber::set_default(subscriber))
    }

    pub fn text(&self) -> String {
        self.0
            .lock()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default()
    }

    pub fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The document a service serves at `/api/openapi.json` and its router agree: every documented
/// operation is answered by the very route it documents (matched template and method), not by
/// the fallback or a 405. Requests carry no credentials, so no handler changes anything.
pub async fn assert_document_matches_router(app: Router) {
    use axum::body::Body;
    use axum::extract::MatchedPath;
    use tower::ServiceExt;

    let response = app
        .clone()
        .oneshot(
            axum::http::Request::get(crate::openapi::DOCUMENT_PATH)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible");
    assert_eq!(response.status(), 200, "the document is served");
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("document body");
    let doc: Value = serde_json::from_slice(&bytes).expect("the document is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    assert!(!paths.is_empty(), "the document lists routes");
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for reference in refs {
        let name = reference.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{reference} is referenced but not defined"
        );
    }
    let mut operation_ids = std::collections::HashSet::new();
    for (path, item) in paths {
        let uri = fill_path_params(path);
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} documents its responses"
            );
            let id = op["operationId"].as_str().unwrap_or_default().to_owned();
            assert!(
                operation_ids.insert(id.clone()),
                "operationId {id} of {method} {path} is not unique"
            );
            let request = axum::http::Request::builder()
                .method(method.to_uppercase().as_str())
                .uri(&uri)
                .header("content-type", "application/json")
                .body(Body::from("{}"))
                .expect("request");
            let response = app.clone().oneshot(request).await.expect("infallible");
            let matched = response
                .extensions()
                .get::<MatchedPath>()
                .map(|m| m.as_str().to_owned());
            assert_ne!(response.status(), 405, "{method} {path} is routed");
            assert_eq!(
                matched.as_deref(),
                Some(path.as_str()),
                "{method} {path} is answered by its own route"
            );
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

/// The other direction: the files (or directories) of a crate that build its router register
/// routes only through `routes!` (which documents them), never with a bare `.route(` or their own
/// `Router`. E.g. `assert_routes_are_documented(env!("CARGO_MANIFEST_DIR"), &["src/routes"])`.
pub fn assert_routes_are_documented(crate_dir: &str, sources: &[&str]) {
    let root = std::path::Path::new(crate_dir);
    let mut files: Vec<_> = sources.iter().map(|s| root.join(s)).collect();
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).expect("routes dir") {
                files.push(entry.expect("dir entry").path());
            }
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path)
            .expect("source")
            .replace("OpenApiRouter", "");
        for needle in [".route(", "Router::new()", ".route_service("] {
            assert!(
                !source.contains(needle),
                "{} registers a route outside the document ({needle})",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no route modules found in {sources:?}");
}

/// `/api/v1/orders/{id}` → `/api/v1/orders/00000000-0000-4000-8000-000000000000`: a value that
/// every path parameter's matcher accepts.
fn fill_path_params(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        out.push_str("00000000-0000-4000-8000-000000000000");
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Asserts that every JSON request body the document names is closed with
/// `additionalProperties: false` — the strict readers refuse unknown properties (platform.md §4)
/// — except the schemas in `open`; returns how many were checked.
pub fn assert_request_bodies_are_closed(doc: &Value, open: &[&str]) -> usize {
    let schemas = &doc["components"]["schemas"];
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Some(name) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            else {
                continue;
            };
            if open.contains(&name) {
                continue;
            }
            assert_eq!(
                schemas[name]["additionalProperties"],
                Value::Bool(false),
                "{method} {path}: {name} is open"
            );
            checked += 1;
        }
    }
    checked
}
