//! `verification_tokens`: e-mail verification and password reset, stored as digests only.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(
    type_name = "verification_token_type",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum TokenKind {
    EmailVerification,
    PasswordReset,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct VerificationToken {
    pub id: Uuid,
    pub user_id: Uuid,
    #[sqlx(rename = "type")]
    pub kind: TokenKind,
    pub expires_at: OffsetDateTime,
    pub used_at: Option<OffsetDateTime>,
}

/// Marks the user's unused tokens of `kind` used, so only the newest one works.
pub async fn retire_unused(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: TokenKind,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_tokens SET used_at = now() WHERE user_id = $1 AND type = $2 AND used_at IS NULL")
        .bind(user_id)
        .bind(kind)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert(
    conn: &mut PgConnection,
    user_id: Uuid,
    hash: &str,
    kind: TokenKind,
    expires_at: OffsetDateTime,
) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO verification_tokens (id, user_id, token_hash, type, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(user_id)
        .bind(hash)
        .bind(kind)
        .bind(expires_at)
        .execute(conn)
        .await?;
    Ok(id)
}

/// Locks the token row so two concurrent uses cannot both succeed.
pub async fn by_hash_for_update(
    conn: &mut PgConnection,
    hash: &str,
) -> sqlx::Result<Option<VerificationToken>> {
    sqlx::query_as::<_, VerificationToken>(
        "SELECT id, user_id, type, expires_at, used_at FROM verification_tokens WHERE token_hash = $1 FOR UPDATE",
    )
    .bind(hash)
    .fetch_optional(conn)
    .await
}

pub async fn mark_used(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE verification_tokens SET used_at = now() WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
