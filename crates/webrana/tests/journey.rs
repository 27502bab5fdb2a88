//! The whole platform as separate processes (`webrana serve …`, `webrana simulate …`), one fresh
//! platform per test: a customer's purchase from registration to an ACTIVE VPS with every
//! e-mail, and the faults issue #7 names — the order service killed mid-provisioning, the
//! notification service down while a payment lands, a storm of duplicate Tripay callbacks, the
//! catalog down while ordering. Each checks that nothing was lost and nothing happened twice.

#[path = "journey/platform.rs"]
mod platform;

use std::collections::BTreeMap;
use std::sync::Arc;

use platform::{Options, Platform, call, eventually};
use serde_json::{Value, json};

const PLAN_ID: &str = "a1000000-0000-4000-8000-000000000002";
const IMAGE_ID: &str = "b1000000-0000-4000-8000-000000000001";
const SEEDED_CUSTOMER: (&str, &str) = ("customer@webrana.cloud", "Customer123!");
/// Every wait of these tests: generous, because two cores are shared with other builds.
const DEADLINE: u64 = 60;

/// What a mail is about, told by the subject of its default template.
fn mail_kind(mail: &Value) -> &'static str {
    let subject = mail["subject"].as_str().unwrap_or_default();
    if subject.contains("Verifikasi alamat email") {
        "verification"
    } else if subject.contains("menunggu pembayaran") {
        "order-created"
    } else if subject.contains("Pembayaran pesanan") && subject.contains("diterima") {
        "payment-confirmed"
    } else if subject.contains("siap digunakan") {
        "vps-active"
    } else {
        "other"
    }
}

fn count_kinds(mails: &[Value]) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for mail in mails {
        *counts.entry(mail_kind(mail)).or_default() += 1;
    }
    counts
}

/// The queues that carry a message towards a mailbox: order's and billing's deliveries to the
/// notification service, and notification's own e-mail queue.
const DELIVERY_QUEUES: [(&str, &str, &str); 4] = [
    ("order", "/api/v1/internal/orders/queues", "notifications"),
    (
        "billing",
        "/api/v1/internal/billing/queues",
        "order-payment-status",
    ),
    (
        "billing",
        "/api/v1/internal/billing/queues",
        "notifications",
    ),
    (
        "notification",
        "/api/v1/internal/notifications/queues",
        "email",
    ),
];

/// Whether every delivery queue is empty: no job waiting, running, delayed for a retry or dead.
/// Only then is a mailbox final — a doubled delivery could otherwise still be on its way.
async fn deliveries_settled(p: &Platform) -> bool {
    for (service, path, queue) in DELIVERY_QUEUES {
        let (status, body) = call(
            p.http
                .get(format!("{}{path}", p.url(service)))
                .header("x-api-key", p.api_key()),
        )
        .await;
        assert_eq!(status, 200, "{service} queues: {body}");
        let stats = body["data"]["queues"]
            .as_array()
            .and_then(|qs| qs.iter().find(|q| q["name"] == queue))
            .unwrap_or_else(|| panic!("no {queue} queue at {service}: {body}"));
        assert_eq!(stats["dead"], 0, "{service} gave up a delivery: {stats}");
        if ["waiting", "active", "delayed"]
            .iter()
            .any(|state| stats[*state] != 0)
        {
            return false;
        }
    }
    true
}

