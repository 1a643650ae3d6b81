#!/usr/bin/env python3
"""ambassador-proxy against twemproxy (Debian's nutcracker) and Redis itself,
with redis-benchmark, in one run on one machine.

Starts two redis-servers, nutcracker and ambassador-proxy in front of them
with the same configuration, and runs redis-benchmark against Redis directly,
through nutcracker and through ambassador-proxy, pipelined
(-P 16 -c 50 -t set,get) and unpipelined (-c 50 -t set,get). Prints
requests/s, p99 latency, peak RSS and the ratios to nutcracker.

Run from the repository root:  python3 bench/ambassador_proxy.py [--requests 500000] [--rounds 3] [--mode both]
Needs: cargo, redis-server, redis-tools (redis-benchmark), nutcracker.
"""

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile

from processes import cpu_seconds, free_port, status_mib, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY = os.path.join(ROOT, "target", "release", "ambassador-proxy")










def benchmark(port, requests, pipeline):
    """requests/s and p99 latency (ms) of SET and GET through `port`."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-c", "50", "-n", str(requests),
            "-t", "set,get", "-r", "100000", "--csv"]
    if pipeline > 1:
        argv += ["-P", str(pipeline)]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rows = {}
    for row in csv.reader(io.StringIO(out)):
        if len(row) >= 7 and row[0] in ("SET", "GET"):
            rows[row[0]] = (float(row[1]), float(row[6]))
    if set(rows) != {"SET", "GET"}:
        sys.exit(f"unexpected redis-benchmark output:\n{out}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=500_000, help="requests per test (default 500000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds taking turns; medians reported (default 3)")
    parser.add_argument("--mode", choices=["both", "pipelined", "unpipelined"], default="both")
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ambassador-proxy"], cwd=ROOT, check=True)

    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            redis_ports = []
            for _ in range(2):
                port = free_port()
                p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL)
                procs.append(p)
                wait_for(port, p)
                redis_ports.append(port)

            def config(port):
                servers = "".join(f"   - 127.0.0.1:{p}:1\n" for p in redis_ports)
                return f"pool:\n  listen: 127.0.0.1:{port}\n  redis: true\n  hash: fnv1a_64\n  distribution: ketama\n  servers:\n{servers}"

            nut_port, amb_port = free_port(), free_port()
            with open(os.path.join(tmp, "nut.yml"), "w") as f:
                f.write(config(nut_port))
            with open(os.path.join(tmp, "amb.yml"), "w") as f:
                f.write(config(amb_port))
            nut = subprocess.Popen(["nutcracker", "-c", os.path.join(tmp, "nut.yml"), "-s", str(free_port()),
                                    "-a", "127.0.0.1", "-o", os.path.join(tmp, "nut.log"),
                                    "-p", os.path.join(tmp, "nut.pid")])
            procs.append(nut)
            amb = subprocess.Popen([PROXY, "-c", os.path.join(tmp, "amb.yml"), "-s", str(free_port()),
                                    "-a", "127.0.0.1"])
            procs.append(amb)
            wait_for(nut_port, nut)
            wait_for(amb_port, amb)

            targets = [("redis (direct, one server)", redis_ports[0]), ("nutcracker 0.5.0", nut_port),
                       ("ambassador-proxy", amb_port)]
            modes = [("pipelined -P 16 -c 50", 16, args.requests), ("unpipelined -c 50", 1, args.requests // 4)]
            modes = [m for m in modes if args.mode in ("both", m[0].split()[0])]
            runs, cpu_runs = {}, {}
            pids = {"nutcracker 0.5.0": nut.pid, "ambassador-proxy": amb.pid}
            # Rounds take turns so that a slow moment of the shared machine
            # hits every target alike; medians are reported.
            for _ in range(args.rounds):
                for mode, pipeline, requests in modes:
                    for name, port in targets:
                        before = cpu_seconds(pids[name]) if name in pids else 0
                        runs.setdefault((mode, name), []).append(benchmark(port, requests, pipeline))
                        if name in pids:
                            # CPU per 1000 requests (SET and GET runs together).
                            used = (cpu_seconds(pids[name]) - before) / (2 * requests) * 1e6
                            cpu_runs.setdefault((mode, name), []).append(used)
            results = {key: {cmd: (statistics.median(r[cmd][0] for r in rows),
                                   statistics.median(r[cmd][1] for r in rows)) for cmd in ("SET", "GET")}
                       for key, rows in runs.items()}
            cpu = {key: statistics.median(values) for key, values in cpu_runs.items()}

            print(f"## redis-benchmark, SET and GET, 100000 random keys, 2 redis-servers behind each proxy, "
                  f"median of {args.rounds} rounds")
            print(f"{'mode':24} {'target':28} {'SET req/s':>11} {'p99 ms':>7} {'GET req/s':>11} {'p99 ms':>7}")
            for (mode, name), rows in results.items():
                (set_rps, set_p99), (get_rps, get_p99) = rows["SET"], rows["GET"]
                print(f"{mode:24} {name:28} {set_rps:11.0f} {set_p99:7.2f} {get_rps:11.0f} {get_p99:7.2f}")
            print("\n## ambassador-proxy / nutcracker (CPU: proxy CPU ms per 1000 requests)")
            print(f"{'mode':24} {'SET req/s':>10} {'GET req/s':>10} {'SET p99':>8} {'GET p99':>8} {'CPU ours':>9} {'CPU nut':>8}")
            for mode, _, _ in modes:
                ours, theirs = results[(mode, "ambassador-proxy")], results[(mode, "nutcracker 0.5.0")]
                print(f"{mode:24} {ours['SET'][0] / theirs['SET'][0]:9.2f}x {ours['GET'][0] / theirs['GET'][0]:9.2f}x "
                      f"{ours['SET'][1] / theirs['SET'][1]:7.2f}x {ours['GET'][1] / theirs['GET'][1]:7.2f}x "
                      f"{cpu[(mode, 'ambassador-proxy')]:9.2f} {cpu[(mode, 'nutcracker 0.5.0')]:8.2f}")
            nut_rss, amb_rss = status_mib(nut.pid, "VmHWM"), status_mib(amb.pid, "VmHWM")
            print(f"\n## peak RSS: nutcracker {nut_rss:.1f} MiB, ambassador-proxy {amb_rss:.1f} MiB "
                  f"({amb_rss / nut_rss:.2f}x)")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()


if __name__ == "__main__":
    main()
