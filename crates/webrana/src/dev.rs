//! `webrana dev`: the whole platform on one machine, each service a child process of this one,
//! exactly as it runs in production (`webrana serve <service>`), only with derived settings.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::Child;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::cli::{DevArgs, Service, Simulator};
use crate::prepare::{self, DevSecrets};

/// How long children get to finish in-flight work after SIGTERM (platform.md §12) before SIGKILL.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// First start includes migrations and hashing the seed passwords in a debug build.
const READY_TIMEOUT: Duration = Duration::from_secs(180);
/// The customer web app's dev server; the services default their links to it too.
const CUSTOMER_WEB_ORIGIN: &str = "http://localhost:4200";
/// What the DigitalOcean simulator accepts in development.
const DEV_DIGITALOCEAN_TOKEN: &str = "dev-digitalocean-token";
/// The Tripay simulator's merchant in development (its defaults; billing must match them).
const DEV_TRIPAY: [(&str, &str); 3] = [
    ("TRIPAY_API_KEY", simulators::tripay::DEFAULT_API_KEY),
    (
        "TRIPAY_PRIVATE_KEY",
        simulators::tripay::DEFAULT_PRIVATE_KEY,
    ),
    (
        "TRIPAY_MERCHANT_CODE",
        simulators::tripay::DEFAULT_MERCHANT_CODE,
    ),
];

/// One child process of `webrana dev`.
#[derive(Debug, Clone)]
struct DevProcess {
    /// Shown in the banner and in messages.
    label: &'static str,
    /// Arguments after the `webrana` binary.
    args: Vec<&'static str>,
    port: u16,
    /// Its own database, created when missing.
    database: Option<String>,
    /// Variables that point every process at this one: each is set to this process's base URL
    /// followed by the suffix (a simulator that stands in under `/v2`, say).
    exports: Vec<(&'static str, &'static str)>,
    /// Only the token issuer gets the private key.
    signs_tokens: bool,
    /// Answers 200 once the process can serve.
    ready_path: &'static str,
    /// Whether dev runs it: a simulator stands aside once the real third party is configured.
    enabled: bool,
}

impl DevProcess {
    fn service(service: Service) -> Self {
        Self {
            label: service.service_name(),
            args: vec!["serve", service.name()],
            port: service.default_port(),
            database: Some(service.database().to_owned()),
            exports: service
                .base_url_var()
                .map(|var| (var, ""))
                .into_iter()
                .collect(),
            signs_tokens: service == Service::Auth,
            ready_path: "/health/ready",
            enabled: true,
        }
    }

    /// A third party's stand-in, started only while the user has not configured the real thing
    /// (`real_credentials` unset), and pointed at by `exports`.
    fn simulator(
        simulator: Simulator,
        exports: Vec<(&'static str, &'static str)>,
        real_credentials: &str,
    ) -> Self {
        Self {
            label: simulator.label(),
            args: match simulator {
                Simulator::DigitalOcean => vec!["simulate", "digitalocean"],
                Simulator::Tripay => vec!["simulate", "tripay"],
                Simulator::Smtp => vec!["simulate", "smtp"],
                Simulator::Telegram => vec!["simulate", "telegram"],
            },
            port: simulator.default_port(),
            database: None,
            exports,
            signs_tokens: false,
            ready_path: match simulator {
                Simulator::Smtp => "/_sim/messages",
                _ => "/_sim/config",
            },
            enabled: !user_set(real_credentials),
        }
    }

    fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// glibc's `MALLOC_MMAP_THRESHOLD_` for auth: 1 MiB, below one argon2id block.
const AUTH_MMAP_THRESHOLD: u32 = 1024 * 1024;

/// The SMTP port of a sink whose HTTP side is on `http_port` (2525 beside the default 3103).
fn smtp_port_of(http_port: u16) -> u16 {
    let offset = http_port.wrapping_sub(Simulator::Smtp.default_port());
    simulators::smtp::DEFAULT_SMTP_PORT.wrapping_add(offset)
}

/// [`processes`] moved by `port_offset` and with databases named `<prefix>_<service>`, so a
/// second platform (a test's) can run beside the developer's.
fn layout(port_offset: u16, database_prefix: &str) -> anyhow::Result<Vec<DevProcess>> {
    let mut table = processes();
    for p in &mut table {
        p.port = p
            .port
            .checked_add(port_offset)
            .filter(|port| smtp_port_of(*port) > 0)
            .with_context(|| format!("--port-offset {port_offset} is too large"))?;
        if let Some(db) = &mut p.database {
            let service = db.strip_prefix("webrana_").unwrap_or(db).to_owned();
            *db = format!("{database_prefix}_{service}");
        }
    }
    Ok(table)
}

/// Everything `webrana dev` runs, in start order: the simulators first, so every service finds
/// its third parties listening.
fn processes() -> Vec<DevProcess> {
    vec![
        DevProcess::simulator(
            Simulator::DigitalOcean,
            vec![("DIGITALOCEAN_API_BASE_URL", "")],
            "DIGITALOCEAN_API_TOKEN",
        ),
        DevProcess::simulator(
            Simulator::Tripay,
            vec![("TRIPAY_BASE_URL", simulators::tripay::DEFAULT_PREFIX)],
            "TRIPAY_API_KEY",
        ),
        DevProcess::simulator(Simulator::Smtp, vec![], "SMTP_HOST"),
        DevProcess::simulator(
            Simulator::Telegram,
            vec![("TELEGRAM_API_BASE_URL", "")],
            "TELEGRAM_BOT_TOKEN",
        ),
        DevProcess::service(Service::Auth),
        DevProcess::service(Service::Catalog),
        DevProcess::service(Service::Order),
        DevProcess::service(Service::Billing),
        DevProcess::service(Service::Notification),
    ]
}

/// The variables dev sets for `process`; everything else the child inherits from this process.
///
/// The user's own non-blank variables win over dev's defaults, so `LOG_LEVEL=debug bash
/// scripts/dev.sh` or a real `TRIPAY_API_KEY` just work. `PORT`, `DATABASE_URL` and `REDIS_URL`
/// are always set: one inherited `PORT` or `DATABASE_URL` would make every service collide, and
/// `REDIS_URL` already came from the user through `--redis-url`/`REDIS_URL`.
fn child_env(
    process: &DevProcess,
    running: &[DevProcess],
    postgres_url: &str,
    redis_url: &str,
    redis_key_prefix: &str,
    secrets: &DevSecrets,
    user_set: impl Fn(&str) -> bool,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut env = vec![
        ("PORT", process.port.to_string()),
        ("REDIS_URL", redis_url.to_string()),
    ];
    if let Some(database) = &process.database {
        env.push((
            "DATABASE_URL",
            prepare::database_url(postgres_url, database)?,
        ));
    }
    let smtp_port = running
        .iter()
        .find(|p| p.label == Simulator::Smtp.label())
        .map(|sink| smtp_port_of(sink.port));
    if let Some(port) = smtp_port {
        // The sink's SMTP side sits beside its HTTP side, shifted like every other port.
        env.push(("SIM_SMTP_PORT", port.to_string()));
    }
    let billing_url = running
        .iter()
        .find(|p| p.label == Service::Billing.service_name())
        .map_or_else(
            || format!("http://127.0.0.1:{}", Service::Billing.default_port()),
            DevProcess::base_url,
        );
    let mut defaults = vec![
        ("APP_ENV", "development".to_string()),
        ("SEED_ON_START", "true".to_string()),
        // Seeded accounts have published passwords: keep dev off the network unless asked.
        ("WEBRANA_HOST", "127.0.0.1".to_string()),
        ("CORS_ORIGINS", CUSTOMER_WEB_ORIGIN.to_string()),
        // Keys of this platform's own (its database prefix): two dev platforms, or dev and the
        // test suite, may share one Redis without reading each other's caches and locks.
        ("REDIS_KEY_PREFIX", redis_key_prefix.to_string()),
        ("INTERNAL_API_KEY", secrets.internal_api_key.clone()),
        ("JWT_PUBLIC_KEY", secrets.public_pem.clone()),
        (
            "CREDENTIALS_ENCRYPTION_KEY",
            secrets.credentials_key.clone(),
        ),
        // The simulator and the order service must agree on the token; a real token disables
        // the simulator (see `processes`).
        ("DIGITALOCEAN_API_TOKEN", DEV_DIGITALOCEAN_TOKEN.to_string()),
        // Tripay calls billing back here: the simulator by default, real Tripay only through a
        // public URL the user sets.
        (
            "TRIPAY_CALLBACK_URL",
            format!("{billing_url}/api/v1/billing/webhooks/tripay"),
        ),
    ];
    // The simulator's merchant only while it runs: with real Tripay, every credential must come
    // from the user, and billing names any that is missing.
    if running.iter().any(|p| p.label == Simulator::Tripay.label()) {
        defaults.extend(DEV_TRIPAY.iter().map(|(k, v)| (*k, v.to_string())));
    }
    // Mail goes to the sink (plain SMTP on loopback) unless the user configured a real server.
    if let Some(port) = smtp_port {
        defaults.extend([
            ("SMTP_HOST", "127.0.0.1".to_string()),
            ("SMTP_PORT", port.to_string()),
            ("SMTP_REQUIRE_TLS", "false".to_string()),
        ]);
    }
    // Telegram goes to the simulator, linking included, unless the user configured a real bot.
    if let Some(sim) = running
        .iter()
        .find(|p| p.label == Simulator::Telegram.label())
    {
        // Its own port variable wins over PORT in `webrana simulate`, so an inherited one must
        // not move the simulator away from where dev expects it.
        env.push(("SIM_TELEGRAM_PORT", sim.port.to_string()));
        let token = user_value("SIM_TELEGRAM_TOKEN")
            .unwrap_or_else(|| simulators::telegram::DEFAULT_TOKEN.to_string());
        let username = user_value("SIM_TELEGRAM_BOT_USERNAME")
            .unwrap_or_else(|| simulators::telegram::DEFAULT_BOT_USERNAME.to_string());
        defaults.extend([
            ("TELEGRAM_ENABLED", "true".to_string()),
            ("TELEGRAM_BOT_TOKEN", token),
            ("TELEGRAM_LINKING_ENABLED", "true".to_string()),
            // Auth's link codes then come with a t.me deep link naming the simulated bot.
            ("TELEGRAM_BOT_USERNAME", username),
        ]);
    }
    if process.signs_tokens {
        defaults.push(("JWT_PRIVATE_KEY", secrets.private_pem.clone()));
        // Auth's argon2id blocks (19 MiB each) are then mmapped and returned on free; with
        // glibc's adaptive threshold they stay in per-thread heaps (bench/README.md, journey).
        defaults.push(("MALLOC_MMAP_THRESHOLD_", AUTH_MMAP_THRESHOLD.to_string()));
    }
    for other in running {
        for (var, suffix) in &other.exports {
            defaults.push((var, format!("{}{suffix}", other.base_url())));
        }
    }
    env.extend(defaults.into_iter().filter(|(name, _)| !user_set(name)));
    Ok(env)
}

fn user_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.to_string_lossy().trim().is_empty())
}

