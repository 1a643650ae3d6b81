#!/usr/bin/env python3
"""Soak test of ambassador-proxy: many clients pipelining through it while
one of its redis-servers is killed and started again; then the cost of
idle connections, against nutcracker.

Part 1 (soak): --clients concurrent clients (default 1000) pipeline
--depth SET/GET pairs each (default 8) for --seconds (default 60). Every
key and value is unique, so a reply given to the wrong request shows. One
backend is killed (SIGKILL) and started again on its port --cycles times
(default 1: killed a third of the way in, back at two thirds). Checks: the proxy stays up; each SET gets +OK
or an error; each GET gets its own SET's value, or an error, or (only when
its SET failed) nil; no other reply. Prints the counts and the proxy's RSS
over time, and exits 1 on any wrong reply.

Part 2 (idle): opens --idle connections (default 10000) to ambassador-proxy
and to nutcracker, sends one PING on each, and prints the RSS each process
grew by, per connection.

Run from the repository root:  python3 bench/ambassador_soak.py [--seconds 60] [--clients 1000]
Needs: cargo, redis-server, nutcracker; ulimit -Hn above --idle.
"""

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

from processes import free_port, status_mib, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROXY = os.path.join(ROOT, "target", "release", "ambassador-proxy")








def redis_server(port):
    return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)


