//! Property tests and fuzzers of the request reader and the reply scanner:
//! whatever bytes a client or a server sends, in whatever pieces, they
//! never panic, never loop, never recurse, and read back exactly what a real
//! client encoded. The test command runs them (256 cases each by default;
//! PROPTEST_CASES=100000 for a longer run); failing inputs are kept by
//! proptest in tests/parser_fuzz.proptest-regressions, to be committed.
//!
//! The fuzzers run for a bounded time, FUZZ_SECONDS (10 by default; the
//! docs/ambassador-proxy.md gives the longer run):
//! - the corpus in tests/fuzz-corpus (real pipelines, inline commands, the
//!   malformed streams that matter, and every input that ever crashed the
//!   proxy) mutated at random, the bytes fed in random pieces;
//! - structured attacks generated from a grammar: arrays nested 1 to
//!   300 000 deep, counts and lengths up to i64::MAX, lengths that lie,
//!   RESP3 types, quotes, all dripped in pieces.
//!
//! An input that panics is written into the corpus as `crash-*.resp`, to be
//! fixed and committed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ambassador_proxy::command::lookup;
use ambassador_proxy::protocol::{encode_request, Limits, ReplyReader, RequestReader};
use bytes::BytesMut;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};

/// What reading a whole stream gave: the requests, and whether it ended in
/// a protocol error.
type Parsed = (Vec<Vec<Vec<u8>>>, bool);

/// Feeds `stream` into a buffer in pieces of the given sizes (cycled), as
/// TCP may deliver it, calling `take` after each piece to read everything
/// complete; returns what was read, and whether it ended in an error.
fn in_pieces<T>(
    stream: &[u8],
    pieces: &[usize],
    mut take: impl FnMut(&mut BytesMut) -> Result<Option<T>, ()>,
) -> (Vec<T>, bool) {
    let mut buf = BytesMut::new();
    let mut read = Vec::new();
    let mut at = 0;
    let mut piece = 0;
    loop {
        loop {
            match take(&mut buf) {
                Ok(Some(item)) => read.push(item),
                Ok(None) => break,
                Err(()) => return (read, true),
            }
        }
        if at == stream.len() {
            return (read, false);
        }
        let size = pieces
            .get(piece % pieces.len().max(1))
            .copied()
            .unwrap_or(usize::MAX)
            .max(1);
        piece += 1;
        let end = stream.len().min(at.saturating_add(size));
        buf.extend_from_slice(&stream[at..end]);
        at = end;
    }
}

/// Reads every request in `stream`, fed in pieces.
fn parse_in_pieces(stream: &[u8], pieces: &[usize], limits: Limits) -> Parsed {
    let mut reader = RequestReader::new(limits);
    in_pieces(stream, pieces, |buf| {
        let before = buf.len();
        let Some(request) = reader.next(buf).map_err(|_| ())? else {
            return Ok(None);
        };
        assert!(buf.len() < before, "a request was read without consuming bytes");
        if let Some(first) = request.args.first() {
            let _ = lookup(first);
        }
        Ok(Some(request.args.iter().map(|a| a.to_vec()).collect()))
    })
}

fn parse_all(stream: &[u8]) -> Parsed {
    parse_in_pieces(stream, &[], Limits::default())
}

/// The lengths of the complete replies in `stream`, fed in pieces, and
/// whether it ended in a protocol error.
fn scan_replies_in_pieces(stream: &[u8], pieces: &[usize]) -> (Vec<usize>, bool) {
    let mut reader = ReplyReader::default();
    in_pieces(stream, pieces, |buf| {
        let Some(reply) = reader.next(buf).map_err(|_| ())? else {
            return Ok(None);
        };
        assert!(!reply.raw.is_empty());
        let _ = (reply.elements(), reply.integer(), reply.is_error());
        Ok(Some(reply.raw.len()))
    })
}

fn requests() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    prop::collection::vec(
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..6),
        1..20,
    )
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(stream in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_all(&stream);
        scan_replies_in_pieces(&stream, &[]);
    }

    #[test]
    fn resp_looking_garbage_never_panics(parts in prop::collection::vec(
        prop_oneof![
            Just(b"*".to_vec()), Just(b"$".to_vec()), Just(b":".to_vec()), Just(b"\r\n".to_vec()),
            Just(b"-1".to_vec()), Just(b"3".to_vec()), Just(b"99999999999999999999".to_vec()),
            Just(b"%".to_vec()), Just(b"|".to_vec()), Just(b"~".to_vec()), Just(b">".to_vec()),
            Just(b"GET".to_vec()), Just(b"\"".to_vec()), prop::collection::vec(any::<u8>(), 0..8),
        ],
        0..40,
    ), pieces in prop::collection::vec(1usize..16, 1..8)) {
        let stream = parts.concat();
        prop_assert_eq!(parse_in_pieces(&stream, &pieces, Limits::default()), parse_all(&stream));
        prop_assert_eq!(scan_replies_in_pieces(&stream, &pieces), scan_replies_in_pieces(&stream, &[]));
    }

    #[test]
    fn encoded_requests_read_back_in_any_pieces(
        requests in requests(),
        pieces in prop::collection::vec(1usize..64, 1..8),
    ) {
        let mut stream = BytesMut::new();
        for request in &requests {
            encode_request(request, &mut stream);
        }
        prop_assert_eq!(parse_all(&stream), (requests.clone(), false));
        prop_assert_eq!(parse_in_pieces(&stream, &pieces, Limits::default()), (requests, false));
    }
}

