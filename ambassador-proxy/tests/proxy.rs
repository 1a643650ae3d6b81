//! The proxy between real clients and real redis-servers.

mod common;

use std::process::Command;

use ambassador_proxy::config::from_yaml;
use ambassador_proxy::placement::Placement;
use common::{connection, run, Proxy, Raw, RedisServer, Tap};
use redis::Commands;

fn three_backends() -> Vec<RedisServer> {
    (0..3).map(|_| RedisServer::start()).collect()
}

fn refs(backends: &[RedisServer]) -> Vec<&RedisServer> {
    backends.iter().collect()
}

#[test]
fn keys_are_spread_where_twemproxy_would_put_them() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "");
    let mut client = proxy.client();
    for i in 0..300 {
        let _: () = client.set(format!("{i}:key"), i).unwrap();
    }
    // The placement the proxy must follow, from its own configuration.
    let pool = pool_of(&proxy);
    let placement = placement_of(&proxy);
    let mut per_backend = vec![0; backends.len()];
    for i in 0..300 {
        let key = format!("{i}:key");
        let server = placement.server_for(key.as_bytes(), |_| 0).unwrap();
        let port = pool.servers[server].port;
        let at = backends.iter().position(|b| b.port == port).unwrap();
        let stored: Option<i64> = connection(port).get(&key).unwrap();
        assert_eq!(stored, Some(i), "{key} is not on server {port}");
        per_backend[at] += 1;
        let through: i64 = client.get(&key).unwrap();
        assert_eq!(through, i);
    }
    // fnv1a_64 as twemproxy computes it spreads keys that differ only at
    // the end poorly, so an even spread is not promised; more than one
    // server is.
    assert!(
        per_backend.iter().filter(|&&n| n > 0).count() >= 2,
        "keys are not spread: {per_backend:?}"
    );
}

/// The pool the proxy serves, read from the configuration it was started with.
fn pool_of(proxy: &Proxy) -> ambassador_proxy::config::PoolConfig {
    let yaml = std::fs::read_to_string(proxy.config_path()).unwrap();
    from_yaml(&yaml, "proxy.yml").unwrap().pools.remove(0)
}

fn placement_of(proxy: &Proxy) -> Placement {
    let pool = pool_of(proxy);
    Placement::new(&pool.servers, pool.hash, pool.hash_tag, pool.distribution)
}

#[test]
fn fan_out_commands_merge_replies() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "");
    let mut client = proxy.client();
    let pairs: Vec<(String, String)> = (0..40).map(|i| (format!("k{i}"), format!("v{i}"))).collect();
    let _: () = client.mset(&pairs).unwrap();
    let keys: Vec<String> = (0..45).map(|i| format!("k{i}")).collect();
    let values: Vec<Option<String>> = client.mget(&keys).unwrap();
    let expected: Vec<Option<String>> = (0..45).map(|i| (i < 40).then(|| format!("v{i}"))).collect();
    assert_eq!(
        values, expected,
        "MGET keeps the order of its keys across servers"
    );
    let exists: i64 = redis::cmd("EXISTS").arg(&keys).query(&mut client).unwrap();
    assert_eq!(
        exists, 40,
        "EXISTS is summed over every server (twemproxy asked one)"
    );
    let touched: i64 = redis::cmd("TOUCH").arg(&keys[..10]).query(&mut client).unwrap();
    assert_eq!(touched, 10);
    let deleted: i64 = client.del(&keys[..20]).unwrap();
    assert_eq!(deleted, 20);
    let unlinked: i64 = redis::cmd("UNLINK").arg(&keys).query(&mut client).unwrap();
    assert_eq!(unlinked, 20);
    let stored: usize = backends
        .iter()
        .map(|b| {
            redis::cmd("DBSIZE")
                .query::<usize>(&mut connection(b.port))
                .unwrap()
        })
        .sum();
    assert_eq!(stored, 0);
}

