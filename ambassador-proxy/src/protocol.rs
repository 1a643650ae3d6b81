//! RESP2 on the wire: requests from clients (arrays of bulk strings, or
//! inline commands typed into a raw connection) and replies from servers,
//! through the redis-protocol crate. Replies keep their raw bytes, so that
//! what a server said reaches the client byte for byte.

use bytes::{BufMut, Bytes, BytesMut};
use redis_protocol::resp2::decode::decode_bytes_mut;
use redis_protocol::resp2::types::BytesFrame;

/// The longest inline command line accepted (as Redis: 64 KiB).
pub const MAX_INLINE: usize = 64 * 1024;

/// A request: the command name and its arguments.
pub type Request = Vec<Bytes>;

/// What reading a request from the buffer gave.
#[derive(Debug, PartialEq)]
pub enum Incoming {
    /// A complete request, and the RESP bytes it came as (`None` for an
    /// inline command): forwarded as they are when one server gets it whole.
    Request(Request, Option<Bytes>),
    /// A complete frame that is not a request (an array of integers, say):
    /// answered with this error, and the connection goes on.
    Invalid(String),
}

/// The stream cannot be parsed any further: the connection must close.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("Protocol error: {0}")]
pub struct ProtocolError(pub String);

/// How large a request a client may send. A request over a limit is an
/// unparsable stream: the client gets an error and its connection closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most arguments in one request.
    pub max_args: usize,
    /// Most bytes in one request; Redis's own bulk limit is 512 MiB.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_args: 1024 * 1024,
            max_bytes: 512 * 1024 * 1024,
        }
    }
}

/// Checks what the incomplete request at the front of `buf` declares (its
/// argument count and bulk lengths) against `limits`, before its bytes
/// arrive and fill memory.
fn check_declared(buf: &[u8], limits: &Limits) -> Result<(), ProtocolError> {
    let line = |at: usize| -> Option<(i64, usize)> {
        let end = at + memchr_crlf(&buf[at..])?;
        let n = std::str::from_utf8(&buf[at + 1..end]).ok()?.parse().ok()?;
        Some((n, end + 2))
    };
    let Some((count, mut at)) = line(0) else {
        return Ok(());
    };
    if count > limits.max_args as i64 {
        return Err(ProtocolError(format!(
            "invalid multibulk length: {count} arguments, at most {}",
            limits.max_args
        )));
    }
    let mut total = 0i64;
    for _ in 0..count {
        if buf.get(at) != Some(&b'$') {
            return Ok(());
        }
        let Some((len, next)) = line(at) else {
            return Ok(());
        };
        total += len.max(0);
        if total > limits.max_bytes as i64 {
            return Err(ProtocolError(format!(
                "invalid bulk length: request over {} bytes",
                limits.max_bytes
            )));
        }
        at = next + len.max(0) as usize + 2;
        if at > buf.len() {
            return Ok(());
        }
    }
    Ok(())
}

fn memchr_crlf(bytes: &[u8]) -> Option<usize> {
    bytes.windows(2).position(|w| w == b"\r\n")
}

/// Takes the next request off the front of `buf`; `Ok(None)` when more
/// bytes are needed.
pub fn next_request(buf: &mut BytesMut) -> Result<Option<Incoming>, ProtocolError> {
    next_request_within(buf, &Limits::default())
}

