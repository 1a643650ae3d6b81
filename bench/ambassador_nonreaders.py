#!/usr/bin/env python3
"""Clients that never read their replies, against ambassador-proxy and
nutcracker in the same run: --clients clients (default 10) each pipeline
--gets GETs (default 256) of one --value-bytes value (default 1 MiB) and
never read a reply, while a canary client on the same server does
SET/GET pairs for --seconds (default 10). Prints, for each proxy, the
peak RSS (VmHWM) and the canary's latency per SET/GET pair (p50, p99,
max), then the ratios ours/nutcracker.

Run from the repository root:  python3 bench/ambassador_nonreaders.py
Needs: cargo (builds target/release/ambassador-proxy), redis-server, nutcracker.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from processes import free_port, status_mib, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY = os.path.join(ROOT, "target", "release", "ambassador-proxy")


def command(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else arg.encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


def read_reply(f):
    line = f.readline()
    if line[:1] == b"$":
        n = int(line[1:-2])
        if n >= 0:
            f.read(n + 2)
    return line


def run_one(name, argv, port, args):
    """Starts the proxy `argv` listening on `port`; returns (peak MiB, canary latencies in ms)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(port, proc)
        value = b"x" * args.value_bytes
        with socket.create_connection(("127.0.0.1", port)) as s:
            f = s.makefile("rb")
            s.sendall(command("SET", "{bench}big", value))
            assert read_reply(f) == b"+OK\r\n"
        non_readers = []
        for _ in range(args.clients):
            s = socket.create_connection(("127.0.0.1", port))
            non_readers.append(s)
            request = command("GET", "{bench}big") * args.gets

            def send(s=s, request=request):
                try:
                    s.sendall(request)
                except OSError:
                    pass

            threading.Thread(target=send, daemon=True).start()
        latencies = []
        with socket.create_connection(("127.0.0.1", port)) as canary:
            f = canary.makefile("rb")
            until = time.time() + args.seconds
            n = 0
            while time.time() < until:
                n += 1
                started = time.perf_counter()
                canary.sendall(command("SET", "{bench}canary", str(n)) + command("GET", "{bench}canary"))
                set_reply = read_reply(f)
                get_reply = read_reply(f)
                latencies.append((time.perf_counter() - started) * 1000)
                if set_reply != b"+OK\r\n" or not get_reply.startswith(b"$"):
                    sys.exit(f"{name}: canary got {set_reply!r} {get_reply!r}")
                time.sleep(0.005)
        peak = status_mib(proc.pid, "VmHWM")
        for s in non_readers:
            s.close()
        return peak, sorted(latencies)
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--gets", type=int, default=256)
    parser.add_argument("--value-bytes", type=int, default=1 << 20)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ambassador-proxy"], cwd=ROOT, check=True)
    redis_port = free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL)
    results = {}
    try:
        wait_for(redis_port, redis)
        with tempfile.TemporaryDirectory() as tmp:
            for name in ("ambassador-proxy", "nutcracker"):
                port = free_port()
                config = os.path.join(tmp, f"{name}.yml")
                with open(config, "w") as f:
                    f.write(f"pool:\n  listen: 127.0.0.1:{port}\n  redis: true\n"
                            f"  servers:\n   - 127.0.0.1:{redis_port}:1\n")
                binary = PROXY if name == "ambassador-proxy" else "nutcracker"
                argv = [binary, "-c", config, "-s", str(free_port()), "-a", "127.0.0.1"]
                if name == "nutcracker":
                    argv += ["-o", os.path.join(tmp, "nutcracker.log")]
                peak, latencies = run_one(name, argv, port, args)

                def pct(p):
                    return latencies[min(len(latencies) - 1, int(len(latencies) * p))]

                results[name] = (peak, pct(0.5), pct(0.99), latencies[-1])
                print(f"{name:17} peak RSS {peak:8.1f} MiB   canary SET+GET p50 {pct(0.5):7.2f} ms  "
                      f"p99 {pct(0.99):8.2f} ms  max {latencies[-1]:8.2f} ms  ({len(latencies)} pairs)")
    finally:
        redis.terminate()
        redis.wait()
    ours, theirs = results["ambassador-proxy"], results["nutcracker"]
    print(f"ratio ours/nutcracker: peak RSS {ours[0] / theirs[0]:.2f}x, canary p99 {ours[2] / theirs[2]:.2f}x")


if __name__ == "__main__":
    main()