async def read_reply(reader):
    """One RESP reply: ('ok'|'err'|'nil'|'bulk', payload)."""
    line = await reader.readline()
    if not line:
        raise ConnectionError("proxy closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return ("ok", rest)
    if kind == b"-":
        return ("err", rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return ("nil", None)
        data = await reader.readexactly(n + 2)
        return ("bulk", data[:-2])
    if kind == b":":
        return ("int", rest)
    raise ValueError(f"unexpected reply line {line!r}")


def command(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


async def client(port, ident, depth, stop_at, counts):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    seq = 0
    while time.monotonic() < stop_at:
        batch = []
        out = []
        for _ in range(depth):
            key = b"soak:%d:%d" % (ident, seq)
            value = b"v:%d:%d" % (ident, seq)
            seq += 1
            batch.append(value)
            out.append(command(b"SET", key, value))
            out.append(command(b"GET", key))
        writer.write(b"".join(out))
        await writer.drain()
        for value in batch:
            set_kind, _ = await read_reply(reader)
            get_kind, got = await read_reply(reader)
            counts["requests"] += 2
            if set_kind == "ok":
                counts["set_ok"] += 1
            elif set_kind == "err":
                counts["set_err"] += 1
            else:
                counts["wrong"] += 1
            if get_kind == "bulk" and got == value:
                counts["get_ok"] += 1
            elif get_kind == "err":
                counts["get_err"] += 1
            elif get_kind == "nil" and set_kind == "err":
                counts["get_nil_after_failed_set"] += 1
            else:
                counts["wrong"] += 1
                if counts["wrong"] <= 5:
                    print(f"wrong reply for {value!r}: SET {set_kind}, GET {get_kind} {got!r}", file=sys.stderr)
    writer.close()


async def soak(port, args, victim, victim_port, amb_pid):
    counts = {k: 0 for k in ("requests", "set_ok", "set_err", "get_ok", "get_err", "get_nil_after_failed_set",
                             "wrong")}
    start = time.monotonic()
    stop_at = start + args.seconds
    tasks = [asyncio.create_task(client(port, i, args.depth, stop_at, counts)) for i in range(args.clients)]
    rss = []
    # Kills and restarts take turns at equal steps: with 2 cycles, killed
    # at 1/5 and 3/5 of the time, started again at 2/5 and 4/5.
    steps = [args.seconds * (i + 1) / (2 * args.cycles + 1) for i in range(2 * args.cycles)]
    while not all(t.done() for t in tasks):
        await asyncio.sleep(1)
        elapsed = time.monotonic() - start
        rss.append((round(elapsed), status_mib(amb_pid, "VmRSS")))
        while steps and elapsed >= steps[0]:
            kill = len(steps) % 2 == 0
            steps.pop(0)
            if kill:
                victim[0].send_signal(signal.SIGKILL)
                victim[0].wait()
                print(f"{elapsed:5.1f} s: killed the redis-server on port {victim_port}")
            else:
                victim[0] = redis_server(victim_port)
                print(f"{elapsed:5.1f} s: started it again")
    for t in tasks:
        if t.exception():
            counts["wrong"] += 1
            print(f"client failed: {t.exception()!r}", file=sys.stderr)
    return counts, rss


async def idle(port, n):
    conns = []
    for _ in range(n):
        conns.append(await asyncio.open_connection("127.0.0.1", port))
    for reader, writer in conns:
        writer.write(b"*1\r\n$4\r\nPING\r\n")
    for reader, writer in conns:
        await writer.drain()
        if await reader.readline() != b"+PONG\r\n":
            sys.exit("an idle connection was not answered")
    return conns


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=8, help="SET/GET pairs per pipeline (default 8)")
    parser.add_argument("--cycles", type=int, default=1, help="kills and restarts of one backend (default 1)")
    parser.add_argument("--idle", type=int, default=10000)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.idle + 100:
        sys.exit(f"ulimit -Hn is {hard}; --idle {args.idle} needs {args.idle + 100}")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ambassador-proxy"], cwd=ROOT, check=True)
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ports = [free_port() for _ in range(3)]
            backends = []
            for p in ports:
                backends.append([redis_server(p)])
                wait_for(p, backends[-1][0])
            servers = "".join(f"   - 127.0.0.1:{p}:1\n" for p in ports)

            def config(name, listen):
                path = os.path.join(tmp, name)
                with open(path, "w") as f:
                    f.write(f"pool:\n  listen: 127.0.0.1:{listen}\n  redis: true\n  timeout: 2000\n"
                            f"  server_connections: 2\n  servers:\n{servers}")
                return path

            amb_port, nut_port = free_port(), free_port()
            amb_log = open(os.path.join(tmp, "amb.log"), "w")
            amb = subprocess.Popen([PROXY, "-c", config("amb.yml", amb_port), "-s", str(free_port())],
                                   stderr=amb_log)
            nut = subprocess.Popen(["nutcracker", "-c", config("nut.yml", nut_port), "-s", str(free_port()),
                                    "-o", os.path.join(tmp, "nut.log"), "-p", os.path.join(tmp, "nut.pid")])
            procs += [amb, nut]
            wait_for(amb_port, amb)
            wait_for(nut_port, nut)

            print(f"## soak: {args.clients} clients x {args.depth} SET/GET pairs per pipeline, {args.seconds} s, "
                  f"one of 3 redis-servers killed and restarted {args.cycles} time(s)")
            counts, rss = asyncio.run(soak(amb_port, args, backends[1], ports[1], amb.pid))
            alive = amb.poll() is None
            for key, value in counts.items():
                print(f"  {key:26} {value}")
            print(f"  proxy alive at the end     {alive}")
            print("  proxy RSS MiB over time:   " + " ".join(f"{t}s:{m:.1f}" for t, m in rss[:: max(1, len(rss) // 12)]))
            for b in backends:
                procs.append(b[0])

            print(f"\n## idle: {args.idle} connections, one PING each")
            for name, port, pid in (("ambassador-proxy", amb_port, amb.pid), ("nutcracker 0.5.0", nut_port, nut.pid)):
                before = status_mib(pid, "VmRSS")

                async def hold():
                    conns = await idle(port, args.idle)
                    grown = status_mib(pid, "VmRSS") - before
                    for _, writer in conns:
                        writer.close()
                    return grown

                grown = asyncio.run(hold())
                print(f"  {name:18} RSS {before:6.1f} MiB -> +{grown:6.1f} MiB "
                      f"({grown * 1024 * 1024 / args.idle / 1024:.1f} KiB per connection)")
            if counts["wrong"] or not alive:
                sys.exit("FAILED: wrong replies or the proxy died")
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait()


if __name__ == "__main__":
    main()
