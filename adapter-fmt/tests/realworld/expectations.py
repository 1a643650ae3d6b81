#!/usr/bin/env python3
"""Expectations for the real-world corpus, computed without adapter-fmt.

    python3 expectations.py            # rewrite every *.expected.jsonl (and the
                                       # patterns/*.log) from the kept material
    python3 expectations.py --check    # exit 1 if any of them is out of date
    python3 expectations.py extract [--loghub GITDIR] [--logstash GITDIR] [--lnav GITDIR] [--vrl GITDIR]
                                       # re-cut the kept material from fetched
                                       # copies of the public repositories

The truth for every line comes from its source, never from adapter-fmt:

* loghub/<System>.truth.csv: the timestamp columns of loghub's own parsed
  file (<System>_2k.log_structured.csv), trimmed to those columns, and its
  Level column where that holds the line's level (`level` in the
  expectations).
* patterns/<collection>.cases.jsonl: one case per line, holding the log
  line, where it comes from, and the value the collection states for it
  (the timestamp text its grok pattern or lnav regex captures, or the
  instant its test expects).

Stated values are read with the small strptime below (Python's datetime
does the calendar: days per month, leap years, weekdays, offsets), and
checked against Python's own datetime.strptime wherever that reads them too
(12 210 of the 12 269 stamps read this way; it lacks %e, %k and zone names). See
README.md for the conventions of each source. Standard library only, except
`extract`, which needs the `regex` module to run lnav's PCRE patterns.
"""

import argparse
import os
import csv
import datetime as dt
import io
import json
import pathlib
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

HERE = pathlib.Path(__file__).resolve().parent
# The corpus itself is data cut from fetched public repositories, which is
# not committed here (see README.md): it lives in the workspace's target/,
# or where REALWORLD_CORPUS says.
DATA = pathlib.Path(os.environ.get("REALWORLD_CORPUS", HERE.parents[2] / "target" / "realworld-corpus"))

# Zone names whose offset is fixed by definition. Only these are read; a
# case naming another abbreviation is an error here, so nothing ambiguous
# (IST, CST, BST) is guessed.
ZONE_NAMES = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "PST": -8 * 3600,
    "PDT": -7 * 3600,
    "EST": -5 * 3600,
    "EDT": -4 * 3600,
    "CET": 3600,
    "CEST": 2 * 3600,
    "MSK": 3 * 3600,
}
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass
class Stamp:
    """A timestamp as a line writes it: what it gives, nothing filled in."""

    month: int
    day: int
    hour: int
    minute: int
    second: int
    frac: str = ""  # the fractional digits as written
    year: Optional[int] = None  # None: the line gives no year
    offset: Optional[int] = None  # seconds east of UTC; None: the line gives no zone

    def check(self):
        # datetime refuses 31 November, 29 February 2023, 24:00 and so on.
        dt.datetime(self.year if self.year is not None else 2000, self.month, self.day,
                    self.hour, self.minute, self.second)
        return self


# ---------------------------------------------------------------- strptime

_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})",
    "y": r"(?P<y>\d{2})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "e": r"(?P<d> ?\d{1,2})",
    "H": r"(?P<H>\d{1,2})",
    "k": r"(?P<H> ?\d{1,2})",
    "I": r"(?P<I>\d{1,2})",
    "M": r"(?P<M>\d{2})",
    "S": r"(?P<S>\d{2})",
    "f": r"(?P<f>\d{1,9})",
    "b": r"(?P<b>[A-Za-z]{3,9})",
    "a": r"(?P<a>[A-Za-z]{3,9})",
    "p": r"(?P<p>[AaPp][Mm])",
    "z": r"(?P<z>Z|[+-]\d{2}(?::?\d{2})?)",
    "Z": r"(?P<Z>[A-Z]{1,5})",
}


