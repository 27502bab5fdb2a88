//! The notification service's OpenAPI document: served, complete and in step with the router.

mod common;

use common::{PREFIX, spawn};
use platform::testing::{
    assert_document_matches_router, assert_request_bodies_are_closed, assert_routes_are_documented,
    send,
};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn every_documented_operation_is_routed_and_every_route_documented(pool: PgPool) {
    let app = spawn(pool).await;
    assert_document_matches_router(notification::app(app.state.clone())).await;
    assert_routes_are_documented(env!("CARGO_MANIFEST_DIR"), &["src/routes", "src/lib.rs"]);
}

#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn the_document_lists_each_route_with_its_security_and_error_codes(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, doc) = send(app.server.get("/api/openapi.json")).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for item in paths.values() {
        operations += ["get", "post", "put", "patch", "delete"]
            .iter()
            .filter(|m| item.get(**m).is_some())
            .count();
    }
    // 6 notification operations, 4 queue admin operations, 2 health probes.
    assert_eq!(operations, 12, "{:?}", paths.keys().collect::<Vec<_>>());

    let send_op = &doc["paths"][format!("{PREFIX}/send")]["post"];
    assert_eq!(send_op["security"][0]["apiKey"], json!([]));
    assert_eq!(send_op["security"].as_array().map(Vec::len), Some(1));
    assert!(send_op["responses"]["202"].is_object() && send_op["responses"]["200"].is_object());
    let bad = send_op["responses"]["400"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(bad.contains("INVALID_NOTIFICATION_EVENT"), "{bad}");
    let unavailable = send_op["responses"]["503"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(
        unavailable.contains("AUTH_SERVICE_UNAVAILABLE"),
        "{unavailable}"
    );
    assert_eq!(
        send_op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/SendNotificationBody"
    );
    assert_eq!(send_op["parameters"][0]["name"], "Idempotency-Key");

    let template = &doc["paths"][format!("{PREFIX}/templates/{{id}}")];
    assert!(template["get"].is_object() && template["put"].is_object());
    assert_eq!(template["put"]["security"][1]["bearerAuth"], json!([]));
    let invalid = template["put"]["responses"]["422"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(invalid.contains("TEMPLATE_INVALID"), "{invalid}");

    let log = &doc["paths"][format!("{PREFIX}/logs/{{id}}")]["get"];
    assert!(
        log["responses"]["404"]["description"]
            .as_str()
            .unwrap_or("")
            .contains("NOTIFICATION_LOG_NOT_FOUND")
    );

    let dead = &doc["paths"][format!("{PREFIX}/queues/{{queue}}/dead-letter")];
    assert!(dead["get"].is_object() && dead["delete"].is_object());
    assert!(dead["get"]["responses"]["404"].is_object());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "SendNotificationBody",
        "SendAnswer",
        "NotificationSummary",
        "UpdateTemplateBody",
        "TemplateRow",
        "LogDetail",
        "RetryDeadLettersBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
}

/// Request bodies that stay open on purpose.
const OPEN_BODIES: &[&str] = &[];

/// The strict readers refuse unknown properties (platform.md §4), so every request body the
/// document names is closed with `additionalProperties: false` (`data` of `send` stays open, notification.md §2.1).
#[sqlx::test(migrator = "notification::MIGRATOR")]
async fn request_bodies_refuse_unknown_properties(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, doc) = send(app.server.get("/api/openapi.json")).await;
    assert_eq!(status, 200);
    let checked = assert_request_bodies_are_closed(&doc, OPEN_BODIES);
    let schemas = &doc["components"]["schemas"];
    assert!(checked >= 3, "only {checked} request bodies found");
    let data = &schemas["SendNotificationBody"]["properties"]["data"];
    assert_ne!(data["additionalProperties"], json!(false));
}
