//! Rendering with Handlebars (notification.md §5.2): HTML-escaped e-mail bodies inside the
//! layout, unescaped one-line subjects, and Telegram text escaped for its HTML parse mode.

use handlebars::{Handlebars, RenderError, TemplateError};
use serde_json::{Map, Value, json};

use super::{helpers, text};

pub const SUBJECT_MAX_CHARS: usize = 200;
pub const TELEGRAM_MAX_CHARS: usize = 4096;

/// Why a template could not be rendered, with the position when Handlebars knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderFailure {
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl RenderFailure {
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
            line: None,
            column: None,
        }
    }

    pub fn details(&self) -> Value {
        let mut d = json!({ "reason": self.reason });
        if let Some(line) = self.line {
            d["line"] = json!(line);
        }
        if let Some(column) = self.column {
            d["column"] = json!(column);
        }
        d
    }
}

impl std::fmt::Display for RenderFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (baris {line}, kolom {column})")?;
        }
        Ok(())
    }
}

impl From<TemplateError> for RenderFailure {
    fn from(e: TemplateError) -> Self {
        let (line, column) = e.pos().map_or((None, None), |(l, c)| (Some(l), Some(c)));
        Self {
            reason: e.reason().to_string(),
            line,
            column,
        }
    }
}

impl From<RenderError> for RenderFailure {
    fn from(e: RenderError) -> Self {
        Self {
            reason: e.reason().to_string(),
            line: e.line_no,
            column: e.column_no,
        }
    }
}

/// The stored parts of an e-mail template.
#[derive(Debug, Clone, Copy)]
pub struct EmailSource<'a> {
    pub subject: &'a str,
    pub body: &'a str,
    pub text_body: Option<&'a str>,
    pub layout: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
}

fn registry(escape: fn(&str) -> String) -> Handlebars<'static> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(escape);
    // Partials keep the body's own line structure instead of re-indenting it.
    hb.set_prevent_indent(true);
    helpers::register(&mut hb);
    hb
}

fn render_one(
    hb: &mut Handlebars<'static>,
    name: &str,
    source: &str,
    vars: &Map<String, Value>,
) -> Result<String, RenderFailure> {
    hb.register_template_string(name, source)?;
    Ok(hb.render(name, vars)?)
}

/// One line, no escaping, at most [`SUBJECT_MAX_CHARS`].
pub fn render_subject(source: &str, vars: &Map<String, Value>) -> Result<String, RenderFailure> {
    let mut hb = registry(handlebars::no_escape);
    let raw = render_one(&mut hb, "subject", source, vars)?;
    let one_line = raw
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(one_line.chars().take(SUBJECT_MAX_CHARS).collect())
}

/// Subject, HTML inside the layout, and the plain-text alternative (its own template, or
/// derived from the HTML).
pub fn render_email(
    source: EmailSource<'_>,
    vars: &Map<String, Value>,
) -> Result<RenderedEmail, RenderFailure> {
    let subject = render_subject(source.subject, vars)?;
    let mut vars = vars.clone();
    vars.insert("subject".into(), json!(subject));
    let mut hb = registry(handlebars::html_escape);
    hb.register_partial(super::defaults::LAYOUT_KEY, source.layout)?;
    let html = render_one(&mut hb, "body", source.body, &vars)?;
    let text = match source.text_body {
        Some(text_source) => {
            let mut plain = registry(handlebars::no_escape);
            render_one(&mut plain, "text", text_source, &vars)?
        }
        None => text::from_html(&html),
    };
    Ok(RenderedEmail {
        subject,
        html,
        text,
    })
}

