//! The level of a log line, where it has one: a word (log4j, logback,
//! Python, Go, syslog names) among the first words of the line or as
//! `level=`, klog's and logcat's letters, a syslog priority, a JSON line's
//! `level`/`severity` field. Given as the line wrote it (`severity_text`)
//! and as OpenTelemetry's `severity_number` (TRACE 1, DEBUG 5, INFO 9,
//! WARN 13, ERROR 17, FATAL 21).

use crate::format::Format;

/// A line's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Severity<'a> {
    /// The level as the line wrote it (`WARN`, `warning`, `E`, `<3>` as `err`).
    pub text: &'a [u8],
    /// OpenTelemetry's severity number, 1 to 24.
    pub number: u8,
}

/// How many words from the start of a line a level word may be (BlueGene/L
/// writes its ninth: `- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11
/// 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO`).
const LEADING_WORDS: usize = 10;

/// The level words, upper case, and their OpenTelemetry numbers.
const WORDS: &[(&str, u8)] = &[
    ("TRACE", 1),
    ("FINEST", 1),
    ("FINER", 2),
    ("DEBUG", 5),
    ("FINE", 5),
    ("DBG", 5),
    ("INFO", 9),
    ("INFORMATION", 9),
    ("CONFIG", 9),
    ("NOTICE", 10),
    ("WARN", 13),
    ("WARNING", 13),
    ("ERROR", 17),
    ("ERR", 17),
    ("SEVERE", 17),
    ("CRITICAL", 21),
    ("CRIT", 21),
    ("ALERT", 22),
    ("FATAL", 21),
    ("PANIC", 21),
    ("EMERG", 23),
    ("EMERGENCY", 23),
];

/// The syslog severities of a priority's low three bits, 0 to 7.
const SYSLOG: [(&str, u8); 8] = [
    ("emerg", 23),
    ("alert", 22),
    ("crit", 21),
    ("err", 17),
    ("warning", 13),
    ("notice", 10),
    ("info", 9),
    ("debug", 5),
];

/// The level of `line`, whose timestamp was read as `format`.
pub fn severity(line: &[u8], format: Option<Format>) -> Option<Severity<'_>> {
    let start = line.iter().position(|b| !b.is_ascii_whitespace())?;
    let line = &line[start..];
    if line.first() == Some(&b'{') {
        return json_level(line);
    }
    if let Some(found) = syslog_priority(line) {
        return Some(found);
    }
    if format == Some(Format::Klog) {
        return letter(&line[..1]);
    }
    let mut words = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .take(LEADING_WORDS);
    // logcat: `03-17 16:13:38.811  1702  2395 D WindowManager: ...`.
    if format == Some(Format::MonthDay) {
        if let Some(found) = words.clone().find(|w| w.len() == 1).and_then(letter) {
            return Some(found);
        }
    }
    words
        .find_map(|word| {
            let bracketed = matches!(
                (word.first(), word.last()),
                (Some(b'['), Some(b']')) | (Some(b'<'), Some(b'>'))
            );
            let word = trim_punctuation(word);
            // `WARN`, `Info` (Windows' CBS log), or any case in brackets
            // (Apache's `[notice]`): `error` in a sentence is not a level.
            let capitalised = word.first().is_some_and(u8::is_ascii_uppercase)
                && (word[1..].iter().all(u8::is_ascii_uppercase)
                    || word[1..].iter().all(u8::is_ascii_lowercase));
            (capitalised || bracketed).then(|| named(word)).flatten()
        })
        .or_else(|| keyed(line))
}

/// `[INFO]`, `<WARN>`, `ERROR:`, `(debug)` without their punctuation.
fn trim_punctuation(word: &[u8]) -> &[u8] {
    let is_punct = |b: &u8| {
        matches!(
            b,
            b'[' | b']' | b'(' | b')' | b'<' | b'>' | b':' | b',' | b'|' | b'-' | b'"'
        )
    };
    let start = word.iter().position(|b| !is_punct(b)).unwrap_or(word.len());
    let end = word.iter().rposition(|b| !is_punct(b)).map_or(start, |e| e + 1);
    &word[start..end.max(start)]
}

/// A level word, any case (`warn`, `WARNING`, `Err`).
pub fn named(word: &[u8]) -> Option<Severity<'_>> {
    WORDS
        .iter()
        .find(|(name, _)| name.as_bytes().eq_ignore_ascii_case(word))
        .map(|&(_, number)| Severity { text: word, number })
}

/// klog's and logcat's one-letter levels: V, D, I, W, E, F (A: assert).
fn letter(word: &[u8]) -> Option<Severity<'_>> {
    let number = match word {
        b"V" => 1,
        b"D" => 5,
        b"I" => 9,
        b"W" => 13,
        b"E" => 17,
        b"F" | b"A" => 21,
        _ => return None,
    };
    Some(Severity { text: word, number })
}

