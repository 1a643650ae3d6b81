//! INFO and COMMAND, answered by the proxy from its servers' own answers.
//!
//! Clients read INFO when they connect (ioredis's ready check waits for
//! `loading:0`; others read `redis_version` to pick features): the proxy
//! answers with the lowest `redis_version` of its servers, `loading:0`,
//! `role:master`, the served database's keys summed over the servers, and
//! what the proxy itself is. COMMAND gives a server's command table cut
//! down to the commands the proxy serves, so that a client that reads it
//! learns what it may send here.

use bytes::{BufMut, Bytes, BytesMut};
use futures_util::future::join_all;

use crate::command::{lookup, Route};
use crate::pool::{Origin, Pending, PoolRuntime};
use crate::protocol::{bulk_reply, encode_request, error_reply, null_reply, Protocol, Reply, Shape};

/// The INFO sections the proxy writes, in Redis's order.
const SECTIONS: [&str; 6] = [
    "server",
    "clients",
    "persistence",
    "replication",
    "keyspace",
    "proxy",
];

/// `INFO [section ...]`.
pub fn info(pool: &PoolRuntime, origin: Origin, sections: &[Bytes]) -> Pending {
    let asked: Vec<String> = sections
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_lowercase())
        .collect();
    let everything = asked.is_empty()
        || asked
            .iter()
            .any(|s| matches!(s.as_str(), "default" | "all" | "everything"));
    let wanted: Vec<&'static str> = SECTIONS
        .into_iter()
        .filter(|section| everything || asked.iter().any(|s| s == section))
        .collect();
    // The servers' own INFO, over RESP2 connections (a bulk string either way).
    let from_servers = Origin {
        protocol: Protocol::Resp2,
        ..origin
    };
    let mut request = BytesMut::new();
    encode_request(&[&b"INFO"[..]], &mut request);
    let request = request.freeze();
    let answers: Vec<_> = if wanted.iter().any(|s| matches!(*s, "server" | "keyspace")) {
        (0..pool.server_count())
            .map(|server| pool.ask(server, from_servers, request.clone(), Shape::BULK))
            .collect()
    } else {
        Vec::new()
    };
    let facts = Facts {
        pool: pool.config.name.clone(),
        listen: pool.config.listen.to_string(),
        servers: pool.config.servers.iter().map(|s| s.identity()).collect(),
        db: pool.config.redis_db,
        clients: pool.stats.client_connections.get(),
    };
    let stats = pool.stats.clone();
    Pending::Later(Box::pin(async move {
        let answers: Vec<String> = join_all(answers)
            .await
            .into_iter()
            .flatten()
            .filter_map(|reply| string_of(&reply).map(|s| String::from_utf8_lossy(s).into_owned()))
            .collect();
        let text = facts.write(&wanted, &answers);
        let reply = match origin.protocol {
            Protocol::Resp2 => bulk_reply(text.as_bytes()),
            Protocol::Resp3 => verbatim_reply(&text),
        };
        stats.replied(origin.command, &reply, None);
        reply
    }))
}

/// What INFO says of the proxy itself.
struct Facts {
    pool: String,
    listen: String,
    servers: Vec<String>,
    db: u32,
    clients: u64,
}

impl Facts {
    /// The INFO text of the `wanted` sections, given the servers' INFO
    /// `answers` (of those that answered).
    fn write(&self, wanted: &[&str], answers: &[String]) -> String {
        let field = |text: &str, name: &str| -> Option<String> {
            text.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .map(|value| value.trim().to_owned())
        };
        // The lowest version: what every server can do.
        let version = answers
            .iter()
            .filter_map(|text| field(text, "redis_version"))
            .min_by_key(|version| {
                version
                    .split('.')
                    .map(|n| n.parse::<u64>().unwrap_or(0))
                    .collect::<Vec<_>>()
            });
        let db = format!("db{}", self.db);
        let (mut keys, mut expires) = (0u64, 0u64);
        for text in answers {
            if let Some(counts) = field(text, &db) {
                for pair in counts.split(',') {
                    match pair.split_once('=') {
                        Some(("keys", n)) => keys += n.parse::<u64>().unwrap_or(0),
                        Some(("expires", n)) => expires += n.parse::<u64>().unwrap_or(0),
                        _ => {}
                    }
                }
            }
        }
        let mut out = String::new();
        for section in wanted {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            let lines: Vec<String> = match *section {
                "server" => version
                    .iter()
                    .map(|v| format!("redis_version:{v}"))
                    .chain([
                        "redis_mode:standalone".to_owned(),
                        format!("process_id:{}", std::process::id()),
                        format!("proxy:ambassador-proxy {}", env!("CARGO_PKG_VERSION")),
                    ])
                    .collect(),
                "clients" => vec![format!("connected_clients:{}", self.clients)],
                "persistence" => vec!["loading:0".to_owned()],
                "replication" => vec!["role:master".to_owned(), "connected_slaves:0".to_owned()],
                "keyspace" if keys > 0 => vec![format!("{db}:keys={keys},expires={expires},avg_ttl=0")],
                "keyspace" => Vec::new(),
                _ => vec![
                    format!("pool:{}", self.pool),
                    format!("listen:{}", self.listen),
                    format!("servers:{}", self.servers.join(",")),
                    format!("servers_answering:{}", answers.len()),
                ],
            };
            out.push_str(&format!("# {}{}\r\n", section[..1].to_uppercase(), &section[1..]));
            for line in lines {
                out.push_str(&line);
                out.push_str("\r\n");
            }
        }
        out
    }
}

