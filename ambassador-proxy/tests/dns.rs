//! Server names resolved by the proxy itself (hosts file, then DNS), again
//! every `--dns-refresh` and after a failed connect: a server that comes
//! back at another address under the same name is found again, as a
//! StatefulSet pod is after a restart.

mod common;

use common::*;

/// The hosts file the proxy resolves `redis-st-0.redis-svc` in.
struct HostsFile {
    dir: tempfile::TempDir,
}

impl HostsFile {
    const NAME: &str = "redis-st-0.redis-svc";

    fn naming(ip: &str) -> HostsFile {
        let hosts = HostsFile {
            dir: tempfile::tempdir().unwrap(),
        };
        hosts.point_at(ip);
        hosts
    }

    /// Moves the name to `ip`.
    fn point_at(&self, ip: &str) {
        std::fs::write(self.path(), format!("{ip} {}\n", Self::NAME)).unwrap();
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("hosts")
    }

    /// A proxy over the name at `port`, resolving it in this file.
    fn proxy(&self, port: u16, settings: &str, args: &[&str]) -> Proxy {
        let path = self.path();
        let mut all = vec!["--hosts-file", path_arg(&path)];
        all.extend_from_slice(args);
        Proxy::start_over(&[format!("{}:{port}:1", Self::NAME)], settings, &all)
    }
}

#[test]
fn a_server_found_again_at_its_new_address() {
    let hosts = HostsFile::naming("127.0.0.2");
    let port = free_port();
    let first = RedisServer::start_at("127.0.0.2", port);
    let proxy = hosts.proxy(port, "", &["--dns-refresh", "100ms"]);
    let mut raw = proxy.raw();
    until_stored_on(&mut raw, "one", "127.0.0.2", &first);

    // Moved while the old address still answers: found by the refresh.
    let second = RedisServer::start_at("127.0.0.3", port);
    hosts.point_at("127.0.0.3");
    until_stored_on(&mut raw, "two", "127.0.0.3", &second);
    proxy.process.stderr.wait_for_text("server moved; reconnecting");

    // Gone, and back elsewhere: found at the next connect.
    drop(second);
    hosts.point_at("127.0.0.4");
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

/// A listener at `ip:port` whose accept queue is full, so that the kernel
/// drops further SYNs without an answer: a connect to it hangs, as it does
/// to a deleted pod's IP that the node still routes to the old interface.
struct SwallowingAddress {
    _listener: socket2::Socket,
    _queued: Vec<std::net::TcpStream>,
}

impl SwallowingAddress {
    fn at(ip: &str, port: u16) -> SwallowingAddress {
        let address: std::net::SocketAddr = format!("{ip}:{port}").parse().unwrap();
        let listener = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        listener.set_reuse_address(true).unwrap();
        listener.bind(&address.into()).unwrap();
        listener.listen(0).unwrap();
        // Fill the queue until a connect gets no answer.
        let mut queued = Vec::new();
        loop {
            match std::net::TcpStream::connect_timeout(&address, std::time::Duration::from_millis(300)) {
                Ok(stream) => queued.push(stream),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => break,
                Err(e) => panic!("filling the accept queue of {address}: {e}"),
            }
            assert!(queued.len() < 64, "the accept queue of {address} never filled");
        }
        SwallowingAddress {
            _listener: listener,
            _queued: queued,
        }
    }
}

#[test]
fn a_connect_that_gets_no_answer_gives_up_at_the_timeout_and_the_new_address_is_found() {
    let hosts = HostsFile::naming("127.0.0.2");
    let port = free_port();
    let _old_address = SwallowingAddress::at("127.0.0.2", port);
    let proxy = hosts.proxy(port, "  timeout: 300\n", &["--health-interval", "1h"]);
    let mut raw = proxy.raw();
    raw.command(&[b"SET", b"k", b"v"]);
    let reply = raw.text();
    assert!(reply.starts_with("-ERR"), "{reply:?}");
    proxy
        .process
        .stderr
        .wait_for_text(&format!("at 127.0.0.2:{port}: no answer to connect within 300ms"));

    // The pod is back at a new address: found at the next connect, not
    // after the kernel's two minutes of SYN retries on the old one.
    let server = RedisServer::start_at("127.0.0.3", port);
    hosts.point_at("127.0.0.3");
    until_stored_on(&mut raw, "k", "127.0.0.3", &server);
}