/// [`next_request`], refusing requests over `limits`.
pub fn next_request_within(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Incoming>, ProtocolError> {
    loop {
        let Some(&first) = buf.first() else {
            return Ok(None);
        };
        if first != b'*' {
            match inline(buf)? {
                Some(args) if args.is_empty() => continue,
                Some(args) => return Ok(Some(Incoming::Request(args, None))),
                None => return Ok(None),
            }
        }
        let Some((frame, _, raw)) = decode_bytes_mut(buf).map_err(|e| ProtocolError(e.to_string()))? else {
            check_declared(buf, limits)?;
            return Ok(None);
        };
        return Ok(Some(match frame {
            BytesFrame::Array(items) if items.is_empty() => continue,
            BytesFrame::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    BytesFrame::BulkString(bytes) | BytesFrame::SimpleString(bytes) => Ok(bytes),
                    other => Err(format!(
                        "expected bulk strings in a request, got {}",
                        kind(&other)
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_or_else(Incoming::Invalid, |args| Incoming::Request(args, Some(raw))),
            other => Incoming::Invalid(format!("expected an array of bulk strings, got {}", kind(&other))),
        }));
    }
}

/// An inline command: one line, words split on spaces (no quoting).
fn inline(buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_INLINE {
            return Err(ProtocolError("too big inline request".into()));
        }
        return Ok(None);
    };
    let line = buf.split_to(end + 1).freeze();
    let text = line.slice(..end).slice_ref(trim_cr(&line[..end]));
    Ok(Some(
        text.split(|&b| b == b' ' || b == b'\t')
            .filter(|word| !word.is_empty())
            .map(|word| text.slice_ref(word))
            .collect(),
    ))
}

/// The RESP type of a frame, for error messages.
fn kind(frame: &BytesFrame) -> &'static str {
    match frame {
        BytesFrame::SimpleString(_) => "a simple string",
        BytesFrame::Error(_) => "an error",
        BytesFrame::Integer(_) => "an integer",
        BytesFrame::BulkString(_) => "a bulk string",
        BytesFrame::Array(_) => "an array",
        BytesFrame::Null => "a null",
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A server's reply: its frame, and the exact bytes it came as.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The decoded reply, for replies the proxy merges (MGET, DEL, ...).
    pub frame: BytesFrame,
    /// The reply as the server sent it.
    pub raw: Bytes,
}

/// Takes the next reply off the front of `buf`; `Ok(None)` when more bytes
/// are needed.
pub fn next_reply(buf: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
    Ok(decode_bytes_mut(buf)
        .map_err(|e| ProtocolError(e.to_string()))?
        .map(|(frame, _, raw)| Reply { frame, raw }))
}

/// Encodes a request as a RESP2 array of bulk strings.
pub fn encode_request<B: AsRef<[u8]>>(args: &[B], out: &mut BytesMut) {
    out.reserve(16 + args.iter().map(|a| a.as_ref().len() + 16).sum::<usize>());
    put_header(out, b'*', args.len());
    for arg in args {
        let arg = arg.as_ref();
        put_header(out, b'$', arg.len());
        out.put_slice(arg);
        out.put_slice(b"\r\n");
    }
}

/// `<kind><n>\r\n`, without the allocation `format!` would make.
fn put_header(out: &mut BytesMut, kind: u8, n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.put_u8(kind);
    out.put_slice(&digits[at..]);
    out.put_slice(b"\r\n");
}

/// `-ERR message\r\n`, with line breaks in the message flattened.
pub fn error_reply(message: &str) -> Bytes {
    let message = message.replace(['\r', '\n'], " ");
    if message.starts_with("ERR ")
        || message
            .split(' ')
            .next()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_uppercase()) && !w.is_empty())
    {
        Bytes::from(format!("-{message}\r\n"))
    } else {
        Bytes::from(format!("-ERR {message}\r\n"))
    }
}

/// `:n\r\n`.
pub fn integer_reply(n: i64) -> Bytes {
    Bytes::from(format!(":{n}\r\n"))
}

/// `+OK\r\n`.
pub fn ok_reply() -> Bytes {
    Bytes::from_static(b"+OK\r\n")
}

