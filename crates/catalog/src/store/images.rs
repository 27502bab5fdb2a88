//! `vps_images` rows. Deleted rows are invisible to every function here.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::domain::image::Image;
use crate::domain::terms::ImageCategory;

const COLUMNS: &str = "id, provider, provider_slug, display_name, description, category,
    distribution, version, is_active, sort_order, created_at, updated_at";

pub const SLUG_UNIQUE: &str = "vps_images_slug_uq";

#[derive(Debug, Default, Clone)]
pub struct PublicFilter {
    pub category: Option<ImageCategory>,
    /// Only images compatible with this plan (catalog.md §4.5).
    pub plan_id: Option<Uuid>,
}

const PUBLIC_WHERE: &str = "i.deleted_at IS NULL AND i.is_active
    AND ($1::image_category IS NULL OR i.category = $1)
    AND ($2::uuid IS NULL
         OR NOT EXISTS (SELECT 1 FROM vps_plan_images pi WHERE pi.plan_id = $2)
         OR EXISTS (SELECT 1 FROM vps_plan_images pi WHERE pi.plan_id = $2 AND pi.image_id = i.id))";

/// Active images by `sort_order`, and their total.
pub async fn list_active(
    db: impl PgExecutor<'_> + Copy,
    filter: &PublicFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Image>, i64)> {
    let rows = sqlx::query_as::<_, Image>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vps_images i WHERE {PUBLIC_WHERE}
         ORDER BY i.sort_order, i.created_at, i.id LIMIT $3 OFFSET $4"
    )))
    .bind(filter.category)
    .bind(filter.plan_id)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM vps_images i WHERE {PUBLIC_WHERE}"
    )))
    .bind(filter.category)
    .bind(filter.plan_id)
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

#[derive(Debug, Default, Clone)]
pub struct AdminFilter {
    pub is_active: Option<bool>,
    pub category: Option<ImageCategory>,
    /// A `LIKE` pattern over slug and display name.
    pub pattern: Option<String>,
}

const ADMIN_WHERE: &str = "deleted_at IS NULL
    AND ($1::bool IS NULL OR is_active = $1)
    AND ($2::image_category IS NULL OR category = $2)
    AND ($3::text IS NULL OR lower(provider_slug) LIKE $3 ESCAPE '\\'
         OR lower(display_name) LIKE $3 ESCAPE '\\')";

/// Non-deleted images, newest first.
pub async fn list_admin(
    db: impl PgExecutor<'_> + Copy,
    filter: &AdminFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<Image>, i64)> {
    let rows = sqlx::query_as::<_, Image>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vps_images WHERE {ADMIN_WHERE}
         ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
    )))
    .bind(filter.is_active)
    .bind(filter.category)
    .bind(filter.pattern.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM vps_images WHERE {ADMIN_WHERE}"
    )))
    .bind(filter.is_active)
    .bind(filter.category)
    .bind(filter.pattern.as_deref())
    .fetch_one(db)
    .await?;
    Ok((rows, total))
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Image>> {
    sqlx::query_as::<_, Image>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM vps_images WHERE id = $1 AND deleted_at IS NULL"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Which of `ids` are non-deleted images; locks them so that a concurrent delete cannot leave a
/// mapping to a deleted image behind.
pub async fn lock_existing(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM vps_images WHERE id = ANY ($1) AND deleted_at IS NULL ORDER BY id FOR SHARE",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFields {
    pub provider: String,
    pub provider_slug: String,
    pub display_name: String,
    pub description: Option<String>,
    pub category: ImageCategory,
    pub distribution: Option<String>,
    pub version: Option<String>,
    pub is_active: bool,
    pub sort_order: i32,
}

/// Inserts an image; a taken provider + slug fails with a unique violation on [`SLUG_UNIQUE`].
pub async fn insert(conn: &mut PgConnection, id: Uuid, i: &ImageFields) -> sqlx::Result<Image> {
    sqlx::query_as::<_, Image>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO vps_images (id, provider, provider_slug, display_name, description, category,
             distribution, version, is_active, sort_order)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(&i.provider)
    .bind(&i.provider_slug)
    .bind(&i.display_name)
    .bind(i.description.as_deref())
    .bind(i.category)
    .bind(i.distribution.as_deref())
    .bind(i.version.as_deref())
    .bind(i.is_active)
    .bind(i.sort_order)
    .fetch_one(conn)
    .await
}

/// A PATCH: `None` leaves a column; `Some(None)` clears a nullable one.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImageChanges {
    pub provider: Option<String>,
    pub provider_slug: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<Option<String>>,
    pub category: Option<ImageCategory>,
    pub distribution: Option<Option<String>>,
    pub version: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub sort_order: Option<i32>,
}

pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    c: &ImageChanges,
) -> sqlx::Result<Option<Image>> {
    sqlx::query_as::<_, Image>(sqlx::AssertSqlSafe(format!(
        "UPDATE vps_images SET
            provider = COALESCE($2, provider),
            provider_slug = COALESCE($3, provider_slug),
            display_name = COALESCE($4, display_name),
            description = CASE WHEN $5 THEN $6 ELSE description END,
            category = COALESCE($7, category),
            distribution = CASE WHEN $8 THEN $9 ELSE distribution END,
            version = CASE WHEN $10 THEN $11 ELSE version END,
            is_active = COALESCE($12, is_active),
            sort_order = COALESCE($13, sort_order),
            updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(c.provider.as_deref())
    .bind(c.provider_slug.as_deref())
    .bind(c.display_name.as_deref())
    .bind(c.description.is_some())
    .bind(c.description.clone().flatten())
    .bind(c.category)
    .bind(c.distribution.is_some())
    .bind(c.distribution.clone().flatten())
    .bind(c.version.is_some())
    .bind(c.version.clone().flatten())
    .bind(c.is_active)
    .bind(c.sort_order)
    .fetch_optional(db)
    .await
}

/// Soft delete; `false` when there was nothing to delete. The caller removes the mappings in
/// the same transaction.
pub async fn soft_delete(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "UPDATE vps_images SET deleted_at = now(), updated_at = now()
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
