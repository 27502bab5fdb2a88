//! What `webrana dev` needs before any service starts: PostgreSQL and Redis accepting
//! connections, one database per service, and development secrets that survive restarts.

use std::net::IpAddr;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use crate::keygen;

/// How long a freshly started PostgreSQL or Redis gets to accept connections.
const DEPENDENCY_START_TIMEOUT: Duration = Duration::from_secs(30);

/// Connection options for the server's `postgres` database, where `CREATE DATABASE` is issued.
pub fn admin_options(postgres_url: &str) -> anyhow::Result<PgConnectOptions> {
    let options = PgConnectOptions::from_str(postgres_url).with_context(
        || "--postgres-url is not a valid PostgreSQL URL (postgres://user@host:port)",
    )?;
    Ok(options.database("postgres"))
}

/// The server URL with its database path replaced, keeping credentials and query parameters.
pub fn database_url(server_url: &str, database: &str) -> anyhow::Result<String> {
    let Some((scheme, rest)) = server_url.split_once("://") else {
        bail!("--postgres-url must look like postgres://user@host:port");
    };
    // Credentials must percent-encode '/' and '?', so the first of them ends the authority.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let query = rest[authority_end..]
        .find('?')
        .map(|i| &rest[authority_end + i..])
        .unwrap_or("");
    Ok(format!("{scheme}://{authority}/{database}{query}"))
}

/// Host and port of a `redis://` or `rediss://` URL; `None` for sockets or unparseable values,
/// which dev then leaves alone.
pub fn redis_endpoint(url: &str) -> Option<(String, u16)> {
    let rest = url
        .strip_prefix("redis://")
        .or_else(|| url.strip_prefix("rediss://"))?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority
        .rsplit_once('@')
        .map(|(_, hp)| hp)
        .unwrap_or(authority);
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match host_port.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 6379,
    };
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    Some((host.to_string(), port))
}

pub fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

pub async fn accepts(host: &str, port: u16) -> bool {
    let connect = tokio::net::TcpStream::connect((host, port));
    matches!(
        tokio::time::timeout(Duration::from_secs(1), connect).await,
        Ok(Ok(_))
    )
}

pub async fn ensure_postgres(options: &PgConnectOptions, may_start: bool) -> anyhow::Result<()> {
    let (host, port) = (options.get_host().to_string(), options.get_port());
    let socket = host.starts_with('/');
    if !socket && !accepts(&host, port).await {
        if !(may_start && is_loopback(&host)) {
            bail!(
                "PostgreSQL is not accepting connections on {host}:{port}; start it, or point --postgres-url \
                 (WEBRANA_DEV_POSTGRES_URL) at a running server"
            );
        }
        eprintln!("dev: PostgreSQL is not running on {host}:{port}; starting the local cluster");
        start_postgres().await?;
    }
    wait_for_postgres(options).await
}

/// Debian's cluster wrapper, because that is how PostgreSQL is installed on our machines; with
/// several versions installed the newest wins.
async fn start_postgres() -> anyhow::Result<()> {
    let version = std::fs::read_dir("/etc/postgresql")
        .context("no PostgreSQL cluster found under /etc/postgresql; start PostgreSQL yourself")?
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter_map(|name| name.parse::<f64>().ok().map(|n| (n, name)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
        .context(
            "no PostgreSQL version directory under /etc/postgresql; start PostgreSQL yourself",
        )?;
    run_quietly(
        "pg_ctlcluster",
        &["--skip-systemctl-redirect", &version, "main", "start"],
    )
    .await
}

async fn wait_for_postgres(options: &PgConnectOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        match PgConnection::connect_with(options).await {
            Ok(conn) => {
                let _ = conn.close().await;
                return Ok(());
            }
            Err(err) if still_starting(&err) && started.elapsed() < DEPENDENCY_START_TIMEOUT => {
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(err) => {
                return Err(anyhow::Error::new(err).context(format!(
                    "cannot connect to PostgreSQL at {}:{} as {:?}",
                    options.get_host(),
                    options.get_port(),
                    options.get_username()
                )));
            }
        }
    }
}

/// Refused connections and "the database system is starting up" pass; a wrong password or a
/// missing role will not fix itself, so those fail at once.
fn still_starting(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| code == "57P03"),
        _ => false,
    }
}

