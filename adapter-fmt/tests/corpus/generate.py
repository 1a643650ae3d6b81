#!/usr/bin/env python3
"""Writes lines.tsv: real-looking log lines from many programs, each with the
timestamp a correct reader must find, computed here with Python's datetime
(an oracle independent of adapter-fmt's code).

Columns: expected timestamp (RFC 3339, UTC, the source's precision) or
"none"; expected format name or "none"; the line.
Lines without a year are read as of NOW (see the test): this year, unless
that is more than a day after NOW, then the year before.

Run: python3 adapter-fmt/tests/corpus/generate.py > adapter-fmt/tests/corpus/lines.tsv
"""

import random
from datetime import datetime, timedelta, timezone

NOW = datetime(2026, 11, 26, 20, 0, 0, tzinfo=timezone.utc)
rng = random.Random(20261126)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
rows = []


def instant():
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    span = (NOW - start).total_seconds()
    return start + timedelta(seconds=rng.randrange(int(span)), microseconds=rng.randrange(1_000_000))


def expect(dt, digits):
    """RFC 3339 in UTC with `digits` fractional digits."""
    dt = dt.astimezone(timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{dt.microsecond * 1000:09d}"[:digits]
    return text + "Z"


def trunc(dt, digits):
    """dt with its sub-second part cut to `digits` digits (at most 6 here)."""
    keep = 10 ** (6 - min(digits, 6))
    return dt.replace(microsecond=dt.microsecond // keep * keep)


def frac(dt, digits, sep="."):
    return sep + f"{dt.microsecond:06d}"[:digits] if digits else ""


def yearless(month, day, hh, mm, ss, micro=0):
    year = NOW.year
    dt = datetime(year, month, day, hh, mm, ss, micro, tzinfo=timezone.utc)
    if dt > NOW + timedelta(days=1):
        dt = dt.replace(year=year - 1)
    return dt


def add(expected, fmt, line):
    assert "\t" not in line and "\n" not in line
    rows.append((expected, fmt, line))


def offset_of(minutes):
    return timezone(timedelta(minutes=minutes))


def fmt_offset(minutes, colon=False):
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h:02d}:{m:02d}" if colon else f"{sign}{h:02d}{m:02d}"


OFFSETS = [0, 60, 120, -300, -420, 330, 540, -180, 345]
PATHS = ["/", "/api/v1/items", "/healthz", "/static/app.js", "/login?next=%2F", "/favicon.ico"]
AGENTS = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", "kube-probe/1.29", "Go-http-client/1.1"]

# nginx and Apache access logs (CLF / combined), local offsets.
for i in range(30):
    off = rng.choice(OFFSETS)
    dt = trunc(instant(), 0).astimezone(offset_of(off))
    stamp = f"{dt.day:02d}/{MONTHS[dt.month-1]}/{dt.year}:{dt:%H:%M:%S} {fmt_offset(off)}"
    ip = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1,255)}"
    add(expect(dt, 0), "clf",
        f'{ip} - - [{stamp}] "GET {rng.choice(PATHS)} HTTP/1.1" {rng.choice([200,301,404,500])} {rng.randrange(100,9000)} "-" "{rng.choice(AGENTS)}"')

# nginx error log (local time, no zone).
for i in range(15):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "ymd_slash",
        f'{dt:%Y/%m/%d %H:%M:%S} [error] {rng.randrange(1,99)}#{rng.randrange(1,9)}: *{rng.randrange(1,999)} open() "/usr/share/nginx/html{rng.choice(PATHS)}" failed (2: No such file or directory), client: 10.0.0.{rng.randrange(1,254)}, server: localhost')

# Apache 2.4 error log (microseconds) and 2.2 (seconds).
for i in range(10):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "ctime",
        f"[{DAYS[dt.weekday()]} {MONTHS[dt.month-1]} {dt.day:02d} {dt:%H:%M:%S}{frac(dt, 6)} {dt.year}] [core:error] [pid {rng.randrange(100,9999)}:tid {rng.randrange(1000,99999)}] [client 10.0.0.5:5555] AH00126: Invalid URI in request")
