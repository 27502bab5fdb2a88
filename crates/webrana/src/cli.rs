//! The command line: what `webrana --help` shows a newcomer.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "webrana",
    version,
    about = "WeBrana Cloud backend: one binary for all five services",
    long_about = "WeBrana Cloud backend: one binary for all five services.\n\n\
        Each service (auth, catalog, order, billing, notification) runs as its own process with its own \
        port and PostgreSQL database, configured only by environment variables (see .env.example). \
        For local development, `webrana dev` starts everything for you.",
    after_help = "Getting started:\n  \
        webrana dev                      run the whole platform locally (Ctrl-C stops it)\n  \
        webrana serve auth               run one service, configured by environment variables\n  \
        webrana keygen --print-env       print a JWT key pair for a .env file\n\n\
        Every flag can also be set by the environment variable shown in its help."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole platform locally: PostgreSQL, Redis, databases, keys, demo data and every service
    Dev(DevArgs),
    /// Run one service (its HTTP API and workers), configured by environment variables
    Serve(ServeArgs),
    /// Apply one service's database migrations to DATABASE_URL, then exit
    Migrate(MigrateArgs),
    /// Load one service's demo data (idempotent; existing rows and passwords are kept), then exit
    Seed(SeedArgs),
    /// Write an RSA key pair for signing JWTs (development and tests)
    Keygen(KeygenArgs),
    /// Run an offline stand-in of a third-party API with its real wire format (development, tests)
    Simulate(SimulateArgs),
}

/// The third parties `webrana simulate` can stand in for (integrations.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Simulator {
    /// DigitalOcean API v2 (droplets boot after SIM_ACTIVE_AFTER_SECONDS; `sim:*` tags inject faults)
    #[value(name = "digitalocean")]
    DigitalOcean,
    /// Tripay payment gateway (API under /api-sandbox, a checkout page per transaction that sends
    /// signed callbacks; TRIPAY_* credentials, SIM_CALLBACK_RETRY_SECONDS)
    #[value(name = "tripay")]
    Tripay,
    /// SMTP sink: accepts every message on SIM_SMTP_PORT (2525) and shows the mailbox over HTTP
    /// (PORT) at /mailbox and /_sim/messages
    #[value(name = "smtp")]
    Smtp,
    /// Telegram Bot API (getMe, sendMessage, getUpdates for SIM_TELEGRAM_TOKEN) with the messages
    /// sent at /inbox and /_sim/messages; /_sim/updates writes to the bot as a user
    #[value(name = "telegram")]
    Telegram,
}

impl Simulator {
    pub const fn label(self) -> &'static str {
        match self {
            Simulator::DigitalOcean => "digitalocean-simulator",
            Simulator::Tripay => "tripay-simulator",
            Simulator::Smtp => "smtp-sink",
            Simulator::Telegram => "telegram-simulator",
        }
    }

    /// Ports beside the services' 3001–3005, so dev can run everything at once.
    pub const fn default_port(self) -> u16 {
        match self {
            Simulator::DigitalOcean => 3101,
            Simulator::Tripay => 3102,
            Simulator::Smtp => 3103,
            Simulator::Telegram => simulators::telegram::DEFAULT_PORT,
        }
    }

    /// A port variable of the simulator's own, read before `PORT`.
    pub const fn port_var(self) -> Option<&'static str> {
        match self {
            Simulator::Telegram => Some("SIM_TELEGRAM_PORT"),
            _ => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Which API to simulate
    #[arg(value_enum)]
    pub simulator: Simulator,

    /// Address to listen on; the port comes from PORT (digitalocean: 3101, tripay: 3102, smtp: 3103,
    /// telegram: SIM_TELEGRAM_PORT, else 3104)
    #[arg(
        long,
        env = "WEBRANA_HOST",
        default_value = "127.0.0.1",
        value_name = "IP"
    )]
    pub host: IpAddr,
}

/// The five services of platform.md §1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Service {
    /// Accounts, passwords and tokens (port 3001)
    Auth,
    /// Plans, prices, images and coupons (port 3002)
    Catalog,
    /// Orders and provisioning on DigitalOcean (port 3003)
    Order,
    /// Invoices and payments through Tripay (port 3004)
    Billing,
    /// E-mail and Telegram delivery (port 3005)
    Notification,
}

impl Service {
    #[cfg(test)]
    pub const ALL: [Service; 5] = [
        Service::Auth,
        Service::Catalog,
        Service::Order,
        Service::Billing,
        Service::Notification,
    ];

