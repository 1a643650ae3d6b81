//! Starting the real `ambassador-proxy` in front of real redis-servers, and
//! a raw RESP connection for tests that need to see every byte.
#![allow(dead_code)] // each test file uses its own share of these helpers

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use ambassador_proxy::protocol::{next_reply, Reply};
use bytes::BytesMut;

pub(crate) use testkit::*;

/// A running proxy and the directory holding its configuration.
pub(crate) struct Proxy {
    /// The process.
    pub(crate) process: Process,
    /// Its listen port on 127.0.0.1.
    pub(crate) port: u16,
    /// Its stats port on 127.0.0.1.
    pub(crate) stats_port: u16,
    dir: tempfile::TempDir,
}

impl Proxy {
    /// Starts the proxy with one pool over `backends`; `settings` are extra
    /// YAML lines for the pool (indented two spaces).
    pub(crate) fn start(backends: &[&RedisServer], settings: &str) -> Proxy {
        Proxy::start_with(backends, settings, &[])
    }

    /// [`Proxy::start`] with extra command-line arguments.
    pub(crate) fn start_with(backends: &[&RedisServer], settings: &str, args: &[&str]) -> Proxy {
        Proxy::start_over(&server_lines(backends), settings, args)
    }

    /// [`Proxy::start_with`] over `servers` given as twemproxy's server lines.
    pub(crate) fn start_over(servers: &[String], settings: &str, args: &[&str]) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("proxy.yml");
        let stats_port = free_port();
        let (process, port) = start_listening(|port| {
            std::fs::write(&config, pool_yaml_over(port, servers, settings)).unwrap();
            let mut command = started_with(&config, stats_port);
            command.args(args);
            command
        });
        // The stats port is bound after the pools' listeners.
        wait_for_port(stats_port, &process);
        Proxy {
            process,
            port,
            stats_port,
            dir,
        }
    }

    /// Waits for the proxy to exit by itself.
    pub(crate) fn wait(self) -> Finished {
        self.process.wait()
    }

    /// The configuration file it was started with.
    pub(crate) fn config_path(&self) -> std::path::PathBuf {
        self.dir.path().join("proxy.yml")
    }

    /// The stats port's JSON document.
    pub(crate) fn stats(&self) -> serde_json::Value {
        stats_at(self.stats_port)
    }

    /// A raw connection to the proxy.
    pub(crate) fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// A redis-rs connection to the proxy.
    pub(crate) fn client(&self) -> redis::Connection {
        connection(self.port)
    }
}

/// One pool (named `pool`) listening on 127.0.0.1:`port` over `servers`,
/// given as twemproxy's server lines; `settings` are extra YAML lines for
/// the pool, indented two spaces.
pub(crate) fn pool_yaml_over(port: u16, servers: &[String], settings: &str) -> String {
    let mut yaml = format!("pool:\n  listen: 127.0.0.1:{port}\n  redis: true\n{settings}  servers:\n");
    for server in servers {
        yaml.push_str(&format!("   - {server}\n"));
    }
    yaml
}

/// [`pool_yaml_over`] the redis-servers `backends`, weight 1 each.
pub(crate) fn pool_yaml(port: u16, backends: &[&RedisServer], settings: &str) -> String {
    pool_yaml_over(port, &server_lines(backends), settings)
}

/// twemproxy's server lines for `backends`, weight 1 each.
fn server_lines(backends: &[&RedisServer]) -> Vec<String> {
    backends
        .iter()
        .map(|b| format!("127.0.0.1:{}:1", b.port))
        .collect()
}

/// The proxy's command line for configuration file `config` and stats
/// port `stats_port` on 127.0.0.1.
pub(crate) fn started_with(config: &std::path::Path, stats_port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ambassador-proxy"));
    command.args([
        "-c",
        config.to_str().unwrap(),
        "-s",
        &stats_port.to_string(),
        "-a",
        "127.0.0.1",
    ]);
    command
}

/// Debian's `nutcracker` (twemproxy 0.5.0), the reference.
pub(crate) struct Nutcracker {
    /// The process.
    pub(crate) process: Process,
    /// Its listen port on 127.0.0.1.
    pub(crate) port: u16,
    /// Its stats port on 127.0.0.1.
    pub(crate) stats_port: u16,
    /// The configuration it runs, as written.
    pub(crate) yaml: String,
}

