//! The Prometheus text exposition format, version 0.0.4: what `/metrics` answers.

use std::collections::BTreeSet;
use std::fmt::Write;

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The `# TYPE` of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
        }
    }
}

/// A sample value: counts stay exact integers, everything else is a float.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Int(u64),
    Float(f64),
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Self::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Self::Float(v)
    }
}

/// The text being built for one scrape.
#[derive(Debug, Default)]
pub struct Exposition {
    buf: String,
    /// A family may be described only once per exposition; a second writer of the same name
    /// (a wiring mistake) is dropped rather than producing text Prometheus rejects whole.
    families: BTreeSet<String>,
    current_accepted: bool,
}

impl Exposition {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts a family: its `# HELP` and `# TYPE` lines. Returns `false` (and ignores the
    /// family's samples until the next `family`) when the name was already written.
    pub fn family(&mut self, name: &str, help: &str, kind: Kind) -> bool {
        self.current_accepted = self.families.insert(name.to_owned());
        if self.current_accepted {
            let _ = writeln!(self.buf, "# HELP {name} {}", escape_help(help));
            let _ = writeln!(self.buf, "# TYPE {name} {}", kind.as_str());
        }
        self.current_accepted
    }

    /// One sample line of the current family; `name` includes any `_bucket`/`_sum`/`_count`
    /// suffix.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Into<Value>) {
        if !self.current_accepted {
            return;
        }
        self.buf.push_str(name);
        if !labels.is_empty() {
            self.buf.push('{');
            for (i, (label, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.buf.push(',');
                }
                let _ = write!(self.buf, "{label}=\"{}\"", escape_label_value(v));
            }
            self.buf.push('}');
        }
        self.buf.push(' ');
        match value.into() {
            Value::Int(v) => {
                let _ = write!(self.buf, "{v}");
            }
            Value::Float(v) => self.buf.push_str(&format_float(v)),
        }
        self.buf.push('\n');
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

/// `\` and line feeds in `# HELP` text.
fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

/// `\`, `"` and line feeds in a label value.
pub fn escape_label_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `strconv` spellings of the special values, which Prometheus expects.
pub fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_have_help_type_and_escaped_labels() {
        let mut out = Exposition::new();
        assert!(out.family("demo_total", "Line one\nback\\slash", Kind::Counter));
        out.sample(
            "demo_total",
            &[("path", "a\"b\\c\nd"), ("method", "GET")],
            3u64,
        );
        out.sample("demo_total", &[], 0.25);
        assert_eq!(
            out.into_string(),
            "# HELP demo_total Line one\\nback\\\\slash\n\
             # TYPE demo_total counter\n\
             demo_total{path=\"a\\\"b\\\\c\\nd\",method=\"GET\"} 3\n\
             demo_total 0.25\n"
        );
    }

    #[test]
    fn a_family_is_written_once() {
        let mut out = Exposition::new();
        assert!(out.family("g", "first", Kind::Gauge));
        out.sample("g", &[("q", "a")], 1u64);
        assert!(!out.family("g", "second", Kind::Gauge));
        out.sample("g", &[("q", "b")], 2u64);
        assert!(out.family("h", "other", Kind::Gauge));
        out.sample("h", &[], 3u64);
        let text = out.into_string();
        assert_eq!(text.matches("# TYPE g gauge").count(), 1);
        assert!(!text.contains("second"));
        assert!(!text.contains("q=\"b\""));
        assert!(text.ends_with("h 3\n"), "{text}");
    }

    #[test]
    fn special_floats_use_prometheus_spellings() {
        assert_eq!(format_float(f64::INFINITY), "+Inf");
        assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
        assert_eq!(format_float(f64::NAN), "NaN");
        assert_eq!(format_float(0.005), "0.005");
        assert_eq!(format_float(1.0), "1");
        assert_eq!(format_float(2.5), "2.5");
    }
}