def strptime(text: str, fmt: str) -> Stamp:
    """Reads all of `text` as `fmt` (strftime directives as listed in
    _DIRECTIVES; `%e`/`%k` allow a leading space; `%f` takes 1 to 9 digits and
    keeps them as written; `%Z` only the names of ZONE_NAMES)."""
    pattern, i = "", 0
    while i < len(fmt):
        if fmt[i] == "%":
            pattern += _DIRECTIVES[fmt[i + 1]]
            i += 2
        else:
            pattern += re.escape(fmt[i])
            i += 1
    m = re.fullmatch(pattern, text)
    if not m:
        raise ValueError(f"{text!r} is not {fmt!r}")
    g = m.groupdict()
    year = None
    if g.get("Y"):
        year = int(g["Y"])
    elif g.get("y"):
        yy = int(g["y"])
        year = 2000 + yy if yy < 69 else 1900 + yy  # POSIX strptime's %y
    if g.get("b"):
        if g["b"][:3].lower() not in MONTHS or len(g["b"]) != 3:
            raise ValueError(f"month {g['b']!r}")
        month = MONTHS.index(g["b"].lower()) + 1
    else:
        month = int(g["m"])
    if g.get("I"):
        hour = int(g["I"]) % 12 + (12 if g["p"].lower() == "pm" else 0)
        if not 1 <= int(g["I"]) <= 12:
            raise ValueError("12-hour clock out of range")
    else:
        hour = int(g["H"])
    offset = None
    if g.get("z"):
        z = g["z"]
        if z == "Z":
            offset = 0
        else:
            digits = z[1:].replace(":", "")
            offset = int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60
            offset = -offset if z[0] == "-" else offset
    if g.get("Z"):
        if g["Z"] not in ZONE_NAMES:
            raise ValueError(f"zone name {g['Z']!r} not in ZONE_NAMES")
        offset = ZONE_NAMES[g["Z"]]
    stamp = Stamp(month=month, day=int(g["d"]), hour=hour, minute=int(g["M"]), second=int(g.get("S") or 0),
                  frac=g.get("f") or "", year=year, offset=offset).check()
    if g.get("a") and year is not None:
        weekday = dt.date(year, month, stamp.day).weekday()
        if g["a"][:3].lower() != WEEKDAYS[weekday]:
            raise ValueError(f"{text!r}: {g['a']} is not the weekday of that date")
    cross_check(text, fmt, stamp)
    return stamp