impl Nutcracker {
    /// Starts nutcracker in `dir` with the configuration `yaml_for(listen port)`.
    pub(crate) fn start(dir: &std::path::Path, yaml_for: impl Fn(u16) -> String) -> Nutcracker {
        let config = dir.join("nutcracker.yml");
        let stats_port = free_port();
        let (process, port) = start_listening(|port| {
            std::fs::write(&config, yaml_for(port)).unwrap();
            let mut command = Command::new("nutcracker");
            command.args(["-c", path_arg(&config), "-s", &stats_port.to_string()]);
            command.args(["-a", "127.0.0.1", "-v", "1", "-i", "100"]);
            command.args(["-p", path_arg(&dir.join("nutcracker.pid"))]);
            command.args(["-o", path_arg(&dir.join("nutcracker.log"))]);
            command
        });
        wait_for_port(stats_port, &process);
        Nutcracker {
            process,
            port,
            stats_port,
            yaml: yaml_for(port),
        }
    }
}

/// The JSON document that the stats port `port` (ours or nutcracker's) sends.
pub(crate) fn stats_at(port: u16) -> serde_json::Value {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stats are not JSON ({e}): {text}"))
}

/// SETs every key through the proxy at `port` in one pipeline, on a raw
/// connection: client libraries greet with `CLIENT SETINFO`, which
/// nutcracker answers by closing the connection.
pub(crate) fn set_all_through(port: u16, keys: &[Vec<u8>]) {
    let mut request = Vec::new();
    for key in keys {
        request.extend_from_slice(format!("*3\r\n$3\r\nSET\r\n${}\r\n", key.len()).as_bytes());
        request.extend_from_slice(key);
        request.extend_from_slice(b"\r\n$1\r\nv\r\n");
    }
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        std::thread::spawn(move || stream.write_all(&request).unwrap())
    };
    let mut replies = vec![0u8; keys.len() * 5];
    stream.read_exact(&mut replies).unwrap();
    writer.join().unwrap();
    assert!(
        replies.chunks(5).all(|r| r == b"+OK\r\n"),
        "a SET failed: {}",
        String::from_utf8_lossy(&replies)
    );
}

/// SETs `key` through `raw` until it is stored on `server`; errors on the
/// way (the old address failing) are allowed until the deadline.
pub(crate) fn until_stored_on(raw: &mut Raw, key: &str, ip: &str, server: &RedisServer) {
    let deadline = std::time::Instant::now() + DEADLINE;
    let client = redis::Client::open(format!("redis://{ip}:{}/", server.port)).unwrap();
    let mut direct = client.get_connection().unwrap();
    loop {
        raw.command(&[b"SET", key.as_bytes(), b"v"]);
        let reply = raw.text();
        assert!(reply == "+OK\r\n" || reply.starts_with("-ERR"), "{reply:?}");
        if redis::cmd("EXISTS").arg(key).query::<i64>(&mut direct).unwrap() == 1 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{key} never reached {ip}:{}",
            server.port
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A redis-rs connection to 127.0.0.1:`port`.
pub(crate) fn connection(port: u16) -> redis::Connection {
    redis::Client::open(format!("redis://127.0.0.1:{port}/"))
        .and_then(|c| c.get_connection())
        .unwrap_or_else(|e| panic!("connect to port {port}: {e}"))
}

/// `raw.tap(|r| r.command(...)).text()`: a step on a value, in a chain.
pub(crate) trait Tap: Sized {
    /// Runs `f` on the value and hands it back.
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

impl Tap for Raw {}

/// A RESP connection that shows replies as the proxy sent them.
pub(crate) struct Raw {
    stream: TcpStream,
    buf: BytesMut,
}

impl Raw {
    /// Connects to 127.0.0.1:`port`.
    pub(crate) fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        Raw {
            stream,
            buf: BytesMut::new(),
        }
    }

    /// A second handle on the same connection (to send from another thread).
    pub(crate) fn try_clone(&self) -> Raw {
        Raw {
            stream: self.stream.try_clone().unwrap(),
            buf: BytesMut::new(),
        }
    }

    /// Sends bytes as they are.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Sends bytes as they are; an error if the peer closed first.
    pub(crate) fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends a command as a RESP array.
    pub(crate) fn command(&mut self, args: &[&[u8]]) {
        let mut out = BytesMut::new();
        ambassador_proxy::protocol::encode_request(args, &mut out);
        self.send(&out);
    }

    /// The next reply; `None` when the proxy closed the connection.
    pub(crate) fn reply(&mut self) -> Option<Reply> {
        loop {
            if let Some(reply) = next_reply(&mut self.buf).expect("a valid reply") {
                return Some(reply);
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = match self.stream.read(&mut chunk) {
                Ok(n) => n,
                // Closed with our request unread: the kernel resets instead.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
                Err(e) => panic!("no reply before the deadline: {e}"),
            };
            if n == 0 {
                return None;
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The next reply's raw text.
    pub(crate) fn text(&mut self) -> String {
        let reply = self.reply().expect("a reply, not a closed connection");
        String::from_utf8_lossy(&reply.raw).into_owned()
    }
}
