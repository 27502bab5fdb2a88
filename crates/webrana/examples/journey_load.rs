//! Load driver for `bench/journey.sh`: customers buy VPSes end to end against a running
//! `webrana dev`, and one JSON line reports orders per minute and time-to-ACTIVE.
//!
//! ```sh
//! cargo run --release -p webrana --example journey_load -- \
//!     <auth URL> <order URL> <billing URL> <mailbox URL> <DigitalOcean URL> <DigitalOcean token> \
//!     <customers> <concurrency> <status poll ms>
//! ```
//!
//! 1. Set-up, not timed: `customers` new customers register, verify the link from the mailbox
//!    (the SMTP sink's `/_sim/messages`) and log in, `concurrency` at a time.
//! 2. Load, timed: `concurrency` workers each take the next customer and run its purchase as
//!    `tests/dev.rs` does — create an order (with the WELCOME10 coupon), issue an invoice, pay it
//!    with a BRI virtual account, press Pay on the Tripay checkout page — then read the order
//!    every `status poll ms` until it is ACTIVE. Time-to-ACTIVE runs from sending the create to
//!    the first read that shows ACTIVE. Once ACTIVE, the worker deletes the droplet from the
//!    simulator (untimed) so the simulator's 25-droplet account limit never binds.
//!
//! Orders per minute = orders that reached ACTIVE ÷ (the last ACTIVE − the first create).
//! The output's `load_start_ms`/`load_end_ms` (Unix milliseconds) let the caller pick the RSS
//! samples taken under load.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

const PASSWORD: &str = "Journey123!";
/// The catalog's seeded plan `basic` and image Ubuntu 22.04 (order.md §10).
const PLAN_ID: &str = "a1000000-0000-4000-8000-000000000002";
const IMAGE_ID: &str = "b1000000-0000-4000-8000-000000000001";
/// How long one order may take before the run counts it as failed.
const ORDER_DEADLINE: Duration = Duration::from_secs(120);

struct Config {
    auth: String,
    order: String,
    billing: String,
    mailbox: String,
    digitalocean: String,
    do_token: String,
    customers: usize,
    concurrency: usize,
    poll: Duration,
}

fn arg(args: &[String], i: usize, name: &str) -> Result<String, String> {
    args.get(i)
        .cloned()
        .ok_or_else(|| format!("missing argument <{name}>"))
}

fn number(args: &[String], i: usize, name: &str) -> Result<usize, String> {
    arg(args, i, name)?
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("<{name}> must be a positive number"))
}

fn unix_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// Sends `req`; the status and the body as JSON (a string when it is not JSON).
async fn call(req: reqwest::RequestBuilder) -> Result<(u16, Value), String> {
    let response = req.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}

async fn expect(req: reqwest::RequestBuilder, want: u16, what: &str) -> Result<Value, String> {
    let (status, body) = call(req).await?;
    if status == want {
        Ok(body)
    } else {
        Err(format!("{what}: {status} {body}"))
    }
}

