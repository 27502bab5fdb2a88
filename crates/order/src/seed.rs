//! The sample orders of order.md §10, for development only.
//!
//! Replaces the order data (every order with its items, task and history, and every job) with
//! three orders of auth's seeded customer on the catalog's seeded plans and image, under fixed
//! ids, so running it again yields the same three orders:
//!
//! - `f1000000-…-000000000001`: `ACTIVE`, `basic` `MONTHLY`, a `SUCCESS` task and the full
//!   history T0 → T1 → T3 → T4;
//! - `f1000000-…-000000000002`: `PENDING_PAYMENT`, `standard` `MONTHLY` with the launch promo;
//! - `f1000000-…-000000000003`: `FAILED`, `basic` `QUARTERLY`, a `PROVISIONING_TIMEOUT` task.
//!
//! No job is enqueued (nothing provisions, notifies or times out a seeded order) and no root
//! password is stored, sealed or not.

use serde_json::json;
use sqlx::{PgConnection, PgPool};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::config::Config;
use crate::domain::dates;
use crate::domain::status::{Actor, OrderStatus, PlanDuration, Transition};
use crate::provisioning::ErrorCode;
use crate::store::{history, orders};

/// auth's seeded customer (auth.md seed data).
pub const CUSTOMER_ID: &str = "e1000000-0000-4000-8000-000000000003";
/// The back-office actor recorded for the seeded payments.
const PAYER: &str = "billing-service";

/// `f1000000-0000-4000-8000-00000000000N`: the seeded orders.
pub fn order_id(n: u8) -> Uuid {
    fixed('f', n)
}

/// `f2000000-0000-4000-8000-00000000000N`: the provisioning task of seeded order `N`.
pub fn task_id(n: u8) -> Uuid {
    fixed_with("f2", n)
}

fn fixed(prefix: char, n: u8) -> Uuid {
    fixed_with(&format!("{prefix}1"), n)
}

fn fixed_with(prefix: &str, n: u8) -> Uuid {
    Uuid::parse_str(&format!("{prefix}000000-0000-4000-8000-{n:012}"))
        .unwrap_or_else(|_| Uuid::nil())
}

/// The catalog's seeded entries the orders snapshot (catalog.md §9, catalog's `seed.rs`).
struct Plan {
    id: &'static str,
    display_name: &'static str,
    size_slug: &'static str,
    cpu: i64,
    memory_mb: i64,
    disk_gb: i64,
}

const BASIC: Plan = Plan {
    id: "a1000000-0000-4000-8000-000000000002",
    display_name: "VPS Basic",
    size_slug: "s-1vcpu-1gb",
    cpu: 1,
    memory_mb: 1024,
    disk_gb: 25,
};

const STANDARD: Plan = Plan {
    id: "a1000000-0000-4000-8000-000000000003",
    display_name: "VPS Standard",
    size_slug: "s-2vcpu-2gb",
    cpu: 2,
    memory_mb: 2048,
    disk_gb: 60,
};

const UBUNTU_ID: &str = "b1000000-0000-4000-8000-000000000001";
const UBUNTU_NAME: &str = "Ubuntu 22.04 LTS";
const UBUNTU_SLUG: &str = "ubuntu-22-04-x64";

enum Outcome {
    Active,
    Pending,
    Failed,
}

struct Sample {
    n: u8,
    plan: &'static Plan,
    duration: PlanDuration,
    /// The catalog's price of the whole term and the promo discount on it.
    base_price: i64,
    promo_discount: i64,
    /// How long before the seed run the order was created.
    age: Duration,
    outcome: Outcome,
}

const SAMPLES: [Sample; 3] = [
    Sample {
        n: 1,
        plan: &BASIC,
        duration: PlanDuration::Monthly,
        base_price: 125_000,
        promo_discount: 0,
        age: Duration::days(5),
        outcome: Outcome::Active,
    },
    Sample {
        n: 2,
        plan: &STANDARD,
        duration: PlanDuration::Monthly,
        // "Promo Peluncuran": 20 % off standard MONTHLY.
        base_price: 375_000,
        promo_discount: 75_000,
        age: Duration::hours(2),
        outcome: Outcome::Pending,
    },
    Sample {
        n: 3,
        plan: &BASIC,
        duration: PlanDuration::Quarterly,
        base_price: 356_000,
        promo_discount: 0,
        age: Duration::days(1),
        outcome: Outcome::Failed,
    },
];

