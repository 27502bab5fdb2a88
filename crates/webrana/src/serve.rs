//! `webrana serve`, `migrate` and `seed`: one service at a time, configured by its environment.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::cli::{MigrateArgs, SeedArgs, ServeArgs, Service};

/// Reads a service's configuration, binds its port and runs it until SIGTERM/Ctrl-C. Every
/// service crate exposes the same `Config::from_env` / `serve(config, listener, shutdown)` pair.
macro_rules! run_service {
    ($krate:ident, $host:expr) => {{
        let config =
            $krate::Config::from_env().map_err(|problems| anyhow::anyhow!("{problems}"))?;
        let listener = listen($host, config.common.port).await?;
        $krate::serve(config, listener, platform::http::shutdown_signal()).await
    }};
}

pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    // Installed before the configuration is read so that a bad variable is reported as a JSON log
    // line like every other startup failure (platform.md §13).
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".into());
    platform::telemetry::init(args.service.service_name(), &level);
    let result = match args.service {
        Service::Auth => run_service!(auth, args.host),
        Service::Catalog => run_service!(catalog, args.host),
        Service::Order => run_service!(order, args.host),
        Service::Billing => run_service!(billing, args.host),
        Service::Notification => run_service!(notification, args.host),
    };
    if let Err(err) = &result {
        tracing::error!(error = %format!("{err:#}"), "{} failed", args.service.service_name());
    }
    result
}

async fn listen(host: std::net::IpAddr, port: u16) -> anyhow::Result<tokio::net::TcpListener> {
    let addr = SocketAddr::new(host, port);
    tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
}

pub async fn migrate(args: MigrateArgs) -> anyhow::Result<()> {
    let migrator: &sqlx::migrate::Migrator = match args.service {
        Service::Auth => &auth::MIGRATOR,
        Service::Catalog => &catalog::MIGRATOR,
        Service::Order => &order::MIGRATOR,
        Service::Billing => &billing::MIGRATOR,
        Service::Notification => &notification::MIGRATOR,
    };
    let options = PgConnectOptions::from_str(&args.database_url)
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    // Never echo the URL itself: it may carry a password.
    let target = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default database)")
    );
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .with_context(|| format!("cannot connect to {target}"))?;
    migrator
        .run(&pool)
        .await
        .with_context(|| format!("migrating {target} failed"))?;
    pool.close().await;
    println!(
        "{}: {} migration(s) applied or already present on {target}",
        args.service.name(),
        migrator.iter().count()
    );
    Ok(())
}

pub async fn seed(args: SeedArgs) -> anyhow::Result<()> {
    match args.service {
        Service::Auth => {
            let config =
                auth::Config::from_env().map_err(|problems| anyhow::anyhow!("{problems}"))?;
            // Seeding needs the tables, and migrating twice is a no-op.
            let pool = auth::connect_and_migrate(&config)
                .await
                .context("cannot prepare the auth database")?;
            auth::seed::run(&pool, &config)
                .await
                .context("seeding auth failed")?;
            pool.close().await;
            println!("auth: demo users present (existing passwords were left unchanged)");
            Ok(())
        }
        Service::Catalog => {
            let config =
                catalog::Config::from_env().map_err(|problems| anyhow::anyhow!("{problems}"))?;
            let pool = catalog::connect_and_migrate(&config)
                .await
                .context("cannot prepare the catalog database")?;
            catalog::seed::run(&pool, &config)
                .await
                .context("seeding catalog failed")?;
            pool.close().await;
            println!(
                "catalog: demo plans, images, promos and coupons present (entries applied before, \
                 or edited or deleted since, were left as they are)"
            );
            Ok(())
        }
        Service::Order => {
            let config =
                order::Config::from_env().map_err(|problems| anyhow::anyhow!("{problems}"))?;
            // Refused before touching the database: the seed replaces all order data.
            if config.common.app_env.is_production() {
                anyhow::bail!(
                    "the order seed replaces all order data and never runs with APP_ENV=production"
                );
            }
            let pool = order::connect_and_migrate(&config)
                .await
                .context("cannot prepare the order database")?;
            order::seed::run(&pool, &config)
                .await
                .context("seeding order failed")?;
            pool.close().await;
            println!(
                "order: the order data was replaced by three sample orders of the seeded customer \
                 (ACTIVE, PENDING_PAYMENT, FAILED)"
            );
            Ok(())
        }
        Service::Billing => {
            // Invoices only ever come from real orders; there is nothing to seed.
            println!("billing: no seed data (invoices are created from orders)");
            Ok(())
        }
        Service::Notification => {
            let config = notification::Config::from_env()
                .map_err(|problems| anyhow::anyhow!("{problems}"))?;
            // The default templates are the only seed data, and the service writes them itself.
            let pool = notification::connect_and_migrate(&config)
                .await
                .context("cannot prepare the notification database")?;
            pool.close().await;
            println!("notification: migrated; default templates are written at startup");
            Ok(())
        }
    }
}
