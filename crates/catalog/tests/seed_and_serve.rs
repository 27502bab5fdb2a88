//! The demo catalog (catalog.md §9) is loaded idempotently and never undoes an operator's work;
//! `serve` migrates, seeds and answers.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn seeding_twice_changes_nothing(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    assert_eq!(&before[..9], &[4, 14, 2, 5, 3, 4, 1, 0, 0]);
    catalog::seed::run(&app.pool, &config(&[]))
        .await
        .expect("seed again");
    assert_eq!(app.snapshot().await, before);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn reseeding_respects_deletions_and_edits(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, plan) = app.get_key(&format!("{ADMIN}/plans/{NANO}")).await;
    let annual = pricing(&plan["data"], "ANNUAL")["id"]
        .as_str()
        .expect("id")
        .to_string();
    app.delete_key(&format!("{ADMIN}/plans/{NANO}/pricings/{annual}"))
        .await;
    app.patch_key(
        &format!("{ADMIN}/plans/{BASIC}"),
        json!({"displayName": "VPS Basic Plus"}),
    )
    .await;
    app.delete_key(&format!("{ADMIN}/plans/{PRO}")).await;
    app.delete_key(&format!("{ADMIN}/plans/{STANDARD}/promos/{LAUNCH_PROMO}"))
        .await;
    app.delete_key(&format!("{ADMIN}/coupons/{FLAT25K}")).await;
    app.delete_key(&format!("{ADMIN}/images/{DOCKER}")).await;
    let before = app.snapshot().await;

    catalog::seed::run(&app.pool, &config(&[]))
        .await
        .expect("seed again");
    assert_eq!(
        app.snapshot().await,
        before,
        "nothing came back, nothing reverted"
    );
    let (_, plan) = app.get(&format!("/api/v1/catalog/plans/{BASIC}")).await;
    assert_eq!(plan["data"]["displayName"], "VPS Basic Plus");
    let (status, _) = app.get(&format!("/api/v1/catalog/plans/{PRO}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn the_seed_yields_the_worked_examples(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, basic) = app.get(&format!("/api/v1/catalog/plans/{BASIC}")).await;
    let amount = pricing(&basic["data"], "MONTHLY")["finalPrice"].clone();
    let data = app
        .validate_for(json!({"code": "WELCOME10", "planId": BASIC, "amount": amount}))
        .await;
    assert_eq!(
        (data["discountAmount"].clone(), data["finalPrice"].clone()),
        (json!(12_500), json!(112_500))
    );
    let (_, standard) = app.get(&format!("/api/v1/catalog/plans/{STANDARD}")).await;
    let monthly = pricing(&standard["data"], "MONTHLY");
    let data = app
        .validate_for(
            json!({"code": "WELCOME10", "planId": STANDARD, "amount": monthly["finalPrice"]}),
        )
        .await;
    assert_eq!(data["finalPrice"], 270_000);
    assert_eq!(
        monthly["price"].as_i64().unwrap_or(0)
            - monthly["promoDiscount"].as_i64().unwrap_or(0)
            - data["discountAmount"].as_i64().unwrap_or(0),
        270_000,
        "basePrice − promoDiscount − couponDiscount = finalPrice"
    );
    let data = app
        .validate_for(json!({"code": "WELCOME10", "amount": pricing(&standard["data"], "ANNUAL")["finalPrice"]}))
        .await;
    assert_eq!(data["finalPrice"], 3_725_000);
    let (_, nano) = app.get(&format!("/api/v1/catalog/plans/{NANO}")).await;
    let data = app
        .validate_for(
            json!({"code": "FLAT25K", "amount": pricing(&nano["data"], "MONTHLY")["finalPrice"]}),
        )
        .await;
    assert_eq!(data["reason"], "MIN_AMOUNT_NOT_MET");
    let (_, coupon) = app.get_key(&format!("{ADMIN}/coupons/{PRO50K}")).await;
    assert_eq!(coupon["data"]["planIds"], json!([PRO]));
    assert_eq!(coupon["data"]["maxTotalRedemptions"], json!(null));
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn serve_migrates_seeds_and_answers(pool: sqlx::PgPool) {
    let options = pool.connect_options();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let database = options.get_database().expect("test database");
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{database}"),
        None => panic!("DATABASE_URL without a database: {base}"),
    };
    let config = config(&[("DATABASE_URL", url.as_str()), ("SEED_ON_START", "true")]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(catalog::serve(config, listener, async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(r) = client
            .get(format!("http://{addr}/health/ready"))
            .send()
            .await
            && r.status() == StatusCode::OK
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "catalog-service became ready");
    let body: serde_json::Value = client
        .get(format!("http://{addr}/api/v1/catalog/plans"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(body["meta"]["total"], 4, "seeded at startup");
    let _ = stop.send(());
    server.await.expect("join").expect("clean shutdown");
}
