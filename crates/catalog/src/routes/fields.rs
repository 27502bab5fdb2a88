//! Field readers over the platform's strict JSON reader: every reader records its own problem
//! (in Bahasa Indonesia, naming the field) and returns `None` when the value is missing or
//! invalid, so a body lists all of its problems at once.
//!
//! Optional readers return `None` for "absent, null or invalid": an invalid value has already
//! failed the request through its recorded problem, so callers may fall back to defaults freely.

use std::collections::HashSet;

use platform::extract::{JsonFields, Patch, QueryFields};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::bandwidth::Bandwidth;
use crate::domain::rupiah;

/// The largest Rupiah amount accepted anywhere (10^15): far above any real price, far below any
/// overflow in the discount arithmetic or the database.
pub const MAX_MONEY: i64 = 1_000_000_000_000_000;
pub const MAX_INT: i64 = i32::MAX as i64;

fn clean(raw: String) -> String {
    raw.trim().to_string()
}

fn check_text(f: &mut JsonFields, name: &str, value: String, max: usize) -> Option<String> {
    let count = value.chars().count();
    if count == 0 {
        f.problem(name, format!("{name} tidak boleh kosong"));
        None
    } else if count > max {
        f.problem(name, format!("{name} maksimal {max} karakter"));
        None
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        f.problem(
            name,
            format!("{name} mengandung karakter yang tidak diizinkan"),
        );
        None
    } else {
        Some(value)
    }
}

/// Required text, trimmed, 1–`max` characters.
pub fn req_text(f: &mut JsonFields, name: &str, max: usize) -> Option<String> {
    let raw = f.string(name)?;
    check_text(f, name, clean(raw), max)
}

/// Optional text, trimmed, at most `max` characters; blank counts as absent.
pub fn opt_text(f: &mut JsonFields, name: &str, max: usize) -> Option<String> {
    let raw = clean(f.opt_string(name)?);
    if raw.is_empty() {
        return None;
    }
    check_text(f, name, raw, max)
}

/// Optional text that may not be blank when given (a PATCH of a required column).
pub fn opt_nonblank_text(f: &mut JsonFields, name: &str, max: usize) -> Option<String> {
    let raw = clean(f.opt_string(name)?);
    check_text(f, name, raw, max)
}

/// PATCH semantics: absent leaves the value, `null` clears it (callers of non-nullable columns
/// treat it as absent, platform.md §4), anything else is read with `read`.
pub fn patch<T>(
    f: &mut JsonFields,
    name: &str,
    read: impl FnOnce(&mut JsonFields) -> Option<T>,
) -> Patch<T> {
    if !f.present(name) {
        return Patch::Absent;
    }
    if f.opt_value(name).is_none() {
        return Patch::Null;
    }
    match read(f) {
        Some(v) => Patch::Value(v),
        None => Patch::Absent,
    }
}

/// A PATCH of a nullable text column: `Some(None)` clears it.
pub fn patch_opt_text(f: &mut JsonFields, name: &str, max: usize) -> Option<Option<String>> {
    match patch(f, name, |f| {
        let raw = clean(f.opt_string(name)?);
        if raw.is_empty() {
            // Blank clears, like null.
            return Some(None);
        }
        check_text(f, name, raw, max).map(Some)
    }) {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Value(v) => Some(v),
    }
}

/// A non-nullable column in a PATCH: `null` and absent both leave it unchanged.
pub fn patch_value<T>(p: Patch<T>) -> Option<T> {
    match p {
        Patch::Value(v) => Some(v),
        Patch::Absent | Patch::Null => None,
    }
}

/// A nullable column in a PATCH: `Some(None)` clears it.
pub fn patch_nullable<T>(p: Patch<T>) -> Option<Option<T>> {
    match p {
        Patch::Absent => None,
        Patch::Null => Some(None),
        Patch::Value(v) => Some(Some(v)),
    }
}

fn range_message(name: &str, min: i64, max: i64) -> String {
    if max >= MAX_MONEY {
        format!("{name} minimal {}", rupiah::thousands(min))
    } else {
        format!(
            "{name} harus antara {} dan {}",
            rupiah::thousands(min),
            rupiah::thousands(max)
        )
    }
}

