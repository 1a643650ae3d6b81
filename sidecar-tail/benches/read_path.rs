//! The read → split → write path, in memory and from a real file.
//!
//! Run: `cargo bench -p sidecar-tail --bench read_path`.

use std::io::{self, Write};
use std::path::Path;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use sidecar_tail::lines::{LineSink, LineSplitter};
use sidecar_tail::output::{OutputFormat, OutputSink, Routing};
use sidecar_tail::tailer::READ_CHUNK;
use sidecar_tail::{StartAt, TailConfig, Tailer};

/// nginx access-log lines of realistic length (about 150 bytes).
fn access_log(bytes: usize) -> Vec<u8> {
    let mut log = Vec::with_capacity(bytes + 256);
    let mut n = 0u64;
    while log.len() < bytes {
        writeln!(
            log,
            "10.1.{}.{} - - [26/Nov/2026:18:03:{:02} +0000] \"GET /api/v1/items/{n} HTTP/1.1\" 200 {} \"-\" \"curl/8.5.0\"",
            n % 256,
            (n / 256) % 256,
            n % 60,
            512 + n % 4096
        )
        .unwrap();
        n += 1;
    }
    log
}

fn split_and_write(c: &mut Criterion) {
    let log = access_log(16 << 20);
    let mut group = c.benchmark_group("split_and_write");
    group.throughput(Throughput::Bytes(log.len() as u64));
    // Output goes to memory, so the copy that a write to a pipe costs is counted.
    let mut out = Vec::with_capacity(log.len() * 2);
    for format in [OutputFormat::Raw, OutputFormat::Prefixed, OutputFormat::Json] {
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{format:?}")),
            &log,
            |b, log| {
                b.iter(|| {
                    out.clear();
                    let mut sink = OutputSink::new(format, false, Routing::default(), &mut out, io::sink());
                    let mut splitter = LineSplitter::new(0, 1 << 20, 0);
                    let path = Path::new("/var/log/nginx/access.log");
                    for chunk in log.chunks(READ_CHUNK) {
                        splitter
                            .feed(chunk, &mut |block| sink.write(path, block))
                            .unwrap();
                    }
                    sink.flush().unwrap();
                })
            },
        );
    }
    group.finish();
}

fn tail_file_without_follow(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let log = access_log(64 << 20);
    std::fs::write(&path, &log).unwrap();
    let mut group = c.benchmark_group("tail_file");
    group.throughput(Throughput::Bytes(log.len() as u64));
    group.sample_size(20);
    let mut out = Vec::with_capacity(log.len());
    group.bench_function("raw_no_follow", |b| {
        b.iter(|| {
            let config = TailConfig {
                paths: vec![path.display().to_string()],
                start: StartAt::Line(1),
                follow: false,
                ..TailConfig::default()
            };
            out.clear();
            let mut sink =
                OutputSink::new(OutputFormat::Raw, false, Routing::default(), &mut out, io::sink());
            Tailer::new(config).unwrap().run(&mut sink).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, split_and_write, tail_file_without_follow);
criterion_main!(benches);
