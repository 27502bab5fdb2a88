//! The demo catalog of catalog.md §9, with the fixed ids other services' seeds and tests refer to.
//!
//! Idempotent and respectful of operators: each entry (an image; a plan with its pricings and
//! allow-list; a promo; a coupon with its restriction) is applied at most once, ever, recorded in
//! `catalog_seed_history`. Restarting with `SEED_ON_START=true` therefore never resurrects a
//! deleted row or reverts an edited price. Rows are inserted with `ON CONFLICT DO NOTHING`, so an
//! operator's own plan named `nano` or coupon `WELCOME10` is left alone too.

use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::config::Config;
use crate::domain::terms::{DiscountType, ImageCategory, PlanDuration};

struct SeedImage {
    n: u8,
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    category: ImageCategory,
    distribution: &'static str,
    version: Option<&'static str>,
}

const IMAGES: [SeedImage; 5] = [
    SeedImage {
        n: 1,
        slug: "ubuntu-22-04-x64",
        name: "Ubuntu 22.04 LTS",
        description: "Ubuntu 22.04 (Jammy) x64",
        category: ImageCategory::Os,
        distribution: "Ubuntu",
        version: Some("22.04"),
    },
    SeedImage {
        n: 2,
        slug: "ubuntu-24-04-x64",
        name: "Ubuntu 24.04 LTS",
        description: "Ubuntu 24.04 (Noble) x64",
        category: ImageCategory::Os,
        distribution: "Ubuntu",
        version: Some("24.04"),
    },
    SeedImage {
        n: 3,
        slug: "debian-12-x64",
        name: "Debian 12",
        description: "Debian 12 (Bookworm) x64",
        category: ImageCategory::Os,
        distribution: "Debian",
        version: Some("12"),
    },
    SeedImage {
        n: 4,
        slug: "rockylinux-9-x64",
        name: "Rocky Linux 9",
        description: "Rocky Linux 9 x64",
        category: ImageCategory::Os,
        distribution: "Rocky Linux",
        version: Some("9"),
    },
    SeedImage {
        n: 5,
        slug: "docker-20-04",
        name: "Docker CE (Ubuntu)",
        description: "Docker CE siap pakai di atas Ubuntu",
        category: ImageCategory::App,
        distribution: "Ubuntu",
        version: None,
    },
];

struct SeedPlan {
    n: u8,
    name: &'static str,
    display_name: &'static str,
    description: &'static str,
    size_slug: &'static str,
    cpu: i32,
    memory_mb: i32,
    disk_gb: i32,
    bandwidth_centi: i64,
    /// (duration, price, cost) for the whole term.
    pricings: &'static [(PlanDuration, i64, i64)],
    tag: &'static str,
    /// Image numbers of the allow-list; empty = every image.
    images: &'static [u8],
}