fn in_range(f: &mut JsonFields, name: &str, value: i64, min: i64, max: i64) -> Option<i64> {
    if (min..=max).contains(&value) {
        Some(value)
    } else {
        f.problem(name, range_message(name, min, max));
        None
    }
}

/// A required JSON integer in `min..=max` (no coercion: `"10"` and `10.0` are refused).
pub fn req_int(f: &mut JsonFields, name: &str, min: i64, max: i64) -> Option<i64> {
    let value = f.i64(name)?;
    in_range(f, name, value, min, max)
}

pub fn opt_int(f: &mut JsonFields, name: &str, min: i64, max: i64) -> Option<i64> {
    let value = f.opt_i64(name)?;
    in_range(f, name, value, min, max)
}

/// `opt_int` narrowed to an INT column.
pub fn opt_i32(f: &mut JsonFields, name: &str, min: i64, max: i64) -> Option<i32> {
    opt_int(f, name, min, max).and_then(|v| i32::try_from(v).ok())
}

pub fn req_i32(f: &mut JsonFields, name: &str, min: i64, max: i64) -> Option<i32> {
    req_int(f, name, min, max).and_then(|v| i32::try_from(v).ok())
}

/// Required text that must satisfy `valid`; `rule` describes the rule to the caller.
pub fn req_matching(
    f: &mut JsonFields,
    name: &str,
    valid: fn(&str) -> bool,
    rule: &str,
) -> Option<String> {
    let value = f.string(name)?;
    if valid(&value) {
        Some(value)
    } else {
        f.problem(name, format!("{name} {rule}"));
        None
    }
}

pub fn opt_matching(
    f: &mut JsonFields,
    name: &str,
    valid: fn(&str) -> bool,
    rule: &str,
) -> Option<String> {
    let value = f.opt_string(name)?;
    if valid(&value) {
        Some(value)
    } else {
        f.problem(name, format!("{name} {rule}"));
        None
    }
}

/// One of `names`, compared exactly, mapped with `parse`.
pub fn opt_enum<T>(
    f: &mut JsonFields,
    name: &str,
    names: &[&str],
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = f.opt_string(name)?;
    match parse(&raw) {
        Some(v) => Some(v),
        None => {
            f.problem(
                name,
                format!("{name} harus salah satu dari: {}", names.join(", ")),
            );
            None
        }
    }
}

pub fn req_enum<T>(
    f: &mut JsonFields,
    name: &str,
    names: &[&str],
    parse: fn(&str) -> Option<T>,
) -> Option<T> {
    let present = f.present(name) && f.opt_value(name).is_some();
    let value = opt_enum(f, name, names, parse);
    if !present {
        f.problem(name, format!("{name} wajib diisi"));
    }
    value
}

/// An ISO 8601 time with an offset, normalised to UTC.
pub fn opt_time(f: &mut JsonFields, name: &str) -> Option<OffsetDateTime> {
    let raw = f.opt_string(name)?;
    match platform::time_format::parse(&raw) {
        Some(t) => Some(t),
        None => {
            f.problem(
                name,
                format!("{name} harus berupa waktu ISO 8601, mis. 2025-01-15T10:00:00.000Z"),
            );
            None
        }
    }
}

pub fn req_time(f: &mut JsonFields, name: &str) -> Option<OffsetDateTime> {
    let present = f.present(name) && f.opt_value(name).is_some();
    let value = opt_time(f, name);
    if !present {
        f.problem(name, format!("{name} wajib diisi"));
    }
    value
}

/// A JSON number of terabytes, ≥ 0 with at most two decimals.
pub fn opt_bandwidth(f: &mut JsonFields, name: &str) -> Option<Bandwidth> {
    let value = f.opt_value(name)?;
    let parsed = match &value {
        Value::Number(n) => Bandwidth::parse_decimal(&n.to_string()),
        _ => None,
    };
    if parsed.is_none() {
        f.problem(
            name,
            format!("{name} harus berupa angka 0–999999,99 dengan paling banyak 2 desimal"),
        );
    }
    parsed
}

pub fn req_bandwidth(f: &mut JsonFields, name: &str) -> Option<Bandwidth> {
    let present = f.present(name) && f.opt_value(name).is_some();
    let value = opt_bandwidth(f, name);
    if !present {
        f.problem(name, format!("{name} wajib diisi"));
    }
    value
}

