//! The shared HTTP shell seen from outside: envelopes for axum's own failures, strict bodies and
//! queries, the admin-or-key rule, panics, and Redis-shared rate limits.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use platform::auth::{AdminCaller, AuthUser, Role, Security, ServiceCaller};
use platform::extract::{FromJson, FromQuery, JsonFields, QueryFields, StrictJson, StrictQuery};
use platform::http::{Data, HttpSettings, RequestContext, finish_router};
use platform::pagination::{PageQuery, Paginated};
use platform::ratelimit::{RateLimiter, RedisHandle};
use platform::testing::{
    TEST_API_KEY, TestServer, api_key, redis_url, rs256_settings, token, unique_prefix,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(Clone)]
struct TestState {
    security: Arc<Security>,
    limiter: RateLimiter,
}

impl FromRef<TestState> for Arc<Security> {
    fn from_ref(s: &TestState) -> Self {
        s.security.clone()
    }
}

struct Order {
    plan_id: uuid::Uuid,
    quantity: i64,
}

impl FromJson for Order {
    fn from_json(f: &mut JsonFields) -> Option<Self> {
        let plan_id = f.uuid("planId");
        let quantity = f.i64("quantity");
        Some(Order {
            plan_id: plan_id?,
            quantity: quantity?,
        })
    }
}

struct ListQuery(PageQuery);

impl FromQuery for ListQuery {
    fn from_query(q: &mut QueryFields) -> Option<Self> {
        Some(ListQuery(PageQuery::read(q)))
    }
}

async fn create(user: AuthUser, StrictJson(order): StrictJson<Order>) -> Data<Value> {
    Data(json!({"planId": order.plan_id, "quantity": order.quantity, "by": user.0.sub}))
}

async fn list(
    _: AdminCaller,
    StrictQuery(ListQuery(page)): StrictQuery<ListQuery>,
) -> Paginated<i64> {
    let all: Vec<i64> = (1..=25).collect();
    let start = usize::try_from(page.offset())
        .unwrap_or(usize::MAX)
        .min(all.len());
    let end = (start + page.limit as usize).min(all.len());
    Paginated::new(all[start..end].to_vec(), page, 25)
}

async fn service_only(caller: ServiceCaller) -> Data<Value> {
    Data(json!({"identity": caller.identity}))
}

async fn limited(
    State(state): State<TestState>,
    ctx: RequestContext,
) -> Result<Data<Value>, platform::AppError> {
    state
        .limiter
        .check(&ctx, "demo", &ctx.client_ip.to_string(), 2)
        .await?;
    Ok(Data(json!({"ok": true})))
}

async fn boom() -> Data<Value> {
    panic!("a handler bug")
}

async fn spawn(limiter: RateLimiter) -> TestServer {
    let state = TestState {
        security: Arc::new(Security::new(&rs256_settings(), api_key()).expect("security")),
        limiter,
    };
    let routes = Router::new()
        .route("/api/v1/things", post(create).get(list))
        .route("/api/v1/internal/service", get(service_only))
        .route("/api/v1/limited", get(limited))
        .route("/api/v1/boom", get(boom))
        .with_state(state);
    let settings = HttpSettings {
        service_name: "test-service",
        app_env: platform::config::AppEnv::Test,
        cors_origins: vec!["http://localhost:4200".into()],
        trusted_proxy_hops: 0,
    };
    TestServer::spawn(finish_router(routes, settings)).await
}

