//! Process-wide counters and histograms with labels, declared as `static`s where they are bumped
//! and registered with the exposition on first use.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, Once, PoisonError};

use super::text::{Exposition, Kind, format_float};

/// Something `/metrics` renders from process memory.
trait Family: Sync {
    fn name(&self) -> &'static str;
    fn render(&self, out: &mut Exposition);
}

static FAMILIES: Mutex<Vec<&'static dyn Family>> = Mutex::new(Vec::new());

/// A metric must never take a request or a job down with it: a panic elsewhere while a lock
/// was held leaves counts that are still good enough to expose.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn register(family: &'static dyn Family, once: &Once) {
    once.call_once(|| lock(&FAMILIES).push(family));
}

/// Writes every registered family, by name so that scrapes diff cleanly.
pub(super) fn render_registered(out: &mut Exposition) {
    let mut families = lock(&FAMILIES).clone();
    families.sort_by_key(|f| f.name());
    for family in families {
        family.render(out);
    }
}

fn key(labels: &[&str], values: &[&str]) -> Vec<String> {
    debug_assert_eq!(
        labels.len(),
        values.len(),
        "label values do not match the label names {labels:?}"
    );
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn pairs<'a>(labels: &[&'a str], values: &'a [String]) -> Vec<(&'a str, &'a str)> {
    labels
        .iter()
        .copied()
        .zip(values.iter().map(String::as_str))
        .collect()
}

/// A monotonically increasing count per label set (`…_total`).
///
/// Label values must come from a small closed set (route templates, outcomes, queue names),
/// never from ids or user input: every distinct set is a series kept for the process lifetime.
pub struct CounterVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Vec<String>, u64>>,
    registered: Once,
}

impl CounterVec {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            series: Mutex::new(BTreeMap::new()),
            registered: Once::new(),
        }
    }

    pub fn inc(&'static self, values: &[&str]) {
        self.inc_by(values, 1);
    }

    /// `inc_by(values, 0)` makes a known series visible at 0 before its first event, so that
    /// `rate()` sees the first increment.
    pub fn inc_by(&'static self, values: &[&str], n: u64) {
        register(self, &self.registered);
        let mut series = lock(&self.series);
        let count = series.entry(key(self.labels, values)).or_insert(0);
        *count = count.saturating_add(n);
    }

    /// The current count of one series (0 when it never moved).
    pub fn get(&self, values: &[&str]) -> u64 {
        let wanted = key(self.labels, values);
        lock(&self.series).get(&wanted).copied().unwrap_or(0)
    }
}

impl Family for CounterVec {
    fn name(&self) -> &'static str {
        self.name
    }

    fn render(&self, out: &mut Exposition) {
        let series = lock(&self.series).clone();
        out.family(self.name, self.help, Kind::Counter);
        for (values, count) in &series {
            out.sample(self.name, &pairs(self.labels, values), *count);
        }
    }
}

/// Prometheus' default buckets (seconds): 5 ms to 10 s, which covers request handling from a
/// cached read to a slow call to another service.
pub const DEFAULT_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone)]
struct Buckets {
    /// Observations per bucket, not cumulative; the exposition adds them up.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// Observations in fixed buckets per label set (`_bucket{le=…}`, `_sum`, `_count`).
pub struct HistogramVec {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    /// Upper bounds, ascending; `+Inf` is implied.
    buckets: &'static [f64],
    series: Mutex<BTreeMap<Vec<String>, Buckets>>,
    registered: Once,
}

impl HistogramVec {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            buckets,
            series: Mutex::new(BTreeMap::new()),
            registered: Once::new(),
        }
    }

    pub fn observe(&'static self, values: &[&str], value: f64) {
        register(self, &self.registered);
        let slot = self.buckets.iter().position(|upper| value <= *upper);
        let mut series = lock(&self.series);
        let entry = series
            .entry(key(self.labels, values))
            .or_insert_with(|| Buckets {
                counts: vec![0; self.buckets.len()],
                sum: 0.0,
                count: 0,
            });
        if let Some(i) = slot {
            entry.counts[i] += 1;
        }
        entry.sum += value;
        entry.count += 1;
    }

    /// The number of observations of one series (0 when none).
    pub fn count(&self, values: &[&str]) -> u64 {
        let wanted = key(self.labels, values);
        lock(&self.series).get(&wanted).map_or(0, |b| b.count)
    }
}

