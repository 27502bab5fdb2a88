//! `POST /api/v1/catalog/coupons/validate` (catalog.md §4.4, §6.1, acceptance checks 6–8):
//! the worked examples, every reason, who the user is, rounding and the rate limit.

mod common;

use common::*;
use platform::auth::Role;
use platform::testing::{TEST_API_KEY, claims, signer, token};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn preview(app: &TestApp, body: Value) -> Value {
    let (status, body) = app.post(VALIDATE, body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn welcome10_in_lower_case_with_and_without_its_cap(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let response = app
        .server
        .post(
            VALIDATE,
            &json!({"code": " welcome10 ", "planId": STANDARD, "userId": CUSTOMER_ID, "amount": 300_000}),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let data = response.json::<Value>().await.expect("json")["data"].clone();
    assert_eq!(data["valid"], true);
    assert_eq!(data["code"], "WELCOME10");
    assert_eq!(data["amount"], 300_000);
    assert_eq!(data["discountAmount"], 30_000);
    assert_eq!(data["finalPrice"], 270_000);
    assert_eq!(data["reason"], Value::Null);
    assert_eq!(
        data["coupon"],
        json!({"id": WELCOME10, "code": "WELCOME10", "name": "Diskon Pengguna Baru 10%",
               "discountType": "PERCENT", "discountValue": 10, "maxDiscountAmount": 100_000})
    );

    let data = preview(&app, json!({"code": "WELCOME10", "amount": 3_825_000})).await;
    assert_eq!(data["discountAmount"], 100_000, "capped");
    assert_eq!(data["finalPrice"], 3_725_000);
    let data = preview(&app, json!({"code": "welcome10", "amount": 125_000})).await;
    assert_eq!(
        (data["discountAmount"].clone(), data["finalPrice"].clone()),
        (json!(12_500), json!(112_500))
    );
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_redemptions").await,
        0,
        "validation records nothing"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn every_reason_with_its_message(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let data = preview(&app, json!({"code": "FLAT25K", "amount": 85_000})).await;
    assert_eq!(data["valid"], false);
    assert_eq!(data["reason"], "MIN_AMOUNT_NOT_MET");
    assert_eq!(
        data["message"],
        "Kupon berlaku untuk transaksi minimal Rp 100.000"
    );
    assert_eq!(data["minOrderAmount"], 100_000);
    assert_eq!(data["discountAmount"], Value::Null);
    let data = preview(&app, json!({"code": "FLAT25K", "amount": 100_000})).await;
    assert_eq!(data["valid"], true, "the minimum itself is enough");
    assert_eq!(data["finalPrice"], 75_000);

    let expect = [
        (
            json!({"code": "PRO50K", "planId": BASIC, "amount": 950_000}),
            "PLAN_NOT_ALLOWED",
            "Kupon ini tidak bisa dipakai untuk paket yang dipilih",
        ),
        (
            json!({"code": "PRO50K", "amount": 950_000}),
            "PLAN_NOT_ALLOWED",
            "Kupon ini tidak bisa dipakai untuk paket yang dipilih",
        ),
        (
            json!({"code": "LEBARAN2024", "amount": 950_000}),
            "EXPIRED",
            "Masa berlaku kupon sudah habis",
        ),
        (
            json!({"code": "NOPE", "amount": 950_000}),
            "NOT_FOUND",
            "Kode kupon tidak dikenal",
        ),
    ];
    for (body, reason, message) in expect {
        let data = preview(&app, body.clone()).await;
        assert_eq!(data["valid"], false, "{body}");
        assert_eq!(data["reason"], reason, "{body}");
        assert_eq!(data["message"], message, "{body}");
    }
    let data = preview(
        &app,
        json!({"code": "PRO50K", "planId": PRO, "amount": 950_000}),
    )
    .await;
    assert_eq!(data["finalPrice"], 900_000);

    app.coupon("FUTURE1", json!({"startAt": "2099-01-01T00:00:00Z"}))
        .await;
    let data = preview(&app, json!({"code": "future1", "amount": 950_000})).await;
    assert_eq!(data["reason"], "BEFORE_START");
    assert_eq!(data["message"], "Kupon belum mulai berlaku");

    let (status, _) = app
        .patch_key(
            &format!("{ADMIN}/coupons/{FLAT25K}"),
            json!({"isActive": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let data = preview(&app, json!({"code": "FLAT25K", "amount": 300_000})).await;
    assert_eq!(data["reason"], "INACTIVE");
    assert_eq!(data["message"], "Kupon sedang dinonaktifkan");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn the_validity_window_edges_are_inclusive(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.coupon(
        "WINDOW",
        json!({"startAt": "2026-03-01T00:00:00Z", "endAt": "2026-03-31T16:59:59Z"}),
    )
    .await;
    let at = |t: &str| {
        app.pin(time(t));
    };
    let body = json!({"code": "WINDOW", "amount": 100_000});
    at("2026-02-28T23:59:59.999Z");
    assert_eq!(preview(&app, body.clone()).await["reason"], "BEFORE_START");
    at("2026-03-01T00:00:00Z");
    assert_eq!(preview(&app, body.clone()).await["valid"], true);
    at("2026-03-31T16:59:59Z");
    assert_eq!(preview(&app, body.clone()).await["valid"], true);
    at("2026-03-31T16:59:59.001Z");
    assert_eq!(preview(&app, body).await["reason"], "EXPIRED");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn percentages_round_down_and_never_go_below_zero(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.coupon(
        "ODD15",
        json!({"discountType": "PERCENT", "discountValue": 15, "maxRedemptionsPerUser": null}),
    )
    .await;
    let data = preview(&app, json!({"code": "ODD15", "amount": 99_999})).await;
    assert_eq!(data["discountAmount"], 14_999, "14.999,85 rounds down");
    assert_eq!(data["finalPrice"], 85_000);
    let data = preview(&app, json!({"code": "ODD15", "amount": 6})).await;
    assert_eq!(data["discountAmount"], 0);

    app.coupon(
        "FREE100",
        json!({"discountType": "PERCENT", "discountValue": 100}),
    )
    .await;
    let data = preview(&app, json!({"code": "FREE100", "amount": 375_000})).await;
    assert_eq!(
        (data["discountAmount"].clone(), data["finalPrice"].clone()),
        (json!(375_000), json!(0))
    );
    app.coupon("BIGFIX", json!({"discountValue": 500_000}))
        .await;
    let data = preview(&app, json!({"code": "BIGFIX", "amount": 85_000})).await;
    assert_eq!(
        (data["discountAmount"].clone(), data["finalPrice"].clone()),
        (json!(85_000), json!(0))
    );
    let data = preview(&app, json!({"code": "BIGFIX", "amount": 0})).await;
    assert_eq!(data["finalPrice"], 0);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn a_user_restricted_coupon_follows_the_bearer_token(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.coupon("ONLYU", json!({"userIds": [CUSTOMER_ID]})).await;
    let body = json!({"code": "ONLYU", "amount": 100_000});
    let (status, data) = app
        .post_bearer(VALIDATE, &customer_token(), body.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(data["data"]["valid"], true);

    let other = token("e1000000-0000-4000-8000-00000000abcd", Role::Customer);
    let (_, data) = app.post_bearer(VALIDATE, &other, body.clone()).await;
    assert_eq!(data["data"]["reason"], "USER_NOT_ALLOWED");
    assert_eq!(
        data["data"]["message"],
        "Kupon ini tidak tersedia untuk akun Anda"
    );

    // The token's subject wins over the body's userId.
    let mut spoof = body.clone();
    spoof["userId"] = json!(CUSTOMER_ID);
    let (_, data) = app.post_bearer(VALIDATE, &other, spoof.clone()).await;
    assert_eq!(data["data"]["reason"], "USER_NOT_ALLOWED");

    // An anonymous preview without a user cannot use it.
    assert_eq!(
        preview(&app, body.clone()).await["reason"],
        "USER_NOT_ALLOWED"
    );
    // The order service is trusted with the body's userId.
    assert_eq!(app.validate_for(spoof).await["valid"], true);

    // A token whose subject is not a UUID is simply a user no coupon lists.
    let opaque = signer()
        .sign(&claims("user-42", Role::Customer))
        .expect("sign");
    let (_, data) = app.post_bearer(VALIDATE, &opaque, body).await;
    assert_eq!(data["data"]["reason"], "USER_NOT_ALLOWED");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn bad_credentials_are_refused_not_ignored(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let body = json!({"code": "WELCOME10", "amount": 300_000});
    let (status, data) = app.post_bearer(VALIDATE, "not.a.token", body.clone()).await;
    assert_error(status, &data, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(data["error"]["details"]["reason"], "TOKEN_INVALID");
    let mut expired = claims(CUSTOMER_ID, Role::Customer);
    expired.iat -= 3600;
    expired.exp -= 3600;
    let expired = signer().sign(&expired).expect("sign");
    let (status, data) = app.post_bearer(VALIDATE, &expired, body.clone()).await;
    assert_error(status, &data, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(data["error"]["details"]["reason"], "TOKEN_EXPIRED");
    let (status, data) = send(
        app.server
            .post(VALIDATE, &body)
            .header("x-api-key", "wrong-key-wrong-key-wrong-key-wrong"),
    )
    .await;
    assert_error(status, &data, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(data["error"]["details"]["reason"], "API_KEY_INVALID");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn the_per_user_limit_needs_a_known_user(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let order = "0b7d9e3c-2f1a-4c6b-8d5e-7f9a1b2c3d4e";
    let (status, body) = app
        .post_key(
            REDEEM,
            json!({"code": "WELCOME10", "orderId": order, "userId": CUSTOMER_ID,
                   "planId": STANDARD, "duration": "MONTHLY", "amount": 300_000}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let body = json!({"code": "WELCOME10", "userId": CUSTOMER_ID, "amount": 300_000});
    let data = app.validate_for(body.clone()).await;
    assert_eq!(data["reason"], "LIMIT_PER_USER_REACHED");
    assert_eq!(
        data["message"],
        "Jatah pemakaian kupon ini untuk akun Anda sudah habis"
    );
    let (_, data) = app
        .post_bearer(
            VALIDATE,
            &customer_token(),
            json!({"code": "WELCOME10", "amount": 300_000}),
        )
        .await;
    assert_eq!(data["data"]["reason"], "LIMIT_PER_USER_REACHED");
    let data = preview(&app, json!({"code": "WELCOME10", "amount": 300_000})).await;
    assert_eq!(
        data["valid"], true,
        "an anonymous preview skips the per-user check"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn validation_is_limited_per_client_ip_unless_the_key_is_sent(pool: sqlx::PgPool) {
    let redis = platform::testing::redis_url();
    let app = spawn_with(
        pool,
        &[
            ("RATE_LIMIT_ENABLED", "true"),
            ("RATE_LIMIT_COUPON_VALIDATE_PER_MIN", "3"),
            ("REDIS_URL", redis.as_str()),
        ],
    )
    .await;
    let body = json!({"code": "GUESS", "amount": 1});
    for i in 0..3u32 {
        let response = app
            .server
            .post(VALIDATE, &body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["x-ratelimit-limit"], "3");
        assert_eq!(
            response.headers()["x-ratelimit-remaining"],
            (2 - i).to_string().as_str()
        );
    }
    let response = app
        .server
        .post(VALIDATE, &json!({"malformed": true}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let data: Value = response.json().await.expect("json");
    assert_eq!(data["error"]["code"], "TOO_MANY_REQUESTS");
    assert!(!data.to_string().to_lowercase().contains("redis"));

    for _ in 0..5 {
        let (status, _) = app.post_key(VALIDATE, body.clone()).await;
        assert_eq!(status, StatusCode::OK, "the order service is exempt");
    }
    let (status, _) = app.get("/api/v1/catalog/plans").await;
    assert_eq!(status, StatusCode::OK, "public reads are not limited");
    let (status, body) = send(
        app.server
            .post(VALIDATE, &body)
            .header("x-api-key", TEST_API_KEY)
            .bearer_auth(customer_token()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn malformed_validation_bodies(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post(
            VALIDATE,
            json!({"code": "", "amount": -1, "planId": "x", "userId": 5, "coupon": "X"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec!["code", "amount", "planId", "userId", "coupon"]
    );
    let (status, body) = app
        .post(VALIDATE, json!({"code": "A".repeat(33), "amount": "10"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["code", "amount"]);
    let (status, body) = app.post(VALIDATE, json!({"amount": 1.5})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["code", "amount"]);
}
