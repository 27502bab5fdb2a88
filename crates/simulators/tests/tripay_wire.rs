//! The Tripay simulator against the project's own Tripay client and a callback receiver: the
//! wire format of integrations.md §1 end to end (conformance of the client and the simulator).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use platform::config::Env;
use serde_json::{Value, json};
use simulators::tripay::{SimError, TripaySimConfig, TripaySimHandle, router_with_handle};
use time::OffsetDateTime;
use tripay::{CreateTransaction, OrderItem, TripayClient, TripayError, TripaySettings};

const MERCHANT: &str = "T12345";
const API_KEY: &str = "DEV-wire-tests";
const PRIVATE_KEY: &str = "sim-private-key-0001";

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// Callbacks as received: headers and the exact bytes. The answer is configurable.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    refuse: Arc<Mutex<u32>>,
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    r.seen.lock().unwrap().push((headers, body));
    let mut refuse = r.refuse.lock().unwrap();
    if *refuse > 0 {
        *refuse -= 1;
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "{\"success\":false}".into(),
        );
    }
    (StatusCode::OK, "{\"success\":true}".into())
}

struct Setup {
    sim: String,
    client: TripayClient,
    receiver: Receiver,
    handle: TripaySimHandle,
}

async fn setup(private_key: &str) -> Setup {
    let receiver = Receiver::default();
    let callback = serve(
        Router::new()
            .route("/callback", post(receive))
            .with_state(receiver.clone()),
    )
    .await;
    let mut config = TripaySimConfig::for_tests(MERCHANT, API_KEY, PRIVATE_KEY)
        .with_callback_url(format!("{callback}/callback"))
        .with_callback_retry(vec![Duration::from_millis(50); 2])
        .with_timeout_hold(Duration::from_secs(3));
    // QRISC may expire at once here, so the expiry clock can be watched within a test.
    for channel in &mut config.channels {
        if channel.listing.code == "QRISC" {
            channel.min_expiry_minutes = 0;
        }
    }
    let (router, handle) = router_with_handle(config);
    let sim = serve(router).await;
    let mut env = Env::from_pairs([
        ("TRIPAY_API_KEY", API_KEY.to_string()),
        ("TRIPAY_PRIVATE_KEY", private_key.to_string()),
        ("TRIPAY_MERCHANT_CODE", MERCHANT.to_string()),
        ("TRIPAY_BASE_URL", format!("{sim}/api-sandbox")),
        ("TRIPAY_TIMEOUT_MS", "1000".to_string()),
    ]);
    let settings = TripaySettings::read(&mut env);
    env.finish().unwrap();
    Setup {
        sim,
        client: TripayClient::new(&settings).unwrap(),
        receiver,
        handle,
    }
}

fn request(
    client: &TripayClient,
    method: &str,
    merchant_ref: &str,
    amount: i64,
) -> CreateTransaction {
    CreateTransaction {
        method: method.into(),
        merchant_ref: merchant_ref.into(),
        amount,
        customer_name: "Budi Santoso".into(),
        customer_email: "budi@example.com".into(),
        customer_phone: Some("081234567890".into()),
        order_items: vec![OrderItem {
            sku: Some("plan-basic".into()),
            name: "Basic VPS 1vCPU 1GB - MONTHLY".into(),
            price: amount,
            quantity: 1,
            product_url: None,
            image_url: None,
        }],
        callback_url: None,
        return_url: Some("https://app.webrana.test/invoices/1".into()),
        expired_time: Some(OffsetDateTime::now_utc().unix_timestamp() + 3600 * 2),
        signature: client.sign_transaction(merchant_ref, amount),
    }
}

