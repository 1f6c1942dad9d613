//! The Prometheus text exposition format (version 0.0.4), written by hand: a few
//! families of counters, gauges and histograms need no metrics crate.

use std::fmt::Write;

/// The content type of the text `Engine::metrics_text` returns.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// One family's samples, written as they come.
pub(crate) struct Text {
    out: String,
}

/// Label pairs of one sample, in the order written.
pub(crate) type Labels<'a> = &'a [(&'a str, &'a str)];

impl Text {
    pub(crate) fn new() -> Self {
        Text { out: String::new() }
    }

    /// `# HELP` and `# TYPE` of a family; every sample of it must follow.
    pub(crate) fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample: `name{labels} value`.
    pub(crate) fn sample(&mut self, name: &str, labels: Labels<'_>, value: f64) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{key}=\"{}\"", escape(value));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {}", number(value));
    }

    /// A histogram's buckets (cumulative, `+Inf` last), sum and count.
    pub(crate) fn histogram(&mut self, name: &str, labels: Labels<'_>, h: &Histogram) {
        let mut cumulative = 0;
        let bucket = format!("{name}_bucket");
        for (bound, count) in h.bounds.iter().zip(&h.counts) {
            cumulative += count;
            let le = number(*bound);
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            self.sample(&bucket, &with_le, cumulative as f64);
        }
        let mut with_le = labels.to_vec();
        with_le.push(("le", "+Inf"));
        self.sample(&bucket, &with_le, h.count as f64);
        self.sample(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count as f64);
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

/// A label value with `\`, `"` and new lines escaped, as the format asks.
fn escape(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// Integers without a fraction, the rest as Rust prints them.
fn number(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{value}")
    }
}

/// Observations counted into fixed buckets (upper bounds, in seconds).
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    bounds: &'static [f64],
    /// Per bucket, not cumulative; values above the last bound count only in `count`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    pub(crate) fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    pub(crate) fn observe(&mut self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|b| value <= *b) {
            self.counts[i] += 1;
        }
        self.sum += value;
        self.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let mut h = Histogram::new(&[0.1, 1.0]);
        for v in [0.05, 0.5, 0.7, 3.0] {
            h.observe(v);
        }
        let mut text = Text::new();
        text.family("t_seconds", "histogram", "A test.");
        text.histogram("t_seconds", &[("route", "/a\"b\\")], &h);
        let out = text.finish();
        assert!(
            out.contains("t_seconds_bucket{route=\"/a\\\"b\\\\\",le=\"0.1\"} 1\n"),
            "{out}"
        );
        assert!(out.contains("le=\"1\"} 3\n"), "{out}");
        assert!(out.contains("le=\"+Inf\"} 4\n"), "{out}");
        assert!(
            out.contains("t_seconds_sum{route=\"/a\\\"b\\\\\"} 4.25\n"),
            "{out}"
        );
        assert!(
            out.contains("t_seconds_count{route=\"/a\\\"b\\\\\"} 4\n"),
            "{out}"
        );
    }
}
