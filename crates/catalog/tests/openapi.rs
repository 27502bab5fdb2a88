//! The catalog service's OpenAPI document: served, complete and in step with the router.

mod common;

use common::{config, spawn};
use platform::testing::{
    assert_document_matches_router, assert_request_bodies_are_closed, assert_routes_are_documented,
    send,
};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn every_documented_operation_is_routed_and_every_route_documented(pool: PgPool) {
    let state = catalog::AppState::with_key_prefix(
        config(&[]),
        pool,
        &platform::testing::unique_prefix("catalog-openapi"),
    )
    .expect("state");
    assert_document_matches_router(catalog::app(state)).await;
    assert_routes_are_documented(env!("CARGO_MANIFEST_DIR"), &["src/routes"]);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn the_document_lists_each_route_with_its_security_and_error_codes(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, doc) = send(app.server.get("/api/openapi.json")).await;
    assert_eq!(status, 200);
    // The strict readers refuse unknown properties; so does every documented body.
    let closed = assert_request_bodies_are_closed(&doc, &[]);
    assert!(closed >= 10, "only {closed} request bodies");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for item in paths.values() {
        operations += ["get", "post", "put", "patch", "delete"]
            .iter()
            .filter(|m| item.get(**m).is_some())
            .count();
    }
    // 35 catalog operations (catalog.md §6, rows 1–35) and 2 health probes.
    assert_eq!(operations, 37, "{:?}", paths.keys().collect::<Vec<_>>());

    let public = &doc["paths"]["/api/v1/catalog/plans/{id}"]["get"];
    assert!(public.get("security").is_none(), "{public}");
    assert!(
        public["responses"]["404"]["description"]
            .as_str()
            .unwrap_or("")
            .contains("PLAN_NOT_FOUND")
    );

    let validate = &doc["paths"]["/api/v1/catalog/coupons/validate"]["post"];
    assert_eq!(
        validate["security"][0],
        json!({}),
        "credentials are optional"
    );
    assert!(validate["responses"]["429"].is_object());
    assert_eq!(
        validate["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/CouponValidateBody"
    );

    let create = &doc["paths"]["/api/v1/internal/catalog/plans"]["post"];
    assert_eq!(create["security"][0]["apiKey"], json!([]));
    assert_eq!(create["security"][1]["bearerAuth"], json!([]));
    assert!(create["responses"]["201"].is_object());
    let conflict = create["responses"]["409"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(conflict.contains("DUPLICATE_ENTRY"), "{conflict}");
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/PlanCreateBody"
    );

    let redeem = &doc["paths"]["/api/v1/internal/catalog/coupons/redeem"]["post"];
    assert_eq!(redeem["security"], json!([{"apiKey": []}]));
    assert!(redeem["responses"]["200"].is_object() && redeem["responses"]["201"].is_object());
    let unapplicable = redeem["responses"]["422"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(
        unapplicable.contains("COUPON_NOT_APPLICABLE"),
        "{unapplicable}"
    );

    let coupon = &doc["paths"]["/api/v1/internal/catalog/coupons/{id}"];
    assert!(
        coupon["get"].is_object() && coupon["patch"].is_object() && coupon["delete"].is_object()
    );
    assert!(coupon["delete"]["responses"]["409"].is_object());

    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "PublicPlan",
        "AdminPlan",
        "ValidationOutcome",
        "PlanCreateBody",
        "PromoBody",
        "CouponCreateBody",
        "CouponRedeemBody",
        "PlanDuration",
        "ReleaseReason",
        "Deleted",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
    // The plan's bandwidth is a decimal number of terabytes, never a string or an object.
    assert_eq!(
        schemas["PublicPlan"]["properties"]["bandwidthTb"]["type"],
        "number"
    );
}