async fn post_json(url: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn wait_for_callbacks(receiver: &Receiver, n: usize) -> Vec<(HeaderMap, Bytes)> {
    wait_for_callbacks_within(receiver, n, Duration::from_secs(2)).await
}

async fn wait_for_callbacks_within(
    receiver: &Receiver,
    n: usize,
    within: Duration,
) -> Vec<(HeaderMap, Bytes)> {
    for _ in 0..within.as_millis() / 20 {
        let seen = receiver.seen.lock().unwrap().clone();
        if seen.len() >= n {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "expected {n} callbacks, got {}",
        receiver.seen.lock().unwrap().len()
    );
}

#[tokio::test]
async fn channels_create_and_detail_speak_tripays_format() {
    let s = setup(PRIVATE_KEY).await;
    let channels = s.client.payment_channels().await.unwrap();
    assert!(
        channels
            .iter()
            .any(|c| c.code == "BRIVA" && c.active && c.kind == "direct")
    );
    assert!(
        channels
            .iter()
            .any(|c| c.code == "OVO" && c.kind == "redirect")
    );
    assert!(channels.iter().all(|c| c.code != "GOPAY"));

    let va = s
        .client
        .create_transaction(&request(&s.client, "BRIVA", "INV-20250115-7KQ3", 150_000))
        .await
        .unwrap();
    assert_eq!(va.reference, "T12345000000000000001");
    assert_eq!(va.status, "UNPAID");
    assert_eq!(va.amount, 150_000, "no customer fee by default");
    assert_eq!(va.total_fee, 4_250);
    assert_eq!(va.amount_received, 145_750);
    let code = va.pay_code.clone().unwrap();
    assert!((16..=18).contains(&code.len()), "{code}");
    assert!(
        va.checkout_url
            .unwrap()
            .ends_with("/checkout/T12345000000000000001")
    );
    assert!(va.instructions[0].steps.iter().any(|s| s.contains(&code)));

    // QRIS transactions live at most an hour.
    let mut qr = request(&s.client, "QRIS", "INV-20250115-7KQ3-2", 150_000);
    qr.expired_time = Some(OffsetDateTime::now_utc().unix_timestamp() + 1800);
    let qr = s.client.create_transaction(&qr).await.unwrap();
    assert!(qr.qr_string.unwrap().starts_with("000201"));
    assert!(qr.pay_code.is_none());
    let ovo = s
        .client
        .create_transaction(&request(&s.client, "OVO", "INV-20250115-7KQ3-3", 150_000))
        .await
        .unwrap();
    assert!(ovo.pay_url.is_some());

    let detail = s.client.transaction_detail(&va.reference).await.unwrap();
    assert_eq!(detail.merchant_ref.as_deref(), Some("INV-20250115-7KQ3"));
    assert_eq!(detail.paid_at, None);
    let missing = s.client.transaction_detail("T0").await.unwrap_err();
    assert!(
        matches!(missing, TripayError::Rejected { status: 404, .. }),
        "{missing:?}"
    );
}

#[tokio::test]
async fn every_validation_of_create_is_a_refusal() {
    let s = setup(PRIVATE_KEY).await;
    let c = &s.client;
    let mut cases: Vec<(CreateTransaction, &str)> = Vec::new();
    let mut wrong_sum = request(c, "BRIVA", "INV-1", 150_000);
    wrong_sum.order_items[0].price = 1;
    cases.push((wrong_sum, "order_items"));
    cases.push((request(c, "GOPAY", "INV-2", 150_000), "not enabled"));
    cases.push((request(c, "ALFAMART", "INV-3", 3_000_000), "between"));
    let mut short = request(c, "BRIVA", "INV-4", 150_000);
    short.expired_time = Some(OffsetDateTime::now_utc().unix_timestamp() + 600);
    cases.push((short, "expired_time"));
    let mut bad_signature = request(c, "BRIVA", "INV-5", 150_000);
    bad_signature.signature = "0".repeat(64);
    cases.push((bad_signature, "Invalid signature"));
    for (req, message) in cases {
        match c.create_transaction(&req).await {
            Err(TripayError::Rejected {
                status: 400,
                message: m,
            }) => {
                assert!(m.contains(message), "{m} should mention {message}")
            }
            other => panic!("{message}: {other:?}"),
        }
    }
    // A wrong API key.
    let answer = reqwest::Client::new()
        .get(format!("{}/api-sandbox/merchant/payment-channel", s.sim))
        .bearer_auth("DEV-other")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(
        body,
        json!({"success": false, "message": "Invalid API Key"})
    );
}

#[tokio::test]
async fn form_encoded_requests_are_accepted() {
    let s = setup(PRIVATE_KEY).await;
    let signature = s.client.sign_transaction("INV-FORM", 50_000);
    let expires = (OffsetDateTime::now_utc().unix_timestamp() + 7200).to_string();
    let form = [
        ("method", "BCAVA"),
        ("merchant_ref", "INV-FORM"),
        ("amount", "50000"),
        ("customer_name", "Ani"),
        ("customer_email", "ani@example.com"),
        ("order_items[0][name]", "VPS"),
        ("order_items[0][price]", "50000"),
        ("order_items[0][quantity]", "1"),
        ("expired_time", expires.as_str()),
        ("signature", signature.as_str()),
    ];
    let body: Value = reqwest::Client::new()
        .post(format!("{}/api-sandbox/transaction/create", s.sim))
        .bearer_auth(API_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["data"]["payment_method"], "BCAVA");
}

#[tokio::test]
async fn forced_faults_classify_as_bad_answer_and_unreachable() {
    let s = setup(PRIVATE_KEY).await;
    post_json(
        &format!("{}/_sim/config", s.sim),
        json!({"fault": "server_error"}),
    )
    .await;
    let err = s.client.payment_channels().await.unwrap_err();
    assert!(
        matches!(err, TripayError::BadResponse { status: 500, .. }),
        "{err:?}"
    );
    post_json(
        &format!("{}/_sim/config", s.sim),
        json!({"fault": "timeout"}),
    )
    .await;
    let err = s.client.payment_channels().await.unwrap_err();
    assert!(matches!(err, TripayError::Unreachable(_)), "{err:?}");
    // One fault each: the next call is served.
    assert!(s.client.payment_channels().await.is_ok());
    post_json(
        &format!("{}/_sim/config", s.sim),
        json!({"channels": {"BRIVA": {"active": false}}}),
    )
    .await;
    let channels = s.client.payment_channels().await.unwrap();
    assert!(channels.iter().any(|c| c.code == "BRIVA" && !c.active));
    let err = s
        .client
        .create_transaction(&request(&s.client, "BRIVA", "INV-OFF", 150_000))
        .await
        .unwrap_err();
    assert!(matches!(err, TripayError::Rejected { .. }));
}

#[tokio::test]
async fn status_changes_send_signed_callbacks_and_retry_until_accepted() {
    let s = setup(PRIVATE_KEY).await;
    let tx = s
        .client
        .create_transaction(&request(&s.client, "BRIVA", "INV-20250115-7KQ3", 150_000))
        .await
        .unwrap();
    *s.receiver.refuse.lock().unwrap() = 1;
    let paid = post_json(
        &format!("{}/_sim/transactions/{}/pay", s.sim, tx.reference),
        json!({"paidAt": 1_736_935_200}),
    )
    .await;
    assert_eq!(paid["data"]["status"], "PAID");
    let seen = wait_for_callbacks(&s.receiver, 2).await;
    for (headers, body) in &seen {
        assert_eq!(headers["x-callback-event"], "payment_status");
        let signature = headers["x-callback-signature"].to_str().unwrap();
        assert!(tripay::verify_callback(PRIVATE_KEY, body, signature));
        let callback = tripay::Callback::parse(body).unwrap();
        assert_eq!(callback.status, "PAID");
        assert_eq!(callback.paid_at, Some(1_736_935_200));
        assert_eq!(callback.merchant_ref.as_deref(), Some("INV-20250115-7KQ3"));
        assert_eq!(
            callback.to_wire_bytes(),
            body.to_vec(),
            "compact, in Tripay's field order"
        );
    }
    let log: Value = reqwest::get(format!("{}/_sim/callbacks", s.sim))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts: Vec<(i64, bool)> = log["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["attempt"].as_i64().unwrap(),
                d["delivered"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, vec![(1, false), (2, true)]);
    let first = &log["data"][0];
    assert_eq!(first["request"]["status"], "PAID");
    assert_eq!(first["response_status"], 503);
    assert_eq!(
        first["signature"],
        seen[0].0["x-callback-signature"].to_str().unwrap()
    );
    let detail = s.client.transaction_detail(&tx.reference).await.unwrap();
    assert_eq!(detail.status, "PAID");

    // Under-payment, refund, and the errors of impossible moves.
    let other = s
        .client
        .create_transaction(&request(&s.client, "BRIVA", "INV-20250115-AAAA", 150_000))
        .await
        .unwrap();
    post_json(
        &format!("{}/_sim/transactions/{}/pay", s.sim, other.reference),
        json!({"amount": 100_000}),
    )
    .await;
    let seen = wait_for_callbacks(&s.receiver, 3).await;
    let under = tripay::Callback::parse(&seen[2].1).unwrap();
    assert_eq!(under.total_amount, 100_000);
    let again = post_json(
        &format!("{}/_sim/transactions/{}/expire", s.sim, tx.reference),
        json!({}),
    )
    .await;
    assert_eq!(again["success"], false);
    let refund = post_json(
        &format!("{}/_sim/transactions/{}/refund", s.sim, tx.reference),
        json!({}),
    )
    .await;
    assert_eq!(refund["data"]["status"], "REFUND");
}

#[tokio::test]
async fn the_checkout_page_pays_the_clock_expires_and_reset_forgets() {
    let s = setup(PRIVATE_KEY).await;
    let tx = s
        .client
        .create_transaction(&request(&s.client, "BRIVA", "INV-PAGE", 150_000))
        .await
        .unwrap();
    let checkout = tx.checkout_url.clone().unwrap();
    let page = reqwest::get(&checkout).await.unwrap().text().await.unwrap();
    assert!(page.contains(&tx.reference) && page.contains("Pay") && page.contains("UNPAID"));
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The Pay button: an empty form posted to the control route, then back to the page.
    let pay = format!("{}/_sim/transactions/{}/pay", s.sim, tx.reference);
    assert!(page.contains(&format!(
        "action=\"/_sim/transactions/{}/pay\"",
        tx.reference
    )));
    let answer = no_redirects
        .post(&pay)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        answer.headers()["location"],
        format!("/checkout/{}", tx.reference).as_str()
    );
    wait_for_callbacks(&s.receiver, 1).await;
    let page = reqwest::get(&checkout).await.unwrap().text().await.unwrap();
    assert!(page.contains("PAID"));

    // A transaction whose expired_time passes is expired by the simulator's clock.
    let mut soon = request(&s.client, "QRISC", "INV-SOON", 150_000);
    soon.expired_time = Some(OffsetDateTime::now_utc().unix_timestamp() + 1);
    let short = s.client.create_transaction(&soon).await.unwrap();
    let seen = wait_for_callbacks_within(&s.receiver, 2, Duration::from_secs(5)).await;
    let expired = tripay::Callback::parse(&seen[1].1).unwrap();
    assert_eq!(
        (expired.reference.as_str(), expired.status.as_str()),
        (short.reference.as_str(), "EXPIRED")
    );
    let reset = post_json(&format!("{}/_sim/reset", s.sim), json!({})).await;
    assert_eq!(reset["success"], true);
    let state: Value = reqwest::get(format!("{}/_sim/transactions", s.sim))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(state["data"], json!([]));
}

#[tokio::test]
async fn missing_fields_and_a_wrong_key_are_refused_on_create() {
    let s = setup(PRIVATE_KEY).await;
    let full = serde_json::to_value(request(&s.client, "BRIVA", "INV-REQ", 150_000)).unwrap();
    for field in [
        "method",
        "merchant_ref",
        "amount",
        "customer_name",
        "customer_email",
        "order_items",
        "signature",
    ] {
        let mut body = full.clone();
        body.as_object_mut().unwrap().remove(field);
        let answer = reqwest::Client::new()
            .post(format!("{}/api-sandbox/transaction/create", s.sim))
            .bearer_auth(API_KEY)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "{field}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["success"], false);
        assert!(
            body["message"].as_str().unwrap().contains(field),
            "{field}: {body}"
        );
    }
    // An expired_time already past.
    let mut past = request(&s.client, "BRIVA", "INV-PAST", 150_000);
    past.expired_time = Some(OffsetDateTime::now_utc().unix_timestamp() - 3600);
    let err = s.client.create_transaction(&past).await.unwrap_err();
    assert!(
        matches!(&err, TripayError::Rejected { status: 400, message } if message.contains("expired_time")),
        "{err:?}"
    );
    // The client with another API key: Tripay's 401 is a refusal.
    let mut env = Env::from_pairs([
        ("TRIPAY_API_KEY", "DEV-stolen"),
        ("TRIPAY_PRIVATE_KEY", PRIVATE_KEY),
        ("TRIPAY_MERCHANT_CODE", MERCHANT),
        ("TRIPAY_BASE_URL", &format!("{}/api-sandbox", s.sim)),
    ]);
    let wrong = TripayClient::new(&TripaySettings::read(&mut env)).unwrap();
    env.finish().unwrap();
    let err = wrong
        .create_transaction(&request(&wrong, "BRIVA", "INV-KEY", 150_000))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        TripayError::Rejected {
            status: 401,
            message: "Invalid API Key".into()
        }
    );
    assert!(s.handle.transactions().is_empty(), "nothing was created");
}

#[tokio::test]
async fn the_handle_fails_and_expires_with_signed_callbacks() {
    let s = setup(PRIVATE_KEY).await;
    let failing = s
        .client
        .create_transaction(&request(&s.client, "BNIVA", "INV-FAIL", 150_000))
        .await
        .unwrap();
    let expiring = s
        .client
        .create_transaction(&request(&s.client, "ALFAMART", "INV-EXP", 150_000))
        .await
        .unwrap();
    assert_eq!(s.handle.fail(&failing.reference).unwrap().status, "FAILED");
    wait_for_callbacks(&s.receiver, 1).await;
    assert_eq!(
        s.handle.expire(&expiring.reference).unwrap().status,
        "EXPIRED"
    );
    let seen = wait_for_callbacks(&s.receiver, 2).await;
    let statuses: Vec<(String, String)> = seen
        .iter()
        .map(|(headers, body)| {
            let signature = headers["x-callback-signature"].to_str().unwrap();
            assert!(tripay::verify_callback(PRIVATE_KEY, body, signature));
            assert!(!tripay::verify_callback("another-key", body, signature));
            let c = tripay::Callback::parse(body).unwrap();
            assert_eq!(c.paid_at, None, "only payments have a paid_at");
            (c.reference, c.status)
        })
        .collect();
    assert_eq!(
        statuses,
        vec![
            (failing.reference.clone(), "FAILED".to_owned()),
            (expiring.reference.clone(), "EXPIRED".to_owned())
        ]
    );
    assert_eq!(
        s.handle.pay(&expiring.reference, None, None),
        Err(SimError::Conflict("EXPIRED".into()))
    );
    assert_eq!(s.handle.fail("T0"), Err(SimError::NotFound));

    // A manual resend delivers the same bytes again.
    s.handle.resend_callback(&failing.reference).unwrap();
    let seen = wait_for_callbacks(&s.receiver, 3).await;
    assert_eq!(seen[2].1, seen[0].1);
    let detail = s
        .client
        .transaction_detail(&failing.reference)
        .await
        .unwrap();
    assert_eq!(detail.status, "FAILED");
    assert_eq!(s.handle.deliveries().len(), 3);
}

#[tokio::test]
async fn a_qris_transaction_has_a_qr_image() {
    let s = setup(PRIVATE_KEY).await;
    let mut qr = request(&s.client, "QRIS", "INV-QR", 150_000);
    qr.expired_time = Some(OffsetDateTime::now_utc().unix_timestamp() + 1800);
    let tx = s.client.create_transaction(&qr).await.unwrap();
    let wrong_method = reqwest::Client::new()
        .delete(format!("{}/api-sandbox/transaction/create", s.sim))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    let answer = reqwest::get(tx.qr_url.unwrap()).await.unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(answer.headers()["content-type"], "image/svg+xml");
    let svg = answer.text().await.unwrap();
    assert!(svg.contains(&tx.qr_string.unwrap()));
}
