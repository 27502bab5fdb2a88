//! Every error class of integrations.md §2.1 as the client reports it, produced by the
//! simulator (or, for a refused connection, by nobody listening).

mod common;

use std::time::{Duration, Instant};

use common::{ORDER_ID, TOKEN};
use digitalocean::provisioning::OrderDroplet;
use digitalocean::{CreateDropletRequest, ErrorKind};
use serde_json::json;
use time::OffsetDateTime;

fn request(size: &str) -> CreateDropletRequest {
    OrderDroplet {
        order_id: ORDER_ID,
        region: "sgp1",
        size,
        image: "ubuntu-22-04-x64",
        root_password: "Pw0rdPw0rdPw0rdPw0rdPw0r",
    }
    .request()
    .expect("valid password")
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_transient() {
    let sim = common::start_default().await;
    let client = sim.client_with("not-the-token", Duration::from_secs(5));
    let error = client.account().await.expect_err("401");
    let ErrorKind::Unauthorized(api) = &error.kind else {
        panic!("expected Unauthorized, got {error:?}");
    };
    assert_eq!(api.status, 401);
    assert_eq!(api.id, "unauthorized");
    assert_eq!(api.message, "Unable to authenticate you");
    assert!(api.request_id.is_some());
    assert!(error.is_transient());
    assert!(error.is_auth_rejected());
    assert_eq!(error.status(), Some(401));
    assert!(
        error.rate_limit.remaining.is_some(),
        "headers on errors too"
    );
    // Neither the error nor the client shows the token.
    assert!(!format!("{error:?} {error} {client:?}").contains("not-the-token"));
}

#[tokio::test]
async fn an_unknown_droplet_is_not_found_and_permanent() {
    let sim = common::start_default().await;
    let error = sim.client().get_droplet(1).await.expect_err("404");
    assert!(error.is_not_found());
    assert!(!error.is_transient());
    assert_eq!(error.api_error().map(|e| e.id.as_str()), Some("not_found"));
    assert_eq!(error.operation, "GET /v2/droplets/{id}");
}

#[tokio::test]
async fn an_unknown_slug_is_unprocessable_with_the_provider_message() {
    let sim = common::start_default().await;
    let error = sim
        .client()
        .create_droplet(&request("s-64vcpu-512gb"))
        .await
        .expect_err("422");
    let ErrorKind::Unprocessable(api) = &error.kind else {
        panic!("expected Unprocessable, got {error:?}");
    };
    assert_eq!(api.id, "unprocessable_entity");
    assert_eq!(
        error.provider_message(),
        Some("You specified an invalid size for Droplet creation.")
    );
    assert!(!error.is_transient());
    assert!(!error.outcome_unknown());
    assert_eq!(sim.sim_droplets().await["meta"]["creates"], 0);
}

#[tokio::test]
async fn an_injected_create_refusal_is_unprocessable() {
    let sim = common::start_default().await;
    let mut refused = request("s-1vcpu-1gb");
    refused.tags.push("sim:fail-create".into());
    let error = sim
        .client()
        .create_droplet(&refused)
        .await
        .expect_err("422");
    assert!(matches!(error.kind, ErrorKind::Unprocessable(_)));
}

#[tokio::test]
async fn rate_limited_waits_until_the_later_of_retry_after_and_reset() {
    let sim = common::start_default().await;
    sim.control("config", json!({ "per_minute_budget": 2 }))
        .await;
    let client = sim.client();
    let first = client.account().await.expect("1st within budget");
    assert_eq!(first.rate_limit.limit, Some(2));
    assert_eq!(first.rate_limit.remaining, Some(1));
    client.account().await.expect("2nd within budget");

    let error = client.account().await.expect_err("3rd is over budget");
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let ErrorKind::RateLimited {
        retry_after: Some(wait),
        error: api,
    } = &error.kind
    else {
        panic!("expected RateLimited with a wait, got {error:?}");
    };
    assert_eq!(api.id, "too_many_requests");
    assert!(error.is_transient());
    assert_eq!(error.retry_after(), Some(*wait));
    assert_eq!(error.rate_limit.remaining, Some(0));
    assert!(error.rate_limit.is_exhausted());
    let reset_at = error.rate_limit.reset_at.expect("ratelimit-reset");
    let until_reset = (reset_at - now).max(0) as u64;
    // The simulator's window started a moment ago: both headers say "about a minute".
    assert!(
        wait.as_secs().abs_diff(until_reset) <= 1,
        "{wait:?} vs reset in {until_reset}s"
    );
    assert!((50..=60).contains(&wait.as_secs()), "{wait:?}");
}

#[tokio::test]
async fn server_errors_are_transient_and_counted_down() {
    let sim = common::start_default().await;
    let client = sim.client();
    sim.control("config", json!({ "fault": "server_error", "count": 2 }))
        .await;
    for _ in 0..2 {
        let error = client.account().await.expect_err("500");
        let ErrorKind::Server(api) = &error.kind else {
            panic!("expected Server, got {error:?}");
        };
        assert_eq!((api.status, api.id.as_str()), (500, "server_error"));
        assert!(error.is_transient());
    }
    client.account().await.expect("the outage is over");

    sim.control("config", json!({ "fault": "service_unavailable" }))
        .await;
    let error = client.get_droplet(1).await.expect_err("503");
    assert_eq!(error.status(), Some(503));
    assert!(matches!(error.kind, ErrorKind::Server(_)));
}

#[tokio::test]
async fn a_held_answer_is_a_client_timeout() {
    let sim = common::start_default().await;
    sim.control(
        "config",
        json!({ "fault": "timeout", "timeout_hold_ms": 2_000 }),
    )
    .await;
    let client = sim.client_with(TOKEN, Duration::from_millis(250));
    let started = Instant::now();
    let error = client.account().await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error.kind, ErrorKind::Timeout);
    assert!(error.is_transient());
    assert_eq!(error.status(), None);
    client.account().await.expect("only one call was held");
}

#[tokio::test]
async fn a_garbled_body_is_malformed_and_transient() {
    let sim = common::start_default().await;
    sim.control("config", json!({ "fault": "malformed_body" }))
        .await;
    let error = sim.client().account().await.expect_err("garbled");
    let ErrorKind::MalformedBody { status, detail } = &error.kind else {
        panic!("expected MalformedBody, got {error:?}");
    };
    assert_eq!(*status, 200);
    assert!(!detail.is_empty());
    assert!(error.is_transient());
    assert!(error.outcome_unknown());
    assert!(error.rate_limit.limit.is_some());
}

#[tokio::test]
async fn nobody_listening_is_a_connection_failure() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let client = digitalocean::DigitalOceanClient::new(
        &format!("http://{addr}"),
        platform::config::Secret::new(TOKEN),
        Duration::from_secs(2),
    )
    .expect("client");
    let error = client.get_droplet(1).await.expect_err("refused");
    assert!(matches!(error.kind, ErrorKind::Connection(_)), "{error:?}");
    assert!(error.is_transient());
    assert!(error.outcome_unknown());
    assert_eq!(error.rate_limit, digitalocean::RateLimit::default());
}
