//! The command table: for each command the proxy knows, where its keys are
//! and how it is served. Anything not in the table gets an error reply that
//! names it; the connection stays open.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::protocol::Shape;

/// How replies of a command sent to several servers are put back together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Merge {
    /// MGET: the values, in the order the keys were asked.
    Values,
    /// DEL, UNLINK, TOUCH, EXISTS: the integers summed.
    Sum,
    /// MSET: `+OK` once every server said OK. Keys are every other argument.
    Ok,
}

/// Which arguments of a command are keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// The arguments at these positions.
    At(&'static [usize]),
    /// Every argument from this position on.
    From(usize),
    /// Every other argument from position 1 (MSETNX's key-value pairs).
    Pairs,
    /// `numkeys` at this position, the keys right after it (ZUNIONSTORE's
    /// sources); `extra` positions before it are keys too (its destination).
    Counted {
        /// Where `numkeys` is.
        numkeys_at: usize,
        /// Positions before it that are keys too.
        extra: &'static [usize],
    },
}

/// What the proxy does with a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Sent to the server of its one key, at this argument position.
    Single(usize),
    /// Sent per server with that server's keys, the replies merged.
    FanOut(Merge),
    /// Its keys must live together: sent whole when they all hash to one
    /// server, refused otherwise.
    Together(Keys),
    /// Answered by the proxy itself.
    Local,
    /// Refused, for this reason.
    Unsupported(&'static str),
}

/// A command the proxy knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// Upper-case name.
    pub name: &'static str,
    /// How it is served.
    pub route: Route,
    /// The fewest arguments it takes, its name included.
    pub min_args: usize,
    /// The kinds of reply it can have: a server's reply of another kind
    /// shows its reply stream out of step.
    pub reply: Shape,
}

#[rustfmt::skip]
const SINGLE_KEY: &[(&str, usize)] = &[
    // strings
    ("APPEND", 3), ("BITCOUNT", 2), ("BITFIELD", 2), ("BITFIELD_RO", 2), ("BITPOS", 3), ("DECR", 2),
    ("DECRBY", 3), ("GET", 2), ("GETBIT", 3), ("GETDEL", 2), ("GETEX", 2), ("GETRANGE", 4), ("GETSET", 3),
    ("INCR", 2), ("INCRBY", 3), ("INCRBYFLOAT", 3), ("PSETEX", 4), ("SET", 3), ("SETBIT", 4), ("SETEX", 4),
    ("SETNX", 3), ("SETRANGE", 4), ("STRLEN", 2), ("SUBSTR", 4), ("LCS", 3),
    // keys
    ("DUMP", 2), ("EXPIRE", 3), ("EXPIREAT", 3), ("EXPIRETIME", 2), ("PERSIST", 2), ("PEXPIRE", 3),
    ("PEXPIREAT", 3), ("PEXPIRETIME", 2), ("PTTL", 2), ("RESTORE", 4), ("SORT", 2), ("SORT_RO", 2),
    ("TTL", 2), ("TYPE", 2),
    // hashes
    ("HDEL", 3), ("HEXISTS", 3), ("HGET", 3), ("HGETALL", 2), ("HINCRBY", 4), ("HINCRBYFLOAT", 4),
    ("HKEYS", 2), ("HLEN", 2), ("HMGET", 3), ("HMSET", 4), ("HRANDFIELD", 2), ("HSCAN", 3), ("HSET", 4),
    ("HSETNX", 4), ("HSTRLEN", 3), ("HVALS", 2),
    // lists
    ("LINDEX", 3), ("LINSERT", 5), ("LLEN", 2), ("LPOP", 2), ("LPOS", 3), ("LPUSH", 3), ("LPUSHX", 3),
    ("LRANGE", 4), ("LREM", 4), ("LSET", 4), ("LTRIM", 4), ("RPOP", 2), ("RPUSH", 3), ("RPUSHX", 3),
    // sets
    ("SADD", 3), ("SCARD", 2), ("SISMEMBER", 3), ("SMEMBERS", 2), ("SMISMEMBER", 3), ("SPOP", 2),
    ("SRANDMEMBER", 2), ("SREM", 3), ("SSCAN", 3),
    // sorted sets
    ("ZADD", 4), ("ZCARD", 2), ("ZCOUNT", 4), ("ZINCRBY", 4), ("ZLEXCOUNT", 4), ("ZMSCORE", 3),
    ("ZPOPMAX", 2), ("ZPOPMIN", 2), ("ZRANDMEMBER", 2), ("ZRANGE", 4), ("ZRANGEBYLEX", 4),
    ("ZRANGEBYSCORE", 4), ("ZRANK", 3), ("ZREM", 3), ("ZREMRANGEBYLEX", 4), ("ZREMRANGEBYRANK", 4),
    ("ZREMRANGEBYSCORE", 4), ("ZREVRANGE", 4), ("ZREVRANGEBYLEX", 4), ("ZREVRANGEBYSCORE", 4),
    ("ZREVRANK", 3), ("ZSCAN", 3), ("ZSCORE", 3),
    // hyperloglog, geo, streams
    ("PFADD", 2), ("GEOADD", 5), ("GEODIST", 4), ("GEOHASH", 2), ("GEOPOS", 2), ("GEORADIUS", 6),
    ("GEORADIUS_RO", 6), ("GEORADIUSBYMEMBER", 5), ("GEORADIUSBYMEMBER_RO", 5), ("GEOSEARCH", 4),
    ("XADD", 5), ("XDEL", 3), ("XLEN", 2), ("XRANGE", 4), ("XREVRANGE", 4), ("XTRIM", 4),
];

