//! One step of one claimed task (§7.3–§7.8), and the success/failure transactions.

use std::time::Duration;

use digitalocean::provisioning::{OrderDroplet, order_tag};
use digitalocean::{Droplet, DropletStatus, Error as DoError};
use platform::jobs::{self, NewJob};
use serde_json::json;
use time::OffsetDateTime;

use super::Provisioner;
use super::store::{self, Claimed, Schedule};
use crate::domain::dates;
use crate::domain::status::{OrderStatus, PlanDuration};
use crate::queues::NOTIFICATIONS;
use crate::store::{history, orders};

static PROVISIONING_OUTCOMES: platform::metrics::CounterVec = platform::metrics::CounterVec::new(
    "provisioning_outcomes_total",
    "Provisioning tasks that ended: outcome active (order ACTIVE, error_code none) or failed \
     (order FAILED, error_code = the task error code of order.md §7.6).",
    &["outcome", "error_code"],
);

/// The task error codes of §7.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    DropletCreationFailed,
    DropletErrored,
    DropletNotFound,
    DigitaloceanUnavailable,
    ProvisioningTimeout,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DropletCreationFailed => "DROPLET_CREATION_FAILED",
            Self::DropletErrored => "DROPLET_ERRORED",
            Self::DropletNotFound => "DROPLET_NOT_FOUND",
            Self::DigitaloceanUnavailable => "DIGITALOCEAN_UNAVAILABLE",
            Self::ProvisioningTimeout => "PROVISIONING_TIMEOUT",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::DropletCreationFailed => "Penyedia cloud menolak permintaan pembuatan VPS",
            Self::DropletErrored => "VPS mengalami error saat dibuat",
            Self::DropletNotFound => "VPS tidak ditemukan di penyedia cloud",
            Self::DigitaloceanUnavailable => "Penyedia cloud tidak dapat dihubungi",
            Self::ProvisioningTimeout => "VPS tidak siap dalam batas waktu yang ditentukan",
        }
    }
}

/// What one status poll means (§7.5), decided without I/O so it can be tested in isolation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollDecision {
    Succeed,
    Fail(ErrorCode),
    KeepPolling,
}

/// A droplet answered: `attempts` already counts this poll.
pub fn judge_droplet(
    status: &DropletStatus,
    has_public_ipv4: bool,
    attempts: i32,
    max_attempts: i32,
) -> PollDecision {
    if *status == DropletStatus::Active && has_public_ipv4 {
        PollDecision::Succeed
    } else if status.is_provisioning_failure() {
        PollDecision::Fail(ErrorCode::DropletErrored)
    } else if attempts >= max_attempts {
        PollDecision::Fail(ErrorCode::ProvisioningTimeout)
    } else {
        PollDecision::KeepPolling
    }
}

/// A poll failed: `404` ends the task, anything else is transient until the budget is spent.
pub fn judge_poll_error(e: &DoError, attempts: i32, max_attempts: i32) -> PollDecision {
    if e.is_not_found() {
        PollDecision::Fail(ErrorCode::DropletNotFound)
    } else if attempts >= max_attempts {
        PollDecision::Fail(ErrorCode::ProvisioningTimeout)
    } else {
        PollDecision::KeepPolling
    }
}

/// A create failed: `Ok(())` to retry after the interval, or the failure code.
pub fn judge_create_error(e: &DoError, attempts: i32, max_attempts: i32) -> Result<(), ErrorCode> {
    if !e.is_transient() {
        Err(ErrorCode::DropletCreationFailed)
    } else if attempts >= max_attempts {
        Err(ErrorCode::DigitaloceanUnavailable)
    } else {
        Ok(())
    }
}