#[test]
fn a_pipeline_of_good_and_bad_commands_is_answered_in_order_and_the_connection_stays() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "");
    let mut raw = proxy.raw();
    raw.command(&[b"SET", b"a", b"1"]);
    raw.command(&[b"FROBNICATE", b"x"]);
    raw.command(&[b"GET", b"a"]);
    raw.command(&[b"KEYS", b"*"]);
    raw.send(b"*-1\r\n*0\r\n");
    raw.command(&[b"GET"]);
    raw.command(&[b"INCR", b"a"]);
    raw.command(&[b"SET", b"{x}1", b"v"]);
    raw.command(&[b"RENAME", b"a", b"b"]);
    raw.send(b"PING\r\n");
    raw.command(&[b"MSET", b"a", b"1", b"b"]);
    raw.command(&[b"ECHO", b"still here"]);
    assert_eq!(raw.text(), "+OK\r\n");
    assert_eq!(raw.text(), "-ERR unknown or unsupported command 'FROBNICATE'\r\n");
    assert_eq!(raw.text(), "$1\r\n1\r\n");
    assert!(raw.text().starts_with("-ERR 'KEYS' is not supported"));
    // `*-1` and `*0` get no reply, as from Redis.
    assert_eq!(raw.text(), "-ERR wrong number of arguments for 'get' command\r\n");
    assert_eq!(raw.text(), ":2\r\n");
    assert_eq!(raw.text(), "+OK\r\n");
    let rename = raw.text();
    assert!(
        rename == "+OK\r\n" || rename.starts_with("-CROSSSLOT"),
        "{rename}"
    );
    assert_eq!(raw.text(), "+PONG\r\n");
    assert_eq!(
        raw.text(),
        "-ERR wrong number of arguments for 'mset' command\r\n"
    );
    assert_eq!(raw.text(), "$10\r\nstill here\r\n");

    // Backend errors pass through unchanged.
    raw.command(&[b"LPUSH", b"{x}1", b"v"]);
    assert_eq!(
        raw.text(),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    // QUIT answers and closes.
    raw.command(&[b"QUIT"]);
    assert_eq!(raw.text(), "+OK\r\n");
    assert!(raw.reply().is_none(), "QUIT closes the connection");
}

#[test]
fn a_stream_that_cannot_be_parsed_gets_an_error_then_closes() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let mut raw = proxy.raw();
    raw.command(&[b"PING"]);
    raw.send(b"*abc\r\n");
    assert_eq!(raw.text(), "+PONG\r\n");
    assert!(raw.text().starts_with("-ERR Protocol error"));
    assert!(raw.reply().is_none());
    // The proxy itself is unharmed.
    assert_eq!(proxy.raw().tap(|r| r.command(&[b"PING"])).text(), "+PONG\r\n");
}

/// Streams no client should send, answered by the proxy with Redis's own
/// words (the same bytes a redis-server sends), then the connection closed;
/// other clients unharmed.
#[test]
fn protocol_errors_are_redis_s_own() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    // Deep enough to have crashed the recursive parser, small enough to sit
    // in the socket buffers (tests/hostile.rs sends 200 000 levels).
    let nested = b"*1\r\n".repeat(20_000);
    let cases: [&[u8]; 7] = [
        b"*1\r\n*1\r\n$4\r\nPING\r\n",
        b"*1\r\n:5\r\n",
        b"*abc\r\n",
        b"*1\r\n$x\r\n",
        b"*1\r\n$-5\r\n",
        b"SET \"unbalanced\r\n",
        &nested,
    ];
    for case in cases {
        let answer = |port: u16| {
            let mut raw = Raw::connect(port);
            raw.command(&[b"PING"]);
            // The server may close before it has read everything.
            let _ = raw.try_send(case);
            let pong = raw.text();
            let error = raw.text();
            (pong, error, raw.reply().is_none())
        };
        let from_redis = answer(backend.port);
        let from_proxy = answer(proxy.port);
        assert_eq!(
            from_proxy,
            from_redis,
            "{:?}",
            String::from_utf8_lossy(&case[..case.len().min(40)])
        );
        assert!(from_proxy.2, "the client is closed");
    }
    assert_eq!(proxy.raw().tap(|r| r.command(&[b"PING"])).text(), "+PONG\r\n");
}