#[rustfmt::skip]
const TOGETHER: &[(&str, Keys, usize)] = &[
    ("RENAME", Keys::At(&[1, 2]), 3),
    ("RENAMENX", Keys::At(&[1, 2]), 3),
    ("COPY", Keys::At(&[1, 2]), 3),
    ("SMOVE", Keys::At(&[1, 2]), 4),
    ("RPOPLPUSH", Keys::At(&[1, 2]), 3),
    ("LMOVE", Keys::At(&[1, 2]), 5),
    ("SDIFF", Keys::From(1), 2),
    ("SDIFFSTORE", Keys::From(1), 3),
    ("SINTER", Keys::From(1), 2),
    ("SINTERSTORE", Keys::From(1), 3),
    ("SUNION", Keys::From(1), 2),
    ("SUNIONSTORE", Keys::From(1), 3),
    ("PFCOUNT", Keys::From(1), 2),
    ("PFMERGE", Keys::From(1), 2),
    ("MSETNX", Keys::Pairs, 3),
    ("BITOP", Keys::From(2), 4),
    ("ZUNIONSTORE", Keys::Counted { numkeys_at: 2, extra: &[1] }, 4),
    ("ZINTERSTORE", Keys::Counted { numkeys_at: 2, extra: &[1] }, 4),
    ("ZDIFFSTORE", Keys::Counted { numkeys_at: 2, extra: &[1] }, 4),
    ("ZUNION", Keys::Counted { numkeys_at: 1, extra: &[] }, 3),
    ("ZINTER", Keys::Counted { numkeys_at: 1, extra: &[] }, 3),
    ("ZDIFF", Keys::Counted { numkeys_at: 1, extra: &[] }, 3),
    ("EVAL", Keys::Counted { numkeys_at: 2, extra: &[] }, 3),
    ("EVALSHA", Keys::Counted { numkeys_at: 2, extra: &[] }, 3),
    ("EVAL_RO", Keys::Counted { numkeys_at: 2, extra: &[] }, 3),
    ("EVALSHA_RO", Keys::Counted { numkeys_at: 2, extra: &[] }, 3),
    ("ZRANGESTORE", Keys::At(&[1, 2]), 5),
    ("GEOSEARCHSTORE", Keys::At(&[1, 2]), 8),
    // No key: to the server of the empty key, as EVAL without keys.
    ("LOLWUT", Keys::At(&[]), 1),
];

const FAN_OUT: &[(&str, Merge, usize)] = &[
    ("MGET", Merge::Values, 2),
    ("DEL", Merge::Sum, 2),
    ("UNLINK", Merge::Sum, 2),
    ("TOUCH", Merge::Sum, 2),
    ("EXISTS", Merge::Sum, 2),
    ("MSET", Merge::Ok, 3),
];