const PASSWORD_LEN: usize = 24;
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// 24 characters of `[A-Za-z0-9]` from the system CSPRNG, without modulo bias (§7.3 step 1).
pub fn generate_password() -> String {
    let mut out = String::with_capacity(PASSWORD_LEN);
    while out.len() < PASSWORD_LEN {
        for b in platform::crypto::random_bytes(32) {
            // 248 = 4 × 62: bytes above it would favour the first characters.
            if b < 248 && out.len() < PASSWORD_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    out
}

fn log_transient(task: &Claimed, e: &DoError) {
    if e.is_auth_rejected() {
        tracing::error!(orderId = %task.order_id, error = %e, "DigitalOcean rejected the token");
    } else {
        tracing::warn!(orderId = %task.order_id, error = %e, "DigitalOcean call failed, retrying");
    }
}

fn parse_id(raw: &str) -> anyhow::Result<i64> {
    raw.parse()
        .map_err(|_| anyhow::anyhow!("stored droplet id {raw:?} is not a number"))
}

impl Provisioner {
    fn owner(&self) -> &str {
        &self.settings.lease_owner
    }

    fn next_poll(&self, at_least: Option<Duration>) -> OffsetDateTime {
        let wait = at_least
            .unwrap_or(Duration::ZERO)
            .max(self.settings.poll_interval);
        OffsetDateTime::now_utc() + wait
    }

    pub(super) async fn advance(&self, task: Claimed) -> anyhow::Result<()> {
        match task.status.as_str() {
            "PENDING" => self.pending(task).await,
            "IN_PROGRESS" => self.poll(task).await,
            _ => {
                store::release(&self.pool, task.id, self.owner()).await?;
                Ok(())
            }
        }
    }

    /// A transient failure counted as an attempt: retry later, or fail with `exhausted`.
    async fn transient(
        &self,
        task: &Claimed,
        status: &'static str,
        e: &DoError,
        exhausted: ErrorCode,
    ) -> anyhow::Result<()> {
        log_transient(task, e);
        let attempts = task.attempts + 1;
        let detail = e.to_string();
        if attempts >= self.settings.max_attempts {
            let detail = format!("last error: {detail}");
            return self.fail(task, attempts, exhausted, Some(&detail)).await;
        }
        let schedule = Schedule {
            status,
            attempts,
            next_poll_at: self.next_poll(e.retry_after()),
            started: false,
        };
        store::reschedule(
            &self.pool,
            task.id,
            self.owner(),
            schedule,
            None,
            Some(&detail),
        )
        .await
    }

    /// §7.3 (and §7.8 for a task that still carries a droplet after a manual retry).
    async fn pending(&self, mut task: Claimed) -> anyhow::Result<()> {
        if let Some(previous) = task.droplet_id.clone() {
            match self.client.get_droplet(parse_id(&previous)?).await {
                Ok(reply) => {
                    let d = reply.value;
                    if d.is_ready() {
                        return self.succeed(&task, task.attempts, &d).await;
                    }
                    if d.status == DropletStatus::New {
                        let schedule = Schedule {
                            status: "IN_PROGRESS",
                            attempts: task.attempts,
                            next_poll_at: self.next_poll(None),
                            started: true,
                        };
                        return store::reschedule(
                            &self.pool,
                            task.id,
                            self.owner(),
                            schedule,
                            Some(&d),
                            None,
                        )
                        .await;
                    }
                }
                Err(e) if e.is_not_found() => {}
                Err(e) if e.is_transient() => {
                    return self
                        .transient(&task, "PENDING", &e, ErrorCode::DigitaloceanUnavailable)
                        .await;
                }
                Err(e) => tracing::warn!(orderId = %task.order_id, error = %e,
                    "previous droplet unreadable, abandoning it"),
            }
            store::abandon_droplet(&self.pool, task.id, self.owner(), &previous).await?;
            tracing::info!(orderId = %task.order_id, dropletId = %previous, "previous droplet abandoned");
            task.abandoned_droplet_ids.push(previous);
            task.droplet_id = None;
        }

        let password = match &task.root_password_enc {
            Some(sealed) => self.cipher.decrypt(sealed)?,
            None => {
                let password = generate_password();
                let sealed = self.cipher.encrypt(&password);
                store::store_password(&self.pool, task.id, self.owner(), &sealed).await?;
                task.root_password_enc = Some(sealed);
                password
            }
        };
        let order_id = task.order_id.to_string();

        if task.create_requested_at.is_some() {
            // An earlier create may have reached the provider without being recorded.
            match self
                .client
                .find_droplets_by_tag(&order_tag(&order_id))
                .await
            {
                Ok(reply) => {
                    let found = reply.value.droplets.into_iter().find(|d| {
                        !task.abandoned_droplet_ids.contains(&d.id_string())
                            && d.has_tag(&order_tag(&order_id))
                    });
                    if let Some(d) = found {
                        tracing::info!(orderId = %task.order_id, dropletId = d.id, "droplet adopted by its order tag");
                        let schedule = Schedule {
                            status: "IN_PROGRESS",
                            attempts: task.attempts,
                            next_poll_at: self.next_poll(None),
                            started: true,
                        };
                        return store::reschedule(
                            &self.pool,
                            task.id,
                            self.owner(),
                            schedule,
                            Some(&d),
                            None,
                        )
                        .await;
                    }
                }
                // Creating without knowing would risk a second droplet: wait, counted like a
                // failed create so that an outage still ends the task.
                Err(e) => {
                    return self
                        .transient(&task, "PENDING", &e, ErrorCode::DigitaloceanUnavailable)
                        .await;
                }
            }
        }

        let request = OrderDroplet {
            order_id: &order_id,
            region: &task.do_region,
            size: &task.do_size,
            image: &task.do_image,
            root_password: &password,
        }
        .request()
        .map_err(|e| anyhow::anyhow!("generated password refused: {e:?}"))?;
        store::mark_create_requested(&self.pool, task.id, self.owner(), OffsetDateTime::now_utc())
            .await?;
        match self.client.create_droplet(&request).await {
            Ok(reply) => {
                let d = reply.value.droplet;
                tracing::info!(orderId = %task.order_id, dropletId = d.id, "droplet created");
                let schedule = Schedule {
                    status: "IN_PROGRESS",
                    attempts: task.attempts,
                    next_poll_at: self.next_poll(None),
                    started: true,
                };
                store::reschedule(&self.pool, task.id, self.owner(), schedule, Some(&d), None).await
            }
            Err(e)
                if judge_create_error(&e, task.attempts + 1, self.settings.max_attempts)
                    != Err(ErrorCode::DropletCreationFailed) =>
            {
                self.transient(&task, "PENDING", &e, ErrorCode::DigitaloceanUnavailable)
                    .await
            }
            Err(e) => {
                tracing::error!(orderId = %task.order_id, error = %e, "DigitalOcean refused the droplet");
                let detail = e
                    .provider_message()
                    .map(str::to_owned)
                    .unwrap_or_else(|| e.to_string());
                self.fail(
                    &task,
                    task.attempts + 1,
                    ErrorCode::DropletCreationFailed,
                    Some(&detail),
                )
                .await
            }
        }
    }

    /// §7.5: one status poll of an `IN_PROGRESS` task.
    async fn poll(&self, task: Claimed) -> anyhow::Result<()> {
        let Some(raw) = task.droplet_id.as_deref() else {
            anyhow::bail!("IN_PROGRESS task without a droplet id");
        };
        let attempts = task.attempts + 1;
        match self.client.get_droplet(parse_id(raw)?).await {
            Ok(reply) => {
                let d = reply.value;
                let max = self.settings.max_attempts;
                match judge_droplet(&d.status, d.public_ipv4().is_some(), attempts, max) {
                    PollDecision::Succeed => self.succeed(&task, attempts, &d).await,
                    PollDecision::Fail(code) => {
                        let mut conn = self.pool.acquire().await?;
                        store::write_droplet(&mut conn, task.id, self.owner(), &d).await?;
                        drop(conn);
                        let detail = match code {
                            ErrorCode::ProvisioningTimeout => {
                                format!("droplet still {} after {attempts} polls", d.status)
                            }
                            _ => format!("droplet status {}", d.status),
                        };
                        self.fail(&task, attempts, code, Some(&detail)).await
                    }
                    PollDecision::KeepPolling => {
                        let schedule = Schedule {
                            status: "IN_PROGRESS",
                            attempts,
                            next_poll_at: self.next_poll(None),
                            started: false,
                        };
                        store::reschedule(
                            &self.pool,
                            task.id,
                            self.owner(),
                            schedule,
                            Some(&d),
                            None,
                        )
                        .await
                    }
                }
            }
            Err(e) => match judge_poll_error(&e, attempts, self.settings.max_attempts) {
                PollDecision::Fail(ErrorCode::DropletNotFound) => {
                    self.fail(&task, attempts, ErrorCode::DropletNotFound, None)
                        .await
                }
                _ => {
                    self.transient(&task, "IN_PROGRESS", &e, ErrorCode::ProvisioningTimeout)
                        .await
                }
            },
        }
    }

    /// T4 in one transaction (§7.5 success).
    async fn succeed(&self, task: &Claimed, attempts: i32, d: &Droplet) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let Some(order) = orders::lock(&mut tx, task.order_id).await? else {
            anyhow::bail!("order of the task vanished");
        };
        if order.status != OrderStatus::Provisioning.as_str() {
            drop(tx);
            store::release(&self.pool, task.id, self.owner()).await?;
            return Ok(());
        }
        store::write_droplet(&mut tx, task.id, self.owner(), d).await?;
        let now = OffsetDateTime::now_utc();
        let duration = PlanDuration::parse(&order.duration)
            .ok_or_else(|| anyhow::anyhow!("unknown duration {}", order.duration))?;
        let expires = dates::expires_at(now, duration);
        sqlx::query(
            "UPDATE orders SET status = 'ACTIVE', activated_at = $2, expires_at = $3,
                 updated_at = $2
             WHERE id = $1 AND status = 'PROVISIONING'",
        )
        .bind(task.order_id)
        .bind(now)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE provisioning_tasks SET status = 'SUCCESS', attempts = $2, completed_at = $3,
                 next_poll_at = NULL, error_code = NULL, error_message = NULL,
                 error_detail = NULL, lease_owner = NULL, lease_expires_at = NULL,
                 started_at = COALESCE(started_at, $3), updated_at = $3
             WHERE id = $1",
        )
        .bind(task.id)
        .bind(attempts)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let ip = d.public_ipv4().unwrap_or_default().to_owned();
        history::insert(
            &mut tx,
            &history::NewEntry {
                order_id: task.order_id,
                previous_status: Some(OrderStatus::Provisioning.as_str()),
                new_status: OrderStatus::Active.as_str(),
                actor: "system",
                reason: "VPS aktif",
                metadata: json!({
                    "provisioningTaskId": task.id, "dropletId": d.id_string(), "ipv4Public": ip,
                }),
                request_id: None,
                idempotency_key: None,
                now,
            },
        )
        .await?;
        let data = json!({
            "orderId": task.order_id, "planName": order.plan_name, "imageName": order.image_name,
            "duration": order.duration, "hostname": d.name, "ipAddress": ip,
            "ipv4Private": d.private_ipv4(),
            "region": d.region_slug().unwrap_or(&task.do_region),
            "username": "root", "sshCommand": format!("ssh root@{ip}"),
            "activatedAt": platform::time_format::format(now),
            "expiresAt": platform::time_format::format(expires),
        });
        let mut job = NewJob::new(
            &NOTIFICATIONS,
            task.order_id.to_string(),
            json!({ "event": "VPS_ACTIVE", "userId": order.user_id, "data": data }),
        )
        .dedupe_key(format!("VPS_ACTIVE:{}:{}", task.order_id, task.retry_count))
        .max_attempts(Some(self.settings.notification_max_attempts));
        if let Some(sealed) = &task.root_password_enc {
            job = job.sealed_secret(sealed.clone());
        }
        jobs::enqueue(&mut tx, job).await?;
        tx.commit().await?;
        self.job_waker.wake();
        PROVISIONING_OUTCOMES.inc(&["active", "none"]);
        tracing::info!(orderId = %task.order_id, dropletId = d.id, "order active");
        Ok(())
    }

    /// T5 in one transaction (§7.5 failure); the droplet, if any, stays recorded.
    async fn fail(
        &self,
        task: &Claimed,
        attempts: i32,
        code: ErrorCode,
        detail: Option<&str>,
    ) -> anyhow::Result<()> {
        let mut tx = self.pool.begin().await?;
        let Some(order) = orders::lock(&mut tx, task.order_id).await? else {
            anyhow::bail!("order of the task vanished");
        };
        if order.status != OrderStatus::Provisioning.as_str() {
            drop(tx);
            store::release(&self.pool, task.id, self.owner()).await?;
            return Ok(());
        }
        let now = OffsetDateTime::now_utc();
        let updated = sqlx::query_scalar::<_, Option<String>>(
            "UPDATE provisioning_tasks SET status = 'FAILED', attempts = $3, error_code = $4,
                 error_message = $5, error_detail = COALESCE($6, error_detail), completed_at = $7,
                 next_poll_at = NULL, lease_owner = NULL, lease_expires_at = NULL, updated_at = $7
             WHERE id = $1 AND lease_owner = $2
             RETURNING droplet_id",
        )
        .bind(task.id)
        .bind(self.owner())
        .bind(attempts)
        .bind(code.as_str())
        .bind(code.message())
        .bind(detail)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(droplet_id) = updated else {
            anyhow::bail!("provisioning lease lost");
        };
        sqlx::query(
            "UPDATE orders SET status = 'FAILED', updated_at = $2
             WHERE id = $1 AND status = 'PROVISIONING'",
        )
        .bind(task.order_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        history::insert(
            &mut tx,
            &history::NewEntry {
                order_id: task.order_id,
                previous_status: Some(OrderStatus::Provisioning.as_str()),
                new_status: OrderStatus::Failed.as_str(),
                actor: "system",
                reason: &format!("Provisioning gagal: {}", code.as_str()),
                metadata: json!({
                    "provisioningTaskId": task.id, "errorCode": code.as_str(),
                    "dropletId": droplet_id,
                }),
                request_id: None,
                idempotency_key: None,
                now,
            },
        )
        .await?;
        let data = json!({
            "orderId": task.order_id, "planName": order.plan_name, "imageName": order.image_name,
            "errorCode": code.as_str(), "errorMessage": code.message(),
        });
        jobs::enqueue(
            &mut tx,
            NewJob::new(
                &NOTIFICATIONS,
                task.order_id.to_string(),
                json!({ "event": "PROVISIONING_FAILED", "userId": order.user_id, "data": data }),
            )
            .dedupe_key(format!(
                "PROVISIONING_FAILED:{}:{}",
                task.order_id, task.retry_count
            ))
            .max_attempts(Some(self.settings.notification_max_attempts)),
        )
        .await?;
        tx.commit().await?;
        self.job_waker.wake();
        PROVISIONING_OUTCOMES.inc(&["failed", code.as_str()]);
        tracing::warn!(orderId = %task.order_id, errorCode = code.as_str(), "provisioning failed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_24_alphanumerics_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_eq!(a.len(), 24);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    fn error(kind: digitalocean::ErrorKind) -> DoError {
        DoError {
            operation: "test",
            kind,
            rate_limit: digitalocean::RateLimit::default(),
        }
    }

    fn api(status: u16) -> Box<digitalocean::ApiError> {
        Box::new(digitalocean::ApiError::from_body(status, b"{}"))
    }

    #[test]
    fn polls_follow_the_table_of_7_5() {
        use DropletStatus::*;
        assert_eq!(judge_droplet(&Active, true, 1, 5), PollDecision::Succeed);
        assert_eq!(judge_droplet(&Active, true, 5, 5), PollDecision::Succeed);
        assert_eq!(
            judge_droplet(&Active, false, 1, 5),
            PollDecision::KeepPolling
        );
        assert_eq!(judge_droplet(&New, false, 4, 5), PollDecision::KeepPolling);
        assert_eq!(judge_droplet(&Off, true, 1, 5), PollDecision::KeepPolling);
        for failed in [Errored, Archive] {
            assert_eq!(
                judge_droplet(&failed, false, 1, 5),
                PollDecision::Fail(ErrorCode::DropletErrored)
            );
        }
        assert_eq!(
            judge_droplet(&New, false, 5, 5),
            PollDecision::Fail(ErrorCode::ProvisioningTimeout),
            "exactly PROVISIONING_MAX_ATTEMPTS polls"
        );
    }

    #[test]
    fn poll_errors_are_transient_except_404() {
        use digitalocean::ErrorKind::*;
        assert_eq!(
            judge_poll_error(&error(NotFound(api(404))), 1, 5),
            PollDecision::Fail(ErrorCode::DropletNotFound)
        );
        for kind in [
            Unauthorized(api(401)),
            Forbidden(api(403)),
            RateLimited {
                retry_after: Some(Duration::from_secs(30)),
                error: api(429),
            },
            Server(api(503)),
            Timeout,
            Connection("refused".into()),
        ] {
            let e = error(kind);
            assert_eq!(judge_poll_error(&e, 4, 5), PollDecision::KeepPolling, "{e}");
            assert_eq!(
                judge_poll_error(&e, 5, 5),
                PollDecision::Fail(ErrorCode::ProvisioningTimeout),
                "{e}"
            );
        }
    }

    #[test]
    fn create_errors_follow_7_5() {
        use digitalocean::ErrorKind::*;
        for kind in [
            Unprocessable(api(422)),
            NotFound(api(404)),
            Unexpected(api(400)),
        ] {
            assert_eq!(
                judge_create_error(&error(kind), 1, 5),
                Err(ErrorCode::DropletCreationFailed)
            );
        }
        for kind in [
            Unauthorized(api(401)),
            RateLimited {
                retry_after: None,
                error: api(429),
            },
            Server(api(500)),
            Timeout,
        ] {
            let e = error(kind);
            assert_eq!(judge_create_error(&e, 1, 5), Ok(()), "{e}");
            assert_eq!(
                judge_create_error(&e, 5, 5),
                Err(ErrorCode::DigitaloceanUnavailable)
            );
        }
    }

    #[test]
    fn a_429_waits_at_least_its_retry_after() {
        let e = error(digitalocean::ErrorKind::RateLimited {
            retry_after: Some(Duration::from_secs(30)),
            error: api(429),
        });
        let wait = e
            .retry_after()
            .unwrap_or_default()
            .max(Duration::from_millis(100));
        assert_eq!(wait, Duration::from_secs(30));
    }

    #[test]
    fn error_codes_carry_the_spec_messages() {
        assert_eq!(
            ErrorCode::ProvisioningTimeout.as_str(),
            "PROVISIONING_TIMEOUT"
        );
        assert_eq!(
            ErrorCode::DropletErrored.message(),
            "VPS mengalami error saat dibuat"
        );
    }
}