const PLANS: [SeedPlan; 4] = [
    SeedPlan {
        n: 1,
        name: "nano",
        display_name: "VPS Nano",
        description: "Cukup untuk belajar, bot kecil dan situs statis",
        size_slug: "s-1vcpu-512mb-10gb",
        cpu: 1,
        memory_mb: 512,
        disk_gb: 10,
        bandwidth_centi: 50,
        pricings: &[
            (PlanDuration::Monthly, 85_000, 65_200),
            (PlanDuration::Annual, 867_000, 782_400),
        ],
        tag: "starter",
        images: &[1, 2, 3],
    },
    SeedPlan {
        n: 2,
        name: "basic",
        display_name: "VPS Basic",
        description: "Untuk blog, situs usaha kecil dan lingkungan pengembangan",
        size_slug: "s-1vcpu-1gb",
        cpu: 1,
        memory_mb: 1024,
        disk_gb: 25,
        bandwidth_centi: 100,
        pricings: &[
            (PlanDuration::Monthly, 125_000, 97_800),
            (PlanDuration::Quarterly, 356_000, 293_400),
            (PlanDuration::SemiAnnual, 675_000, 586_800),
            (PlanDuration::Annual, 1_275_000, 1_173_600),
        ],
        tag: "starter",
        images: &[],
    },
    SeedPlan {
        n: 3,
        name: "standard",
        display_name: "VPS Standard",
        description: "Seimbang untuk aplikasi web dan database kecil",
        size_slug: "s-2vcpu-2gb",
        cpu: 2,
        memory_mb: 2048,
        disk_gb: 60,
        bandwidth_centi: 300,
        pricings: &[
            (PlanDuration::Monthly, 375_000, 293_400),
            (PlanDuration::Quarterly, 1_068_000, 880_200),
            (PlanDuration::SemiAnnual, 2_025_000, 1_760_400),
            (PlanDuration::Annual, 3_825_000, 3_520_800),
        ],
        tag: "popular",
        images: &[],
    },
    SeedPlan {
        n: 4,
        name: "pro",
        display_name: "VPS Pro",
        description: "Untuk aplikasi produksi, toko online dan beban kerja bisnis",
        size_slug: "s-4vcpu-8gb",
        cpu: 4,
        memory_mb: 8192,
        disk_gb: 160,
        bandwidth_centi: 500,
        pricings: &[
            (PlanDuration::Monthly, 950_000, 782_400),
            (PlanDuration::Quarterly, 2_707_000, 2_347_200),
            (PlanDuration::SemiAnnual, 5_130_000, 4_694_400),
            (PlanDuration::Annual, 9_690_000, 9_388_800),
        ],
        tag: "business",
        images: &[],
    },
];

struct SeedPromo {
    n: u8,
    plan: u8,
    name: &'static str,
    kind: DiscountType,
    value: i32,
    durations: &'static [PlanDuration],
    start_at: OffsetDateTime,
    end_at: OffsetDateTime,
}

const PROMOS: [SeedPromo; 2] = [
    SeedPromo {
        n: 1,
        plan: 3,
        name: "Promo Peluncuran",
        kind: DiscountType::Percent,
        value: 20,
        durations: &[PlanDuration::Monthly],
        start_at: datetime!(2025-01-01 00:00:00 UTC),
        end_at: datetime!(2030-12-31 16:59:59 UTC),
    },
    SeedPromo {
        n: 2,
        plan: 4,
        name: "Flash Sale 11.11",
        kind: DiscountType::Fixed,
        value: 100_000,
        durations: &[],
        start_at: datetime!(2024-11-11 00:00:00 UTC),
        end_at: datetime!(2024-11-12 00:00:00 UTC),
    },
];

struct SeedCoupon {
    n: u8,
    code: &'static str,
    name: &'static str,
    kind: DiscountType,
    value: i32,
    min_order: Option<i64>,
    max_discount: Option<i64>,
    max_total: Option<i32>,
    per_user: Option<i32>,
    start_at: OffsetDateTime,
    end_at: Option<OffsetDateTime>,
    plans: &'static [u8],
}

const DEFAULT_START: OffsetDateTime = datetime!(2025-01-01 00:00:00 UTC);

const COUPONS: [SeedCoupon; 4] = [
    SeedCoupon {
        n: 1,
        code: "WELCOME10",
        name: "Diskon Pengguna Baru 10%",
        kind: DiscountType::Percent,
        value: 10,
        min_order: Some(50_000),
        max_discount: Some(100_000),
        max_total: Some(1000),
        per_user: Some(1),
        start_at: DEFAULT_START,
        end_at: None,
        plans: &[],
    },
    SeedCoupon {
        n: 2,
        code: "FLAT25K",
        name: "Potongan Rp 25.000",
        kind: DiscountType::Fixed,
        value: 25_000,
        min_order: Some(100_000),
        max_discount: None,
        max_total: Some(500),
        per_user: Some(2),
        start_at: DEFAULT_START,
        end_at: None,
        plans: &[],
    },
    SeedCoupon {
        n: 3,
        code: "PRO50K",
        name: "Potongan Paket Pro",
        kind: DiscountType::Fixed,
        value: 50_000,
        min_order: None,
        max_discount: None,
        max_total: None,
        per_user: Some(1),
        start_at: DEFAULT_START,
        end_at: None,
        plans: &[4],
    },
    SeedCoupon {
        n: 4,
        code: "LEBARAN2024",
        name: "Promo Lebaran 2024",
        kind: DiscountType::Percent,
        value: 15,
        min_order: None,
        max_discount: Some(150_000),
        max_total: None,
        per_user: Some(1),
        start_at: datetime!(2024-04-01 00:00:00 UTC),
        end_at: Some(datetime!(2024-04-30 16:59:59 UTC)),
        plans: &[],
    },
];

