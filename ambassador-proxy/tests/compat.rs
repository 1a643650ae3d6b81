//! What clients read from a Redis server, read from the proxy: INFO,
//! COMMAND, and the commands twemproxy serves, compared with nutcracker
//! and redis-server over the same servers.

mod common;

use common::*;

fn lines(text: &str) -> Vec<&str> {
    text.split("\r\n").collect()
}

/// `INFO` answers what clients read (ioredis waits for `loading:0`; others
/// read `redis_version`), with the served database's keys summed over the
/// servers, in RESP2 and RESP3.
#[test]
fn info_says_what_clients_read() {
    let backends = [RedisServer::start(), RedisServer::start()];
    let proxy = Proxy::start(&[&backends[0], &backends[1]], "");
    let mut raw = proxy.raw();
    for i in 0..40 {
        raw.command(&[b"SET", format!("key:{i}").as_bytes(), b"v"]);
        assert_eq!(raw.text(), "+OK\r\n");
    }
    let mut direct = Raw::connect(backends[0].port);
    direct.command(&[b"INFO", b"server"]);
    let server_info = direct.text();
    let version = lines(&server_info)
        .into_iter()
        .find(|line| line.starts_with("redis_version:"))
        .expect("redis-server says its version")
        .to_owned();

    raw.command(&[b"INFO"]);
    let info = raw.text();
    assert!(info.starts_with('$'), "a bulk string: {info}");
    let info_lines = lines(&info);
    for expected in [
        version.as_str(),
        "loading:0",
        "role:master",
        "db0:keys=40,expires=0,avg_ttl=0",
        "connected_clients:1",
    ] {
        assert!(info_lines.contains(&expected), "{expected} missing from {info}");
    }
    raw.command(&[b"INFO", b"keyspace"]);
    let keyspace = "# Keyspace\r\ndb0:keys=40,expires=0,avg_ttl=0\r\n";
    assert_eq!(raw.text(), format!("${}\r\n{keyspace}\r\n", keyspace.len()));
    raw.command(&[b"HELLO", b"3"]);
    raw.text();
    raw.command(&[b"INFO", b"persistence"]);
    let persistence = "# Persistence\r\nloading:0\r\n";
    assert_eq!(
        raw.text(),
        format!("={}\r\ntxt:{persistence}\r\n", persistence.len() + 4)
    );
    // What still administers one server is refused.
    raw.command(&[b"CONFIG", b"GET", b"maxmemory"]);
    assert!(raw.text().starts_with("-ERR 'CONFIG' is not supported"));
}

/// `COMMAND` is a server's table cut down to what the proxy serves, and
/// its subcommands agree with it.
#[test]
fn command_is_the_servers_table_cut_to_what_is_served() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let mut raw = proxy.raw();
    raw.command(&[b"COMMAND"]);
    let table = raw.reply().expect("the table");
    let entries = table.elements().expect("an array");
    let name_of = |entry: &bytes::Bytes| {
        let reply = ambassador_proxy::protocol::Reply { raw: entry.clone() };
        let name = reply.elements().unwrap()[0].clone();
        String::from_utf8_lossy(&name)
            .split("\r\n")
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let names: Vec<String> = entries.iter().map(name_of).collect();
    for served in ["get", "set", "mget", "eval", "ping", "info"] {
        assert!(
            names.iter().any(|n| n == served),
            "{served} missing from {names:?}"
        );
    }
    for refused in ["keys", "multi", "subscribe", "config"] {
        assert!(!names.iter().any(|n| n == refused), "{refused} is listed");
    }
    raw.command(&[b"COMMAND", b"COUNT"]);
    assert_eq!(raw.text(), format!(":{}\r\n", entries.len()));
    raw.command(&[b"COMMAND", b"INFO", b"get", b"keys"]);
    let info = raw.reply().unwrap().elements().unwrap();
    assert_eq!(info.len(), 2);
    assert_eq!(&info[1][..], b"*-1\r\n", "an unserved command is a null");
    raw.command(&[b"COMMAND", b"DOCS", b"get", b"keys"]);
    let docs = raw.reply().unwrap().elements().unwrap();
    assert_eq!((docs.len(), &docs[0][..]), (2, &b"$3\r\nget\r\n"[..]));
}

/// Commands in twemproxy's list that were refused here: the same replies
/// as nutcracker's over the same servers. (A null array `*-1`, which Redis
/// ignores, closes nutcracker's connection; the proxy ignores it as Redis
/// does: tests/proxy.rs.)
#[test]
fn what_nutcracker_serves_is_served_the_same() {
    let backends = [RedisServer::start(), RedisServer::start()];
    let settings = "  hash_tag: \"{}\"\n";
    let dir = tempfile::tempdir().unwrap();
    let nutcracker = Nutcracker::start(dir.path(), |port| {
        pool_yaml(port, &[&backends[0], &backends[1]], settings)
    });
    let proxy = Proxy::start(&[&backends[0], &backends[1]], settings);
    let script: &[&[&[u8]]] = &[
        &[b"ZADD", b"{z}src", b"1", b"a", b"2", b"b"],
        &[b"ZRANGESTORE", b"{z}dst", b"{z}src", b"0", b"-1"],
        &[b"ZRANGE", b"{z}dst", b"0", b"-1"],
        &[b"GEOADD", b"{g}src", b"13.361389", b"38.115556", b"Palermo"],
        &[
            b"GEOSEARCHSTORE",
            b"{g}dst",
            b"{g}src",
            b"FROMLONLAT",
            b"15",
            b"37",
            b"BYRADIUS",
            b"200",
            b"km",
        ],
        &[b"LOLWUT", b"VERSION", b"5", b"1", b"1", b"1"],
    ];
    let replies = |port: u16| {
        let mut raw = Raw::connect(port);
        let mut replies: Vec<String> = script
            .iter()
            .map(|command| {
                raw.command(command);
                raw.text()
            })
            .collect();
        raw.command(&[b"DEL", b"{z}src", b"{z}dst", b"{g}src", b"{g}dst"]);
        replies.push(raw.text());
        replies
    };
    let theirs = replies(nutcracker.port);
    let ours = replies(proxy.port);
    assert_eq!(ours, theirs);
}
