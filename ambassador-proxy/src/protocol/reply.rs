//! Replies from servers, in RESP2 and RESP3: found whole in the byte
//! stream and handed on as the server sent them.
//!
//! A reply is scanned, not decoded: one counter of the elements still to
//! come replaces the recursion a decoder would need, so a reply nested
//! 100 000 deep costs a counter, not the stack (redis-protocol 6 decodes
//! aggregates recursively, which is why the proxy does not use it here).
//! The scanner keeps its place between reads, so a large reply arriving
//! in pieces is scanned once.

use bytes::{Bytes, BytesMut};
use memchr::memchr;

use super::ProtocolError;

/// The largest reply accepted from a server; more drops its connection
/// (a server that never ends a reply must not fill the proxy's memory).
pub const MAX_REPLY_BYTES: usize = 1 << 30;

/// The longest line (simple string, error, number) in a reply.
const MAX_LINE: usize = 1 << 20;

/// A complete reply, as the server sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply's bytes.
    pub raw: Bytes,
}

/// Finds replies in a server's byte stream. One per connection: it
/// remembers how far into an incomplete reply it has scanned.
#[derive(Debug, Default)]
pub struct ReplyReader {
    /// Bytes of the incomplete reply scanned so far.
    at: usize,
    /// Elements still to come before the reply is complete; 0 between
    /// replies.
    remaining: u64,
}

impl ReplyReader {
    /// Takes the next complete reply off the front of `buf`; `Ok(None)`
    /// when more bytes are needed.
    pub fn next(&mut self, buf: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
        Ok(self.frame_len(buf)?.map(|len| Reply {
            raw: buf.split_to(len).freeze(),
        }))
    }

    /// The length of the complete frame at the front of `buf`, once it is
    /// complete; the reader is then ready for the next one.
    fn frame_len(&mut self, buf: &[u8]) -> Result<Option<usize>, ProtocolError> {
        if self.remaining == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            self.at = 0;
            self.remaining = 1;
        }
        while self.remaining > 0 {
            let Some(element) = element(buf, self.at)? else {
                return Ok(None);
            };
            if element.kind != b'|' {
                // An attribute comes before the element it describes.
                self.remaining -= 1;
            }
            self.remaining += element.children;
            self.at = element.end;
            if self.at > MAX_REPLY_BYTES {
                return Err(ProtocolError(format!("reply over {MAX_REPLY_BYTES} bytes")));
            }
        }
        Ok(Some(std::mem::take(&mut self.at)))
    }
}

/// One element's header (and data, for strings) in a reply.
struct Element {
    kind: u8,
    /// How many elements it contains (a map's pairs count twice).
    children: u64,
    /// Where the next element starts.
    end: usize,
}

/// The element starting at `at`, once its line (and data) are complete.
fn element(buf: &[u8], at: usize) -> Result<Option<Element>, ProtocolError> {
    let Some(&kind) = buf.get(at) else {
        return Ok(None);
    };
    if !b"+-:,(_#$=!*~>%|".contains(&kind) {
        return Err(ProtocolError(format!(
            "unexpected '{}' in a reply",
            String::from_utf8_lossy(&buf[at..buf.len().min(at + 32)]).escape_default()
        )));
    }
    let Some(newline) = memchr(b'\r', &buf[at + 1..]).map(|n| n + 1) else {
        if buf.len() - at > MAX_LINE {
            return Err(ProtocolError(format!("reply line over {MAX_LINE} bytes")));
        }
        return Ok(None);
    };
    let line_end = at + newline;
    let Some(&lf) = buf.get(line_end + 1) else {
        return Ok(None);
    };
    if lf != b'\n' {
        return Err(ProtocolError("CR without LF in a reply".into()));
    }
    let body = &buf[at + 1..line_end];
    let next = line_end + 2;
    let number = || {
        std::str::from_utf8(body)
            .ok()
            .and_then(|digits| digits.parse::<i64>().ok())
            .ok_or_else(|| {
                ProtocolError(format!(
                    "'{}' is not a number after '{}' in a reply",
                    String::from_utf8_lossy(body).escape_default(),
                    char::from(kind)
                ))
            })
    };
    // The largest count a reply under MAX_REPLY_BYTES can hold (each
    // element takes at least three bytes).
    let count = |n: i64, per: u64| -> Result<u64, ProtocolError> {
        if n < 0 || n as u64 > (MAX_REPLY_BYTES / 3) as u64 {
            return Err(ProtocolError(format!("invalid aggregate length {n} in a reply")));
        }
        Ok(n as u64 * per)
    };
    let line = |children| {
        Ok(Some(Element {
            kind,
            children,
            end: next,
        }))
    };
    match kind {
        b'+' | b'-' | b',' | b'(' => line(0),
        b':' => number().and_then(|_| line(0)),
        b'_' if body.is_empty() => line(0),
        b'#' if body == b"t" || body == b"f" => line(0),
        b'$' | b'=' | b'!' => {
            let length = number()?;
            if length == -1 && kind == b'$' {
                return line(0);
            }
            if length < 0 || length as u64 > MAX_REPLY_BYTES as u64 {
                return Err(ProtocolError(format!("invalid bulk length {length} in a reply")));
            }
            let end = next + length as usize;
            match buf.get(end..end + 2) {
                None => Ok(None),
                Some(b"\r\n") => Ok(Some(Element {
                    kind,
                    children: 0,
                    end: end + 2,
                })),
                Some(_) => Err(ProtocolError(format!(
                    "bulk of {length} bytes not followed by CRLF in a reply"
                ))),
            }
        }
        b'*' if body == b"-1" => line(0),
        b'*' | b'~' | b'>' => line(count(number()?, 1)?),
        b'%' | b'|' => line(count(number()?, 2)?),
        _ => Err(ProtocolError(format!(
            "'{}' is not a valid '{}' line in a reply",
            String::from_utf8_lossy(body).escape_default(),
            char::from(kind)
        ))),
    }
}