/// `<prefix>0000-0000-4000-8000-00000000000N`, the fixed ids of catalog.md §9.
pub fn seed_id(prefix: char, n: u8) -> Uuid {
    let text = format!("{prefix}1000000-0000-4000-8000-{n:012}");
    Uuid::parse_str(&text).unwrap_or_else(|_| Uuid::nil())
}

pub fn image_id(n: u8) -> Uuid {
    seed_id('b', n)
}

pub fn plan_id(n: u8) -> Uuid {
    seed_id('a', n)
}

pub fn promo_id(n: u8) -> Uuid {
    seed_id('d', n)
}

pub fn coupon_id(n: u8) -> Uuid {
    seed_id('c', n)
}

/// Claims an entry in the seed history; `false` when it was applied before.
async fn first_time(conn: &mut PgConnection, key: &str) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO catalog_seed_history (key) VALUES ($1) ON CONFLICT (key) DO NOTHING",
    )
    .bind(key)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Loads the demo catalog; safe to run any number of times and from several replicas at once.
pub async fn run(pool: &PgPool, _config: &Config) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    // Replicas starting together would otherwise race on the same history keys.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('catalog-seed'))")
        .execute(&mut *tx)
        .await?;
    let mut applied = 0usize;
    for image in &IMAGES {
        if first_time(&mut tx, &format!("image:{}", image.n)).await? {
            seed_image(&mut tx, image).await?;
            applied += 1;
        }
    }
    for plan in &PLANS {
        if first_time(&mut tx, &format!("plan:{}", plan.n)).await? {
            seed_plan(&mut tx, plan).await?;
            applied += 1;
        }
    }
    for promo in &PROMOS {
        if first_time(&mut tx, &format!("promo:{}", promo.n)).await? {
            seed_promo(&mut tx, promo).await?;
            applied += 1;
        }
    }
    for coupon in &COUPONS {
        if first_time(&mut tx, &format!("coupon:{}", coupon.n)).await? {
            seed_coupon(&mut tx, coupon).await?;
            applied += 1;
        }
    }
    tx.commit().await?;
    if applied > 0 {
        tracing::info!(entries = applied, "seeded the demo catalog");
    }
    Ok(())
}

async fn seed_image(conn: &mut PgConnection, i: &SeedImage) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO vps_images (id, provider, provider_slug, display_name, description, category,
             distribution, version, is_active, sort_order)
         VALUES ($1, 'digitalocean', $2, $3, $4, $5, $6, $7, TRUE, $8)
         ON CONFLICT DO NOTHING",
    )
    .bind(image_id(i.n))
    .bind(i.slug)
    .bind(i.name)
    .bind(i.description)
    .bind(i.category)
    .bind(i.distribution)
    .bind(i.version)
    .bind(i32::from(i.n))
    .execute(conn)
    .await?;
    Ok(())
}

