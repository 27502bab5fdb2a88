//! The template helpers of notification.md §5.2: money, WIB dates and duration labels.

use handlebars::{Handlebars, handlebars_helper};
use serde_json::Value;
use time::{OffsetDateTime, UtcOffset};

/// Asia/Jakarta has no daylight saving time: WIB is always UTC+7.
pub const WIB: UtcOffset = match UtcOffset::from_hms(7, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

pub fn to_wib(t: OffsetDateTime) -> OffsetDateTime {
    t.to_offset(WIB)
}

/// `Rp 150.000`, `-Rp 5.000`. Anything but an integer renders empty, like a missing variable.
pub fn idr(value: &Value) -> String {
    let Some(n) = value.as_i64() else {
        return String::new();
    };
    let digits = n.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    if n < 0 {
        format!("-Rp {grouped}")
    } else {
        format!("Rp {grouped}")
    }
}

fn parse(value: &Value) -> Option<OffsetDateTime> {
    value.as_str().and_then(platform::time_format::parse)
}

/// `15 Januari 2025`.
pub fn date(value: &Value) -> String {
    parse(value).map(format_date).unwrap_or_default()
}

/// `15 Januari 2025 17.00 WIB`.
pub fn datetime(value: &Value) -> String {
    match parse(value) {
        Some(t) => {
            let w = to_wib(t);
            format!("{} {:02}.{:02} WIB", format_date(t), w.hour(), w.minute())
        }
        None => String::new(),
    }
}

fn format_date(t: OffsetDateTime) -> String {
    let w = to_wib(t);
    let month = MONTHS[usize::from(u8::from(w.month())) - 1];
    format!("{} {month} {}", w.day(), w.year())
}

pub fn duration_label(value: &Value) -> String {
    match value {
        Value::String(s) => match s.as_str() {
            "MONTHLY" => "1 bulan".into(),
            "QUARTERLY" => "3 bulan".into(),
            "SEMI_ANNUAL" => "6 bulan".into(),
            "ANNUAL" => "12 bulan".into(),
            other => other.into(),
        },
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

handlebars_helper!(IdrHelper: |v: Json| idr(v));
handlebars_helper!(DateHelper: |v: Json| date(v));
handlebars_helper!(DateTimeHelper: |v: Json| datetime(v));
handlebars_helper!(DurationLabelHelper: |v: Json| duration_label(v));

/// Helper names, so the variable check does not mistake them for variables.
pub const NAMES: [&str; 4] = ["idr", "date", "datetime", "durationLabel"];

pub fn register(hb: &mut Handlebars<'_>) {
    hb.register_helper("idr", Box::new(IdrHelper));
    hb.register_helper("date", Box::new(DateHelper));
    hb.register_helper("datetime", Box::new(DateTimeHelper));
    hb.register_helper("durationLabel", Box::new(DurationLabelHelper));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_uses_dot_thousands() {
        assert_eq!(idr(&json!(150000)), "Rp 150.000");
        assert_eq!(idr(&json!(-5000)), "-Rp 5.000");
        assert_eq!(idr(&json!(0)), "Rp 0");
        assert_eq!(idr(&json!(999)), "Rp 999");
        assert_eq!(idr(&json!(1234567)), "Rp 1.234.567");
        assert_eq!(idr(&json!(null)), "");
        assert_eq!(idr(&json!("100")), "");
    }

    #[test]
    fn dates_are_in_wib_with_indonesian_months() {
        assert_eq!(
            datetime(&json!("2025-01-15T10:00:00.000Z")),
            "15 Januari 2025 17.00 WIB"
        );
        assert_eq!(date(&json!("2025-01-15T10:00:00Z")), "15 Januari 2025");
        // Late evening UTC is already the next day (and year) in Jakarta.
        assert_eq!(
            datetime(&json!("2025-12-31T18:30:00Z")),
            "1 Januari 2026 01.30 WIB"
        );
        assert_eq!(date(&json!("2025-08-17T00:00:00+07:00")), "17 Agustus 2025");
        assert_eq!(datetime(&json!("kemarin")), "");
        assert_eq!(date(&json!(null)), "");
    }

    #[test]
    fn durations_have_labels() {
        assert_eq!(duration_label(&json!("MONTHLY")), "1 bulan");
        assert_eq!(duration_label(&json!("QUARTERLY")), "3 bulan");
        assert_eq!(duration_label(&json!("SEMI_ANNUAL")), "6 bulan");
        assert_eq!(duration_label(&json!("ANNUAL")), "12 bulan");
        assert_eq!(duration_label(&json!("2 minggu")), "2 minggu");
    }
}