#[rustfmt::skip]
const LOCAL: &[(&str, usize)] = &[
    ("PING", 1), ("ECHO", 2), ("QUIT", 1), ("SELECT", 2), ("AUTH", 2), ("CLIENT", 2), ("HELLO", 1),
    ("COMMAND", 1), ("INFO", 1),
];

const NEEDS_EVERY_SERVER: &str = "it would need every server behind the proxy";
const NEEDS_ONE_CONNECTION: &str = "it needs one server connection to itself, which a proxy shares";
const SERVER_ADMIN: &str = "it administers a server; connect to that server directly";

#[rustfmt::skip]
const UNSUPPORTED: &[(&str, &str)] = &[
    ("KEYS", NEEDS_EVERY_SERVER), ("SCAN", NEEDS_EVERY_SERVER), ("RANDOMKEY", NEEDS_EVERY_SERVER),
    ("DBSIZE", NEEDS_EVERY_SERVER), ("FLUSHALL", NEEDS_EVERY_SERVER), ("FLUSHDB", NEEDS_EVERY_SERVER),
    ("MULTI", NEEDS_ONE_CONNECTION), ("EXEC", NEEDS_ONE_CONNECTION), ("DISCARD", NEEDS_ONE_CONNECTION),
    ("WATCH", NEEDS_ONE_CONNECTION), ("UNWATCH", NEEDS_ONE_CONNECTION), ("SUBSCRIBE", NEEDS_ONE_CONNECTION),
    ("PSUBSCRIBE", NEEDS_ONE_CONNECTION), ("SSUBSCRIBE", NEEDS_ONE_CONNECTION),
    ("UNSUBSCRIBE", NEEDS_ONE_CONNECTION), ("PUNSUBSCRIBE", NEEDS_ONE_CONNECTION),
    ("PUBLISH", NEEDS_EVERY_SERVER), ("BLPOP", NEEDS_ONE_CONNECTION), ("BRPOP", NEEDS_ONE_CONNECTION),
    ("BLMOVE", NEEDS_ONE_CONNECTION), ("BRPOPLPUSH", NEEDS_ONE_CONNECTION), ("BZPOPMIN", NEEDS_ONE_CONNECTION),
    ("BZPOPMAX", NEEDS_ONE_CONNECTION), ("BLMPOP", NEEDS_ONE_CONNECTION), ("BZMPOP", NEEDS_ONE_CONNECTION),
    ("XREAD", NEEDS_ONE_CONNECTION), ("XREADGROUP", NEEDS_ONE_CONNECTION), ("WAIT", NEEDS_ONE_CONNECTION),
    ("MOVE", "it moves a key between databases, and the proxy serves one"),
    ("SWAPDB", "it swaps databases, and the proxy serves one"),
    ("SCRIPT", NEEDS_EVERY_SERVER), ("FUNCTION", NEEDS_EVERY_SERVER), ("FCALL", NEEDS_EVERY_SERVER),
    ("CONFIG", SERVER_ADMIN), ("SHUTDOWN", SERVER_ADMIN), ("DEBUG", SERVER_ADMIN),
    ("SAVE", SERVER_ADMIN), ("BGSAVE", SERVER_ADMIN), ("BGREWRITEAOF", SERVER_ADMIN), ("LASTSAVE", SERVER_ADMIN),
    ("SLAVEOF", SERVER_ADMIN), ("REPLICAOF", SERVER_ADMIN), ("MONITOR", SERVER_ADMIN), ("SLOWLOG", SERVER_ADMIN),
    ("MEMORY", SERVER_ADMIN), ("LATENCY", SERVER_ADMIN), ("ACL", SERVER_ADMIN), ("CLUSTER", SERVER_ADMIN),
    ("OBJECT", SERVER_ADMIN), ("TIME", SERVER_ADMIN), ("ROLE", SERVER_ADMIN), ("MODULE", SERVER_ADMIN),
];