    /// The lower-case name used on the command line and in database names.
    pub const fn name(self) -> &'static str {
        match self {
            Service::Auth => "auth",
            Service::Catalog => "catalog",
            Service::Order => "order",
            Service::Billing => "billing",
            Service::Notification => "notification",
        }
    }

    /// The `X-Service-Name` and log `service` field (platform.md §1).
    pub const fn service_name(self) -> &'static str {
        match self {
            Service::Auth => "auth-service",
            Service::Catalog => "catalog-service",
            Service::Order => "order-service",
            Service::Billing => "billing-service",
            Service::Notification => "notification-service",
        }
    }

    pub const fn default_port(self) -> u16 {
        match self {
            Service::Auth => 3001,
            Service::Catalog => 3002,
            Service::Order => 3003,
            Service::Billing => 3004,
            Service::Notification => 3005,
        }
    }

    /// The local database `webrana dev` creates for it.
    pub const fn database(self) -> &'static str {
        match self {
            Service::Auth => "webrana_auth",
            Service::Catalog => "webrana_catalog",
            Service::Order => "webrana_order",
            Service::Billing => "webrana_billing",
            Service::Notification => "webrana_notification",
        }
    }

    /// `<NAME>_SERVICE_BASE_URL` of platform.md §10.1; billing has none because nobody calls it.
    pub const fn base_url_var(self) -> Option<&'static str> {
        match self {
            Service::Auth => Some("AUTH_SERVICE_BASE_URL"),
            Service::Catalog => Some("CATALOG_SERVICE_BASE_URL"),
            Service::Order => Some("ORDER_SERVICE_BASE_URL"),
            Service::Billing => None,
            Service::Notification => Some("NOTIFICATION_SERVICE_BASE_URL"),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Which service to run
    #[arg(value_enum)]
    pub service: Service,

    /// Address to listen on; the port comes from PORT (default 3001–3005, see platform.md §1)
    #[arg(
        long,
        env = "WEBRANA_HOST",
        default_value = "0.0.0.0",
        value_name = "IP"
    )]
    pub host: IpAddr,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Which service's migrations to apply
    #[arg(value_enum)]
    pub service: Service,

    /// The service's database (e.g. postgres://postgres@127.0.0.1:5432/webrana_auth)
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct SeedArgs {
    /// Which service's demo data to load; reads the same environment as `webrana serve`
    #[arg(value_enum)]
    pub service: Service,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory for jwt-private.pem and jwt-public.pem [default: .dev/keys, unless --print-env]
    #[arg(long, env = "WEBRANA_KEYGEN_OUT", value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Replace existing key files (tokens signed with the old key stop verifying)
    #[arg(long, env = "WEBRANA_KEYGEN_FORCE")]
    pub force: bool,

    /// Print JWT_PRIVATE_KEY=… and JWT_PUBLIC_KEY=… lines (literal \n) for a .env file;
    /// writes no files unless --out is given too
    #[arg(long, env = "WEBRANA_KEYGEN_PRINT_ENV")]
    pub print_env: bool,
}

#[derive(Debug, Args)]
pub struct DevArgs {
    /// PostgreSQL server that holds the local databases (webrana_auth, …); dev creates them
    /// through its `postgres` database
    #[arg(
        long,
        env = "WEBRANA_DEV_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432",
        value_name = "URL"
    )]
    pub postgres_url: String,

    /// Redis for the rate-limit counters the services share
    #[arg(
        long,
        env = "REDIS_URL",
        default_value = "redis://127.0.0.1:6379",
        value_name = "URL"
    )]
    pub redis_url: String,

    /// Where dev keeps the keys and API key it generates, so restarts keep sessions valid
    #[arg(
        long,
        env = "WEBRANA_DEV_DIR",
        default_value = ".dev",
        value_name = "DIR"
    )]
    pub state_dir: PathBuf,

    /// Never start PostgreSQL or Redis; fail if they are not already running
    #[arg(long, env = "WEBRANA_DEV_NO_START_DEPS")]
    pub no_start_deps: bool,

    /// Added to every port (3001…, 3101…, the SMTP sink's 2525), to run a second platform beside
    /// the first (the journey tests do)
    #[arg(
        long,
        env = "WEBRANA_DEV_PORT_OFFSET",
        default_value_t = 0,
        value_name = "N"
    )]
    pub port_offset: u16,

    /// Databases are named <PREFIX>_auth … <PREFIX>_notification
    #[arg(
        long,
        env = "WEBRANA_DEV_DATABASE_PREFIX",
        default_value = "webrana",
        value_name = "PREFIX"
    )]
    pub database_prefix: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn service_names_match_the_value_enum() {
        for service in Service::ALL {
            let parsed = Service::from_str(service.name(), false).expect("value enum name");
            assert_eq!(parsed, service);
            assert_eq!(service.database(), format!("webrana_{}", service.name()));
        }
    }
}
