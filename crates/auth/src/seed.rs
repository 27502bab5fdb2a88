//! The idempotent demo accounts of auth.md §8, with fixed ids other services' seeds refer to.

use platform::auth::Role;
use sqlx::PgPool;
use uuid::Uuid;

use crate::config::Config;
use crate::domain::password;

struct SeedUser {
    id: &'static str,
    email: &'static str,
    full_name: &'static str,
    role: Role,
    phone: Option<&'static str>,
}

const USERS: [SeedUser; 3] = [
    SeedUser {
        id: "e1000000-0000-4000-8000-000000000001",
        email: "superadmin@webrana.cloud",
        full_name: "Super Admin",
        role: Role::SuperAdmin,
        phone: None,
    },
    SeedUser {
        id: "e1000000-0000-4000-8000-000000000002",
        email: "admin@webrana.cloud",
        full_name: "Admin",
        role: Role::Admin,
        phone: None,
    },
    SeedUser {
        id: "e1000000-0000-4000-8000-000000000003",
        email: "customer@webrana.cloud",
        full_name: "Demo Customer",
        role: Role::Customer,
        phone: Some("+6281234567890"),
    },
];

/// Inserts missing demo accounts; existing rows (and their passwords) are left untouched.
pub async fn run(pool: &PgPool, config: &Config) -> anyhow::Result<()> {
    for user in &USERS {
        if user.role == Role::Customer && config.common.app_env.is_production() {
            continue;
        }
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
                .bind(user.email)
                .fetch_one(pool)
                .await?;
        if exists {
            continue;
        }
        let plain = match user.role {
            Role::SuperAdmin => config.seed_passwords.super_admin.expose().to_string(),
            Role::Admin => config.seed_passwords.admin.expose().to_string(),
            Role::Customer => config.seed_passwords.customer.expose().to_string(),
        };
        let hash = tokio::task::spawn_blocking(move || password::hash(&plain)).await??;
        sqlx::query(
            "INSERT INTO users (id, email, password_hash, full_name, phone_number, role, status, email_verified_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'ACTIVE', now())
             ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::parse_str(user.id)?)
        .bind(user.email)
        .bind(hash)
        .bind(user.full_name)
        .bind(user.phone)
        .bind(user.role)
        .execute(pool)
        .await?;
        tracing::info!(email = %platform::telemetry::mask_email(user.email), "seeded demo account");
    }
    Ok(())
}
