//! The Prometheus text exposition format, written one metric family at a
//! time: each family's samples together under its `HELP` and `TYPE` lines,
//! as the format requires, every name under the binary's prefix.

use std::fmt::{Display, Write as _};

/// A metric family's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up (until a restart).
    Counter,
    /// Goes up and down.
    Gauge,
    /// Buckets, a sum and a count.
    Histogram,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// A Prometheus text document being written.
#[derive(Debug)]
pub struct Exposition {
    prefix: &'static str,
    text: String,
}

impl Exposition {
    /// An empty document whose metric names all start with `prefix`
    /// (`adapter_fmt_`).
    pub fn new(prefix: &'static str) -> Self {
        Exposition {
            prefix,
            text: String::new(),
        }
    }

    /// Starts the family `name`: its `HELP` and `TYPE` lines. Its samples
    /// follow with [`Exposition::sample`].
    pub fn header(&mut self, name: &str, kind: Kind, help: &str) {
        let prefix = self.prefix;
        let _ = writeln!(
            self.text,
            "# HELP {prefix}{name} {help}\n# TYPE {prefix}{name} {}",
            kind.name()
        );
    }

    /// One sample: `name` (a family's name, or a histogram's `_bucket`,
    /// `_sum` or `_count` series), its labels as `key="value"` pairs joined
    /// by commas (values through [`escape`]), possibly empty, and its value.
    pub fn sample(&mut self, name: &str, labels: &str, value: impl Display) {
        let prefix = self.prefix;
        let _ = if labels.is_empty() {
            writeln!(self.text, "{prefix}{name} {value}")
        } else {
            writeln!(self.text, "{prefix}{name}{{{labels}}} {value}")
        };
    }

    /// A whole family: header and samples, each a pair of labels and value.
    pub fn family<V: Display>(
        &mut self,
        name: &str,
        kind: Kind,
        help: &str,
        samples: impl IntoIterator<Item = (String, V)>,
    ) {
        self.header(name, kind, help);
        for (labels, value) in samples {
            self.sample(name, &labels, value);
        }
    }

    /// A family of one sample without labels.
    pub fn single(&mut self, name: &str, kind: Kind, help: &str, value: impl Display) {
        self.header(name, kind, help);
        self.sample(name, "", value);
    }

    /// The document.
    pub fn finish(self) -> String {
        self.text
    }
}

/// A label value as the format quotes it: backslash, double quote and
/// newline escaped.
pub fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_written_whole_under_their_header() {
        let mut out = Exposition::new("x_");
        out.single("up", Kind::Gauge, "Up.", 1);
        out.family(
            "requests_total",
            Kind::Counter,
            "Requests.",
            [(format!("pool=\"{}\"", escape("a\"b")), 3u64)],
        );
        assert_eq!(
            out.finish(),
            "# HELP x_up Up.\n# TYPE x_up gauge\nx_up 1\n\
             # HELP x_requests_total Requests.\n# TYPE x_requests_total counter\n\
             x_requests_total{pool=\"a\\\"b\"} 3\n"
        );
    }
}
