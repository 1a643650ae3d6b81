//! Hostile clients and broken servers, with a canary client doing SET/GET
//! through the proxy the whole time: the proxy stays up, no canary value is
//! ever wrong (an error is allowed, a wrong value never), and its memory
//! stays bounded.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use ambassador_proxy::protocol::RequestReader;
use bytes::BytesMut;
use common::*;

/// A client doing SET then GET of its own keys until stopped, checking
/// every value.
struct Canary {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<CanaryReport>,
}

#[derive(Debug, Default)]
struct CanaryReport {
    right: u64,
    errors: u64,
    wrong: Vec<String>,
}

impl Canary {
    fn start(port: u16) -> Canary {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut report = CanaryReport::default();
            let mut raw = Raw::connect(port);
            let mut n = 0u64;
            while !stopped.load(Ordering::Relaxed) {
                n += 1;
                let key = format!("canary:{}", n % 500);
                let value = format!("value-{n}");
                raw.command(&[b"SET", key.as_bytes(), value.as_bytes()]);
                raw.command(&[b"GET", key.as_bytes()]);
                let set = raw.text();
                let get = raw.text();
                let expected = format!("${}\r\n{value}\r\n", value.len());
                if set.starts_with('-') || get.starts_with('-') {
                    report.errors += 1;
                } else if set == "+OK\r\n" && get == expected {
                    report.right += 1;
                } else {
                    report
                        .wrong
                        .push(format!("{key}: SET {set:?}, GET {get:?} (want {expected:?})"));
                }
            }
            report
        });
        Canary { stop, thread }
    }

    fn finish(self) -> CanaryReport {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().expect("the canary")
    }
}

/// The proxy's peak resident memory so far, in MiB.
fn peak_rss_mib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmHWM") / 1024
}

/// Sends `bytes` on a new connection and reads until the proxy closes it;
/// returns what it answered. Writes that fail (the proxy closed first) are
/// fine.
fn send_and_drain(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let writer = {
        let mut stream = stream.try_clone().unwrap();
        let bytes = bytes.to_vec();
        std::thread::spawn(move || {
            let _ = stream.write_all(&bytes);
        })
    };
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let _ = stream.shutdown(Shutdown::Both);
    writer.join().unwrap();
    answer
}

/// A client that pipelines `count` copies of `request` and never reads a
/// reply; it blocks once the proxy stops reading it. Dropping it closes
/// the connection.
struct NonReader {
    stream: TcpStream,
    writer: Option<JoinHandle<()>>,
}

impl NonReader {
    fn start(port: u16, request: &[u8], count: usize) -> NonReader {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        let mut sending = stream.try_clone().unwrap();
        let request = request.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = sending.write_all(&request.repeat(count));
        });
        NonReader {
            stream,
            writer: Some(writer),
        }
    }
}

impl Drop for NonReader {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

fn get_request(key: &[u8]) -> Vec<u8> {
    let mut request = BytesMut::new();
    ambassador_proxy::protocol::encode_request(&[&b"GET"[..], key], &mut request);
    request.to_vec()
}

/// Every hostile case of issue 11 at once, a canary checking all along.
#[test]
fn hostile_clients_and_a_stopped_server_cannot_take_the_proxy_down() {
    let backends = [RedisServer::start(), RedisServer::start()];
    let proxy = Proxy::start(
        &[&backends[0], &backends[1]],
        "  timeout: 1000\n  hash_tag: \"{}\"\n",
    );
    let port = proxy.port;
    let canary = Canary::start(port);

    // Values the non-reading clients ask for: 1 MiB and 100 KB.
    let mut setup = proxy.raw();
    setup.command(&[b"SET", b"{big}1mib", &vec![b'x'; 1 << 20]]);
    setup.command(&[b"SET", b"{big}100kb", &vec![b'y'; 100_000]]);
    assert_eq!((setup.text(), setup.text()), ("+OK\r\n".into(), "+OK\r\n".into()));

    // 2 000 idle connections, kept to the end.
    let idle: Vec<TcpStream> = (0..2000)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap())
        .collect();

    // Ten clients pipelining 256 GETs of 1 MiB, and one pipelining
    // 100 000 GETs of 100 KB, none of them reading.
    let mut non_readers: Vec<NonReader> = (0..10)
        .map(|_| NonReader::start(port, &get_request(b"{big}1mib"), 256))
        .collect();
    non_readers.push(NonReader::start(port, &get_request(b"{big}100kb"), 100_000));

