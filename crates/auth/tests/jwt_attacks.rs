//! Every way to forge or misuse an access token is refused by a service verifying with
//! `platform::auth` (platform.md §3.1).

mod common;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use platform::auth::{Role, TokenSigner};
use platform::testing::{claims, foreign_keys, signer, test_keys};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn me_with(app: &TestApp, authorization: &str) -> (StatusCode, Value, Option<String>) {
    let response = app
        .server
        .get("/api/v1/auth/me")
        .header("authorization", authorization)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let www = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, response.json().await.expect("json"), www)
}

async fn assert_refused(app: &TestApp, authorization: &str, reason: &str) {
    let (status, body, www) = me_with(app, authorization).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(
        body["error"]["details"]["reason"], reason,
        "{authorization}: {body}"
    );
    assert_eq!(www.as_deref(), Some("Bearer"));
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("json"))
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn forged_and_misused_tokens_are_refused(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let good = claims(CUSTOMER_ID, Role::Customer);
    let valid = signer().sign(&good).expect("sign");
    let (status, _, _) = me_with(&app, &format!("Bearer {valid}")).await;
    assert_eq!(status, StatusCode::OK, "the control token works");
    let (status, _, _) = me_with(&app, &format!("bEaReR {valid}")).await;
    assert_eq!(status, StatusCode::OK, "the scheme is case-insensitive");

    let payload = b64(&serde_json::to_value(&good).expect("claims"));
    let none = format!("{}.{payload}.", b64(&json!({"alg": "none", "typ": "JWT"})));
    assert_refused(&app, &format!("Bearer {none}"), "TOKEN_INVALID").await;

    // Algorithm confusion: the public key used as an HMAC secret.
    let confused = TokenSigner::hs256(test_keys().public_pem.as_bytes())
        .sign(&good)
        .expect("sign");
    assert_refused(&app, &format!("Bearer {confused}"), "TOKEN_INVALID").await;

    let foreign = TokenSigner::rs256(&foreign_keys().private_pem)
        .expect("key")
        .sign(&good)
        .expect("sign");
    assert_refused(&app, &format!("Bearer {foreign}"), "TOKEN_INVALID").await;

    let mut wrong_issuer = good.clone();
    wrong_issuer.iss = "evil-issuer".into();
    assert_refused(
        &app,
        &format!("Bearer {}", signer().sign(&wrong_issuer).expect("sign")),
        "TOKEN_INVALID",
    )
    .await;

    let mut refresh_type = good.clone();
    refresh_type.token_type = "refresh".into();
    assert_refused(
        &app,
        &format!("Bearer {}", signer().sign(&refresh_type).expect("sign")),
        "TOKEN_INVALID",
    )
    .await;

    let mut expired = good.clone();
    expired.iat -= 3600;
    expired.exp = expired.iat + 900;
    assert_refused(
        &app,
        &format!("Bearer {}", signer().sign(&expired).expect("sign")),
        "TOKEN_EXPIRED",
    )
    .await;

    let mut future = good.clone();
    future.iat += 600;
    future.exp += 600;
    assert_refused(
        &app,
        &format!("Bearer {}", signer().sign(&future).expect("sign")),
        "TOKEN_INVALID",
    )
    .await;

    let mut not_yet = good.clone();
    not_yet.nbf = Some(not_yet.iat + 300);
    assert_refused(
        &app,
        &format!("Bearer {}", signer().sign(&not_yet).expect("sign")),
        "TOKEN_INVALID",
    )
    .await;

    // Tampering: promote the role but keep the original signature.
    let parts: Vec<&str> = valid.split('.').collect();
    let mut promoted = serde_json::to_value(&good).expect("claims");
    promoted["role"] = json!("admin");
    let tampered = format!("{}.{}.{}", parts[0], b64(&promoted), parts[2]);
    assert_refused(&app, &format!("Bearer {tampered}"), "TOKEN_INVALID").await;

    let mut missing_email = serde_json::to_value(&good).expect("claims");
    missing_email
        .as_object_mut()
        .expect("object")
        .remove("email");
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(test_keys().private_pem.as_bytes()).expect("key");
    let no_email = jsonwebtoken::encode(&header, &missing_email, &key).expect("sign");
    assert_refused(&app, &format!("Bearer {no_email}"), "TOKEN_INVALID").await;

    let mut bad_role = serde_json::to_value(&good).expect("claims");
    bad_role["role"] = json!("root");
    assert_refused(
        &app,
        &format!(
            "Bearer {}",
            jsonwebtoken::encode(&header, &bad_role, &key).expect("sign")
        ),
        "TOKEN_INVALID",
    )
    .await;

    for malformed in [
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer  two-spaces",
        "Bearer a b",
        "Bearer not.a.jwt",
    ] {
        assert_refused(&app, malformed, "TOKEN_INVALID").await;
    }
    let (status, body) = send(app.server.get("/api/v1/auth/me")).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_MISSING");
    assert_eq!(body["error"]["message"], "Token akses wajib disertakan");
}

#[sqlx::test(migrator = "auth::MIGRATOR")]
async fn an_hs256_service_refuses_rs256_tokens(pool: sqlx::PgPool) {
    let secret = "an-hs256-development-secret-of-32+bytes";
    let app = spawn_with(pool, &[("JWT_ALGORITHM", "HS256"), ("JWT_SECRET", secret)]).await;
    let rs = signer()
        .sign(&claims(CUSTOMER_ID, Role::Customer))
        .expect("sign");
    assert_refused(&app, &format!("Bearer {rs}"), "TOKEN_INVALID").await;
    let hs = TokenSigner::hs256(secret.as_bytes())
        .sign(&claims(CUSTOMER_ID, Role::Customer))
        .expect("sign");
    let (status, _, _) = me_with(&app, &format!("Bearer {hs}")).await;
    assert_eq!(status, StatusCode::OK);
    let (access, _) = app.login("customer@webrana.cloud", "Customer123!").await;
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().expect("h"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "HS256");
}

#[test]
fn production_refuses_hs256_and_debug_tokens() {
    let mut env = platform::config::Env::from_pairs(env_pairs(
        "http://localhost:3005",
        &[
            ("APP_ENV", "production"),
            ("JWT_ALGORITHM", "HS256"),
            ("JWT_SECRET", &"s".repeat(40)),
        ],
    ));
    let _ = auth::Config::read(&mut env);
    let err = env.finish().expect_err("refused").to_string();
    assert!(err.contains("HS256 is refused"), "{err}");
    assert!(err.contains("AUTH_DEBUG_TOKENS"), "{err}");
}

#[test]
fn missing_keys_are_named_at_startup() {
    let mut env = platform::config::Env::from_pairs([("APP_ENV", "test")]);
    let _ = auth::Config::read(&mut env);
    let err = env.finish().expect_err("refused").to_string();
    for var in [
        "DATABASE_URL",
        "INTERNAL_API_KEY",
        "JWT_PUBLIC_KEY",
        "JWT_PRIVATE_KEY",
    ] {
        assert!(err.contains(var), "{var} not named in {err}");
    }
}