async fn send(req: reqwest::RequestBuilder) -> (StatusCode, Value, reqwest::header::HeaderMap) {
    let response = req.send().await.expect("send");
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

#[tokio::test]
async fn strict_bodies_list_every_problem() {
    let server = spawn(RateLimiter::disabled()).await;
    let user = token("e1000000-0000-4000-8000-000000000003", Role::Customer);
    let (status, body, _) = send(
        server
            .post(
                "/api/v1/things",
                &json!({"planId": "nope", "quantity": "10", "extra": 1}),
            )
            .bearer_auth(&user),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "VALIDATION_ERROR");
    assert_eq!(body["error"]["message"], "Data yang dikirim tidak valid");
    let fields = body["error"]["details"]["fields"]
        .as_array()
        .expect("fields");
    let names: Vec<&str> = fields.iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(names, ["planId", "quantity", "extra"]);
    assert_eq!(fields[2]["message"], "properti tidak dikenal");

    let planned = json!({"planId": "6F0429EA-4344-496D-BD40-1F4E47A6220C", "quantity": 2});
    let (status, body, _) = send(server.post("/api/v1/things", &planned).bearer_auth(&user)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["planId"],
        "6f0429ea-4344-496d-bd40-1f4e47a6220c"
    );

    let (status, body, _) = send(server.post("/api/v1/things", &planned)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "authentication is checked before the body"
    );
    assert_eq!(body["error"]["details"]["reason"], "TOKEN_MISSING");
}

#[tokio::test]
async fn axum_failures_become_envelopes() {
    let server = spawn(RateLimiter::disabled()).await;
    let (status, body, headers) = send(server.client.put(server.url("/api/v1/things"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"]["code"], "METHOD_NOT_ALLOWED");
    assert!(headers.contains_key("x-request-id"));
    let (status, body, _) = send(server.get("/nowhere")).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOT_FOUND"))
    );
    let (status, body, _) = send(server.get("/api/v1/boom")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        body,
        json!({"error": {"code": "INTERNAL_SERVER_ERROR", "message": "Terjadi kesalahan pada server"}})
    );
}

#[tokio::test]
async fn admin_routes_follow_the_admin_or_key_rule_and_paginate() {
    let server = spawn(RateLimiter::disabled()).await;
    let admin = token("a1000000-0000-4000-8000-000000000001", Role::Admin);
    let customer = token("c1000000-0000-4000-8000-000000000001", Role::Customer);
    let cases: [(Option<&str>, Option<&str>, StatusCode); 5] = [
        (Some(TEST_API_KEY), None, StatusCode::OK),
        (None, Some(&admin), StatusCode::OK),
        (Some(TEST_API_KEY), Some(&customer), StatusCode::FORBIDDEN),
        (Some("wrong"), Some(&admin), StatusCode::UNAUTHORIZED),
        (None, None, StatusCode::UNAUTHORIZED),
    ];
    for (key, bearer, expected) in cases {
        let mut req = server.get("/api/v1/things?page=2&limit=10");
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        if let Some(bearer) = bearer {
            req = req.bearer_auth(bearer);
        }
        let (status, body, _) = send(req).await;
        assert_eq!(
            status,
            expected,
            "key={key:?} bearer={}: {body}",
            bearer.is_some()
        );
        if status == StatusCode::OK {
            assert_eq!(
                body["meta"],
                json!({"page": 2, "limit": 10, "total": 25, "totalPages": 3})
            );
            assert_eq!(body["data"][0], 11);
        }
    }
    let (status, body, _) = send(
        server
            .get("/api/v1/things?limit=500")
            .header("x-api-key", TEST_API_KEY),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"]["fields"][0]["field"], "limit");

    let (status, body, _) = send(server.get("/api/v1/internal/service").bearer_auth(&admin)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "service routes take the key only"
    );
    assert_eq!(body["error"]["details"]["reason"], "API_KEY_MISSING");
    let (status, body, _) = send(
        server
            .get("/api/v1/internal/service")
            .header("x-api-key", TEST_API_KEY)
            .header("x-service-name", "order-service"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["identity"], "service:order-service");
}

#[tokio::test]
async fn cors_allows_only_listed_origins() {
    let server = spawn(RateLimiter::disabled()).await;
    let preflight = |origin: &'static str| {
        server
            .client
            .request(reqwest::Method::OPTIONS, server.url("/api/v1/things"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
    };
    let (_, _, headers) = send(preflight("http://localhost:4200")).await;
    assert_eq!(
        headers["access-control-allow-origin"],
        "http://localhost:4200"
    );
    let (_, _, headers) = send(preflight("https://evil.example")).await;
    assert!(!headers.contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn rate_limits_are_shared_through_redis() {
    let prefix = unique_prefix("shell");
    let redis = RedisHandle::open(&redis_url()).expect("redis");
    let first = spawn(RateLimiter::new(Some(redis.clone()), prefix.clone(), true)).await;
    let second = spawn(RateLimiter::new(Some(redis), prefix, true)).await;
    let (status, _, headers) = send(first.get("/api/v1/limited")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-remaining"], "1");
    let (status, _, _) = send(second.get("/api/v1/limited")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the second replica counts the same window"
    );
    let (status, body, headers) = send(first.get("/api/v1/limited")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["code"], "TOO_MANY_REQUESTS");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(headers["x-ratelimit-remaining"], "0");
}

#[tokio::test]
async fn an_unreachable_redis_degrades_to_a_local_count() {
    let dead = platform::testing::closed_port_url()
        .await
        .replace("http://", "redis://");
    let limiter = RateLimiter::new(
        Some(RedisHandle::open(&dead).expect("url")),
        unique_prefix("dead"),
        true,
    );
    let server = spawn(limiter).await;
    // The three hits must share one fixed window: start them well inside a minute.
    let second_of_minute = time::OffsetDateTime::now_utc().second();
    if second_of_minute >= 50 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(
            61 - second_of_minute,
        )))
        .await;
    }
    let started = std::time::Instant::now();
    let statuses = [
        send(server.get("/api/v1/limited")).await.0,
        send(server.get("/api/v1/limited")).await.0,
        send(server.get("/api/v1/limited")).await.0,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "after one failed connect the limiter fails fast instead of waiting on Redis each time"
    );
}