/// A bulk string reply.
pub fn bulk_reply(value: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(value.len() + 16);
    out.put_slice(format!("${}\r\n", value.len()).as_bytes());
    out.put_slice(value);
    out.put_slice(b"\r\n");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of the next request, and whether its raw bytes came along.
    fn next_words(buf: &mut BytesMut) -> Option<(Vec<String>, bool)> {
        match next_request(buf).expect("parsable") {
            Some(Incoming::Request(args, raw)) => Some((
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
                raw.is_some(),
            )),
            Some(Incoming::Invalid(why)) => panic!("invalid: {why}"),
            None => None,
        }
    }

    fn words(words: &[&str], raw: bool) -> Option<(Vec<String>, bool)> {
        Some((words.iter().map(|w| (*w).to_owned()).collect(), raw))
    }

    #[test]
    fn resp_and_inline_requests_in_one_stream() {
        let mut buf =
            BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nSET  a b\r\n\r\nPING\n*1\r\n$4\r\nPI"[..]);
        assert_eq!(next_words(&mut buf), words(&["GET", "k"], true));
        assert_eq!(next_words(&mut buf), words(&["SET", "a", "b"], false));
        assert_eq!(next_words(&mut buf), words(&["PING"], false));
        assert_eq!(next_words(&mut buf), None, "half a frame waits");
        buf.extend_from_slice(b"NG\r\n");
        assert_eq!(next_words(&mut buf), words(&["PING"], true));
    }

    #[test]
    fn raw_bytes_are_the_request_as_sent() {
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"[..]);
        let Ok(Some(Incoming::Request(_, Some(raw)))) = next_request(&mut buf) else {
            panic!("a request with its bytes");
        };
        assert_eq!(raw, Bytes::from_static(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
        let mut encoded = BytesMut::new();
        encode_request(&[&b"GET"[..], b"k"], &mut encoded);
        assert_eq!(encoded.freeze(), raw);
    }

    #[test]
    fn requests_over_the_limits_are_refused_before_they_arrive() {
        let limits = Limits {
            max_args: 3,
            max_bytes: 100,
        };
        let mut many = BytesMut::from(&b"*4\r\n$3\r\nGET"[..]);
        assert!(next_request_within(&mut many, &limits)
            .unwrap_err()
            .0
            .contains("multibulk"));
        let mut big = BytesMut::from(&b"*2\r\n$3\r\nSET\r\n$1000\r\nxx"[..]);
        assert!(next_request_within(&mut big, &limits)
            .unwrap_err()
            .0
            .contains("bulk length"));
        let mut fine = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$2\r\nk"[..]);
        assert_eq!(next_request_within(&mut fine, &limits), Ok(None));
    }

    #[test]
    fn non_requests_are_answered_and_garbage_closes() {
        let mut buf = BytesMut::from(&b"*1\r\n:5\r\n*1\r\n$3\r\nfoo\r\n"[..]);
        assert!(matches!(next_request(&mut buf), Ok(Some(Incoming::Invalid(_)))));
        assert_eq!(next_words(&mut buf), words(&["foo"], true));
        let mut garbage = BytesMut::from(&b"*x\r\n"[..]);
        assert!(next_request(&mut garbage).is_err());
    }

    #[test]
    fn replies_keep_their_bytes() {
        let mut buf = BytesMut::from(&b"$3\r\nbar\r\n*2\r\n:1\r\n$-1\r\n-ERR x\r\n"[..]);
        assert_eq!(
            next_reply(&mut buf).unwrap().unwrap().raw,
            Bytes::from_static(b"$3\r\nbar\r\n")
        );
        assert_eq!(
            next_reply(&mut buf).unwrap().unwrap().raw,
            Bytes::from_static(b"*2\r\n:1\r\n$-1\r\n")
        );
        let error = next_reply(&mut buf).unwrap().unwrap();
        assert!(matches!(error.frame, BytesFrame::Error(_)));
    }

    #[test]
    fn error_replies_get_a_prefix() {
        assert_eq!(
            error_reply("unknown command"),
            Bytes::from_static(b"-ERR unknown command\r\n")
        );
        assert_eq!(
            error_reply("NOPROTO sorry"),
            Bytes::from_static(b"-NOPROTO sorry\r\n")
        );
    }
}
