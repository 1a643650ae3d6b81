//! RESP on the wire: [`request`] reads clients' requests as Redis does,
//! [`reply`] finds servers' replies (RESP2 and RESP3) without decoding
//! them; this module writes requests and the replies the proxy makes
//! itself.

pub mod reply;
pub mod request;

use bytes::{BufMut, Bytes, BytesMut};

pub use reply::{next_reply, Reply, ReplyReader, Shape};
pub use request::{Request, RequestReader, MAX_INLINE};

/// The protocol a client speaks (`HELLO 3` asks for RESP3). Each has its
/// own server connections, so that a server's reply reaches the client in
/// the protocol it asked for, byte for byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, what every client speaks until it says `HELLO 3`.
    #[default]
    Resp2,
    /// RESP3.
    Resp3,
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

/// The error codes Redis starts its errors with, which clients match on.
const ERROR_CODES: &[&str] = &[
    "ERR",
    "WRONGTYPE",
    "NOAUTH",
    "WRONGPASS",
    "NOPROTO",
    "NOPERM",
    "CROSSSLOT",
    "MOVED",
    "ASK",
    "BUSY",
    "NOSCRIPT",
    "LOADING",
    "READONLY",
    "EXECABORT",
    "OOM",
    "MASTERDOWN",
    "MISCONF",
    "TRYAGAIN",
];

/// `-ERR message\r\n`, or `-CODE rest\r\n` when the message starts with
/// one of Redis's error codes; line breaks in the message flattened.
pub fn error_reply(message: &str) -> Bytes {
    let message = message.replace(['\r', '\n'], " ");
    let first = message.split(' ').next().unwrap_or_default();
    if ERROR_CODES.contains(&first) {
        Bytes::from(format!("-{message}\r\n"))
    } else {
        Bytes::from(format!("-ERR {message}\r\n"))
    }
}

/// `-ERR wrong number of arguments for 'name' command`, as Redis says it.
pub fn wrong_arity(name: &[u8]) -> Bytes {
    error_reply(&format!(
        "wrong number of arguments for '{}' command",
        String::from_utf8_lossy(name).to_lowercase()
    ))
}

/// `:n\r\n`.
pub fn integer_reply(n: i64) -> Bytes {
    Bytes::from(format!(":{n}\r\n"))
}

/// `+OK\r\n`.
pub fn ok_reply() -> Bytes {
    Bytes::from_static(b"+OK\r\n")
}

/// A null: `$-1` in RESP2, `_` in RESP3.
pub fn null_reply(protocol: Protocol) -> Bytes {
    Bytes::from_static(match protocol {
        Protocol::Resp2 => b"$-1\r\n",
        Protocol::Resp3 => b"_\r\n",
    })
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
        assert_eq!(
            error_reply("CLIENT supports SETNAME"),
            Bytes::from_static(b"-ERR CLIENT supports SETNAME\r\n")
        );
    }
}
