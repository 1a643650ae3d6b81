//! Hot reload: the configuration file is changed under a running proxy
//! (and SIGHUP is sent); clients stay connected, the new servers are used,
//! requests in flight finish where they were sent, pools are added, moved
//! and removed, a broken file or an address that cannot be bound is
//! refused and the running configuration stays.

mod common;

use common::*;

/// Replaces the file as editors and ConfigMaps do: a new file renamed over it.
fn replace(path: &std::path::Path, text: &str) {
    let next = path.with_extension("next");
    std::fs::write(&next, text).unwrap();
    std::fs::rename(&next, path).unwrap();
}

#[test]
fn a_changed_file_moves_the_pool_to_new_servers_without_dropping_clients() {
    let old = RedisServer::start();
    let new = RedisServer::start();
    let proxy = Proxy::start(&[&old], "  timeout: 10000\n");
    let config = proxy.config_path();
    let mut client = proxy.raw();
    client.command(&[b"SET", b"before", b"old"]);
    assert_eq!(client.text(), "+OK\r\n");

    // A request in flight on the old server when the file changes...
    client.command(&[b"SET", b"slow", b"x"]);
    assert_eq!(client.text(), "+OK\r\n");
    signal(old.process.pid(), Signal::STOP);
    let mut waiting = proxy.raw();
    waiting.command(&[b"GET", b"slow"]);

    replace(&config, &pool_yaml(proxy.port, &[&new], "  timeout: 10000\n"));
    proxy.process.stderr.wait_for_text("configuration reloaded");
    until_stored_on(&mut client, "after", "127.0.0.1", &new);
    // ...is answered by the old server once it runs again.
    signal(old.process.pid(), Signal::CONT);
    assert_eq!(waiting.text(), "$1\r\nx\r\n");
    // The connection that was open all along is on the new servers too.
    waiting.command(&[b"GET", b"after"]);
    assert_eq!(waiting.text(), "$1\r\nv\r\n");
}

#[test]
fn a_broken_file_is_refused_and_sighup_reloads() {
    let first = RedisServer::start();
    let second = RedisServer::start();
    let proxy = Proxy::start(&[&first], "");
    let config = proxy.config_path();
    let mut client = proxy.raw();

    replace(&config, "pool:\n  listen: 127.0.0.1:1\n  hash: nonsense\n");
    proxy.process.stderr.wait_for_text("new configuration refused");
    assert!(
        proxy.process.stderr.text().contains("nonsense"),
        "{}",
        proxy.process.stderr.text()
    );
    client.command(&[b"SET", b"k", b"v"]);
    assert_eq!(client.text(), "+OK\r\n");
    let mut direct = connection(first.port);
    assert_eq!(
        redis::cmd("EXISTS").arg("k").query::<i64>(&mut direct).unwrap(),
        1
    );

    // A new listen address that is taken: refused too, nothing changes.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    replace(&config, &pool_yaml(taken_port, &[&second], ""));
    proxy
        .process
        .stderr
        .wait_for_text(&format!("pool 'pool': listening on 127.0.0.1:{taken_port}"));
    client.command(&[b"SET", b"k", b"v"]);
    assert_eq!(client.text(), "+OK\r\n");

    // Written through a hard link in another directory, which the watcher
    // of the file's directory does not see: SIGHUP alone reloads.
    let elsewhere = tempfile::tempdir().unwrap();
    let link = elsewhere.path().join("link.yml");
    std::fs::hard_link(&config, &link).unwrap();
    std::fs::write(&link, pool_yaml(proxy.port, &[&second], "")).unwrap();
    signal(proxy.process.pid(), Signal::HUP);
    proxy
        .process
        .stderr
        .wait_for_text("configuration reloaded trigger=\"SIGHUP\"");
    until_stored_on(&mut client, "k2", "127.0.0.1", &second);
}

/// Waits until nothing accepts connections on `port` any more.
fn until_refused(port: u16) {
    eventually(&format!("port {port} refuses"), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    });
}

#[test]
fn pools_are_added_moved_removed_and_renamed() {
    let first = RedisServer::start();
    let second = RedisServer::start();
    let proxy = Proxy::start(&[&first], "");
    let config = proxy.config_path();
    let mut on_first = proxy.raw();
    on_first.command(&[b"SET", b"k1", b"v"]);
    assert_eq!(on_first.text(), "+OK\r\n");

    // A second pool: served at its own address, the first one untouched.
    let second_port = free_port();
    let second_pool = pool_yaml(second_port, &[&second], "").replace("pool:", "second:");
    replace(
        &config,
        &format!("{}{second_pool}", pool_yaml(proxy.port, &[&first], "")),
    );
    wait_for_port(second_port, &proxy.process);
    let mut on_second = Raw::connect(second_port);
    until_stored_on(&mut on_second, "k2", "127.0.0.1", &second);
    on_first.command(&[b"GET", b"k1"]);
    assert_eq!(on_first.text(), "$1\r\nv\r\n");
    assert!(proxy.stats()["second"].is_object(), "{}", proxy.stats());

    // The first pool moves, the second goes: their listeners stop, their
    // clients are closed; the pool is served at its new address.
    let moved_port = free_port();
    replace(&config, &pool_yaml(moved_port, &[&first], ""));
    wait_for_port(moved_port, &proxy.process);
    until_refused(second_port);
    until_refused(proxy.port);
    assert!(on_first.reply().is_none(), "the moved pool's client is closed");
    assert!(on_second.reply().is_none(), "the removed pool's client is closed");
    let mut moved = Raw::connect(moved_port);
    moved.command(&[b"GET", b"k1"]);
    assert_eq!(moved.text(), "$1\r\nv\r\n");
    assert!(proxy.stats().get("second").is_none(), "{}", proxy.stats());

    // Renamed at the same address: the listener and its clients stay.
    replace(
        &config,
        &pool_yaml(moved_port, &[&first], "").replace("pool:", "renamed:"),
    );
    let deadline = std::time::Instant::now() + DEADLINE;
    while !proxy.stats()["renamed"].is_object() {
        assert!(std::time::Instant::now() < deadline, "{}", proxy.stats());
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    moved.command(&[b"GET", b"k1"]);
    assert_eq!(moved.text(), "$1\r\nv\r\n");
    assert!(proxy.stats().get("pool").is_none(), "{}", proxy.stats());
}