/// Waits until every delivery has been made, then checks that `to` received exactly `expected`
/// (kind → count), each rendered in full.
async fn assert_mails(p: &Platform, to: &str, expected: &[(&'static str, usize)]) -> Vec<Value> {
    let expected: BTreeMap<&'static str, usize> = expected.iter().copied().collect();
    let seen = std::sync::Mutex::new(Vec::new());
    let waited = tokio::time::timeout(
        std::time::Duration::from_secs(DEADLINE),
        eventually(DEADLINE + 1, "mails", || async {
            let mails = p.mails(to).await;
            let complete = count_kinds(&mails) == expected;
            if let Ok(mut seen) = seen.lock() {
                *seen = mails.clone();
            }
            (complete && deliveries_settled(p).await).then_some(mails)
        }),
    )
    .await;
    let Ok(mails) = waited else {
        let all = p.all_mails().await;
        panic!(
            "timed out waiting for mails {expected:?} to {to}; last seen for {to}: {:#?}; the sink holds {} mails: {:#?}",
            seen.lock().map(|s| s.clone()).unwrap_or_default(),
            all.len(),
            all.iter()
                .map(|m| format!("to {} subject {}", m["to"], m["subject"]))
                .collect::<Vec<_>>()
        );
    };
    // Read again after the queues drained: a late duplicate would be here now.
    let settled = p.mails(to).await;
    assert_eq!(count_kinds(&settled), expected, "{settled:#?}");
    for mail in &settled {
        for part in ["text", "html"] {
            let body = mail[part].as_str().unwrap_or_default();
            assert!(
                !body.is_empty() && !body.contains("{{"),
                "{part} part of {mail}"
            );
        }
    }
    mails
}

fn find_kind<'a>(mails: &'a [Value], kind: &str) -> &'a Value {
    mails
        .iter()
        .find(|m| mail_kind(m) == kind)
        .unwrap_or_else(|| panic!("no {kind} mail in {mails:#?}"))
}