/// Takes the next reply off the front of `buf` with a fresh reader (for
/// one-off exchanges and tests; connections keep a [`ReplyReader`]).
pub fn next_reply(buf: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
    ReplyReader::default().next(buf)
}

impl Reply {
    /// The type byte: `+`, `-`, `:`, `$`, `*`, or a RESP3 one.
    pub fn kind(&self) -> u8 {
        self.raw.first().copied().unwrap_or(b'-')
    }

    /// An error reply (simple or RESP3 blob error).
    pub fn is_error(&self) -> bool {
        matches!(self.kind(), b'-' | b'!')
    }

    /// The value of an integer reply.
    pub fn integer(&self) -> Option<i64> {
        if self.kind() != b':' {
            return None;
        }
        std::str::from_utf8(self.raw.get(1..self.raw.len().checked_sub(2)?)?)
            .ok()?
            .parse()
            .ok()
    }

    /// The elements of an array, set or push reply, or the keys and values
    /// of a map, each as its own bytes; `None` for other replies.
    pub fn elements(&self) -> Option<Vec<Bytes>> {
        if !matches!(self.kind(), b'*' | b'~' | b'%' | b'>') || self.raw.starts_with(b"*-1") {
            return None;
        }
        let header = element(&self.raw, 0).ok()??;
        let mut elements = Vec::with_capacity(header.children.min(1 << 16) as usize);
        let mut at = header.end;
        for _ in 0..header.children {
            let len = ReplyReader::default().frame_len(&self.raw[at..]).ok()??;
            elements.push(self.raw.slice(at..at + len));
            at += len;
        }
        Some(elements)
    }
}

/// The kinds of reply a command can have; a reply of any other kind means
/// that the server's reply stream is out of step with the requests (a
/// stray reply shifted it), and the connection cannot be trusted. Errors
/// fit every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape(u8);

impl Shape {
    /// Anything (commands whose replies the proxy does not know).
    pub const ANY: Shape = Shape(0xff);
    /// `+OK` and other simple strings.
    pub const STATUS: Shape = Shape(1);
    /// An integer.
    pub const INTEGER: Shape = Shape(2);
    /// A bulk string, or a null.
    pub const BULK: Shape = Shape(4);
    /// An array, set or map, or a null.
    pub const AGGREGATE: Shape = Shape(8);
    /// A double (RESP3).
    pub const DOUBLE: Shape = Shape(16);

    /// Either shape.
    pub const fn or(self, other: Shape) -> Shape {
        Shape(self.0 | other.0)
    }

