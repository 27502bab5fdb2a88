//! Thin HTTP handlers: extract, call the flow, shape the response (catalog.md §6).

mod admin_coupons;
mod admin_images;
mod admin_plan_children;
mod admin_plans;
mod coupon_validate;
pub mod extract;
pub mod fields;
mod public;
mod replies;
mod service_coupons;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Every route of the service, each documented by its handler's `#[utoipa::path]`.
pub fn router(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(public::list_plans))
        .routes(routes!(public::plan_detail))
        .routes(routes!(public::list_images))
        .routes(routes!(public::image_detail))
        .routes(routes!(coupon_validate::validate))
        .routes(routes!(admin_plans::list, admin_plans::create))
        .routes(routes!(
            admin_plans::detail,
            admin_plans::update,
            admin_plans::delete
        ))
        .routes(routes!(admin_plan_children::add_pricing))
        .routes(routes!(
            admin_plan_children::update_pricing,
            admin_plan_children::delete_pricing
        ))
        .routes(routes!(admin_plan_children::add_promo))
        .routes(routes!(
            admin_plan_children::update_promo,
            admin_plan_children::delete_promo
        ))
        .routes(routes!(admin_plan_children::add_image))
        .routes(routes!(admin_plan_children::remove_image))
        .routes(routes!(admin_images::list, admin_images::create))
        .routes(routes!(
            admin_images::detail,
            admin_images::update,
            admin_images::delete
        ))
        .routes(routes!(admin_coupons::list, admin_coupons::create))
        // Static segments win over `{id}` (platform.md §2).
        .routes(routes!(service_coupons::redeem))
        .routes(routes!(service_coupons::release))
        .routes(routes!(
            admin_coupons::detail,
            admin_coupons::update,
            admin_coupons::delete
        ))
        .routes(routes!(admin_coupons::add_plan))
        .routes(routes!(admin_coupons::remove_plan))
        .routes(routes!(admin_coupons::add_user))
        .routes(routes!(admin_coupons::remove_user))
        .routes(routes!(admin_coupons::redemptions))
        .with_state(state)
}
