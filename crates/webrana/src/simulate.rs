//! `webrana simulate <api>`: a third party's offline stand-in as its own process, so services
//! reach it through their ordinary base-URL setting (integrations.md §5).

use std::net::SocketAddr;

use anyhow::Context;

use crate::cli::{SimulateArgs, Simulator};

pub async fn run(args: SimulateArgs) -> anyhow::Result<()> {
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    platform::telemetry::init(args.simulator.label(), &level);
    let set = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name.to_owned(), v))
    };
    let port = match args
        .simulator
        .port_var()
        .and_then(set)
        .or_else(|| set("PORT"))
    {
        Some((name, raw)) => raw
            .trim()
            .parse()
            .with_context(|| format!("{name}={raw:?} is not a port number"))?,
        None => args.simulator.default_port(),
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
        Simulator::Tripay => {
            let config = simulators::tripay::TripaySimConfig::from_env()
                .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            simulators::tripay::serve(listener, config, platform::http::shutdown_signal()).await?;
        }
        Simulator::Smtp => {
            let config = simulators::smtp::SmtpSinkConfig::from_env()
                .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            let smtp_addr = SocketAddr::new(args.host, config.smtp_port);
            let smtp = tokio::net::TcpListener::bind(smtp_addr)
                .await
                .with_context(|| format!("cannot listen on {smtp_addr}"))?;
            simulators::smtp::serve(smtp, listener, config, platform::http::shutdown_signal())
                .await?;
        }
        Simulator::Telegram => {
            let config = simulators::telegram::TelegramSimConfig::from_env()
                .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            simulators::telegram::serve(listener, config, platform::http::shutdown_signal())
                .await?;
        }
    }
    Ok(())
}