const STATUS: Shape = Shape::STATUS;
const INT: Shape = Shape::INTEGER;
const BULK: Shape = Shape::BULK;
const AGG: Shape = Shape::AGGREGATE;

/// The reply shapes of the commands whose replies are always of one or two
/// kinds (in RESP2 and RESP3); the others may have any.
#[rustfmt::skip]
const REPLY_SHAPES: &[(&str, Shape)] = &[
    ("GET", BULK), ("GETDEL", BULK), ("GETEX", BULK), ("GETSET", BULK), ("GETRANGE", BULK),
    ("SUBSTR", BULK), ("HGET", BULK), ("LINDEX", BULK), ("DUMP", BULK), ("INCRBYFLOAT", BULK),
    ("HINCRBYFLOAT", BULK), ("ZSCORE", BULK.or(Shape::DOUBLE)), ("ZINCRBY", BULK.or(Shape::DOUBLE)),
    ("INCR", INT), ("DECR", INT), ("INCRBY", INT), ("DECRBY", INT), ("APPEND", INT), ("STRLEN", INT),
    ("SETNX", INT), ("SETRANGE", INT), ("SETBIT", INT), ("GETBIT", INT), ("BITCOUNT", INT),
    ("BITPOS", INT), ("EXPIRE", INT), ("PEXPIRE", INT), ("EXPIREAT", INT), ("PEXPIREAT", INT),
    ("PERSIST", INT), ("TTL", INT), ("PTTL", INT), ("EXPIRETIME", INT), ("PEXPIRETIME", INT),
    ("HDEL", INT), ("HEXISTS", INT), ("HINCRBY", INT), ("HLEN", INT), ("HSET", INT), ("HSETNX", INT),
    ("HSTRLEN", INT), ("LLEN", INT), ("LPUSH", INT), ("RPUSH", INT), ("LPUSHX", INT), ("RPUSHX", INT),
    ("LREM", INT), ("LINSERT", INT), ("SADD", INT), ("SCARD", INT), ("SISMEMBER", INT), ("SREM", INT),
    ("ZCARD", INT), ("ZCOUNT", INT), ("ZLEXCOUNT", INT), ("ZREM", INT), ("ZREMRANGEBYLEX", INT),
    ("ZREMRANGEBYRANK", INT), ("ZREMRANGEBYSCORE", INT), ("PFADD", INT), ("XLEN", INT), ("XDEL", INT),
    ("DEL", INT), ("UNLINK", INT), ("EXISTS", INT), ("TOUCH", INT),
    ("MGET", AGG), ("HGETALL", AGG), ("HKEYS", AGG), ("HVALS", AGG), ("HMGET", AGG), ("LRANGE", AGG),
    ("SMEMBERS", AGG), ("SMISMEMBER", AGG), ("ZRANGE", AGG), ("ZRANGEBYSCORE", AGG), ("ZREVRANGE", AGG),
    ("ZRANGEBYLEX", AGG), ("ZREVRANGEBYSCORE", AGG), ("ZREVRANGEBYLEX", AGG), ("XRANGE", AGG),
    ("XREVRANGE", AGG), ("HSCAN", AGG), ("SSCAN", AGG), ("ZSCAN", AGG), ("GEOPOS", AGG), ("GEOHASH", AGG),
    ("ZMSCORE", AGG), ("SET", STATUS.or(BULK)), ("SETEX", STATUS), ("PSETEX", STATUS), ("MSET", STATUS),
    ("HMSET", STATUS), ("LSET", STATUS), ("LTRIM", STATUS), ("RENAME", STATUS), ("RESTORE", STATUS),
    ("PFMERGE", STATUS), ("TYPE", STATUS),
];

