//! The order service's redeem and release (catalog.md §4.4, §6.5, acceptance checks 9–11):
//! idempotency per order, limits under concurrency, release and reuse.

mod common;

use common::*;
use platform::auth::Role;
use platform::testing::token;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

fn redeem_body(code: &str, order: &str, user: &str, amount: i64) -> Value {
    json!({"code": code, "orderId": order, "userId": user, "planId": STANDARD,
           "duration": "MONTHLY", "amount": amount})
}

fn new_id() -> String {
    Uuid::new_v4().to_string()
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn redeem_repeat_limit_release_and_reuse(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let o1 = new_id();
    let response = app
        .server
        .post(REDEEM, &redeem_body("welcome10", &o1, CUSTOMER_ID, 300_000))
        .header("x-api-key", platform::testing::TEST_API_KEY)
        .header("idempotency-key", &o1)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().contains_key("location"));
    assert_eq!(response.headers()["cache-control"], "no-store");
    let first: Value = response.json().await.expect("json");
    let data = &first["data"];
    assert_eq!(data["code"], "WELCOME10");
    assert_eq!(data["couponId"], WELCOME10);
    assert_eq!(data["orderId"], o1.as_str());
    assert_eq!(
        (
            data["amount"].clone(),
            data["discountAmount"].clone(),
            data["finalPrice"].clone()
        ),
        (json!(300_000), json!(30_000), json!(270_000))
    );
    assert!(
        data["redeemedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let validate = json!({"code": "WELCOME10", "userId": CUSTOMER_ID, "amount": 300_000});
    assert_eq!(
        app.validate_for(validate.clone()).await["reason"],
        "LIMIT_PER_USER_REACHED"
    );

    let (status, again) = app
        .post_key(REDEEM, redeem_body("WELCOME10", &o1, CUSTOMER_ID, 300_000))
        .await;
    assert_eq!(status, StatusCode::OK, "an idempotent repeat: {again}");
    assert_eq!(again["data"]["redemptionId"], data["redemptionId"]);
    assert_eq!(again["data"]["redeemedAt"], data["redeemedAt"]);

    let o2 = new_id();
    let (status, body) = app
        .post_key(REDEEM, redeem_body("WELCOME10", &o2, CUSTOMER_ID, 300_000))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNPROCESSABLE_ENTITY,
        "COUPON_NOT_APPLICABLE",
    );
    assert_eq!(body["error"]["details"]["reason"], "LIMIT_PER_USER_REACHED");
    assert_eq!(
        body["error"]["message"],
        "Jatah pemakaian kupon ini untuk akun Anda sudah habis"
    );

    let (status, body) = app
        .post_key(RELEASE, json!({"orderId": o1, "reason": "ORDER_CANCELLED"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["released"], true);
    assert_eq!(body["data"]["orderId"], o1.as_str());
    let released_at = body["data"]["releasedAt"].clone();
    assert!(released_at.is_string());
    assert_eq!(
        app.validate_for(validate).await["valid"],
        true,
        "usable again"
    );

    let (status, body) = app
        .post_key(RELEASE, json!({"orderId": o1, "reason": "ORDER_CANCELLED"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["released"], false);
    assert_eq!(
        body["data"]["releasedAt"], released_at,
        "the earlier release"
    );
    let (_, body) = app
        .post_key(
            RELEASE,
            json!({"orderId": new_id(), "reason": "PAYMENT_EXPIRED"}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"orderId": body["data"]["orderId"], "released": false, "releasedAt": null})
    );

    // The released order cannot redeem again; its record stays for audit.
    let (status, body) = app
        .post_key(REDEEM, redeem_body("WELCOME10", &o1, CUSTOMER_ID, 300_000))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "ORDER_ALREADY_REDEEMED",
    );
    assert_eq!(body["error"]["details"]["reason"], "REDEMPTION_RELEASED");
    let (_, list) = app
        .get_key(&format!("{ADMIN}/coupons/{WELCOME10}/redemptions"))
        .await;
    assert_eq!(list["meta"]["total"], 1);
    assert_eq!(list["data"][0]["releaseReason"], "ORDER_CANCELLED");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn an_order_holds_one_coupon_with_one_set_of_numbers(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let order = new_id();
    let (status, _) = app
        .post_key(REDEEM, redeem_body("FLAT25K", &order, CUSTOMER_ID, 300_000))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .post_key(
            REDEEM,
            redeem_body("WELCOME10", &order, CUSTOMER_ID, 300_000),
        )
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "ORDER_ALREADY_REDEEMED",
    );
    assert_eq!(body["error"]["details"]["reason"], "DIFFERENT_COUPON");
    let (status, body) = app
        .post_key(REDEEM, redeem_body("FLAT25K", &order, CUSTOMER_ID, 375_000))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "ORDER_ALREADY_REDEEMED",
    );
    assert_eq!(body["error"]["details"]["reason"], "DIFFERENT_REQUEST");
    let (status, body) = app
        .post_key(REDEEM, redeem_body("NOPE", &order, CUSTOMER_ID, 300_000))
        .await;
    assert_error(
        status,
        &body,
        StatusCode::CONFLICT,
        "ORDER_ALREADY_REDEEMED",
    );
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_redemptions").await,
        1
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn every_reason_is_a_422_with_its_reason(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let cases = [
        (
            redeem_body("NOPE", &new_id(), CUSTOMER_ID, 300_000),
            "NOT_FOUND",
        ),
        (
            redeem_body("LEBARAN2024", &new_id(), CUSTOMER_ID, 300_000),
            "EXPIRED",
        ),
        (
            redeem_body("PRO50K", &new_id(), CUSTOMER_ID, 300_000),
            "PLAN_NOT_ALLOWED",
        ),
        (
            redeem_body("FLAT25K", &new_id(), CUSTOMER_ID, 99_999),
            "MIN_AMOUNT_NOT_MET",
        ),
    ];
    for (body, reason) in cases {
        let (status, answer) = app.post_key(REDEEM, body.clone()).await;
        assert_error(
            status,
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "COUPON_NOT_APPLICABLE",
        );
        assert_eq!(answer["error"]["details"]["reason"], reason, "{body}");
    }
    let (_, answer) = app
        .post_key(
            REDEEM,
            redeem_body("FLAT25K", &new_id(), CUSTOMER_ID, 50_000),
        )
        .await;
    assert_eq!(
        answer["error"]["message"],
        "Kupon berlaku untuk transaksi minimal Rp 100.000"
    );
    assert_eq!(answer["error"]["details"]["minOrderAmount"], 100_000);
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_redemptions").await,
        0
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn ten_orders_race_for_the_last_use_and_exactly_one_wins(pool: sqlx::PgPool) {
    let app = spawn_for_races(pool, 12).await;
    let coupon = app.coupon("LAST1", json!({"maxTotalRedemptions": 1})).await;
    let requests = (0..10).map(|_| {
        let body = redeem_body("LAST1", &new_id(), &new_id(), 300_000);
        send(
            app.server
                .post(REDEEM, &body)
                .header("x-api-key", platform::testing::TEST_API_KEY),
        )
    });
    let answers = futures::future::join_all(requests).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_error(
            *status,
            body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "COUPON_NOT_APPLICABLE",
        );
        assert_eq!(body["error"]["details"]["reason"], "LIMIT_GLOBAL_REACHED");
        assert_eq!(body["error"]["message"], "Kuota kupon sudah habis");
    }
    let id = coupon["id"].as_str().expect("id");
    let (_, detail) = app.get_key(&format!("{ADMIN}/coupons/{id}")).await;
    assert_eq!(detail["data"]["redemptionCount"], 1);
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_redemptions").await,
        1
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn one_user_racing_several_orders_gets_its_quota_only(pool: sqlx::PgPool) {
    let app = spawn_for_races(pool, 12).await;
    // FLAT25K allows two uses per user.
    let requests = (0..8).map(|_| {
        let body = redeem_body("FLAT25K", &new_id(), CUSTOMER_ID, 300_000);
        send(
            app.server
                .post(REDEEM, &body)
                .header("x-api-key", platform::testing::TEST_API_KEY),
        )
    });
    let answers = futures::future::join_all(requests).await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 2, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|(s, _)| *s != StatusCode::CREATED)
            .all(|(_, b)| b["error"]["details"]["reason"] == "LIMIT_PER_USER_REACHED")
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn concurrent_repeats_of_one_order_record_it_once(pool: sqlx::PgPool) {
    let app = spawn_for_races(pool, 12).await;
    let order = new_id();
    let body = redeem_body("WELCOME10", &order, CUSTOMER_ID, 300_000);
    let requests = (0..6).map(|_| {
        send(
            app.server
                .post(REDEEM, &body)
                .header("x-api-key", platform::testing::TEST_API_KEY),
        )
    });
    let answers = futures::future::join_all(requests).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{answers:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 5);
    let ids: std::collections::HashSet<String> = answers
        .iter()
        .map(|(_, b)| b["data"]["redemptionId"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the same record");

    // Two different coupons racing for one order: one wins, the other is told so.
    let contested = new_id();
    let a = redeem_body("WELCOME10", &contested, ADMIN_ID, 300_000);
    let b = redeem_body("FLAT25K", &contested, ADMIN_ID, 300_000);
    let (ra, rb) = tokio::join!(
        send(
            app.server
                .post(REDEEM, &a)
                .header("x-api-key", platform::testing::TEST_API_KEY)
        ),
        send(
            app.server
                .post(REDEEM, &b)
                .header("x-api-key", platform::testing::TEST_API_KEY)
        ),
    );
    let mut statuses = [ra.0, rb.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{ra:?} {rb:?}"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn service_routes_take_the_api_key_and_nothing_else(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let body = redeem_body("WELCOME10", &new_id(), CUSTOMER_ID, 300_000);
    for path in [REDEEM, RELEASE] {
        let (status, answer) = app.post(path, body.clone()).await;
        assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert_eq!(answer["error"]["details"]["reason"], "API_KEY_MISSING");
        let (status, answer) = send(
            app.server
                .post(path, &body)
                .header("x-api-key", "not-the-key-not-the-key-not-the-key"),
        )
        .await;
        assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
        assert_eq!(answer["error"]["details"]["reason"], "API_KEY_INVALID");
        let (status, answer) = app
            .post_bearer(path, &token(ADMIN_ID, Role::Admin), body.clone())
            .await;
        assert_error(status, &answer, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    }
    let (status, _) = app.get_key(REDEEM).await;
    assert_eq!(
        status,
        StatusCode::METHOD_NOT_ALLOWED,
        "redeem is not a coupon id"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_redemptions").await,
        0
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn malformed_service_bodies_write_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post_key(
            REDEEM,
            json!({"code": "WELCOME10", "orderId": "o-1", "userId": CUSTOMER_ID,
                   "duration": "WEEKLY", "amount": -5, "extra": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec!["orderId", "planId", "duration", "amount", "extra"]
    );
    let (status, body) = app
        .post_key(RELEASE, json!({"orderId": new_id(), "reason": "BECAUSE"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["reason"]);
    let (status, body) = app.post_key(RELEASE, json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["orderId", "reason"]);
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_redemptions").await,
        0
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn every_release_reason_is_accepted(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    for reason in [
        "ORDER_CANCELLED",
        "PAYMENT_EXPIRED",
        "ORDER_NOT_CREATED",
        "PAYMENT_FAILED",
        "ORDER_FAILED",
        "REFUNDED",
        "OTHER",
    ] {
        let order = new_id();
        let user = new_id();
        let (status, _) = app
            .post_key(REDEEM, redeem_body("WELCOME10", &order, &user, 300_000))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, body) = app
            .post_key(RELEASE, json!({"orderId": order, "reason": reason}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["released"], true, "{reason}");
    }
    let (_, list) = app
        .get_key(&format!(
            "{ADMIN}/coupons/{WELCOME10}/redemptions?includeReleased=false"
        ))
        .await;
    assert_eq!(list["meta"]["total"], 0);
    let (_, detail) = app.get_key(&format!("{ADMIN}/coupons/{WELCOME10}")).await;
    assert_eq!(
        detail["data"]["redemptionCount"], 0,
        "released ones do not count"
    );
}
