//! The DigitalOcean simulator, spawned in process on a random port, and a client pointed at it.

#![allow(dead_code)] // Each test binary uses a different part.

use std::time::Duration;

use digitalocean::DigitalOceanClient;
use platform::config::Secret;
use serde_json::Value;
use simulators::digitalocean::DoSimConfig;

pub const TOKEN: &str = "test-token";
pub const ORDER_ID: &str = "6f0429ea-4344-496d-bd40-1f4e47a6220c";

pub struct Sim {
    pub base_url: String,
    http: reqwest::Client,
    /// Dropping it stops the server.
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// Starts a simulator with `config` (token [`TOKEN`]).
pub async fn start(config: DoSimConfig) -> Sim {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let base_url = format!("http://{}", listener.local_addr().expect("local addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = simulators::digitalocean::serve(listener, config, async {
            let _ = rx.await;
        })
        .await;
    });
    Sim {
        base_url,
        http: reqwest::Client::new(),
        _shutdown: tx,
    }
}

/// The default test simulator: seed 0, droplets active at once.
pub async fn start_default() -> Sim {
    start(DoSimConfig::for_tests(TOKEN)).await
}

impl Sim {
    pub fn client(&self) -> DigitalOceanClient {
        self.client_with(TOKEN, Duration::from_secs(5))
    }

    pub fn client_with(&self, token: &str, timeout: Duration) -> DigitalOceanClient {
        DigitalOceanClient::new(&self.base_url, Secret::new(token), timeout).expect("client")
    }

    /// `POST /_sim/...` with a JSON body; the answer's JSON (or null).
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/_sim/{path}", self.base_url))
            .json(&body)
            .send()
            .await
            .expect("control call");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.unwrap_or(Value::Null)
    }

    /// `GET /_sim/droplets`.
    pub async fn sim_droplets(&self) -> Value {
        self.http
            .get(format!("{}/_sim/droplets", self.base_url))
            .send()
            .await
            .expect("control call")
            .json()
            .await
            .expect("json")
    }
}
