//! The inbox page: what the bot sent, newest first, formatted as a Telegram client would show
//! it, and a form to write to the bot as a user (for `/start <code>`).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use super::config::parse_chat_id;
use super::control::Filter;
use super::html::Entity;
use super::state::{Incoming, SentMessage, Sim};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn open_tag(entity: &Entity) -> String {
    match entity.kind {
        "bold" => "<b>".into(),
        "italic" => "<i>".into(),
        "underline" => "<u>".into(),
        "strikethrough" => "<s>".into(),
        "spoiler" => "<span class=\"spoiler\" title=\"spoiler\">".into(),
        "code" => "<code>".into(),
        "pre" => "<pre>".into(),
        "blockquote" | "expandable_blockquote" => "<blockquote>".into(),
        // Only web links become links: the URL is the sender's, the page is ours.
        "text_link" => match entity.url.as_deref() {
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">",
                escape(url)
            ),
            _ => "<span class=\"link\">".into(),
        },
        _ => "<span>".into(),
    }
}

fn close_tag(entity: &Entity) -> &'static str {
    match entity.kind {
        "bold" => "</b>",
        "italic" => "</i>",
        "underline" => "</u>",
        "strikethrough" => "</s>",
        "code" => "</code>",
        "pre" => "</pre>",
        "blockquote" | "expandable_blockquote" => "</blockquote>",
        "text_link" if entity.url.as_deref().is_some_and(|u| u.starts_with("http")) => "</a>",
        _ => "</span>",
    }
}

/// Closes the entities that end at `position` and opens those that start there.
fn step<'a>(
    out: &mut String,
    open: &mut Vec<&'a Entity>,
    sorted: &[&'a Entity],
    next: &mut usize,
    position: usize,
) {
    while let Some(e) = open.last() {
        if e.offset + e.length > position {
            break;
        }
        out.push_str(close_tag(e));
        open.pop();
    }
    while let Some(&e) = sorted.get(*next) {
        if e.offset > position {
            break;
        }
        out.push_str(&open_tag(e));
        open.push(e);
        *next += 1;
    }
}

/// The plain text with its entities as HTML of our own making; every character of the text is
/// escaped. Entities from the parser nest properly, so a stack suffices.
pub fn render(text: &str, entities: &[Entity]) -> String {
    let mut sorted: Vec<&Entity> = entities.iter().collect();
    sorted.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
    let mut out = String::with_capacity(text.len() * 2);
    let mut open: Vec<&Entity> = Vec::new();
    let mut next = 0;
    let mut position = 0usize;
    let mut buffer = [0u16; 2];
    for c in text.chars() {
        step(&mut out, &mut open, &sorted, &mut next, position);
        out.push_str(&escape(c.encode_utf8(&mut [0u8; 4])));
        position += c.encode_utf16(&mut buffer).len();
    }
    step(&mut out, &mut open, &sorted, &mut next, position);
    while let Some(e) = open.pop() {
        out.push_str(close_tag(e));
    }
    out
}

fn card(m: &SentMessage) -> String {
    let mut flags = vec![m.parse_mode.clone().unwrap_or_else(|| "plain".into())];
    if m.protect_content {
        flags.push("protected".into());
    }
    if m.disable_notification {
        flags.push("silent".into());
    }
    if m.link_preview_disabled {
        flags.push("no preview".into());
    }
    format!(
        "<div class=\"msg\"><div class=\"meta\">{time} · chat <a href=\"/inbox?chatId={chat}\">{chat}</a> · \
         message {mid} · {flags}</div><div class=\"text\">{rendered}</div>\
         <details><summary>as sent</summary><pre>{raw}</pre></details></div>",
        time = platform::time_format::format(m.sent_at),
        chat = escape(&m.chat_id),
        mid = m.message_id,
        flags = escape(&flags.join(", ")),
        rendered = render(&m.plain_text, &m.entities),
        raw = escape(&m.text),
    )
}

