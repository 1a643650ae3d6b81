#!/usr/bin/env python3
"""What a kill -9 costs sidecar-tail with a checkpoint, per --checkpoint-interval.

A writer appends numbered lines (about 100 000 lines/s, in bursts of 1 000
every 10 ms) to app.log; sidecar-tail follows it with --checkpoint and is
killed with SIGKILL five times (as an OOM or liveness kill would), started
again each time, and a last --no-follow run drains the rest. Prints, per
interval, the lines printed twice (bounded by one interval of lines per
kill) and the lines lost (must be 0), and sidecar-tail's CPU time for 10 s
of following at that rate (the cost of writing the checkpoint more often).

Run from the repository root:  python3 bench/sidecar_restarts.py [INTERVAL ...]
(default: 1s 250ms 100ms)
"""

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIDECAR = os.path.join(ROOT, "target", "release", "sidecar-tail")
TICKS = os.sysconf("SC_CLK_TCK")
BURST = 1000


class Writer(threading.Thread):
    """Appends numbered lines to `path` until stopped."""

    def __init__(self, path):
        super().__init__()
        self.path, self.written, self.stopping = path, 0, False

    def run(self):
        with open(self.path, "ab", buffering=0) as log:
            while not self.stopping:
                i = self.written
                log.write(b"".join(b"%09d\n" % (i + k) for k in range(BURST)))
                self.written += BURST
                time.sleep(0.01)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run(interval, directory):
    log, checkpoint, out_path = (os.path.join(directory, n) for n in ("app.log", "ck.json", "out.txt"))
    open(log, "wb").close()
    writer = Writer(log)
    writer.start()
    follow = [SIDECAR, "--checkpoint", checkpoint, "--checkpoint-interval", interval, log]
    cpu = 0.0
    with open(out_path, "wb") as out:
        for kill in range(5):
            tail = subprocess.Popen(follow, stdout=out)
            time.sleep(2.0 + kill * 0.137)
            cpu += cpu_seconds(tail.pid)
            tail.send_signal(signal.SIGKILL)
            tail.wait()
        writer.stopping = True
        writer.join()
        subprocess.run([SIDECAR, "--checkpoint", checkpoint, "--no-follow", log], stdout=out, check=True)
    counts = {}
    with open(out_path, "rb") as out:
        for line in out:
            counts[line] = counts.get(line, 0) + 1
    again = sum(c - 1 for c in counts.values())
    lost = writer.written - len(counts)
    following = sum(2.0 + k * 0.137 for k in range(5))
    print(f"{interval:>10} {writer.written:>10} {again:>14} {lost:>6} {cpu * 10 / following:>20.3f}")
    return lost


def main():
    intervals = sys.argv[1:] or ["1s", "250ms", "100ms"]
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "sidecar-tail"], cwd=ROOT, check=True)
    print(f"{'interval':>10} {'written':>10} {'printed again':>14} {'lost':>6} {'CPU s per 10 s':>20}")
    lost = 0
    for interval in intervals:
        with tempfile.TemporaryDirectory() as directory:
            lost += run(interval, directory)
    sys.exit(1 if lost else 0)


if __name__ == "__main__":
    main()
