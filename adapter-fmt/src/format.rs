//! The names of the timestamp formats detection recognises, which records,
//! per-source evidence and `/metrics` all speak of.

use std::fmt;

/// The timestamp formats recognised, by family and variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// RFC 3339: `2026-11-26T18:03:08.123Z`.
    Rfc3339,
    /// ISO 8601 with a space or without a zone: `2026-11-26 18:03:08`.
    Iso8601,
    /// ISO 8601 basic form: `20261126T180308Z`.
    Iso8601Compact,
    /// log4j, logback, Python logging: `2026-11-26 18:03:08,123`.
    Log4j,
    /// Go's `time.Time.String()`: `2026-11-26 18:03:08.123 +0000 UTC`.
    GoTime,
    /// `date`, ctime, asctime, Apache error log: `Thu Nov 26 18:03:08 UTC 2026`.
    Ctime,
    /// RFC 2822 / 1123: `Thu, 26 Nov 2026 18:03:08 +0000`.
    Rfc2822,
    /// Common Log Format (Apache, nginx access): `26/Nov/2026:18:03:08 +0000`.
    Clf,
    /// Day, month name, year: Tomcat's `26-Nov-2026 18:03:08.123`, Django's `26/Nov/2026 18:03:08`.
    DayMonthName,
    /// nginx error log, Go's log package: `2026/11/26 18:03:08`.
    YmdSlash,
    /// Syslog RFC 3164: `Nov 26 18:03:08` (no year).
    Syslog3164,
    /// Syslog RFC 5424: `<34>1 2026-11-26T18:03:08.003Z`.
    Syslog5424,
    /// A month name first with a year: `Nov 26 2026 18:03:08`, Java's `Nov 26, 2026 6:03:08 PM`.
    MonthNameFirst,
    /// Numeric, day first: `26/11/2026`, `26.11.2026`, `26-11-2026`.
    NumericDmy,
    /// Numeric, month first: `11/26/2026`.
    NumericMdy,
    /// Numeric, year first with two-digit year: `26/11/26` read as `yy/mm/dd`.
    NumericYmd,
    /// Kubernetes klog: `I1126 18:03:08.123456`.
    Klog,
    /// A month and day without a year: `03-17 16:13:38.811` (logcat).
    MonthDay,
    /// Two-digit-year compact date: `081109 203615` (Hadoop 0.x), `170213 16:00:33` (MySQL).
    Yymmdd,
    /// A format the user gave with `--time-format`.
    User,
    /// Unix epoch seconds (10 digits, optional fraction).
    EpochSeconds,
    /// Unix epoch milliseconds (13 digits).
    EpochMillis,
    /// Unix epoch microseconds (16 digits).
    EpochMicros,
    /// Unix epoch nanoseconds (19 digits).
    EpochNanos,
    /// The time field of a JSON log line.
    Json,
}

impl Format {
    /// Every format, for metrics and documentation.
    pub const ALL: [Format; 25] = [
        Format::Rfc3339,
        Format::Iso8601,
        Format::Iso8601Compact,
        Format::Log4j,
        Format::GoTime,
        Format::Ctime,
        Format::Rfc2822,
        Format::Clf,
        Format::DayMonthName,
        Format::YmdSlash,
        Format::Syslog3164,
        Format::Syslog5424,
        Format::MonthNameFirst,
        Format::NumericDmy,
        Format::NumericMdy,
        Format::NumericYmd,
        Format::Klog,
        Format::MonthDay,
        Format::Yymmdd,
        Format::User,
        Format::EpochSeconds,
        Format::EpochMillis,
        Format::EpochMicros,
        Format::EpochNanos,
        Format::Json,
    ];

    /// The name records and metrics use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rfc3339 => "rfc3339",
            Format::Iso8601 => "iso8601",
            Format::Iso8601Compact => "iso8601_compact",
            Format::Log4j => "log4j",
            Format::GoTime => "go_time",
            Format::Ctime => "ctime",
            Format::Rfc2822 => "rfc2822",
            Format::Clf => "clf",
            Format::DayMonthName => "day_month_name",
            Format::YmdSlash => "ymd_slash",
            Format::Syslog3164 => "syslog_rfc3164",
            Format::Syslog5424 => "syslog_rfc5424",
            Format::MonthNameFirst => "month_name_first",
            Format::NumericDmy => "numeric_dmy",
            Format::NumericMdy => "numeric_mdy",
            Format::NumericYmd => "numeric_ymd",
            Format::Klog => "klog",
            Format::MonthDay => "month_day",
            Format::Yymmdd => "yymmdd",
            Format::User => "user",
            Format::EpochSeconds => "epoch_s",
            Format::EpochMillis => "epoch_ms",
            Format::EpochMicros => "epoch_us",
            Format::EpochNanos => "epoch_ns",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
