//! The send pipeline (notification.md §3): validate, deduplicate, resolve the recipient, render,
//! then record one log and one job per channel in a single transaction.

use platform::ApiResult;
use platform::jobs::{self, NewJob};
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::clients::auth::Lookup;
use crate::domain::event::{RoutingFacts, channels};
use crate::domain::vars::{self, Recipient};
use crate::domain::{Channel, Event, errors, redact};
use crate::handlers;
use crate::queues;
use crate::state::AppState;
use crate::store::logs::{self, FAILED, LogRow, NewLog, QUEUED};
use crate::store::templates::{self, TemplateRow};
use crate::templates::defaults::{self, LAYOUT_KEY};
use crate::templates::render::{self, EmailSource, RenderFailure};

/// How long an `Idempotency-Key` answers with its first delivery (platform.md §10.3).
pub const IDEMPOTENCY_WINDOW: Duration = Duration::hours(24);

/// A validated `send` request.
#[derive(Debug, Clone)]
pub struct SendRequest {
    pub event: Event,
    pub user_id: String,
    pub data: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct SendContext {
    pub request_id: String,
    pub idempotency_key: Option<String>,
    /// How long the key answers with its first delivery; `None` = for as long as the logs
    /// exist (the reminder keys, §7.4).
    pub idempotency_window: Option<Duration>,
}

impl SendContext {
    fn seen_since(&self, now: OffsetDateTime) -> OffsetDateTime {
        self.idempotency_window
            .map_or(OffsetDateTime::UNIX_EPOCH, |window| now - window)
    }
}

/// One entry of the answer's `notifications`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = NotificationSummary)]
pub struct Summary {
    pub log_id: Uuid,
    pub channel: String,
    pub status: String,
    pub recipient: String,
}

impl From<&LogRow> for Summary {
    fn from(row: &LogRow) -> Self {
        Self {
            log_id: row.id,
            channel: row.channel.clone(),
            status: row.status.clone(),
            recipient: row.recipient.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// 202: newly accepted.
    Accepted(Vec<Summary>),
    /// 200: the key was seen within the window; nothing new was enqueued.
    Repeated(Vec<Summary>),
}

/// A log and, unless rendering failed, the job that delivers it.
struct Prepared {
    log: NewLog,
    job: Option<NewJob>,
}

pub async fn send(state: &AppState, req: SendRequest, ctx: SendContext) -> ApiResult<SendOutcome> {
    let now = state.now();
    if let Some(key) = &ctx.idempotency_key {
        let seen = logs::by_idempotency_key(&state.pool, key, ctx.seen_since(now)).await?;
        if !seen.is_empty() {
            return Ok(SendOutcome::Repeated(
                seen.iter().map(Summary::from).collect(),
            ));
        }
    }
    let (recipient, facts, chat_id) = resolve(state, &req, &ctx.request_id).await?;
    let chosen = channels(req.event, &facts);
    let mut prepared = Vec::new();
    for channel in chosen {
        if let Some(p) = prepare(
            state,
            &req,
            &ctx,
            channel,
            &recipient,
            chat_id.as_deref(),
            now,
        )
        .await?
        {
            prepared.push(p);
        }
    }

    let mut tx = state.pool.begin().await?;
    if let Some(key) = &ctx.idempotency_key {
        // Two requests with one key: the second waits here, then finds the first one's logs.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        let seen = logs::by_idempotency_key(&mut *tx, key, ctx.seen_since(now)).await?;
        if !seen.is_empty() {
            return Ok(SendOutcome::Repeated(
                seen.iter().map(Summary::from).collect(),
            ));
        }
    }
    let mut summaries = Vec::new();
    let mut woke = false;
    for Prepared { mut log, job } in prepared {
        if let Some(job) = job {
            log.job_id = jobs::enqueue(&mut tx, job).await?;
            woke = true;
        }
        logs::insert(&mut tx, &log).await?;
        summaries.push(Summary {
            log_id: log.id,
            channel: log.channel.to_owned(),
            status: log.status.to_owned(),
            recipient: log.recipient.clone(),
        });
    }
    tx.commit().await?;
    if woke {
        state.job_waker.wake();
    }
    // Render failures never reach a queue, so they are counted here rather than by the handlers.
    for summary in summaries.iter().filter(|s| s.status == FAILED) {
        if let Some(channel) = Channel::parse(&summary.channel) {
            handlers::NOTIFICATIONS.inc(&[handlers::channel_label(channel), "failed"]);
        }
    }
    tracing::info!(
        event = req.event.as_str(),
        notifications = summaries.len(),
        "notification accepted"
    );
    Ok(SendOutcome::Accepted(summaries))
}

/// The recipient, the facts routing needs and the chat id; nothing is stored on failure.
async fn resolve(
    state: &AppState,
    req: &SendRequest,
    request_id: &str,
) -> ApiResult<(Recipient, RoutingFacts, Option<String>)> {
    let telegram_enabled = state.config.telegram.active();
    if req.event.is_account() {
        let text = |k: &str| req.data.get(k).and_then(Value::as_str).map(str::to_owned);
        let recipient = Recipient {
            email: text("email").unwrap_or_default(),
            full_name: text("fullName"),
        };
        let facts = RoutingFacts {
            email_opt_in: true,
            telegram_opt_in: false,
            has_chat: false,
            telegram_enabled,
        };
        return Ok((recipient, facts, None));
    }
    match state.auth.get_user(&req.user_id, request_id).await {
        Lookup::Found(user) if !user.is_deleted() => {
            let facts = RoutingFacts {
                email_opt_in: user.email_opt_in,
                telegram_opt_in: user.telegram_opt_in,
                has_chat: user.telegram_chat_id.is_some(),
                telegram_enabled,
            };
            let recipient = Recipient {
                email: user.email,
                full_name: user.full_name,
            };
            Ok((recipient, facts, user.telegram_chat_id))
        }
        Lookup::Found(_) | Lookup::NotFound => Err(errors::user_not_found()),
        Lookup::Unavailable => Err(errors::auth_unavailable()),
    }
}

/// Renders one channel twice — real data for the job, redacted data for the log — or returns
/// `None` when its template is missing or inactive.
async fn prepare(
    state: &AppState,
    req: &SendRequest,
    ctx: &SendContext,
    channel: Channel,
    recipient: &Recipient,
    chat_id: Option<&str>,
    now: OffsetDateTime,
) -> ApiResult<Option<Prepared>> {
    let key = req.event.template_key();
    let Some(template) = templates::find(&state.pool, key, channel.as_str()).await? else {
        tracing::warn!(
            template = key,
            channel = channel.as_str(),
            "template missing; channel skipped"
        );
        return Ok(None);
    };
    if !template.is_active {
        return Ok(None);
    }
    let site = state.config.site();
    let real_data = req.data.clone();
    let redacted_value = redact::redacted(&Value::Object(req.data.clone()));
    let redacted_data = match &redacted_value {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    let sensitive = redact::has_sensitive(&Value::Object(req.data.clone()));
    let real_vars = vars::build(req.event, channel, &real_data, recipient, &site, now);
    let shown_vars = vars::build(req.event, channel, &redacted_data, recipient, &site, now);
    let address = match channel {
        Channel::Email => recipient.email.clone(),
        Channel::Telegram => chat_id.unwrap_or_default().to_owned(),
    };
    let mut log = NewLog {
        id: Uuid::new_v4(),
        user_id: req.user_id.clone(),
        event: req.event.as_str(),
        channel: channel.as_str(),
        status: QUEUED,
        recipient: address.clone(),
        template_key: template.key.clone(),
        template_version: template.version,
        subject: None,
        content: String::new(),
        payload: redacted_value.clone(),
        error: None,
        job_id: None,
        idempotency_key: ctx.idempotency_key.clone(),
        request_id: ctx.request_id.clone(),
    };
    let base = json!({
        "logId": log.id, "event": req.event.as_str(), "userId": req.user_id,
    });
    let cipher = &state.config.credentials;
    let rendered = match channel {
        Channel::Email => {
            let layout = templates::find(&state.pool, LAYOUT_KEY, Channel::Email.as_str())
                .await?
                .map(|t| t.body);
            email_job(
                &template,
                layout.as_deref(),
                &real_vars,
                &shown_vars,
                &address,
                recipient,
                base,
            )
        }
        Channel::Telegram => telegram_job(&template, &real_vars, &shown_vars, &address, base),
    };
    match rendered {
        Ok((payload, subject, content, secret)) => {
            log.subject = subject;
            log.content = content;
            let spec = match channel {
                Channel::Email => queues::email(&state.config.queues),
                Channel::Telegram => queues::telegram(&state.config.queues),
            };
            let mut job =
                NewJob::new(&spec, log.id.to_string(), payload).request_id(&ctx.request_id);
            // Only a message that differs from its redacted twin holds anything secret.
            if sensitive && let Some(secret) = secret {
                job = job.secret(cipher, &secret.to_string());
            }
            Ok(Some(Prepared {
                log,
                job: Some(job),
            }))
        }
        Err(failure) => {
            tracing::error!(
                template = key,
                channel = channel.as_str(),
                reason = %failure,
                "template render failed"
            );
            log.status = FAILED;
            log.error = Some(format!("TEMPLATE_RENDER_FAILED: {failure}"));
            Ok(Some(Prepared { log, job: None }))
        }
    }
}

/// The job payload, the log's subject and content, and the real content to seal.
type Rendered = (Value, Option<String>, String, Option<Value>);

fn email_job(
    template: &TemplateRow,
    layout: Option<&str>,
    real: &Map<String, Value>,
    shown: &Map<String, Value>,
    to: &str,
    recipient: &Recipient,
    mut payload: Value,
) -> Result<Rendered, RenderFailure> {
    let source = EmailSource {
        subject: template.subject.as_deref().unwrap_or_default(),
        body: &template.body,
        text_body: template.text_body.as_deref(),
        layout: layout.unwrap_or_else(|| defaults::layout()),
    };
    let real = render::render_email(source, real)?;
    let shown_mail = render::render_email(source, shown)?;
    let to_name = shown
        .get("customerName")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| recipient.full_name.clone());
    payload["to"] = json!(to);
    payload["toName"] = json!(to_name);
    payload["subject"] = json!(shown_mail.subject);
    payload["html"] = json!(shown_mail.html);
    payload["text"] = json!(shown_mail.text);
    let secret = (real != shown_mail)
        .then(|| json!({"subject": real.subject, "html": real.html, "text": real.text}));
    Ok((payload, Some(shown_mail.subject), shown_mail.html, secret))
}

fn telegram_job(
    template: &TemplateRow,
    real: &Map<String, Value>,
    shown: &Map<String, Value>,
    chat_id: &str,
    mut payload: Value,
) -> Result<Rendered, RenderFailure> {
    let real = render::render_telegram(&template.body, real)?;
    let shown_text = render::render_telegram(&template.body, shown)?;
    payload["chatId"] = json!(chat_id);
    payload["text"] = json!(shown_text);
    payload["parseMode"] = json!("HTML");
    let secret = (real != shown_text).then(|| json!({"text": real}));
    Ok((payload, None, shown_text, secret))
}