/// The elements of an array property, at most `max`; `None` when absent or not an array.
fn array(f: &mut JsonFields, name: &str, max: usize) -> Option<Vec<Value>> {
    match f.opt_value(name)? {
        Value::Array(items) if items.len() <= max => Some(items),
        Value::Array(_) => {
            f.problem(name, format!("{name} berisi paling banyak {max} elemen"));
            None
        }
        _ => {
            f.problem(name, format!("{name} harus berupa array"));
            None
        }
    }
}

/// An array of UUIDs, de-duplicated in order.
pub fn opt_uuid_list(f: &mut JsonFields, name: &str, max: usize) -> Option<Vec<Uuid>> {
    let items = array(f, name, max)?;
    let mut out: Vec<Uuid> = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match item.as_str().and_then(platform::extract::parse_uuid) {
            Some(id) => {
                if !out.contains(&id) {
                    out.push(id);
                }
            }
            None => {
                ok = false;
                f.problem(
                    &format!("{name}[{i}]"),
                    format!("{name}[{i}] harus berupa UUID v4"),
                );
            }
        }
    }
    ok.then_some(out)
}

/// An array of strings each satisfying `valid`; duplicates dropped when `dedupe`, refused
/// otherwise.
pub fn opt_string_list(
    f: &mut JsonFields,
    name: &str,
    max: usize,
    valid: fn(&str) -> bool,
    rule: &str,
    dedupe: bool,
) -> Option<Vec<String>> {
    let items = array(f, name, max)?;
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        let path = format!("{name}[{i}]");
        match item.as_str() {
            Some(s) if valid(s) => {
                if seen.insert(s.to_string()) {
                    out.push(s.to_string());
                } else if !dedupe {
                    ok = false;
                    f.problem(&path, format!("{path} muncul lebih dari sekali"));
                }
            }
            _ => {
                ok = false;
                f.problem(&path, format!("{path} {rule}"));
            }
        }
    }
    ok.then_some(out)
}

/// An array of objects, each read by `read` with the same strictness as a body; problems are
/// named `name[i].field`.
pub fn opt_objects<T>(
    f: &mut JsonFields,
    name: &str,
    max: usize,
    read: fn(&mut JsonFields) -> Option<T>,
) -> Option<Vec<T>> {
    let items = array(f, name, max)?;
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.into_iter().enumerate() {
        // The platform reader reports nested problems as `key.field`, with unknown-property
        // detection; keying the element as `name[i]` gives the index path of platform.md §6.
        let key = format!("{name}[{i}]");
        let mut holder = JsonFields::new(Map::from_iter([(key.clone(), item)]));
        let value = holder.opt_object(&key, read).flatten();
        let problems = std::mem::take(&mut holder.problems).into_vec();
        let clean = problems.is_empty();
        for p in problems {
            f.problems.add(p.field, p.message);
        }
        match value {
            Some(v) if clean => out.push(v),
            Some(_) => ok = false,
            None => {
                ok = false;
                if clean {
                    // Only a null element fails without a problem of its own.
                    f.problem(&key, format!("{key} harus berupa objek"));
                }
            }
        }
    }
    ok.then_some(out)
}

/// `true`/`false` in a query string.
pub fn query_bool(q: &mut QueryFields, name: &str) -> Option<bool> {
    q.one_of(name, &["true", "false"]).map(|v| v == "true")
}

/// A search term of at most 255 characters.
pub fn query_search(q: &mut QueryFields, name: &str) -> Option<String> {
    let value = q.string(name)?.trim().to_string();
    if value.chars().count() > 255 {
        q.problem(name, format!("{name} maksimal 255 karakter"));
        return None;
    }
    (!value.is_empty()).then_some(value)
}

/// Lower-case letters, digits and hyphens from `extra`, with length bounds.
fn charset(s: &str, min: usize, max: usize, extra: &str) -> bool {
    (min..=max).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || extra.contains(c))
}

/// `^[a-z0-9][a-z0-9-]{1,63}$`
pub fn is_plan_name(s: &str) -> bool {
    charset(s, 2, 64, "-") && !s.starts_with('-')
}

