#!/usr/bin/env python3
"""Before and after a change: adapter-fmt and sidecar-tail built from an
older revision and from the working tree, the same way (cargo build
--release), taking turns on the same input in one run, so that a machine
that is slower today than yesterday slows both alike.

    python3 bench/before_after.py 7128fb0

The older revision is checked out in a temporary git worktree with a target
directory of its own under target/before-after/ (kept, so a second run does
not build it again). Prints medians: adapter-fmt's lines/s on 2 000 000
mixed corpus lines to NDJSON, sidecar-tail's MiB/s and CPU seconds copying
a 495 MiB file, both into a pipe read by `wc -c`.
"""

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import adapter_fmt  # noqa: E402  (the corpus and how its files are written)

BINARIES = ["adapter-fmt", "sidecar-tail"]


def build_revision(rev):
    """The release binaries of `rev`, built in a worktree of their own."""
    base = os.path.join(ROOT, "target", "before-after")
    tree = os.path.join(base, f"tree-{rev}")
    if not os.path.isdir(tree):
        os.makedirs(base, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", tree, rev], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    target = os.path.join(base, f"target-{rev}")
    packages = [arg for b in BINARIES for arg in ("-p", b)]
    subprocess.run(["cargo", "build", "--release", "-q", *packages], cwd=tree, check=True,
                   env=dict(os.environ, CARGO_TARGET_DIR=target))
    return {b: os.path.join(target, "release", b) for b in BINARIES}


def build_now():
    packages = [arg for b in BINARIES for arg in ("-p", b)]
    subprocess.run(["cargo", "build", "--release", "-q", *packages], cwd=ROOT, check=True)
    return {b: os.path.join(ROOT, "target", "release", b) for b in BINARIES}


def into_pipe(argv):
    """Wall and CPU seconds (with `wc -c`) of `argv` writing into a pipe."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    producer = subprocess.Popen(argv, stdout=subprocess.PIPE)
    subprocess.run(["wc", "-c"], stdin=producer.stdout, stdout=subprocess.DEVNULL, check=True)
    producer.stdout.close()
    if producer.wait() != 0:
        sys.exit(f"FAILED: {' '.join(argv)}")
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu


def take_turns(builds, argv_of, runs):
    """Each build's (wall, cpu) samples, the builds in a random order each round."""
    samples = {name: [] for name in builds}
    for _ in range(runs):
        for name in random.sample(list(builds), len(builds)):
            samples[name].append(into_pipe(argv_of(builds[name])))
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revision", help="the older revision, e.g. 7128fb0")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    builds = {args.revision: build_revision(args.revision), "now": build_now()}

    with tempfile.TemporaryDirectory() as tmp:
        lines = 2_000_000
        mixed = os.path.join(tmp, "mixed.log")
        adapter_fmt.write_file(mixed, [line for _, line in adapter_fmt.corpus_lines() if line], lines)
        adapter = take_turns({k: v["adapter-fmt"] for k, v in builds.items()},
                             lambda binary: [binary, "--no-follow", mixed], args.runs)
        big = os.path.join(tmp, "big.log")
        with open(big, "w") as f:
            f.write("2026-11-26T18:00:00Z INFO some service did a thing with id=12345 and took 3ms\n" * 6_000_000)
        mib = os.path.getsize(big) / 2**20
        tail = take_turns({k: v["sidecar-tail"] for k, v in builds.items()},
                          lambda binary: [binary, "--no-follow", big], args.runs)

    print(f"## Before ({args.revision}) and now, taking turns, medians of {args.runs}")
    print(f"{'build':12} {'adapter-fmt lines/s':>20} {'sidecar-tail MiB/s':>19} {'sidecar-tail CPU s':>19}")
    for name in builds:
        adapter_wall = statistics.median(w for w, _ in adapter[name])
        tail_wall = statistics.median(w for w, _ in tail[name])
        tail_cpu = statistics.median(c for _, c in tail[name])
        print(f"{name:12} {lines / adapter_wall:20.0f} {mib / tail_wall:19.0f} {tail_cpu:19.3f}")


if __name__ == "__main__":
    main()
