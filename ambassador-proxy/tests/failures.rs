//! Backends that fail: killed, stopped (SIGSTOP, for timeouts), restarted.
//! The proxy answers every request with its reply or an error, stays up,
//! reconnects, and ejects servers as twemproxy does, placing keys during an
//! ejection exactly where nutcracker places them.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use common::*;

/// The server (by port) that holds each of `keys`, after they were SET
/// through a proxy into `backends` that were empty.
fn placement_through(port: u16, keys: &[Vec<u8>], backends: &[&RedisServer]) -> HashMap<Vec<u8>, u16> {
    set_all_through(port, keys);
    let mut placed = HashMap::new();
    for backend in backends {
        let mut redis = connection(backend.port);
        let stored: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut redis).unwrap();
        placed.extend(stored.into_iter().map(|key| (key, backend.port)));
        redis::cmd("FLUSHALL").exec(&mut redis).unwrap();
    }
    assert_eq!(placed.len(), keys.len(), "keys were lost");
    placed
}

/// Sends GETs of `key:0`, `key:1`, ... through `port` until the stats at
/// `stats_port` count an ejection.
fn provoke_ejection(port: u16, stats_port: u16, pool: &str) {
    let mut raw = Raw::connect(port);
    let deadline = Instant::now() + DEADLINE;
    for i in 0.. {
        if stats_at(stats_port)[pool]["server_ejects"].as_u64() == Some(1) {
            return;
        }
        assert!(Instant::now() < deadline, "no ejection after {i} requests");
        raw.command(&[b"GET", format!("key:{i}").as_bytes()]);
        if raw.reply().is_none() {
            // nutcracker closes a client whose server failed.
            raw = Raw::connect(port);
        }
    }
}

#[test]
fn during_an_ejection_keys_land_where_nutcracker_puts_them() {
    let mut backends: Vec<RedisServer> = (0..4).map(|_| RedisServer::start()).collect();
    let settings = "  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 600000\n";
    let yaml_for = |port: u16| pool_yaml(port, &refs(&backends), settings);
    let dir = tempfile::tempdir().unwrap();
    let nutcracker = Nutcracker::start(dir.path(), yaml_for);
    let ours = Proxy::start(&refs(&backends), settings);
    let keys: Vec<Vec<u8>> = (0..3000).map(|i| format!("user:{i}").into_bytes()).collect();

    let gone = backends.remove(2);
    drop(gone);
    provoke_ejection(nutcracker.port, nutcracker.stats_port, "pool");
    provoke_ejection(ours.port, ours.stats_port, "pool");
    let live = refs(&backends);
    let theirs = placement_through(nutcracker.port, &keys, &live);
    let mine = placement_through(ours.port, &keys, &live);
    let differ = keys.iter().filter(|key| theirs[*key] != mine[*key]).count();
    assert_eq!(
        differ,
        0,
        "{differ} of {} keys placed differently from nutcracker during the ejection",
        keys.len()
    );
}

fn refs(backends: &[RedisServer]) -> Vec<&RedisServer> {
    backends.iter().collect()
}

/// A key that the proxy sends to `backend`: SET through the proxy, then
/// looked for on the server.
fn key_on(proxy: &Proxy, backend: &RedisServer) -> String {
    let mut client = proxy.client();
    let mut direct = connection(backend.port);
    for i in 0..1000 {
        let key = format!("probe:{i}");
        let _: () = redis::cmd("SET").arg(&key).arg("v").query(&mut client).unwrap();
        if redis::cmd("EXISTS").arg(&key).query::<i64>(&mut direct).unwrap() == 1 {
            return key;
        }
    }
    panic!("no key of 1000 goes to the server on port {}", backend.port);
}

#[test]
fn a_stopped_server_times_out_its_requests_without_holding_up_the_others() {
    let backends: Vec<RedisServer> = (0..2).map(|_| RedisServer::start()).collect();
    // No health-check PINGs: one could time out too while the server is stopped.
    let proxy = Proxy::start_with(&refs(&backends), "  timeout: 300\n", &["--health-interval", "1h"]);
    let stopped_key = key_on(&proxy, &backends[0]);
    let running_key = key_on(&proxy, &backends[1]);
    let mut slow = proxy.raw();
    let mut fast = proxy.raw();

    signal(backends[0].process.pid(), Signal::STOP);
    slow.command(&[b"GET", stopped_key.as_bytes()]);
    // While the stopped server keeps `slow` waiting, `fast` is answered.
    for _ in 0..20 {
        fast.command(&[b"GET", running_key.as_bytes()]);
        assert_eq!(fast.text(), "$1\r\nv\r\n");
    }
    let reply = slow.text();
    assert!(
        reply.starts_with("-ERR") && reply.contains("Connection timed out"),
        "{reply:?}"
    );
    signal(backends[0].process.pid(), Signal::CONT);

    // The late reply to the timed-out GET is dropped, not given to the next
    // request: each later request gets its own reply.
    for i in 0..20 {
        slow.command(&[b"SET", stopped_key.as_bytes(), format!("{i}").as_bytes()]);
        assert_eq!(slow.text(), "+OK\r\n");
        slow.command(&[b"GET", stopped_key.as_bytes()]);
        assert_eq!(slow.text(), format!("${}\r\n{i}\r\n", i.to_string().len()));
    }
    assert_eq!(
        proxy.stats()["pool"][format!("127.0.0.1:{}", backends[0].port)]["server_timedout"],
        1
    );
}