fn user_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    let (running, stood_aside): (Vec<DevProcess>, Vec<DevProcess>) =
        layout(args.port_offset, &args.database_prefix)?
            .into_iter()
            .partition(|p| p.enabled);

    let may_start = !args.no_start_deps;
    let admin = prepare::admin_options(&args.postgres_url)?;
    prepare::ensure_postgres(&admin, may_start).await?;
    prepare::ensure_redis(&args.redis_url, may_start).await?;
    let databases: Vec<&str> = running
        .iter()
        .filter_map(|p| p.database.as_deref())
        .collect();
    let created = prepare::create_databases(&admin, &databases).await?;
    if !created.is_empty() {
        eprintln!("dev: created database(s) {}", created.join(", "));
    }
    let secrets = prepare::dev_secrets(&args.state_dir)?;
    for name in ["PORT", "DATABASE_URL"] {
        if user_set(name) {
            eprintln!(
                "dev: ignoring {name} from your environment: each service gets its own (ports 3001-3005, \
                 databases webrana_<service> on --postgres-url)"
            );
        }
    }
    if user_set("JWT_PRIVATE_KEY") != user_set("JWT_PUBLIC_KEY") {
        eprintln!(
            "dev: only one of JWT_PRIVATE_KEY and JWT_PUBLIC_KEY is set in your environment; the other \
             comes from {}/keys, so tokens will not verify. Set both or neither.",
            args.state_dir.display()
        );
    }
    for process in &running {
        if prepare::accepts("127.0.0.1", process.port).await {
            bail!(
                "port {} ({}) is already in use; is another `webrana dev` running?",
                process.port,
                process.label
            );
        }
    }

    let exe = std::env::current_exe().context("cannot locate the webrana binary")?;
    // Registered before the first child exists so that no signal can slip between spawn and
    // supervision and leave children behind.
    let mut signals = Signals::new()?;
    let mut children = Vec::new();
    for process in &running {
        let env = child_env(
            process,
            &running,
            &args.postgres_url,
            &args.redis_url,
            &format!("{}:", args.database_prefix),
            &secrets,
            user_set,
        )?;
        match spawn(&exe, process, &env) {
            Ok(child) => children.push(Running {
                label: process.label,
                child,
            }),
            Err(err) => {
                stop_all(&mut children, &mut signals).await;
                return Err(err.context(format!("cannot start {}", process.label)));
            }
        }
    }

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let probes: Vec<(&'static str, String)> = running
        .iter()
        .map(|p| (p.label, format!("{}{}", p.base_url(), p.ready_path)))
        .collect();
    let ready = wait_ready(client, probes);
    tokio::pin!(ready);
    let mut announced = false;
    let mut tick = tokio::time::interval(Duration::from_millis(250));

    let outcome = loop {
        tokio::select! {
            name = signals.next() => break Outcome::Signal(name),
            result = &mut ready, if !announced => {
                announced = true;
                match result {
                    Ok(()) => print!("{}", banner(&running, &stood_aside, &args.state_dir)),
                    Err(label) => eprintln!(
                        "dev: {label} is not ready after {} s; still supervising (see its logs above)",
                        READY_TIMEOUT.as_secs()
                    ),
                }
            }
            _ = tick.tick() => {
                if let Some((label, status)) = first_exited(&mut children) {
                    break Outcome::Exited(label, status);
                }
            }
        }
    };

    match outcome {
        Outcome::Signal(name) => {
            eprintln!(
                "dev: {name} received; stopping every service (up to {} s)",
                STOP_GRACE.as_secs()
            );
            stop_all(&mut children, &mut signals).await;
            Ok(())
        }
        Outcome::Exited(label, status) => {
            eprintln!("dev: {label} exited unexpectedly ({status}); stopping the others");
            stop_all(&mut children, &mut signals).await;
            bail!("{label} exited unexpectedly ({status}); its log lines above say why")
        }
    }
}

