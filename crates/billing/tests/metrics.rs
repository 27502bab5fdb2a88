//! The billing service's `/metrics`: payments processed by the settle decision and the job
//! attempts of the queues it feeds.

mod common;

use common::*;
use reqwest::StatusCode;

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.parse().ok())
}

#[sqlx::test]
async fn a_settled_callback_and_its_jobs_are_counted(pool: sqlx::PgPool) {
    let app = spawn(pool).await;
    let (id, reference, paid) = app.paying_invoice().await;
    let number = paid["invoice"]["invoiceNumber"]
        .as_str()
        .expect("invoice number")
        .to_string();
    let body = callback_body(&reference, &number, "PAID", PRICE, 0, Some(1_736_935_200));
    let (status, answer) = app.callback(&body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    // The same event again is answered but is not a second payment.
    let (status, answer) = app.callback(&body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    app.wait_for(&id, "both jobs done", |d| {
        d["jobs"]
            .as_array()
            .is_some_and(|j| j.len() == 2 && j.iter().all(|job| job["state"] == "DONE"))
    })
    .await;

    let text = app
        .server
        .get("/metrics")
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body");
    let payments = |outcome: &str| {
        value(
            &text,
            &format!(
                "payments_processed_total{{source=\"CALLBACK\",status=\"PAID\",\
                 outcome=\"{outcome}\"}}"
            ),
        )
    };
    assert_eq!(payments("PROCESSED"), Some(1.0), "{text}");
    assert_eq!(payments("DUPLICATE"), Some(1.0), "{text}");
    for queue in ["order-payment-status", "notifications"] {
        assert_eq!(
            value(
                &text,
                &format!("job_attempts_total{{queue=\"{queue}\",outcome=\"done\"}}")
            ),
            Some(1.0),
            "{text}"
        );
        assert_eq!(
            value(
                &text,
                &format!("job_queue_depth{{queue=\"{queue}\",state=\"pending\"}}")
            ),
            Some(0.0),
            "{text}"
        );
    }
    assert!(
        text.contains(
            "http_requests_total{service=\"billing-service\",method=\"POST\",\
             route=\"/api/v1/billing/webhooks/tripay\",status=\"200\"} 2\n"
        ),
        "{text}"
    );
}