/// Escapes exactly what Telegram's HTML mode needs escaped in text and attribute values.
pub fn telegram_escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Telegram text, trimmed, refused beyond [`TELEGRAM_MAX_CHARS`].
pub fn render_telegram(source: &str, vars: &Map<String, Value>) -> Result<String, RenderFailure> {
    let mut hb = registry(telegram_escape);
    let text = render_one(&mut hb, "telegram", source, vars)?
        .trim()
        .to_owned();
    let length = text.chars().count();
    if length > TELEGRAM_MAX_CHARS {
        return Err(RenderFailure::new(format!(
            "pesan Telegram {length} karakter, maksimal {TELEGRAM_MAX_CHARS}"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::vars::{Recipient, Site, build};
    use crate::domain::{Channel, Event, data};
    use crate::templates::defaults::{DEFAULTS, layout};

    fn vars(event: Event, channel: Channel) -> Map<String, Value> {
        let site = Site {
            support_email: "support@webrana.id".into(),
            dashboard_url: "http://localhost:4200".into(),
            telegram_include_password: true,
        };
        let recipient = Recipient {
            email: "budi@example.com".into(),
            full_name: Some("Budi <Santoso>".into()),
        };
        let now = time::OffsetDateTime::UNIX_EPOCH;
        build(event, channel, &data::sample(event), &recipient, &site, now)
    }

    #[test]
    fn every_default_template_renders_with_sample_data() {
        for t in DEFAULTS.iter().filter(|t| t.event.is_some()) {
            let event = t.event.unwrap_or(Event::OrderCreated);
            let v = vars(event, t.channel);
            match t.channel {
                Channel::Email => {
                    let source = EmailSource {
                        subject: t.subject.unwrap_or_default(),
                        body: t.body,
                        text_body: None,
                        layout: layout(),
                    };
                    let out = render_email(source, &v).expect(t.key);
                    assert!(
                        out.subject.starts_with("[WeBrana Cloud] "),
                        "{}",
                        out.subject
                    );
                    for part in [&out.subject, &out.html, &out.text] {
                        assert!(!part.contains("{{"), "{}: {part}", t.key);
                    }
                    assert!(out.html.contains("Budi &lt;Santoso&gt;"), "{}", t.key);
                    assert!(out.html.contains("<title>"), "{}", t.key);
                    assert!(out.text.contains("Halo Budi <Santoso>"), "{}", t.key);
                    assert!(!out.text.contains("<p>"), "{}", t.key);
                }
                Channel::Telegram => {
                    let out = render_telegram(t.body, &v).expect(t.key);
                    assert!(!out.contains("{{"), "{}", t.key);
                    assert!(out.contains("6F0429EA"), "{}: {out}", t.key);
                }
            }
        }
    }

    #[test]
    fn money_and_dates_appear_formatted() {
        let v = vars(Event::PaymentConfirmed, Channel::Telegram);
        let t = DEFAULTS
            .iter()
            .find(|t| t.key == "payment-confirmed" && t.channel == Channel::Telegram)
            .expect("template");
        let out = render_telegram(t.body, &v).expect("render");
        assert!(out.contains("<b>Rp 300.000</b>"), "{out}");
        assert!(out.contains("15 Januari 2025 17.01 WIB"), "{out}");
    }

    #[test]
    fn telegram_escaping_is_minimal() {
        assert_eq!(
            telegram_escape("a & <b> \"c\" 'd'"),
            "a &amp; &lt;b&gt; &quot;c&quot; 'd'"
        );
        let mut v = Map::new();
        v.insert("x".into(), json!("<i>&'"));
        assert_eq!(
            render_telegram("<b>{{x}}</b>", &v).expect("render"),
            "<b>&lt;i&gt;&amp;'</b>"
        );
    }

    #[test]
    fn subjects_are_one_unescaped_line_of_at_most_200() {
        let mut v = Map::new();
        v.insert("x".into(), json!("A & B\n<C>"));
        assert_eq!(render_subject("{{x}}", &v).expect("render"), "A & B <C>");
        v.insert("x".into(), json!("é".repeat(300)));
        assert_eq!(
            render_subject("{{x}}", &v).expect("render").chars().count(),
            200
        );
    }

    #[test]
    fn compile_errors_carry_a_position() {
        let err = render_telegram("ok\n{{#if x}}never closed", &Map::new()).expect_err("broken");
        assert!(err.line.is_some(), "{err:?}");
        let long = "x".repeat(4097);
        assert!(render_telegram(&long, &Map::new()).is_err());
    }
}
