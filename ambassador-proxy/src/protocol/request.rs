//! Requests from clients, read as Redis reads them (`processMultibulkBuffer`
//! and `processInlineBuffer` in its networking.c): a flat array of bulk
//! strings, or an inline line of words with Redis's quoting. Anything else
//! is a protocol error that closes the client, with Redis's own words.
//!
//! The reader keeps its place between reads: a request that arrives a byte
//! at a time is scanned once, not again at every read, and nothing here
//! recurses, whatever a client sends.

use bytes::{Bytes, BytesMut};
use memchr::memchr;

use super::{Limits, ProtocolError};

/// The longest inline command line, and the longest `*<count>` or
/// `$<length>` line, accepted (as Redis: 64 KiB).
pub const MAX_INLINE: usize = 64 * 1024;

/// A complete request: its words, and the RESP bytes it came as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The command name and its arguments.
    pub args: Vec<Bytes>,
    /// The request exactly as the client sent it (`None` for an inline
    /// command): forwarded as it is when one server gets it whole.
    pub raw: Option<Bytes>,
}

/// Reads requests off the front of a client's buffer. One per client: it
/// remembers how far into an incomplete request it has read.
#[derive(Debug, Default)]
pub struct RequestReader {
    limits: Limits,
    partial: Option<Partial>,
}

/// How far into an array request the reader is: the arguments found so
/// far, as ranges of the (not yet consumed) buffer.
#[derive(Debug)]
struct Partial {
    count: usize,
    args: Vec<(usize, usize)>,
    /// Where the next `$<length>` line starts.
    at: usize,
    /// Bytes of arguments declared so far.
    declared: usize,
}

impl RequestReader {
    /// A reader refusing requests over `limits`.
    pub fn new(limits: Limits) -> RequestReader {
        RequestReader {
            limits,
            partial: None,
        }
    }

    /// Takes the next request off the front of `buf`; `Ok(None)` when more
    /// bytes are needed. Empty requests (`*0`, `*-1`, a blank line) are
    /// skipped, as Redis skips them, with no reply.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        loop {
            let Some(&first) = buf.first() else {
                return Ok(None);
            };
            let request = if first == b'*' {
                self.array(buf)?
            } else {
                inline(buf)?
            };
            match request {
                Some(request) if request.args.is_empty() => continue,
                other => return Ok(other),
            }
        }
    }

    /// `*<count>\r\n` then `count` times `$<length>\r\n<bytes>\r\n`.
    fn array(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        let mut partial = match self.partial.take() {
            Some(partial) => partial,
            None => {
                let Some((count, at)) = number_line(buf, 0, "mbulk count")? else {
                    return Ok(None);
                };
                if count <= 0 {
                    // `*0` and `*-1`: nothing to do, nothing to answer.
                    let _ = buf.split_to(at);
                    return Ok(Some(Request {
                        args: Vec::new(),
                        raw: None,
                    }));
                }
                if count > self.limits.max_args as i64 {
                    return Err(ProtocolError("invalid multibulk length".into()));
                }
                Partial {
                    count: count as usize,
                    args: Vec::with_capacity((count as usize).min(1024)),
                    at,
                    declared: 0,
                }
            }
        };
        while partial.args.len() < partial.count {
            let Some(&kind) = buf.get(partial.at) else {
                self.partial = Some(partial);
                return Ok(None);
            };
            if kind != b'$' {
                return Err(ProtocolError(format!(
                    "expected '$', got '{}'",
                    char::from(kind).escape_default()
                )));
            }
            let Some((length, start)) = number_line(buf, partial.at, "bulk count")? else {
                self.partial = Some(partial);
                return Ok(None);
            };
            if length < 0 || length > self.limits.max_bytes as i64 {
                return Err(ProtocolError("invalid bulk length".into()));
            }
            let length = length as usize;
            if partial.declared + length > self.limits.max_bytes {
                return Err(ProtocolError(format!(
                    "invalid bulk length: request over {} bytes",
                    self.limits.max_bytes
                )));
            }
            let end = start + length;
            if buf.len() < end + 2 {
                // Wait for the argument; the `$` line is read again then
                // (it is short), not the arguments before it.
                self.partial = Some(partial);
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(ProtocolError(format!(
                    "bulk of {length} bytes not followed by CRLF (its length does not match its data)"
                )));
            }
            partial.declared += length;
            partial.args.push((start, end));
            partial.at = end + 2;
        }
        let raw = buf.split_to(partial.at).freeze();
        let args = partial
            .args
            .iter()
            .map(|&(start, end)| raw.slice(start..end))
            .collect();
        Ok(Some(Request { args, raw: Some(raw) }))
    }
}

