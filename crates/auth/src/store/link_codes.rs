//! `telegram_link_codes`: short single-use codes a user sends to the bot.

use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkCode {
    pub id: Uuid,
    pub user_id: Uuid,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// Issues a new code, retiring the user's older unused ones. `Ok(false)` on the rare code
/// collision, so the caller can draw again.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    code: &str,
    expires_at: OffsetDateTime,
) -> sqlx::Result<bool> {
    sqlx::query(
        "UPDATE telegram_link_codes SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(
        "INSERT INTO telegram_link_codes (id, user_id, code, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (code) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(user_id)
    .bind(code)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn by_code_for_update(
    conn: &mut PgConnection,
    code: &str,
) -> sqlx::Result<Option<LinkCode>> {
    sqlx::query_as::<_, LinkCode>(
        "SELECT id, user_id, expires_at, used_at FROM telegram_link_codes WHERE code = $1 FOR UPDATE",
    )
    .bind(code)
    .fetch_optional(conn)
    .await
}

pub async fn mark_used(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE telegram_link_codes SET used_at = now() WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