async fn login(p: &Platform, email: &str, password: &str) -> String {
    let (status, body) = call(
        p.http
            .post(format!("{}/api/v1/auth/login", p.url("auth")))
            .json(&json!({ "email": email, "password": password })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    format!("Bearer {}", body["data"]["accessToken"].as_str().unwrap())
}

/// The seeded, verified customer: the fault scenarios start from an existing account.
async fn seeded_customer(p: &Platform) -> String {
    login(p, SEEDED_CUSTOMER.0, SEEDED_CUSTOMER.1).await
}

async fn create_order(p: &Platform, bearer: &str) -> Value {
    let (status, created) = call(
        p.http
            .post(format!("{}/api/v1/orders", p.url("order")))
            .header("authorization", bearer)
            .json(&json!({
                "planId": PLAN_ID, "imageId": IMAGE_ID,
                "duration": "MONTHLY", "couponCode": "WELCOME10"
            })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created["data"].clone()
}

/// Issues the order's invoice and starts a BRI virtual-account payment; the invoice id and the
/// Tripay checkout page.
async fn invoice_and_pay(p: &Platform, bearer: &str, order: &Value) -> (String, String) {
    let billing = p.url("billing");
    let (status, invoice) = call(
        p.http
            .post(format!("{billing}/api/v1/billing/invoices"))
            .header("authorization", bearer)
            .json(&json!({ "orderId": order["id"] })),
    )
    .await;
    assert_eq!(status, 201, "{invoice}");
    assert_eq!(invoice["data"]["amount"], order["pricing"]["finalPrice"]);
    let invoice_id = invoice["data"]["id"].as_str().unwrap().to_string();
    let (status, paying) = call(
        p.http
            .post(format!(
                "{billing}/api/v1/billing/invoices/{invoice_id}/pay"
            ))
            .header("authorization", bearer)
            .json(&json!({ "channel": "BRI_VA" })),
    )
    .await;
    assert_eq!(status, 200, "{paying}");
    let checkout = paying["data"]["payment"]["paymentUrl"]
        .as_str()
        .unwrap_or_else(|| panic!("no paymentUrl in {paying}"))
        .to_string();
    (invoice_id, checkout)
}

/// The customer opens Tripay's checkout page and presses its Pay button (a plain HTML form);
/// Tripay then calls billing back.
async fn press_pay(p: &Platform, checkout: &str) {
    let (status, page) = call(p.http.get(checkout)).await;
    assert_eq!(status, 200, "{page}");
    let page = page.as_str().expect("an HTML page");
    let action = page
        .split("<form")
        .skip(1)
        .filter_map(|form| form.split("action=\"").nth(1)?.split('"').next())
        .find(|action| action.ends_with("/pay"))
        .unwrap_or_else(|| panic!("no Pay button on {page}"));
    let url = if action.starts_with('/') {
        let origin = checkout
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/");
        format!("{origin}{action}")
    } else {
        action.to_string()
    };
    let response = p
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .expect("the Pay button");
    assert_eq!(
        response.status().as_u16(),
        303,
        "the browser goes back to the page"
    );
}

async fn order_detail(p: &Platform, order_id: &str) -> Value {
    let (status, body) = call(
        p.http
            .get(format!(
                "{}/api/v1/internal/orders/{order_id}",
                p.url("order")
            ))
            .header("x-api-key", p.api_key()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

/// Waits for the customer's view of the order to reach `wanted`; a FAILED order fails the test.
async fn wait_status(p: &Platform, bearer: &str, order_id: &str, wanted: &str) -> Value {
    let url = format!("{}/api/v1/orders/{order_id}", p.url("order"));
    eventually(DEADLINE, &format!("order {order_id} {wanted}"), || async {
        let (_, body) = call(p.http.get(&url).header("authorization", bearer)).await;
        let status = body["data"]["status"].as_str()?;
        assert_ne!(status, "FAILED", "{body}");
        (status == wanted).then(|| body["data"].clone())
    })
    .await
}

/// Each step of the order's life happened exactly once.
async fn assert_history_once(p: &Platform, order_id: &str) {
    let detail = order_detail(p, order_id).await;
    let history = detail["statusHistory"].as_array().expect("statusHistory");
    for status in ["PENDING_PAYMENT", "PAID", "PROVISIONING", "ACTIVE"] {
        let n = history.iter().filter(|h| h["newStatus"] == status).count();
        assert_eq!(n, 1, "{status} {n} times in {history:#?}");
    }
}

async fn droplets_of(p: &Platform, order_id: &str) -> Vec<Value> {
    let (_, body) = call(
        p.http
            .get(format!("{}/_sim/droplets", p.url("digitalocean"))),
    )
    .await;
    body["droplets"]
        .as_array()
        .expect("droplet list")
        .iter()
        .filter(|d| d["tags"].to_string().contains(order_id))
        .cloned()
        .collect()
}

/// Paid exactly once: the invoice is PAID with one payment row.
async fn assert_paid_once(p: &Platform, invoice_id: &str) {
    let (status, detail) = call(
        p.http
            .get(format!(
                "{}/api/v1/internal/billing/invoices/{invoice_id}",
                p.url("billing")
            ))
            .header("x-api-key", p.api_key()),
    )
    .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["data"]["invoice"]["status"], "PAID", "{detail}");
    let payments = detail["data"]["payments"].as_array().expect("payments");
    assert_eq!(payments.len(), 1, "{detail}");
}

/// The end of every paid scenario: ACTIVE once, paid once, one droplet.
async fn assert_active_once(
    p: &Platform,
    bearer: &str,
    order_id: &str,
    invoice_id: &str,
) -> String {
    let active = wait_status(p, bearer, order_id, "ACTIVE").await;
    let ip = active["provisioningTask"]["ipv4Public"]
        .as_str()
        .unwrap_or_else(|| panic!("no IP in {active}"))
        .to_string();
    assert!(active["paidAt"].is_string(), "{active}");
    assert_paid_once(p, invoice_id).await;
    assert_history_once(p, order_id).await;
    let droplets = droplets_of(p, order_id).await;
    assert_eq!(droplets.len(), 1, "{droplets:#?}");
    ip
}

fn assert_vps_mail(mails: &[Value], ip: &str) {
    let mail = find_kind(mails, "vps-active");
    let (text, html) = (
        mail["text"].as_str().unwrap(),
        mail["html"].as_str().unwrap(),
    );
    assert!(text.contains(ip), "the VPS mail names its IP: {text}");
    assert!(
        html.contains(&format!("ssh root@{ip}")),
        "and how to log in: {html}"
    );
    // The generated root password (order.md 7.3: 24 characters of [A-Za-z0-9]).
    let password = html
        .split("<b>root</b>: <code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or_else(|| panic!("no root password in {html}"));
    assert!(
        password.len() == 24 && password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password:?}"
    );
    assert!(text.contains(password), "the text part has it too: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_buys_a_vps_and_hears_about_every_step() {
    let p = Platform::start(Options::default()).await;
    let email = format!("budi.{}@example.com", std::process::id());
    let password = "Journey123!";

    let (status, body) = call(
        p.http
            .post(format!("{}/api/v1/auth/register", p.url("auth")))
            .json(&json!({ "email": email, "password": password, "fullName": "Budi Santoso" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let verification = eventually(DEADLINE, "the verification mail", || async {
        p.mails(&email).await.into_iter().next()
    })
    .await;
    // The link as a browser reads it: the href, with Handlebars' entity escapes undone.
    let html = verification["html"].as_str().expect("html part");
    let link = html
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .find(|href| href.contains("token"))
        .expect("the mail carries the verification link")
        .replace("&#x3D;", "=")
        .replace("&amp;", "&");
    let token = link
        .split("token=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .unwrap_or_else(|| panic!("no token in {link}"));
    let (status, body) = call(
        p.http
            .post(format!("{}/api/v1/auth/verify-email", p.url("auth")))
            .json(&json!({ "token": token })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let bearer = login(&p, &email, password).await;

    let (status, plans) = call(
        p.http
            .get(format!("{}/api/v1/catalog/plans", p.url("catalog"))),
    )
    .await;
    assert_eq!(status, 200, "{plans}");
    assert!(
        plans["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|plan| plan["id"] == PLAN_ID),
        "{plans}"
    );
    let order = create_order(&p, &bearer).await;
    assert!(
        order["pricing"]["couponDiscount"].as_i64().unwrap() > 0,
        "{order}"
    );
    let order_id = order["id"].as_str().unwrap().to_string();
    let (invoice_id, checkout) = invoice_and_pay(&p, &bearer, &order).await;
    press_pay(&p, &checkout).await;

    // Polling may miss the short PAID and PROVISIONING states; the history shows each once.
    let ip = assert_active_once(&p, &bearer, &order_id, &invoice_id).await;
    let mails = assert_mails(
        &p,
        &email,
        &[
            ("verification", 1),
            ("order-created", 1),
            ("payment-confirmed", 1),
            ("vps-active", 1),
        ],
    )
    .await;
    assert_vps_mail(&mails, &ip);
    let paid = find_kind(&mails, "payment-confirmed")["subject"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        // notification.md: the order number is the id's first 8 characters, upper-cased.
        paid.contains(&order_id[..8].to_uppercase()),
        "the payment mail names the order: {paid}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_service_killed_mid_provisioning_resumes_with_one_droplet() {
    // Long enough that the kill lands while the droplet is still booting.
    let mut p = Platform::start(Options { boot_seconds: 6 }).await;
    let bearer = seeded_customer(&p).await;
    let order = create_order(&p, &bearer).await;
    let order_id = order["id"].as_str().unwrap().to_string();
    let (invoice_id, checkout) = invoice_and_pay(&p, &bearer, &order).await;
    press_pay(&p, &checkout).await;

    wait_status(&p, &bearer, &order_id, "PROVISIONING").await;
    eventually(DEADLINE, "the droplet to be created", || async {
        let droplets = droplets_of(&p, &order_id).await;
        let booting = droplets.iter().any(|d| d["status"] == "new");
        booting.then_some(())
    })
    .await;
    p.stop("order", libc::SIGKILL).await;
    p.restart("order").await;

    let ip = assert_active_once(&p, &bearer, &order_id, &invoice_id).await;
    let mails = assert_mails(
        &p,
        SEEDED_CUSTOMER.0,
        &[
            ("order-created", 1),
            ("payment-confirmed", 1),
            ("vps-active", 1),
        ],
    )
    .await;
    assert_vps_mail(&mails, &ip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mails_of_a_payment_made_while_notification_was_down_arrive_once_it_returns() {
    let mut p = Platform::start(Options::default()).await;
    let bearer = seeded_customer(&p).await;
    let order = create_order(&p, &bearer).await;
    let order_id = order["id"].as_str().unwrap().to_string();
    let (invoice_id, checkout) = invoice_and_pay(&p, &bearer, &order).await;
    assert_mails(&p, SEEDED_CUSTOMER.0, &[("order-created", 1)]).await;

    p.stop("notification", libc::SIGTERM).await;
    press_pay(&p, &checkout).await;
    let ip = assert_active_once(&p, &bearer, &order_id, &invoice_id).await;
    assert_eq!(
        count_kinds(&p.mails(SEEDED_CUSTOMER.0).await),
        BTreeMap::from([("order-created", 1)]),
        "nothing can be delivered while notification is down"
    );
    p.restart("notification").await;

    let mails = assert_mails(
        &p,
        SEEDED_CUSTOMER.0,
        &[
            ("order-created", 1),
            ("payment-confirmed", 1),
            ("vps-active", 1),
        ],
    )
    .await;
    assert_vps_mail(&mails, &ip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_duplicate_callbacks_pay_and_provision_once() {
    let p = Platform::start(Options::default()).await;
    let bearer = seeded_customer(&p).await;
    let order = create_order(&p, &bearer).await;
    let order_id = order["id"].as_str().unwrap().to_string();
    let (invoice_id, checkout) = invoice_and_pay(&p, &bearer, &order).await;
    let reference = checkout.rsplit('/').next().unwrap().to_string();

    // Tripay marks the transaction paid (and sends its own callback); ten more copies of that
    // callback, signed as Tripay signs them, race it.
    let (status, paid) = call(
        p.http
            .post(format!(
                "{}/_sim/transactions/{reference}/pay",
                p.url("tripay")
            ))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 200, "{paid}");
    let tx: tripay::Transaction =
        serde_json::from_value(paid["data"].clone()).expect("transaction");
    let callback = tripay::Callback {
        reference: tx.reference.clone(),
        merchant_ref: tx.merchant_ref.clone(),
        payment_method: Some(tx.payment_name.clone()),
        payment_method_code: Some(tx.payment_method.clone()),
        total_amount: tx.amount,
        fee_merchant: Some(tx.fee_merchant),
        fee_customer: Some(tx.fee_customer),
        total_fee: Some(tx.total_fee),
        amount_received: Some(tx.amount - tx.total_fee),
        is_closed_payment: 1,
        status: "PAID".into(),
        paid_at: tx.paid_at,
        note: None,
    };
    let body = callback.to_wire_bytes();
    let signature = tripay::callback_signature(platform::TRIPAY_PRIVATE_KEY, &body);
    let webhook = format!("{}/api/v1/billing/webhooks/tripay", p.url("billing"));
    let start = Arc::new(tokio::sync::Barrier::new(10));
    let mut senders = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let request = p
            .http
            .post(&webhook)
            .header("content-type", "application/json")
            .header("x-callback-event", "payment_status")
            .header("x-callback-signature", &signature)
            .body(body.clone());
        let start = start.clone();
        senders.spawn(async move {
            start.wait().await;
            call(request).await
        });
    }
    while let Some(answer) = senders.join_next().await {
        let (status, body) = answer.expect("sender");
        assert_eq!(status, 200, "every duplicate is acknowledged: {body}");
        assert_eq!(body["success"], true, "{body}");
    }

    assert_active_once(&p, &bearer, &order_id, &invoice_id).await;
    assert_mails(
        &p,
        SEEDED_CUSTOMER.0,
        &[
            ("order-created", 1),
            ("payment-confirmed", 1),
            ("vps-active", 1),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_placed_while_the_catalog_is_down_is_refused_and_not_kept() {
    let mut p = Platform::start(Options::default()).await;
    let bearer = seeded_customer(&p).await;
    p.stop("catalog", libc::SIGKILL).await;

    let (status, body) = call(
        p.http
            .post(format!("{}/api/v1/orders", p.url("order")))
            .header("authorization", &bearer)
            .json(&json!({
                "planId": PLAN_ID, "imageId": IMAGE_ID,
                "duration": "MONTHLY", "couponCode": "WELCOME10"
            })),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"]["code"], "CATALOG_SERVICE_UNAVAILABLE",
        "{body}"
    );

    let (status, list) = call(
        p.http
            .get(format!("{}/api/v1/orders", p.url("order")))
            .header("authorization", &bearer),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["data"], json!([]), "{list}");
    let (_, all) = call(
        p.http
            .get(format!("{}/api/v1/internal/orders", p.url("order")))
            .header("x-api-key", p.api_key()),
    )
    .await;
    assert_eq!(all["data"], json!([]), "no order exists for anyone: {all}");
    let mails = p.mails(SEEDED_CUSTOMER.0).await;
    assert!(mails.is_empty(), "no order-created mail: {mails:#?}");
}