pub async fn page(State(sim): State<Arc<Sim>>, Query(filter): Query<Filter>) -> Html<String> {
    let chat = filter.chat_id.as_deref().and_then(parse_chat_id);
    let (messages, pending, username) = {
        let state = sim.lock();
        (
            state.messages.clone(),
            state.updates.len(),
            state.config.bot_username.clone(),
        )
    };
    let cards: String = messages
        .iter()
        .rev()
        .filter(|m| chat.is_none_or(|c| m.chat_id == c.to_string()))
        .map(card)
        .collect();
    let cards = if cards.is_empty() {
        "<p class=\"meta\">No messages yet.</p>".to_owned()
    } else {
        cards
    };
    let heading = match chat {
        Some(c) => format!("chat {c} · <a href=\"/inbox\">all chats</a>"),
        None => "all chats".to_owned(),
    };
    let chat_value = chat.map(|c| c.to_string()).unwrap_or_default();
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Telegram inbox</title>\
         <style>body{{font-family:sans-serif;margin:2em;max-width:50em}}\
         .msg{{border:1px solid #ccc;border-radius:8px;padding:.6em .9em;margin:.8em 0}}\
         .meta{{color:#666;font-size:.85em}}.text{{white-space:pre-wrap;margin:.5em 0}}\
         .spoiler{{background:#999;color:transparent}}.spoiler:hover{{color:inherit;background:#eee}}\
         blockquote{{border-left:3px solid #8ac;margin:.3em 0;padding-left:.6em}}</style></head>\
         <body><h1>Telegram simulator — @{username}</h1><p class=\"meta\">{heading}</p>\
         <form method=\"post\" action=\"/inbox/send\"><fieldset><legend>Write to the bot as a user \
         ({pending} update(s) waiting for getUpdates)</legend>\
         chat id <input name=\"chatId\" required pattern=\"-?[0-9]{{1,20}}\" size=\"14\" value=\"{chat_value}\"> \
         text <input name=\"text\" required placeholder=\"/start KODE\" size=\"24\"> \
         username <input name=\"username\" size=\"12\"> <button>Send</button></fieldset></form>\
         {cards}</body></html>",
        username = escape(&username),
    ))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Written {
    chat_id: String,
    text: String,
    username: Option<String>,
}

/// The page's form: the message becomes an update, and the browser goes back to the chat.
pub async fn send(
    State(sim): State<Arc<Sim>>,
    axum::Form(written): axum::Form<Written>,
) -> Response {
    let Some(chat_id) = parse_chat_id(&written.chat_id) else {
        return (
            StatusCode::BAD_REQUEST,
            Html("<h1>The chat id must be numeric</h1>"),
        )
            .into_response();
    };
    if written.text.trim().is_empty() {
        return (StatusCode::BAD_REQUEST, Html("<h1>Write some text</h1>")).into_response();
    }
    sim.inject(Incoming {
        chat_id,
        text: written.text,
        username: written
            .username
            .map(|u| u.trim().trim_start_matches('@').to_owned())
            .filter(|u| !u.is_empty()),
        first_name: None,
        from_id: None,
    });
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, format!("/inbox?chatId={chat_id}"))],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::super::html::parse;
    use super::*;

    #[test]
    fn renders_entities_and_escapes_everything_else() {
        let parsed = parse(
            "<b>Halo</b> &lt;script&gt; <a href=\"javascript:alert(1)\">x</a> <tg-spoiler>rahasia</tg-spoiler> 🚀<i>ok</i>",
        )
        .expect("valid");
        let html = render(&parsed.text, &parsed.entities);
        assert!(html.starts_with("<b>Halo</b> &lt;script&gt; "), "{html}");
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains("<span class=\"spoiler\""), "{html}");
        assert!(html.ends_with("🚀<i>ok</i>"), "{html}");
    }
}
