//! Validation of an edited template before it is saved (notification.md §9, PUT template).

use handlebars::Template;
use serde_json::{Value, json};

use super::render::{self, EmailSource, RenderFailure, SUBJECT_MAX_CHARS, TELEGRAM_MAX_CHARS};
use super::{defaults, helpers};
use crate::domain::vars::{Recipient, Site};
use crate::domain::{Channel, Event, data, vars};

/// A template as it would be stored.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    pub key: &'a str,
    pub channel: Channel,
    pub event: Option<Event>,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub text_body: Option<&'a str>,
    pub variables: &'a [String],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Names outside the template's `variables` list.
    UnknownVariables(Vec<String>),
    Template(RenderFailure),
}

impl Invalid {
    pub fn details(&self) -> Value {
        match self {
            Invalid::UnknownVariables(names) => json!({
                "reason": "Template memakai variabel yang tidak dikenal",
                "unknownVariables": names,
            }),
            Invalid::Template(failure) => failure.details(),
        }
    }
}

fn fail(reason: impl Into<String>) -> Invalid {
    Invalid::Template(RenderFailure::new(reason))
}

const TELEGRAM_TAGS: [&str; 14] = [
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
];

/// Every rule of the PUT validation; `layout` is the e-mail layout the body will be wrapped in
/// (the candidate itself when it is the layout).
pub fn check(c: &Candidate<'_>, layout: &str, site: &Site) -> Result<(), Invalid> {
    let parts: Vec<&str> = [c.subject, Some(c.body), c.text_body]
        .into_iter()
        .flatten()
        .collect();
    for part in &parts {
        if part.contains("{{{") {
            return Err(fail("Triple-stash {{{ }}} tidak diizinkan"));
        }
        Template::compile(part).map_err(|e| Invalid::Template(e.into()))?;
    }
    let allowed = c.variables;
    let mut unknown: Vec<String> = Vec::new();
    for part in &parts {
        for name in referenced_variables(part) {
            if !allowed.contains(&name) && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
    }
    if !unknown.is_empty() {
        return Err(Invalid::UnknownVariables(unknown));
    }
    let recipient = Recipient {
        email: "budi@example.com".into(),
        full_name: Some("Budi Santoso".into()),
    };
    let now = time::OffsetDateTime::now_utc();
    match (c.channel, c.event) {
        (Channel::Email, None) => {
            if !c.body.contains("{{> @partial-block}}") {
                return Err(fail("Layout harus memuat {{> @partial-block}}"));
            }
            let sample = vars::build(
                Event::OrderCreated,
                Channel::Email,
                &data::sample(Event::OrderCreated),
                &recipient,
                site,
                now,
            );
            let body = defaults::DEFAULTS
                .iter()
                .find(|t| t.event == Some(Event::OrderCreated))
                .map_or("{{#> layout}}x{{/layout}}", |t| t.body);
            let source = EmailSource {
                subject: "[{{appName}}] Contoh",
                body,
                text_body: None,
                layout: c.body,
            };
            render::render_email(source, &sample).map_err(Invalid::Template)?;
        }
        (Channel::Email, Some(event)) => {
            let sample = vars::build(
                event,
                Channel::Email,
                &data::sample(event),
                &recipient,
                site,
                now,
            );
            let subject = c.subject.unwrap_or_default();
            check_subject(subject, &sample)?;
            let source = EmailSource {
                subject,
                body: c.body,
                text_body: c.text_body,
                layout,
            };
            render::render_email(source, &sample).map_err(Invalid::Template)?;
        }
        (Channel::Telegram, event) => {
            let event = event.unwrap_or(Event::PaymentConfirmed);
            let sample = vars::build(
                event,
                Channel::Telegram,
                &data::sample(event),
                &recipient,
                site,
                now,
            );
            let text = render::render_telegram(c.body, &sample).map_err(Invalid::Template)?;
            check_telegram_tags(&text)?;
        }
    }
    Ok(())
}

fn check_subject(subject: &str, sample: &serde_json::Map<String, Value>) -> Result<(), Invalid> {
    let mut hb = handlebars::Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    helpers::register(&mut hb);
    let raw = hb
        .render_template(subject, sample)
        .map_err(|e| Invalid::Template(e.into()))?;
    if raw.contains(['\r', '\n']) {
        return Err(fail("Subjek harus satu baris"));
    }
    let length = raw.chars().count();
    if length > SUBJECT_MAX_CHARS {
        return Err(fail(format!(
            "Subjek {length} karakter, maksimal {SUBJECT_MAX_CHARS}"
        )));
    }
    if raw.trim().is_empty() {
        return Err(fail("Subjek tidak boleh kosong"));
    }
    Ok(())
}

/// Only the tags Telegram's HTML mode knows, properly nested; `a` with `href` only.
pub fn check_telegram_tags(text: &str) -> Result<(), Invalid> {
    if text.chars().count() > TELEGRAM_MAX_CHARS {
        return Err(fail("Pesan Telegram melebihi 4096 karakter"));
    }
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            return Err(fail("Tag HTML tidak ditutup"));
        };
        let tag = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        let closing = tag.starts_with('/');
        let inner = tag.trim_start_matches('/');
        let mut words = inner.split_whitespace();
        let name = words.next().unwrap_or("").to_ascii_lowercase();
        let attrs: Vec<&str> = words.collect();
        let allowed_attrs = match name.as_str() {
            "a" => attrs.iter().all(|a| a.starts_with("href=\"")),
            "code" => attrs.iter().all(|a| a.starts_with("class=\"language-")),
            _ => attrs.is_empty(),
        };
        if !TELEGRAM_TAGS.contains(&name.as_str()) || (!closing && !allowed_attrs) {
            return Err(fail(format!("Tag <{inner}> tidak didukung Telegram")));
        }
        if closing {
            if open.pop().as_deref() != Some(name.as_str()) {
                return Err(fail(format!("Penutupan tag </{name}> tidak sesuai")));
            }
        } else {
            open.push(name);
        }
    }
    match open.pop() {
        Some(name) => Err(fail(format!("Tag <{name}> tidak ditutup"))),
        None => Ok(()),
    }
}

