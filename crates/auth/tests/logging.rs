//! Logs are single JSON lines with the request id and an access line per request, and never carry
//! passwords, tokens or keys (platform.md §9, auth.md §5.10).

mod common;

use common::*;
use platform::testing::{LogCapture, TEST_API_KEY};
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn access_lines_carry_request_ids_and_no_secrets(pool: sqlx::PgPool) {
    let (logs, _guard) = LogCapture::start("auth-service");
    let app = spawn(pool).await;

    let response = app
        .server
        .post(
            "/api/v1/auth/login",
            &json!({"email": "customer@webrana.cloud", "password": "Customer123!"}),
        )
        .header("x-request-id", "req-login-1")
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("json");
    let access = body["data"]["accessToken"]
        .as_str()
        .expect("access")
        .to_string();
    let refresh = body["data"]["refreshToken"]
        .as_str()
        .expect("refresh")
        .to_string();
    app.post("/api/v1/auth/refresh", json!({"refreshToken": refresh}))
        .await;
    app.post(
        "/api/v1/auth/login",
        json!({"email": "customer@webrana.cloud", "password": "Wrong-Pass1!"}),
    )
    .await;
    app.get_auth("/api/v1/auth/me", &access).await;
    app.get_key(&format!("/api/v1/internal/users/{CUSTOMER_ID}"))
        .await;
    let (_, reg) = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "log@example.com", "password": STRONG, "fullName": "L"}),
        )
        .await;
    let verification = reg["data"]["debugToken"]
        .as_str()
        .expect("token")
        .to_string();

    let text = logs.text();
    for secret in [
        "Customer123!",
        "Wrong-Pass1!",
        STRONG,
        access.as_str(),
        refresh.as_str(),
        TEST_API_KEY,
        verification.as_str(),
    ] {
        assert!(!text.contains(secret), "a secret reached the logs");
    }
    assert!(
        !text.contains("customer@webrana.cloud"),
        "e-mails are masked"
    );

    let lines = logs.lines();
    assert!(!lines.is_empty());
    for line in &lines {
        for field in ["timestamp", "level", "service", "message"] {
            assert!(line.get(field).is_some(), "{field} missing in {line}");
        }
        assert_eq!(line["service"], "auth-service");
        assert!(
            ["debug", "info", "warn", "error"].contains(&line["level"].as_str().unwrap_or("")),
            "{line}"
        );
    }
    let login_access = lines
        .iter()
        .find(|l| l["target"] == "access" && l["requestId"] == "req-login-1")
        .expect("access line for the login");
    assert_eq!(login_access["method"], "POST");
    assert_eq!(login_access["path"], "/api/v1/auth/login");
    assert_eq!(login_access["status"], 200);
    assert!(login_access["durationMs"].is_number());
    let success = lines
        .iter()
        .find(|l| l["event"] == "auth.login.success")
        .expect("login event");
    assert_eq!(
        success["requestId"], "req-login-1",
        "handler logs carry the request id"
    );
    let actors: Vec<&str> = lines
        .iter()
        .filter(|l| l["target"] == "access")
        .filter_map(|l| l["actor"].as_str())
        .collect();
    assert!(
        actors.contains(&format!("user:{CUSTOMER_ID}").as_str()),
        "{actors:?}"
    );
    assert!(actors.contains(&"internal"), "{actors:?}");
    assert!(
        lines
            .iter()
            .any(|l| l["event"] == "auth.login.failed" && l["reason"] == "WRONG_PASSWORD")
    );
}
