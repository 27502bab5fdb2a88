//! Admin routes over images (catalog.md §6.3) and the soft delete that empties allow-lists.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::json;

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn image_lifecycle(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/images"),
            json!({"providerSlug": "fedora-40-x64", "displayName": "Fedora 40",
                   "distribution": "Fedora", "version": "40", "sortOrder": 6}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let image = body["data"].clone();
    assert_eq!(image["provider"], "digitalocean");
    assert_eq!(image["category"], "OS", "the default category");
    assert_eq!(image["isActive"], true);
    assert_eq!(image["description"], json!(null));
    assert!(image["createdAt"].is_string());
    let id = image["id"].as_str().expect("id");
    let path = format!("{ADMIN}/images/{id}");

    let (_, list) = app.get("/api/v1/catalog/images").await;
    assert_eq!(list["meta"]["total"], 6);
    assert_eq!(list["data"][5]["providerSlug"], "fedora-40-x64");

    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/images"),
            json!({"providerSlug": "fedora-40-x64", "displayName": "Lagi"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");
    assert_eq!(body["error"]["details"]["field"], "providerSlug");

    let (status, body) = app
        .patch_key(
            &path,
            json!({"description": "Fedora Server 40", "version": null, "category": "APP"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["description"], "Fedora Server 40");
    assert_eq!(body["data"]["version"], json!(null));
    assert_eq!(body["data"]["category"], "APP");
    let (status, body) = app
        .patch_key(&path, json!({"providerSlug": "debian-12-x64"}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "DUPLICATE_ENTRY");

    let (_, admin_list) = app
        .get_key(&format!("{ADMIN}/images?category=APP&search=fedora"))
        .await;
    assert_eq!(admin_list["meta"]["total"], 1);
    let (_, admin_list) = app.get_key(&format!("{ADMIN}/images?isActive=true")).await;
    assert_eq!(admin_list["meta"]["total"], 6);
    assert_eq!(admin_list["data"][0]["id"], id, "newest first");

    let (status, body) = app.delete_key(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"], json!({"id": id, "deleted": true}));
    let (status, body) = app.get_key(&path).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND");
    let (status, _) = app.delete_key(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/images"),
            json!({"providerSlug": "fedora-40-x64", "displayName": "Fedora 40 lagi"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "a deleted slug is free again: {body}"
    );
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn deleting_an_image_removes_it_from_allow_lists(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (_, detail) = app.get_key(&format!("{ADMIN}/images/{UBUNTU_22}")).await;
    assert_eq!(detail["data"]["planIds"], json!([NANO]));
    for n in 1..=3 {
        let id = format!("b1000000-0000-4000-8000-00000000000{n}");
        let (status, _) = app.delete_key(&format!("{ADMIN}/images/{id}")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, plan) = app.get_key(&format!("{ADMIN}/plans/{NANO}")).await;
    assert_eq!(plan["data"]["imageIds"], json!([]));
    let (_, images) = app
        .get(&format!("/api/v1/catalog/images?planId={NANO}"))
        .await;
    assert_eq!(
        images["meta"]["total"], 2,
        "nano's emptied list now allows the remaining images"
    );
    let (_, docker) = app
        .get(&format!("/api/v1/catalog/images/{DOCKER}?planId={NANO}"))
        .await;
    assert_eq!(docker["data"]["compatibleWithPlan"], true);
}

#[sqlx::test(migrator = "catalog::MIGRATOR")]
async fn image_validation(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let before = app.snapshot().await;
    let (status, body) = app
        .post_key(
            &format!("{ADMIN}/images"),
            json!({"provider": "vultr", "providerSlug": "Ubuntu 22", "displayName": "x".repeat(256),
                   "category": "DB", "distribution": "d".repeat(51), "version": 22, "isActive": "yes",
                   "sortOrder": 1.5, "planIds": []}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    assert_eq!(
        error_fields(&body),
        vec![
            "provider",
            "providerSlug",
            "displayName",
            "category",
            "distribution",
            "version",
            "isActive",
            "sortOrder",
            "planIds"
        ]
    );
    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/images/{UBUNTU_22}"),
            json!({"displayName": ""}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "VALIDATION_ERROR");
    let (status, body) = app
        .patch_key(
            &format!("{ADMIN}/images/{MISSING}"),
            json!({"isActive": false}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "IMAGE_NOT_FOUND");
    assert_eq!(app.snapshot().await, before);
}