static TABLE: LazyLock<HashMap<&'static str, Command>> = LazyLock::new(|| {
    let single = SINGLE_KEY
        .iter()
        .map(|&(name, min_args)| (name, Route::Single(1), min_args));
    let together = TOGETHER
        .iter()
        .map(|&(name, keys, min_args)| (name, Route::Together(keys), min_args));
    let fan_out = FAN_OUT
        .iter()
        .map(|&(name, merge, min_args)| (name, Route::FanOut(merge), min_args));
    let local = LOCAL
        .iter()
        .map(|&(name, min_args)| (name, Route::Local, min_args));
    let unsupported = UNSUPPORTED
        .iter()
        .map(|&(name, why)| (name, Route::Unsupported(why), 1));
    single
        .chain(together)
        .chain(fan_out)
        .chain(local)
        .chain(unsupported)
        .map(|(name, route, min_args)| {
            (
                name,
                Command {
                    name,
                    route,
                    min_args,
                    reply: REPLY_SHAPES
                        .iter()
                        .find(|(known, _)| *known == name)
                        .map_or(Shape::ANY, |&(_, shape)| shape),
                },
            )
        })
        .collect()
});

/// The names of every command the proxy knows, sorted.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = TABLE.keys().copied().collect();
    names.sort_unstable();
    names
}

/// The command named `name` (any case), if the proxy knows it.
pub fn lookup(name: &[u8]) -> Option<&'static Command> {
    let mut upper = [0u8; 24];
    let upper = upper.get_mut(..name.len())?;
    upper.copy_from_slice(name);
    upper.make_ascii_uppercase();
    TABLE.get(std::str::from_utf8(upper).ok()?)
}

impl Keys {
    /// The positions of the keys in `args`, or why they cannot be found.
    pub fn positions(self, args: &[bytes::Bytes]) -> Result<Vec<usize>, String> {
        Ok(match self {
            Keys::At(at) => at.iter().copied().filter(|&i| i < args.len()).collect(),
            Keys::From(start) => (start..args.len()).collect(),
            Keys::Pairs => (1..args.len()).step_by(2).collect(),
            Keys::Counted { numkeys_at, extra } => {
                let numkeys: usize = args
                    .get(numkeys_at)
                    .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok())
                    .ok_or("numkeys is not a whole number")?;
                let first = numkeys_at + 1;
                if first + numkeys > args.len() {
                    return Err("numkeys is larger than the number of keys given".into());
                }
                extra.iter().copied().chain(first..first + numkeys).collect()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn args(words: &[&str]) -> Vec<Bytes> {
        words
            .iter()
            .map(|w| Bytes::copy_from_slice(w.as_bytes()))
            .collect()
    }

    #[test]
    fn lookup_ignores_case_and_rejects_unknown() {
        assert_eq!(lookup(b"get").unwrap().route, Route::Single(1));
        assert_eq!(lookup(b"MGet").unwrap().route, Route::FanOut(Merge::Values));
        assert!(matches!(lookup(b"keys").unwrap().route, Route::Unsupported(_)));
        assert!(lookup(b"frobnicate").is_none());
        assert!(lookup(&[b'x'; 100]).is_none());
    }

    #[test]
    fn key_positions() {
        let eval = args(&["EVAL", "return 1", "2", "a", "b", "arg"]);
        assert_eq!(
            Keys::Counted {
                numkeys_at: 2,
                extra: &[]
            }
            .positions(&eval),
            Ok(vec![3, 4])
        );
        let zunion = args(&["ZUNIONSTORE", "dst", "2", "a", "b", "WEIGHTS", "1", "2"]);
        assert_eq!(
            Keys::Counted {
                numkeys_at: 2,
                extra: &[1]
            }
            .positions(&zunion),
            Ok(vec![1, 3, 4])
        );
        assert_eq!(
            Keys::Pairs.positions(&args(&["MSETNX", "a", "1", "b", "2"])),
            Ok(vec![1, 3])
        );
        assert!(Keys::Counted {
            numkeys_at: 2,
            extra: &[]
        }
        .positions(&args(&["EVAL", "s", "9", "a"]))
        .is_err());
    }

    #[test]
    fn every_name_is_in_the_table_once() {
        let total = SINGLE_KEY.len() + TOGETHER.len() + FAN_OUT.len() + LOCAL.len() + UNSUPPORTED.len();
        assert_eq!(TABLE.len(), total, "a command is listed twice");
        for (name, _) in REPLY_SHAPES {
            assert!(
                TABLE.contains_key(name),
                "{name} has a reply shape but is not in the table"
            );
        }
    }
}