async fn seed_plan(conn: &mut PgConnection, p: &SeedPlan) -> sqlx::Result<()> {
    let id = plan_id(p.n);
    let inserted = sqlx::query(
        "INSERT INTO vps_plans (id, name, display_name, description, cpu, memory_mb, disk_gb,
             bandwidth_tb, provider, provider_size_slug, is_active, sort_order, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint::numeric / 100, 'digitalocean', $9, TRUE,
                 $10, ARRAY[$11])
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(p.name)
    .bind(p.display_name)
    .bind(p.description)
    .bind(p.cpu)
    .bind(p.memory_mb)
    .bind(p.disk_gb)
    .bind(p.bandwidth_centi)
    .bind(p.size_slug)
    .bind(i32::from(p.n))
    .bind(p.tag)
    .execute(&mut *conn)
    .await?;
    // Another plan already holds the name: leave it, and give this id no children.
    if inserted.rows_affected() == 0 {
        return Ok(());
    }
    for (duration, price, cost) in p.pricings {
        sqlx::query(
            "INSERT INTO plan_pricings (id, plan_id, duration, price, cost)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(id)
        .bind(duration)
        .bind(price)
        .bind(cost)
        .execute(&mut *conn)
        .await?;
    }
    for n in p.images {
        sqlx::query(
            "INSERT INTO vps_plan_images (plan_id, image_id)
             SELECT $1, id FROM vps_images WHERE id = $2 AND deleted_at IS NULL
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(image_id(*n))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn seed_promo(conn: &mut PgConnection, p: &SeedPromo) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO plan_promos (id, plan_id, name, discount_type, discount_value, durations,
             start_at, end_at)
         SELECT $1, id, $3, $4, $5, $6, $7, $8 FROM vps_plans WHERE id = $2
         ON CONFLICT DO NOTHING",
    )
    .bind(promo_id(p.n))
    .bind(plan_id(p.plan))
    .bind(p.name)
    .bind(p.kind)
    .bind(p.value)
    .bind(p.durations)
    .bind(p.start_at)
    .bind(p.end_at)
    .execute(conn)
    .await?;
    Ok(())
}

async fn seed_coupon(conn: &mut PgConnection, c: &SeedCoupon) -> sqlx::Result<()> {
    let id = coupon_id(c.n);
    let plan_ids: Vec<Uuid> = c.plans.iter().map(|n| plan_id(*n)).collect();
    let found: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM vps_plans WHERE id = ANY ($1) AND deleted_at IS NULL",
    )
    .bind(&plan_ids)
    .fetch_one(&mut *conn)
    .await?;
    if found != i64::try_from(plan_ids.len()).unwrap_or(i64::MAX) {
        // Without its plan rows a plan-only coupon would apply to every plan.
        tracing::warn!(
            code = c.code,
            "demo coupon skipped: its plans are not in the catalog"
        );
        return Ok(());
    }
    let inserted = sqlx::query(
        "INSERT INTO coupons (id, code, name, discount_type, discount_value, min_order_amount,
             max_discount_amount, max_total_redemptions, max_redemptions_per_user, start_at, end_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(c.code)
    .bind(c.name)
    .bind(c.kind)
    .bind(c.value)
    .bind(c.min_order)
    .bind(c.max_discount)
    .bind(c.max_total)
    .bind(c.per_user)
    .bind(c.start_at)
    .bind(c.end_at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(());
    }
    for plan in &plan_ids {
        sqlx::query(
            "INSERT INTO coupon_plans (coupon_id, plan_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(plan)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_ids_match_the_spec() {
        assert_eq!(
            plan_id(3).to_string(),
            "a1000000-0000-4000-8000-000000000003"
        );
        assert_eq!(
            coupon_id(1).to_string(),
            "c1000000-0000-4000-8000-000000000001"
        );
        assert_eq!(
            image_id(5).to_string(),
            "b1000000-0000-4000-8000-000000000005"
        );
        assert_eq!(
            promo_id(2).to_string(),
            "d1000000-0000-4000-8000-000000000002"
        );
        for id in [plan_id(1), coupon_id(4), image_id(1), promo_id(1)] {
            assert_eq!(id.get_version_num(), 4, "{id} is a v4 UUID");
        }
    }
}
