//! Thin HTTP handlers: extract, call the flow, shape the response.

mod bodies;
mod current_user;
mod internal_telegram;
mod internal_users;
mod me;
mod public;
mod views;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use current_user::CurrentUser;

use crate::state::AppState;

/// Every route of the service, each documented by its handler's `#[utoipa::path]`.
pub fn router(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(public::register))
        .routes(routes!(public::verify_email))
        .routes(routes!(public::resend_verification))
        .routes(routes!(public::login))
        .routes(routes!(public::refresh))
        .routes(routes!(public::logout))
        .routes(routes!(public::forgot_password))
        .routes(routes!(public::reset_password))
        .routes(routes!(me::logout_all))
        .routes(routes!(me::change_password))
        .routes(routes!(me::get_me, me::patch_me))
        .routes(routes!(me::put_telegram, me::delete_telegram))
        .routes(routes!(me::link_code))
        .routes(routes!(internal_users::list, internal_users::create))
        .routes(routes!(internal_users::detail))
        .routes(routes!(internal_users::set_status))
        .routes(routes!(internal_telegram::link))
        .routes(routes!(internal_telegram::unlink))
        .with_state(state)
}
