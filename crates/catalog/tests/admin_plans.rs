//! Admin routes over plans, pricings, promos and plan images (catalog.md §6.2, acceptance checks
//! 12 and 14), and the admin-or-key rule with the catalog's 403 (§2, platform.md §3.4).

mod common;

use common::*;
use platform::auth::Role;
use platform::testing::{TEST_API_KEY, claims, signer, token};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn mega() -> Value {
    json!({"name": "mega", "displayName": "VPS Mega", "cpu": 8, "memoryMb": 16384, "diskGb": 320,
           "bandwidthTb": 6, "providerSizeSlug": "s-8vcpu-16gb", "sortOrder": 5, "tags": ["business"],
           "pricings": [{"duration": "MONTHLY", "price": 1_900_000, "cost": 1_565_000},
                        {"duration": "ANNUAL", "price": 19_380_000, "cost": 18_780_000}]})
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn the_admin_or_key_rule(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let path = format!("{ADMIN}/plans");
    let (status, body) = app.get(&path).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    let (status, body) = send(app.server.get(&path).bearer_auth(customer_token())).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert_eq!(body["error"]["message"], "Akses ditolak");
    let (status, _) = app.get_key(&path).await;
    assert_eq!(status, StatusCode::OK, "the key alone");
    let (status, _) = send(app.server.get(&path).bearer_auth(admin_token())).await;
    assert_eq!(status, StatusCode::OK, "an admin token alone");
    let (status, _) = send(
        app.server
            .get(&path)
            .bearer_auth(token(ADMIN_ID, Role::SuperAdmin)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a super_admin token");
    let (status, body) = send(
        app.server
            .get(&path)
            .bearer_auth(customer_token())
            .header("x-api-key", TEST_API_KEY),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    let (status, body) = send(
        app.server
            .get(&path)
            .bearer_auth(admin_token())
            .header("x-api-key", "wrong-wrong-wrong-wrong-wrong-wrong"),
    )
    .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_INVALID");

    let mut pending = claims(ADMIN_ID, Role::Admin);
    pending.status = Some("PENDING_VERIFICATION".into());
    let pending = signer().sign(&pending).expect("sign");
    let (status, body) = send(app.server.get(&path).bearer_auth(pending)).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "FORBIDDEN");
    assert_eq!(body["error"]["message"], "Akses ditolak");
    let mut no_status = claims(ADMIN_ID, Role::Admin);
    no_status.status = None;
    let no_status = signer().sign(&no_status).expect("sign");
    let (status, _) = send(app.server.get(&path).bearer_auth(no_status)).await;
    assert_eq!(status, StatusCode::OK, "a token without status is accepted");
    let mut expired = claims(ADMIN_ID, Role::Admin);
    expired.iat -= 3600;
    expired.exp -= 3600;
    let expired = signer().sign(&expired).expect("sign");
    let (status, body) = send(app.server.get(&path).bearer_auth(expired)).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "UNAUTHORIZED");
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_EXPIRED");

    let before = app.snapshot().await;
    let (status, _) = send(
        app.server
            .post(&path, &mega())
            .bearer_auth(customer_token()),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.post(&path, mega()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.snapshot().await, before, "refused writes write nothing");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn an_admin_creates_a_plan_that_customers_then_see(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let response = app
        .server
        .post(&format!("{ADMIN}/plans"), &mega())
        .bearer_auth(admin_token())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let body: Value = response.json().await.expect("json");
    let plan = &body["data"];
    let id = plan["id"].as_str().expect("id");
    assert_eq!(location, format!("{ADMIN}/plans/{id}"));
    assert_eq!(plan["provider"], "digitalocean");
    assert_eq!(plan["isActive"], true);
    assert_eq!(plan["bandwidthTb"], 6);
    assert_eq!(plan["imageIds"], json!([]));
    assert_eq!(pricing(plan, "MONTHLY")["cost"], 1_565_000);
    assert_eq!(pricing(plan, "ANNUAL")["pricePerMonth"], 1_615_000);
    assert!(plan["createdAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert!(pricing(plan, "MONTHLY")["updatedAt"].is_string());

    let (_, list) = app.get("/api/v1/catalog/plans").await;
    assert_eq!(list["meta"]["total"], 5);
    assert_eq!(list["data"][4]["name"], "mega", "sortOrder 5 comes last");
    assert!(!list.to_string().contains("cost"));

    let (status, detail) = app.get_key(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["data"]["name"], "mega");

    let (status, body) = app.post_key(&format!("{ADMIN}/plans"), mega()).await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    assert_eq!(body["error"]["details"]["field"], "name");
    let (status, _) = app.delete_key(&location).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.post_key(&format!("{ADMIN}/plans"), mega()).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a deleted plan's name is free: {body}"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn nested_creation_is_atomic(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let mut body = mega();
    body["imageIds"] = json!([UBUNTU_22, MISSING]);
    body["promos"] = json!([{"name": "Diskon Mega", "discountType": "PERCENT", "discountValue": 10,
                             "startAt": "2025-01-01T00:00:00Z", "endAt": "2099-01-01T00:00:00Z"}]);
    let before = app.snapshot().await;
    let (status, answer) = app.post_key(&format!("{ADMIN}/plans"), body.clone()).await;
    assert_error(status, &answer, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND");
    assert_eq!(answer["error"]["details"]["imageIds"], json!([MISSING]));
    assert_eq!(app.snapshot().await, before, "nothing of the plan remains");

    body["imageIds"] = json!([UBUNTU_22, ROCKY, UBUNTU_22]);
    let (status, answer) = app.post_key(&format!("{ADMIN}/plans"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let plan = &answer["data"];
    assert_eq!(plan["imageIds"], json!([UBUNTU_22, ROCKY]), "de-duplicated");
    assert_eq!(plan["promos"][0]["state"], "RUNNING");
    assert_eq!(pricing(plan, "MONTHLY")["promoDiscount"], 190_000);
    let id = plan["id"].as_str().expect("id");
    let (_, images) = app
        .get(&format!("/api/v1/catalog/images?planId={id}"))
        .await;
    assert_eq!(images["meta"]["total"], 2);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn create_validation_lists_every_problem(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/plans"),
            json!({"name": "Mega!", "displayName": "", "cpu": 65, "memoryMb": 128, "diskGb": 5,
                   "bandwidthTb": 1.234, "provider": "aws", "providerSizeSlug": "S_8",
                   "tags": ["ok", "Not OK"], "description": "x".repeat(2001),
                   "pricings": [{"duration": "MONTHLY", "price": 0},
                                {"duration": "MONTHLY", "price": 10, "cost": -1, "discount": 1}],
                   "promos": [{"name": "p", "discountType": "PERCENT", "discountValue": 150,
                               "startAt": "2025-02-01T00:00:00Z", "endAt": "2025-01-01T00:00:00Z"}],
                   "imageIds": ["nope"], "color": "red"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let fields = error_fields(&body);
    for expected in [
        "name",
        "displayName",
        "description",
        "cpu",
        "memoryMb",
        "diskGb",
        "bandwidthTb",
        "provider",
        "providerSizeSlug",
        "tags[1]",
        "pricings[0].price",
        "pricings[1].cost",
        "pricings[1].discount",
        "promos[0].discountValue",
        "promos[0].endAt",
        "imageIds[0]",
        "color",
    ] {
        assert!(
            fields.contains(&expected.to_string()),
            "{expected} missing in {fields:?}"
        );
    }
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/plans"),
            json!({"name": "dup", "displayName": "Dup", "cpu": 1, "memoryMb": 512, "diskGb": 10,
                   "bandwidthTb": 1, "providerSizeSlug": "s-1",
                   "pricings": [{"duration": "ANNUAL", "price": 10}, {"duration": "ANNUAL", "price": 20}]}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["pricings[1].duration"]);
    let (status, body) = app.post_key(&format!("{ADMIN}/plans"), json!({})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec![
            "name",
            "displayName",
            "cpu",
            "memoryMb",
            "diskGb",
            "bandwidthTb",
            "providerSizeSlug"
        ]
    );
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn patching_a_plan(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let path = format!("{ADMIN}/plans/{NANO}");
    let (status, body) = app
        .patch_key(
            &path,
            json!({"displayName": "  VPS Nano Baru ", "description": null, "tags": ["starter", "murah", "murah"],
                   "bandwidthTb": 0.75, "sortOrder": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let plan = &body["data"];
    assert_eq!(plan["displayName"], "VPS Nano Baru");
    assert_eq!(plan["description"], json!(null));
    assert_eq!(plan["tags"], json!(["starter", "murah"]));
    assert_eq!(plan["bandwidthTb"], json!(0.75));
    assert_eq!(plan["sortOrder"], 1, "null leaves a required column alone");
    assert_eq!(plan["imageIds"].as_array().map(Vec::len), Some(3));

    let (status, body) = app.patch_key(&path, json!({"name": "basic"})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    let before = app.snapshot().await;
    let (status, body) = app
        .patch_key(
            &path,
            json!({"pricings": [], "imageIds": [], "cpu": 0, "displayName": " ", "id": NANO}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec!["displayName", "cpu", "pricings", "imageIds", "id"]
    );
    assert_eq!(app.snapshot().await, before);
    let (status, body) = app.patch_key(&path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        app.snapshot().await,
        before,
        "an empty PATCH changes nothing, not even updatedAt"
    );
    let (status, body) = app
        .patch_key(&format!("{ADMIN}/plans/{MISSING}"), json!({"cpu": 2}))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, body) = app.delete_key(&format!("{ADMIN}/plans/{MISSING}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn admin_lists_filter_search_and_show_inactive_plans(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    app.patch_key(&format!("{ADMIN}/plans/{PRO}"), json!({"isActive": false}))
        .await;
    let (_, body) = app.get_key(&format!("{ADMIN}/plans")).await;
    assert_eq!(body["meta"]["total"], 4);
    let (_, body) = app.get_key(&format!("{ADMIN}/plans?isActive=false")).await;
    assert_eq!(body["meta"]["total"], 1);
    assert_eq!(body["data"][0]["id"], PRO);
    let (_, body) = app.get_key(&format!("{ADMIN}/plans?search=STAND")).await;
    assert_eq!(body["meta"]["total"], 1);
    let (_, body) = app.get_key(&format!("{ADMIN}/plans?search=vps%20n")).await;
    assert_eq!(
        body["data"][0]["name"], "nano",
        "display names are searched too"
    );
    let (_, body) = app.get_key(&format!("{ADMIN}/plans?search=%25")).await;
    assert_eq!(body["meta"]["total"], 0, "wildcards are literal");
    let (_, body) = app.get_key(&format!("{ADMIN}/plans/{PRO}")).await;
    let plan = &body["data"];
    assert_eq!(plan["promos"][0]["state"], "ENDED");
    assert_eq!(plan["promos"][0]["isActive"], true);
    assert_eq!(pricing(plan, "MONTHLY")["cost"], 782_400);
    let (status, body) = app.get_key(&format!("{ADMIN}/plans?isActive=yes")).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn pricings_of_a_plan(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let base = format!("{ADMIN}/plans/{NANO}/pricings");
    let (status, body) = app
        .post_key(&base, json!({"duration": "MONTHLY", "price": 90_000}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    let (status, body) = app
        .post_key(
            &base,
            json!({"duration": "QUARTERLY", "price": 240_000, "cost": 195_600}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let created = body["data"].clone();
    assert_eq!(created["pricePerMonth"], 80_000);
    assert_eq!(created["cost"], 195_600);
    assert_eq!(created["planId"], NANO);
    let id = created["id"].as_str().expect("id");
    let (_, plan) = app.get(&format!("/api/v1/catalog/plans/{NANO}")).await;
    assert_eq!(pricing(&plan["data"], "QUARTERLY")["price"], 240_000);

    let item = format!("{base}/{id}");
    let (status, body) = app
        .patch_key(&item, json!({"price": 255_000, "isActive": false}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["price"], 255_000);
    let (_, plan) = app.get(&format!("/api/v1/catalog/plans/{NANO}")).await;
    assert_eq!(
        pricing(&plan["data"], "QUARTERLY"),
        &Value::Null,
        "inactive pricings are hidden"
    );
    let (status, body) = app
        .patch_key(&item, json!({"duration": "ANNUAL", "price": -1}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["price", "duration"]);

    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/plans/{BASIC}/pricings/{id}"),
            json!({"price": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PRICING_NOT_FOUND");
    let (status, body) = app
        .delete_key(&format!("{ADMIN}/plans/{BASIC}/pricings/{id}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PRICING_NOT_FOUND");
    let (status, body) = app.delete_key(&item).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"id": id, "deleted": true}));
    let (status, _) = app.delete_key(&item).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/plans/{MISSING}/pricings"),
            json!({"duration": "MONTHLY", "price": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, body) = app
        .patch_key(&format!("{ADMIN}/plans/{NANO}/pricings/nope"), json!({}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["pricingId"]);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn promo_durations_and_the_largest_discount_win(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let base = format!("{ADMIN}/plans/{BASIC}/promos");
    let (status, body) = app
        .post_key(
            &base,
            json!({"name": "Tahunan Hemat", "discountType": "PERCENT", "discountValue": 10,
                   "durations": ["ANNUAL"], "startAt": "2025-01-01T00:00:00Z",
                   "endAt": "2099-01-01T00:00:00+07:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"]["state"], "RUNNING");
    assert_eq!(
        body["data"]["endAt"], "2098-12-31T17:00:00.000Z",
        "normalised to UTC"
    );
    let (_, plan) = app.get(&format!("/api/v1/catalog/plans/{BASIC}")).await;
    assert_eq!(pricing(&plan["data"], "ANNUAL")["promoDiscount"], 127_500);
    for d in ["MONTHLY", "QUARTERLY", "SEMI_ANNUAL"] {
        assert_eq!(pricing(&plan["data"], d)["promoDiscount"], 0, "{d}");
    }

    let (status, body) = app
        .post_key(
            &base,
            json!({"name": "Potongan Semua", "discountType": "FIXED", "discountValue": 50_000,
                   "startAt": "2025-01-01T00:00:00Z", "endAt": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, plan) = app.get(&format!("/api/v1/catalog/plans/{BASIC}")).await;
    let annual = pricing(&plan["data"], "ANNUAL");
    assert_eq!(
        annual["promoDiscount"], 127_500,
        "10 % beats 50.000 on 1.275.000"
    );
    assert_eq!(annual["activePromo"]["name"], "Tahunan Hemat");
    let monthly = pricing(&plan["data"], "MONTHLY");
    assert_eq!(monthly["promoDiscount"], 50_000);
    assert_eq!(monthly["finalPrice"], 75_000);
    assert_eq!(monthly["activePromo"]["name"], "Potongan Semua");
    assert_eq!(plan["data"]["promos"].as_array().map(Vec::len), Some(2));
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn promo_rules_and_merged_patches(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let base = format!("{ADMIN}/plans/{STANDARD}/promos");
    let before = app.snapshot().await;
    let (status, body) = app
        .post_key(
            &base,
            json!({"name": "Salah", "discountType": "PERCENT", "discountValue": 150,
                   "startAt": "2025-02-01T00:00:00Z", "endAt": "2025-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["discountValue", "endAt"]);
    let (status, body) = app
        .post_key(
            &base,
            json!({"name": "x", "discountType": "FIXED", "discountValue": 1, "durations": ["MONTHLY", "MONTHLY"],
                   "startAt": "yesterday", "endAt": "2025-01-01T00:00:00Z", "maxDiscountAmount": 0}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec!["maxDiscountAmount", "durations[1]", "startAt"]
    );
    assert_eq!(app.snapshot().await, before);

    let item = format!("{base}/{LAUNCH_PROMO}");
    let (status, body) = app
        .patch_key(&item, json!({"endAt": "2024-12-31T00:00:00Z"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec!["endAt"],
        "judged against the stored startAt"
    );
    let (status, body) = app
        .patch_key(
            &item,
            json!({"discountType": "FIXED", "discountValue": 150}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app
        .patch_key(&item, json!({"discountType": "PERCENT"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["discountValue"]);
    let (status, body) = app
        .patch_key(
            &item,
            json!({"discountType": "PERCENT", "discountValue": 50, "maxDiscountAmount": 100_000,
                   "durations": null}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["durations"], json!([]));
    let (_, plan) = app.get(&format!("/api/v1/catalog/plans/{STANDARD}")).await;
    assert_eq!(
        pricing(&plan["data"], "MONTHLY")["promoDiscount"],
        100_000,
        "capped"
    );
    assert_eq!(
        pricing(&plan["data"], "ANNUAL")["promoDiscount"],
        100_000,
        "all durations now"
    );

    let (status, body) = app.patch_key(&item, json!({"isActive": false})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["state"], "DISABLED");
    let (status, body) = app
        .patch_key(&item, json!({"isActive": true, "startAt": "2098-01-01T00:00:00Z", "endAt": "2099-01-01T00:00:00Z"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["state"], "SCHEDULED");

    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/plans/{PRO}/promos/{LAUNCH_PROMO}"),
            json!({"name": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PROMO_NOT_FOUND");
    let (status, body) = app.delete_key(&item).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"id": LAUNCH_PROMO, "deleted": true}));
    let (status, body) = app.delete_key(&item).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PROMO_NOT_FOUND");
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/plans/{MISSING}/promos"),
            json!({"name": "x", "discountType": "FIXED", "discountValue": 1,
                   "startAt": "2025-01-01T00:00:00Z", "endAt": "2026-01-01T00:00:00Z"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn plan_image_allow_list(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let base = format!("{ADMIN}/plans/{BASIC}/images");
    let (status, body) = app.post_key(&base, json!({"imageId": UBUNTU_22})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["data"], json!({"planId": BASIC, "imageId": UBUNTU_22}));
    let (_, images) = app
        .get(&format!("/api/v1/catalog/images?planId={BASIC}"))
        .await;
    assert_eq!(images["meta"]["total"], 1, "the list now restricts basic");
    let (_, docker) = app
        .get(&format!("/api/v1/catalog/images/{DOCKER}?planId={BASIC}"))
        .await;
    assert_eq!(docker["data"]["compatibleWithPlan"], false);

    let (status, body) = app.post_key(&base, json!({"imageId": UBUNTU_22})).await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    let (status, body) = app.post_key(&base, json!({"imageId": MISSING})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND");
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/plans/{MISSING}/images"),
            json!({"imageId": UBUNTU_22}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");

    let (status, body) = app.delete_key(&format!("{base}/{UBUNTU_22}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.delete_key(&format!("{base}/{UBUNTU_22}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "MAPPING_NOT_FOUND");
    assert_eq!(
        body["error"]["message"],
        "Relasi paket dan image tidak ditemukan"
    );
    let (_, images) = app
        .get(&format!("/api/v1/catalog/images?planId={BASIC}"))
        .await;
    assert_eq!(
        images["meta"]["total"], 5,
        "an empty list allows every image again"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn child_routes_of_a_deleted_plan_are_not_found(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, plan) = app.get_key(&format!("{ADMIN}/plans/{STANDARD}")).await;
    let pricing_id = pricing(&plan["data"], "MONTHLY")["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.delete_key(&format!("{ADMIN}/plans/{STANDARD}")).await;
    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/plans/{STANDARD}/pricings/{pricing_id}"),
            json!({"price": 1}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/plans/{STANDARD}/images"),
            json!({"imageId": UBUNTU_22}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/plans/{STANDARD}/promos/{LAUNCH_PROMO}"),
            json!({"name": "x"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
}
