//! Thin HTTP handlers: extract, call the flow, shape the response (catalog.md §6).

mod admin_coupons;
mod admin_images;
mod admin_plan_children;
mod admin_plans;
mod coupon_validate;
pub mod extract;
pub mod fields;
mod public;
mod service_coupons;

use axum::Router;
use axum::routing::{delete, get, patch, post};

use crate::state::AppState;

const ADMIN: &str = "/api/v1/internal/catalog";

pub fn router(state: AppState) -> Router {
    let admin = |path: &str| format!("{ADMIN}{path}");
    Router::new()
        .route("/api/v1/catalog/plans", get(public::list_plans))
        .route("/api/v1/catalog/plans/{id}", get(public::plan_detail))
        .route("/api/v1/catalog/images", get(public::list_images))
        .route("/api/v1/catalog/images/{id}", get(public::image_detail))
        .route(
            "/api/v1/catalog/coupons/validate",
            post(coupon_validate::validate),
        )
        .route(
            &admin("/plans"),
            get(admin_plans::list).post(admin_plans::create),
        )
        .route(
            &admin("/plans/{id}"),
            get(admin_plans::detail)
                .patch(admin_plans::update)
                .delete(admin_plans::delete),
        )
        .route(
            &admin("/plans/{id}/pricings"),
            post(admin_plan_children::add_pricing),
        )
        .route(
            &admin("/plans/{id}/pricings/{pricingId}"),
            patch(admin_plan_children::update_pricing).delete(admin_plan_children::delete_pricing),
        )
        .route(
            &admin("/plans/{id}/promos"),
            post(admin_plan_children::add_promo),
        )
        .route(
            &admin("/plans/{id}/promos/{promoId}"),
            patch(admin_plan_children::update_promo).delete(admin_plan_children::delete_promo),
        )
        .route(
            &admin("/plans/{id}/images"),
            post(admin_plan_children::add_image),
        )
        .route(
            &admin("/plans/{id}/images/{imageId}"),
            delete(admin_plan_children::remove_image),
        )
        .route(
            &admin("/images"),
            get(admin_images::list).post(admin_images::create),
        )
        .route(
            &admin("/images/{id}"),
            get(admin_images::detail)
                .patch(admin_images::update)
                .delete(admin_images::delete),
        )
        .route(
            &admin("/coupons"),
            get(admin_coupons::list).post(admin_coupons::create),
        )
        // Static segments win over `{id}` (platform.md §2).
        .route(&admin("/coupons/redeem"), post(service_coupons::redeem))
        .route(&admin("/coupons/release"), post(service_coupons::release))
        .route(
            &admin("/coupons/{id}"),
            get(admin_coupons::detail)
                .patch(admin_coupons::update)
                .delete(admin_coupons::delete),
        )
        .route(&admin("/coupons/{id}/plans"), post(admin_coupons::add_plan))
        .route(
            &admin("/coupons/{id}/plans/{planId}"),
            delete(admin_coupons::remove_plan),
        )
        .route(&admin("/coupons/{id}/users"), post(admin_coupons::add_user))
        .route(
            &admin("/coupons/{id}/users/{userId}"),
            delete(admin_coupons::remove_user),
        )
        .route(
            &admin("/coupons/{id}/redemptions"),
            get(admin_coupons::redemptions),
        )
        .with_state(state)
}
