//! Load generator for `bench/billing.sh`: posts signed PAID callbacks for distinct invoices at a
//! fixed concurrency and prints one JSON line with throughput and latency percentiles.
//!
//! ```sh
//! cargo run --release -p billing --example callback_load -- \
//!     <callback URL> <private key> <reference prefix> <invoices> <concurrency> <amount>
//! ```
//!
//! Invoice `i` (1-based) must have `tripay_reference = <prefix><i, zero-padded to 10>` and
//! `amount = <amount>`; each is paid exactly once, so every request does the full work of a
//! first PAID callback (lock, update, payment row, two jobs).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

fn arg(args: &[String], i: usize, name: &str) -> Result<String, String> {
    args.get(i)
        .cloned()
        .ok_or_else(|| format!("missing argument <{name}>"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = arg(&args, 0, "callback URL")?;
    let key = arg(&args, 1, "private key")?;
    let prefix = arg(&args, 2, "reference prefix")?;
    let total: usize = arg(&args, 3, "invoices")?
        .parse()
        .map_err(|_| "<invoices> must be a number")?;
    let concurrency: usize = arg(&args, 4, "concurrency")?
        .parse()
        .map_err(|_| "<concurrency> must be a number")?;
    let amount: i64 = arg(&args, 5, "amount")?
        .parse()
        .map_err(|_| "<amount> must be a number")?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicUsize::new(1));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, key, prefix, next) = (
            client.clone(),
            url.clone(),
            key.clone(),
            prefix.clone(),
            next.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i > total {
                    break;
                }
                let callback = tripay::Callback {
                    reference: format!("{prefix}{i:010}"),
                    merchant_ref: None,
                    payment_method: Some("BRI Virtual Account".into()),
                    payment_method_code: Some("BRIVA".into()),
                    total_amount: amount,
                    fee_merchant: Some(4250),
                    fee_customer: Some(0),
                    total_fee: Some(4250),
                    amount_received: Some(amount - 4250),
                    is_closed_payment: 1,
                    status: "PAID".into(),
                    paid_at: Some(1_736_935_200),
                    note: None,
                };
                let body = callback.to_wire_bytes();
                let signature = tripay::callback_signature(&key, &body);
                let sent = Instant::now();
                let ok = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("x-callback-event", "payment_status")
                    .header("x-callback-signature", signature)
                    .body(body)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                latencies.push(sent.elapsed());
                if !ok {
                    failures += 1;
                }
            }
            (latencies, failures)
        }));
    }
    let mut latencies = Vec::new();
    let mut failures = 0;
    for task in tasks {
        let (l, f) = task.await.map_err(|e| e.to_string())?;
        latencies.extend(l);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
        latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{{\"requests\":{},\"failures\":{},\"seconds\":{:.3},\"per_second\":{:.1},\"p50_ms\":{:.2},\"p99_ms\":{:.2}}}",
        latencies.len(),
        failures,
        elapsed,
        latencies.len() as f64 / elapsed,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}
