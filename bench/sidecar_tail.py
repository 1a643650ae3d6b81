#!/usr/bin/env python3
"""sidecar-tail against its peers, in one run on one machine.

Measures, for sidecar-tail, GNU tail and busybox tail (the seed's sidecar),
and cat where it applies:
  * throughput of reading a 1 GiB log to a pipe (`--no-follow` / `tail -n +1` / `cat`);
  * append-to-stdout latency in follow mode (p50, p99);
  * RSS while following 100 files;
  * CPU used while idle.
and prints each figure with its ratio to sidecar-tail's.

Run from the repository root:  python3 bench/sidecar_tail.py [--size-mib 1024]
Needs: cargo, GNU coreutils; busybox is installed with apt-get when missing.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIDECAR = os.path.join(ROOT, "target", "release", "sidecar-tail")
TICKS = os.sysconf("SC_CLK_TCK")


def build():
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "sidecar-tail"], cwd=ROOT, check=True)


def ensure_busybox():
    if shutil.which("busybox"):
        return "busybox"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "busybox"], check=True, env=env)
    return shutil.which("busybox")


def write_access_log(path, size):
    line_no = 0
    block = []
    written = 0
    with open(path, "wb") as f:
        while written < size:
            block.clear()
            for _ in range(10000):
                block.append(
                    '10.1.%d.%d - - [26/Nov/2026:18:03:%02d +0000] "GET /api/v1/items/%d HTTP/1.1" 200 %d "-" "curl/8.5.0"\n'
                    % (line_no % 256, line_no // 256 % 256, line_no % 60, line_no, 512 + line_no % 4096)
                )
                line_no += 1
            data = "".join(block).encode()
            f.write(data)
            written += len(data)
    return written, line_no


def throughput(log, size, busybox, runs):
    """MiB/s (best, median) and producer CPU seconds (median) of each command
    writing the whole log into a pipe. The commands take turns, run after
    run, so that a noisy neighbour on the machine hits them all alike."""
    commands = {
        "sidecar-tail --no-follow": [SIDECAR, "--no-follow", log],
        "GNU tail -n +1": ["tail", "-n", "+1", log],
        "busybox tail -n +1": [busybox, "tail", "-n", "+1", log],
        "cat": ["cat", log],
    }
    # Warm the page cache so that every command reads from memory.
    subprocess.run(["cat", log], stdout=subprocess.DEVNULL, check=True)
    speeds = {name: [] for name in commands}
    cpu = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            producer = subprocess.Popen(argv, stdout=subprocess.PIPE)
            consumer = subprocess.run(["wc", "-c"], stdin=producer.stdout, capture_output=True, check=True)
            producer.stdout.close()
            _, _, usage = os.wait4(producer.pid, 0)
            elapsed = time.perf_counter() - start
            got = int(consumer.stdout.split()[0])
            if got != size:
                sys.exit(f"{name} wrote {got} bytes, expected {size}")
            speeds[name].append(size / elapsed / 2**20)
            cpu[name].append(usage.ru_utime + usage.ru_stime)
    return {
        name: (max(speeds[name]), statistics.median(speeds[name]), statistics.median(cpu[name]))
        for name in commands
    }


def follow_latency(argv, log, appends, label):
    """Appends `appends` lines, one every 2 ms, and times each until it shows on stdout."""
    open(log, "wb").close()
    proc = subprocess.Popen(argv + [log], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    arrived = {}
    warmed_up = threading.Event()
    done = threading.Event()

    def read():
        buf = b""
        while True:
            chunk = proc.stdout.read(65536)
            if not chunk:
                break
            now = time.perf_counter_ns()
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for line in lines:
                if line == b"warm-up":
                    warmed_up.set()
                elif line.startswith(b"seq="):
                    arrived[int(line[4:].split()[0])] = now
            if len(arrived) >= appends:
                done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with open(log, "ab", buffering=0) as f:
        # Start-up is not measured: wait for a first line to come through.
        f.write(b"warm-up\n")
        if not warmed_up.wait(timeout=10):
            sys.exit(f"{label}: the warm-up line never arrived")
        sent = {}
        for seq in range(appends):
            sent[seq] = time.perf_counter_ns()
            f.write(b"seq=%d payload for latency measurement\n" % seq)
            time.sleep(0.002)
    done.wait(timeout=30)
    proc.terminate()
    proc.wait()
    latencies = sorted((arrived[s] - sent[s]) / 1e6 for s in sent if s in arrived)
    if len(latencies) < appends:
        print(f"  {label}: only {len(latencies)} of {appends} lines arrived", file=sys.stderr)
    return percentile(latencies, 50), percentile(latencies, 99)


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def many_files(argv, directory, files, idle_seconds):
    """Follows `files` files; returns (peak RSS KiB, CPU seconds used while idle)."""
    paths = [os.path.join(directory, f"app-{i}.log") for i in range(files)]
    for i, p in enumerate(paths):
        with open(p, "w") as f:
            f.writelines(f"file {i} line {n}\n" for n in range(100))
    proc = subprocess.Popen(argv + paths, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    expected = files * 101
    seen = 0

    def drain():
        nonlocal seen
        for _ in proc.stdout:
            seen += 1

    threading.Thread(target=drain, daemon=True).start()
    for i, p in enumerate(paths):
        with open(p, "a") as f:
            f.write(f"file {i} appended\n")
    deadline = time.time() + 30
    while seen < expected and time.time() < deadline:
        time.sleep(0.05)
    before = cpu_seconds(proc.pid)
    time.sleep(idle_seconds)
    idle_cpu = cpu_seconds(proc.pid) - before
    peak = status_kib(proc.pid, "VmHWM")
    proc.terminate()
    proc.wait()
    return peak, idle_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mib", type=int, default=1024, help="size of the throughput log (default 1024)")
    parser.add_argument("--runs", type=int, default=9, help="runs per throughput command (default 5)")
    parser.add_argument("--appends", type=int, default=2000, help="lines appended for the latency test")
    parser.add_argument("--idle-seconds", type=float, default=10, help="idle time measured for CPU use")
    args = parser.parse_args()

    build()
    busybox = ensure_busybox()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR", "/tmp")) as tmp:
        log = os.path.join(tmp, "access.log")
        size, lines = write_access_log(log, args.size_mib * 2**20)
        print(f"## Throughput: {size / 2**20:.0f} MiB, {lines} lines, page cache warm, output into a pipe (wc -c)")
        print(
            f"{'command':28} {'best MiB/s':>11} {'median':>9} {'ours/this (median)':>19}"
            f" {'CPU s':>7} {'this/ours CPU':>14}"
        )
        results = throughput(log, size, busybox, args.runs)
        _, ours, our_cpu = results["sidecar-tail --no-follow"]
        for name, (best, median, cpu) in results.items():
            print(f"{name:28} {best:11.0f} {median:9.0f} {ours / median:18.2f}x {cpu:7.2f} {cpu / our_cpu:13.2f}x")
        os.remove(log)

        print(f"\n## Follow latency: {args.appends} appends, one every 2 ms, append to line on stdout")
        print(f"{'command':28} {'p50 ms':>8} {'p99 ms':>8}")
        latency_log = os.path.join(tmp, "latency.log")
        for label, argv in [
            ("sidecar-tail (inotify)", [SIDECAR]),
            ("sidecar-tail --poll 250ms", [SIDECAR, "--poll", "250ms"]),
            ("GNU tail -F", ["tail", "-n", "+1", "-F"]),
            ("busybox tail -F", [busybox, "tail", "-n", "+1", "-F"]),
        ]:
            p50, p99 = follow_latency(argv, latency_log, args.appends, label)
            print(f"{label:28} {p50:8.2f} {p99:8.2f}")

        print(f"\n## Following 100 files: peak RSS, and CPU over {args.idle_seconds:.0f} s idle")
        print(f"{'command':28} {'RSS MiB':>8} {'idle CPU s':>11}")
        for label, argv in [
            ("sidecar-tail", [SIDECAR]),
            ("GNU tail -F", ["tail", "-n", "+1", "-F"]),
            ("busybox tail -F", [busybox, "tail", "-n", "+1", "-F"]),
        ]:
            directory = tempfile.mkdtemp(dir=tmp)
            rss, cpu = many_files(argv, directory, 100, args.idle_seconds)
            print(f"{label:28} {rss / 1024:8.1f} {cpu:11.2f}")


if __name__ == "__main__":
    main()