/// The reply scanner finds the same frame boundaries as the redis-protocol
/// crate's decoder (an implementation we did not write), on replies shallow
/// enough for its recursion.
#[test]
fn reply_boundaries_agree_with_redis_protocol() {
    use redis_protocol::resp3::decode::complete::decode;
    let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    for _ in 0..20_000 {
        let mut stream = Vec::new();
        let count = rng.random_range(1..6);
        for _ in 0..count {
            reply_value(&mut rng, &mut stream, 3, false);
        }
        let mut at = 0;
        let mut theirs = Vec::new();
        while at < stream.len() {
            let (_, len) = decode(&stream[at..])
                .unwrap_or_else(|e| panic!("redis-protocol: {e:?} on {:?}", String::from_utf8_lossy(&stream)))
                .expect("complete");
            theirs.push(len);
            at += len;
        }
        let pieces = [rng.random_range(1..32)];
        assert_eq!(
            scan_replies_in_pieces(&stream, &pieces),
            (theirs, false),
            "{:?}",
            String::from_utf8_lossy(&stream)
        );
    }
}

/// A valid RESP3 value, nested at most `depth` more levels; with RESP2's
/// nulls (`$-1`, `*-1`) among them when `resp2_nulls`.
fn reply_value(rng: &mut TestRng, out: &mut Vec<u8>, depth: u32, resp2_nulls: bool) {
    let kinds = if depth == 0 { 8 } else { 11 } + if resp2_nulls { 2 } else { 0 };
    let mut kind = rng.random_range(0..kinds);
    if depth == 0 && kind >= 8 {
        kind += 3;
    }
    let word = |rng: &mut TestRng| -> Vec<u8> {
        (0..rng.random_range(0..6))
            .map(|_| rng.random_range(b'a'..=b'z'))
            .collect()
    };
    match kind {
        0 => out.extend_from_slice(&[b"+", &word(rng)[..], b"\r\n"].concat()),
        1 => out.extend_from_slice(&[b"-ERR ", &word(rng)[..], b"\r\n"].concat()),
        2 => out.extend_from_slice(format!(":{}\r\n", rng.random::<i64>()).as_bytes()),
        3 => {
            let data: Vec<u8> = (0..rng.random_range(0..20)).map(|_| rng.random()).collect();
            out.extend_from_slice(format!("${}\r\n", data.len()).as_bytes());
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\r\n");
        }
        4 => out.extend_from_slice(b"_\r\n"),
        5 => out.extend_from_slice(b",3.25\r\n"),
        6 => out.extend_from_slice(b"#f\r\n"),
        7 => out.extend_from_slice(b"=8\r\ntxt:abcd\r\n"),
        8..=10 => {
            let n = rng.random_range(0..4);
            let (mark, per) = [(b'*', 1), (b'~', 1), (b'%', 2)][kind - 8];
            out.extend_from_slice(format!("{}{n}\r\n", mark as char).as_bytes());
            for i in 0..n * per {
                // Set members and map keys are strings and numbers, as
                // redis-protocol requires (it hashes them).
                if mark != b'*' && (per == 1 || i % 2 == 0) {
                    let key: u64 = rng.random_range(0..1000);
                    out.extend_from_slice(format!("${}\r\n{key}\r\n", key.to_string().len()).as_bytes());
                } else {
                    reply_value(rng, out, depth - 1, resp2_nulls);
                }
            }
        }
        11 => out.extend_from_slice(b"*-1\r\n"),
        _ => out.extend_from_slice(b"$-1\r\n"),
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus")
}

/// The corpus's inputs, by name.
fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(corpus_dir())
        .expect("tests/fuzz-corpus")
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 10, "the corpus is missing");
    inputs
}

/// What the proxy does with bytes from a client (requests within small
/// limits, each command looked up) and from a server (replies scanned),
/// fed in pieces.
fn serve_bytes(stream: &[u8], pieces: &[usize]) {
    let limits = Limits {
        max_args: 16,
        max_bytes: 4096,
    };
    parse_in_pieces(stream, pieces, limits);
    scan_replies_in_pieces(stream, pieces);
}