    // Garbage, huge declared sizes, nesting, lengths that lie: each gets a
    // protocol error and is closed.
    // Garbage reads as inline commands (unknown ones) until its end, which
    // does not parse.
    let mut garbage: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage.extend_from_slice(b"\n*1\r\n*1\r\n");
    let nested = b"*1\r\n".repeat(200_000);
    let inline_10mib = vec![b'a'; 10 << 20];
    let cases: [(&str, &[u8]); 7] = [
        ("garbage", &garbage),
        ("huge count", b"*2147483647\r\n"),
        ("huge bulk", b"*1\r\n$9223372036854775807\r\n"),
        ("nesting", &nested),
        ("a length that lies", b"*2\r\n$3\r\nGET\r\n$2\r\nabcdef\r\n"),
        ("an inline line of 10 MiB without a newline", &inline_10mib),
        ("a null array then garbage", b"*-1\r\n*1\r\n%1\r\n"),
    ];
    for (what, bytes) in cases {
        let answer = String::from_utf8_lossy(&send_and_drain(port, bytes)).into_owned();
        assert!(
            answer.contains("-ERR Protocol error"),
            "{what}: the proxy answered {:?}",
            &answer[..answer.len().min(200)]
        );
    }

    // A reply nested 20 000 deep from a real redis-server passes through.
    let mut deep = proxy.raw();
    deep.command(&[
        b"EVAL",
        b"local t={} local c=t for i=1,20000 do local n={} c[1]=n c=n end return t",
        b"0",
    ]);
    let reply = deep.reply().expect("a reply");
    assert!(reply.raw.starts_with(b"*1\r\n*1\r\n"), "{:?}", &reply.raw[..20]);

    // A pipeline with unsupported and unknown commands: every reply, in order.
    let mut pipeline = proxy.raw();
    pipeline.command(&[b"SET", b"p", b"1"]);
    pipeline.command(&[b"KEYS", b"*"]);
    pipeline.command(&[b"GET", b"p"]);
    pipeline.command(&[b"FROBNICATE"]);
    pipeline.command(&[b"MULTI"]);
    pipeline.command(&[b"INCR", b"p"]);
    let replies: Vec<String> = (0..6).map(|_| pipeline.text()).collect();
    assert_eq!(replies[0], "+OK\r\n");
    assert!(replies[1].starts_with("-ERR 'KEYS' is not supported"));
    assert_eq!(replies[2], "$1\r\n1\r\n");
    assert!(replies[3].starts_with("-ERR unknown"));
    assert!(replies[4].starts_with("-ERR 'MULTI' is not supported"));
    assert_eq!(replies[5], ":2\r\n");

    // A server stopped for two seconds: its requests time out, the proxy
    // and the other server's keys carry on.
    signal(backends[1].process.pid(), Signal::STOP);
    std::thread::sleep(Duration::from_secs(2));
    signal(backends[1].process.pid(), Signal::CONT);

    // The idle connections still work.
    for stream in idle.iter().step_by(400) {
        let mut stream = stream.try_clone().unwrap();
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        stream.write_all(b"PING\r\n").unwrap();
        let mut pong = [0u8; 7];
        stream.read_exact(&mut pong).unwrap();
        assert_eq!(&pong, b"+PONG\r\n");
    }
    let rss = peak_rss_mib(proxy.process.pid());
    drop(non_readers);
    let report = canary.finish();
    assert!(report.wrong.is_empty(), "wrong canary values: {:?}", report.wrong);
    assert!(report.right > 100, "the canary barely ran: {report:?}");
    assert!(rss < 200, "peak RSS {rss} MiB");
    eprintln!("canary: {report:?}; proxy peak RSS {rss} MiB");
    assert_eq!(proxy.raw().tap(|r| r.command(&[b"PING"])).text(), "+PONG\r\n");
}

/// How a fake server misbehaves.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// An extra `+OK` after every reply.
    ExtraOkPerReply,
    /// A `+OK` every few milliseconds, asked for or not.
    UnpromptedOk,
}

/// A server that stores SETs and answers GETs like Redis, and misbehaves.
fn fake_server(misbehaviour: Misbehaviour) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let store = Arc::new(std::sync::Mutex::new(
        std::collections::HashMap::<Vec<u8>, Vec<u8>>::new(),
    ));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let store = store.clone();
            std::thread::spawn(move || serve_fake(stream, &store, misbehaviour));
        }
    });
    port
}

