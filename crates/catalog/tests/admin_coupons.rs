//! Admin routes over coupons (catalog.md §6.4, acceptance checks 12–13): CRUD, restrictions,
//! redemptions, and the rule that a used coupon cannot be deleted.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

async fn redeem(app: &TestApp, code: &str, user: &str, plan: &str) -> (StatusCode, Value) {
    app.post_key(
        REDEEM,
        json!({"code": code, "orderId": Uuid::new_v4().to_string(), "userId": user,
               "planId": plan, "duration": "MONTHLY", "amount": 300_000}),
    )
    .await
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn coupon_lifecycle(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.pin(time("2026-05-01T00:00:00Z"));
    let (status, body) = send(
        app.server
            .post(
                &format!("{ADMIN}/coupons"),
                &json!({"code": " ramadan-26 ", "name": "Ramadan", "discountType": "PERCENT",
                        "discountValue": 25, "maxDiscountAmount": 200_000, "minOrderAmount": 0,
                        "endAt": "2026-06-01T00:00:00+07:00", "planIds": [STANDARD, PRO, PRO],
                        "userIds": [CUSTOMER_ID]}),
            )
            .bearer_auth(admin_token()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let c = body["data"].clone();
    assert_eq!(c["code"], "RAMADAN-26", "trimmed and upper-cased");
    assert_eq!(c["maxRedemptionsPerUser"], 1, "absent = 1 per user");
    assert_eq!(c["maxTotalRedemptions"], json!(null));
    assert_eq!(c["startAt"], "2026-05-01T00:00:00.000Z", "absent = now");
    assert_eq!(c["endAt"], "2026-05-31T17:00:00.000Z");
    assert_eq!(c["planIds"], json!([STANDARD, PRO]));
    assert_eq!(c["userIds"], json!([CUSTOMER_ID]));
    assert_eq!(c["redemptionCount"], 0);
    assert_eq!(c["isActive"], true);
    let id = c["id"].as_str().expect("id").to_string();
    let path = format!("{ADMIN}/coupons/{id}");

    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons"),
            json!({"code": "Ramadan-26", "name": "Lagi", "discountType": "FIXED", "discountValue": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    assert_eq!(body["error"]["details"]["field"], "code");

    let (status, body) = app
        .patch_key(
            &path,
            json!({"maxRedemptionsPerUser": null, "maxTotalRedemptions": 5, "description": "Promo puasa",
                   "minOrderAmount": null, "endAt": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["maxRedemptionsPerUser"],
        json!(null),
        "null = unlimited"
    );
    assert_eq!(body["data"]["maxTotalRedemptions"], 5);
    assert_eq!(body["data"]["minOrderAmount"], json!(null));
    assert_eq!(body["data"]["endAt"], json!(null));
    assert_eq!(body["data"]["description"], "Promo puasa");
    assert_eq!(body["data"]["code"], "RAMADAN-26");

    let (status, body) = app
        .patch_key(
            &path,
            json!({"code": "OTHER", "planIds": [], "userIds": []}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["code", "planIds", "userIds"]);
    let (status, body) = app.patch_key(&path, json!({"discountValue": 101})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["discountValue"]);
    let (status, body) = app
        .patch_key(&path, json!({"endAt": "2026-04-01T00:00:00Z"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["endAt"]);

    let (_, list) = app.get_key(&format!("{ADMIN}/coupons")).await;
    assert_eq!(list["meta"]["total"], 5);
    assert_eq!(list["data"][0]["id"], id.as_str(), "newest first");
    let (_, list) = app
        .get_key(&format!("{ADMIN}/coupons?search=ramadan"))
        .await;
    assert_eq!(list["meta"]["total"], 1);
    let (_, list) = app
        .get_key(&format!("{ADMIN}/coupons?search=lebaran&isActive=true"))
        .await;
    assert_eq!(list["data"][0]["code"], "LEBARAN2024");

    let (status, body) = app.delete_key(&path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "an unused coupon can be deleted: {body}"
    );
    assert_eq!(body["data"], json!({"id": id, "deleted": true}));
    let (status, body) = app.get_key(&path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "COUPON_NOT_FOUND");
    assert_eq!(body["error"]["message"], "Data kupon tidak ditemukan");
    assert_eq!(
        app.count("SELECT count(*) FROM coupon_plans").await,
        1,
        "its restrictions went with it (PRO50K keeps its own)"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn a_used_coupon_cannot_be_deleted_only_deactivated(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, _) = redeem(&app, "FLAT25K", CUSTOMER_ID, STANDARD).await;
    assert_eq!(status, StatusCode::CREATED);
    let path = format!("{ADMIN}/coupons/{FLAT25K}");
    let (status, body) = app.delete_key(&path).await;
    assert_error(status, &body, StatusCode::CONFLICT, "COUPON_IN_USE");
    assert_eq!(
        body["error"]["message"],
        "Kupon sudah pernah digunakan, nonaktifkan saja"
    );
    // Released redemptions still count as "used": they are the audit trail.
    let (_, list) = app
        .get_key(&format!("{ADMIN}/coupons/{FLAT25K}/redemptions"))
        .await;
    let order = list["data"][0]["orderId"].clone();
    app.post_key(RELEASE, json!({"orderId": order, "reason": "OTHER"}))
        .await;
    let (status, _) = app.delete_key(&path).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body) = app.patch_key(&path, json!({"isActive": false})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["isActive"], false);
    let (status, body) = app.delete_key(&format!("{ADMIN}/coupons/{MISSING}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "COUPON_NOT_FOUND");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn lowering_a_limit_below_usage_exhausts_the_coupon(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    for user in [CUSTOMER_ID, ADMIN_ID] {
        let (status, _) = redeem(&app, "WELCOME10", user, STANDARD).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/coupons/{WELCOME10}"),
            json!({"maxTotalRedemptions": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["redemptionCount"], 2);
    let data = app
        .validate_for(
            json!({"code": "WELCOME10", "userId": Uuid::new_v4().to_string(), "amount": 300_000}),
        )
        .await;
    assert_eq!(data["reason"], "LIMIT_GLOBAL_REACHED");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn plan_and_user_restrictions(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let c = app.coupon("GATED", json!({})).await;
    let id = c["id"].as_str().expect("id").to_string();
    let plans = format!("{ADMIN}/coupons/{id}/plans");
    let users = format!("{ADMIN}/coupons/{id}/users");

    let (status, body) = app.post_key(&plans, json!({"planId": NANO})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["planIds"], json!([NANO]));
    let (status, body) = app.post_key(&plans, json!({"planId": NANO})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    let (status, body) = app.post_key(&plans, json!({"planId": MISSING})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let data = app
        .validate_for(json!({"code": "GATED", "planId": BASIC, "amount": 100_000}))
        .await;
    assert_eq!(data["reason"], "PLAN_NOT_ALLOWED");

    let (status, body) = app.post_key(&users, json!({"userId": CUSTOMER_ID})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["data"]["userIds"], json!([CUSTOMER_ID]));
    let (status, body) = app.post_key(&users, json!({"userId": CUSTOMER_ID})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    let (status, body) = app.post_key(&users, json!({"userId": "customer"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let data = app
        .validate_for(
            json!({"code": "GATED", "planId": NANO, "userId": ADMIN_ID, "amount": 100_000}),
        )
        .await;
    assert_eq!(data["reason"], "USER_NOT_ALLOWED");
    let data = app
        .validate_for(
            json!({"code": "GATED", "planId": NANO, "userId": CUSTOMER_ID, "amount": 100_000}),
        )
        .await;
    assert_eq!(data["valid"], true);

    let (status, body) = app.delete_key(&format!("{plans}/{NANO}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["planIds"], json!([]));
    let (status, body) = app.delete_key(&format!("{plans}/{NANO}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "MAPPING_NOT_FOUND");
    let (status, body) = app.delete_key(&format!("{users}/{CUSTOMER_ID}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["userIds"], json!([]));
    let (status, body) = app.delete_key(&format!("{users}/{CUSTOMER_ID}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "MAPPING_NOT_FOUND");
    let (status, body) = app
        .delete_key(&format!("{ADMIN}/coupons/{MISSING}/users/{CUSTOMER_ID}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "COUPON_NOT_FOUND");
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons/{MISSING}/plans"),
            json!({"planId": NANO}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "COUPON_NOT_FOUND");
    let (status, body) = app.delete_key(&format!("{plans}/not-a-plan")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["planId"]);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn redemptions_are_listed_newest_first_with_filters(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, first) = redeem(&app, "FLAT25K", CUSTOMER_ID, STANDARD).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = redeem(&app, "FLAT25K", ADMIN_ID, PRO).await;
    assert_eq!(status, StatusCode::CREATED);
    app.post_key(
        RELEASE,
        json!({"orderId": first["data"]["orderId"], "reason": "PAYMENT_EXPIRED"}),
    )
    .await;
    let base = format!("{ADMIN}/coupons/{FLAT25K}/redemptions");
    let (status, list) = app.get_key(&base).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["meta"]["total"], 2);
    assert_eq!(list["data"][0]["userId"], ADMIN_ID, "newest first");
    let r = &list["data"][1];
    for field in [
        "id",
        "couponId",
        "userId",
        "orderId",
        "planId",
        "duration",
        "amount",
        "discountAmount",
        "finalPrice",
        "redeemedAt",
        "releasedAt",
        "releaseReason",
    ] {
        assert!(r.get(field).is_some(), "{field} missing: {r}");
    }
    assert_eq!(r["releaseReason"], "PAYMENT_EXPIRED");
    assert_eq!(r["discountAmount"], 25_000);
    let (_, list) = app.get_key(&format!("{base}?includeReleased=false")).await;
    assert_eq!(list["meta"]["total"], 1);
    let (_, list) = app.get_key(&format!("{base}?userId={CUSTOMER_ID}")).await;
    assert_eq!(list["meta"]["total"], 1);
    let (status, body) = app
        .get_key(&format!("{base}?includeReleased=maybe&userId=x"))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["userId", "includeReleased"]);
    let (status, body) = app
        .get_key(&format!("{ADMIN}/coupons/{MISSING}/redemptions"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "COUPON_NOT_FOUND");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn coupon_validation_lists_every_problem(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons"),
            json!({"code": "a b", "name": "", "discountType": "PERCENT", "discountValue": 150,
                   "minOrderAmount": -1, "maxDiscountAmount": 0, "maxTotalRedemptions": 0,
                   "maxRedemptionsPerUser": 0, "startAt": "2026-01-01T00:00:00Z",
                   "endAt": "2025-01-01T00:00:00Z", "planIds": ["x"], "userIds": [1], "usedCount": 0}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec![
            "code",
            "name",
            "minOrderAmount",
            "maxDiscountAmount",
            "maxTotalRedemptions",
            "maxRedemptionsPerUser",
            "planIds[0]",
            "userIds[0]",
            "discountValue",
            "endAt",
            "usedCount"
        ]
    );
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons"),
            json!({"code": "PCT150", "name": "x", "discountType": "PERCENT", "discountValue": 150,
                   "startAt": "2026-01-01T00:00:00Z", "endAt": "2025-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["discountValue", "endAt"]);
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons"),
            json!({"code": "PAST", "name": "x", "discountType": "FIXED", "discountValue": 1,
                   "endAt": "2020-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec!["endAt"],
        "judged against now without startAt"
    );
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons"),
            json!({"code": "NOPLAN", "name": "x", "discountType": "FIXED", "discountValue": 1,
                   "planIds": [NANO, MISSING]}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    assert_eq!(body["error"]["details"]["planIds"], json!([MISSING]));
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/coupons"),
            json!({"code": "X".repeat(33), "name": "x", "discountType": "FIXED", "discountValue": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(app.snapshot().await, before);
}
