//! Input normalisation of account fields (auth.md §5.1, §5.9).

use std::collections::HashSet;
use std::sync::OnceLock;

use platform::extract::JsonFields;

/// Trimmed, lower-cased, syntactically valid, ≤ 255 characters.
pub fn read_email(f: &mut JsonFields, name: &str, required: bool) -> Option<String> {
    let raw = if required {
        f.string(name)
    } else {
        f.opt_string(name)
    }?;
    let email = raw.trim().to_lowercase();
    if email.chars().count() > 255 {
        f.problem(name, format!("{name} maksimal 255 karakter"));
        return None;
    }
    if !platform::extract::is_valid_email(&email) {
        f.problem(name, format!("{name} harus berupa alamat email yang valid"));
        return None;
    }
    Some(email)
}

/// 1–255 characters after trimming, without `<` or `>`.
pub fn check_full_name(f: &mut JsonFields, name: &str, raw: String) -> Option<String> {
    let value = raw.trim().to_string();
    if value.is_empty() {
        f.problem(name, format!("{name} wajib diisi"));
        None
    } else if value.chars().count() > 255 {
        f.problem(name, format!("{name} maksimal 255 karakter"));
        None
    } else if value.contains(['<', '>']) || value.chars().any(char::is_control) {
        f.problem(
            name,
            format!("{name} tidak boleh mengandung karakter < atau >"),
        );
        None
    } else {
        Some(value)
    }
}

/// `^\+?[1-9][0-9]{7,14}$` after trimming.
pub fn check_phone(f: &mut JsonFields, name: &str, raw: String) -> Option<String> {
    let value = raw.trim().to_string();
    let digits = value.strip_prefix('+').unwrap_or(&value);
    let ok = (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Some(value)
    } else {
        f.problem(
            name,
            format!("{name} harus berupa nomor telepon yang valid, mis. +6281234567890"),
        );
        None
    }
}

/// Every accepted `timezone`, in the file's order (the OpenAPI document lists them).
pub fn zone_names() -> Vec<&'static str> {
    include_str!("timezones.txt")
        .lines()
        .filter(|l| !l.is_empty())
        .collect()
}

fn zones() -> &'static HashSet<&'static str> {
    static ZONES: OnceLock<HashSet<&'static str>> = OnceLock::new();
    ZONES.get_or_init(|| zone_names().into_iter().collect())
}

pub fn check_timezone(f: &mut JsonFields, name: &str, raw: String) -> Option<String> {
    if zones().contains(raw.as_str()) {
        Some(raw)
    } else {
        f.problem(
            name,
            format!("{name} harus berupa nama zona waktu IANA, mis. Asia/Jakarta"),
        );
        None
    }
}

/// Two lower-case letters (ISO 639-1).
pub fn check_language(f: &mut JsonFields, name: &str, raw: String) -> Option<String> {
    if raw.len() == 2 && raw.chars().all(|c| c.is_ascii_lowercase()) {
        Some(raw)
    } else {
        f.problem(
            name,
            format!("{name} harus berupa kode bahasa ISO 639-1, mis. id"),
        );
        None
    }
}

/// `timezone` and `language` of a new account, defaulting to `Asia/Jakarta` and `id`.
pub fn read_locale(f: &mut JsonFields) -> (Option<String>, Option<String>) {
    let timezone = match f.opt_string("timezone") {
        Some(v) => check_timezone(f, "timezone", v),
        None => Some("Asia/Jakarta".into()),
    };
    let language = match f.opt_string("language") {
        Some(v) => check_language(f, "language", v),
        None => Some("id".into()),
    };
    (timezone, language)
}

/// A Telegram chat id: digits with an optional leading `-` (1–20 digits); JSON integers are
/// accepted and kept as strings.
pub fn read_chat_id(f: &mut JsonFields, name: &str) -> Option<String> {
    let present = f.present(name);
    let value = f.opt_value(name);
    let raw = match value {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(serde_json::Value::Number(n)) if n.is_i64() => n.to_string(),
        Some(_) => {
            f.problem(name, format!("{name} harus berupa ID chat Telegram"));
            return None;
        }
        None => {
            if !present {
                f.problem(name, format!("{name} wajib diisi"));
            } else {
                f.problem(name, format!("{name} harus berupa ID chat Telegram"));
            }
            return None;
        }
    };
    let digits = raw.strip_prefix('-').unwrap_or(&raw);
    if (1..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Some(raw)
    } else {
        f.problem(name, format!("{name} harus berupa ID chat Telegram"));
        None
    }
}

/// Optional Telegram username, ≤ 64 characters, leading `@` stripped.
pub fn read_telegram_username(f: &mut JsonFields, name: &str) -> Option<String> {
    let raw = f.opt_string(name)?;
    let value = raw.trim().trim_start_matches('@').to_string();
    if value.is_empty()
        || value.chars().count() > 64
        || value.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        f.problem(
            name,
            format!("{name} harus berupa username Telegram (maksimal 64 karakter)"),
        );
        return None;
    }
    Some(value)
}

/// A string field with a length ceiling.
pub fn check_max_len(f: &mut JsonFields, name: &str, raw: String, max: usize) -> Option<String> {
    if raw.chars().count() > max {
        f.problem(name, format!("{name} maksimal {max} karakter"));
        None
    } else {
        Some(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: serde_json::Value) -> JsonFields {
        match v {
            serde_json::Value::Object(map) => JsonFields::new(map),
            _ => JsonFields::new(serde_json::Map::new()),
        }
    }

    #[test]
    fn email_is_normalised() {
        let mut f = fields(json!({"email": "  Budi@Example.COM "}));
        assert_eq!(
            read_email(&mut f, "email", true).as_deref(),
            Some("budi@example.com")
        );
    }

    #[test]
    fn phone_timezone_language() {
        let mut f = fields(json!({}));
        assert!(check_phone(&mut f, "p", "+6281234567890".into()).is_some());
        assert!(check_phone(&mut f, "p", "081234567890".into()).is_none());
        assert!(check_timezone(&mut f, "t", "Asia/Makassar".into()).is_some());
        assert!(check_timezone(&mut f, "t", "Mars/Base".into()).is_none());
        assert!(check_language(&mut f, "l", "en".into()).is_some());
        assert!(check_language(&mut f, "l", "EN".into()).is_none());
        assert!(check_full_name(&mut f, "n", "<script>".into()).is_none());
    }

    #[test]
    fn chat_ids_accept_strings_and_integers() {
        let mut f = fields(json!({"a": "123456789", "b": -100123, "c": "12ab", "d": 1.5}));
        assert_eq!(read_chat_id(&mut f, "a").as_deref(), Some("123456789"));
        assert_eq!(read_chat_id(&mut f, "b").as_deref(), Some("-100123"));
        assert!(read_chat_id(&mut f, "c").is_none());
        assert!(read_chat_id(&mut f, "d").is_none());
    }
}