def cross_check(text: str, fmt: str, stamp: "Stamp"):
    """Where Python's own datetime.strptime reads `text` as `fmt` too (it
    lacks %e, %k and zone names, and takes at most 6 fraction digits), its
    fields must be ours: the reading above is checked against one we did
    not write."""
    if any(d in fmt for d in ("%e", "%k", "%Z")):
        return
    try:
        theirs = dt.datetime.strptime(text, fmt)
    except ValueError:
        return
    ours = (stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    if (theirs.month, theirs.day, theirs.hour, theirs.minute, theirs.second) != ours or (
        stamp.year is not None and theirs.year != stamp.year
    ):
        raise ValueError(f"{text!r} as {fmt!r}: Python's strptime reads {theirs}, ours {stamp}")


def epoch(text: str, unit: str = "s") -> Stamp:
    """Unix time: `unit` s (with an optional fraction), ms, us or ns."""
    m = re.fullmatch(r"\+?(\d+)(?:\.(\d+))?", text)
    if not m:
        raise ValueError(f"{text!r} is not a Unix time")
    digits = {"s": 0, "ms": 3, "us": 6, "ns": 9}[unit]
    whole, frac = m.group(1), m.group(2) or ""
    if digits:
        whole, frac = whole[:-digits], whole[-digits:] + frac
    t = dt.datetime.fromtimestamp(int(whole), dt.timezone.utc)
    return Stamp(year=t.year, month=t.month, day=t.day, hour=t.hour, minute=t.minute, second=t.second,
                 frac=frac, offset=0)


def rfc3339(text: str) -> Stamp:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return strptime(text, fmt)
        except ValueError:
            pass
    raise ValueError(f"{text!r} is not RFC 3339")


# A stated timestamp text is read with the first of these formats that
# takes all of it. Each has one meaning for the texts it takes; texts whose
# digits could be read more than one way (day or month first, two-digit
# years) never reach this list: their cases name their format.
FORMATS = [
    "%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S,%f%z", "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S,%f", "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S %p %Z",
    "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S,%f", "%Y-%m-%d %H:%M:%S:%f", "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f %Z", "%Y-%m-%d %H:%M:%S %Z",
    "%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S,%f %z", "%Y-%m-%d %H:%M:%S:%f %z", "%Y-%m-%d %H:%M:%S %z",
    "%Y-%m-%d %H:%M:%S,%f%z",
    "%Y-%m-%d %k:%M:%S",
    "%Y-%m-%d\t%H:%M:%S",
    "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M:%S %z",
    "%Y%m%d %H:%M:%S.%f",
    "%d/%b/%Y:%H:%M:%S %z", "%d/%b/%Y:%H:%M:%S.%f", "%d/%b/%Y %H:%M:%S",
    "%a %b %d %H:%M:%S.%f %Y", "%a %b %d %H:%M:%S:%f %Y", "%a %b %e %H:%M:%S %Y", "%a %b %e %H:%M:%S %Z %Y",
    "%b %d, %Y %I:%M:%S %p", "%b %e %Y %H:%M:%S",
    "%b %e %H:%M:%S", "%b %e %H:%M:%S.%f", "%b-%d %H:%M:%S.%f",
    "%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y %H:%M", "%d-%b %H:%M",
    "%d %b %Y %H:%M:%S.%f", "%d %b %H:%M:%S.%f",
]


def read_text(text: str) -> tuple:
    """The stamp of a stated text and the format that read it."""
    for fmt in FORMATS:
        try:
            return strptime(text, fmt), fmt
        except ValueError:
            continue
    raise ValueError(f"no format in FORMATS reads {text!r}")


# ------------------------------------------------------------ expectations

def expectation(stamp: Optional[Stamp]) -> dict:
    """The JSON expectation of a line whose timestamp is `stamp`."""
    if stamp is None:
        return {"expected": None}
    frac = f".{stamp.frac}" if stamp.frac else ""
    clock = f"{stamp.hour:02}:{stamp.minute:02}:{stamp.second:02}{frac}"
    if stamp.year is not None and stamp.offset is not None:
        local = dt.datetime(stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
        utc = local - dt.timedelta(seconds=stamp.offset)
        return {"expected": utc.strftime("%Y-%m-%dT%H:%M:%S") + frac + "Z"}
    out = {}
    if stamp.year is None:
        out["year_in_line"] = False
    if stamp.offset is None:
        out["zone_in_line"] = False
    if stamp.year is not None:
        out["year"] = stamp.year
    out.update(month=stamp.month, day=stamp.day, time=clock)
    if stamp.offset is not None:
        sign = "-" if stamp.offset < 0 else "+"
        out["offset"] = f"{sign}{abs(stamp.offset) // 3600:02}:{abs(stamp.offset) % 3600 // 60:02}"
    return out


# loghub: how each system's parsed columns give the stamp. `text` joins the
# named columns with a space; `fmt` reads it (or "epoch").
LOGHUB = {
    "Android": (["Date", "Time"], "%m-%d %H:%M:%S.%f"),
    "Apache": (["Time"], "%a %b %d %H:%M:%S %Y"),
    "BGL": (["Timestamp"], "epoch"),
    "HDFS": (["Date", "Time"], "%y%m%d %H%M%S"),
    "HPC": (["Time"], "epoch"),
    "Hadoop": (["Date", "Time"], "%Y-%m-%d %H:%M:%S,%f"),
    "HealthApp": (["Time"], "healthapp"),
    "Linux": (["Month", "Date", "Time"], "%b %d %H:%M:%S"),
    "Mac": (["Month", "Date", "Time"], "%b %d %H:%M:%S"),
    "OpenSSH": (["Date", "Day", "Time"], "%b %d %H:%M:%S"),
    "OpenStack": (["Date", "Time"], "%Y-%m-%d %H:%M:%S.%f"),
    "Proxifier": (["Time"], "%m.%d %H:%M:%S"),
    "Spark": (["Date", "Time"], "%y/%m/%d %H:%M:%S"),
    "Thunderbird": (["Timestamp"], "epoch"),
    "Windows": (["Date", "Time"], "%Y-%m-%d %H:%M:%S"),
    "Zookeeper": (["Date", "Time"], "%Y-%m-%d %H:%M:%S,%f"),
}
# Columns kept besides those above: the human-readable dates of the two
# supercomputer logs, checked against their Unix time (US Pacific).
LOGHUB_EXTRA = {"BGL": ["Time"], "Thunderbird": ["Date", "Month", "Day", "Time"]}
# Systems whose parsed Level column is the line's level (Linux's holds the
# host name).
LOGHUB_LEVEL = {"Android", "Apache", "BGL", "HDFS", "Hadoop", "OpenStack", "Spark", "Windows", "Zookeeper"}


def loghub_expected(system: str) -> list:
    columns, fmt = LOGHUB[system]
    lines = (DATA / "loghub" / f"{system}.log").read_text(encoding="utf-8").split("\n")[:-1]
    rows = list(csv.DictReader((DATA / "loghub" / f"{system}.truth.csv").open(encoding="utf-8", newline="")))
    if len(rows) != len(lines):
        raise SystemExit(f"loghub/{system}: {len(lines)} lines but {len(rows)} truth rows")
    out = []
    for number, (line, row) in enumerate(zip(lines, rows), start=1):
        text = " ".join(row[c] for c in columns)
        if fmt == "epoch":
            stamp = epoch(text)
        elif fmt == "healthapp":
            stamp = healthapp(text)
        else:
            stamp = strptime(text, fmt)
        check_loghub_row(system, line, row, stamp)
        level = {"level": row["Level"]} if system in LOGHUB_LEVEL else {}
        out.append({"line": number, **expectation(stamp), **level, "loghub_line": int(row["LineId"])})
    return out


def healthapp(text: str) -> Stamp:
    """HealthApp writes yyyyMMdd-H:m:s:S: hour, minute, second and
    millisecond as unpadded numbers (`22:15:35:11` is 11 ms past 22:15:35;
    the lines around it run :851, :11, :96, :104)."""
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})-(\d{1,2}):(\d{1,2}):(\d{1,2}):(\d{1,3})", text)
    if not m:
        raise ValueError(f"{text!r} is not HealthApp's stamp")
    y, mo, d, h, mi, s, ms = (int(x) for x in m.groups())
    return Stamp(year=y, month=mo, day=d, hour=h, minute=mi, second=s, frac=f"{ms:03}").check()


