//! The billing service's OpenAPI document: served, complete and in step with the router.

mod common;

use common::spawn;
use platform::testing::{
    assert_document_matches_router, assert_request_bodies_are_closed, assert_routes_are_documented,
    send,
};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "billing::MIGRATOR")]
async fn every_documented_operation_is_routed_and_every_route_documented(pool: PgPool) {
    let app = spawn(pool).await;
    assert_document_matches_router(billing::app(app.state.clone())).await;
    assert_routes_are_documented(env!("CARGO_MANIFEST_DIR"), &["src/routes"]);
}

#[sqlx::test(migrator = "billing::MIGRATOR")]
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
    // 13 billing operations (the webhook twice), 4 queue admin operations, 2 health probes.
    assert_eq!(operations, 19, "{:?}", paths.keys().collect::<Vec<_>>());

    let create = &doc["paths"]["/api/v1/billing/invoices"]["post"];
    assert_eq!(create["security"][0]["bearerAuth"], json!([]));
    assert!(create["responses"]["201"].is_object() && create["responses"]["200"].is_object());
    let conflict = create["responses"]["409"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(conflict.contains("ORDER_NOT_PAYABLE"), "{conflict}");
    let body = &create["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/CreateInvoiceBody");

    let pay = &doc["paths"]["/api/v1/billing/invoices/{id}/pay"]["post"];
    for code in ["402", "422", "502", "503"] {
        assert!(pay["responses"][code].is_object(), "pay documents {code}");
    }

    // The webhook: no API key or token, Tripay's headers and body, Tripay's reply.
    for path in [
        "/api/v1/billing/webhooks/tripay",
        "/api/v1/internal/billing/webhooks/tripay",
    ] {
        let hook = &doc["paths"][path]["post"];
        assert!(hook["security"].is_null(), "{path} takes no credentials");
        let headers: Vec<&str> = hook["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter(|p| p["in"] == "header")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert_eq!(
            headers,
            ["X-Callback-Signature", "X-Callback-Event"],
            "{path}"
        );
        let unauthorized = hook["responses"]["401"]["description"]
            .as_str()
            .unwrap_or("");
        assert!(unauthorized.contains("SIGNATURE_INVALID"), "{unauthorized}");
        assert_eq!(
            hook["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/TripayCallbackBody"
        );
        assert_eq!(
            hook["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/TripayCallbackAck"
        );
    }

    let internal = &doc["paths"]["/api/v1/internal/billing/invoices"]["post"];
    assert_eq!(internal["security"][0]["apiKey"], json!([]));
    assert_eq!(internal["security"].as_array().map(Vec::len), Some(1));
    let resync = &doc["paths"]["/api/v1/internal/billing/invoices/{id}/resync-order"]["post"];
    assert_eq!(resync["security"][1]["bearerAuth"], json!([]));
    assert!(resync["responses"]["409"].is_object());

    let dead = &doc["paths"]["/api/v1/internal/billing/queues/{queue}/dead-letter"];
    assert!(dead["get"].is_object() && dead["delete"].is_object());
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "CreateInvoiceBody",
        "PayInvoiceBody",
        "TripayCallbackBody",
        "InvoiceView",
        "AdminDetail",
        "ChannelView",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
}

/// Request bodies that stay open on purpose.
const OPEN_BODIES: &[&str] = &["TripayCallbackBody"];

/// The strict readers refuse unknown properties (platform.md §4), so every request body the
/// document names is closed with `additionalProperties: false` (Tripay's callback excepted: fields Tripay adds later are ignored).
#[sqlx::test(migrator = "billing::MIGRATOR")]
async fn request_bodies_refuse_unknown_properties(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, doc) = send(app.server.get("/api/openapi.json")).await;
    assert_eq!(status, 200);
    let checked = assert_request_bodies_are_closed(&doc, OPEN_BODIES);
    assert!(checked >= 4, "only {checked} request bodies found");
}