for i in range(5):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "ctime", f"[{DAYS[dt.weekday()]} {MONTHS[dt.month-1]} {dt.day:02d} {dt:%H:%M:%S} {dt.year}] [error] mod_jk child workerEnv in error state 6")

# The seed's busybox line: $(date -u)'#This is log', and date's other shapes.
for i in range(15):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "ctime", f"{DAYS[dt.weekday()]} {MONTHS[dt.month-1]} {dt.day:2d} {dt:%H:%M:%S} UTC {dt.year}#This is log")
for i in range(5):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "ctime", f"{DAYS[dt.weekday()]} {MONTHS[dt.month-1]} {dt.day:2d} {dt:%H:%M:%S} {dt.year} cron job finished")

# syslog RFC 3164 (no year), with and without the priority, single-digit days padded.
for i in range(25):
    dt = trunc(instant(), 0)
    exp = yearless(dt.month, dt.day, dt.hour, dt.minute, dt.second)
    pri = f"<{rng.randrange(0,191)}>" if i % 5 == 0 else ""
    add(expect(exp, 0), "syslog_rfc3164",
        f"{pri}{MONTHS[dt.month-1]} {dt.day:2d} {dt:%H:%M:%S} web-{rng.randrange(1,9)} sshd[{rng.randrange(100,65000)}]: Accepted publickey for deploy from 10.0.0.{rng.randrange(1,254)} port {rng.randrange(30000,65000)} ssh2")

# journald exports: short-precise (syslog with microseconds), short-iso, short-iso-precise, short-unix.
for i in range(8):
    dt = trunc(instant(), 6)
    exp = yearless(dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond)
    add(expect(exp, 6), "syslog_rfc3164", f"{MONTHS[dt.month-1]} {dt.day:02d} {dt:%H:%M:%S}{frac(dt, 6)} node-1 kubelet[812]: I1126 volume mounted")
for i in range(8):
    off = rng.choice(OFFSETS)
    dt = trunc(instant(), 0).astimezone(offset_of(off))
    add(expect(dt, 0), "rfc3339", f"{dt:%Y-%m-%dT%H:%M:%S}{fmt_offset(off)} node-1 systemd[1]: Started Session {rng.randrange(1,99)} of User root.")
for i in range(8):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "rfc3339", f"{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 6)}+00:00 node-1 containerd[640]: time=\"x\" level=info msg=\"shim disconnected\"")
for i in range(6):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "epoch_s", f"{int(dt.timestamp())}{frac(dt, 6)} node-1 kernel: eth0: link up")

# RFC 5424.
for i in range(8):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "syslog_rfc5424",
        f"<{rng.randrange(0,191)}>1 {dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 3)}Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\"] An application event")

# Java: logback, log4j, Spring Boot, Tomcat, java.util.logging.
for i in range(10):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "iso8601", f"{dt:%Y-%m-%d %H:%M:%S}{frac(dt, 3)} [main] INFO  com.example.App - Started App in 3.2 seconds")
for i in range(10):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "log4j", f"{dt:%Y-%m-%d %H:%M:%S}{frac(dt, 3, ',')} ERROR [http-nio-8080-exec-{rng.randrange(1,9)}] o.a.c.c.C.[.[.[/].[dispatcherServlet] - Servlet.service() threw exception")
for i in range(8):
    off = rng.choice(OFFSETS)
    dt = trunc(instant(), 3).astimezone(offset_of(off))
    add(expect(dt, 3), "rfc3339", f"{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 3)}{fmt_offset(off, True)}  INFO 1 --- [           main] c.e.demo.DemoApplication                 : Started DemoApplication")
for i in range(6):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "day_month_name", f"{dt.day:02d}-{MONTHS[dt.month-1]}-{dt.year} {dt:%H:%M:%S}{frac(dt, 3)} INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [{rng.randrange(100,9999)}] milliseconds")
for i in range(8):
    dt = trunc(instant(), 0)
    hour12 = dt.hour % 12 or 12
    ampm = "AM" if dt.hour < 12 else "PM"
    add(expect(dt, 0), "month_name_first", f"{MONTHS[dt.month-1]} {dt.day}, {dt.year} {hour12}:{dt:%M:%S} {ampm} org.apache.catalina.startup.Catalina start")

