//! The service-to-service client's retry policy (platform.md §10.1–§10.2) against HTTP fakes.

use std::time::{Duration, Instant};

use platform::client::{Call, CallMode, CallOutcome, ServiceClient};
use platform::config::ServiceEndpoint;
use platform::testing::{FakeService, api_key, closed_port_url};
use serde_json::json;

fn client(base_url: &str, timeout_ms: u64) -> ServiceClient {
    let endpoint = ServiceEndpoint {
        base_url: base_url.to_string(),
        timeout_ms,
    };
    ServiceClient::new(&endpoint, api_key(), "test-service")
        .expect("client")
        .with_retry_delays([Duration::from_millis(10), Duration::from_millis(20)])
}

#[tokio::test]
async fn sends_the_standard_headers() {
    let fake = FakeService::start(202, json!({"data": {}})).await;
    let body = json!({"event": "X"});
    let outcome = client(fake.base_url(), 2000)
        .call(Call::post("/api/v1/internal/x", &body, "req-1").idempotency_key("key-1"))
        .await;
    assert!(outcome.is_success());
    let seen = &fake.requests()[0];
    assert_eq!(seen.headers["x-request-id"], "req-1");
    assert_eq!(seen.headers["x-service-name"], "test-service");
    assert_eq!(seen.headers["idempotency-key"], "key-1");
    assert_eq!(seen.headers["x-api-key"], platform::testing::TEST_API_KEY);
    assert_eq!(seen.headers["accept"], "application/json");
    assert_eq!(seen.body, body);
}

#[tokio::test]
async fn in_request_calls_retry_retryable_answers_twice() {
    let fake = FakeService::start(503, json!({})).await;
    let outcome = client(fake.base_url(), 2000)
        .call(Call::get("/x", "r"))
        .await;
    assert!(matches!(
        outcome,
        CallOutcome::Retryable {
            status: Some(503),
            ..
        }
    ));
    assert_eq!(fake.requests().len(), 3, "the first try and two retries");

    let fake = FakeService::start(404, json!({})).await;
    let outcome = client(fake.base_url(), 2000)
        .call(Call::get("/x", "r"))
        .await;
    assert!(matches!(outcome, CallOutcome::Final { status: 404, .. }));
    assert_eq!(fake.requests().len(), 1, "final answers are not retried");

    let fake = FakeService::start(401, json!({})).await;
    let outcome = client(fake.base_url(), 2000)
        .call(Call::get("/x", "r"))
        .await;
    assert!(matches!(
        outcome,
        CallOutcome::AuthRejected { status: 401, .. }
    ));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn writes_without_a_key_and_job_calls_are_not_retried() {
    let fake = FakeService::start(500, json!({})).await;
    let body = json!({});
    client(fake.base_url(), 2000)
        .call(Call::post("/x", &body, "r"))
        .await;
    assert_eq!(
        fake.requests().len(),
        1,
        "a write without Idempotency-Key is never repeated"
    );
    client(fake.base_url(), 2000)
        .call(
            Call::post("/x", &body, "r")
                .idempotency_key("k")
                .mode(CallMode::FromJob),
        )
        .await;
    assert_eq!(
        fake.requests().len(),
        2,
        "a job makes one attempt; its backoff retries"
    );
}

#[tokio::test]
async fn connection_failures_are_retryable() {
    let url = closed_port_url().await;
    let outcome = client(&url, 2000).call(Call::get("/x", "r")).await;
    assert!(
        matches!(
            outcome,
            CallOutcome::Retryable {
                status: None,
                timed_out: false,
                ..
            }
        ),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_timeout_is_final_inside_a_request() {
    // A listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let outcome = client(&url, 300).call(Call::get("/x", "r")).await;
    assert!(
        matches!(
            outcome,
            CallOutcome::Retryable {
                timed_out: true,
                ..
            }
        ),
        "{outcome:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "no retry after a timeout"
    );
    hold.abort();
}
