//! Sensitive values (notification.md §2.3): they reach the delivering job sealed, and nothing
//! stored in clear carries them.

use serde_json::Value;

pub const MASK: &str = "••••••";

const SENSITIVE: [&str; 4] = ["password", "rootpassword", "secret", "token"];

pub fn is_sensitive(key: &str) -> bool {
    SENSITIVE.contains(&key.to_ascii_lowercase().as_str())
}

/// A copy of `value` with every sensitive key's value (at any depth) replaced by [`MASK`].
/// `null` stays `null`, so templates still see "no password" where there was none.
pub fn redacted(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_sensitive(k) && !v.is_null() {
                        Value::String(MASK.to_owned())
                    } else {
                        redacted(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

/// Whether `value` holds any sensitive value at all.
pub fn has_sensitive(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| (is_sensitive(k) && !v.is_null()) || has_sensitive(v)),
        Value::Array(items) => items.iter().any(has_sensitive),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_at_any_depth_case_insensitively() {
        let v = json!({"password": "p", "nested": {"RootPassword": "r", "list": [{"Token": "t"}]},
                       "secret": null, "planName": "x"});
        let r = redacted(&v);
        assert_eq!(r["password"], MASK);
        assert_eq!(r["nested"]["RootPassword"], MASK);
        assert_eq!(r["nested"]["list"][0]["Token"], MASK);
        assert_eq!(r["secret"], Value::Null);
        assert_eq!(r["planName"], "x");
        assert!(!r.to_string().contains("\"p\""));
        assert!(has_sensitive(&v));
        assert!(!has_sensitive(&json!({"secret": null, "a": [1]})));
    }
}