/// The number on the `*`/`$` line that starts at `at`, and where the line
/// after it starts; `Ok(None)` until the line is complete.
fn number_line(buf: &[u8], at: usize, what: &str) -> Result<Option<(i64, usize)>, ProtocolError> {
    let Some(newline) = memchr(b'\r', &buf[at..]) else {
        if buf.len() - at > MAX_INLINE {
            return Err(ProtocolError(format!("too big {what} string")));
        }
        return Ok(None);
    };
    let end = at + newline;
    if buf.len() < end + 2 {
        return Ok(None);
    }
    let invalid = || {
        ProtocolError(if what == "mbulk count" {
            "invalid multibulk length".into()
        } else {
            "invalid bulk length".into()
        })
    };
    if buf[end + 1] != b'\n' {
        return Err(invalid());
    }
    let number = std::str::from_utf8(&buf[at + 1..end])
        .ok()
        .filter(|digits| !digits.starts_with('+'))
        .and_then(|digits| digits.parse::<i64>().ok())
        .ok_or_else(invalid)?;
    Ok(Some((number, end + 2)))
}

/// An inline command: one line (up to `\n`, a `\r` before it dropped),
/// split into words as Redis's `sdssplitargs` does.
fn inline(buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
    let Some(end) = memchr(b'\n', buf) else {
        if buf.len() > MAX_INLINE {
            return Err(ProtocolError("too big inline request".into()));
        }
        return Ok(None);
    };
    let line = buf.split_to(end + 1);
    let text = line[..end].strip_suffix(b"\r").unwrap_or(&line[..end]);
    let args = split_args(text)
        .ok_or_else(|| ProtocolError("unbalanced quotes in request".into()))?
        .into_iter()
        .map(Bytes::from)
        .collect();
    Ok(Some(Request { args, raw: None }))
}

/// Redis's `sdssplitargs`: words separated by white space; `"..."` with
/// the escapes `\n \r \t \b \a \\ \" \xHH`; `'...'` with `\'`. A closing
/// quote must be followed by white space or the end. `None` when quotes
/// do not balance.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let mut words = Vec::new();
    let mut at = 0;
    loop {
        while line.get(at).is_some_and(|&b| is_space(b)) {
            at += 1;
        }
        let Some(&first) = line.get(at) else {
            return Some(words);
        };
        let mut word = Vec::new();
        match first {
            b'"' | b'\'' => {
                at += 1;
                loop {
                    let byte = *line.get(at)?;
                    if byte == first {
                        at += 1;
                        if line.get(at).is_some_and(|&b| !is_space(b)) {
                            return None;
                        }
                        break;
                    }
                    let (decoded, used) = match byte {
                        b'\\' => unescape(&line[at..], first),
                        other => (other, 1),
                    };
                    word.push(decoded);
                    at += used;
                }
            }
            _ => {
                while let Some(&b) = line.get(at).filter(|&&b| !is_space(b)) {
                    word.push(b);
                    at += 1;
                }
            }
        }
        words.push(word);
    }
}

