//! twemproxy's operations as its users script them: signals, the log file,
//! stats that count what nutcracker counts, error texts clients match,
//! `-t`, and what the proxy says at start.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// SIGHUP reopens the `-o` file after logrotate moved it; SIGTTIN and
/// SIGTTOU change the level; SIGUSR1 and SIGUSR2 are accepted; each is
/// logged in the lines nutcracker writes, checked against nutcracker itself
/// given the same signals (the level numbers aside: the tests run it at
/// -v 1). One difference on purpose: the SIGHUP line goes to the new file
/// (nutcracker writes it to the old one), so that the new file says why it
/// begins.
#[test]
fn signals_as_nutcracker_has_them() {
    let backend = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let nutcracker = Nutcracker::start(dir.path(), |port| pool_yaml(port, &[&backend], ""));
    let log = dir.path().join("proxy.log");
    let proxy = Proxy::start_with(&[&backend], "", &["-o", path_arg(&log)]);
    eventually("the start line", || read(&log).contains("started on pid"));
    let logs = [
        (proxy.process.pid(), log.clone()),
        (nutcracker.process.pid(), dir.path().join("nutcracker.log")),
    ];
    for (pid, log) in &logs {
        std::fs::rename(log, log.with_extension("log.1")).unwrap();
        signal(*pid, Signal::HUP);
        wait_until_exists(log);
    }
    for (sent, says) in [
        (Signal::TTOU, "down log level to"),
        (Signal::TTIN, "up log level to"),
        (Signal::USR1, "signal 10 (SIGUSR1) received"),
        (Signal::USR2, "signal 12 (SIGUSR2) received"),
    ] {
        for (pid, log) in &logs {
            signal(*pid, sent);
            eventually(says, || read(log).contains(says));
        }
    }
    // Every signal line of both files, without the timestamp and the
    // level's number.
    let signal_lines = |log: &std::path::Path| -> Vec<String> {
        let text = read(&log.with_extension("log.1")) + &read(log);
        text.lines()
            .filter_map(|line| {
                let at = ["signal ", "up log level", "down log level"]
                    .iter()
                    .filter_map(|start| line.find(start))
                    .min()?;
                Some(
                    line[at..]
                        .trim_end_matches(|c: char| c.is_ascii_digit())
                        .to_owned(),
                )
            })
            .collect()
    };
    let ours = signal_lines(&logs[0].1);
    assert_eq!(ours, signal_lines(&logs[1].1));
    assert_eq!(ours.len(), 7, "{ours:?}");
    assert!(read(&log).contains("signal 1 (SIGHUP) received, reopening log file"));
    let mut raw = proxy.raw();
    raw.command(&[b"PING"]);
    assert_eq!(raw.text(), "+PONG\r\n", "still serving");
}

/// A fatal signal leaves one line naming it in the log, and the process
/// dies of it.
#[test]
fn a_fatal_signal_is_named_in_the_log() {
    let backend = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("proxy.log");
    let proxy = Proxy::start_with(&[&backend], "", &["-o", path_arg(&log)]);
    eventually("the start line", || read(&log).contains("started on pid"));
    signal(proxy.process.pid(), Signal::SEGV);
    let finished = proxy.wait();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(finished.status.signal(), Some(11), "{:?}", finished.status);
    assert!(
        read(&log).contains("signal 11 (SIGSEGV) received"),
        "{}",
        read(&log)
    );
}

