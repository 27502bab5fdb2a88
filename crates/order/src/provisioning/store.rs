//! SQL of the provisioning worker. Every write to a claimed task is conditional on
//! `lease_owner = <this worker>`: a worker that lost its lease cannot overwrite its successor.

use std::time::Duration;

use digitalocean::Droplet;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::status::{Actor, OrderStatus, transition};
use crate::store::{history, orders};

/// A claimed task, as the step logic needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: Uuid,
    pub order_id: Uuid,
    pub status: String,
    pub do_region: String,
    pub do_size: String,
    pub do_image: String,
    pub droplet_id: Option<String>,
    pub root_password_enc: Option<String>,
    pub create_requested_at: Option<OffsetDateTime>,
    pub abandoned_droplet_ids: Vec<String>,
    pub attempts: i32,
    pub retry_count: i32,
}

fn lease_error() -> anyhow::Error {
    anyhow::anyhow!("provisioning lease lost")
}

/// §7.1 (1): `PAID` orders without a task, oldest payment first.
pub async fn paid_without_task(pool: &PgPool, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT o.id FROM orders o
         WHERE o.status = 'PAID'
           AND NOT EXISTS (SELECT 1 FROM provisioning_tasks t WHERE t.order_id = o.id)
         ORDER BY o.paid_at, o.id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// T3 (§7.2) in one transaction; `false` when another worker started it first.
pub async fn start(pool: &PgPool, order_id: Uuid, region: &str) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    let Some(order) = orders::lock(&mut tx, order_id).await? else {
        return Ok(false);
    };
    if order.status != OrderStatus::Paid.as_str() {
        return Ok(false);
    }
    let now = OffsetDateTime::now_utc();
    let task_id = Uuid::new_v4();
    let inserted = sqlx::query(
        "INSERT INTO provisioning_tasks (id, order_id, status, do_region, do_size, do_image,
             created_at, updated_at)
         VALUES ($1, $2, 'PENDING', $3, $4, $5, $6, $6)
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(task_id)
    .bind(order_id)
    .bind(region)
    .bind(&order.provider_size_slug)
    .bind(&order.provider_image_slug)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(false);
    }
    let moved = sqlx::query(
        "UPDATE orders SET status = 'PROVISIONING', updated_at = $2
         WHERE id = $1 AND status = 'PAID'",
    )
    .bind(order_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if moved.rows_affected() == 0 {
        return Ok(false);
    }
    let t3 = transition(
        Some(OrderStatus::Paid),
        OrderStatus::Provisioning,
        &Actor::System,
    )
    .map_err(|_| anyhow::anyhow!("T3 refused for the system actor"))?;
    history::insert(
        &mut tx,
        &history::NewEntry {
            order_id,
            previous_status: Some(OrderStatus::Paid.as_str()),
            new_status: OrderStatus::Provisioning.as_str(),
            actor: &Actor::System.label(),
            reason: t3.default_reason(&Actor::System),
            metadata: json!({ "provisioningTaskId": task_id, "region": region }),
            request_id: None,
            idempotency_key: None,
            now,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Claims due `PENDING` and `IN_PROGRESS` tasks whose lease is free or expired (§7.1).
pub async fn claim_due(
    pool: &PgPool,
    owner: &str,
    lease: Duration,
    limit: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    sqlx::query_as::<_, Claimed>(
        "UPDATE provisioning_tasks t SET lease_owner = $1, lease_expires_at = $2
         FROM (SELECT id FROM provisioning_tasks
               WHERE status IN ('PENDING', 'IN_PROGRESS')
                 AND (next_poll_at IS NULL OR next_poll_at <= $3)
                 AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < $3)
               ORDER BY status, next_poll_at NULLS FIRST, created_at
               LIMIT $4
               FOR UPDATE SKIP LOCKED) due
         WHERE t.id = due.id
         RETURNING t.id, t.order_id, t.status::text AS status, t.do_region, t.do_size, t.do_image,
             t.droplet_id, t.root_password_enc, t.create_requested_at, t.abandoned_droplet_ids,
             t.attempts, t.retry_count",
    )
    .bind(owner)
    .bind(now + lease)
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// When the next unfinished task becomes claimable: its `next_poll_at` (now when null), or the
/// end of a lease another worker holds, whichever is later.
pub async fn next_due(pool: &PgPool) -> Result<Option<OffsetDateTime>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT min(GREATEST(COALESCE(next_poll_at, now()),
                    CASE WHEN lease_owner IS NOT NULL THEN lease_expires_at ELSE now() END))
         FROM provisioning_tasks
         WHERE status IN ('PENDING', 'IN_PROGRESS')",
    )
    .fetch_one(pool)
    .await
}

/// Gives a task back after an unexpected error; it is retried one interval later.
pub async fn release(pool: &PgPool, task_id: Uuid, owner: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE provisioning_tasks SET lease_owner = NULL, lease_expires_at = NULL,
             next_poll_at = GREATEST(COALESCE(next_poll_at, now()), now() + interval '1 second')
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(task_id)
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(())
}

/// Every lease this worker holds, at shutdown.
pub async fn release_all(pool: &PgPool, owner: &str) -> Result<u64, sqlx::Error> {
    let r = sqlx::query(
        "UPDATE provisioning_tasks SET lease_owner = NULL, lease_expires_at = NULL
         WHERE lease_owner = $1",
    )
    .bind(owner)
    .execute(pool)
    .await?;
    Ok(r.rows_affected())
}

/// Commits the encrypted root password before the provider is contacted (§7.3 step 1).
pub async fn store_password(
    pool: &PgPool,
    task_id: Uuid,
    owner: &str,
    sealed: &str,
) -> anyhow::Result<()> {
    let r = sqlx::query(
        "UPDATE provisioning_tasks SET root_password_enc = $3, updated_at = now()
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(task_id)
    .bind(owner)
    .bind(sealed)
    .execute(pool)
    .await?;
    if r.rows_affected() == 0 {
        return Err(lease_error());
    }
    Ok(())
}

/// Commits `create_requested_at` before `POST /v2/droplets` (§7.3 step 3).
pub async fn mark_create_requested(
    pool: &PgPool,
    task_id: Uuid,
    owner: &str,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let r = sqlx::query(
        "UPDATE provisioning_tasks SET create_requested_at = $3, updated_at = $3
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(task_id)
    .bind(owner)
    .bind(now)
    .execute(pool)
    .await?;
    if r.rows_affected() == 0 {
        return Err(lease_error());
    }
    Ok(())
}

/// §7.8: the previous droplet is gone or unusable; it is kept for manual clean-up.
pub async fn abandon_droplet(
    pool: &PgPool,
    task_id: Uuid,
    owner: &str,
    droplet_id: &str,
) -> anyhow::Result<()> {
    let r = sqlx::query(
        "UPDATE provisioning_tasks SET
             abandoned_droplet_ids = array_append(abandoned_droplet_ids, $3::text),
             droplet_id = NULL, droplet_name = NULL, droplet_status = NULL, ipv4_public = NULL,
             ipv4_private = NULL, droplet_tags = '{}', droplet_created_at = NULL,
             started_at = NULL, updated_at = now()
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(task_id)
    .bind(owner)
    .bind(droplet_id)
    .execute(pool)
    .await?;
    if r.rows_affected() == 0 {
        return Err(lease_error());
    }
    Ok(())
}

/// Where the task goes after a step that neither succeeded nor failed.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub status: &'static str,
    pub attempts: i32,
    pub next_poll_at: OffsetDateTime,
    /// Set `started_at` now (acceptance or adoption of a droplet).
    pub started: bool,
}

/// Records the step's outcome (droplet metadata when there was an answer) and releases the
/// lease in one statement.
pub async fn reschedule(
    pool: &PgPool,
    task_id: Uuid,
    owner: &str,
    schedule: Schedule,
    droplet: Option<&Droplet>,
    last_error: Option<&str>,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    if let Some(d) = droplet {
        write_droplet(&mut conn, task_id, owner, d).await?;
    }
    let r = sqlx::query(
        "UPDATE provisioning_tasks SET status = $3::provisioning_status, attempts = $4,
             next_poll_at = $5, started_at = CASE WHEN $6 THEN now() ELSE started_at END,
             error_detail = COALESCE($7, error_detail),
             lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(task_id)
    .bind(owner)
    .bind(schedule.status)
    .bind(schedule.attempts)
    .bind(schedule.next_poll_at)
    .bind(schedule.started)
    .bind(last_error)
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(lease_error());
    }
    Ok(())
}

/// The droplet metadata of §7.3 step 4 / §7.5.
pub async fn write_droplet(
    conn: &mut PgConnection,
    task_id: Uuid,
    owner: &str,
    d: &Droplet,
) -> anyhow::Result<()> {
    let r = sqlx::query(
        "UPDATE provisioning_tasks SET droplet_id = $3, droplet_name = $4, droplet_status = $5,
             ipv4_public = $6, ipv4_private = $7, droplet_tags = $8,
             droplet_created_at = COALESCE($9, droplet_created_at),
             do_region = COALESCE($10, do_region), do_size = COALESCE($11, do_size),
             updated_at = now()
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind(task_id)
    .bind(owner)
    .bind(d.id_string())
    .bind(&d.name)
    .bind(d.status.as_str())
    .bind(d.public_ipv4())
    .bind(d.private_ipv4())
    .bind(&d.tags)
    .bind(d.created_at())
    .bind(d.region_slug())
    .bind(d.size_slug())
    .execute(&mut *conn)
    .await?;
    if r.rows_affected() == 0 {
        return Err(lease_error());
    }
    Ok(())
}