/// `<34>`: the priority's low three bits.
fn syslog_priority(line: &[u8]) -> Option<Severity<'static>> {
    let rest = line.strip_prefix(b"<")?;
    let end = rest.iter().position(|&b| b == b'>')?;
    let priority: u16 = std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?;
    if end == 0 || end > 3 || priority > 191 {
        return None;
    }
    let (name, number) = SYSLOG[usize::from(priority & 7)];
    Some(Severity {
        text: name.as_bytes(),
        number,
    })
}

/// `level=info`, `severity=WARN`, `lvl=err` anywhere in the line.
fn keyed(line: &[u8]) -> Option<Severity<'_>> {
    // Most lines have no `=`: one pass instead of one per key.
    memchr::memchr(b'=', line)?;
    for key in [&b"level="[..], b"severity=", b"lvl=", b"loglevel="] {
        let mut from = 0;
        while let Some(at) = find(&line[from..], key).map(|i| i + from) {
            let starts_word = at == 0 || !line[at - 1].is_ascii_alphanumeric();
            let value = &line[at + key.len()..];
            let value = value.strip_prefix(b"\"").unwrap_or(value);
            let end = value
                .iter()
                .position(|b| !b.is_ascii_alphabetic())
                .unwrap_or(value.len());
            if starts_word {
                if let Some(found) = named(&value[..end]) {
                    return Some(found);
                }
            }
            from = at + key.len();
        }
    }
    None
}

/// A JSON line's `level`, `severity`, `lvl` or `log.level` field: a word,
/// or bunyan's and pino's numbers (10 trace to 60 fatal).
fn json_level(line: &[u8]) -> Option<Severity<'_>> {
    for key in [
        &b"\"level\""[..],
        b"\"severity\"",
        b"\"lvl\"",
        b"\"log.level\"",
        b"\"levelname\"",
    ] {
        let Some(at) = find(line, key) else { continue };
        let rest = &line[at + key.len()..];
        let rest = &rest[rest.iter().position(|b| !matches!(b, b' ' | b':'))?..];
        if let Some(text) = rest.strip_prefix(b"\"") {
            let end = text.iter().position(|&b| b == b'"')?;
            if let Some(found) = named(&text[..end]) {
                return Some(found);
            }
        } else {
            let end = rest
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(rest.len());
            let number = match &rest[..end] {
                b"10" => 1,
                b"20" => 5,
                b"30" => 9,
                b"40" => 13,
                b"50" => 17,
                b"60" => 21,
                _ => continue,
            };
            return Some(Severity {
                text: &rest[..end],
                number,
            });
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(line: &str, format: Option<Format>) -> Option<(String, u8)> {
        severity(line.as_bytes(), format).map(|s| (String::from_utf8_lossy(s.text).into_owned(), s.number))
    }

    #[test]
    fn levels_of_common_logs() {
        let some = |text: &str, n| Some((text.to_owned(), n));
        assert_eq!(
            level("2026-11-26 18:03:08,123 WARN [main] x", None),
            some("WARN", 13)
        );
        assert_eq!(
            level("[2026-11-26 18:03:08] [ERROR] boom", None),
            some("ERROR", 17)
        );
        assert_eq!(
            level("17/06/09 20:10:40 INFO executor.X: y", None),
            some("INFO", 9)
        );
        assert_eq!(level("time=2026 level=debug msg=x", None), some("debug", 5));
        assert_eq!(
            level("I1126 18:03:08.123456 1 main.go:42] x", Some(Format::Klog)),
            some("I", 9)
        );
        assert_eq!(
            level(
                "03-17 16:13:38.811  1702  2395 D WindowManager: x",
                Some(Format::MonthDay)
            ),
            some("D", 5)
        );
        assert_eq!(level("<11>Nov 26 18:03:08 host app: x", None), some("err", 17));
        assert_eq!(
            level(r#"{"level":"warning","msg":"x"}"#, None),
            some("warning", 13)
        );
        assert_eq!(level(r#"{"level":50,"msg":"x"}"#, None), some("50", 17));
        // Prose is not a level.
        assert_eq!(level("2026-11-26 18:03:08 the error was handled", None), None);
        assert_eq!(level("2026-11-26 18:03:08 a b c d e f g h i ERROR", None), None);
        // Real lines whose levels loghub's parsed columns give (Apache,
        // Windows' CBS log, BlueGene/L).
        assert_eq!(
            level("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok", None),
            some("notice", 10)
        );
        assert_eq!(
            level(
                "2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack",
                None
            ),
            some("Info", 9)
        );
        assert_eq!(
            level(
                "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected",
                None
            ),
            some("INFO", 9)
        );
    }
}