/// `COMMAND [subcommand ...]`: forwarded to a server, its answer cut down
/// to the commands the proxy serves. `COMMAND COUNT` counts them;
/// `COMMAND INFO` and `COMMAND DOCS` leave out (or null) the others;
/// `GETKEYS` and the rest pass through.
pub fn command(pool: &PoolRuntime, origin: Origin, args: &[Bytes]) -> Pending {
    let subcommand = args.get(1).map(|s| String::from_utf8_lossy(s).to_uppercase());
    let Some(server) = pool.server_for(b"") else {
        return Pending::Ready(pool.no_server());
    };
    let mut request = BytesMut::new();
    // COUNT is answered from the whole table.
    if subcommand.as_deref() == Some("COUNT") {
        encode_request(&[&b"COMMAND"[..]], &mut request);
    } else {
        encode_request(args, &mut request);
    }
    let reply = pool.ask(server, origin, request.freeze(), Shape::ANY);
    let stats = pool.stats.clone();
    Pending::Later(Box::pin(async move {
        let reply = match reply.await {
            Ok(reply) if reply.is_error() => reply.raw,
            Ok(reply) => filter(subcommand.as_deref(), &reply, origin.protocol)
                .unwrap_or_else(|| error_reply("a server's COMMAND reply could not be read")),
            Err(e) => error_reply(&e.to_string()),
        };
        stats.replied(origin.command, &reply, None);
        reply
    }))
}

/// Whether the proxy serves the command named `name` (it may still refuse
/// some of its forms, as CLIENT's).
fn served(name: &[u8]) -> bool {
    lookup(name).is_some_and(|command| !matches!(command.route, Route::Unsupported(_)))
}

/// The reply to `COMMAND <subcommand>` made from the server's `reply`.
fn filter(subcommand: Option<&str>, reply: &Reply, protocol: Protocol) -> Option<Bytes> {
    let elements = reply.elements();
    match subcommand {
        // Each entry is an array whose first element is the name.
        None => {
            let kept: Vec<Bytes> = elements?.into_iter().filter(entry_is_served).collect();
            Some(aggregate(b'*', kept.len(), &kept))
        }
        Some("COUNT") => {
            let count = elements?.iter().filter(|entry| entry_is_served(entry)).count();
            Some(Bytes::from(format!(":{count}\r\n")))
        }
        Some("INFO") => {
            let entries: Vec<Bytes> = elements?
                .into_iter()
                .map(|entry| {
                    if entry_is_served(&entry) {
                        entry
                    } else {
                        null_reply_of_kind(protocol)
                    }
                })
                .collect();
            Some(aggregate(b'*', entries.len(), &entries))
        }
        Some("LIST") => {
            let kept: Vec<Bytes> = elements?
                .into_iter()
                .filter(|name| string_of_raw(name).is_some_and(served))
                .collect();
            Some(aggregate(b'*', kept.len(), &kept))
        }
        // Name, docs, name, docs...: a map in RESP3, a flat array in RESP2.
        Some("DOCS") => {
            let kept: Vec<Bytes> = elements?
                .chunks(2)
                .filter(|pair| string_of_raw(&pair[0]).is_some_and(served))
                .flatten()
                .cloned()
                .collect();
            Some(if reply.kind() == b'%' {
                aggregate(b'%', kept.len() / 2, &kept)
            } else {
                aggregate(b'*', kept.len(), &kept)
            })
        }
        _ => Some(reply.raw.clone()),
    }
}