/// Replaces the order data with the three sample orders; refuses when `APP_ENV=production`.
pub async fn run(pool: &PgPool, config: &Config) -> anyhow::Result<()> {
    if config.common.app_env.is_production() {
        anyhow::bail!(
            "the order seed replaces all order data and never runs with APP_ENV=production"
        );
    }
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('order-seed'))")
        .execute(&mut *tx)
        .await?;
    // Items, tasks and history go with their orders (ON DELETE CASCADE).
    sqlx::query("DELETE FROM orders").execute(&mut *tx).await?;
    sqlx::query("DELETE FROM jobs").execute(&mut *tx).await?;
    for sample in &SAMPLES {
        seed_order(&mut tx, config, sample, now).await?;
    }
    tx.commit().await?;
    tracing::info!(orders = SAMPLES.len(), "seeded the sample orders");
    Ok(())
}

async fn seed_order(
    conn: &mut PgConnection,
    config: &Config,
    s: &Sample,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let id = order_id(s.n);
    let plan_id = Uuid::parse_str(s.plan.id)?;
    let image_id = Uuid::parse_str(UBUNTU_ID)?;
    let created = now - s.age;
    let final_price = s.base_price - s.promo_discount;
    orders::insert(
        conn,
        &orders::NewOrder {
            id,
            user_id: CUSTOMER_ID,
            plan_id,
            plan_name: s.plan.display_name,
            image_id,
            image_name: UBUNTU_NAME,
            duration: s.duration.as_str(),
            provider_size_slug: s.plan.size_slug,
            provider_image_slug: UBUNTU_SLUG,
            base_price: s.base_price,
            promo_discount: s.promo_discount,
            coupon_code: None,
            coupon_discount: 0,
            final_price,
            payment_deadline: dates::payment_deadline(created, config.payment_timeout_hours),
            now: created,
        },
    )
    .await?;
    let description = format!(
        "{} - {} vCPU, {} MB RAM, {} GB SSD",
        s.plan.display_name, s.plan.cpu, s.plan.memory_mb, s.plan.disk_gb
    );
    orders::insert_item(
        conn,
        id,
        "PLAN",
        plan_id,
        &description,
        s.base_price,
        created,
    )
    .await?;
    orders::insert_item(conn, id, "IMAGE", image_id, UBUNTU_NAME, 0, created).await?;
    let customer = Actor::User(CUSTOMER_ID.to_string());
    entry(
        conn,
        id,
        None,
        OrderStatus::PendingPayment,
        &customer,
        Transition::T0.default_reason(&customer),
        json!({
            "planId": plan_id, "imageId": image_id, "duration": s.duration.as_str(),
            "couponCode": null,
        }),
        created,
    )
    .await?;
    if matches!(s.outcome, Outcome::Pending) {
        return Ok(());
    }

    // Paid 20 minutes after creation, provisioning starts 2 seconds later.
    let paid = created + Duration::minutes(20);
    let started = paid + Duration::seconds(2);
    let reference = format!("T0000SEED{:05}", s.n);
    sqlx::query(
        "UPDATE orders SET status = 'PAID', paid_at = $2, payment_reference = $3, updated_at = $2
         WHERE id = $1",
    )
    .bind(id)
    .bind(paid)
    .bind(&reference)
    .execute(&mut *conn)
    .await?;
    let payer = Actor::Service(PAYER.to_string());
    entry(
        conn,
        id,
        Some(OrderStatus::PendingPayment),
        OrderStatus::Paid,
        &payer,
        Transition::T1.default_reason(&payer),
        json!({
            "reference": reference, "paidAt": platform::time_format::format(paid), "notes": null,
        }),
        paid,
    )
    .await?;
    let task = task_id(s.n);
    let region = config.digitalocean.default_region.as_str();
    entry(
        conn,
        id,
        Some(OrderStatus::Paid),
        OrderStatus::Provisioning,
        &Actor::System,
        Transition::T3.default_reason(&Actor::System),
        json!({ "provisioningTaskId": task, "region": region }),
        started,
    )
    .await?;

    let order_text = id.to_string();
    let droplet_id = format!("4{:08}", 10_000 + u32::from(s.n));
    let droplet_name = digitalocean::provisioning::droplet_name(&order_text);
    let tags = digitalocean::provisioning::droplet_tags(&order_text);
    let droplet_created = started + Duration::seconds(1);
    match s.outcome {
        Outcome::Active => {
            let activated = started + Duration::seconds(48);
            let expires = dates::expires_at(activated, s.duration);
            let ip = format!("203.0.113.{}", 10 + s.n);
            sqlx::query(
                "INSERT INTO provisioning_tasks (id, order_id, status, do_region, do_size, do_image,
                     droplet_id, droplet_name, droplet_status, ipv4_public, ipv4_private,
                     droplet_tags, droplet_created_at, create_requested_at, attempts, started_at,
                     completed_at, created_at, updated_at)
                 VALUES ($1, $2, 'SUCCESS', $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12, 9,
                     $12, $13, $12, $13)",
            )
            .bind(task)
            .bind(id)
            .bind(region)
            .bind(s.plan.size_slug)
            .bind(UBUNTU_SLUG)
            .bind(&droplet_id)
            .bind(&droplet_name)
            .bind(&ip)
            .bind(format!("10.104.0.{}", 10 + s.n))
            .bind(&tags)
            .bind(droplet_created)
            .bind(started)
            .bind(activated)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE orders SET status = 'ACTIVE', activated_at = $2, expires_at = $3,
                     updated_at = $2
                 WHERE id = $1",
            )
            .bind(id)
            .bind(activated)
            .bind(expires)
            .execute(&mut *conn)
            .await?;
            entry(
                conn,
                id,
                Some(OrderStatus::Provisioning),
                OrderStatus::Active,
                &Actor::System,
                Transition::T4.default_reason(&Actor::System),
                json!({ "provisioningTaskId": task, "dropletId": droplet_id, "ipv4Public": ip }),
                activated,
            )
            .await?;
        }
        Outcome::Failed => {
            let code = ErrorCode::ProvisioningTimeout;
            let attempts = i32::try_from(config.provisioning_max_attempts).unwrap_or(i32::MAX);
            let interval_ms = i64::try_from(config.provisioning_poll_interval_ms).unwrap_or(5000)
                * i64::from(attempts);
            let failed = started + Duration::milliseconds(interval_ms);
            sqlx::query(
                "INSERT INTO provisioning_tasks (id, order_id, status, do_region, do_size, do_image,
                     droplet_id, droplet_name, droplet_status, droplet_tags, droplet_created_at,
                     create_requested_at, attempts, error_code, error_message, started_at,
                     completed_at, created_at, updated_at)
                 VALUES ($1, $2, 'FAILED', $3, $4, $5, $6, $7, 'new', $8, $9, $10, $11, $12, $13,
                     $10, $14, $10, $14)",
            )
            .bind(task)
            .bind(id)
            .bind(region)
            .bind(s.plan.size_slug)
            .bind(UBUNTU_SLUG)
            .bind(&droplet_id)
            .bind(&droplet_name)
            .bind(&tags)
            .bind(droplet_created)
            .bind(started)
            .bind(attempts)
            .bind(code.as_str())
            .bind(code.message())
            .bind(failed)
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE orders SET status = 'FAILED', updated_at = $2 WHERE id = $1")
                .bind(id)
                .bind(failed)
                .execute(&mut *conn)
                .await?;
            entry(
                conn,
                id,
                Some(OrderStatus::Provisioning),
                OrderStatus::Failed,
                &Actor::System,
                &format!("Provisioning gagal: {}", code.as_str()),
                json!({
                    "provisioningTaskId": task, "errorCode": code.as_str(), "dropletId": droplet_id,
                }),
                failed,
            )
            .await?;
        }
        Outcome::Pending => {}
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn entry(
    conn: &mut PgConnection,
    order_id: Uuid,
    previous: Option<OrderStatus>,
    new: OrderStatus,
    actor: &Actor,
    reason: &str,
    metadata: serde_json::Value,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    history::insert(
        conn,
        &history::NewEntry {
            order_id,
            previous_status: previous.map(OrderStatus::as_str),
            new_status: new.as_str(),
            actor: &actor.label(),
            reason,
            metadata,
            request_id: None,
            idempotency_key: None,
            now: at,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_ids() {
        assert_eq!(
            order_id(1).to_string(),
            "f1000000-0000-4000-8000-000000000001"
        );
        assert_eq!(
            task_id(3).to_string(),
            "f2000000-0000-4000-8000-000000000003"
        );
        for s in &SAMPLES {
            assert_eq!(order_id(s.n).get_version_num(), 4);
            assert!(s.base_price >= s.promo_discount);
        }
    }
}
