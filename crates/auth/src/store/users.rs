//! `users` rows.

use platform::auth::Role;
use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::user::{User, UserStatus};

pub struct NewUser<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub full_name: &'a str,
    pub phone_number: Option<&'a str>,
    pub role: Role,
    pub status: UserStatus,
    pub timezone: &'a str,
    pub language: &'a str,
    pub email_verified_at: Option<OffsetDateTime>,
}

/// Inserts the user; `Ok(None)` when the e-mail is taken.
pub async fn insert(conn: &mut PgConnection, u: &NewUser<'_>) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "INSERT INTO users (id, email, password_hash, full_name, phone_number, role, status, timezone,
                            language, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (email) DO NOTHING
         RETURNING *",
    )
    .bind(u.id)
    .bind(u.email)
    .bind(u.password_hash)
    .bind(u.full_name)
    .bind(u.phone_number)
    .bind(u.role)
    .bind(u.status)
    .bind(u.timezone)
    .bind(u.language)
    .bind(u.email_verified_at)
    .fetch_optional(conn)
    .await
}

pub async fn by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Locks the row for the rest of the transaction.
pub async fn by_id_for_update(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>("SELECT * FROM users WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>("SELECT * FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(db)
        .await
}

pub async fn touch_login(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET last_login_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn mark_verified(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()),
                status = CASE WHEN status = 'PENDING_VERIFICATION' THEN 'ACTIVE'::user_status ELSE status END,
                updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_password(conn: &mut PgConnection, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $2, last_password_change_at = now(), updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// The fields `PATCH /auth/me` may change; `None` leaves a column as it is.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub full_name: Option<String>,
    /// `Some(None)` clears the phone number.
    pub phone_number: Option<Option<String>>,
    pub timezone: Option<String>,
    pub language: Option<String>,
    pub notify_email: Option<bool>,
    pub notify_telegram: Option<bool>,
}

pub async fn update_profile(
    db: impl PgExecutor<'_>,
    id: Uuid,
    c: &ProfileChanges,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "UPDATE users SET
            full_name = COALESCE($2, full_name),
            phone_number = CASE WHEN $3 THEN $4 ELSE phone_number END,
            timezone = COALESCE($5, timezone),
            language = COALESCE($6, language),
            notify_email = COALESCE($7, notify_email),
            notify_telegram = COALESCE($8, notify_telegram),
            updated_at = now()
         WHERE id = $1
         RETURNING *",
    )
    .bind(id)
    .bind(c.full_name.as_deref())
    .bind(c.phone_number.is_some())
    .bind(c.phone_number.clone().flatten())
    .bind(c.timezone.as_deref())
    .bind(c.language.as_deref())
    .bind(c.notify_email)
    .bind(c.notify_telegram)
    .fetch_optional(db)
    .await
}

pub async fn link_telegram(
    db: impl PgExecutor<'_>,
    id: Uuid,
    chat_id: &str,
    username: Option<&str>,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "UPDATE users SET telegram_chat_id = $2, telegram_username = $3, telegram_linked_at = now(),
                updated_at = now()
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(chat_id)
    .bind(username)
    .fetch_optional(db)
    .await
}

pub async fn unlink_telegram(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "UPDATE users SET telegram_chat_id = NULL, telegram_username = NULL, telegram_linked_at = NULL,
                updated_at = CASE WHEN telegram_chat_id IS NULL THEN updated_at ELSE now() END
         WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Clears a chat from every user holding it; returns how many were unlinked.
pub async fn unlink_chat(db: impl PgExecutor<'_>, chat_id: &str) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE users SET telegram_chat_id = NULL, telegram_username = NULL, telegram_linked_at = NULL,
                updated_at = now()
         WHERE telegram_chat_id = $1",
    )
    .bind(chat_id)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: UserStatus,
    reason: Option<&str>,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as::<_, User>(
        "UPDATE users SET status = $2, status_reason = $3, updated_at = now() WHERE id = $1 RETURNING *",
    )
    .bind(id)
    .bind(status)
    .bind(reason)
    .fetch_optional(conn)
    .await
}

/// Filters of the admin list (auth.md §6.16).
#[derive(Debug, Default)]
pub struct ListFilter {
    pub search: Option<String>,
    pub role: Option<Role>,
    pub status: Option<UserStatus>,
    pub sort: ListSort,
}

#[derive(Debug, Default, Clone, Copy)]
pub enum ListSort {
    #[default]
    CreatedAt,
    Email,
    LastLoginAt,
}

pub async fn list(
    db: impl PgExecutor<'_> + Copy,
    filter: &ListFilter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<(Vec<User>, i64)> {
    // The sort column comes from a closed enum, never from the request text.
    let order = match filter.sort {
        ListSort::CreatedAt => "created_at DESC, id DESC",
        ListSort::Email => "email ASC, id ASC",
        ListSort::LastLoginAt => "last_login_at DESC NULLS LAST, id DESC",
    };
    let pattern = filter
        .search
        .as_ref()
        .map(|s| format!("%{}%", escape_like(&s.to_lowercase())));
    let where_clause = "($1::text IS NULL OR lower(email) LIKE $1 ESCAPE '\\' OR lower(full_name) LIKE $1 ESCAPE '\\')
          AND ($2::user_role IS NULL OR role = $2)
          AND ($3::user_status IS NULL OR status = $3)";
    let users = sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
        "SELECT * FROM users WHERE {where_clause} ORDER BY {order} LIMIT $4 OFFSET $5"
    )))
    .bind(pattern.as_deref())
    .bind(filter.role)
    .bind(filter.status)
    .bind(limit)
    .bind(offset)
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM users WHERE {where_clause}"
    )))
    .bind(pattern.as_deref())
    .bind(filter.role)
    .bind(filter.status)
    .fetch_one(db)
    .await?;
    Ok((users, total))
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
