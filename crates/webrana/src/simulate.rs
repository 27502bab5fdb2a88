//! `webrana simulate <api>`: a third party's offline stand-in as its own process, so services
//! reach it through their ordinary base-URL setting (integrations.md §5).

use std::net::SocketAddr;

use anyhow::Context;

use crate::cli::{SimulateArgs, Simulator};

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    platform::telemetry::init(args.simulator.label(), &level);
    let port = match std::env::var("PORT") {
        Ok(raw) => raw
            .trim()
            .parse()
            .with_context(|| format!("PORT={raw:?} is not a port number"))?,
        Err(_) => args.simulator.default_port(),
    };
    let addr = SocketAddr::new(args.host, port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    match args.simulator {
        Simulator::DigitalOcean => {
            let config = simulators::digitalocean::DoSimConfig::from_env()
                .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            simulators::digitalocean::serve(listener, config, platform::http::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