def check_loghub_row(system, line, row, stamp):
    """Sanity: the parsed columns are really in the line, and the
    supercomputers' local dates agree with their Unix time."""
    if system in ("BGL", "Thunderbird", "HPC"):
        if f" {row['Timestamp' if system != 'HPC' else 'Time']} " not in f" {line} ":
            raise SystemExit(f"{system}: Unix time of LineId {row['LineId']} not in its line")
        if system != "HPC":
            from zoneinfo import ZoneInfo

            instant = dt.datetime(stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second,
                                  tzinfo=dt.timezone.utc)
            local = instant.astimezone(ZoneInfo("America/Los_Angeles"))
            if system == "BGL":
                human = dt.datetime.strptime(row["Time"][:19], "%Y-%m-%d-%H.%M.%S")
            else:
                human = dt.datetime.strptime(f"{row['Date'][:4]} {row['Month']} {row['Day']} {row['Time']}",
                                             "%Y %b %d %H:%M:%S")
            if local.replace(tzinfo=None) != human:
                raise SystemExit(f"{system} LineId {row['LineId']}: Unix time is {local}, line says {human}")
        return
    for column in LOGHUB[system][0]:
        if row[column] not in line:
            raise SystemExit(f"{system} LineId {row['LineId']}: {column}={row[column]!r} not in line")


def case_stamp(case: dict) -> Optional[Stamp]:
    how = case["how"]
    if how == "none":
        return None
    if how == "instant":
        # An instant the collection's test states. What the line does not
        # give (a year, a zone) the parser filled in: keep only what the
        # line gives.
        stamp = rfc3339(case["stated"])
        if case.get("year_in_line") is False:
            stamp.year = None
        if case.get("zone_in_line") is False:
            stamp.offset = None
        return stamp
    if how == "epoch":
        return epoch(case["stated"], case.get("unit", "s"))
    if how == "text":
        if "fmt" in case:
            return strptime(case["stated"], case["fmt"])
        return read_text(case["stated"])[0]
    raise ValueError(f"unknown how {how!r}")


def patterns_expected(name: str) -> tuple:
    cases = [json.loads(l) for l in (DATA / "patterns" / f"{name}.cases.jsonl").open(encoding="utf-8")]
    lines, out = [], []
    for number, case in enumerate(cases, start=1):
        line = case["line"]
        if "\n" in line or "\r" in line:
            raise SystemExit(f"{name}: case {number} is not one line")
        if case["how"] in ("text", "epoch") and case["stated"] not in line:
            raise SystemExit(f"{name}: case {number}: stated {case['stated']!r} is not in its line")
        try:
            stamp = case_stamp(case)
        except ValueError as e:
            raise SystemExit(f"{name}: case {number}: {e}")
        lines.append(line)
        out.append({"line": number, **expectation(stamp), "group": case["group"]})
    return "".join(l + "\n" for l in lines), out


def dump_jsonl(rows: list) -> str:
    return "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows)


def generate(check: bool) -> int:
    outputs = {}
    for system in LOGHUB:
        if (DATA / "loghub" / f"{system}.log").exists():
            outputs[DATA / "loghub" / f"{system}.expected.jsonl"] = dump_jsonl(loghub_expected(system))
    for cases in sorted((DATA / "patterns").glob("*.cases.jsonl")):
        name = cases.name[: -len(".cases.jsonl")]
        log, rows = patterns_expected(name)
        outputs[DATA / "patterns" / f"{name}.log"] = log
        outputs[DATA / "patterns" / f"{name}.expected.jsonl"] = dump_jsonl(rows)
    stale = 0
    for path, text in outputs.items():
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old == text:
            continue
        stale += 1
        if check:
            print(f"out of date: {path.relative_to(DATA)}")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(DATA)}")
    total = sum(t.count("\n") for p, t in outputs.items() if p.name.endswith(".expected.jsonl"))
    print(f"{len(outputs)} files, {total} expectations, {stale} {'stale' if check else 'rewritten'}")
    return 1 if check and stale else 0


