//! One whole platform per test: the five services and the four simulators as separate
//! `webrana` processes, on free ports and on databases of the test's own, wired together the way
//! `webrana dev` wires them (src/dev.rs), only faster.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::process::{Child, Command};

pub const SERVICES: [&str; 5] = ["auth", "catalog", "order", "billing", "notification"];
const SIMULATORS: [&str; 4] = ["digitalocean", "tripay", "smtp", "telegram"];
const DIGITALOCEAN_TOKEN: &str = "journey-digitalocean-token";
pub const TRIPAY_PRIVATE_KEY: &str = "journey-tripay-private-key";
/// Readiness includes migrations and hashing seed passwords in a debug build, on a shared machine.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// Knobs a scenario may change before the platform starts.
#[derive(Default)]
pub struct Options {
    /// Seconds a droplet stays `new` in the DigitalOcean simulator.
    pub boot_seconds: u32,
}

struct Process {
    child: Child,
    log: PathBuf,
}

pub struct Platform {
    ports: HashMap<&'static str, u16>,
    smtp_port: u16,
    /// Keeps this platform's Redis keys (caches, locks) apart from every other test's.
    redis_key_prefix: String,
    databases: Databases,
    dir: PathBuf,
    api_key: String,
    credentials_key: String,
    private_pem: String,
    public_pem: String,
    boot_seconds: u32,
    processes: HashMap<&'static str, Process>,
    pub http: reqwest::Client,
}

fn admin_url() -> String {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn redis_url() -> String {
    std::env::var("REDIS_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "redis://127.0.0.1:6379".into())
}

/// The admin URL with its database swapped for `name`.
fn database_url(name: &str) -> String {
    let admin = admin_url();
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b.to_string(), format!("?{q}")),
        None => (admin.clone(), String::new()),
    };
    let root = base
        .rsplit_once('/')
        .map_or(base.as_str(), |(root, _)| root);
    format!("{root}/{name}{query}")
}

/// `n` distinct free ports. The listeners are held until all are chosen: released one by one,
/// the kernel may hand the same port out twice (CI saw the SMTP sink and the DigitalOcean
/// simulator given one port).
fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<_> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a free port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("bound address").port())
        .collect()
}

fn unique_id() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{}_{}_{:x}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Drops the test's databases when the test ends, failed or not.
struct Databases {
    names: Vec<String>,
}

impl Drop for Databases {
    fn drop(&mut self) {
        let names = std::mem::take(&mut self.names);
        // A runtime of its own: this may run while the test's runtime is unwinding.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(pool) = sqlx::PgPool::connect(&admin_url()).await else {
                    return;
                };
                for name in names {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&pool).await;
                }
            });
        })
        .join();
    }
}

