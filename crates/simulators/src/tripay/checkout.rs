//! The hosted checkout page (`checkout_url`): the transaction, how to pay it, and buttons that
//! play the customer (Pay) or Tripay's clock (Expire) and bank (Fail). The buttons are forms
//! posting to the control routes, so each sends the signed callback a real payment would.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::control;
use super::state::Sim;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Instruction steps carry Tripay's `<b>` markup; only that tag survives.
fn step_html(step: &str) -> String {
    escape(step)
        .replace("&lt;b&gt;", "<b>")
        .replace("&lt;/b&gt;", "</b>")
}

pub async fn page(State(sim): State<Arc<Sim>>, Path(reference): Path<String>) -> Response {
    let state = sim.lock();
    let Some(tx) = state.transactions.iter().find(|t| t.reference == reference) else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>Transaction not found</h1>"),
        )
            .into_response();
    };
    let mut steps = String::new();
    for instruction in &tx.instructions {
        steps.push_str(&format!("<h3>{}</h3><ol>", escape(&instruction.title)));
        for step in &instruction.steps {
            steps.push_str(&format!("<li>{}</li>", step_html(step)));
        }
        steps.push_str("</ol>");
    }
    let buttons = if tx.status == "UNPAID" {
        let r = escape(&tx.reference);
        format!(
            "<form method=\"post\" action=\"/_sim/transactions/{r}/pay\"><button>Pay</button></form>\
             <form method=\"post\" action=\"/_sim/transactions/{r}/fail\"><button>Fail</button></form>\
             <form method=\"post\" action=\"/_sim/transactions/{r}/expire\"><button>Expire</button></form>"
        )
    } else {
        String::new()
    };
    let back = tx
        .return_url
        .as_deref()
        .map(|u| format!("<p><a href=\"{}\">Kembali ke merchant</a></p>", escape(u)))
        .unwrap_or_default();
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Tripay simulator — {reference}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:2em auto}}form{{display:inline;margin-right:1em}}\
         button{{font-size:1.1em;padding:.4em 1.2em}}</style></head><body>\
         <h1>Tripay simulator checkout</h1>\
         <p>Reference <code>{reference}</code> · merchant ref <code>{merchant_ref}</code></p>\
         <p>{name}: <b>Rp {amount}</b> (fee {fee})</p>\
         <p>Pay code: <code>{pay_code}</code></p>\
         <p>Status: <b id=\"status\">{status}</b></p>{buttons}{steps}{back}</body></html>",
        reference = escape(&tx.reference),
        merchant_ref = escape(tx.merchant_ref.as_deref().unwrap_or("-")),
        name = escape(&tx.payment_name),
        amount = tx.amount,
        fee = tx.fee_customer,
        pay_code = escape(tx.pay_code.as_deref().unwrap_or("-")),
        status = escape(&tx.status),
    );
    Html(body).into_response()
}

/// After a button: show the page again (post/redirect/get).
pub fn back_to_page(reference: &str) -> Response {
    Redirect::to(&format!("/checkout/{reference}")).into_response()
}

/// A button whose move the transaction's status does not allow.
pub fn refusal_page(reference: &str, status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        format!(
            "<h1>{}</h1><p><a href=\"/checkout/{}\">Back</a></p>",
            escape(message),
            escape(reference)
        ),
    )
        .into_response()
}

/// The `qr_url` of a QRIS transaction. No QR encoder here: an SVG card carrying the
/// `qr_string`, enough for a page's `<img>` and for a tester to read the payload.
pub async fn qr(State(sim): State<Arc<Sim>>, Path(reference): Path<String>) -> Response {
    let payload = sim
        .lock()
        .transactions
        .iter()
        .find(|t| t.reference == reference)
        .and_then(|t| t.qr_string.clone());
    let Some(payload) = payload else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>No QR for this transaction</h1>"),
        )
            .into_response();
    };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"120\" viewBox=\"0 0 320 120\">\
         <rect width=\"320\" height=\"120\" fill=\"#fff\" stroke=\"#000\"/>\
         <text x=\"10\" y=\"30\" font-family=\"monospace\" font-size=\"14\">QRIS (simulator)</text>\
         <text x=\"10\" y=\"60\" font-family=\"monospace\" font-size=\"8\">{}</text></svg>",
        escape(&payload)
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

/// `POST /checkout/{reference}/pay|fail|expire`: the page's actions at the page's own address,
/// as a script plays the customer (`curl -X POST "$paymentUrl/pay"`); always answered like a
/// browser's form post, with the page again.
pub async fn button(
    State(sim): State<Arc<Sim>>,
    Path((reference, action)): Path<(String, String)>,
) -> Response {
    let Some(action) = control::Action::parse(&action).filter(|a| *a != control::Action::Refund)
    else {
        return (StatusCode::NOT_FOUND, Html("<h1>Unknown action</h1>")).into_response();
    };
    match control::apply(&sim, &reference, action, None, None) {
        Ok(_) => back_to_page(&reference),
        Err(e) => refusal_page(&reference, e.status(), &e.to_string()),
    }
}