/// One random edit of `input`: flip, insert, delete, duplicate or cut.
fn mutate(input: &mut Vec<u8>, rng: &mut TestRng) {
    const INTERESTING: [&[u8]; 12] = [
        b"\r\n",
        b"*",
        b"$",
        b"-1",
        b"0",
        b"4294967296",
        b"\n",
        b"\"",
        b"*1\r\n",
        b"%1\r\n",
        b"|1\r\n",
        b"9223372036854775807",
    ];
    let at = if input.is_empty() {
        0
    } else {
        rng.random_range(0..input.len())
    };
    match rng.random_range(0..7) {
        0 if !input.is_empty() => input[at] ^= 1 << rng.random_range(0..8),
        1 => input.insert(at, rng.random()),
        2 if !input.is_empty() => {
            input.remove(at);
        }
        3 => {
            let token = INTERESTING[rng.random_range(0..INTERESTING.len())];
            input.splice(at..at, token.iter().copied());
        }
        4 if !input.is_empty() => {
            let end = rng.random_range(at..input.len()) + 1;
            let copy = input[at..end].to_vec();
            input.splice(at..at, copy);
        }
        5 => {
            // A stretch repeated many times: nesting and huge pipelines.
            let end = (at + rng.random_range(1..8)).min(input.len());
            let copy = input[at..end].repeat(rng.random_range(2..20_000));
            input.splice(at..at, copy);
        }
        _ => input.truncate(at),
    }
}

/// One structured attack, as a hostile client or server would send it.
fn attack(rng: &mut TestRng) -> Vec<u8> {
    let huge = |rng: &mut TestRng| -> i64 {
        [
            -1,
            0,
            1,
            1 << 20,
            1 << 31,
            i64::MAX,
            rng.random_range(0..1_000_000),
        ][rng.random_range(0..7)]
    };
    let marks = [b'*', b'$', b'%', b'~', b'>', b'|', b'='];
    let mut out = Vec::new();
    for _ in 0..rng.random_range(1..4) {
        match rng.random_range(0..6) {
            // Deep nesting, of one kind or mixed, closed or left open.
            0 => {
                let depth = [1, 100, 10_000, 300_000][rng.random_range(0..4)];
                for _ in 0..depth {
                    let mark = marks[rng.random_range(0..3)];
                    out.push(if rng.random_range(0..4) == 0 { mark } else { b'*' });
                    out.extend_from_slice(b"1\r\n");
                }
                if rng.random() {
                    out.extend_from_slice(b"$1\r\nx\r\n");
                }
            }
            // A count or length that is huge or negative.
            1 => out.extend_from_slice(
                format!(
                    "{}{}\r\n",
                    marks[rng.random_range(0..marks.len())] as char,
                    huge(rng)
                )
                .as_bytes(),
            ),
            // A length that lies about its data.
            2 => {
                let data = b"hello world".repeat(rng.random_range(0..4));
                let told = data.len() as i64 + rng.random_range(-3..4);
                out.extend_from_slice(format!("*2\r\n$3\r\nGET\r\n${told}\r\n").as_bytes());
                out.extend_from_slice(&data);
                out.extend_from_slice(b"\r\n");
            }
            // A valid pipeline, to be cut anywhere by the pieces.
            3 => {
                for i in 0..rng.random_range(1..50) {
                    out.extend_from_slice(
                        format!("*3\r\n$3\r\nSET\r\n$2\r\nk{}\r\n$1\r\nv\r\n", i % 10).as_bytes(),
                    );
                }
            }
            // Inline lines with quotes, balanced or not, and long ones.
            4 => {
                let quotes: [&[u8]; 4] = [b"SET \"a\\x4", b"GET 'it\\'s'", b"ECHO \"\"x", b"PING"];
                out.extend_from_slice(quotes[rng.random_range(0..4)]);
                out.extend(std::iter::repeat_n(b'a', [0, 10, 70_000][rng.random_range(0..3)]));
                if rng.random() {
                    out.extend_from_slice(b"\r\n");
                }
            }
            // RESP3 replies with attributes and maps.
            _ => reply_value(rng, &mut out, 4, true),
        }
    }
    out
}

#[test]
fn fuzz_for_a_bounded_time() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let corpus = corpus();
    for (name, input) in &corpus {
        std::panic::catch_unwind(|| serve_bytes(input, &[7])).unwrap_or_else(|_| panic!("{name} panics"));
    }
    let seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut rng = TestRng::from_seed(
        RngAlgorithm::ChaCha,
        &[seed.to_le_bytes(), [0; 8], [0; 8], [0; 8]].concat(),
    );
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < until {
        for _ in 0..100 {
            let input = if rng.random() {
                let (_, seed_input) = &corpus[rng.random_range(0..corpus.len())];
                let mut input = seed_input.clone();
                for _ in 0..rng.random_range(1..8) {
                    mutate(&mut input, &mut rng);
                }
                input
            } else {
                attack(&mut rng)
            };
            let pieces: Vec<usize> = (0..rng.random_range(1..4))
                .map(|_| [1, 3, 17, 1500, 65536][rng.random_range(0..5)])
                .collect();
            if std::panic::catch_unwind(|| serve_bytes(&input, &pieces)).is_err() {
                let crash = corpus_dir().join(format!("crash-{runs}-{seed}.resp"));
                std::fs::write(&crash, &input).unwrap();
                panic!("the parser panicked; the input is in {}", crash.display());
            }
            runs += 1;
        }
    }
    eprintln!("fuzzed {runs} inputs in {seconds} s (seed {seed})");
}