const KEYWORDS: [&str; 20] = [
    "if", "unless", "each", "with", "lookup", "else", "eq", "ne", "gt", "gte", "lt", "lte", "and",
    "or", "not", "len", "this", "true", "false", "null",
];

/// The root names of the variables a template reads (`{{a.b}}` reads `a`), leaving out helpers,
/// keywords, literals, partials and `@` data.
pub fn referenced_variables(source: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let expr = &rest[start + 2..start + len];
        rest = &rest[start + len + 2..];
        let expr = expr.trim_matches('~').trim();
        if expr.starts_with('!') || expr.starts_with('/') || expr.starts_with('>') {
            continue;
        }
        let expr = expr.trim_start_matches(['#', '^']);
        if expr.starts_with('>') {
            continue;
        }
        let cleaned = strip_literals(expr).replace(['(', ')'], " ");
        for token in cleaned.split_whitespace() {
            let token = token.rsplit('=').next().unwrap_or(token);
            let token = token.trim_start_matches("../").trim_start_matches("this.");
            let root = token.split(['.', '[']).next().unwrap_or("");
            let is_name = root
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
            if !is_name
                || KEYWORDS.contains(&root)
                || helpers::NAMES.contains(&root)
                || names.iter().any(|n| n == root)
            {
                continue;
            }
            names.push(root.to_owned());
        }
    }
    names
}

fn strip_literals(expr: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in expr.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            support_email: "support@webrana.id".into(),
            dashboard_url: "http://localhost:4200".into(),
            telegram_include_password: false,
        }
    }

    fn candidate<'a>(body: &'a str, variables: &'a [String]) -> Candidate<'a> {
        Candidate {
            key: "payment-confirmed",
            channel: Channel::Telegram,
            event: Some(Event::PaymentConfirmed),
            subject: None,
            body,
            text_body: None,
            variables,
        }
    }

    #[test]
    fn finds_variables_but_not_helpers_or_literals() {
        let names = referenced_variables(
            "{{#if (eq a \"x y\")}}{{idr amount}}{{/if}}{{> layout}}{{@index}}{{user.name}}\
             {{!-- note --}}{{#each items}}{{this}}{{/each}}{{else}}",
        );
        assert_eq!(names, ["a", "amount", "user", "items"]);
    }

    #[test]
    fn every_default_template_passes_its_own_validation() {
        for t in defaults::DEFAULTS {
            let variables = vars::allowed(t.event, t.channel);
            let c = Candidate {
                key: t.key,
                channel: t.channel,
                event: t.event,
                subject: t.subject,
                body: t.body,
                text_body: None,
                variables: &variables,
            };
            check(&c, defaults::layout(), &site()).unwrap_or_else(|e| panic!("{}: {e:?}", t.key));
        }
    }

    #[test]
    fn rejects_what_the_spec_rejects() {
        let v = vars::allowed(Some(Event::PaymentConfirmed), Channel::Telegram);
        let bad = |body: &str| check(&candidate(body, &v), defaults::layout(), &site());
        assert_eq!(
            bad("{{planName}} {{hacker}}"),
            Err(Invalid::UnknownVariables(vec!["hacker".into()]))
        );
        assert!(matches!(bad("{{{planName}}}"), Err(Invalid::Template(_))));
        assert!(matches!(
            bad("<div>{{planName}}</div>"),
            Err(Invalid::Template(_))
        ));
        assert!(matches!(bad("<b>{{planName}}"), Err(Invalid::Template(_))));
        assert!(matches!(bad("<b><i>x</b></i>"), Err(Invalid::Template(_))));
        assert!(matches!(bad("{{#if planName}}"), Err(Invalid::Template(_))));
        assert!(bad("<a href=\"https://x\">{{planName}}</a> <tg-spoiler>s</tg-spoiler>").is_ok());
    }

    #[test]
    fn layout_needs_the_partial_block() {
        let v = vars::allowed(None, Channel::Email);
        let c = Candidate {
            key: "layout",
            channel: Channel::Email,
            event: None,
            subject: None,
            body: "<html>{{appName}}</html>",
            text_body: None,
            variables: &v,
        };
        assert!(check(&c, c.body, &site()).is_err());
        let ok = Candidate {
            body: "<html>{{appName}}{{> @partial-block}}</html>",
            ..c
        };
        assert!(check(&ok, ok.body, &site()).is_ok());
    }
}