    /// Whether `reply` can be a reply of a command of this shape.
    pub fn fits(self, reply: &Reply) -> bool {
        let shape = match reply.kind() {
            b'-' | b'!' | b'|' => return true,
            b'_' => Shape::BULK.or(Shape::AGGREGATE),
            b'+' => Shape::STATUS,
            b':' => Shape::INTEGER,
            b'$' | b'=' => Shape::BULK,
            b'*' | b'~' | b'%' => Shape::AGGREGATE,
            b',' => Shape::DOUBLE,
            _ => Shape::ANY,
        };
        self.0 & shape.0 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replies(stream: &[u8]) -> Vec<Bytes> {
        let mut buf = BytesMut::from(stream);
        let mut reader = ReplyReader::default();
        let mut found = Vec::new();
        while let Some(reply) = reader.next(&mut buf).unwrap() {
            found.push(reply.raw);
        }
        assert!(buf.is_empty(), "left over: {buf:?}");
        found
    }

    #[test]
    fn replies_keep_their_bytes() {
        let stream = b"$3\r\nbar\r\n*2\r\n:1\r\n$-1\r\n-ERR x\r\n*-1\r\n%1\r\n+a\r\n~2\r\n_\r\n#t\r\n|1\r\n+k\r\n+v\r\n,1.5\r\n";
        assert_eq!(
            replies(stream),
            [
                &b"$3\r\nbar\r\n"[..],
                b"*2\r\n:1\r\n$-1\r\n",
                b"-ERR x\r\n",
                b"*-1\r\n",
                b"%1\r\n+a\r\n~2\r\n_\r\n#t\r\n",
                b"|1\r\n+k\r\n+v\r\n,1.5\r\n",
            ]
        );
    }

    #[test]
    fn a_reply_in_pieces_waits_for_its_end() {
        let stream = b"*3\r\n$5\r\nhello\r\n*1\r\n:7\r\n=8\r\ntxt:abcd\r\n+next\r\n";
        for cut in 0..stream.len() {
            let mut reader = ReplyReader::default();
            let mut buf = BytesMut::from(&stream[..cut]);
            let first = reader.next(&mut buf).unwrap();
            buf.extend_from_slice(&stream[cut..]);
            let first = first.or_else(|| reader.next(&mut buf).unwrap()).unwrap();
            assert_eq!(first.raw.len(), stream.len() - 7, "cut at {cut}");
            assert_eq!(reader.next(&mut buf).unwrap().unwrap().raw, &b"+next\r\n"[..]);
        }
    }

    #[test]
    fn deep_nesting_is_only_a_count() {
        let depth = 200_000;
        let mut stream = b"*1\r\n".repeat(depth);
        stream.extend_from_slice(b":1\r\n");
        assert_eq!(replies(&stream)[0].len(), stream.len());
        let mut open = BytesMut::from(&b"*1\r\n".repeat(depth)[..]);
        assert_eq!(ReplyReader::default().next(&mut open), Ok(None));
    }

    #[test]
    fn lies_and_garbage_are_errors() {
        let error = |stream: &[u8]| ReplyReader::default().next(&mut BytesMut::from(stream)).is_err();
        assert!(error(b"$3\r\nabcd\r\n"));
        assert!(error(b"$-2\r\n"));
        assert!(error(b"*x\r\n"));
        assert!(error(b"*99999999999\r\n"));
        assert!(error(b":1.5\r\n"));
        assert!(error(b"?x\r\n"));
        assert!(error(b"+ok\rx"));
        assert!(error(&[b'+'; MAX_LINE + 2]));
        assert!(error(b"\r\n"));
    }

    #[test]
    fn elements_and_integers() {
        let mut buf = BytesMut::from(&b"*3\r\n$1\r\na\r\n*1\r\n:2\r\n$-1\r\n"[..]);
        let reply = next_reply(&mut buf).unwrap().unwrap();
        assert_eq!(
            reply.elements().unwrap(),
            [&b"$1\r\na\r\n"[..], b"*1\r\n:2\r\n", b"$-1\r\n"]
        );
        let mut buf = BytesMut::from(&b":-42\r\n"[..]);
        assert_eq!(next_reply(&mut buf).unwrap().unwrap().integer(), Some(-42));
    }

    #[test]
    fn shapes() {
        let reply = |raw: &'static [u8]| Reply {
            raw: Bytes::from_static(raw),
        };
        assert!(Shape::BULK.fits(&reply(b"$-1\r\n")));
        assert!(Shape::BULK.fits(&reply(b"_\r\n")));
        assert!(Shape::BULK.fits(&reply(b"-ERR x\r\n")));
        assert!(!Shape::BULK.fits(&reply(b"+OK\r\n")));
        assert!(!Shape::INTEGER.fits(&reply(b"$1\r\n1\r\n")));
        assert!(Shape::STATUS.or(Shape::BULK).fits(&reply(b"$1\r\n1\r\n")));
        assert!(Shape::ANY.fits(&reply(b"+OK\r\n")));
    }
}
