//! Times on the wire: ISO 8601 in UTC with milliseconds and `Z` (platform.md §4).

use serde::{Deserialize, Deserializer, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const WIRE: &[time::format_description::FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// `2025-01-15T10:00:00.000Z`.
pub fn format(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(WIRE)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Accepts any RFC 3339 offset and normalises to UTC.
pub fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(UtcOffset::UTC))
}

/// `#[serde(with = "platform::time_format::wire")]`
pub mod wire {
    use super::*;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let raw = String::deserialize(d)?;
        parse(&raw).ok_or_else(|| serde::de::Error::custom("expected an ISO 8601 timestamp"))
    }
}

/// `#[serde(with = "platform::time_format::wire_option")]`
pub mod wire_option {
    use super::*;

    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format(*t)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let raw = Option::<String>::deserialize(d)?;
        match raw {
            None => Ok(None),
            Some(raw) => parse(&raw)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom("expected an ISO 8601 timestamp")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn formats_with_millis_and_z() {
        assert_eq!(
            format(datetime!(2025-01-15 10:00:00.123456 UTC)),
            "2025-01-15T10:00:00.123Z"
        );
        assert_eq!(
            format(datetime!(2025-01-15 17:00:00 +07:00)),
            "2025-01-15T10:00:00.000Z"
        );
    }

    #[test]
    fn parses_other_offsets_into_utc() {
        let t = parse("2025-01-15T17:00:00+07:00").expect("valid");
        assert_eq!(format(t), "2025-01-15T10:00:00.000Z");
        assert!(parse("yesterday").is_none());
    }
}