/// Inline commands split words with Redis's quoting rules: the proxy and
/// redis-server store the same values.
#[test]
fn inline_commands_are_quoted_as_redis_quotes_them() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let lines: [&[u8]; 4] = [
        b"SET \"a key\" \"two\\nlines \\x41\\\"\"\r\n",
        b"SET 'single' 'it\\'s'\r\n",
        b"GET \"a key\"\r\n",
        b"GET single\r\n",
    ];
    let answers = |port: u16| {
        let mut raw = Raw::connect(port);
        lines
            .iter()
            .map(|line| {
                raw.send(line);
                raw.text()
            })
            .collect::<Vec<_>>()
    };
    let from_redis = answers(backend.port);
    assert_eq!(from_redis[2], "$12\r\ntwo\nlines A\"\r\n");
    Raw::connect(backend.port)
        .tap(|r| r.command(&[b"FLUSHALL"]))
        .text();
    assert_eq!(answers(proxy.port), from_redis);
}

#[test]
fn keys_that_must_be_together_are_checked() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "  hash_tag: \"{}\"\n");
    let mut client = proxy.client();
    let _: () = client.set("{user:7}:name", "ann").unwrap();
    let _: () = client.rename("{user:7}:name", "{user:7}:nick").unwrap();
    let nick: String = client.get("{user:7}:nick").unwrap();
    assert_eq!(nick, "ann");
    let _: () = client.sadd("{s}a", "x").unwrap();
    let _: () = client.sadd("{s}b", "y").unwrap();
    let union: i64 = redis::cmd("SUNIONSTORE")
        .arg("{s}u")
        .arg("{s}a")
        .arg("{s}b")
        .query(&mut client)
        .unwrap();
    assert_eq!(union, 2);
    let script: i64 = redis::cmd("EVAL")
        .arg("return redis.call('SCARD', KEYS[1]) + redis.call('SCARD', KEYS[2])")
        .arg(2)
        .arg("{s}a")
        .arg("{s}u")
        .query(&mut client)
        .unwrap();
    assert_eq!(script, 3);
    // Keys on different servers: a clear error, and the connection goes on.
    let placement = placement_of(&proxy);
    let first = placement.server_for(b"{s}a", |_| 0);
    let elsewhere = (0..)
        .map(|i| format!("other{i}"))
        .find(|key| placement.server_for(key.as_bytes(), |_| 0) != first)
        .unwrap();
    let error = redis::cmd("SUNIONSTORE")
        .arg(&elsewhere)
        .arg("{s}a")
        .query::<i64>(&mut client)
        .unwrap_err();
    assert!(error.to_string().contains("hash tag"), "{error}");
    let pong: String = redis::cmd("PING").query(&mut client).unwrap();
    assert_eq!(pong, "PONG");
}