pub async fn ensure_redis(url: &str, may_start: bool) -> anyhow::Result<()> {
    let Some((host, port)) = redis_endpoint(url) else {
        eprintln!("dev: REDIS_URL is not a redis:// URL with a host; not checking it");
        return Ok(());
    };
    if accepts(&host, port).await {
        return Ok(());
    }
    if !(may_start && is_loopback(&host)) {
        bail!(
            "Redis is not accepting connections on {host}:{port}; start it, or point --redis-url (REDIS_URL) at a running server"
        );
    }
    eprintln!(
        "dev: Redis is not running on {host}:{port}; starting a local one that keeps nothing on disk"
    );
    let bind = if host == "localhost" {
        "127.0.0.1".to_string()
    } else {
        host.clone()
    };
    let port_arg = port.to_string();
    run_quietly(
        "redis-server",
        &[
            "--daemonize",
            "yes",
            "--bind",
            &bind,
            "--port",
            &port_arg,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
    )
    .await?;
    let started = Instant::now();
    while !accepts(&host, port).await {
        if started.elapsed() > DEPENDENCY_START_TIMEOUT {
            bail!("Redis was started but does not accept connections on {host}:{port}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn run_quietly(program: &str, args: &[&str]) -> anyhow::Result<()> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run {program}; is it installed and on PATH?"))?;
    if !output.status.success() {
        bail!(
            "{program} {} failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

/// Creates each missing database; returns the ones it created.
pub async fn create_databases(
    admin: &PgConnectOptions,
    names: &[&str],
) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::connect_with(admin)
        .await
        .context("cannot connect to the postgres database")?;
    let mut created = Vec::new();
    for &name in names {
        // Only our own fixed names reach this, but CREATE DATABASE cannot take a bind parameter,
        // so the identifier is checked rather than trusted.
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            bail!("refusing to create a database named {name:?}");
        }
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await?;
        if exists {
            continue;
        }
        match sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&mut conn)
            .await
        {
            Ok(_) => created.push(name.to_string()),
            // Another dev process created it between our check and our CREATE.
            Err(sqlx::Error::Database(db)) if db.code().is_some_and(|c| c == "42P04") => {}
            Err(err) => {
                return Err(
                    anyhow::Error::new(err).context(format!("cannot create database {name}"))
                );
            }
        }
    }
    let _ = conn.close().await;
    Ok(created)
}

/// Secrets generated once per checkout and kept under the state directory, so restarting dev
/// keeps issued tokens valid and the services agreeing on one API key.
#[derive(Clone)]
pub struct DevSecrets {
    pub private_pem: String,
    pub public_pem: String,
    pub internal_api_key: String,
    /// `CREDENTIALS_ENCRYPTION_KEY` of order and notification (64 hex characters).
    pub credentials_key: String,
}

const API_KEY_FILE: &str = "internal-api-key";
const CREDENTIALS_KEY_FILE: &str = "credentials-encryption-key";

pub fn dev_secrets(state_dir: &Path) -> anyhow::Result<DevSecrets> {
    let keys = state_dir.join("keys");
    let private = keys.join(keygen::PRIVATE_FILE);
    let public = keys.join(keygen::PUBLIC_FILE);
    if !(private.exists() && public.exists()) {
        // Half a pair is useless: a new private key needs its own public key.
        let pair = platform::keys::generate_rsa_2048()?;
        keygen::write_pair(&keys, &pair, true)?;
        eprintln!(
            "dev: generated a development JWT key pair in {}",
            keys.display()
        );
    }
    let private_pem = std::fs::read_to_string(&private)
        .with_context(|| format!("cannot read {}", private.display()))?;
    let public_pem = std::fs::read_to_string(&public)
        .with_context(|| format!("cannot read {}", public.display()))?;

    let internal_api_key = persisted_hex_secret(state_dir, API_KEY_FILE, "INTERNAL_API_KEY")?;
    let credentials_key = persisted_hex_secret(
        state_dir,
        CREDENTIALS_KEY_FILE,
        "CREDENTIALS_ENCRYPTION_KEY",
    )?;
    Ok(DevSecrets {
        private_pem,
        public_pem,
        internal_api_key,
        credentials_key,
    })
}

/// 32 random bytes as 64 hex characters, kept in `state_dir/file` so restarts reuse them (a new
/// encryption key would make stored secrets unreadable, a new API key would strand jobs).
fn persisted_hex_secret(state_dir: &Path, file: &str, what: &str) -> anyhow::Result<String> {
    let path = state_dir.join(file);
    if !path.exists() {
        std::fs::create_dir_all(state_dir)
            .with_context(|| format!("cannot create {}", state_dir.display()))?;
        keygen::write_file(&path, &random_hex(32)?, 0o600, false)?;
        eprintln!("dev: generated a development {what} in {}", path.display());
    }
    let value = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .trim()
        .to_string();
    if value.len() != 64 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!(
            "{} must hold 64 hexadecimal characters; delete it and dev makes a new one",
            path.display()
        );
    }
    Ok(value)
}

fn random_hex(bytes: usize) -> anyhow::Result<String> {
    let mut buf = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut buf)
        .map_err(|_| anyhow::anyhow!("the system random generator failed"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_url_replaces_only_the_path() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432",
                "postgres://postgres@127.0.0.1:5432/webrana_auth",
            ),
            (
                "postgres://postgres@127.0.0.1:5432/",
                "postgres://postgres@127.0.0.1:5432/webrana_auth",
            ),
            (
                "postgres://u:p%2F@db:6543/postgres?sslmode=disable",
                "postgres://u:p%2F@db:6543/webrana_auth?sslmode=disable",
            ),
            (
                "postgresql://db?sslmode=require",
                "postgresql://db/webrana_auth?sslmode=require",
            ),
        ];
        for (server, expected) in cases {
            assert_eq!(
                database_url(server, "webrana_auth").expect("valid"),
                expected,
                "{server}"
            );
        }
        assert!(database_url("127.0.0.1:5432", "x").is_err());
    }

    #[test]
    fn redis_endpoint_finds_host_and_port() {
        assert_eq!(
            redis_endpoint("redis://127.0.0.1:6379"),
            Some(("127.0.0.1".into(), 6379))
        );
        assert_eq!(
            redis_endpoint("redis://:secret@cache.internal:6380/2"),
            Some(("cache.internal".into(), 6380))
        );
        assert_eq!(
            redis_endpoint("rediss://user:pw@localhost"),
            Some(("localhost".into(), 6379))
        );
        assert_eq!(
            redis_endpoint("redis://[::1]:7000"),
            Some(("::1".into(), 7000))
        );
        assert_eq!(redis_endpoint("unix:///tmp/redis.sock"), None);
        assert_eq!(redis_endpoint("redis://host:notaport"), None);
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("localhost"));
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("10.0.0.5"));
        assert!(!is_loopback("db.example.com"));
    }

    #[test]
    fn dev_secrets_are_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("webrana-dev-secrets-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = dev_secrets(&dir).expect("created");
        assert_eq!(first.internal_api_key.len(), 64);
        assert!(first.private_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let second = dev_secrets(&dir).expect("reused");
        assert_eq!(first.internal_api_key, second.internal_api_key);
        assert_eq!(first.public_pem, second.public_pem);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