/// Requests and responses per server count what clients sent, as
/// nutcracker's do: the proxy's health-check PINGs are not in them.
#[test]
fn server_requests_are_the_clients_as_nutcracker_counts_them() {
    let backends = [RedisServer::start(), RedisServer::start()];
    let dir = tempfile::tempdir().unwrap();
    let nutcracker = Nutcracker::start(dir.path(), |port| {
        pool_yaml(port, &[&backends[0], &backends[1]], "")
    });
    let proxy = Proxy::start_with(&[&backends[0], &backends[1]], "", &["--health-interval", "20ms"]);
    let traffic = |port: u16| {
        let mut raw = Raw::connect(port);
        for i in 0..10 {
            raw.command(&[b"SET", format!("alpha{i}").as_bytes(), b"v"]);
            raw.text();
        }
        for i in 0..10 {
            raw.command(&[b"GET", format!("alpha{i}").as_bytes()]);
            raw.text();
        }
        raw.command(&[b"MGET", b"alpha", b"beta", b"gamma", b"delta", b"epsilon"]);
        raw.text();
    };
    traffic(nutcracker.port);
    traffic(proxy.port);
    // The proxy's health checks have reached every server (nutcracker and
    // this test send no PING).
    for backend in &backends {
        eventually("a health-check PING on each server", || {
            let mut raw = Raw::connect(backend.port);
            raw.command(&[b"INFO", b"commandstats"]);
            raw.text().contains("cmdstat_ping:calls=")
        });
    }
    let counts = |stats: serde_json::Value| {
        let mut counts: Vec<(String, u64, u64)> = stats["pool"]
            .as_object()
            .unwrap()
            .iter()
            .filter_map(|(name, server)| {
                Some((
                    name.clone(),
                    server.get("requests")?.as_u64()?,
                    server.get("responses")?.as_u64()?,
                ))
            })
            .collect();
        counts.sort();
        counts
    };
    let ours = counts(proxy.stats());
    // nutcracker publishes its counters every -i (100 ms in these tests).
    let deadline = Instant::now() + DEADLINE;
    let theirs = loop {
        let theirs = counts(stats_at(nutcracker.stats_port));
        if theirs == ours || Instant::now() > deadline {
            break theirs;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(ours, theirs);
    // 20 SETs and GETs, and the MGET's one part per server it touched
    // (which servers depends on the ports, so one or both); the health
    // checks' PINGs are not among them.
    let requests: u64 = ours.iter().map(|c| c.1).sum();
    assert!((21..=20 + ours.len() as u64).contains(&requests), "{ours:?}");
}

/// Errors in nutcracker's words, which clients match, checked against
/// nutcracker over the same servers: a server refusing connections, and one
/// that does not answer in time; and Redis's own NOAUTH before AUTH, PING
/// included.
#[test]
fn error_texts_clients_match() {
    let settings = "  timeout: 300\n";
    let first_reply = |port: u16, args: &[&[u8]]| {
        let mut raw = Raw::connect(port);
        raw.command(args);
        raw.text()
    };
    let dead = [format!("127.0.0.1:{}:1", free_port())];
    let proxy = Proxy::start_over(&dead, settings, &[]);
    let peer_dir = tempfile::tempdir().unwrap();
    let nutcracker = Nutcracker::start(peer_dir.path(), |port| pool_yaml_over(port, &dead, settings));
    let refused = first_reply(proxy.port, &[b"GET", b"k"]);
    assert_eq!(refused, first_reply(nutcracker.port, &[b"GET", b"k"]));
    assert_eq!(refused, "-ERR Connection refused\r\n");

    let stopped = RedisServer::start();
    let proxy = Proxy::start(&[&stopped], settings);
    let peer_dir = tempfile::tempdir().unwrap();
    let nutcracker = Nutcracker::start(peer_dir.path(), |port| pool_yaml(port, &[&stopped], settings));
    let mut timed_out = Vec::new();
    for port in [proxy.port, nutcracker.port] {
        let mut raw = Raw::connect(port);
        raw.command(&[b"SET", b"k", b"v"]);
        assert_eq!(raw.text(), "+OK\r\n");
        signal(stopped.process.pid(), Signal::STOP);
        raw.command(&[b"GET", b"k"]);
        timed_out.push(raw.text());
        signal(stopped.process.pid(), Signal::CONT);
    }
    assert_eq!(timed_out[0], timed_out[1]);
    assert_eq!(timed_out[0], "-ERR Connection timed out\r\n");

    let backend = RedisServer::start_with(&["--requirepass", "secret"]);
    let proxy = Proxy::start(&[&backend], "  redis_auth: secret\n");
    for port in [backend.port, proxy.port] {
        let mut raw = Raw::connect(port);
        raw.command(&[b"PING"]);
        assert_eq!(raw.text(), "-NOAUTH Authentication required.\r\n", "port {port}");
        raw.command(&[b"GET", b"k"]);
        assert_eq!(raw.text(), "-NOAUTH Authentication required.\r\n");
        raw.command(&[b"AUTH", b"secret"]);
        assert_eq!(raw.text(), "+OK\r\n");
        raw.command(&[b"PING"]);
        assert_eq!(raw.text(), "+PONG\r\n");
    }
}

fn proxy_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ambassador-proxy"))
}

/// `-t` catches what start would fail on and names it; a nutcracker
/// user's traps are named too.
#[test]
fn test_conf_names_what_start_would_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    let check = |yaml: &str, extra: &[&str]| {
        let config = dir.path().join("check.yml");
        std::fs::write(&config, yaml).unwrap();
        let mut command = proxy_command();
        command.args(["-t", "-c", path_arg(&config)]).args(extra);
        run(command)
    };
    let servers = "  servers:\n   - 127.0.0.1:6379:1\n";
    let two_pools = format!("a:\n  listen: 127.0.0.1:7000\n  redis: true\n{servers}b:\n  listen: 127.0.0.1:7000\n  redis: true\n{servers}");
    let one = format!("a:\n  listen: 127.0.0.1:7000\n  redis: true\n{servers}");
    let unweighted = "a:\n  listen: 127.0.0.1:7000\n  redis: true\n  servers:\n   - 127.0.0.1:6379\n";
    let url = "a:\n  listen: 127.0.0.1:7000\n  redis: true\n  servers:\n   - redis://10.0.0.1:6379\n";
    let refused: [(&str, &[&str], &str); 4] = [
        (&two_pools, &[], "'127.0.0.1:7000' is also pool 'a''s address"),
        (
            &one,
            &["-a", "not an address!"],
            "-a 'not an address!' is not an IP address",
        ),
        (unweighted, &[], "no weight (add one: 127.0.0.1:6379:1)"),
        (url, &[], "a URL is not accepted here"),
    ];
    for (yaml, extra, says) in refused {
        let finished = check(yaml, extra);
        assert_eq!(finished.status.code(), Some(1), "{says}: {}", finished.stderr);
        assert!(finished.stderr.contains(says), "{}", finished.stderr);
    }
    let traps = format!(
        "a:\n  listen: 127.0.0.1:7000\n  redis: true\n  redis_auth: pw\n  redis_db: 2\n  client_connections: 10\n  tcpkeepalive: true\n{servers}"
    );
    let finished = check(&traps, &[]);
    assert_eq!(finished.status.code(), Some(0), "{}", finished.stderr);
    for trap in [
        "never sends SELECT when redis_auth is set, so data written through it is in db 0",
        "client_connections 10 is enforced",
        "tcpkeepalive is set on client sockets",
    ] {
        assert!(
            finished.stderr.contains(trap),
            "{trap} not named in {}",
            finished.stderr
        );
    }
    // The environment: a value of the wrong type says what it should be.
    let mut command = proxy_command();
    command
        .arg("-t")
        .env("REDIS_SERVERS", "127.0.0.1:6379:1")
        .env("TIMEOUT", "2s");
    let finished = run(command);
    assert_eq!(finished.status.code(), Some(1));
    assert!(
        finished
            .stderr
            .contains("'2s' is not a whole number of milliseconds"),
        "{}",
        finished.stderr
    );
}

