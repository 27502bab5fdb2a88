//! The order service's OpenAPI document: served, complete and in step with the router.

mod common;

use common::{FakeCatalog, config, spawn};
use platform::testing::{
    assert_document_matches_router, assert_request_bodies_are_closed, assert_routes_are_documented,
    send,
};
use sqlx::PgPool;

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn every_documented_operation_is_routed_and_every_route_documented(pool: PgPool) {
    let catalog = FakeCatalog::start().await;
    let state = order::AppState::with_key_prefix(
        config(&catalog.server.base_url),
        pool,
        &platform::testing::unique_prefix("order-openapi"),
    )
    .expect("state");
    assert_document_matches_router(order::app(state)).await;
    assert_routes_are_documented(env!("CARGO_MANIFEST_DIR"), &["src/routes"]);
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn the_document_lists_each_route_with_its_security_and_error_codes(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, doc) = send(app.server.get("/api/openapi.json")).await;
    assert_eq!(status, 200);
    // The strict readers refuse unknown properties; so does every documented body.
    let closed = assert_request_bodies_are_closed(&doc, &[]);
    assert!(closed >= 3, "only {closed} request bodies");
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for item in paths.values() {
        operations += ["get", "post", "put", "patch", "delete"]
            .iter()
            .filter(|m| item.get(**m).is_some())
            .count();
    }
    // 8 order operations, 4 queue admin operations, 2 health probes.
    assert_eq!(operations, 14, "{:?}", paths.keys().collect::<Vec<_>>());

    let create = &doc["paths"]["/api/v1/orders"]["post"];
    assert_eq!(create["security"][0]["bearerAuth"], serde_json::json!([]));
    assert!(create["responses"]["201"].is_object());
    let bad = create["responses"]["400"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(bad.contains("INVALID_COUPON"), "{bad}");
    let body = &create["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/CreateOrderBody");

    let payment = &doc["paths"]["/api/v1/internal/orders/{id}/payment-status"]["post"];
    assert_eq!(payment["security"][0]["apiKey"], serde_json::json!([]));
    assert!(payment["responses"]["409"].is_object());

    let dead = &doc["paths"]["/api/v1/internal/orders/queues/{queue}/dead-letter"];
    assert!(dead["get"].is_object() && dead["delete"].is_object());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "CreateOrderBody",
        "PaymentStatusBody",
        "PlanDuration",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
}

#[sqlx::test(migrator = "order::MIGRATOR")]
async fn swagger_ui_is_served_with_a_policy_that_lets_it_run(pool: PgPool) {
    let app = spawn(pool).await;
    let response = app
        .server
        .get("/api/docs")
        .send()
        .await
        .expect("swagger ui");
    assert_eq!(response.status(), 200);
    let csp = response
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = response.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");

    // The API itself keeps the strict policy.
    let api = app.server.get("/api/v1/orders").send().await.expect("api");
    let strict = api.headers()["content-security-policy"]
        .to_str()
        .expect("csp");
    assert_eq!(strict, "default-src 'none'; frame-ancestors 'none'");
}

/// Found by scripts/fuzz.sh: an order without a provisioning task (unpaid, canceled) answers
/// `"provisioningTask": null`, which the admin view's schema used to forbid.
#[sqlx::test(migrator = "order::MIGRATOR")]
async fn the_provisioning_task_is_nullable_in_both_views(pool: PgPool) {
    let app = spawn(pool).await;
    let (_, doc) = send(app.server.get("/api/openapi.json")).await;
    let schemas = &doc["components"]["schemas"];
    for view in ["OrderBody", "OrderBody_AdminTaskView"] {
        let task = &schemas[view]["properties"]["provisioningTask"];
        let alternatives = task["oneOf"]
            .as_array()
            .unwrap_or_else(|| panic!("{view}: {task}"));
        assert!(
            alternatives.iter().any(|s| s["type"] == "null"),
            "{view}: {task}"
        );
    }
    // The create body's example orders from the demo catalog (catalog spec §9).
    let example = &schemas["CreateOrderBody"]["example"];
    assert_eq!(
        example["planId"], "a1000000-0000-4000-8000-000000000002",
        "{example}"
    );
}