struct Running {
    label: &'static str,
    child: Child,
}

enum Outcome {
    Signal(&'static str),
    Exited(&'static str, ExitStatus),
}

struct Signals {
    interrupt: Signal,
    terminate: Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            interrupt: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
            terminate: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
        })
    }

    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "Ctrl-C",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

fn spawn(
    exe: &Path,
    process: &DevProcess,
    env: &[(&'static str, String)],
) -> anyhow::Result<Child> {
    let mut command = tokio::process::Command::new(exe);
    command
        .args(&process.args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        // Its own process group keeps a terminal's Ctrl-C away from the children, so that dev
        // alone decides the order of shutdown and can tell a crash from a requested stop.
        .process_group(0)
        // Last resort if dev itself fails before its orderly shutdown.
        .kill_on_drop(true);
    #[cfg(target_os = "linux")]
    // SAFETY: the closure runs between fork and exec and only calls prctl, which is
    // async-signal-safe and touches no memory of ours.
    unsafe {
        // Children must not outlive a dev that was killed with SIGKILL, or they keep the ports.
        // This runs on the main thread (the spawn happens in the top-level future), and the
        // death signal follows the thread that forked.
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(command.spawn()?)
}

/// Resolves when every probe answered 200, or with the label of the first that did not in time.
async fn wait_ready(
    client: reqwest::Client,
    probes: Vec<(&'static str, String)>,
) -> Result<(), &'static str> {
    let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
    for (label, url) in probes {
        loop {
            match client.get(&url).send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => break,
                _ if tokio::time::Instant::now() >= deadline => return Err(label),
                _ => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
    }
    Ok(())
}

fn first_exited(children: &mut [Running]) -> Option<(&'static str, ExitStatus)> {
    children.iter_mut().find_map(|c| match c.child.try_wait() {
        Ok(Some(status)) => Some((c.label, status)),
        _ => None,
    })
}

/// SIGTERM to every child, up to `STOP_GRACE` for all of them together, then SIGKILL. A second
/// Ctrl-C skips the wait.
async fn stop_all(children: &mut [Running], signals: &mut Signals) {
    for running in children.iter_mut() {
        if let (Ok(None), Some(pid)) = (running.child.try_wait(), running.child.id()) {
            terminate(pid);
        }
    }
    let forced = {
        let graceful = async {
            for running in children.iter_mut() {
                let _ = running.child.wait().await;
            }
        };
        tokio::select! {
            result = tokio::time::timeout(STOP_GRACE, graceful) => result.is_err(),
            _ = signals.next() => true,
        }
    };
    for running in children.iter_mut() {
        if forced && matches!(running.child.try_wait(), Ok(None)) {
            eprintln!("dev: {} did not stop in time; killing it", running.label);
            let _ = running.child.start_kill();
        }
        match running.child.wait().await {
            Ok(status) => eprintln!("dev: {} stopped ({status})", running.label),
            Err(err) => eprintln!("dev: could not wait for {}: {err}", running.label),
        }
    }
}

fn terminate(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) has no memory-safety preconditions. The pid is our own child that
        // try_wait has just shown to be unreaped, so it cannot belong to another process.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

fn banner(running: &[DevProcess], stood_aside: &[DevProcess], state_dir: &Path) -> String {
    let mut out =
        String::from("\n==================== WeBrana Cloud (development) ====================\n");
    for p in running {
        out.push_str(&format!(
            "  {:<22} {}    health: {}{}\n",
            p.label,
            p.base_url(),
            p.base_url(),
            p.ready_path
        ));
    }
    out.push_str("  API docs (Swagger UI; the OpenAPI document is …/api/openapi.json):\n");
    for p in running.iter().filter(|p| p.database.is_some()) {
        out.push_str(&format!("    {:<20} {}/api/docs\n", p.label, p.base_url()));
    }
    for p in running {
        if p.label == Simulator::Smtp.label() {
            out.push_str(&format!(
                "  mailbox (every e-mail sent): {}/mailbox\n",
                p.base_url()
            ));
        }
        if p.label == Simulator::Tripay.label() {
            out.push_str(&format!(
                "  Tripay checkout pages:       {}/checkout/<reference> (the paymentUrl billing returns)\n",
                p.base_url()
            ));
        }
        if p.label == Simulator::Telegram.label() {
            out.push_str(&format!(
                "  Telegram inbox (every bot message): {0}/inbox — link a chat there with\n    \
                 /start <code from POST /api/v1/auth/me/telegram/link-code>\n",
                p.base_url()
            ));
        }
    }
    if !stood_aside.is_empty() {
        let names: Vec<&str> = stood_aside.iter().map(|p| p.label).collect();
        out.push_str(&format!(
            "  not started (real credentials configured): {}\n",
            names.join(", ")
        ));
    }
    if let Some(auth) = running
        .iter()
        .find(|p| p.label == Service::Auth.service_name())
    {
        out.push_str("\n  Demo logins (seeded; change them anywhere but here):\n");
        for (email, default, var, role) in [
            (
                "superadmin@webrana.cloud",
                "SuperAdmin123!",
                "SEED_SUPER_ADMIN_PASSWORD",
                "super_admin",
            ),
            (
                "admin@webrana.cloud",
                "Admin123!",
                "SEED_ADMIN_PASSWORD",
                "admin",
            ),
            (
                "customer@webrana.cloud",
                "Customer123!",
                "SEED_CUSTOMER_PASSWORD",
                "customer",
            ),
        ] {
            // A password the user chose stays out of the terminal scrollback.
            let password = if user_set(var) {
                format!("(your {var})")
            } else {
                default.to_string()
            };
            out.push_str(&format!("    {email:<26} {password:<28} {role}\n"));
        }
        out.push_str(&format!(
            "\n  Try:\n    curl -s {}/api/v1/auth/login -H 'Content-Type: application/json' \\\n      \
             -d '{{\"email\":\"customer@webrana.cloud\",\"password\":\"Customer123!\"}}'\n",
            auth.base_url()
        ));
    }
    if let Some(catalog) = running
        .iter()
        .find(|p| p.label == Service::Catalog.service_name())
    {
        out.push_str(&format!(
            "\n  Catalog (public, no login):\n    curl -s {0}/api/v1/catalog/plans\n    \
             curl -s {0}/api/v1/catalog/coupons/validate -H 'Content-Type: application/json' \\\n      \
             -d '{{\"code\":\"WELCOME10\",\"amount\":300000}}'\n",
            catalog.base_url()
        ));
    }
    out.push_str(&format!(
        "\n  Dev keys and INTERNAL_API_KEY: {} (kept between runs)\n  Press Ctrl-C to stop everything.\n\
         =====================================================================\n\n",
        state_dir.display()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> DevSecrets {
        DevSecrets {
            private_pem: "PRIVATE".into(),
            public_pem: "PUBLIC".into(),
            internal_api_key: "k".repeat(64),
            credentials_key: "c".repeat(64),
        }
    }

    /// `process`'s variables among `table`, with placeholder URLs and secrets.
    fn env_of(
        process: &DevProcess,
        table: &[DevProcess],
        user_set: impl Fn(&str) -> bool,
    ) -> Vec<(&'static str, String)> {
        child_env(
            process,
            table,
            "postgres://h",
            "redis://r",
            "webrana:",
            &secrets(),
            user_set,
        )
        .expect("env")
    }

    fn lookup<'a>(env: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn every_service_is_in_the_table_once() {
        let table = processes();
        for service in Service::ALL {
            let matching: Vec<_> = table
                .iter()
                .filter(|p| p.label == service.service_name())
                .collect();
            assert_eq!(matching.len(), 1, "{}", service.name());
            assert_eq!(matching[0].port, service.default_port());
        }
        let mut ports: Vec<u16> = table.iter().map(|p| p.port).collect();
        ports.sort_unstable();
        ports.dedup();
        assert_eq!(ports.len(), table.len(), "ports are unique");
    }

    #[test]
    fn order_is_pointed_at_the_digitalocean_simulator_with_matching_secrets() {
        let table = vec![
            DevProcess::simulator(
                Simulator::DigitalOcean,
                vec![("DIGITALOCEAN_API_BASE_URL", "")],
                "WEBRANA_TEST_UNSET_VARIABLE",
            ),
            DevProcess::service(Service::Order),
        ];
        assert!(table[0].enabled, "no real token: the simulator runs");
        assert_eq!(table[0].database, None);
        let env = env_of(&table[1], &table, |_| false);
        assert_eq!(
            lookup(&env, "DIGITALOCEAN_API_BASE_URL"),
            Some("http://127.0.0.1:3101")
        );
        assert_eq!(
            lookup(&env, "DIGITALOCEAN_API_TOKEN"),
            Some(DEV_DIGITALOCEAN_TOKEN)
        );
        assert_eq!(
            lookup(&env, "CREDENTIALS_ENCRYPTION_KEY"),
            Some("c".repeat(64).as_str())
        );
        let sim_env = env_of(&table[0], &table, |_| false);
        assert_eq!(lookup(&sim_env, "PORT"), Some("3101"));
        assert_eq!(lookup(&sim_env, "DATABASE_URL"), None);
    }

    #[test]
    fn billing_is_pointed_at_the_tripay_simulator_with_its_merchant() {
        let table = vec![
            DevProcess::simulator(
                Simulator::Tripay,
                vec![("TRIPAY_BASE_URL", simulators::tripay::DEFAULT_PREFIX)],
                "WEBRANA_TEST_UNSET_VARIABLE",
            ),
            DevProcess::service(Service::Billing),
        ];
        let env = env_of(&table[1], &table, |_| false);
        assert_eq!(
            lookup(&env, "TRIPAY_BASE_URL"),
            Some("http://127.0.0.1:3102/api-sandbox")
        );
        assert_eq!(
            lookup(&env, "TRIPAY_PRIVATE_KEY"),
            Some(simulators::tripay::DEFAULT_PRIVATE_KEY)
        );
        assert_eq!(
            lookup(&env, "TRIPAY_CALLBACK_URL"),
            Some("http://127.0.0.1:3004/api/v1/billing/webhooks/tripay")
        );
        // Without the simulator no made-up merchant is handed to billing.
        let alone = vec![DevProcess::service(Service::Billing)];
        let env = env_of(&alone[0], &alone, |_| false);
        assert_eq!(lookup(&env, "TRIPAY_PRIVATE_KEY"), None);
    }

    #[test]
    fn notification_is_pointed_at_the_telegram_simulator_unless_a_real_bot_is_set() {
        let table = vec![
            DevProcess::simulator(
                Simulator::Telegram,
                vec![("TELEGRAM_API_BASE_URL", "")],
                "WEBRANA_TEST_UNSET_VARIABLE",
            ),
            DevProcess::service(Service::Notification),
        ];
        let env = env_of(&table[1], &table, |_| false);
        assert_eq!(
            lookup(&env, "TELEGRAM_API_BASE_URL"),
            Some("http://127.0.0.1:3104")
        );
        assert_eq!(lookup(&env, "TELEGRAM_ENABLED"), Some("true"));
        assert_eq!(lookup(&env, "TELEGRAM_LINKING_ENABLED"), Some("true"));
        assert_eq!(lookup(&env, "SIM_TELEGRAM_PORT"), Some("3104"));
        if !user_set("SIM_TELEGRAM_TOKEN") {
            assert_eq!(
                lookup(&env, "TELEGRAM_BOT_TOKEN"),
                Some(simulators::telegram::DEFAULT_TOKEN)
            );
        }
        // The user's real bot wins: the value is inherited, not overridden.
        let env = env_of(&table[1], &table, |name| name == "TELEGRAM_BOT_TOKEN");
        assert_eq!(lookup(&env, "TELEGRAM_BOT_TOKEN"), None);
        // Without the simulator nothing about Telegram is made up.
        let alone = vec![DevProcess::service(Service::Notification)];
        let env = env_of(&alone[0], &alone, |_| false);
        assert_eq!(lookup(&env, "TELEGRAM_ENABLED"), None);
        assert_eq!(lookup(&env, "TELEGRAM_API_BASE_URL"), None);
    }

    #[test]
    fn derives_per_service_settings_and_points_services_at_each_other() {
        let table = vec![
            DevProcess::service(Service::Auth),
            DevProcess::service(Service::Order),
        ];
        let env = child_env(
            &table[1],
            &table,
            "postgres://postgres@127.0.0.1:5432",
            "redis://r:1",
            "webrana:",
            &secrets(),
            |_| false,
        )
        .expect("env");
        assert_eq!(lookup(&env, "PORT"), Some("3003"));
        assert_eq!(
            lookup(&env, "DATABASE_URL"),
            Some("postgres://postgres@127.0.0.1:5432/webrana_order")
        );
        assert_eq!(lookup(&env, "REDIS_URL"), Some("redis://r:1"));
        assert_eq!(lookup(&env, "REDIS_KEY_PREFIX"), Some("webrana:"));
        assert_eq!(lookup(&env, "APP_ENV"), Some("development"));
        assert_eq!(lookup(&env, "SEED_ON_START"), Some("true"));
        assert_eq!(lookup(&env, "JWT_PUBLIC_KEY"), Some("PUBLIC"));
        assert_eq!(
            lookup(&env, "JWT_PRIVATE_KEY"),
            None,
            "only auth signs tokens"
        );
        assert_eq!(
            lookup(&env, "AUTH_SERVICE_BASE_URL"),
            Some("http://127.0.0.1:3001")
        );
        assert_eq!(
            lookup(&env, "ORDER_SERVICE_BASE_URL"),
            Some("http://127.0.0.1:3003")
        );

        let auth_env = env_of(&table[0], &table, |_| false);
        assert_eq!(lookup(&auth_env, "JWT_PRIVATE_KEY"), Some("PRIVATE"));
    }

    #[test]
    fn the_users_environment_overrides_defaults_but_not_per_service_values() {
        let table = vec![DevProcess::service(Service::Auth)];
        let user = |name: &str| {
            matches!(
                name,
                "INTERNAL_API_KEY" | "APP_ENV" | "PORT" | "DATABASE_URL"
            )
        };
        let env = env_of(&table[0], &table, user);
        assert_eq!(
            lookup(&env, "INTERNAL_API_KEY"),
            None,
            "inherited from the user"
        );
        assert_eq!(lookup(&env, "APP_ENV"), None, "inherited from the user");
        assert_eq!(lookup(&env, "PORT"), Some("3001"));
        assert_eq!(
            lookup(&env, "DATABASE_URL"),
            Some("postgres://h/webrana_auth")
        );
    }

    #[test]
    fn banner_lists_urls_logins_and_what_stood_aside() {
        let (running, stood_aside): (Vec<_>, Vec<_>) =
            processes().into_iter().partition(|p| p.enabled);
        let text = banner(&running, &stood_aside, Path::new(".dev"));
        assert!(text.contains("http://127.0.0.1:3001"), "{text}");
        assert!(text.contains("customer@webrana.cloud"), "{text}");
        assert!(
            text.contains("http://127.0.0.1:3002/api/v1/catalog/plans"),
            "{text}"
        );
        assert!(text.contains("Ctrl-C"), "{text}");
        assert!(text.contains("http://127.0.0.1:3003/api/docs"), "{text}");
        if !user_set("TELEGRAM_BOT_TOKEN") {
            assert!(text.contains("http://127.0.0.1:3104/inbox"), "{text}");
        }
        if !stood_aside.is_empty() {
            assert!(text.contains("not started"), "{text}");
        }
    }
}
