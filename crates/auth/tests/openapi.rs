//! The auth service's OpenAPI document: served, complete and in step with the router.

mod common;

use common::spawn;
use platform::testing::{
    assert_document_matches_router, assert_request_bodies_are_closed, assert_routes_are_documented,
    send,
};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn every_documented_operation_is_routed_and_every_route_documented(pool: PgPool) {
    let app = spawn(pool).await;
    assert_document_matches_router(auth::app(app.state.clone())).await;
    assert_routes_are_documented(env!("CARGO_MANIFEST_DIR"), &["src/routes"]);
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
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
    // 8 public, 7 own-account, 4 user-admin and 2 Telegram service operations, 2 health probes.
    assert_eq!(operations, 23, "{:?}", paths.keys().collect::<Vec<_>>());
    // Every API route refuses unknown query parameters (platform.md §4), so each lists the 400.
    for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/")) {
        for (method, op) in item.as_object().expect("path item") {
            let described = op["responses"]["400"]["description"].as_str().unwrap_or("");
            assert!(
                described.contains("VALIDATION_ERROR"),
                "{method} {path} lists no 400 VALIDATION_ERROR"
            );
        }
    }

    let login = &doc["paths"]["/api/v1/auth/login"]["post"];
    assert!(login.get("security").is_none(), "login is public");
    let unauthorized = login["responses"]["401"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(
        unauthorized.contains("INVALID_CREDENTIALS"),
        "{unauthorized}"
    );
    let body = &login["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert_eq!(body, "#/components/schemas/LoginBody");

    let me = &doc["paths"]["/api/v1/auth/me"];
    assert!(me["get"].is_object() && me["patch"].is_object());
    assert_eq!(me["get"]["security"][0]["bearerAuth"], json!([]));

    let link_code = &doc["paths"]["/api/v1/auth/me/telegram/link-code"]["post"];
    assert!(link_code["responses"]["201"]["headers"]["Location"].is_object());
    let forbidden = link_code["responses"]["403"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(forbidden.contains("EMAIL_NOT_VERIFIED"), "{forbidden}");

    let status_change = &doc["paths"]["/api/v1/internal/users/{id}/status"]["patch"];
    assert_eq!(status_change["security"][0]["apiKey"], json!([]));
    assert_eq!(status_change["security"][1]["bearerAuth"], json!([]));
    assert!(status_change["responses"]["404"].is_object());

    let link = &doc["paths"]["/api/v1/internal/telegram/link"]["post"];
    assert_eq!(
        link["security"],
        json!([{"apiKey": []}]),
        "service route: key only"
    );

    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "ErrorBody",
        "LoginBody",
        "RegisterBody",
        "UserProfile",
        "UserDetail",
        "TokenPair",
        "Role",
        "UserStatus",
    ] {
        assert!(schemas.contains_key(name), "schema {name}");
    }
}

/// The typed answers serialize exactly as auth.md §6 shows them: no key added, none lost.
#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn typed_answers_keep_their_keys(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "doc@example.com", "password": common::STRONG, "fullName": "Doc"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        keys(&body["data"]),
        [
            "createdAt",
            "debugToken",
            "email",
            "fullName",
            "id",
            "role",
            "status"
        ]
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "doc@example.com", "password": common::STRONG}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        keys(&body["data"]),
        [
            "accessToken",
            "expiresIn",
            "refreshExpiresIn",
            "refreshToken",
            "requiresVerification",
            "tokenType",
            "user"
        ]
    );
    assert_eq!(body["data"]["requiresVerification"], true);
    assert_eq!(
        keys(&body["data"]["user"]),
        ["email", "fullName", "id", "role", "status"]
    );

    let (status, body) = app
        .post(
            "/api/v1/auth/forgot-password",
            json!({"email": "nobody@example.com"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"data": {"message": "Bila email terdaftar, tautan reset password sudah kami kirim"}})
    );
}

fn keys(value: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// Request bodies that stay open on purpose.
const OPEN_BODIES: &[&str] = &[];

/// The strict readers refuse unknown properties (platform.md §4), so every request body the
/// document names is closed with `additionalProperties: false`, nested objects too.
#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn request_bodies_refuse_unknown_properties(pool: PgPool) {
    let app = spawn(pool).await;
    let (status, doc) = send(app.server.get("/api/openapi.json")).await;
    assert_eq!(status, 200);
    let checked = assert_request_bodies_are_closed(&doc, OPEN_BODIES);
    let schemas = &doc["components"]["schemas"];
    assert!(checked >= 12, "only {checked} request bodies found");
    assert_eq!(
        schemas["NotificationPreferencesPatch"]["additionalProperties"],
        json!(false)
    );
    // A chat id is a string or a JSON integer, as `read_chat_id` reads it.
    let chat = &schemas["TelegramChatId"]["oneOf"];
    assert_eq!(chat[0]["type"], "string");
    assert_eq!(chat[1]["type"], "integer");
}
