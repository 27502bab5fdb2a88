//! Telegram's HTML parse mode (integrations.md §3.2): the tags it knows, strict nesting and the
//! entities it decodes, turned into plain text and message entities the way the Bot API answers
//! them. Errors read like Telegram's (`can't parse entities: …`, after tdlib's parser).

use serde::Serialize;

/// A formatted span of the plain text; offsets and lengths count UTF-16 code units, as
/// Telegram's do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub offset: usize,
    pub length: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub text: String,
    pub entities: Vec<Entity>,
}

struct Open {
    name: String,
    kind: Option<&'static str>,
    start: usize,
    url: Option<String>,
    language: Option<String>,
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The entity a start tag opens (`None` for a `<code>` whose language goes to the enclosing
/// `<pre>`), or `Err` when Telegram does not know the tag.
fn kind_of(name: &str, attributes: &[(String, String)]) -> Result<Option<&'static str>, ()> {
    let attr = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    Ok(Some(match name {
        "b" | "strong" => "bold",
        "i" | "em" => "italic",
        "u" | "ins" => "underline",
        "s" | "strike" | "del" => "strikethrough",
        "tg-spoiler" => "spoiler",
        "span" if attr("class") == Some("tg-spoiler") => "spoiler",
        "a" => "text_link",
        "code" => "code",
        "pre" => "pre",
        "blockquote" if attr("expandable").is_some() => "expandable_blockquote",
        "blockquote" => "blockquote",
        _ => return Err(()),
    }))
}

/// `&lt;` `&gt;` `&amp;` `&quot;` and numeric entities; anything else after `&` stays literal, as
/// Telegram leaves it. Returns the decoded character and the bytes consumed.
fn entity_at(s: &str) -> Option<(char, usize)> {
    let end = s.find(';').filter(|&e| e <= 12)?;
    let body = &s[1..end];
    let c = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let number = body.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse::<u32>().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some((c, end + 1))
}

fn decode_into(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        match entity_at(rest) {
            Some((c, used)) => {
                out.push(c);
                rest = &rest[used..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
}

fn error(message: String) -> String {
    format!("Bad Request: can't parse entities: {message}")
}

struct StartTag {
    /// Lower case.
    name: String,
    attributes: Vec<(String, String)>,
    /// The byte offset after `>`.
    end: usize,
}

/// Parses `<name attr="value" …>` starting at byte `at` (just after `<`).
fn start_tag(input: &str, at: usize) -> Result<StartTag, String> {
    let bytes = input.as_bytes();
    let mut i = at;
    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'-') {
        i += 1;
    }
    let name = input[at..i].to_ascii_lowercase();
    if name.is_empty() {
        return Err(error(format!(
            "Unsupported start tag \"\" at byte offset {}",
            at - 1
        )));
    }
    let mut attributes = Vec::new();
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        match bytes.get(i) {
            None => {
                return Err(error(format!(
                    "Unclosed start tag at byte offset {}",
                    at - 1
                )));
            }
            Some(b'>') => {
                return Ok(StartTag {
                    name,
                    attributes,
                    end: i + 1,
                });
            }
            Some(_) => {}
        }
        let key_start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !matches!(bytes[i], b'=' | b'>')
        {
            i += 1;
        }
        let key = input[key_start..i].to_ascii_lowercase();
        if key.is_empty() {
            return Err(error(format!(
                "Empty attribute name in the tag \"{name}\" at byte offset {}",
                at - 1
            )));
        }
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            // A bare attribute such as `expandable`.
            attributes.push((key, String::new()));
            continue;
        }
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let raw = match bytes.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                let Some(len) = input[i + 1..].find(char::from(quote)) else {
                    return Err(error(format!(
                        "Unclosed start tag \"{name}\" at byte offset {}",
                        at - 1
                    )));
                };
                let value = &input[i + 1..i + 1 + len];
                i += len + 2;
                value
            }
            _ => {
                let value_start = i;
                while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                    i += 1;
                }
                &input[value_start..i]
            }
        };
        let mut value = String::new();
        decode_into(&mut value, raw);
        attributes.push((key, value));
    }
}

