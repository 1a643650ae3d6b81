//! The command line of `adapter-fmt`.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use podkit::values::{parse_interval, parse_size_or_zero};
use sidecar_tail::cli::FollowArgs;
use sidecar_tail::TailConfig;

use crate::detect::{DateOrderMode, DetectConfig, UserFormat};
use crate::encode::{check_time_format, OutputFormat, TimeStyle};
use crate::evidence::DateOrder;
use crate::fields::LineRegex;
use crate::zone::UserZone;

/// Recognise the timestamps of log lines, whatever their format, and
/// rewrite every line into one common format: NDJSON by default, with the
/// timestamp in RFC 3339 UTC, the message, the source, the detected format
/// and what was assumed.
#[derive(Debug, Parser)]
#[command(name = "adapter-fmt", version, after_help = EXAMPLES)]
pub struct Cli {
    /// Files or globs to follow (with sidecar-tail's guarantees across
    /// rotation, and its flags below); none, or `-`, reads stdin until EOF.
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "json", value_name = "FORMAT")]
    pub output: OutputFormat,

    /// How to read numeric dates whose day and month could be either way.
    /// auto: a field above 12 settles it and each source's last settled
    /// order is remembered; before that, `/` dates are month first and `.`
    /// and `-` dates day first.
    #[arg(long, value_enum, default_value = "auto", value_name = "ORDER")]
    pub date_order: DateOrderArg,

    /// Zone of timestamps that name none: an IANA name or an offset.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    pub default_tz: UserZone,

    /// Write timestamps in this zone (an IANA name or an offset) instead of UTC.
    #[arg(long, value_name = "ZONE")]
    pub output_tz: Option<UserZone>,

    /// Write timestamps with this strftime format instead of RFC 3339.
    #[arg(long, value_name = "FORMAT", value_parser = parse_time_format)]
    pub output_time_format: Option<String>,

    /// Take each line apart with this regular expression first (Rust's
    /// regex syntax): its named captures become fields, `timestamp` (read
    /// as any stamp), `level`, `message`, and any other name an attribute.
    /// Lines it does not match are read as usual.
    #[arg(long, value_name = "PATTERN", value_parser = LineRegex::new)]
    pub regex: Option<LineRegex>,

    /// Also read stamps of this strftime format (chrono's specifiers, e.g.
    /// `%y%m%d %H%M%S`), tried before the built-in ones; repeatable.
    #[arg(long, value_name = "FORMAT", value_parser = UserFormat::new)]
    pub time_format: Vec<UserFormat>,

    /// Add the line as read to each record (with --schema otel or ecs:
    /// keep the message intact, the stamp not cut out, for parsers
    /// downstream of access logs and RFC 5424 lines).
    #[arg(long)]
    pub keep_original: bool,

    /// The fields of JSON records: ours, OpenTelemetry's log data model
    /// (timestamp, observed_timestamp, severity_text, severity_number,
    /// body, attributes) or Elastic Common Schema (@timestamp, message,
    /// log.level, log.file.path, event.original).
    #[arg(long, value_enum, default_value = "default", value_name = "SCHEMA")]
    pub schema: crate::encode::Schema,

    /// Join continuation lines (indented lines, `at ...` frames, `Caused
    /// by:`) onto the record before them.
    #[arg(long)]
    pub multiline: bool,

    /// Serve the records over HTTP on ADDR (the container image uses
    /// 0.0.0.0:3080): GET /logs, /logs?follow=true, /healthz, /metrics.
    /// When input ends (stdin EOF, --no-follow), serving goes on until
    /// SIGTERM or SIGINT.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,

    /// How many recent records GET /logs keeps.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub buffer: usize,

    /// At most this many bytes of records (their JSON) are kept for GET
    /// /logs, whatever --buffer says; the oldest go first, and a single
    /// larger record is kept alone. Takes K, M, G (KiB, MiB, GiB). The
    /// default, 8 MiB, leaves room in the example pod's 64 MiB for
    /// --max-connections clients that all stop reading (each holds about
    /// 39 KiB: responses are streamed from the buffer, not copied).
    #[arg(long, default_value = "8MiB", value_name = "BYTES", value_parser = parse_size_or_zero)]
    pub buffer_bytes: usize,

    /// Serve at most N HTTP connections at once (fewer if the open-file
    /// limit, ulimit -n, is too low for N). Connections beyond them are
    /// still accepted, a few at a time and briefly, to answer /healthz and
    /// /metrics, and 503 to anything else: health checks keep working.
    #[arg(long, default_value_t = 512, value_name = "N", value_parser = at_least_one)]
    pub max_connections: usize,

    /// Close a connection that has not sent a complete request head within
    /// DURATION of connecting or of its previous response: slow senders and
    /// idle kept-alive connections. Followers are not cut.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_interval)]
    pub header_timeout: Duration,

    /// Close a connection whose client has read nothing of its response
    /// for DURATION.
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = parse_interval)]
    pub write_timeout: Duration,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub following: FollowArgs,

    #[command(flatten)]
    #[allow(missing_docs)]
    pub diagnostics: podkit::log::LogArgs,
}