/// At the default level, one line says what runs (version, pools and
/// their servers, the stats and metrics addresses); the environment
/// variables that `-c` makes ignored are named; `--log-format json` logs
/// JSON.
#[test]
fn heard_at_start() {
    let backend = RedisServer::start();
    let metrics = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("proxy.yml");
    let stats_port = free_port();
    let (process, port) = start_listening(|port| {
        std::fs::write(&config, pool_yaml(port, &[&backend], "")).unwrap();
        let mut command = started_with(&config, stats_port);
        command
            .args([
                "--metrics-addr",
                &format!("127.0.0.1:{metrics}"),
                "--log-format",
                "json",
            ])
            .env("REDIS_SERVERS", "10.0.0.1:6379:1")
            .env("LISTEN_PORT", "7000")
            // The default level is -v's, not the tests' RUST_LOG.
            .env_remove("RUST_LOG");
        command
    });
    process.stderr.wait_for_text("started on pid");
    let text = process.stderr.text();
    let started = text
        .lines()
        .find(|line| line.contains("started on pid"))
        .expect("the start line");
    let event: serde_json::Value = serde_json::from_str(started).expect("a JSON line");
    let message = event["fields"]["message"].as_str().unwrap();
    for part in [
        format!("ambassador-proxy {}", env!("CARGO_PKG_VERSION")),
        format!("pool 'pool' on 127.0.0.1:{port} over 127.0.0.1:{}", backend.port),
        format!("stats on 127.0.0.1:{stats_port}"),
        format!("metrics on http://127.0.0.1:{metrics}/metrics"),
    ] {
        assert!(message.contains(&part), "{part} missing from {message}");
    }
    assert!(
        text.contains("REDIS_SERVERS") && text.contains("LISTEN_PORT") && text.contains("ignored"),
        "{text}"
    );
    assert_eq!(
        text.lines().count(),
        2,
        "nothing else at the default level: {text}"
    );
}

/// `/metrics` says whether the last reload succeeded, and when the
/// configuration was last loaded.
#[test]
fn reload_status_in_metrics() {
    let backend = RedisServer::start();
    let metrics = free_port();
    let proxy = Proxy::start_with(
        &[&backend],
        "",
        &["--metrics-addr", &format!("127.0.0.1:{metrics}")],
    );
    let gauge = |name: &str| -> u64 {
        let text = http_get(metrics, "/metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("ambassador_{name} ")))
            .unwrap_or_else(|| panic!("{name} missing from {text}"))
            .parse()
            .unwrap()
    };
    assert_eq!(gauge("config_last_reload_successful"), 1);
    let loaded = gauge("config_last_reload_success_timestamp_seconds");
    assert!(loaded > 1_700_000_000, "{loaded}");
    std::fs::write(proxy.config_path(), "not: [valid").unwrap();
    signal(proxy.process.pid(), Signal::HUP);
    eventually("the refusal counted", || {
        gauge("config_last_reload_successful") == 0
    });
}

/// The body of an HTTP GET of `path` on 127.0.0.1:`port`.
fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .split_once("\r\n\r\n")
        .map_or(response.clone(), |(_, body)| body.to_owned())
}
