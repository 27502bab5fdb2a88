//! The ceiling `bench/catalog.sh` measures the catalog against, in the same run and on the same
//! cores: what this machine's HTTP stack can do when a request does no work at all.
//!
//! - `GET /hello` — a bare axum route answering `Hello, world!`: axum + hyper + tokio alone.
//! - `GET /shell/hello` — the same answer as `{"data": "Hello, world!"}` behind
//!   `platform::http::finish_router`, the layers every service runs (request id, JSON access log
//!   line, security headers, CORS, body limit, panic guard). The gap between the two is the
//!   platform shell's own cost; the gap between this and a catalog route is the catalog's work.
//!
//! `cargo run --release -p webrana --example hello_ceiling -- 127.0.0.1:39100`
//! (loopback only; logs go to stdout like a service's, at `LOG_LEVEL`, default info).

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use platform::config::AppEnv;
use platform::http::{Data, HttpSettings, finish_router};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:39100".into())
        .parse()?;
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "hello_ceiling only listens on loopback"
    );
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    platform::telemetry::init("hello-ceiling", &level);

    let shell = finish_router(
        Router::new().route("/shell/hello", get(|| async { Data("Hello, world!") })),
        HttpSettings {
            service_name: "hello-ceiling",
            app_env: AppEnv::Development,
            cors_origins: vec![],
            trusted_proxy_hops: 0,
        },
    );
    let app = Router::new()
        .route("/hello", get(|| async { "Hello, world!" }))
        .merge(shell);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "hello ceiling listening");
    platform::http::serve(listener, app, platform::http::shutdown_signal()).await?;
    Ok(())
}