/// Parses Telegram-HTML into plain text and entities.
pub fn parse(input: &str) -> Result<Parsed, String> {
    let mut text = String::new();
    let mut units = 0usize;
    let mut entities = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut i = 0usize;
    while i < input.len() {
        let rest = &input[i..];
        let next = rest.find('<').unwrap_or(rest.len());
        if next > 0 {
            let before = text.len();
            decode_into(&mut text, &rest[..next]);
            units += utf16_len(&text[before..]);
            i += next;
            continue;
        }
        let tag_at = i;
        if let Some(after) = rest.strip_prefix("</") {
            let name_len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(after.len());
            let name = after[..name_len].to_ascii_lowercase();
            let tail = after[name_len..].trim_start();
            if !tail.starts_with('>') {
                return Err(error(format!("Unclosed end tag at byte offset {tag_at}")));
            }
            let consumed = 2 + name_len + (after.len() - name_len - tail.len()) + 1;
            let Some(open) = stack.pop() else {
                return Err(error(format!("Unexpected end tag at byte offset {tag_at}")));
            };
            if open.name != name {
                return Err(error(format!(
                    "Unmatched end tag at byte offset {tag_at}, expected \"</{}>\", found \"</{name}>\"",
                    open.name
                )));
            }
            if open.name == "code"
                && open.language.is_some()
                && let Some(pre) = stack.last_mut()
                && pre.name == "pre"
                && pre.start == open.start
            {
                pre.language = open.language.clone();
            }
            if let Some(kind) = open.kind
                && units > open.start
            {
                entities.push(Entity {
                    kind,
                    offset: open.start,
                    length: units - open.start,
                    url: open.url,
                    language: if kind == "pre" { open.language } else { None },
                });
            }
            i = tag_at + consumed;
            continue;
        }
        let StartTag {
            name,
            attributes,
            end,
        } = start_tag(input, i + 1)?;
        let Ok(mut kind) = kind_of(&name, &attributes) else {
            return Err(error(format!(
                "Unsupported start tag \"{name}\" at byte offset {tag_at}"
            )));
        };
        let language = (name == "code")
            .then(|| {
                attributes
                    .iter()
                    .find(|(k, _)| k == "class")
                    .and_then(|(_, v)| v.strip_prefix("language-"))
                    .map(str::to_owned)
            })
            .flatten();
        // `<pre><code class="language-x">` is one pre entity with a language.
        if name == "code"
            && language.is_some()
            && stack
                .last()
                .is_some_and(|p| p.name == "pre" && p.start == units)
        {
            kind = None;
        }
        let url = (name == "a").then(|| {
            attributes
                .iter()
                .find(|(k, _)| k == "href")
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        });
        stack.push(Open {
            name,
            kind,
            start: units,
            url,
            language,
        });
        i = end;
    }
    if let Some(open) = stack.pop() {
        return Err(error(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            open.name
        )));
    }
    entities.sort_by_key(|e| (e.offset, std::cmp::Reverse(e.length)));
    Ok(Parsed { text, entities })
}

/// Text without parse mode, with the bot commands Telegram marks in incoming messages.
pub fn command_entities(text: &str) -> Vec<Entity> {
    let Some(command) = text
        .split_whitespace()
        .next()
        .filter(|w| w.starts_with('/'))
    else {
        return Vec::new();
    };
    if !text.starts_with('/') {
        return Vec::new();
    }
    vec![Entity {
        kind: "bot_command",
        offset: 0,
        length: utf16_len(command),
        url: None,
        language: None,
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(parsed: &Parsed) -> Vec<(&str, usize, usize)> {
        parsed
            .entities
            .iter()
            .map(|e| (e.kind, e.offset, e.length))
            .collect()
    }

    #[test]
    fn the_notification_templates_parse() {
        let parsed = parse(
            "✅ <b>Pembayaran diterima</b>\nPesanan: <code>6F0429EA</code> — VPS &amp; Co\n\
             Kata sandi: <tg-spoiler>s3cr&lt;t</tg-spoiler>",
        )
        .expect("valid");
        assert!(parsed.text.starts_with("✅ Pembayaran diterima\n"));
        assert!(parsed.text.contains("VPS & Co"));
        assert!(parsed.text.ends_with("s3cr<t"));
        // ✅ is one UTF-16 unit, then a space.
        assert_eq!(kinds(&parsed)[0], ("bold", 2, 19));
        assert_eq!(kinds(&parsed)[1].0, "code");
        assert_eq!(kinds(&parsed)[2].0, "spoiler");
    }

    #[test]
    fn links_pre_with_language_and_numeric_entities() {
        let parsed = parse(
            "<a href=\"https://x.test/?a=1&amp;b=2\">x</a> <pre><code class=\"language-rust\">fn</code></pre> &#65;&#x42; &nbsp; 1 > 0",
        )
        .expect("valid");
        assert_eq!(parsed.text, "x fn AB &nbsp; 1 > 0");
        assert_eq!(
            parsed.entities[0].url.as_deref(),
            Some("https://x.test/?a=1&b=2")
        );
        assert_eq!(parsed.entities[1].kind, "pre");
        assert_eq!(parsed.entities[1].language.as_deref(), Some("rust"));
        assert_eq!(parsed.entities.len(), 2);
    }

    #[test]
    fn bad_markup_is_refused_like_telegram_does() {
        for (input, fragment) in [
            ("<div>x</div>", "Unsupported start tag \"div\""),
            ("<b>x</i>", "Unmatched end tag"),
            ("<b><i>x</b></i>", "Unmatched end tag"),
            (
                "<b>x",
                "Can't find end tag corresponding to start tag \"b\"",
            ),
            ("x</b>", "Unexpected end tag"),
            ("1 < 2", "Unsupported start tag \"\""),
            ("<b x", "Unclosed start tag"),
            ("<span>x</span>", "Unsupported start tag \"span\""),
        ] {
            let err = parse(input).expect_err(input);
            assert!(
                err.starts_with("Bad Request: can't parse entities: "),
                "{err}"
            );
            assert!(err.contains(fragment), "{input}: {err}");
        }
    }

    #[test]
    fn commands_are_marked() {
        assert_eq!(command_entities("/start ABCD2345")[0].length, 6);
        assert!(command_entities("halo /start").is_empty());
        assert!(command_entities("").is_empty());
    }
}