fn serve_fake(
    mut stream: TcpStream,
    store: &std::sync::Mutex<std::collections::HashMap<Vec<u8>, Vec<u8>>>,
    misbehaviour: Misbehaviour,
) {
    let mut reader = RequestReader::default();
    let mut buf = BytesMut::new();
    let mut chunk = [0u8; 16 * 1024];
    stream.set_read_timeout(Some(Duration::from_millis(5))).unwrap();
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if let Misbehaviour::UnpromptedOk = misbehaviour {
                    if stream.write_all(b"+OK\r\n").is_err() {
                        return;
                    }
                }
                continue;
            }
            Err(_) => return,
        }
        let mut out = Vec::new();
        while let Ok(Some(request)) = reader.next(&mut buf) {
            let name = request.args[0].to_ascii_uppercase();
            let mut store = store.lock().unwrap();
            match (&name[..], &request.args[1..]) {
                (b"SET", [key, value, ..]) => {
                    store.insert(key.to_vec(), value.to_vec());
                    out.extend_from_slice(b"+OK\r\n");
                }
                (b"GET", [key]) => match store.get(&key[..]) {
                    Some(value) => {
                        out.extend_from_slice(format!("${}\r\n", value.len()).as_bytes());
                        out.extend_from_slice(value);
                        out.extend_from_slice(b"\r\n");
                    }
                    None => out.extend_from_slice(b"$-1\r\n"),
                },
                (b"PING", _) => out.extend_from_slice(b"+PONG\r\n"),
                _ => out.extend_from_slice(b"-ERR unknown\r\n"),
            }
            if let Misbehaviour::ExtraOkPerReply = misbehaviour {
                out.extend_from_slice(b"+OK\r\n");
            }
        }
        if stream.write_all(&out).is_err() {
            return;
        }
    }
}

/// A server that sends replies nobody asked for: the proxy drops its
/// connection instead of handing them to the next requests, so no client
/// ever gets another request's reply. (RESP has no request ids: a server
/// that repeats a reply of the right kind cannot be caught; one of a kind
/// the request cannot have, or one with no request waiting, is.)
#[test]
fn replies_nobody_asked_for_never_reach_the_wrong_request() {
    for misbehaviour in [Misbehaviour::ExtraOkPerReply, Misbehaviour::UnpromptedOk] {
        let server = fake_server(misbehaviour);
        let proxy = Proxy::start_over(
            &[format!("127.0.0.1:{server}:1")],
            "",
            &["--health-interval", "1h"],
        );
        let canary = Canary::start(proxy.port);
        // Other clients pipelining GETs of their own keys at the same time.
        let loaders: Vec<JoinHandle<u64>> = (0..4)
            .map(|client| {
                let port = proxy.port;
                std::thread::spawn(move || {
                    let mut raw = Raw::connect(port);
                    let mut wrong = 0;
                    for round in 0..200 {
                        let key = format!("loader:{client}:{}", round % 20);
                        let value = format!("{client}-{round}");
                        raw.command(&[b"SET", key.as_bytes(), value.as_bytes()]);
                        for _ in 0..4 {
                            raw.command(&[b"GET", key.as_bytes()]);
                        }
                        let set = raw.text();
                        let expected = format!("${}\r\n{value}\r\n", value.len());
                        for _ in 0..4 {
                            let get = raw.text();
                            if set == "+OK\r\n" && !get.starts_with('-') && get != expected {
                                wrong += 1;
                            }
                        }
                    }
                    wrong
                })
            })
            .collect();
        let wrong_by_loaders: u64 = loaders.into_iter().map(|l| l.join().unwrap()).sum();
        let report = canary.finish();
        assert_eq!(wrong_by_loaders, 0);
        assert!(report.wrong.is_empty(), "wrong canary values: {:?}", report.wrong);
        // An unprompted reply comes when the connection is idle: wait for
        // the proxy to see one.
        let dropped = || {
            proxy.stats()["pool"]
                .as_object()
                .unwrap()
                .values()
                .filter_map(|server| server.get("server_err")?.as_u64())
                .sum::<u64>()
        };
        let deadline = std::time::Instant::now() + DEADLINE;
        while dropped() == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            dropped() > 0,
            "the misbehaviour was never noticed: {}",
            proxy.stats()
        );
    }
}