#[test]
fn many_clients_pipelining_at_once_each_get_their_own_replies() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "");
    let port = proxy.port;
    let workers: Vec<_> = (0..32)
        .map(|worker| {
            std::thread::spawn(move || {
                let mut client = connection(port);
                let mut pipe = redis::pipe();
                for i in 0..500 {
                    pipe.set(format!("w{worker}:k{i}"), format!("{worker}-{i}"))
                        .ignore();
                    pipe.get(format!("w{worker}:k{i}"));
                    pipe.incr(format!("w{worker}:counter"), 1);
                }
                let replies: Vec<redis::Value> = pipe.query(&mut client).unwrap();
                for (i, pair) in replies.chunks(2).enumerate() {
                    assert_eq!(
                        pair[0],
                        redis::Value::BulkString(format!("{worker}-{i}").into_bytes()),
                        "worker {worker} request {i}"
                    );
                    assert_eq!(pair[1], redis::Value::Int(i as i64 + 1));
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn redis_cli_and_redis_py_work_out_of_the_box() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "");
    let port = proxy.port.to_string();
    let mut cli = Command::new("redis-cli");
    cli.args(["-p", &port, "SET", "greeting", "hello"]);
    let set = run(cli);
    assert_eq!(
        String::from_utf8_lossy(&set.stdout).trim(),
        "OK",
        "{}",
        set.stderr
    );
    let mut cli = Command::new("redis-cli");
    cli.args(["-p", &port, "--no-raw", "MGET", "greeting", "missing"]);
    let mget = run(cli);
    assert_eq!(String::from_utf8_lossy(&mget.stdout), "1) \"hello\"\n2) (nil)\n");

    let script = "import redis, sys\n\
                  r = redis.Redis(port=int(sys.argv[1]), client_name='app')\n\
                  r.set('py', 'ok')\n\
                  p = r.pipeline(transaction=False)\n\
                  p.incr('n'); p.incr('n'); p.get('py')\n\
                  print(p.execute(), r.mget(['py', 'greeting']))\n";
    let mut python = Command::new("/usr/bin/python3");
    python.args(["-c", script, &port]);
    let py = run(python);
    assert!(
        py.status.success(),
        "redis-py failed (is python3-redis installed?): {}",
        py.stderr
    );
    assert_eq!(
        String::from_utf8_lossy(&py.stdout).trim(),
        "[1, 2, b'ok'] [b'ok', b'hello']"
    );
}

#[test]
fn auth_is_required_and_passed_on_and_select_is_the_pools() {
    let backend = RedisServer::start_with(&["--requirepass", "s3cret"]);
    let port = backend.port;
    let proxy = Proxy::start(&[&backend], "  redis_auth: s3cret\n  redis_db: 3\n");
    let mut raw = proxy.raw();
    raw.command(&[b"GET", b"k"]);
    assert_eq!(raw.text(), "-NOAUTH Authentication required.\r\n");
    raw.command(&[b"AUTH", b"wrong"]);
    assert!(raw.text().starts_with("-WRONGPASS"));
    raw.command(&[b"AUTH", b"s3cret"]);
    assert_eq!(raw.text(), "+OK\r\n");
    raw.command(&[b"SELECT", b"3"]);
    assert_eq!(raw.text(), "+OK\r\n");
    raw.command(&[b"SELECT", b"0"]);
    assert!(raw.text().contains("only database 3"));
    raw.command(&[b"SET", b"k", b"v"]);
    assert_eq!(raw.text(), "+OK\r\n");
    // The proxy authenticated and selected database 3 on its own connection.
    let mut direct = redis::Client::open(format!("redis://:s3cret@127.0.0.1:{port}/3"))
        .unwrap()
        .get_connection()
        .unwrap();
    let stored: String = direct.get("k").unwrap();
    assert_eq!(stored, "v");
}

#[test]
fn hello_and_client_commands_for_modern_clients() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let mut raw = proxy.raw();
    raw.command(&[b"HELLO", b"4"]);
    assert_eq!(raw.text(), "-NOPROTO unsupported protocol version\r\n");
    raw.command(&[b"HELLO", b"3"]);
    let hello = raw.text();
    assert!(
        hello.starts_with("%7\r\n") && hello.contains("$5\r\nproto\r\n:3\r\n"),
        "{hello}"
    );
    raw.command(&[b"CLIENT", b"GETNAME"]);
    assert_eq!(raw.text(), "_\r\n");
    raw.command(&[b"HELLO", b"2", b"SETNAME", b"app"]);
    assert!(raw.text().contains("ambassador-proxy"));
    raw.command(&[b"CLIENT", b"GETNAME"]);
    assert_eq!(raw.text(), "$3\r\napp\r\n");
    raw.command(&[b"CLIENT", b"SETINFO", b"LIB-NAME", b"redis-py"]);
    assert_eq!(raw.text(), "+OK\r\n");
}

/// The same commands sent to a redis-server directly and through the
/// proxy (one server behind it), in RESP2 and after `HELLO 3`: the same
/// bytes come back, maps, sets, doubles and nulls included.
#[test]
fn replies_are_redis_s_own_in_both_protocols() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let script: &[&[&[u8]]] = &[
        &[b"SET", b"s", b"v"],
        &[b"GET", b"s"],
        &[b"GET", b"missing"],
        &[b"HSET", b"h", b"f1", b"1", b"f2", b"2"],
        &[b"HGETALL", b"h"],
        &[b"HGETALL", b"missing"],
        &[b"SADD", b"set", b"a", b"b", b"c"],
        &[b"SMEMBERS", b"set"],
        &[b"ZADD", b"z", b"1.5", b"m"],
        &[b"ZSCORE", b"z", b"m"],
        &[b"ZRANGE", b"z", b"0", b"-1", b"WITHSCORES"],
        &[b"INCRBYFLOAT", b"f", b"0.25"],
        &[b"MGET", b"s", b"missing", b"h"],
        &[b"EXISTS", b"s", b"h", b"missing"],
        &[b"LPOP", b"missing"],
        &[b"HRANDFIELD", b"missing", b"2"],
        &[b"GET", b"h"],
        &[b"DEL", b"s", b"h", b"set", b"z", b"f"],
    ];
    for hello in [None, Some(&b"3"[..])] {
        let replies = |port: u16| {
            let mut raw = Raw::connect(port);
            if let Some(version) = hello {
                raw.command(&[b"HELLO", version]);
                raw.text();
            }
            script
                .iter()
                .map(|command| {
                    raw.command(command);
                    raw.text()
                })
                .collect::<Vec<_>>()
        };
        let direct = replies(backend.port);
        let proxied = replies(proxy.port);
        assert_eq!(proxied, direct, "HELLO {hello:?}");
    }
}

#[test]
fn the_stats_port_speaks_twemproxys_json() {
    let backends = three_backends();
    let proxy = Proxy::start(&refs(&backends), "");
    let mut client = proxy.client();
    for i in 0..30 {
        let _: () = client.set(format!("{i}:stat"), i).unwrap();
    }
    let keys: Vec<String> = (0..30).map(|i| format!("{i}:stat")).collect();
    let _: Vec<i64> = client.mget(&keys).unwrap();
    let stats = proxy.stats();
    for field in [
        "service",
        "source",
        "version",
        "uptime",
        "timestamp",
        "total_connections",
        "curr_connections",
    ] {
        assert!(stats.get(field).is_some(), "{field} missing: {stats}");
    }
    let pool = &stats["pool"];
    assert_eq!(pool["client_connections"], 1, "{stats}");
    assert!(
        pool["fragments"].as_u64().unwrap() >= 2,
        "MGET over 3 servers splits: {stats}"
    );
    let mut requests = 0;
    for backend in &backends {
        let server = &pool[format!("127.0.0.1:{}", backend.port)];
        for field in [
            "server_eof",
            "server_err",
            "server_timedout",
            "server_connections",
            "server_ejected_at",
            "requests",
            "request_bytes",
            "responses",
            "response_bytes",
            "in_queue",
            "in_queue_bytes",
            "out_queue",
            "out_queue_bytes",
        ] {
            assert!(server.get(field).is_some(), "{field} missing: {server}");
        }
        assert_eq!(server["requests"], server["responses"]);
        assert_eq!(server["out_queue"], 0);
        requests += server["requests"].as_u64().unwrap();
    }
    assert!(requests >= 31, "{stats}");
}

#[test]
fn connection_settings_are_applied() {
    let backend = RedisServer::start();
    let settings = "  client_connections: 2\n  preconnect: true\n  tcpkeepalive: true\n  reuseport: true\n  backlog: 64\n";
    let proxy = Proxy::start(&[&backend], settings);

    // preconnect: the server connection opens without any request.
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while proxy.stats()["pool"][format!("127.0.0.1:{}", backend.port)]["server_connections"] != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "preconnect opened no connection"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }

    // client_connections: a third client is turned away.
    let mut first = proxy.raw();
    first.command(&[b"PING"]);
    assert_eq!(first.text(), "+PONG\r\n");
    let mut second = proxy.raw();
    second.command(&[b"PING"]);
    assert_eq!(second.text(), "+PONG\r\n");
    let mut third = proxy.raw();
    third.command(&[b"PING"]);
    assert!(
        third.reply().is_none(),
        "a client beyond client_connections is closed"
    );

    // reuseport: a second proxy binds the same port.
    let yaml = std::fs::read_to_string(proxy.config_path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("again.yml");
    std::fs::write(&config, yaml).unwrap();
    let command = common::started_with(&config, testkit::free_port());
    let mut again = testkit::Process::spawn(command);
    again.stderr.wait_for_text("started on pid");
    assert!(
        !again.has_exited(),
        "a second proxy could not share the port: {}",
        again.stderr.text()
    );
}

/// Sends `GET k` through `raw` to `backend`, frozen first so that the
/// request stays in flight, and waits until the proxy has written it.
fn get_held_by_a_frozen_server(proxy: &Proxy, raw: &mut Raw, backend: &RedisServer) {
    raw.command(&[&b"SET"[..], b"k", b"v"]);
    assert_eq!(raw.text(), "+OK\r\n");
    testkit::signal(backend.process.pid(), testkit::Signal::STOP);
    raw.command(&[&b"GET"[..], b"k"]);
    let server = format!("127.0.0.1:{}", backend.port);
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while proxy.stats()["pool"][&server]["out_queue"] != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the GET never reached the server"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn sigterm_answers_the_requests_in_flight_then_exits_zero() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let mut raw = proxy.raw();
    get_held_by_a_frozen_server(&proxy, &mut raw, &backend);
    testkit::signal(proxy.process.pid(), testkit::Signal::TERM);
    // It stops accepting...
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while std::net::TcpStream::connect(("127.0.0.1", proxy.port)).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "still accepting after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // ...answers what is in flight, closes, and exits 0.
    testkit::signal(backend.process.pid(), testkit::Signal::CONT);
    assert_eq!(raw.text(), "$1\r\nv\r\n");
    assert!(
        raw.reply().is_none(),
        "the connection closes after the last reply"
    );
    let finished = proxy.wait();
    assert!(
        finished.status.success(),
        "{:?}: {}",
        finished.status,
        finished.stderr
    );
}

#[test]
fn sigint_stops_it_too_and_the_shutdown_timeout_bounds_the_wait() {
    let backend = RedisServer::start();
    let proxy = Proxy::start_with(&[&backend], "", &["--shutdown-timeout", "300ms"]);
    let mut raw = proxy.raw();
    get_held_by_a_frozen_server(&proxy, &mut raw, &backend);
    // The server stays frozen: only the shutdown timeout ends the wait
    // (the test's deadline is 60 s, the pool has no request timeout).
    testkit::signal(proxy.process.pid(), testkit::Signal::INT);
    let finished = proxy.wait();
    testkit::signal(backend.process.pid(), testkit::Signal::CONT);
    assert!(
        finished.status.success(),
        "{:?}: {}",
        finished.status,
        finished.stderr
    );
    assert!(
        finished
            .stderr
            .contains("shutdown timeout reached; closing with replies outstanding"),
        "{}",
        finished.stderr
    );
    assert!(raw.reply().is_none(), "closed without a reply");
}

#[test]
fn a_request_over_the_limits_closes_that_client_only() {
    let backend = RedisServer::start();
    let proxy = Proxy::start_with(
        &[&backend],
        "",
        &["--max-request-bytes", "1000", "--max-request-args", "10"],
    );
    let mut calm = proxy.raw();
    calm.command(&[b"SET", b"k", b"v"]);
    assert_eq!(calm.text(), "+OK\r\n");

    let mut huge = proxy.raw();
    huge.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$900000000\r\nxxxx");
    assert!(huge.text().contains("invalid bulk length"));
    assert!(huge.reply().is_none(), "the client is closed");

    let mut many = proxy.raw();
    many.send(b"*100\r\n$3\r\nDEL\r\n");
    assert!(many.text().contains("invalid multibulk length"));
    assert!(many.reply().is_none());

    calm.command(&[b"GET", b"k"]);
    assert_eq!(calm.text(), "$1\r\nv\r\n", "other clients go on");
    let refused = run({
        let mut command = Command::new(env!("CARGO_BIN_EXE_ambassador-proxy"));
        command.args(["--max-request-bytes", "600000000", "-t"]);
        command
    });
    assert_eq!(
        refused.status.code(),
        Some(2),
        "more than Redis's 512 MiB is refused"
    );
}

#[test]
fn a_client_that_does_not_read_its_replies_is_held_back() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let value = vec![b'x'; 16 * 1024];
    let _: () = redis::cmd("SET")
        .arg("big")
        .arg(&value)
        .query(&mut connection(backend.port))
        .unwrap();
    let gets = 20_000;
    let mut request = Vec::new();
    for _ in 0..gets {
        request.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
    }
    // 20 000 GETs of 16 KiB (over 300 MiB of replies), sent without reading.
    let mut stalled = proxy.raw();
    let mut sender = stalled.try_clone();
    let sending = std::thread::spawn(move || sender.send(&request));
    let forwarded = || {
        proxy.stats()["pool"][format!("127.0.0.1:{}", backend.port)]["requests"]
            .as_u64()
            .unwrap()
    };
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while forwarded() < 256 {
        assert!(std::time::Instant::now() < deadline, "requests never forwarded");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Time for a proxy without backpressure to forward (and buffer) more.
    std::thread::sleep(std::time::Duration::from_millis(500));
    // 256 replies pending in the proxy, plus what the two sockets' kernel
    // buffers hold (a few MiB on loopback): far fewer than were sent.
    assert!(
        forwarded() < gets / 10,
        "{} requests forwarded for a client that reads nothing",
        forwarded()
    );
    // Once it reads, every reply comes, in order, whole.
    let expected = [
        format!("${}\r\n", value.len()).into_bytes(),
        value,
        b"\r\n".to_vec(),
    ]
    .concat();
    for i in 0..gets {
        let reply = stalled.reply().expect("a reply");
        assert!(reply.raw == expected, "reply {i} is wrong");
    }
    sending.join().unwrap();
}

#[test]
fn an_acl_user_authenticates_the_server_connections() {
    let backend = RedisServer::start_with(&[
        "--user", "default", "off", "--user", "app", "on", ">pw", "~*", "+@all",
    ]);
    let proxy = Proxy::start(&[&backend], "  redis_auth: app pw\n");
    let mut raw = proxy.raw();
    raw.command(&[b"AUTH", b"app", b"pw"]);
    assert_eq!(raw.text(), "+OK\r\n");
    raw.command(&[b"SET", b"k", b"v"]);
    assert_eq!(raw.text(), "+OK\r\n");
    let mut direct = redis::Client::open(format!("redis://app:pw@127.0.0.1:{}/", backend.port))
        .unwrap()
        .get_connection()
        .unwrap();
    let stored: String = direct.get("k").unwrap();
    assert_eq!(stored, "v");
}

/// A stop answers every request the proxy has read, those waiting for its
/// window (8 at first, while no reply has been seen) included: a tester
/// saw 40 of 50 answered and then a clean close, which a client cannot
/// tell from success. The same stop against nutcracker 0.5.0 answers none:
/// it dies of SIGTERM at once (a deliberate difference).
#[test]
fn a_stop_answers_the_requests_already_read_that_wait_for_the_window() {
    let backend = RedisServer::start();
    let proxy = Proxy::start(&[&backend], "");
    let stats_port = proxy.stats_port;
    let ours = replies_across_a_stop(&backend, proxy.port, stats_port, 8, proxy.process);
    assert_eq!(ours.0, 30, "every request read is answered before the close");
    assert!(ours.1.success(), "{:?}", ours.1);

    let dir = tempfile::tempdir().unwrap();
    let nutcracker = common::Nutcracker::start(dir.path(), |port| common::pool_yaml(port, &[&backend], ""));
    let theirs = replies_across_a_stop(
        &backend,
        nutcracker.port,
        nutcracker.stats_port,
        30,
        nutcracker.process,
    );
    assert_eq!(theirs.0, 0, "nutcracker answers nothing after SIGTERM");
    assert!(
        !theirs.1.success(),
        "nutcracker dies of the signal: {:?}",
        theirs.1
    );
}

/// Sends 30 SETs (29 bytes each, one write) through the proxy at `port`
/// while `backend` holds its replies, waits until its stats (twemproxy's
/// JSON, on `stats_port`) count `forwarded` of them sent to the server,
/// sends SIGTERM, lets the server answer once the proxy stopped accepting,
/// and returns the replies the client got before the close and how the
/// proxy exited.
fn replies_across_a_stop(
    backend: &RedisServer,
    port: u16,
    stats_port: u16,
    forwarded: u64,
    proxy: common::Process,
) -> (usize, std::process::ExitStatus) {
    let mut client = Raw::connect(port);
    // The server holds every reply (stopped) until the stop is under way.
    common::signal(backend.process.pid(), common::Signal::STOP);
    let set: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
    client.send(&set.repeat(30));
    common::eventually("the requests reached the server", || {
        common::stats_at(stats_port)["pool"]
            .as_object()
            .and_then(|pool| pool.values().find_map(|v| v.get("requests")))
            .and_then(|n| n.as_u64())
            == Some(forwarded)
    });
    let stopped = std::thread::spawn(move || proxy.terminate());
    // The stop is seen when the proxy no longer accepts; only then may the
    // server answer.
    common::eventually("the proxy stopped accepting", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    });
    common::signal(backend.process.pid(), common::Signal::CONT);
    let mut replies = 0;
    while let Some(reply) = client.reply() {
        assert_eq!(&reply.raw[..], b"+OK\r\n");
        replies += 1;
    }
    (replies, stopped.join().unwrap().status)
}
