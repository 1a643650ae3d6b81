//! Server names resolved by the proxy itself (hosts file, then DNS), again
//! every `--dns-refresh` and after a failed connect: a server that comes
//! back at another address under the same name is found again, as a
//! StatefulSet pod is after a restart.

mod common;

use common::*;

#[test]
fn a_server_found_again_at_its_new_address() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.2 redis-st-0.redis-svc\n").unwrap();
    let port = free_port();
    let first = RedisServer::start_at("127.0.0.2", port);
    let proxy = Proxy::start_over(
        &[format!("redis-st-0.redis-svc:{port}:1")],
        "",
        &["--hosts-file", path_arg(&hosts), "--dns-refresh", "100ms"],
    );
    let mut raw = proxy.raw();
    until_stored_on(&mut raw, "one", "127.0.0.2", &first);

    // Moved while the old address still answers: found by the refresh.
    let second = RedisServer::start_at("127.0.0.3", port);
    std::fs::write(&hosts, "127.0.0.3 redis-st-0.redis-svc\n").unwrap();
    until_stored_on(&mut raw, "two", "127.0.0.3", &second);
    proxy.process.stderr.wait_for_text("server moved; reconnecting");

    // Gone, and back elsewhere: found at the next connect.
    drop(second);
    std::fs::write(&hosts, "127.0.0.4 redis-st-0.redis-svc\n").unwrap();
    let third = RedisServer::start_at("127.0.0.4", port);
    until_stored_on(&mut raw, "three", "127.0.0.4", &third);
    drop(first);
}

#[test]
fn an_unknown_name_is_an_error_reply_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "").unwrap();
    let resolv_conf = dir.path().join("resolv.conf");
    std::fs::write(&resolv_conf, "").unwrap();
    let proxy = Proxy::start_over(
        &["nowhere.invalid:6379:1".to_owned()],
        "",
        &[
            "--hosts-file",
            path_arg(&hosts),
            "--resolv-conf",
            path_arg(&resolv_conf),
        ],
    );
    let mut raw = proxy.raw();
    raw.command(&[b"GET", b"k"]);
    let reply = raw.text();
    assert!(
        reply.starts_with("-ERR") && reply.contains("cannot resolve 'nowhere.invalid'"),
        "{reply:?}"
    );
    raw.command(&[b"PING"]);
    assert_eq!(raw.text(), "+PONG\r\n");
}