/// A null in an array: `*-1` in RESP2 (as COMMAND INFO gives for an
/// unknown name), `_` in RESP3.
fn null_reply_of_kind(protocol: Protocol) -> Bytes {
    match protocol {
        Protocol::Resp2 => Bytes::from_static(b"*-1\r\n"),
        Protocol::Resp3 => null_reply(protocol),
    }
}

/// `<kind><count>\r\n` and the elements.
fn aggregate(kind: u8, count: usize, elements: &[Bytes]) -> Bytes {
    let mut out = BytesMut::with_capacity(16 + elements.iter().map(Bytes::len).sum::<usize>());
    out.put_u8(kind);
    out.put_slice(format!("{count}\r\n").as_bytes());
    for element in elements {
        out.put_slice(element);
    }
    out.freeze()
}

/// Whether the COMMAND entry `entry` (an array whose first element is
/// the name) is of a command the proxy serves.
fn entry_is_served(entry: &Bytes) -> bool {
    Reply { raw: entry.clone() }
        .elements()
        .and_then(|elements| elements.into_iter().next())
        .is_some_and(|name| string_of_raw(&name).is_some_and(served))
}

/// The content of a simple, bulk or verbatim string reply.
fn string_of(reply: &Reply) -> Option<&[u8]> {
    string_of_raw(&reply.raw)
}

fn string_of_raw(raw: &[u8]) -> Option<&[u8]> {
    let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
    match raw.first()? {
        b'+' => Some(&raw[1..line_end]),
        b'$' | b'=' => {
            let content = raw.get(line_end + 2..raw.len().checked_sub(2)?)?;
            // A verbatim string starts with its format: `txt:`.
            Some(if raw[0] == b'=' {
                content.get(4..)?
            } else {
                content
            })
        }
        _ => None,
    }
}

/// A RESP3 verbatim string of plain text, as Redis sends INFO to RESP3
/// clients.
fn verbatim_reply(text: &str) -> Bytes {
    Bytes::from(format!("={}\r\ntxt:{text}\r\n", text.len() + 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_sums_keys_and_takes_the_lowest_version() {
        let facts = Facts {
            pool: "alpha".into(),
            listen: "127.0.0.1:6380".into(),
            servers: vec!["a:1".into(), "b:2".into()],
            db: 0,
            clients: 3,
        };
        let answers = [
            "# Server\r\nredis_version:7.2.4\r\n# Keyspace\r\ndb0:keys=10,expires=1,avg_ttl=5\r\n".to_owned(),
            "# Server\r\nredis_version:7.0.15\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\ndb1:keys=9\r\n"
                .to_owned(),
        ];
        let text = facts.write(&SECTIONS, &answers);
        assert!(text.contains("redis_version:7.0.15\r\n"), "{text}");
        assert!(text.contains("loading:0\r\n"));
        assert!(text.contains("role:master\r\n"));
        assert!(
            text.contains("# Keyspace\r\ndb0:keys=15,expires=1,avg_ttl=0\r\n"),
            "{text}"
        );
        assert!(text.contains("servers:a:1,b:2\r\n"));
        let keyspace_only = facts.write(&["keyspace"], &answers);
        assert_eq!(keyspace_only, "# Keyspace\r\ndb0:keys=15,expires=1,avg_ttl=0\r\n");
    }

    #[test]
    fn command_tables_keep_only_what_is_served() {
        let entry = |name: &str| {
            Bytes::from(format!(
                "*3\r\n${}\r\n{name}\r\n:2\r\n*1\r\n+readonly\r\n",
                name.len()
            ))
        };
        let table = aggregate(b'*', 3, &[entry("get"), entry("keys"), entry("info")]);
        let reply = Reply { raw: table };
        let kept = filter(None, &reply, Protocol::Resp2).unwrap();
        assert_eq!(kept, aggregate(b'*', 2, &[entry("get"), entry("info")]));
        assert_eq!(
            filter(Some("COUNT"), &reply, Protocol::Resp2).unwrap(),
            Bytes::from_static(b":2\r\n")
        );
        let info = filter(Some("INFO"), &reply, Protocol::Resp3).unwrap();
        assert_eq!(
            info,
            aggregate(
                b'*',
                3,
                &[entry("get"), Bytes::from_static(b"_\r\n"), entry("info")]
            )
        );
        let docs = Reply {
            raw: Bytes::from_static(b"%2\r\n$3\r\nget\r\n%0\r\n$4\r\nkeys\r\n%0\r\n"),
        };
        assert_eq!(
            filter(Some("DOCS"), &docs, Protocol::Resp3).unwrap(),
            Bytes::from_static(b"%1\r\n$3\r\nget\r\n%0\r\n")
        );
    }
}