# Go: log package (seconds and microseconds), time.String(), logrus text, go-kit logfmt, zap JSON.
for i in range(8):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "ymd_slash", f"{dt:%Y/%m/%d %H:%M:%S} http: TLS handshake error from 10.0.0.{rng.randrange(1,254)}:{rng.randrange(30000,65000)}: EOF")
for i in range(5):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "ymd_slash", f"{dt:%Y/%m/%d %H:%M:%S}{frac(dt, 6)} main.go:{rng.randrange(10,300)}: listening on :8080")
for i in range(6):
    dt = trunc(instant(), 6)
    nanos = f"{dt.microsecond:06d}{rng.randrange(1000):03d}"
    add(f"{dt:%Y-%m-%dT%H:%M:%S}.{nanos}Z", "go_time",
        f"{dt:%Y-%m-%d %H:%M:%S}.{nanos} +0000 UTC m=+{rng.randrange(1,999)}.000123 deadline exceeded")
for i in range(8):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "rfc3339", f'time="{dt:%Y-%m-%dT%H:%M:%S}Z" level=info msg="request served" path={rng.choice(PATHS)}')
for i in range(6):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "rfc3339", f"level=info ts={dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 3)}Z caller=main.go:42 msg=\"starting server\"")
for i in range(8):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "json", f'{{"level":"info","ts":{int(dt.timestamp())}.{dt.microsecond:06d},"caller":"server/main.go:{rng.randrange(10,300)}","msg":"started"}}')

# Python: logging default, gunicorn, Django runserver; uvicorn has no time.
for i in range(8):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "log4j", f"{dt:%Y-%m-%d %H:%M:%S}{frac(dt, 3, ',')} - myapp.worker - INFO - processed batch {rng.randrange(1,999)}")
for i in range(6):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "iso8601", f"[{dt:%Y-%m-%d %H:%M:%S} +0000] [{rng.randrange(1,99)}] [INFO] Booting worker with pid: {rng.randrange(100,9999)}")
for i in range(5):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "day_month_name", f'[{dt.day:02d}/{MONTHS[dt.month-1]}/{dt.year} {dt:%H:%M:%S}] "GET {rng.choice(PATHS)} HTTP/1.1" 200 {rng.randrange(100,9999)}')

# Kubernetes: klog, CRI log lines, etcd JSON, kube-apiserver JSON (ms float).
for i in range(12):
    dt = trunc(instant(), 6)
    exp = yearless(dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond)
    level = rng.choice("IWE")
    add(expect(exp, 6), "klog", f"{level}{dt:%m%d %H:%M:%S}{frac(dt, 6)}       1 controller.go:{rng.randrange(10,999)}] Starting EndpointSlice controller")
for i in range(8):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "rfc3339", f"{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 6)}Z stdout F GET /healthz 200")
for i in range(6):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "json", f'{{"level":"info","ts":"{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 6)}Z","caller":"etcdserver/server.go:2041","msg":"published local member to cluster through raft"}}')
for i in range(5):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "json", f'{{"ts":{int(dt.timestamp() * 1000)},"caller":"app/server.go:172","msg":"Golang settings","v":0}}')

# Databases: PostgreSQL, MySQL, MongoDB, Redis, Elasticsearch, Cassandra.
for i in range(8):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "iso8601", f"{dt:%Y-%m-%d %H:%M:%S}{frac(dt, 3)} UTC [{rng.randrange(1,9999)}] LOG:  checkpoint complete: wrote {rng.randrange(1,999)} buffers")
for i in range(6):
    dt = trunc(instant(), 6)
    add(expect(dt, 6), "rfc3339", f"{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 6)}Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.35) starting as process 1")