impl Family for HistogramVec {
    fn name(&self) -> &'static str {
        self.name
    }

    fn render(&self, out: &mut Exposition) {
        let series = lock(&self.series).clone();
        out.family(self.name, self.help, Kind::Histogram);
        let bucket_name = format!("{}_bucket", self.name);
        let sum_name = format!("{}_sum", self.name);
        let count_name = format!("{}_count", self.name);
        for (values, data) in &series {
            let base = pairs(self.labels, values);
            let mut cumulative = 0u64;
            for (upper, n) in self.buckets.iter().zip(&data.counts) {
                cumulative += n;
                let le = format_float(*upper);
                let mut labels = base.clone();
                labels.push(("le", &le));
                out.sample(&bucket_name, &labels, cumulative);
            }
            let mut labels = base.clone();
            labels.push(("le", "+Inf"));
            out.sample(&bucket_name, &labels, data.count);
            out.sample(&sum_name, &base, data.sum);
            out.sample(&count_name, &base, data.count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static TEST_COUNTER: CounterVec = CounterVec::new(
        "family_test_events_total",
        "Events seen by the family tests.",
        &["kind"],
    );

    static TEST_HISTOGRAM: HistogramVec = HistogramVec::new(
        "family_test_duration_seconds",
        "Durations seen by the family tests.",
        &["route"],
        &[0.1, 0.5, 1.0],
    );

    fn rendered() -> String {
        let mut out = Exposition::new();
        render_registered(&mut out);
        out.into_string()
    }

    #[test]
    fn counters_render_per_label_set() {
        TEST_COUNTER.inc(&["a"]);
        TEST_COUNTER.inc_by(&["b"], 4);
        TEST_COUNTER.inc(&["a"]);
        TEST_COUNTER.inc_by(&["zero"], 0);
        assert_eq!(TEST_COUNTER.get(&["a"]), 2);
        let text = rendered();
        // Series sort by label values; other tests of this binary may add their own in between.
        assert!(text.contains(
            "# HELP family_test_events_total Events seen by the family tests.\n\
             # TYPE family_test_events_total counter\n\
             family_test_events_total{kind=\"a\"} 2\n\
             family_test_events_total{kind=\"b\"} 4\n"
        ));
        assert!(text.contains("family_test_events_total{kind=\"zero\"} 0\n"));
    }

    #[test]
    fn histogram_buckets_are_cumulative() {
        // Binary-exact values, so that the sum is too.
        for v in [0.0625, 0.09375, 0.25, 0.75, 3.0] {
            TEST_HISTOGRAM.observe(&["/x/{id}"], v);
        }
        assert_eq!(TEST_HISTOGRAM.count(&["/x/{id}"]), 5);
        let text = rendered();
        let expected = "# TYPE family_test_duration_seconds histogram\n\
             family_test_duration_seconds_bucket{route=\"/x/{id}\",le=\"0.1\"} 2\n\
             family_test_duration_seconds_bucket{route=\"/x/{id}\",le=\"0.5\"} 3\n\
             family_test_duration_seconds_bucket{route=\"/x/{id}\",le=\"1\"} 4\n\
             family_test_duration_seconds_bucket{route=\"/x/{id}\",le=\"+Inf\"} 5\n\
             family_test_duration_seconds_sum{route=\"/x/{id}\"} 4.15625\n\
             family_test_duration_seconds_count{route=\"/x/{id}\"} 5\n";
        assert!(text.contains(expected), "{text}");
    }

    #[test]
    fn a_family_registers_once() {
        TEST_COUNTER.inc(&["once"]);
        TEST_COUNTER.inc(&["once"]);
        let text = rendered();
        assert_eq!(
            text.matches("# TYPE family_test_events_total counter")
                .count(),
            1
        );
    }
}
