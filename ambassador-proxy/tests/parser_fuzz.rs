//! Property tests of the request parser: whatever bytes a client sends, the
//! parser never panics, never loops, and reads back exactly what a real
//! client encoded. The test command runs them (256 cases each by default;
//! PROPTEST_CASES=100000 for a longer run); failing inputs are kept by
//! proptest in tests/parser_fuzz.proptest-regressions, to be committed.

use ambassador_proxy::protocol::{encode_request, next_request, Incoming};
use bytes::BytesMut;
use proptest::prelude::*;

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
