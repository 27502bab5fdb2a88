//! `vps_plans` rows. Deleted rows (`deleted_at` set) are invisible to every function here.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::plan::Plan;
use crate::domain::terms::PlanDuration;

/// The columns of [`Plan`]; `bandwidth_tb` as an integer number of hundredths.
const COLUMNS: &str = "id, name, display_name, description, cpu, memory_mb, disk_gb,
    (bandwidth_tb * 100)::bigint AS bandwidth_centi, provider, provider_size_slug, is_active,
    sort_order, tags, created_at, updated_at";

pub const NAME_UNIQUE: &str = "vps_plans_name_uq";

#[derive(sqlx::FromRow)]
struct Counted {
    #[sqlx(flatten)]
    plan: Plan,
    total: i64,
}

/// Filters of the public list.
#[derive(Debug, Default, Clone)]
pub struct SellableFilter {
    pub tag: Option<String>,
    pub duration: Option<PlanDuration>,
}

/// The WHERE clause of the public list for the filters present, with `$1`, `$2` numbered in the
/// order [`bind_sellable`] binds them. Each combination is its own fixed statement: a catch-all
/// `($1 IS NULL OR …)` would make PostgreSQL plan the hottest route afresh on every request
/// instead of reusing a cached plan.
fn sellable_where(filter: &SellableFilter) -> (String, usize) {
    let mut clause = String::from("deleted_at IS NULL AND is_active");
    let mut n = 0;
    if filter.tag.is_some() {
        n += 1;
        clause.push_str(&format!(" AND ${n} = ANY (tags)"));
    }
    if filter.duration.is_some() {
        n += 1;
        clause.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM plan_pricings pp
                 WHERE pp.plan_id = vps_plans.id AND pp.duration = ${n} AND pp.is_active)"
        ));
    }
    (clause, n)
}

fn bind_sellable<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    filter: &'q SellableFilter,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
    if let Some(tag) = &filter.tag {
        query = query.bind(tag.as_str());
    }
    if let Some(duration) = filter.duration {
        query = query.bind(duration);
    }
    query
}

/// Sellable plans by `sort_order`, then `created_at`, and their total.
pub async fn list_sellable(
    db: impl PgExecutor<'_> + Copy,
    filter: &SellableFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Plan>, i64)> {
    let (clause, n) = sellable_where(filter);
    // The total rides along on every row (one round trip on the hottest route); only a page past
    // the end needs a second query.
    let sql = format!(
        "SELECT {COLUMNS}, count(*) OVER () AS total FROM vps_plans WHERE {clause}
         ORDER BY sort_order, created_at, id LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let rows = bind_sellable(
        sqlx::query_as::<_, Counted>(sqlx::AssertSqlSafe(sql)),
        filter,
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = match rows.first() {
        Some(first) => first.total,
        None if offset == 0 => 0,
        None => {
            let sql = format!("SELECT count(*) AS total FROM vps_plans WHERE {clause}");
            bind_sellable(
                sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql)),
                filter,
            )
            .fetch_one(db)
            .await?
            .0
        }
    };
    Ok((rows.into_iter().map(|r| r.plan).collect(), total))
}

/// Filters of the admin list.
#[derive(Debug, Default, Clone)]
pub struct AdminFilter {
    pub is_active: Option<bool>,
    /// A `LIKE` pattern over name and display name.
    pub pattern: Option<String>,
}

const ADMIN_WHERE: &str = "deleted_at IS NULL
    AND ($1::bool IS NULL OR is_active = $1)
    AND ($2::text IS NULL OR lower(name) LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\')";

/// Non-deleted plans, newest first.
pub async fn list_admin(
    db: impl PgExecutor<'_> + Copy,
    filter: &AdminFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Plan>, i64)> {
    let rows = sqlx::query_as::<_, Plan>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vps_plans WHERE {ADMIN_WHERE}
         ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
    )))
    .bind(filter.is_active)
    .bind(filter.pattern.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM vps_plans WHERE {ADMIN_WHERE}"
    )))
    .bind(filter.is_active)
    .bind(filter.pattern.as_deref())
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Plan>> {
    sqlx::query_as::<_, Plan>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vps_plans WHERE id = $1 AND deleted_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Locks a non-deleted plan for the rest of the transaction, so that children are never added to
/// a plan being deleted.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let found: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM vps_plans WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Which of `ids` are non-deleted plans.
pub async fn existing(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar("SELECT id FROM vps_plans WHERE id = ANY ($1) AND deleted_at IS NULL")
        .bind(ids)
        .fetch_all(db)
        .await
}

/// The columns a plan is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFields {
    pub name: String,
    pub display_name: String,
    pub description: Option<String>,
    pub cpu: i32,
    pub memory_mb: i32,
    pub disk_gb: i32,
    pub bandwidth_centi: i64,
    pub provider: String,
    pub provider_size_slug: String,
    pub is_active: bool,
    pub sort_order: i32,
    pub tags: Vec<String>,
}