for i in range(5):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "json", f'{{"t":{{"$date":"{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 3)}+00:00"}},"s":"I","c":"NETWORK","id":23016,"ctx":"listener","msg":"Waiting for connections"}}')
for i in range(8):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "rfc2822", f"1:M {dt.day:02d} {MONTHS[dt.month-1]} {dt.year} {dt:%H:%M:%S}{frac(dt, 3)} * Ready to accept connections tcp")
for i in range(5):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "log4j", f"[{dt:%Y-%m-%dT%H:%M:%S}{frac(dt, 3, ',')}][INFO ][o.e.n.Node               ] [node-1] started")
for i in range(5):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "log4j", f"INFO  [main] {dt:%Y-%m-%d %H:%M:%S}{frac(dt, 3, ',')} CassandraDaemon.java:{rng.randrange(100,999)} - Startup complete")

# Mail and HTTP dates (RFC 2822 / 1123).
for i in range(8):
    off = rng.choice(OFFSETS)
    dt = trunc(instant(), 0).astimezone(offset_of(off))
    add(expect(dt, 0), "rfc2822", f"Date: {DAYS[dt.weekday()]}, {dt.day:02d} {MONTHS[dt.month-1]} {dt.year} {dt:%H:%M:%S} {fmt_offset(off)}")
for i in range(5):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "rfc2822", f"{DAYS[dt.weekday()]}, {dt.day:02d} {MONTHS[dt.month-1]} {dt.year} {dt:%H:%M:%S} GMT cache revalidated")

# Numeric dates: unambiguous day or month first, European dots, 12-hour US clocks, two-digit years.
for i in range(6):
    dt = trunc(instant(), 0).replace(day=rng.randrange(13, 29))
    add(expect(dt, 0), "numeric_dmy", f"{dt:%d/%m/%Y %H:%M:%S} backup finished")
for i in range(6):
    dt = trunc(instant(), 0).replace(day=rng.randrange(13, 29))
    hour12 = dt.hour % 12 or 12
    add(expect(dt, 0), "numeric_mdy", f"{dt.month}/{dt.day}/{dt.year} {hour12}:{dt:%M:%S} {'AM' if dt.hour < 12 else 'PM'} Service started")
for i in range(6):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "numeric_dmy", f"{dt:%d.%m.%Y %H:%M:%S} Anmeldung erfolgreich")
for i in range(4):
    # log4j's `yy/MM/dd` (Spark, Hadoop): a two-digit year first reads as
    # day first too when it is above 12; with no other evidence the reader
    # takes the year first (see docs/adapter-fmt.md).
    dt = trunc(instant(), 0).replace(day=rng.randrange(13, 29))
    add(expect(dt, 0), "numeric_ymd", f"{dt:%y/%m/%d %H:%M:%S} job done")

# Compact ISO and epoch in milliseconds, nanoseconds.
for i in range(4):
    dt = trunc(instant(), 0)
    add(expect(dt, 0), "iso8601_compact", f"{dt:%Y%m%dT%H%M%S}Z snapshot written")
for i in range(4):
    dt = trunc(instant(), 3)
    add(expect(dt, 3), "epoch_ms", f"{int(dt.timestamp() * 1000)} worker heartbeat")
for i in range(3):
    dt = trunc(instant(), 6)
    add(expect(dt, 9), "epoch_ns", f"{int(dt.timestamp()) * 1_000_000_000 + dt.microsecond * 1000} trace span closed")

# Lines without a timestamp, and lines whose stamp is impossible.
for line in [
    "INFO:     127.0.0.1:54321 - \"GET / HTTP/1.1\" 200 OK",
    "[INFO] 10.0.0.1:5555 - 1234 \"A IN example.com. udp 29 false 512\" NOERROR qr,rd,ra 106 0.000123s",
    "Starting nginx 1.25.3",
    "    at com.example.App.main(App.java:42)",
    "panic: runtime error: index out of range [3] with length 3",
    "2026-13-01T00:00:00Z month thirteen",
    "2026-11-26 25:61:00 hour twenty-five",
    "32/11/2026 12:00:00 day thirty-two",
    "version 1.2.3 released",
    "Listening on 0.0.0.0:8080",
    "",
    "-",
    "Nov 31 10:00:00 host app: the thirty-first of November",
    "Processed 12 items in 34 ms",
]:
    add("none", "none", line)

print("# expected\tformat\tline  (generated by generate.py; NOW = 2026-11-26T20:00:00Z)")
for row in rows:
    print("\t".join(row))