const EXAMPLES: &str = "\
Examples:
  tail -f /var/log/app.log | adapter-fmt
  adapter-fmt --output text --default-tz Europe/Berlin /var/log/app.log
  adapter-fmt --no-follow --multiline 'logs/*.log'\n  source <(adapter-fmt completions bash)   # also zsh, fish; `adapter-fmt man` for the man page";

/// `--date-order` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DateOrderArg {
    /// Decide per line and per source.
    Auto,
    /// Day, month, year.
    Dmy,
    /// Month, day, year.
    Mdy,
    /// Year, month, day (for two-digit years first).
    Ymd,
}

impl Cli {
    /// Whether input is stdin rather than files.
    pub fn reads_stdin(&self) -> bool {
        self.paths.is_empty() || self.paths == ["-"]
    }

    /// Detection settings.
    pub fn detect_config(&self) -> DetectConfig {
        DetectConfig {
            date_order: match self.date_order {
                DateOrderArg::Auto => DateOrderMode::Auto,
                DateOrderArg::Dmy => DateOrderMode::Fixed(DateOrder::Dmy),
                DateOrderArg::Mdy => DateOrderMode::Fixed(DateOrder::Mdy),
                DateOrderArg::Ymd => DateOrderMode::Fixed(DateOrder::Ymd),
            },
            default_zone: self.default_tz,
            user_formats: self.time_format.clone(),
        }
    }

    /// How timestamps are written.
    pub fn time_style(&self) -> TimeStyle {
        TimeStyle {
            zone: self.output_tz,
            format: self.output_time_format.clone(),
        }
    }

    /// The file follower's settings.
    pub fn tail_config(&self) -> TailConfig {
        self.following.tail_config(&self.paths)
    }

    /// The HTTP server's connection limits.
    pub fn http_limits(&self) -> crate::server::Limits {
        crate::server::Limits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            write_timeout: self.write_timeout,
        }
    }
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}")),
    }
}

fn parse_time_format(text: &str) -> Result<String, String> {
    check_time_format(text)?;
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn stdin_by_default_or_dash() {
        assert!(Cli::parse_from(["adapter-fmt"]).reads_stdin());
        assert!(Cli::parse_from(["adapter-fmt", "-"]).reads_stdin());
        assert!(!Cli::parse_from(["adapter-fmt", "a.log"]).reads_stdin());
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(Cli::parse_from(["adapter-fmt"]).buffer_bytes, 8 << 20);
        assert_eq!(
            Cli::parse_from(["adapter-fmt", "--max-line-bytes", "64KiB"])
                .following
                .max_line_bytes,
            64 << 10
        );
        assert!(Cli::try_parse_from(["adapter-fmt", "--max-connections", "0"]).is_err());
    }
}