/// Registers, verifies through the mailed link, logs in: the customer's bearer header.
async fn customer(http: &reqwest::Client, cfg: &Config, email: &str) -> Result<String, String> {
    expect(
        http.post(format!("{}/api/v1/auth/register", cfg.auth))
            .json(&json!({ "email": email, "password": PASSWORD, "fullName": "Budi Santoso" })),
        201,
        "register",
    )
    .await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    let html = loop {
        let (_, body) = call(http.get(format!("{}/_sim/messages?to={email}", cfg.mailbox))).await?;
        if let Some(html) = body["data"][0]["html"].as_str() {
            break html.to_string();
        }
        if Instant::now() > deadline {
            return Err(format!("no verification e-mail for {email}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let token = html
        .split("href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|link| link.replace("&#x3D;", "=").replace("&amp;", "&"))
        .and_then(|link| {
            link.split("token=")
                .nth(1)
                .and_then(|rest| rest.split('&').next())
                .map(str::to_owned)
        })
        .ok_or_else(|| format!("no verification link in the e-mail to {email}"))?;
    expect(
        http.post(format!("{}/api/v1/auth/verify-email", cfg.auth))
            .json(&json!({ "token": token })),
        200,
        "verify-email",
    )
    .await?;
    let login = expect(
        http.post(format!("{}/api/v1/auth/login", cfg.auth))
            .json(&json!({ "email": email, "password": PASSWORD })),
        200,
        "login",
    )
    .await?;
    login["data"]["accessToken"]
        .as_str()
        .map(|t| format!("Bearer {t}"))
        .ok_or_else(|| format!("login answered without a token: {login}"))
}

/// One purchase, create to ACTIVE: (time-to-ACTIVE, time spent in the customer's four calls).
async fn purchase(
    http: &reqwest::Client,
    cfg: &Config,
    bearer: &str,
) -> Result<(Duration, Duration), String> {
    let started = Instant::now();
    let created = expect(
        http.post(format!("{}/api/v1/orders", cfg.order))
            .header("authorization", bearer)
            .json(&json!({
                "planId": PLAN_ID, "imageId": IMAGE_ID, "duration": "MONTHLY",
                "couponCode": "WELCOME10"
            })),
        201,
        "create order",
    )
    .await?;
    let order_id = created["data"]["id"]
        .as_str()
        .ok_or("the order has no id")?
        .to_string();
    let invoice = expect(
        http.post(format!("{}/api/v1/billing/invoices", cfg.billing))
            .header("authorization", bearer)
            .json(&json!({ "orderId": order_id })),
        201,
        "create invoice",
    )
    .await?;
    let invoice_id = invoice["data"]["id"]
        .as_str()
        .ok_or("the invoice has no id")?;
    let paying = expect(
        http.post(format!(
            "{}/api/v1/billing/invoices/{invoice_id}/pay",
            cfg.billing
        ))
        .header("authorization", bearer)
        .json(&json!({ "channel": "BRI_VA" })),
        200,
        "pay invoice",
    )
    .await?;
    let checkout = paying["data"]["payment"]["paymentUrl"]
        .as_str()
        .ok_or("the payment has no paymentUrl")?;
    // The customer presses Pay on Tripay's page; Tripay calls billing back.
    expect(http.post(format!("{checkout}/pay")), 303, "checkout pay").await?;
    let calls = started.elapsed();
    loop {
        let (_, body) = call(
            http.get(format!("{}/api/v1/orders/{order_id}", cfg.order))
                .header("authorization", bearer),
        )
        .await?;
        match body["data"]["status"].as_str() {
            Some("ACTIVE") => {
                let elapsed = started.elapsed();
                release_droplet(http, cfg, &body["data"]).await?;
                return Ok((elapsed, calls));
            }
            Some("FAILED") => return Err(format!("order {order_id} FAILED: {body}")),
            _ => {}
        }
        if started.elapsed() > ORDER_DEADLINE {
            return Err(format!(
                "order {order_id} not ACTIVE after {ORDER_DEADLINE:?}"
            ));
        }
        tokio::time::sleep(cfg.poll).await;
    }
}

/// Deletes an ACTIVE order's droplet from the simulator, freeing its slot under the account's
/// droplet limit (an operator's clean-up, outside the measured journey).
async fn release_droplet(
    http: &reqwest::Client,
    cfg: &Config,
    order: &Value,
) -> Result<(), String> {
    let droplet = order["provisioningTask"]["dropletId"]
        .as_str()
        .ok_or_else(|| format!("an ACTIVE order without a droplet id: {order}"))?;
    let (status, body) = call(
        http.delete(format!("{}/v2/droplets/{droplet}", cfg.digitalocean))
            .bearer_auth(&cfg.do_token),
    )
    .await?;
    match status {
        204 | 404 => Ok(()),
        _ => Err(format!("deleting droplet {droplet}: {status} {body}")),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// Runs `job(i)` for i in 0..n, `concurrency` at a time; the results in completion order.
async fn fan_out<T, F, Fut>(n: usize, concurrency: usize, job: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send,
{
    let next = Arc::new(AtomicUsize::new(0));
    let job = Arc::new(job);
    let mut tasks = Vec::new();
    for _ in 0..concurrency.min(n) {
        let (next, job) = (next.clone(), job.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break out;
                }
                out.push(job(i).await);
            }
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap_or_default());
    }
    all
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cfg = Arc::new(Config {
        auth: arg(&args, 0, "auth URL")?,
        order: arg(&args, 1, "order URL")?,
        billing: arg(&args, 2, "billing URL")?,
        mailbox: arg(&args, 3, "mailbox URL")?,
        digitalocean: arg(&args, 4, "DigitalOcean URL")?,
        do_token: arg(&args, 5, "DigitalOcean token")?,
        customers: number(&args, 6, "customers")?,
        concurrency: number(&args, 7, "concurrency")?,
        poll: Duration::from_millis(number(&args, 8, "status poll ms")? as u64),
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(cfg.concurrency)
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())?;
    let run = unix_ms();

    eprintln!(
        "journey_load: registering {} customers ({} at a time)",
        cfg.customers, cfg.concurrency
    );
    let setup_started = Instant::now();
    let (h, c) = (http.clone(), cfg.clone());
    let mut bearers = fan_out(cfg.customers, cfg.concurrency, move |i| {
        let (http, cfg) = (h.clone(), c.clone());
        async move {
            let email = format!("journey.{run}.{i}@example.com");
            (i, customer(&http, &cfg, &email).await)
        }
    })
    .await;
    bearers.sort_by_key(|(i, _)| *i);
    let bearers: Vec<String> = bearers
        .into_iter()
        .map(|(_, b)| b)
        .collect::<Result<_, _>>()?;
    let setup = setup_started.elapsed();

    eprintln!(
        "journey_load: {} purchases, {} at a time",
        cfg.customers, cfg.concurrency
    );
    let bearers = Arc::new(bearers);
    let load_start_ms = unix_ms();
    let load_started = Instant::now();
    let (h, c, b) = (http.clone(), cfg.clone(), bearers.clone());
    let results = fan_out(cfg.customers, cfg.concurrency, move |i| {
        let (http, cfg, bearers) = (h.clone(), c.clone(), b.clone());
        async move {
            let outcome = purchase(&http, &cfg, &bearers[i]).await;
            (outcome, load_started.elapsed())
        }
    })
    .await;
    let load_end_ms = unix_ms();

    let mut to_active = Vec::new();
    let mut calls = Vec::new();
    let mut last_active = Duration::ZERO;
    let mut errors = Vec::new();
    for (outcome, at) in results {
        match outcome {
            Ok((elapsed, spent)) => {
                to_active.push(elapsed);
                calls.push(spent);
                last_active = last_active.max(at);
            }
            Err(e) => errors.push(e),
        }
    }
    to_active.sort();
    calls.sort();
    let active = to_active.len();
    let per_minute = if last_active.is_zero() {
        0.0
    } else {
        active as f64 * 60.0 / last_active.as_secs_f64()
    };
    for e in errors.iter().take(5) {
        eprintln!("journey_load: error: {e}");
    }
    println!(
        "{}",
        json!({
            "customers": cfg.customers,
            "concurrency": cfg.concurrency,
            "active": active,
            "failed": errors.len(),
            "setup_s": (setup.as_secs_f64() * 10.0).round() / 10.0,
            "load_s": (last_active.as_secs_f64() * 100.0).round() / 100.0,
            "orders_per_minute": per_minute.round() as u64,
            "to_active_p50_ms": percentile(&to_active, 0.50).round() as u64,
            "to_active_p95_ms": percentile(&to_active, 0.95).round() as u64,
            "to_active_max_ms": percentile(&to_active, 1.0).round() as u64,
            "customer_calls_p50_ms": percentile(&calls, 0.50).round() as u64,
            "customer_calls_p95_ms": percentile(&calls, 0.95).round() as u64,
            "load_start_ms": load_start_ms as u64,
            "load_end_ms": load_end_ms as u64,
        })
    );
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} purchases failed",
            errors.len(),
            cfg.customers
        ))
    }
}
