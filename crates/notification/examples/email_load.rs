//! Load generator for `bench/notification.sh`: posts account e-mails (no auth lookup, so only
//! notification and the SMTP path are measured) at a fixed concurrency, then waits until the SMTP
//! sink holds every message and prints one JSON line: e-mails delivered per second and the
//! latency from `202 Accepted` to the message being received, p50 and p99.
//!
//! ```sh
//! cargo run --release -p notification --example email_load -- \
//!     <notification URL> <API key> <sink HTTP URL> <messages> <concurrency>
//! ```

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

fn arg(args: &[String], i: usize, name: &str) -> Result<String, String> {
    args.get(i)
        .cloned()
        .ok_or_else(|| format!("missing argument <{name}>"))
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let url = arg(&args, 0, "notification URL")?;
    let key = arg(&args, 1, "API key")?;
    let sink = arg(&args, 2, "sink HTTP URL")?;
    let total: usize = arg(&args, 3, "messages")?
        .parse()
        .map_err(|_| "<messages> must be a number")?;
    let concurrency: usize = arg(&args, 4, "concurrency")?
        .parse()
        .map_err(|_| "<concurrency> must be a number")?;
    let run = OffsetDateTime::now_utc().unix_timestamp();
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let started = OffsetDateTime::now_utc();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, key, next) = (client.clone(), url.clone(), key.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut accepted = Vec::new();
            let mut refused = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let email = format!("bench-{run}-{i}@example.com");
                let body = json!({
                    "event": "EMAIL_VERIFICATION", "userId": format!("bench-{i}"),
                    "data": {"email": email, "fullName": "Bench User",
                             "actionUrl": format!("http://localhost:4200/verify-email?token={i}")}
                });
                let answer = client
                    .post(format!("{url}/api/v1/internal/notifications/send"))
                    .header("x-api-key", &key)
                    .header("x-service-name", "bench")
                    .header("idempotency-key", format!("bench-{run}-{i}"))
                    .json(&body)
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().as_u16() == 202 => {
                        accepted.push((email, OffsetDateTime::now_utc()));
                    }
                    _ => refused += 1,
                }
            }
            (accepted, refused)
        }));
    }
    let mut accepted_at = HashMap::new();
    let mut refused = 0;
    for task in tasks {
        let (a, r) = task.await.map_err(|e| e.to_string())?;
        accepted_at.extend(a);
        refused += r;
    }
    // Wait for the sink to hold every accepted message (or give up after two minutes).
    let deadline = OffsetDateTime::now_utc() + time::Duration::minutes(2);
    let received: Vec<Value> = loop {
        let list: Value = client
            .get(format!("{sink}/_sim/messages"))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let mine: Vec<Value> = list["data"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| {
                m["to"][0]
                    .as_str()
                    .is_some_and(|to| accepted_at.contains_key(to))
            })
            .collect();
        if mine.len() >= accepted_at.len() || OffsetDateTime::now_utc() > deadline {
            break mine;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let mut latencies = Vec::new();
    let mut last = started;
    for m in &received {
        let (Some(to), Some(at)) = (
            m["to"][0].as_str(),
            m["receivedAt"]
                .as_str()
                .and_then(platform::time_format::parse),
        ) else {
            continue;
        };
        if let Some(sent) = accepted_at.get(to) {
            latencies.push((at - *sent).as_seconds_f64() * 1000.0);
            last = last.max(at);
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[i]
    };
    let seconds = (last - started).as_seconds_f64().max(0.001);
    println!(
        "{{\"accepted\":{},\"refused\":{},\"delivered\":{},\"seconds\":{:.3},\"per_second\":{:.1},\"p50_ms\":{:.1},\"p99_ms\":{:.1}}}",
        accepted_at.len(),
        refused,
        latencies.len(),
        seconds,
        latencies.len() as f64 / seconds,
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}
