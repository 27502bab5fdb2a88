//! Thin HTTP handlers: extract, call the flow, shape the response.

mod current_user;
mod internal_telegram;
mod internal_users;
mod me;
mod public;

use axum::Router;
use axum::routing::{get, patch, post, put};

pub use current_user::CurrentUser;

use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/auth/register", post(public::register))
        .route("/api/v1/auth/verify-email", post(public::verify_email))
        .route(
            "/api/v1/auth/resend-verification",
            post(public::resend_verification),
        )
        .route("/api/v1/auth/login", post(public::login))
        .route("/api/v1/auth/refresh", post(public::refresh))
        .route("/api/v1/auth/logout", post(public::logout))
        .route(
            "/api/v1/auth/forgot-password",
            post(public::forgot_password),
        )
        .route("/api/v1/auth/reset-password", post(public::reset_password))
        .route("/api/v1/auth/logout-all", post(me::logout_all))
        .route("/api/v1/auth/change-password", post(me::change_password))
        .route("/api/v1/auth/me", get(me::get_me).patch(me::patch_me))
        .route(
            "/api/v1/auth/me/telegram",
            put(me::put_telegram).delete(me::delete_telegram),
        )
        .route("/api/v1/auth/me/telegram/link-code", post(me::link_code))
        .route(
            "/api/v1/internal/users",
            get(internal_users::list).post(internal_users::create),
        )
        .route("/api/v1/internal/users/{id}", get(internal_users::detail))
        .route(
            "/api/v1/internal/users/{id}/status",
            patch(internal_users::set_status),
        )
        .route(
            "/api/v1/internal/telegram/link",
            post(internal_telegram::link),
        )
        .route(
            "/api/v1/internal/telegram/unlink",
            post(internal_telegram::unlink),
        )
        .with_state(state)
}