impl Platform {
    pub async fn start(options: Options) -> Self {
        let id = unique_id();
        let dir = std::env::temp_dir().join(format!("webrana-journey-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");

        let mut databases = Databases { names: Vec::new() };
        let admin = sqlx::PgPool::connect(&admin_url())
            .await
            .expect("PostgreSQL at DATABASE_URL");
        for service in SERVICES {
            let name = format!("journey_{id}_{service}");
            let sql = format!("CREATE DATABASE {name}");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await
                .expect("create database");
            databases.names.push(name);
        }
        admin.close().await;

        let keys = dir.join("keys");
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_webrana"))
            .args(["keygen", "--out"])
            .arg(&keys)
            .stdout(Stdio::null())
            .status()
            .expect("webrana keygen");
        assert!(status.success(), "webrana keygen failed");
        let read = |file: &str| std::fs::read_to_string(keys.join(file)).expect("key file");

        let mut free = free_ports(SERVICES.len() + SIMULATORS.len() + 1);
        let smtp_port = free.pop().expect("a port for SMTP");
        let ports = SERVICES
            .iter()
            .chain(SIMULATORS.iter())
            .copied()
            .zip(free)
            .collect();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()
            .expect("http client");
        let mut platform = Self {
            ports,
            smtp_port,
            redis_key_prefix: format!("journey:{id}:"),
            databases,
            api_key: format!("journey-internal-key-{id}-0123456789abcdef"),
            credentials_key: "7a".repeat(32),
            private_pem: read("jwt-private.pem"),
            public_pem: read("jwt-public.pem"),
            dir,
            boot_seconds: options.boot_seconds,
            processes: HashMap::new(),
            http,
        };
        // Simulators first, so every service finds its third parties listening.
        for name in SIMULATORS.iter().chain(SERVICES.iter()) {
            platform.spawn(name);
        }
        for name in SIMULATORS.iter().chain(SERVICES.iter()) {
            platform.wait_ready(name).await;
        }
        platform
    }

    pub fn url(&self, name: &str) -> String {
        format!("http://127.0.0.1:{}", self.ports[name])
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    fn ready_path(name: &str) -> &'static str {
        match name {
            "smtp" => "/_sim/messages",
            "digitalocean" | "tripay" | "telegram" => "/_sim/config",
            _ => "/health/ready",
        }
    }

    fn env(&self, name: &str) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PORT", self.ports[name].to_string()),
            ("REDIS_URL", redis_url()),
            // Without it a cached recipient of another test's notification service (the same
            // seeded user id, another e-mail address) was read here and mail went astray.
            ("REDIS_KEY_PREFIX", self.redis_key_prefix.clone()),
            ("APP_ENV", "development".into()),
            ("LOG_LEVEL", "info".into()),
            ("SEED_ON_START", "true".into()),
            ("WEBRANA_HOST", "127.0.0.1".into()),
            // Every local test client is 127.0.0.1, and registration is limited per IP.
            ("RATE_LIMIT_ENABLED", "false".into()),
            ("INTERNAL_API_KEY", self.api_key.clone()),
            ("JWT_PUBLIC_KEY", self.public_pem.clone()),
            ("CREDENTIALS_ENCRYPTION_KEY", self.credentials_key.clone()),
            ("DIGITALOCEAN_API_TOKEN", DIGITALOCEAN_TOKEN.into()),
            ("DIGITALOCEAN_API_BASE_URL", self.url("digitalocean")),
            ("DIGITALOCEAN_TIMEOUT_MS", "5000".into()),
            ("TRIPAY_API_KEY", "journey-tripay-api-key".into()),
            ("TRIPAY_PRIVATE_KEY", TRIPAY_PRIVATE_KEY.into()),
            ("TRIPAY_MERCHANT_CODE", "T99999".into()),
            (
                "TRIPAY_BASE_URL",
                format!(
                    "{}{}",
                    self.url("tripay"),
                    simulators::tripay::DEFAULT_PREFIX
                ),
            ),
            (
                "TRIPAY_CALLBACK_URL",
                format!("{}/api/v1/billing/webhooks/tripay", self.url("billing")),
            ),
            ("SMTP_HOST", "127.0.0.1".into()),
            ("SMTP_PORT", self.smtp_port.to_string()),
            ("SMTP_REQUIRE_TLS", "false".into()),
            ("SIM_SMTP_PORT", self.smtp_port.to_string()),
            // Telegram without linking (the dev test covers it): the seeded customer has no
            // chat and gets e-mail only, which keeps each scenario's expectations to mail.
            ("TELEGRAM_ENABLED", "true".into()),
            (
                "TELEGRAM_BOT_TOKEN",
                simulators::telegram::DEFAULT_TOKEN.into(),
            ),
            ("TELEGRAM_API_BASE_URL", self.url("telegram")),
            ("TELEGRAM_LINKING_ENABLED", "false".into()),
            ("SIM_TELEGRAM_PORT", self.ports["telegram"].to_string()),
            (
                "SIM_TELEGRAM_TOKEN",
                simulators::telegram::DEFAULT_TOKEN.into(),
            ),
            ("SIM_ACTIVE_AFTER_SECONDS", self.boot_seconds.to_string()),
            ("SIM_CALLBACK_RETRY_SECONDS", "1,1,1".into()),
            ("PROVISIONING_POLL_INTERVAL_MS", "200".into()),
            ("JOB_POLL_INTERVAL_MS", "100".into()),
            // A job held by a killed process comes back after its lease: keep that short.
            ("JOB_LEASE_SECONDS", "10".into()),
            ("OUTBOX_BACKOFF_BASE_SECONDS", "1".into()),
            ("OUTBOX_BACKOFF_MAX_SECONDS", "2".into()),
            ("QUEUE_BACKOFF_BASE_SECONDS", "1".into()),
            ("QUEUE_BACKOFF_MAX_SECONDS", "2".into()),
            ("AUTH_SERVICE_BASE_URL", self.url("auth")),
            ("CATALOG_SERVICE_BASE_URL", self.url("catalog")),
            ("ORDER_SERVICE_BASE_URL", self.url("order")),
            ("BILLING_SERVICE_BASE_URL", self.url("billing")),
            ("NOTIFICATION_SERVICE_BASE_URL", self.url("notification")),
        ];
        if let Some(index) = SERVICES.iter().position(|s| *s == name) {
            env.push(("DATABASE_URL", database_url(&self.databases.names[index])));
        }
        if name == "auth" {
            env.push(("JWT_PRIVATE_KEY", self.private_pem.clone()));
        }
        env
    }

    fn spawn(&mut self, name: &'static str) {
        let log = self.dir.join(format!("{name}.log"));
        let file = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .expect("log file");
        let args: &[&str] = if SERVICES.contains(&name) {
            &["serve", name]
        } else {
            &["simulate", name]
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_webrana"));
        command
            .args(args)
            .envs(self.env(name))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .kill_on_drop(true);
        // SAFETY: the closure runs between fork and exec and only calls prctl, which is
        // async-signal-safe. A test runner that kills the test outright skips every Drop; the
        // platform must not outlive it holding ports, databases and CPU.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        self.processes.insert(name, Process { child, log });
    }

    async fn wait_ready(&mut self, name: &'static str) {
        let url = format!("{}{}", self.url(name), Self::ready_path(name));
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(r) = self.http.get(&url).send().await
                && r.status().is_success()
            {
                return;
            }
            let process = self.processes.get_mut(name).expect("started");
            if let Ok(Some(status)) = process.child.try_wait() {
                panic!("{name} exited with {status} before it was ready");
            }
            assert!(Instant::now() < deadline, "{name} is not ready at {url}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Ends a process the hard way (`SIGKILL`) or politely (`SIGTERM`, as an orchestrator stops
    /// it) and waits until it is gone.
    pub async fn stop(&mut self, name: &'static str, signal: i32) {
        let process = self.processes.get_mut(name).expect("started");
        if let Some(pid) = process.child.id() {
            // SAFETY: signalling our own child by its pid, which it keeps until we reap it below.
            unsafe {
                libc::kill(pid as i32, signal);
            }
        }
        let waited = tokio::time::timeout(Duration::from_secs(30), process.child.wait()).await;
        assert!(waited.is_ok(), "{name} did not stop after signal {signal}");
    }

    pub async fn restart(&mut self, name: &'static str) {
        self.spawn(name);
        self.wait_ready(name).await;
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for name in SIMULATORS.iter().chain(SERVICES.iter()) {
            if let Some(p) = self.processes.get(name) {
                let text = std::fs::read_to_string(&p.log).unwrap_or_default();
                out.push_str(&format!("---- {name} ----\n{text}\n"));
            }
        }
        out
    }

    /// Every e-mail the SMTP sink received, whoever it was for.
    pub async fn all_mails(&self) -> Vec<Value> {
        let (_, body) = call(self.http.get(format!("{}/_sim/messages", self.url("smtp")))).await;
        body["data"].as_array().cloned().unwrap_or_default()
    }

    /// Every e-mail the SMTP sink received for `to`.
    pub async fn mails(&self, to: &str) -> Vec<Value> {
        let (_, body) = call(self.http.get(format!(
            "{}/_sim/messages?to={}",
            self.url("smtp"),
            to.replace('+', "%2B")
        )))
        .await;
        body["data"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        for process in self.processes.values_mut() {
            let _ = process.child.start_kill();
        }
        if std::thread::panicking() {
            eprintln!("{}", self.logs());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends `request`; the status and the JSON body (a string when the body is not JSON).
pub async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Polls `probe` every 200 ms until it yields a value, at most `seconds`.
pub async fn eventually<T, F, Fut>(seconds: u64, what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
