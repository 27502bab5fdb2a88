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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
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
}

/// An HTTP stand-in for another service or a third party: answers every request with the
/// configured status and body and records it.
pub struct FakeService {
    pub server: TestServer,
    state: FakeState,
}

impl FakeService {
    pub async fn start(status: u16, body: Value) -> Self {
        let state = FakeState {
            requests: Arc::new(Mutex::new(Vec::new())),
            response: Arc::new(Mutex::new((status, body))),
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

    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
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
    let (status, body) = state
        .response
        .lock()
        .map(|r| r.clone())
        .unwrap_or((500, Value::Null));
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        axum::Json(body),
    )
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
