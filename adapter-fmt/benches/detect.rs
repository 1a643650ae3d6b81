//! Detection speed per format family, on the corpus's lines of that family,
//! and the whole line-to-NDJSON path on the mixed corpus.
//!
//! Run: `cargo bench -p adapter-fmt --bench detect`.

use std::collections::BTreeMap;

use adapter_fmt::detect::{detect, Context, DetectConfig};
use adapter_fmt::encode::{Encoder, OutputFormat, TimeStyle};
use adapter_fmt::evidence::Evidence;
use adapter_fmt::pipeline::Pipeline;
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CORPUS: &str = include_str!("../tests/corpus/lines.tsv");

/// The corpus's lines, grouped by expected format.
fn lines_by_format() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for row in CORPUS.lines().filter(|l| !l.starts_with('#')) {
        let mut columns = row.splitn(3, '\t');
        let (_, format, line) = (
            columns.next().unwrap(),
            columns.next().unwrap(),
            columns.next().unwrap(),
        );
        groups.entry(format).or_default().push(line);
    }
    groups
}

fn per_family(c: &mut Criterion) {
    let now: DateTime<Utc> = "2026-11-26T20:00:00Z".parse().unwrap();
    let config = DetectConfig::default();
    let mut group = c.benchmark_group("detect");
    for (format, lines) in lines_by_format() {
        group.throughput(Throughput::Elements(lines.len() as u64));
        group.bench_function(format, |b| {
            let mut evidence = Evidence::default();
            b.iter(|| {
                let mut ctx = Context {
                    config: &config,
                    evidence: &mut evidence,
                    now,
                };
                lines
                    .iter()
                    .filter(|line| detect(line.as_bytes(), &mut ctx).is_some())
                    .count()
            })
        });
    }
    group.finish();
}

fn line_to_ndjson(c: &mut Criterion) {
    let lines: Vec<&str> = lines_by_format().into_values().flatten().collect();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(lines.len() as u64));
    let mut out = Vec::with_capacity(1 << 20);
    group.bench_function("mixed_corpus_to_ndjson", |b| {
        b.iter(|| {
            out.clear();
            let encoder = Encoder::new(OutputFormat::Json, TimeStyle::default(), false);
            let mut pipeline = Pipeline::new(DetectConfig::default(), encoder, false, &mut out);
            for line in &lines {
                pipeline.line("bench", line.as_bytes()).unwrap();
            }
            pipeline.flush().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, per_family, line_to_ndjson);
criterion_main!(benches);
