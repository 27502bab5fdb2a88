//! When a failed attempt is tried again (platform.md §10.4 item 3).

use std::time::Duration;

/// Share of the delay that is randomised either way, so that jobs which failed together (an
/// outage of the receiver) do not all come back in the same instant.
pub const JITTER: f64 = 0.2;

/// `min(base × 2^(attempts−1), max)`: the delay before the attempt after `attempts` attempts.
///
/// Saturates instead of overflowing, because queues with unlimited attempts may count very high.
pub fn exponential(base: Duration, max: Duration, attempts: i32) -> Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 31) as u32;
    base.saturating_mul(1u32 << exponent).min(max)
}

/// Scales `delay` by a factor in `[1 − JITTER, 1 + JITTER]`; `unit` is a uniform sample of
/// `[0, 1]` (taken as a parameter so the bounds can be tested without randomness).
pub fn with_jitter(delay: Duration, unit: f64) -> Duration {
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let factor = 1.0 - JITTER + 2.0 * JITTER * unit;
    Duration::try_from_secs_f64(delay.as_secs_f64() * factor).unwrap_or(delay)
}

/// The delay before the next attempt after a retryable failure: the queue's jittered backoff,
/// never shorter than what the receiver asked for (a `429`'s `Retry-After`, platform.md §10.2).
pub fn next_delay(
    base: Duration,
    max: Duration,
    attempts: i32,
    not_before: Option<Duration>,
) -> Duration {
    let delay = with_jitter(exponential(base, max, attempts), random_unit());
    match not_before {
        Some(floor) => delay.max(floor),
        None => delay,
    }
}

/// A uniform sample of `[0, 1)`. Jitter needs no cryptographic quality, but the OS generator is
/// already at hand and avoids another dependency.
fn random_unit() -> f64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&crate::crypto::random_bytes(8));
    (u64::from_le_bytes(raw) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(5);
    const MAX: Duration = Duration::from_secs(600);

    #[test]
    fn doubles_from_the_base_and_stops_at_the_max() {
        assert_eq!(exponential(BASE, MAX, 1), Duration::from_secs(5));
        assert_eq!(exponential(BASE, MAX, 2), Duration::from_secs(10));
        assert_eq!(exponential(BASE, MAX, 3), Duration::from_secs(20));
        assert_eq!(exponential(BASE, MAX, 7), Duration::from_secs(320));
        assert_eq!(exponential(BASE, MAX, 8), MAX);
        assert_eq!(exponential(BASE, MAX, 10_000), MAX);
        assert_eq!(exponential(BASE, MAX, i32::MAX), MAX);
    }

    #[test]
    fn treats_nonsense_attempt_counts_as_the_first() {
        assert_eq!(exponential(BASE, MAX, 0), BASE);
        assert_eq!(exponential(BASE, MAX, -3), BASE);
    }

    #[test]
    fn huge_bases_saturate_instead_of_panicking() {
        let huge = Duration::from_secs(u64::MAX / 2);
        assert_eq!(exponential(huge, Duration::MAX, 40), Duration::MAX);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let d = Duration::from_secs(100);
        assert_eq!(with_jitter(d, 0.0), Duration::from_secs(80));
        assert_eq!(with_jitter(d, 0.5), Duration::from_secs(100));
        assert_eq!(with_jitter(d, 1.0), Duration::from_secs(120));
        assert_eq!(with_jitter(d, -4.0), Duration::from_secs(80));
        assert_eq!(with_jitter(d, f64::NAN), Duration::from_secs(100));
    }

    #[test]
    fn random_delays_respect_the_bounds() {
        for attempts in 1..=12 {
            let nominal = exponential(BASE, MAX, attempts).as_secs_f64();
            for _ in 0..200 {
                let got = next_delay(BASE, MAX, attempts, None).as_secs_f64();
                assert!(got >= nominal * 0.8 - 1e-9, "{got} below {nominal}");
                assert!(got <= nominal * 1.2 + 1e-9, "{got} above {nominal}");
            }
        }
    }

    #[test]
    fn retry_after_is_a_floor() {
        let floor = Duration::from_secs(90);
        for _ in 0..100 {
            assert!(next_delay(BASE, MAX, 1, Some(floor)) >= floor);
        }
        // A short Retry-After does not shorten the backoff.
        let got = next_delay(BASE, MAX, 3, Some(Duration::from_secs(1)));
        assert!(got >= Duration::from_secs(16));
    }

    #[test]
    fn random_unit_is_in_range() {
        for _ in 0..1000 {
            let u = random_unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
