//! Property tests and a fuzzer of the request parser: whatever bytes a
//! client sends, the parser never panics, never loops, and reads back
//! exactly what a real client encoded. The test command runs them (256
//! cases each by default; PROPTEST_CASES=100000 for a longer run); failing
//! inputs are kept by proptest in tests/parser_fuzz.proptest-regressions,
//! to be committed.
//!
//! The fuzzer mutates the inputs of the corpus in tests/fuzz-corpus (real
//! pipelines, inline commands, and the malformed streams that matter) for a
//! bounded time: FUZZ_SECONDS, 10 by default. An input that panics is
//! written into the corpus as `crash-*.resp`, to be fixed and committed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ambassador_proxy::command::lookup;
use ambassador_proxy::protocol::{encode_request, next_request, next_request_within, Incoming, Limits};
use bytes::BytesMut;
use proptest::prelude::*;
use proptest::test_runner::{RngAlgorithm, TestRng};

/// Parses everything `stream` holds; returns the requests and whether the
/// stream turned out unparsable.
fn parse_all(stream: &[u8]) -> (Vec<Vec<Vec<u8>>>, bool) {
    let mut buf = BytesMut::from(stream);
    let mut requests = Vec::new();
    loop {
        let before = buf.len();
        match next_request(&mut buf) {
            Ok(Some(Incoming::Request(args, _))) => requests.push(args.iter().map(|a| a.to_vec()).collect()),
            Ok(Some(Incoming::Invalid(_))) => {}
            Ok(None) => return (requests, false),
            Err(_) => return (requests, true),
        }
        assert!(buf.len() < before, "the parser made no progress");
    }
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
    }

    #[test]
    fn resp_looking_garbage_never_panics(parts in prop::collection::vec(
        prop_oneof![
            Just(b"*".to_vec()), Just(b"$".to_vec()), Just(b":".to_vec()), Just(b"\r\n".to_vec()),
            Just(b"-1".to_vec()), Just(b"3".to_vec()), Just(b"99999999999999999999".to_vec()),
            Just(b"GET".to_vec()), prop::collection::vec(any::<u8>(), 0..8),
        ],
        0..40,
    )) {
        parse_all(&parts.concat());
    }

    #[test]
    fn encoded_requests_read_back_in_any_split(requests in requests(), split in 0usize..4096) {
        let mut stream = BytesMut::new();
        for request in &requests {
            encode_request(request, &mut stream);
        }
        let stream = stream.freeze();
        // Whole, and cut at an arbitrary point as TCP may deliver it.
        prop_assert_eq!(parse_all(&stream), (requests.clone(), false));
        let cut = split % (stream.len() + 1);
        let mut buf = BytesMut::from(&stream[..cut]);
        let mut got = Vec::new();
        while let Ok(Some(Incoming::Request(args, _))) = next_request(&mut buf) {
            got.push(args.iter().map(|a| a.to_vec()).collect::<Vec<_>>());
        }
        buf.extend_from_slice(&stream[cut..]);
        while let Ok(Some(Incoming::Request(args, _))) = next_request(&mut buf) {
            got.push(args.iter().map(|a| a.to_vec()).collect::<Vec<_>>());
        }
        prop_assert_eq!(got, requests);
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

/// What the proxy does with bytes from a client: requests parsed within
/// small limits, each command looked up.
fn serve_bytes(stream: &[u8]) {
    let limits = Limits {
        max_args: 16,
        max_bytes: 4096,
    };
    let mut buf = bytes::BytesMut::from(stream);
    loop {
        let before = buf.len();
        match next_request_within(&mut buf, &limits) {
            Ok(Some(Incoming::Request(args, _))) => {
                let _ = lookup(&args[0]);
            }
            Ok(Some(Incoming::Invalid(_))) => {}
            Ok(None) | Err(_) => return,
        }
        assert!(buf.len() < before, "the parser made no progress");
    }
}

/// One random edit of `input`: flip, insert, delete, duplicate or cut.
fn mutate(input: &mut Vec<u8>, rng: &mut TestRng) {
    const INTERESTING: [&[u8]; 8] = [b"\r\n", b"*", b"$", b"-1", b"0", b"4294967296", b"\n", b"\""];
    let at = if input.is_empty() {
        0
    } else {
        rng.random_range(0..input.len())
    };
    match rng.random_range(0..6) {
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
        _ => input.truncate(at),
    }
}

#[test]
fn fuzz_the_corpus_for_a_bounded_time() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let corpus = corpus();
    for (name, input) in &corpus {
        std::panic::catch_unwind(|| serve_bytes(input)).unwrap_or_else(|_| panic!("{name} panics"));
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
        for _ in 0..1000 {
            let (_, seed_input) = &corpus[rng.random_range(0..corpus.len())];
            let mut input = seed_input.clone();
            for _ in 0..rng.random_range(1..8) {
                mutate(&mut input, &mut rng);
            }
            if std::panic::catch_unwind(|| serve_bytes(&input)).is_err() {
                let crash = corpus_dir().join(format!("crash-{runs}-{seed}.resp"));
                std::fs::write(&crash, &input).unwrap();
                panic!("the parser panicked; the input is in {}", crash.display());
            }
            runs += 1;
        }
    }
    eprintln!("fuzzed {runs} inputs in {seconds} s (seed {seed})");
}
