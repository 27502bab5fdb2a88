//! The plain-text alternative derived from rendered HTML (notification.md §5.1 `textBody`):
//! tags removed, links as `text (url)`, whitespace collapsed.

/// Entities the default templates and the HTML escaper produce.
const ENTITIES: [(&str, &str); 9] = [
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", "\""),
    ("&#x27;", "'"),
    ("&#39;", "'"),
    ("&#x60;", "`"),
    ("&#x3D;", "="),
    ("&copy;", "©"),
    ("&nbsp;", " "),
];

pub fn from_html(html: &str) -> String {
    let body = drop_element(html, "head");
    let mut out = String::new();
    let mut rest = body.as_str();
    let mut pending_href: Option<String> = None;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let closing = tag.starts_with('/');
        match name.as_str() {
            "a" if !closing => pending_href = attribute(tag, "href"),
            "a" => {
                if let Some(href) = pending_href.take().filter(|h| !h.is_empty()) {
                    let href = href.strip_prefix("mailto:").unwrap_or(&href).to_owned();
                    if !out.trim_end().ends_with(&href) {
                        out.push_str(&format!(" ({href})"));
                    }
                }
            }
            "br" => out.push('\n'),
            "p" | "tr" | "table" | "div" | "h1" | "h2" | "h3" | "li" if closing => out.push('\n'),
            "td" if closing => out.push(' '),
            _ => {}
        }
    }
    out.push_str(rest);
    let decoded = decode(&out);
    let lines: Vec<String> = decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut text = String::new();
    let mut blank = true;
    for line in lines {
        if line.is_empty() {
            if !blank {
                text.push('\n');
            }
            blank = true;
        } else {
            text.push_str(&line);
            text.push('\n');
            blank = false;
        }
    }
    text.trim().to_owned()
}

fn drop_element(html: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    match (html.find(&open), html.find(&close)) {
        (Some(s), Some(e)) if e > s => format!("{}{}", &html[..s], &html[e + close.len()..]),
        _ => html.to_owned(),
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!("{name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')?;
    Some(decode(&tag[start..start + end]))
}

fn decode(s: &str) -> String {
    let mut out = s.to_owned();
    for (entity, c) in ENTITIES {
        out = out.replace(entity, c);
    }
    // Last, so that an escaped entity such as `&amp;lt;` stays `&lt;`.
    out.replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_text_with_url() {
        let html = "<html><head><title>T</title></head><body><p>Halo &amp; <b>Budi</b>,</p>\
                    <p><a href=\"https://x.id/a?b=1&amp;c=2\">Bayar   sekarang</a></p>\
                    <table><tr><td>Harga</td><td>Rp 1</td></tr></table></body></html>";
        let text = from_html(html);
        assert_eq!(
            text,
            "Halo & Budi,\nBayar sekarang (https://x.id/a?b=1&c=2)\nHarga Rp 1"
        );
    }

    #[test]
    fn mailto_links_are_not_repeated() {
        let text = from_html("<p>Hubungi <a href=\"mailto:s@w.id\">s@w.id</a>.</p>");
        assert_eq!(text, "Hubungi s@w.id.");
    }
}