# ----------------------------------------------------------------- extract

def git_show(gitdir: str, path: str) -> bytes:
    return subprocess.run(["git", f"--git-dir={gitdir}", "show", f"HEAD:{path}"], check=True,
                          capture_output=True).stdout


def git_head(gitdir: str) -> str:
    return subprocess.run(["git", f"--git-dir={gitdir}", "rev-parse", "HEAD"], check=True, capture_output=True,
                          text=True).stdout.strip()


def extract_loghub(gitdir: str):
    """Lines 1, 3, 5, ... 1999 of each <System>_2k.log (LF endings), and the
    same rows of its structured CSV, cut to LineId, the timestamp columns and
    the level."""
    (DATA / "loghub").mkdir(exist_ok=True)
    for system, (columns, _) in LOGHUB.items():
        raw = git_show(gitdir, f"{system}/{system}_2k.log").decode("utf-8")
        lines = raw.replace("\r\n", "\n").split("\n")
        if lines[-1] == "":
            lines.pop()
        rows = list(csv.DictReader(io.StringIO(git_show(gitdir, f"{system}/{system}_2k.log_structured.csv")
                                               .decode("utf-8"))))
        assert len(rows) == len(lines) == 2000, system
        extra = LOGHUB_EXTRA.get(system, []) + (["Level"] if system in LOGHUB_LEVEL else [])
        keep = ["LineId"] + columns + [c for c in extra if c not in columns]
        with (DATA / "loghub" / f"{system}.log").open("w", encoding="utf-8", newline="\n") as f:
            for i in range(0, 2000, 2):
                f.write(lines[i] + "\n")
        with (DATA / "loghub" / f"{system}.truth.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(keep)
            for i in range(0, 2000, 2):
                assert int(rows[i]["LineId"]) == i + 1
                w.writerow([rows[i][c] for c in keep])
    print(f"loghub {git_head(gitdir)}: {len(LOGHUB)} systems, 1000 lines each")


def shape(text: str) -> str:
    return re.sub(r"[A-Za-z]{3,}", "Aaa", re.sub(r"\d", "9", text))


# Stated texts whose digits are ambiguous, read as their source writes them.
AMBIGUOUS = {
    "17/06/09 20:10:52": "%y/%m/%d %H:%M:%S",  # Spark's log4j pattern yy/MM/dd HH:mm:ss
    "081111 101735": "%y%m%d %H%M%S",  # HDFS: yyMMdd HHmmss
    "170213 16:00:33": "%y%m%d %H:%M:%S",  # MySQL 5 slow log: YYMMDD
    "0517 15:04:22.619632": "%m%d %H:%M:%S.%f",  # glog: MMDD
    "06/09/2014 02:49:59:447 PM UTC": "%m/%d/%Y %I:%M:%S:%f %p %Z",  # OpenAM debug: MM/dd/yyyy
    "06/09/2014 04:08:22:515 PM UTC": "%m/%d/%Y %I:%M:%S:%f %p %Z",
}
MMDD = {"logcat_log": "%m-%d %H:%M:%S.%f", "proxifier_log": "%m.%d %H:%M:%S"}


def text_case(group, cite, line, stated, note=None):
    case = {"group": group, "cite": cite, "line": line, "how": "text", "stated": stated}
    if re.fullmatch(r"\+?\d{10}(\.\d+)?", stated):
        case["how"] = "epoch"
    elif stated in AMBIGUOUS:
        case["fmt"] = AMBIGUOUS[stated]
    if note:
        case["note"] = note
    return case


def extract_lnav(gitdir: str, per_group: int = 3):
    """The samples of lnav's format files with the text their regex captures
    as `timestamp` (JSON formats: their timestamp field)."""
    import regex  # lnav's patterns are PCRE: named groups as (?<name>...)

    head = git_head(gitdir)
    names = subprocess.run(["git", f"--git-dir={gitdir}", "ls-tree", "--name-only", "HEAD", "src/formats/"],
                           check=True, capture_output=True, text=True).stdout.split()
    cases, count = [], {}
    for path in sorted(n for n in names if n.endswith(".json")):
        spec = json.loads(git_show(gitdir, path))
        for fmt_name, fmt in spec.items():
            if fmt_name.startswith("$") or not isinstance(fmt, dict):
                continue
            patterns = [regex.compile(p["pattern"]) for p in fmt.get("regex", {}).values()]
            for i, sample in enumerate(fmt.get("sample", [])):
                whole = sample["line"]
                line = whole.split("\n")[0]
                cite = f"tstack/lnav@{head[:12]}:{path} {fmt_name} sample {i}"
                if fmt.get("json") or line.startswith("{"):
                    field = fmt.get("timestamp-field", "timestamp")
                    value = json.loads(line).get(field)
                    if value is None:
                        continue
                    stated, group = str(value), f"{fmt_name}:json"
                    if field == "timestamp_ns":
                        case = {"group": group, "cite": cite, "line": line, "how": "epoch", "stated": stated,
                                "unit": "ns"}
                    else:
                        case = text_case(group, cite, line, stated)
                else:
                    m = next((m for m in (p.match(whole) for p in patterns) if m), None)
                    stated = m.groupdict().get("timestamp") if m else None
                    if not stated:
                        continue
                    if re.fullmatch(r"[\d:.]+", stated) and not re.fullmatch(r"\d{10}\.\d+", stated):
                        continue  # a time of day without a date (strace -t, TCF)
                    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", stated):
                        continue  # a date whose time stands elsewhere in the line
                    group = f"{fmt_name}:{shape(stated)}"
                    case = text_case(group, cite, line, stated.lstrip("+"))
                    if fmt_name in MMDD:
                        case["fmt"] = MMDD[fmt_name]
                count[group] = count.get(group, 0) + 1
                if count[group] <= per_group:
                    cases.append(case)
    write_cases("lnav", cases)


def ruby_strings(text: str, pos: int) -> tuple:
    """Ruby string literals joined by `+` from `pos` (or a heredoc's first
    line): the string and where it ends."""
    out, i = "", pos
    while True:
        while i < len(text) and text[i] in " \t\n":
            i += 1
        if text.startswith("<<", i):
            body = text.index("\n", i) + 1
            return text[body:text.index("\n", body)], body
        if i >= len(text) or text[i] not in "'\"":
            return out, i
        quote, i, s = text[i], i + 1, ""
        while text[i] != quote:
            if text[i] == "\\":
                n = text[i + 1]
                if quote == "'":
                    s += n if n in "\\'" else "\\" + n
                else:
                    s += {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(n, n)
                i += 2
                continue
            s += text[i]
            i += 1
        out, i = out + s, i + 1
        j = i
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == "+":
            i = j + 1
            continue
        return out, i


# Lines of logstash-patterns-core's specs that their pattern reads without
# any timestamp field (Cisco ASA message bodies, a Java stack frame).
LOGSTASH_NONE = {"spec/patterns/firewalls_spec.rb": [9, 23, 46, 69, 92, 134, 174, 260, 281, 300, 357],
                 "spec/patterns/java_spec.rb": [19]}
# Lines whose timestamp the pattern captures but the spec does not repeat:
# (spec, line of the message, the captured text, the pattern that names it).
LOGSTASH_EXTRA = [
    ("spec/patterns/firewalls_spec.rb", 318, "Nov 28 2014 12:59:03", "CISCOTIMESTAMP in patterns/ecs-v1/firewalls"),
    ("spec/patterns/redis_spec.rb", 17, "14 Nov 07:01:22.119", "REDISLOG in patterns/ecs-v1/redis"),
]


def extract_logstash(gitdir: str, per_group: int = 3):
    """Each spec message and the `timestamp` its test says the pattern
    captures from it."""
    head = git_head(gitdir)
    names = subprocess.run(["git", f"--git-dir={gitdir}", "ls-tree", "--name-only", "HEAD", "spec/patterns/"],
                           check=True, capture_output=True, text=True).stdout.split()
    cases, count, seen = [], {}, set()

    def add(case):
        key = case["line"]
        if key in seen:
            return
        seen.add(key)
        count[case["group"]] = count.get(case["group"], 0) + 1
        if count[case["group"]] <= per_group or case["how"] == "none":
            cases.append(case)

    for path in sorted(names):
        text = git_show(gitdir, path).decode("utf-8")
        messages = []
        starts = r"let\(:(?:message|value)\)\s*(?:\{|do)(?:[ \t]*#[^\n]*)?|grok_match\s*\(?\s*\w+,\s*|message\s*=\s*"
        for m in re.finditer(starts, text):
            s, _ = ruby_strings(text, m.end())
            if s:
                messages.append((text.count("\n", 0, m.start()) + 1, s.split("\n")[0]))
        by_line = dict(messages)
        for m in re.finditer(r"[\"'](?:timestamp|bts|syslog_timestamp)[\"']\s*=>\s*([\"'])(.*?)\1", text):
            stated = m.group(2).replace("\\t", "\t")
            at = text.count("\n", 0, m.start()) + 1
            before = [(n, s) for n, s in messages if n < at and stated in s]
            if not before or stated == "2016-12-31T23:59:60-04:00":  # a leap second: left out
                continue
            n, line = before[-1]
            add(text_case(f"{path.split('/')[-1][:-8]}:{shape(stated)}",
                          f"logstash-plugins/logstash-patterns-core@{head[:12]}:{path}:{n} (timestamp at {at})",
                          line, stated))
        for n in LOGSTASH_NONE.get(path, []):
            add({"group": "no_timestamp", "cite": f"logstash-plugins/logstash-patterns-core@{head[:12]}:{path}:{n}",
                 "line": by_line[n], "how": "none"})
        for spec, n, stated, where in LOGSTASH_EXTRA:
            if spec == path:
                add(text_case(f"{path.split('/')[-1][:-8]}:{shape(stated)}",
                              f"logstash-plugins/logstash-patterns-core@{head[:12]}:{path}:{n} ({where})",
                              by_line[n], stated))
    write_cases("logstash", cases)


# VRL's parse functions: test inputs with the timestamp the test expects.
# (file under src/stdlib/, line of the input, how, stated, extra fields)
_NO_YEAR = ("VRL's test expects this month, day and time in the current year, as UTC; "
            "the line gives no year and no zone")
VRL_CASES = [
    ("apache_common", "parse_apache_log.rs", 288, "instant", "2000-10-10T20:55:36Z", {}),
    ("apache_combined", "parse_apache_log.rs", 308, "instant", "2021-02-25T12:44:08Z", {}),
    ("apache_combined", "parse_apache_log.rs", 330, "instant", "2021-02-25T12:44:08Z", {}),
    ("apache_error_clf_date", "parse_apache_log.rs", 350, "instant", "2021-03-01T12:00:19Z", {}),
    ("apache_error_clf_date", "parse_apache_log.rs", 406, "instant", "2021-03-01T12:00:19Z", {}),
    ("apache_error_iso_micros", "parse_apache_log.rs", 387, "text", "2021-06-04 15:40:27.138633",
     {"note": "VRL's test states 2021-06-04T15:40:27.000138633Z: its format %f reads the six digits as "
              "nanoseconds; the line says .138633, zone not given"}),
    ("apache_error_ymd_slash", "parse_apache_log.rs", 458, "text", "2021/06/03 09:30:50",
     {"note": "VRL's test states 07:30:50Z under a test time zone; the line names no zone"}),
    ("nginx_combined", "parse_nginx_log.rs", 406, "instant", "2021-03-31T12:04:07Z", {}),
    ("nginx_combined", "parse_nginx_log.rs", 423, "instant", "2021-04-23T14:59:24Z", {}),
    ("nginx_combined", "parse_nginx_log.rs", 440, "instant", "2022-10-04T04:34:49Z", {}),
    ("nginx_error", "parse_nginx_log.rs", 196, "instant", "2021-04-01T13:02:31Z",
     {"zone_in_line": False, "note": "VRL reads nginx's local time as UTC; the line names no zone"}),
    ("nginx_ingress_upstreaminfo", "parse_nginx_log.rs", 510, "instant", "2023-03-18T15:00:00Z", {}),
    ("nginx_main", "parse_nginx_log.rs", 639, "instant", "2024-12-31T17:32:06Z", {}),
    ("common_log", "parse_common_log.rs", 177, "instant", "2000-10-10T20:55:36Z", {}),
    ("common_log_rfc3339", "parse_common_log.rs", 206, "instant", "2000-10-10T20:55:36Z", {}),
    ("syslog_5424", "parse_syslog.rs", 216, "instant", "2020-03-13T20:45:38.119Z", {}),
    ("syslog_5424", "parse_syslog.rs", 267, "instant", "2019-02-13T19:48:34Z", {}),
    ("syslog_5424", "parse_syslog.rs", 337, "instant", "2003-10-11T22:14:15.003Z", {}),
    ("syslog_3164", "parse_syslog.rs", 243, "text", "Jun 13 16:33:35", {"note": _NO_YEAR}),
    ("syslog_3164", "parse_syslog.rs", 256, "text", "Jun 13 16:33:35", {"note": _NO_YEAR}),
    ("syslog_3164", "parse_syslog.rs", 324, "text", "Jun 8 11:54:08",
     {"fmt": "%b %e %H:%M:%S", "note": _NO_YEAR + "; the Apache stamp later in the line is message for VRL"}),
    ("linux_authorization", "parse_linux_authorization.rs", 24, "text", "Mar 23 01:49:58", {"note": _NO_YEAR}),
    ("klog", "parse_klog.rs", 201, "text", "0505 17:59:40.692994", {"fmt": "%m%d %H:%M:%S.%f", "note": _NO_YEAR}),
    ("glog", "parse_glog.rs", 170, "instant", "2021-01-31T14:48:54.411655Z",
     {"zone_in_line": False, "note": "VRL reads glog's local time as UTC; the line names no zone"}),
    ("glog", "parse_glog.rs", 196, "instant", "2021-01-31T14:48:54.411655Z",
     {"zone_in_line": False, "note": "VRL reads glog's local time as UTC; the line names no zone"}),
    ("aws_alb", "parse_aws_alb_log.rs", 450, "instant", "2018-07-02T22:23:00.186641Z", {}),
    ("aws_alb", "parse_aws_alb_log.rs", 712, "instant", "2021-03-16T20:20:00.135052Z", {}),
    ("aws_alb", "parse_aws_alb_log.rs", 749, "instant", "2021-03-17T18:54:14.216357Z", {}),
    ("timestamp_dmy_named_month_offset", "parse_timestamp.rs", 65, "instant", "2020-10-10T16:00:00Z", {}),
    ("timestamp_dmy_slash", "parse_timestamp.rs", 70, "text", "16/10/2019 12:00:00",
     {"fmt": "%d/%m/%Y %H:%M:%S",
      "note": "format %d/%m/%Y given to VRL with timezone Asia/Taipei; the text itself names no zone"}),
    ("timestamp_dmy_slash_colon", "parse_timestamp.rs", 156, "text", "16/10/2019:12:00:00 +0000",
     {"fmt": "%d/%m/%Y:%H:%M:%S %z"}),
    ("timestamp_dmy_slash_colon", "parse_timestamp.rs", 185, "text", "31/12/2019:12:00:00",
     {"fmt": "%d/%m/%Y:%H:%M:%S",
      "note": "format %d/%m/%Y given to VRL with timezone Europe/Paris; the text itself names no zone"}),
]


def rust_literal(source_line: str) -> str:
    """The string a test input line of VRL's Rust source holds."""
    for pattern, escaped in [(r'parse_timestamp!\("([^"]*)"', False), (r"s'(.*)'", False), (r'r#"(.*)"#', False),
                             (r'r"(.*)"', False), (r'value: "((?:[^"\\]|\\.)*)"', True)]:
        m = re.search(pattern, source_line)
        if m:
            return json.loads(f'"{m.group(1)}"') if escaped else m.group(1)
    raise SystemExit(f"no string literal in {source_line!r}")


def extract_vrl(gitdir: str):
    head = git_head(gitdir)
    cases = []
    for group, file, n, how, stated, extra in VRL_CASES:
        path = f"src/stdlib/{file}"
        line = rust_literal(git_show(gitdir, path).decode("utf-8").split("\n")[n - 1])
        cases.append({"group": group, "cite": f"vectordotdev/vrl@{head[:12]}:{path}:{n}", "line": line, "how": how,
                      "stated": stated, **extra})
    write_cases("vrl", cases)


def write_cases(name: str, cases: list):
    (DATA / "patterns").mkdir(exist_ok=True)
    for c in cases:
        if c["how"] == "text" and "fmt" not in c:
            read_text(c["stated"])  # fails here, not later, on a text no format reads
    (DATA / "patterns" / f"{name}.cases.jsonl").write_text(dump_jsonl(cases), encoding="utf-8")
    print(f"{name}: {len(cases)} cases in {len({c['group'] for c in cases})} groups")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether the files are up to date")
    sub = parser.add_subparsers(dest="command")
    ex = sub.add_parser("extract", help="re-cut the kept material from fetched git directories")
    ex.add_argument("--loghub", help="git dir of logpai/loghub")
    ex.add_argument("--logstash", help="git dir of logstash-plugins/logstash-patterns-core")
    ex.add_argument("--lnav", help="git dir of tstack/lnav")
    ex.add_argument("--vrl", help="git dir of vectordotdev/vrl")
    args = parser.parse_args()
    if args.command == "extract":
        if args.loghub:
            extract_loghub(args.loghub)
        if args.logstash:
            extract_logstash(args.logstash)
        if args.lnav:
            extract_lnav(args.lnav)
        if args.vrl:
            extract_vrl(args.vrl)
    return generate(args.check)


if __name__ == "__main__":
    sys.exit(main())
