//! Putting back together the replies of a command split over servers.

use bytes::{BufMut, Bytes, BytesMut};

use crate::backend::BackendError;
use crate::command::Merge;
use crate::protocol::{error_reply, integer_reply, ok_reply, Reply};

/// One server's share of a split command: which keys (by their index among
/// the command's keys) it got, and its reply.
pub struct Share {
    /// Indexes, among all the command's keys, of the keys sent to this server.
    pub keys: Vec<usize>,
    /// What the server answered.
    pub reply: Result<Reply, BackendError>,
}

/// The client's reply to a command with `key_count` keys split into `shares`.
/// The first error from any server is the reply. Values are copied as the
/// servers sent them, so a RESP3 null stays one.
pub fn merge(merge: Merge, key_count: usize, shares: Vec<Share>) -> Bytes {
    let mut values: Vec<Option<Bytes>> = vec![None; if merge == Merge::Values { key_count } else { 0 }];
    let mut sum = 0i64;
    for share in shares {
        let reply = match share.reply {
            Ok(reply) => reply,
            Err(e) => return error_reply(&e.to_string()),
        };
        if reply.is_error() {
            return reply.raw;
        }
        let fits = match merge {
            Merge::Values => match reply.elements() {
                Some(items) if items.len() == share.keys.len() => {
                    for (index, item) in share.keys.into_iter().zip(items) {
                        values[index] = Some(item);
                    }
                    true
                }
                _ => false,
            },
            Merge::Sum => reply.integer().map(|n| sum = sum.saturating_add(n)).is_some(),
            Merge::Ok => reply.kind() == b'+',
        };
        if !fits {
            return error_reply("a server sent a reply of an unexpected type to a split command");
        }
    }
    match merge {
        Merge::Values => {
            let mut out = BytesMut::new();
            out.put_slice(format!("*{key_count}\r\n").as_bytes());
            for value in values {
                out.put_slice(value.as_deref().unwrap_or(b"$-1\r\n"));
            }
            out.freeze()
        }
        Merge::Sum => integer_reply(sum),
        Merge::Ok => ok_reply(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(raw: &'static [u8]) -> Result<Reply, BackendError> {
        let mut buf = BytesMut::from(raw);
        Ok(crate::protocol::next_reply(&mut buf).unwrap().unwrap())
    }

    #[test]
    fn values_come_back_in_key_order() {
        let shares = vec![
            Share {
                keys: vec![1, 2],
                reply: reply(b"*2\r\n$1\r\nb\r\n$-1\r\n"),
            },
            Share {
                keys: vec![0],
                reply: reply(b"*1\r\n$1\r\na\r\n"),
            },
        ];
        assert_eq!(
            merge(Merge::Values, 3, shares),
            Bytes::from_static(b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$-1\r\n")
        );
    }

    #[test]
    fn sums_oks_and_errors() {
        let sums = vec![
            Share {
                keys: vec![0],
                reply: reply(b":1\r\n"),
            },
            Share {
                keys: vec![1],
                reply: reply(b":2\r\n"),
            },
        ];
        assert_eq!(merge(Merge::Sum, 2, sums), Bytes::from_static(b":3\r\n"));
        let oks = vec![Share {
            keys: vec![0],
            reply: reply(b"+OK\r\n"),
        }];
        assert_eq!(merge(Merge::Ok, 1, oks), Bytes::from_static(b"+OK\r\n"));
        let failed = vec![
            Share {
                keys: vec![0],
                reply: reply(b":1\r\n"),
            },
            Share {
                keys: vec![1],
                reply: Err(BackendError::Lost("b:1".into())),
            },
        ];
        assert!(merge(Merge::Sum, 2, failed).starts_with(b"-ERR connection to server b:1 lost"));
    }
}