#[test]
fn a_connection_stuck_for_twice_the_timeout_is_made_again() {
    let backend = RedisServer::start();
    let proxy = Proxy::start_with(&[&backend], "  timeout: 200\n", &["--health-interval", "1h"]);
    let mut raw = proxy.raw();
    raw.command(&[b"SET", b"k", b"v"]);
    assert_eq!(raw.text(), "+OK\r\n");
    let before = connections_received(&backend);

    signal(backend.process.pid(), Signal::STOP);
    raw.command(&[b"GET", b"k"]);
    assert!(raw.text().contains("Connection timed out"));
    // At twice the timeout without a reply the proxy drops the connection.
    let server = format!("127.0.0.1:{}", backend.port);
    let deadline = std::time::Instant::now() + DEADLINE;
    while proxy.stats()["pool"][&server]["server_err"] != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the stuck connection was kept"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(backend.process.pid(), Signal::CONT);

    raw.command(&[b"GET", b"k"]);
    assert_eq!(raw.text(), "$1\r\nv\r\n");
    // One connection for this count, one the proxy's new one.
    assert!(connections_received(&backend) >= before + 2);
}

/// How many connections `server` has accepted since it started.
fn connections_received(server: &RedisServer) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query(&mut connection(server.port))
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("total_connections_received:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("total_connections_received in INFO stats")
}

#[test]
fn a_killed_server_gets_errors_then_is_used_again_when_it_comes_back() {
    let mut backends: Vec<RedisServer> = (0..2).map(|_| RedisServer::start()).collect();
    let proxy = Proxy::start(&refs(&backends), "");
    let key = key_on(&proxy, &backends[0]);
    let other = key_on(&proxy, &backends[1]);
    let mut raw = proxy.raw();
    let port = backends[0].port;
    drop(backends.remove(0));

    // A pipeline across both servers: an error in the dead server's places,
    // replies in the others', and the connection stays open.
    raw.command(&[b"GET", key.as_bytes()]);
    raw.command(&[b"GET", other.as_bytes()]);
    raw.command(&[b"MGET", key.as_bytes(), other.as_bytes()]);
    raw.command(&[b"PING"]);
    let first = raw.text();
    // Lost on the open connection (the server named), or refused on a
    // new one (nutcracker's words).
    assert!(
        first.starts_with("-ERR")
            && (first.contains(&port.to_string()) || first.contains("Connection refused")),
        "{first:?}"
    );
    assert_eq!(raw.text(), "$1\r\nv\r\n");
    let fanned = raw.text();
    assert!(fanned.starts_with("-ERR"), "one error for the MGET: {fanned:?}");
    assert_eq!(raw.text(), "+PONG\r\n");

    let _back = RedisServer::start_on(port);
    // The first requests after the restart may still fall in the rest after
    // failed connects (at most 2 s); every reply is a reply or an error.
    let deadline = Instant::now() + DEADLINE;
    loop {
        raw.command(&[b"SET", key.as_bytes(), b"again"]);
        match raw.text().as_str() {
            "+OK\r\n" => break,
            error if error.starts_with("-ERR") => {
                assert!(
                    Instant::now() < deadline,
                    "the server is never used again: {error}"
                )
            }
            other => panic!("unexpected reply {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    raw.command(&[b"GET", key.as_bytes()]);
    assert_eq!(raw.text(), "$5\r\nagain\r\n");
}

#[test]
fn an_ejected_server_returns_to_the_ring_after_the_retry_timeout() {
    let backends: Vec<RedisServer> = (0..3).map(|_| RedisServer::start()).collect();
    // No health-check PINGs: a failed one would eject the server again.
    let proxy = Proxy::start_with(
        &refs(&backends),
        "  timeout: 1000\n  auto_eject_hosts: true\n  server_failure_limit: 1\n  server_retry_timeout: 1500\n",
        &["--health-interval", "1h"],
    );
    let key = key_on(&proxy, &backends[0]);
    let mut raw = proxy.raw();
    signal(backends[0].process.pid(), Signal::STOP);
    raw.command(&[b"GET", key.as_bytes()]);
    assert!(raw.text().contains("Connection timed out"));
    let ejected = Instant::now();
    signal(backends[0].process.pid(), Signal::CONT);
    let server = format!("127.0.0.1:{}", backends[0].port);
    let ejected_at = proxy.stats()["pool"][&server]["server_ejected_at"]
        .as_u64()
        .unwrap();
    assert!(ejected_at > 0, "not ejected: {}", proxy.stats());

    // While it is out, its key goes to another server.
    let mut direct = connection(backends[0].port);
    let _: () = redis::cmd("DEL").arg(&key).query(&mut direct).unwrap();
    raw.command(&[b"SET", key.as_bytes(), b"elsewhere"]);
    assert_eq!(raw.text(), "+OK\r\n");
    assert_eq!(
        redis::cmd("EXISTS").arg(&key).query::<i64>(&mut direct).unwrap(),
        0
    );

    // After server_retry_timeout it is back, and its keys with it.
    let deadline = Instant::now() + DEADLINE;
    loop {
        raw.command(&[b"SET", key.as_bytes(), b"home"]);
        assert_eq!(raw.text(), "+OK\r\n");
        if redis::cmd("EXISTS").arg(&key).query::<i64>(&mut direct).unwrap() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the server never came back");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out_for = ejected.elapsed();
    assert!(
        out_for >= Duration::from_millis(1400),
        "back after only {out_for:?}"
    );
    assert_eq!(proxy.stats()["pool"]["server_ejects"], 1);
}
