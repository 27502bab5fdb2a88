//! Public reads: plans, pricing with promos, images and their plan compatibility (catalog.md
//! §6.1, acceptance checks 1–5).

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn plans_are_listed_in_sort_order_without_costs(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app.get("/api/v1/catalog/plans").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["data"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, vec!["nano", "basic", "standard", "pro"]);
    assert_eq!(
        body["meta"],
        json!({"page": 1, "limit": 10, "total": 4, "totalPages": 1})
    );
    let text = body.to_string();
    assert!(!text.contains("cost"), "no cost on public routes: {text}");
    assert!(!text.contains("createdAt"), "{text}");
    let nano = &body["data"][0];
    assert_eq!(nano["bandwidthTb"], json!(0.5));
    assert_eq!(nano["providerSizeSlug"], "s-1vcpu-512mb-10gb");
    assert_eq!(nano["tags"], json!(["starter"]));
    assert_eq!(body["data"][2]["bandwidthTb"], json!(3));
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn list_filters_and_pagination(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, body) = app.get("/api/v1/catalog/plans?tag=starter").await;
    assert_eq!(body["meta"]["total"], 2, "{body}");
    let (_, body) = app.get("/api/v1/catalog/plans?duration=QUARTERLY").await;
    assert_eq!(body["meta"]["total"], 3, "nano has no QUARTERLY: {body}");
    let (_, body) = app.get("/api/v1/catalog/plans?page=2&limit=3").await;
    assert_eq!(body["data"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["data"][0]["name"], "pro");
    assert_eq!(body["meta"]["totalPages"], 2);
    let (status, body) = app.get("/api/v1/catalog/plans?page=9&limit=3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!([]));
    assert_eq!(
        body["meta"]["total"], 4,
        "a page past the end keeps the total"
    );
    let (status, body) = app.get("/api/v1/catalog/plans?limit=101").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .get("/api/v1/catalog/plans?duration=WEEKLY&sort=x")
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["duration", "sort"]);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn standard_detail_applies_the_launch_promo_to_monthly_only(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let response = app
        .server
        .get(&format!("/api/v1/catalog/plans/{STANDARD}"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.expect("json");
    let plan = &body["data"];
    let monthly = pricing(plan, "MONTHLY");
    assert_eq!(monthly["price"], 375_000);
    assert_eq!(monthly["promoDiscount"], 75_000);
    assert_eq!(monthly["finalPrice"], 300_000);
    assert_eq!(monthly["pricePerMonth"], 300_000);
    assert_eq!(monthly["months"], 1);
    assert_eq!(monthly["currency"], "IDR");
    assert_eq!(monthly["activePromo"]["name"], "Promo Peluncuran");
    assert_eq!(monthly["activePromo"]["id"], LAUNCH_PROMO);
    assert_eq!(monthly["activePromo"]["endAt"], "2030-12-31T16:59:59.000Z");
    assert_eq!(monthly["activePromo"]["maxDiscountAmount"], json!(null));
    let annual = pricing(plan, "ANNUAL");
    assert_eq!(annual["promoDiscount"], 0);
    assert_eq!(annual["finalPrice"], 3_825_000);
    assert_eq!(annual["pricePerMonth"], 318_750);
    assert_eq!(annual["activePromo"], json!(null));
    let durations: Vec<&str> = plan["pricings"]
        .as_array()
        .expect("pricings")
        .iter()
        .filter_map(|p| p["duration"].as_str())
        .collect();
    assert_eq!(
        durations,
        vec!["MONTHLY", "QUARTERLY", "SEMI_ANNUAL", "ANNUAL"]
    );
    assert_eq!(plan["promos"][0]["durations"], json!(["MONTHLY"]));
    assert_eq!(plan["promos"][0]["startAt"], "2025-01-01T00:00:00.000Z");
    assert!(!body.to_string().contains("cost"));
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn pro_shows_no_ended_promo_and_nano_has_two_pricings(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, body) = app.get(&format!("/api/v1/catalog/plans/{PRO}")).await;
    assert_eq!(body["data"]["promos"], json!([]));
    for p in body["data"]["pricings"].as_array().expect("pricings") {
        assert_eq!(p["promoDiscount"], 0, "{p}");
    }
    let (_, body) = app.get(&format!("/api/v1/catalog/plans/{NANO}")).await;
    let durations: Vec<&str> = body["data"]["pricings"]
        .as_array()
        .expect("pricings")
        .iter()
        .filter_map(|p| p["duration"].as_str())
        .collect();
    assert_eq!(durations, vec!["MONTHLY", "ANNUAL"]);
    assert_eq!(pricing(&body["data"], "ANNUAL")["pricePerMonth"], 72_250);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn unknown_and_malformed_plan_ids(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app.get(&format!("/api/v1/catalog/plans/{MISSING}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    assert_eq!(body["error"]["message"], "Paket VPS tidak ditemukan");
    let (status, body) = app.get("/api/v1/catalog/plans/not-a-uuid").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(error_fields(&body), vec!["id"]);
    let (status, body) = app
        .get(&format!(
            "/api/v1/catalog/plans/{}",
            STANDARD.to_uppercase()
        ))
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "ids are accepted case-insensitively"
    );
    assert_eq!(body["data"]["id"], STANDARD, "and emitted in lower case");
    let (status, body) = app
        .get(&format!("/api/v1/catalog/plans/{STANDARD}?x=1"))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn a_deactivated_plan_leaves_the_list_but_keeps_its_detail_until_deleted(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/plans/{BASIC}"),
            json!({"isActive": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = app.get("/api/v1/catalog/plans").await;
    assert_eq!(list["meta"]["total"], 3);
    assert!(!list.to_string().contains(BASIC));
    let (status, detail) = app.get(&format!("/api/v1/catalog/plans/{BASIC}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["data"]["isActive"], false);

    let (status, body) = app.delete_key(&format!("{ADMIN}/plans/{BASIC}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"], json!({"id": BASIC, "deleted": true}));
    let (status, body) = app.get(&format!("/api/v1/catalog/plans/{BASIC}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, _) = app.get_key(&format!("{ADMIN}/plans/{BASIC}")).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "deleted rows vanish from admin too"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM vps_plans WHERE id = '{BASIC}' AND deleted_at IS NOT NULL"
        ))
        .await,
        1,
        "soft delete keeps the row"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn images_follow_each_plans_allow_list(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app.get("/api/v1/catalog/images").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["meta"]["total"], 5);
    assert_eq!(body["data"][0]["providerSlug"], "ubuntu-22-04-x64");
    assert_eq!(body["data"][0]["description"], "Ubuntu 22.04 (Jammy) x64");
    let (_, body) = app
        .get(&format!("/api/v1/catalog/images?planId={NANO}"))
        .await;
    assert_eq!(body["meta"]["total"], 3, "{body}");
    let (_, body) = app
        .get(&format!(
            "/api/v1/catalog/images?planId={BASIC}&category=APP"
        ))
        .await;
    assert_eq!(body["meta"]["total"], 1);
    assert_eq!(body["data"][0]["id"], DOCKER);
    let (status, body) = app
        .get(&format!("/api/v1/catalog/images?planId={MISSING}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, body) = app.get("/api/v1/catalog/images?category=os").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");

    let (status, body) = app
        .get(&format!("/api/v1/catalog/images/{DOCKER}?planId={NANO}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["compatibleWithPlan"], false);
    assert_eq!(body["data"]["providerSlug"], "docker-20-04");
    assert_eq!(body["data"]["category"], "APP");
    assert_eq!(body["data"]["version"], json!(null));
    assert_eq!(
        body["data"]["compatiblePlanIds"],
        json!([BASIC, STANDARD, PRO])
    );
    let (_, body) = app
        .get(&format!("/api/v1/catalog/images/{DOCKER}?planId={BASIC}"))
        .await;
    assert_eq!(body["data"]["compatibleWithPlan"], true);
    let (_, body) = app
        .get(&format!("/api/v1/catalog/images/{UBUNTU_22}"))
        .await;
    assert_eq!(body["data"]["compatibleWithPlan"], json!(null));
    assert_eq!(
        body["data"]["compatiblePlanIds"],
        json!([NANO, BASIC, STANDARD, PRO])
    );
    let (status, body) = app.get(&format!("/api/v1/catalog/images/{MISSING}")).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND");
    assert_eq!(
        body["error"]["message"],
        "Image sistem operasi tidak ditemukan"
    );
    let (status, body) = app
        .get(&format!("/api/v1/catalog/images/{DOCKER}?planId={MISSING}"))
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "PLAN_NOT_FOUND");
    let (status, body) = app.get("/api/v1/catalog/images/123").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn inactive_images_keep_their_detail_but_leave_the_list(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, _) = app
        .patch_key(
            &format!("{ADMIN}/images/{ROCKY}"),
            json!({"isActive": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app.get("/api/v1/catalog/images").await;
    assert_eq!(body["meta"]["total"], 4);
    let (status, body) = app
        .get(&format!("/api/v1/catalog/images/{ROCKY}?planId={BASIC}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["isActive"], false);
    assert_eq!(
        body["data"]["compatibleWithPlan"], true,
        "compatibility ignores isActive"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn pricings_follow_the_clock_at_the_promo_window_edges(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let path = format!("/api/v1/catalog/plans/{STANDARD}");
    let monthly_discount =
        |body: &serde_json::Value| pricing(&body["data"], "MONTHLY")["promoDiscount"].clone();

    app.pin(time("2024-12-31T23:59:59.999Z"));
    let (_, body) = app.get(&path).await;
    assert_eq!(
        monthly_discount(&body),
        0,
        "one millisecond before the start"
    );
    assert_eq!(body["data"]["promos"], json!([]));

    app.pin(time("2025-01-01T00:00:00Z"));
    let (_, body) = app.get(&path).await;
    assert_eq!(monthly_discount(&body), 75_000, "the start is inclusive");

    app.pin(time("2030-12-31T16:59:59Z"));
    let (_, body) = app.get(&path).await;
    assert_eq!(monthly_discount(&body), 75_000, "the end is inclusive");

    app.pin(time("2030-12-31T16:59:59.001Z"));
    let (_, body) = app.get(&path).await;
    assert_eq!(monthly_discount(&body), 0, "one millisecond after the end");

    app.pin(time("2024-11-11T12:00:00Z"));
    let (_, body) = app.get(&format!("/api/v1/catalog/plans/{PRO}")).await;
    assert_eq!(
        pricing(&body["data"], "MONTHLY")["promoDiscount"],
        100_000,
        "the flash sale applied during its window"
    );
    assert_eq!(pricing(&body["data"], "ANNUAL")["finalPrice"], 9_590_000);
}
