//! The proxy's per-request work: hashing a key, finding its server on the
//! ketama ring, parsing requests.
//!
//! Run: `cargo bench -p ambassador-proxy --bench hot_path`.

use ambassador_proxy::distribution::Distribution;
use ambassador_proxy::hash::HashFunction;
use ambassador_proxy::placement::{sort_servers, Placement, ServerSpec};
use ambassador_proxy::protocol::{encode_request, ReplyReader, RequestReader};
use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn keys() -> Vec<Vec<u8>> {
    (0..1000)
        .map(|i| format!("user:{i}:session:{}", i * 7919).into_bytes())
        .collect()
}

fn hashing(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("hash");
    group.throughput(Throughput::Elements(keys.len() as u64));
    for hash in HashFunction::ALL {
        group.bench_function(hash.name(), |b| {
            b.iter(|| keys.iter().map(|k| hash.hash(k)).fold(0u32, u32::wrapping_add))
        });
    }
    group.finish();
}

fn placement(c: &mut Criterion) {
    let keys = keys();
    let mut group = c.benchmark_group("placement");
    group.throughput(Throughput::Elements(keys.len() as u64));
    for servers in [2, 25] {
        let mut specs: Vec<ServerSpec> = (0..servers)
            .map(|i| ServerSpec {
                host: "10.0.0.1".into(),
                port: 6379 + i,
                weight: 1,
                name: None,
            })
            .collect();
        sort_servers(&mut specs);
        let ketama = Placement::new(&specs, HashFunction::Fnv1a64, None, Distribution::Ketama);
        group.bench_function(format!("ketama_fnv1a_64_{servers}_servers"), |b| {
            b.iter(|| {
                keys.iter()
                    .filter_map(|k| ketama.server_for(k, |_| 0))
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

fn parsing(c: &mut Criterion) {
    let mut stream = BytesMut::new();
    let requests = 1000;
    for i in 0..requests {
        let key = format!("user:{i}");
        encode_request(&[&b"SET"[..], key.as_bytes(), &[b'x'; 64][..]], &mut stream);
    }
    let stream = stream.freeze();
    let mut group = c.benchmark_group("protocol");
    group.throughput(Throughput::Elements(requests));
    group.bench_function("parse_set_requests", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(&stream[..]);
            let mut reader = RequestReader::default();
            let mut count = 0;
            while let Ok(Some(_)) = reader.next(&mut buf) {
                count += 1;
            }
            count
        })
    });
    // Replies as a GET-heavy pipeline gets them: 64-byte values, nulls,
    // and an MGET of ten.
    let mut replies = BytesMut::new();
    for i in 0..requests {
        match i % 3 {
            0 => replies.extend_from_slice(&[&b"$64\r\n"[..], &[b'x'; 64], b"\r\n"].concat()),
            1 => replies.extend_from_slice(b"$-1\r\n"),
            _ => {
                replies.extend_from_slice(b"*10\r\n");
                for _ in 0..10 {
                    replies.extend_from_slice(b"$5\r\nvalue\r\n");
                }
            }
        }
    }
    let replies = replies.freeze();
    group.bench_function("scan_replies", |b| {
        b.iter(|| {
            let mut buf = BytesMut::from(&replies[..]);
            let mut reader = ReplyReader::default();
            let mut count = 0;
            while let Ok(Some(_)) = reader.next(&mut buf) {
                count += 1;
            }
            count
        })
    });
    group.finish();
}

criterion_group!(benches, hashing, placement, parsing);
criterion_main!(benches);