/// `^[a-z0-9-]{1,100}$`
pub fn is_size_slug(s: &str) -> bool {
    charset(s, 1, 100, "-")
}

/// `^[a-z0-9-]{1,32}$`
pub fn is_tag(s: &str) -> bool {
    charset(s, 1, 32, "-")
}

/// `^[a-z0-9.-]{1,100}$`
pub fn is_image_slug(s: &str) -> bool {
    charset(s, 1, 100, ".-")
}

/// `^[A-Za-z0-9_-]+$`, 3–32 characters.
pub fn is_coupon_code(s: &str) -> bool {
    (3..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> JsonFields {
        match v {
            Value::Object(map) => JsonFields::new(map),
            _ => panic!("object expected"),
        }
    }

    fn problem_fields(f: JsonFields) -> Vec<String> {
        f.problems.into_vec().into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn patterns_follow_the_spec() {
        assert!(is_plan_name("nano") && is_plan_name("a1") && is_plan_name("0-x"));
        assert!(!is_plan_name("a") && !is_plan_name("-ab") && !is_plan_name("Nano"));
        assert!(!is_plan_name(&"a".repeat(65)) && is_plan_name(&"a".repeat(64)));
        assert!(is_size_slug("s-1vcpu-1gb") && !is_size_slug("s_1") && !is_size_slug(""));
        assert!(is_image_slug("ubuntu-22.04-x64") && !is_image_slug("Ubuntu"));
        assert!(is_tag("popular") && !is_tag(&"a".repeat(33)));
        assert!(is_coupon_code("we_l-C0") && !is_coupon_code("ab") && !is_coupon_code("a b c"));
    }

    #[test]
    fn object_arrays_report_index_paths_and_unknown_properties() {
        fn read(f: &mut JsonFields) -> Option<i64> {
            req_int(f, "price", 1, MAX_MONEY)
        }
        let mut f = fields(json!({"items": [{"price": 1}, {"price": -5, "cost": 1}, 3]}));
        assert_eq!(opt_objects(&mut f, "items", 10, read), None);
        assert_eq!(
            problem_fields(f),
            vec!["items[1].price", "items[1].cost", "items[2]"]
        );
        let mut f = fields(json!({"items": [{"price": 1}, {"price": 2}]}));
        assert_eq!(opt_objects(&mut f, "items", 10, read), Some(vec![1, 2]));
        assert!(f.problems.is_empty());
    }

    #[test]
    fn patch_tells_absent_from_null_from_value() {
        let mut f = fields(json!({"a": null, "b": "x", "c": 5}));
        assert_eq!(patch(&mut f, "a", |f| f.opt_string("a")), Patch::Null);
        assert_eq!(
            patch(&mut f, "b", |f| f.opt_string("b")),
            Patch::Value("x".to_string())
        );
        assert_eq!(patch(&mut f, "z", |f| f.opt_string("z")), Patch::Absent);
        assert_eq!(patch(&mut f, "c", |f| f.opt_string("c")), Patch::Absent);
        assert_eq!(problem_fields(f), vec!["c"]);
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        let mut f =
            fields(json!({"a": "  hi  ", "b": "x".repeat(256), "c": "   ", "d": "a\u{0}b"}));
        assert_eq!(req_text(&mut f, "a", 255).as_deref(), Some("hi"));
        assert_eq!(req_text(&mut f, "b", 255), None);
        assert_eq!(req_text(&mut f, "c", 255), None);
        assert_eq!(req_text(&mut f, "d", 255), None);
        assert_eq!(opt_text(&mut f, "missing", 255), None);
        assert_eq!(problem_fields(f), vec!["b", "c", "d"]);
    }

    #[test]
    fn lists_dedupe_or_refuse_duplicates() {
        let mut f = fields(json!({"tags": ["a", "b", "a"], "d": ["X", "X"], "ids": ["nope"]}));
        assert_eq!(
            opt_string_list(&mut f, "tags", 10, is_tag, "tidak valid", true),
            Some(vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            opt_string_list(&mut f, "d", 10, |_| true, "tidak valid", false),
            None
        );
        assert_eq!(opt_uuid_list(&mut f, "ids", 10), None);
        assert_eq!(problem_fields(f), vec!["d[1]", "ids[0]"]);
    }
}
