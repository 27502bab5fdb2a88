//! Expiry reminders (notification.md §7.4): one replica at a time pages through the order
//! service's active orders close to expiry and runs the send pipeline for `VPS_EXPIRING`, once
//! per order and threshold.

use std::time::Duration;

use platform::client::{Call, CallOutcome, ServiceClient};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::SERVICE_NAME;
use crate::domain::Event;
use crate::flows::send::{self, SendContext, SendRequest};
use crate::lock::RedisLock;
use crate::state::AppState;

const PAGE_LIMIT: u32 = 100;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    pub accepted: usize,
    pub already_reminded: usize,
    pub skipped: usize,
}

/// Runs every `EXPIRY_REMINDER_INTERVAL_MINUTES` until `shutdown`, starting at once.
pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let interval = state.config.reminders.interval;
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        match run_once(&state).await {
            Ok(Some(report)) => tracing::info!(
                accepted = report.accepted,
                alreadyReminded = report.already_reminded,
                skipped = report.skipped,
                "expiry reminder run finished"
            ),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "expiry reminder run skipped; next interval retries")
            }
        }
        tokio::select! {
            changed = shutdown.changed() => {
                if changed.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep(interval) => {}
        }
    }
}

/// One run under the Redis lock; `Ok(None)` when another replica holds it or Redis is down.
pub async fn run_once(state: &AppState) -> anyhow::Result<Option<RunReport>> {
    let key = format!("{}expiry-reminder:lock", state.key_prefix);
    let ttl = state.config.reminders.interval.max(Duration::from_secs(60));
    let Some(lock) = RedisLock::acquire(state.redis.as_ref(), key, ttl).await else {
        return Ok(None);
    };
    let result = remind(state).await;
    lock.release().await;
    result.map(Some)
}

async fn remind(state: &AppState) -> anyhow::Result<RunReport> {
    let config = &state.config;
    let client = ServiceClient::new(
        &config.order,
        config.common.internal_api_key.clone(),
        SERVICE_NAME,
    )?;
    let now = state.now();
    let request_id = format!("expiry-reminder-{}", now.unix_timestamp());
    let hours = &config.reminders.hours;
    let mut report = RunReport::default();
    for (i, &threshold) in hours.iter().enumerate() {
        let until = now + time::Duration::hours(i64::from(threshold));
        // A smaller threshold that also covers the order sends the more timely reminder.
        let smaller = hours.get(i + 1).copied();
        let mut page = 1;
        loop {
            let path = format!(
                "/api/v1/internal/orders?status=ACTIVE&expiresBefore={}&limit={PAGE_LIMIT}&page={page}",
                platform::time_format::format(until)
            );
            let body = match client.call(Call::get(&path, &request_id)).await {
                CallOutcome::Success { body, .. } => body,
                other => anyhow::bail!("order service answered {:?}", other.status()),
            };
            let orders = body["data"].as_array().cloned().unwrap_or_default();
            for order in &orders {
                let Some(due) = Due::read(order, now) else {
                    report.skipped += 1;
                    continue;
                };
                let hours_left = (due.expires_at - now).whole_hours();
                if due.expires_at >= until || smaller.is_some_and(|s| hours_left < i64::from(s)) {
                    continue;
                }
                match send_one(state, &due, threshold, hours_left, &request_id).await {
                    Ok(true) => report.accepted += 1,
                    Ok(false) => report.already_reminded += 1,
                    Err(e) => {
                        report.skipped += 1;
                        tracing::warn!(orderId = %due.order_id, code = %e.code, "expiry reminder not sent");
                    }
                }
            }
            let pages = body["meta"]["totalPages"].as_i64().unwrap_or(1);
            if orders.is_empty() || i64::from(page) >= pages {
                break;
            }
            page += 1;
        }
    }
    Ok(report)
}

/// An active order still before its expiry.
struct Due {
    order_id: String,
    user_id: String,
    plan_name: String,
    expires_at: OffsetDateTime,
}

impl Due {
    fn read(order: &Value, now: OffsetDateTime) -> Option<Self> {
        let text = |k: &str| order[k].as_str().map(str::to_owned);
        let expires_at = text("expiresAt").and_then(|t| platform::time_format::parse(&t))?;
        (expires_at > now).then_some(())?;
        Some(Self {
            order_id: text("id")?,
            user_id: text("userId")?,
            plan_name: text("planName").unwrap_or_default(),
            expires_at,
        })
    }
}

/// `Ok(true)` when accepted now, `Ok(false)` when this threshold was already reminded.
async fn send_one(
    state: &AppState,
    due: &Due,
    threshold: u32,
    hours_left: i64,
    request_id: &str,
) -> Result<bool, platform::AppError> {
    let data = json!({
        "orderId": due.order_id, "planName": due.plan_name,
        "expiresAt": platform::time_format::format(due.expires_at),
        "hoursRemaining": hours_left, "hostname": null, "autoRenew": false,
        "renewUrl": format!("{}/orders/{}", state.config.customer_web_base_url, due.order_id),
    });
    let data: Map<String, Value> = match data {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let request = SendRequest {
        event: Event::VpsExpiring,
        user_id: due.user_id.clone(),
        data,
    };
    let ctx = SendContext {
        request_id: request_id.to_owned(),
        idempotency_key: Some(format!("VPS_EXPIRING:{}:{threshold}", due.order_id)),
        idempotency_window: None,
    };
    Ok(matches!(
        send::send(state, request, ctx).await?,
        send::SendOutcome::Accepted(_)
    ))
}
