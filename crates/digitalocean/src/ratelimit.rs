//! DigitalOcean's rate-limit headers and the wait after a `429` (integrations.md §2.1).

use std::time::Duration;

use reqwest::header::HeaderMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` of one answer. Each is `None`
/// when absent or unreadable; a proxy in front of the API may strip them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// Requests allowed per window.
    pub limit: Option<u64>,
    /// Requests left in the window.
    pub remaining: Option<u64>,
    /// Unix time at which the oldest counted request leaves the window.
    pub reset_at: Option<i64>,
}

impl RateLimit {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        Self {
            limit: header_number(headers, "ratelimit-limit"),
            remaining: header_number(headers, "ratelimit-remaining"),
            reset_at: header_number(headers, "ratelimit-reset"),
        }
    }

    /// How long until `reset_at`, zero when it has passed or is unknown.
    pub fn reset_in(&self, now_unix: i64) -> Duration {
        self.reset_at
            .map(|reset| seconds(reset.saturating_sub(now_unix)))
            .unwrap_or(Duration::ZERO)
    }

    /// Whether the window is used up, so a caller that polls can slow down before a `429`.
    pub fn is_exhausted(&self) -> bool {
        self.remaining == Some(0)
    }
}

/// The wait after a `429`: until `Retry-After` or `ratelimit-reset`, whichever is later.
/// `None` when the answer carried neither; the caller then falls back to its own interval.
pub fn wait_after_429(
    retry_after: Option<Duration>,
    rate: &RateLimit,
    now_unix: i64,
) -> Option<Duration> {
    let until_reset = rate.reset_at.map(|_| rate.reset_in(now_unix));
    match (retry_after, until_reset) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or_default().max(b.unwrap_or_default())),
    }
}

/// `Retry-After` as delay-seconds or as an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    let raw = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = OffsetDateTime::parse(raw, &Rfc2822).ok()?;
    Some(seconds((at - now).whole_seconds()))
}

fn header_number<T: std::str::FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn seconds(n: i64) -> Duration {
    Duration::from_secs(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).expect("test header"));
        }
        map
    }

    #[test]
    fn parses_the_three_headers() {
        let rate = RateLimit::from_headers(&headers(&[
            ("ratelimit-limit", "5000"),
            ("ratelimit-remaining", "4999"),
            ("ratelimit-reset", "1736935263"),
        ]));
        assert_eq!(rate.limit, Some(5000));
        assert_eq!(rate.remaining, Some(4999));
        assert_eq!(rate.reset_at, Some(1_736_935_263));
        assert!(!rate.is_exhausted());
    }

    #[test]
    fn missing_or_garbled_headers_are_none() {
        let rate = RateLimit::from_headers(&headers(&[("ratelimit-limit", "lots")]));
        assert_eq!(rate, RateLimit::default());
    }

    #[test]
    fn wait_is_the_later_of_retry_after_and_reset() {
        let rate = RateLimit {
            reset_at: Some(1_000 + 40),
            ..RateLimit::default()
        };
        let now = 1_000;
        assert_eq!(
            wait_after_429(Some(Duration::from_secs(5)), &rate, now),
            Some(Duration::from_secs(40))
        );
        assert_eq!(
            wait_after_429(Some(Duration::from_secs(90)), &rate, now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            wait_after_429(None, &rate, now),
            Some(Duration::from_secs(40))
        );
        // A reset in the past never makes the wait negative.
        assert_eq!(wait_after_429(None, &rate, 2_000), Some(Duration::ZERO));
        assert_eq!(wait_after_429(None, &RateLimit::default(), now), None);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = OffsetDateTime::from_unix_timestamp(1_445_412_480).expect("time"); // 07:28:00
        let secs = headers(&[("retry-after", "120")]);
        assert_eq!(retry_after(&secs, now), Some(Duration::from_secs(120)));
        let date = headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:30 GMT")]);
        assert_eq!(retry_after(&date, now), Some(Duration::from_secs(30)));
        let junk = headers(&[("retry-after", "soon")]);
        assert_eq!(retry_after(&junk, now), None);
    }
}
