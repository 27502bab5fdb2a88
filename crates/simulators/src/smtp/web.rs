//! The mailbox over HTTP: a page for people, JSON for tests and scripts.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::mailbox::Mailbox;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn router(mailbox: Mailbox) -> Router {
    Router::new()
        .route("/mailbox", get(page))
        .route("/mailbox/{id}", get(message))
        .route("/_sim/messages", get(list).delete(clear))
        .with_state(mailbox)
}

#[derive(serde::Deserialize)]
struct Filter {
    to: Option<String>,
}

async fn list(State(mailbox): State<Mailbox>, Query(filter): Query<Filter>) -> Response {
    let mut messages = mailbox.messages();
    if let Some(to) = filter.to {
        messages.retain(|m| m.to.iter().any(|r| r.eq_ignore_ascii_case(&to)));
    }
    axum::Json(json!({ "data": messages })).into_response()
}

async fn clear(State(mailbox): State<Mailbox>) -> Response {
    mailbox.clear();
    axum::Json(json!({ "data": { "cleared": true } })).into_response()
}

async fn page(State(mailbox): State<Mailbox>) -> Html<String> {
    let mut rows = String::new();
    for m in mailbox.messages().iter().rev() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"/mailbox/{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            platform::time_format::format(m.received_at),
            m.id,
            escape(if m.subject.is_empty() {
                "(no subject)"
            } else {
                &m.subject
            }),
            escape(&m.from),
            escape(&m.to.join(", ")),
        ));
    }
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Mailbox</title>\
         <style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:.3em .8em;text-align:left}}</style>\
         </head><body><h1>SMTP sink — mailbox</h1><table><tr><th>received</th><th>subject</th>\
         <th>from</th><th>to</th></tr>{rows}</table></body></html>"
    ))
}

async fn message(State(mailbox): State<Mailbox>, Path(id): Path<u64>) -> Response {
    let Some(m) = mailbox.messages().into_iter().find(|m| m.id == id) else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>No such message</h1>".to_owned()),
        )
            .into_response();
    };
    // The HTML part runs in a sandboxed frame: it is someone else's markup.
    let html = m
        .html
        .as_deref()
        .map(|h| format!("<h2>HTML</h2><iframe sandbox style=\"width:100%;height:30em\" srcdoc=\"{}\"></iframe>", escape(h)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"font-family:sans-serif;margin:2em\"><p><a href=\"/mailbox\">← mailbox</a></p>\
         <h1>{subject}</h1><p>From {from} to {to}</p><h2>Text</h2><pre>{text}</pre>{html}</body></html>",
        subject = escape(&m.subject),
        from = escape(&m.from),
        to = escape(&m.to.join(", ")),
        text = escape(m.text.as_deref().unwrap_or("")),
    ))
    .into_response()
}
