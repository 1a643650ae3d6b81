#!/usr/bin/env python3
"""adapter-fmt end to end: a log file to NDJSON on stdout, lines per second.

Builds the release binary, writes two files from the test corpus (every line
of the corpus in turn, and RFC 3339 lines only), and times
`adapter-fmt --no-follow FILE` writing into a pipe, best and median of
several runs. One thread does the reading, detecting and writing, so the
figure is per core. Then runs the comparison with the dateparser crate.

Run from the repository root:  python3 bench/adapter_fmt.py [--lines 2000000]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "adapter-fmt")
CORPUS = os.path.join(ROOT, "adapter-fmt", "tests", "corpus", "lines.tsv")
# The real-world corpus (adapter-fmt/tests/realworld/README.md), when it has
# been made on this machine.
REALWORLD = os.environ.get("REALWORLD_CORPUS", os.path.join(ROOT, "target", "realworld-corpus"))


def corpus_lines():
    with open(CORPUS, encoding="utf-8") as f:
        rows = [line.rstrip("\n").split("\t", 2) for line in f if not line.startswith("#")]
    return [(fmt, line) for _, fmt, line in rows]


def write_file(path, lines, count):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(count):
            f.write(lines[i % len(lines)])
            f.write("\n")


def lines_per_second(path, count, runs):
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        producer = subprocess.Popen([BINARY, "--no-follow", path], stdout=subprocess.PIPE)
        consumer = subprocess.run(["wc", "-l"], stdin=producer.stdout, capture_output=True, check=True)
        producer.stdout.close()
        if producer.wait() != 0:
            sys.exit("adapter-fmt failed")
        elapsed = time.perf_counter() - start
        records = int(consumer.stdout.split()[0])
        if records != count:
            sys.exit(f"{records} records for {count} lines")
        rates.append(count / elapsed)
    return max(rates), statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "adapter-fmt"], cwd=ROOT, check=True)

    corpus = corpus_lines()
    mixed = [line for _, line in corpus if line]
    rfc3339 = [line for fmt, line in corpus if fmt == "rfc3339"]
    inputs = [("mixed corpus (22 formats + none)", mixed), ("RFC 3339 lines only", rfc3339)]
    loghub = os.path.join(REALWORLD, "loghub")
    if os.path.isdir(loghub):
        real = []
        for name in sorted(os.listdir(loghub)):
            if name.endswith(".log"):
                with open(os.path.join(loghub, name), encoding="utf-8", errors="replace") as f:
                    real.extend(line.rstrip("\n") for line in f)
        inputs.append(("loghub's 16 systems, one after another", real))
    else:
        print(f"(no real-world corpus in {REALWORLD}: see adapter-fmt/tests/realworld/README.md)")
    print(f"## File to NDJSON on stdout (into a pipe), {args.lines} lines, one thread")
    print(f"{'input':40} {'best lines/s':>13} {'median':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, lines in inputs:
            path = os.path.join(tmp, "input.log")
            write_file(path, lines, args.lines)
            best, median = lines_per_second(path, args.lines, args.runs)
            print(f"{name:40} {best:13.0f} {median:11.0f}")

    print("\n## Detection against the dateparser crate (cargo run --release --example vs_dateparser)")
    sys.stdout.flush()
    subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "adapter-fmt", "--example", "vs_dateparser"], cwd=ROOT, check=True
    )


if __name__ == "__main__":
    main()
