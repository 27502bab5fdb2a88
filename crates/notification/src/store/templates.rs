//! `notification_templates` (notification.md §5.1).

use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::vars;
use crate::templates::defaults::DEFAULTS;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateRow {
    pub id: Uuid,
    pub key: String,
    pub channel: String,
    pub event: Option<String>,
    pub subject: Option<String>,
    pub body: String,
    pub text_body: Option<String>,
    pub variables: Vec<String>,
    pub is_active: bool,
    pub version: i32,
    pub updated_by: Option<String>,
    #[serde(with = "platform::time_format::wire")]
    pub created_at: OffsetDateTime,
    #[serde(with = "platform::time_format::wire")]
    pub updated_at: OffsetDateTime,
}

const COLUMNS: &str = "id, key, channel, event, subject, body, text_body, variables, is_active, \
                       version, updated_by, created_at, updated_at";

/// Inserts every missing default; existing rows, edited or not, are left alone. Returns how
/// many were inserted.
pub async fn seed_defaults(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut inserted = 0;
    for t in DEFAULTS {
        let variables = vars::allowed(t.event, t.channel);
        let r = sqlx::query(
            "INSERT INTO notification_templates \
                 (id, key, channel, event, subject, body, variables) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (key, channel) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(t.key)
        .bind(t.channel.as_str())
        .bind(t.event.map(|e| e.as_str()))
        .bind(t.subject)
        .bind(t.body)
        .bind(&variables)
        .execute(pool)
        .await?;
        inserted += r.rows_affected();
    }
    Ok(inserted)
}

pub async fn list(
    pool: &PgPool,
    channel: Option<&str>,
    event: Option<&str>,
) -> Result<Vec<TemplateRow>, sqlx::Error> {
    sqlx::query_as::<_, TemplateRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notification_templates \
         WHERE ($1::text IS NULL OR channel = $1) AND ($2::text IS NULL OR event = $2) \
         ORDER BY channel, key"
    )))
    .bind(channel)
    .bind(event)
    .fetch_all(pool)
    .await
}

pub async fn get<'c>(
    executor: impl PgExecutor<'c>,
    id: Uuid,
) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as::<_, TemplateRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notification_templates WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(executor)
    .await
}

pub async fn find<'c>(
    executor: impl PgExecutor<'c>,
    key: &str,
    channel: &str,
) -> Result<Option<TemplateRow>, sqlx::Error> {
    sqlx::query_as::<_, TemplateRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM notification_templates WHERE key = $1 AND channel = $2"
    )))
    .bind(key)
    .bind(channel)
    .fetch_optional(executor)
    .await
}

/// The edited fields of a template, already validated.
#[derive(Debug, Clone)]
pub struct TemplateUpdate {
    pub subject: Option<String>,
    pub body: String,
    pub text_body: Option<String>,
    pub is_active: bool,
    pub updated_by: String,
}

pub async fn update<'c>(
    executor: impl PgExecutor<'c>,
    id: Uuid,
    u: &TemplateUpdate,
) -> Result<TemplateRow, sqlx::Error> {
    sqlx::query_as::<_, TemplateRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE notification_templates \
         SET subject = $2, body = $3, text_body = $4, is_active = $5, updated_by = $6, \
             version = version + 1, updated_at = now() \
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(&u.subject)
    .bind(&u.body)
    .bind(&u.text_body)
    .bind(u.is_active)
    .bind(&u.updated_by)
    .fetch_one(executor)
    .await
}