/// Inserts a plan; a taken name fails with a unique violation on [`NAME_UNIQUE`].
pub async fn insert(conn: &mut PgConnection, id: Uuid, p: &PlanFields) -> sqlx::Result<Plan> {
    sqlx::query_as::<_, Plan>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO vps_plans (id, name, display_name, description, cpu, memory_mb, disk_gb,
             bandwidth_tb, provider, provider_size_slug, is_active, sort_order, tags)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint::numeric / 100, $9, $10, $11, $12, $13)
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(&p.name)
    .bind(&p.display_name)
    .bind(p.description.as_deref())
    .bind(p.cpu)
    .bind(p.memory_mb)
    .bind(p.disk_gb)
    .bind(p.bandwidth_centi)
    .bind(&p.provider)
    .bind(&p.provider_size_slug)
    .bind(p.is_active)
    .bind(p.sort_order)
    .bind(&p.tags)
    .fetch_one(conn)
    .await
}

/// A PATCH: `None` leaves a column as it is; `description: Some(None)` clears it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PlanChanges {
    pub name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<Option<String>>,
    pub cpu: Option<i32>,
    pub memory_mb: Option<i32>,
    pub disk_gb: Option<i32>,
    pub bandwidth_centi: Option<i64>,
    pub provider: Option<String>,
    pub provider_size_slug: Option<String>,
    pub is_active: Option<bool>,
    pub sort_order: Option<i32>,
    pub tags: Option<Vec<String>>,
}

/// Applies `c`; `Ok(None)` when the plan does not exist (or is deleted).
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    c: &PlanChanges,
) -> sqlx::Result<Option<Plan>> {
    sqlx::query_as::<_, Plan>(sqlx::AssertSqlSafe(format!(
        "UPDATE vps_plans SET
            name = COALESCE($2, name),
            display_name = COALESCE($3, display_name),
            description = CASE WHEN $4 THEN $5 ELSE description END,
            cpu = COALESCE($6, cpu),
            memory_mb = COALESCE($7, memory_mb),
            disk_gb = COALESCE($8, disk_gb),
            bandwidth_tb = COALESCE($9::bigint::numeric / 100, bandwidth_tb),
            provider = COALESCE($10, provider),
            provider_size_slug = COALESCE($11, provider_size_slug),
            is_active = COALESCE($12, is_active),
            sort_order = COALESCE($13, sort_order),
            tags = COALESCE($14::text[], tags),
            updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(c.name.as_deref())
    .bind(c.display_name.as_deref())
    .bind(c.description.is_some())
    .bind(c.description.clone().flatten())
    .bind(c.cpu)
    .bind(c.memory_mb)
    .bind(c.disk_gb)
    .bind(c.bandwidth_centi)
    .bind(c.provider.as_deref())
    .bind(c.provider_size_slug.as_deref())
    .bind(c.is_active)
    .bind(c.sort_order)
    .bind(c.tags.as_deref())
    .fetch_optional(db)
    .await
}

/// Soft delete; `false` when there was nothing to delete.
pub async fn soft_delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE vps_plans SET deleted_at = now(), updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sellable plans image `image_id` is compatible with (catalog.md §4.5), in listing order.
pub async fn sellable_compatible_with(
    db: impl PgExecutor<'_>,
    image_id: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT p.id FROM vps_plans p
         WHERE p.deleted_at IS NULL AND p.is_active
           AND (NOT EXISTS (SELECT 1 FROM vps_plan_images pi WHERE pi.plan_id = p.id)
                OR EXISTS (SELECT 1 FROM vps_plan_images pi
                           WHERE pi.plan_id = p.id AND pi.image_id = $1))
         ORDER BY p.sort_order, p.created_at, p.id",
    )
    .bind(image_id)
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_filter_combination_is_its_own_statement() {
        let none = SellableFilter::default();
        assert_eq!(
            sellable_where(&none),
            ("deleted_at IS NULL AND is_active".into(), 0)
        );
        let both = SellableFilter {
            tag: Some("starter".into()),
            duration: Some(PlanDuration::Annual),
        };
        let (clause, n) = sellable_where(&both);
        assert_eq!(n, 2);
        assert!(clause.contains("$1 = ANY (tags)"), "{clause}");
        assert!(clause.contains("pp.duration = $2"), "{clause}");
        let duration_only = SellableFilter {
            tag: None,
            duration: Some(PlanDuration::Monthly),
        };
        let (clause, n) = sellable_where(&duration_only);
        assert_eq!(n, 1);
        assert!(
            clause.contains("pp.duration = $1") && !clause.contains("tags"),
            "{clause}"
        );
    }
}