/// The byte an escape at the start of `rest` (a backslash) stands for in a
/// word quoted with `quote`, and how many bytes it took: in `"..."` the
/// escapes `\n \r \t \b \a \xHH` and any other byte as itself; in `'...'`
/// only `\'`. A backslash that escapes nothing is itself.
fn unescape(rest: &[u8], quote: u8) -> (u8, usize) {
    let hex = |at: usize| rest.get(at).and_then(|&b| (b as char).to_digit(16));
    if quote == b'"' && rest.get(1) == Some(&b'x') {
        if let (Some(high), Some(low)) = (hex(2), hex(3)) {
            return ((high * 16 + low) as u8, 4);
        }
    }
    match (quote, rest.get(1)) {
        (b'"', Some(&next)) => (
            match next {
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'b' => 0x08,
                b'a' => 0x07,
                other => other,
            },
            2,
        ),
        (b'\'', Some(b'\'')) => (b'\'', 2),
        _ => (b'\\', 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::encode_request;

    fn read_all(reader: &mut RequestReader, buf: &mut BytesMut) -> Vec<Vec<String>> {
        let mut requests = Vec::new();
        while let Some(request) = reader.next(buf).expect("parsable") {
            requests.push(
                request
                    .args
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            );
        }
        requests
    }

    #[test]
    fn resp_and_inline_requests_in_one_stream() {
        let mut reader = RequestReader::default();
        let mut buf = BytesMut::from(
            &b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nSET  a b\r\n\r\n*-1\r\n*0\r\nPING\n*1\r\n$4\r\nPI"[..],
        );
        assert_eq!(
            read_all(&mut reader, &mut buf),
            [vec!["GET", "k"], vec!["SET", "a", "b"], vec!["PING"]]
        );
        buf.extend_from_slice(b"NG\r\n");
        assert_eq!(read_all(&mut reader, &mut buf), [vec!["PING"]]);
        assert!(buf.is_empty());
    }

    #[test]
    fn raw_bytes_are_the_request_as_sent() {
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"[..]);
        let request = RequestReader::default().next(&mut buf).unwrap().unwrap();
        let raw = request.raw.unwrap();
        assert_eq!(raw, Bytes::from_static(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
        let mut encoded = BytesMut::new();
        encode_request(&[&b"GET"[..], b"k"], &mut encoded);
        assert_eq!(encoded.freeze(), raw);
    }

    #[test]
    fn a_request_that_arrives_a_byte_at_a_time() {
        let mut stream = BytesMut::new();
        encode_request(&[&b"SET"[..], b"key", b"a value\r\nwith CRLF"], &mut stream);
        let mut reader = RequestReader::default();
        let mut buf = BytesMut::new();
        for (i, &byte) in stream.iter().enumerate() {
            buf.extend_from_slice(&[byte]);
            let got = reader.next(&mut buf).unwrap();
            assert_eq!(got.is_some(), i == stream.len() - 1, "at byte {i}");
        }
    }

    #[test]
    fn nesting_and_other_types_are_protocol_errors_as_redis_says_them() {
        let error = |input: &[u8]| {
            RequestReader::default()
                .next(&mut BytesMut::from(input))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(error(b"*1\r\n*1\r\n"), "Protocol error: expected '$', got '*'");
        assert_eq!(error(b"*1\r\n:5\r\n"), "Protocol error: expected '$', got ':'");
        assert_eq!(error(b"*x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(error(b"*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(error(b"*1\r\n$1x\r\n"), "Protocol error: invalid bulk length");
        assert!(error(b"*1\r\n$3\r\nabcd\r\n").contains("not followed by CRLF"));
        assert_eq!(
            error(b"GET \"k\r\n"),
            "Protocol error: unbalanced quotes in request"
        );
        let mut endless = BytesMut::from(&vec![b'a'; MAX_INLINE + 1][..]);
        assert_eq!(
            RequestReader::default()
                .next(&mut endless)
                .unwrap_err()
                .to_string(),
            "Protocol error: too big inline request"
        );
        // 200 000 nested array headers: one error, no recursion.
        let deep = b"*1\r\n".repeat(200_000);
        assert_eq!(error(&deep), "Protocol error: expected '$', got '*'");
    }

    #[test]
    fn requests_over_the_limits_are_refused_before_they_arrive() {
        let limits = Limits {
            max_args: 3,
            max_bytes: 100,
        };
        let mut many = BytesMut::from(&b"*4\r\n$3\r\nGET"[..]);
        assert!(RequestReader::new(limits)
            .next(&mut many)
            .unwrap_err()
            .0
            .contains("multibulk"));
        let mut big = BytesMut::from(&b"*2\r\n$3\r\nSET\r\n$1000\r\nxx"[..]);
        assert!(RequestReader::new(limits)
            .next(&mut big)
            .unwrap_err()
            .0
            .contains("bulk length"));
        let mut fine = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$2\r\nk"[..]);
        assert_eq!(RequestReader::new(limits).next(&mut fine), Ok(None));
    }

    #[test]
    fn inline_words_are_split_as_redis_splits_them() {
        let split = |line: &str| {
            split_args(line.as_bytes()).map(|words| {
                words
                    .into_iter()
                    .map(|w| String::from_utf8_lossy(&w).into_owned())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            split(r#"SET "a key" 'it''s'"#),
            None,
            "a closing quote must be followed by a space"
        );
        assert_eq!(
            split(r#"SET "a key" 'it\'s' "\x41\n""#),
            Some(vec!["SET".into(), "a key".into(), "it's".into(), "A\n".into()])
        );
        assert_eq!(split(r#"ECHO """#), Some(vec!["ECHO".into(), String::new()]));
        assert_eq!(split("  \t "), Some(vec![]));
        assert_eq!(split(r#"ECHO "open"#), None);
    }
}
