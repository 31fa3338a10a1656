#!/usr/bin/env python3
"""Sanity checks for lookout's demo case in sample_logs/ (stdlib only, Python 3.11).

    python3 sample_logs/check.py

Checks: every JSON line parses and carries the flat Security-Datasets keys; every line of every
file parses in its format; times are in order within each file and inside the capture week;
Zeek rows have as many columns as #fields; labels.tsv is well formed; and every labelled story
row has at least one event on its host (and user, when given) inside its time range.
Exit status 0 when everything holds, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
UTC = timezone.utc
YEAR = 2026  # RFC 3164 lines carry no year
WEEK = (datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 6, 23, 59, 59, 999999, tzinfo=UTC))

ERRORS: list[str] = []


def fail(msg: str) -> None:
    ERRORS.append(msg)


# An event for the label check: (time, host, users, text)
Ev = tuple[datetime, str, set[str], str]


def short(host: str) -> str:
    return host.split(".", 1)[0].lower()


def in_week(t: datetime, where: str) -> None:
    if not WEEK[0] <= t <= WEEK[1]:
        fail(f"{where}: time {t.isoformat()} outside the capture week")


# ---------------------------------------------------------------------------- Windows JSON lines

WIN_REQUIRED = ("EventID", "Hostname", "Channel", "SourceName", "TimeCreated", "Message")
WIN_USER_KEYS = ("User", "TargetUserName", "SubjectUserName", "SourceUser")


def check_windows(path: str, name: str, events: list[Ev]) -> int:
    prev = None
    n = 0
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            where = f"{name}:{i}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                fail(f"{where}: bad JSON: {e}")
                continue
            n += 1
            missing = [k for k in WIN_REQUIRED if k not in rec]
            if missing:
                fail(f"{where}: missing keys {missing}")
                continue
            if not isinstance(rec["EventID"], int):
                fail(f"{where}: EventID is not a number")
            if not rec["Hostname"].lower().endswith(".corp.local"):
                fail(f"{where}: unexpected Hostname {rec['Hostname']}")
            try:
                t = datetime.strptime(rec["TimeCreated"], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
            except ValueError:
                fail(f"{where}: bad TimeCreated {rec['TimeCreated']!r}")
                continue
            in_week(t, where)
            if prev is not None and t < prev:
                fail(f"{where}: time goes backwards ({rec['TimeCreated']})")
            prev = t
            users = set()
            for k in WIN_USER_KEYS:
                v = rec.get(k)
                if isinstance(v, str) and v not in ("", "-"):
                    users.add(v.rsplit("\\", 1)[-1].split("@", 1)[0].lower())
            events.append((t, short(rec["Hostname"]), users, line))
    return n


# ---------------------------------------------------------------------------- syslog / auth.log

SYSLOG_RE = re.compile(r"^(?P<ts>[A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d) (?P<host>\S+) "
                       r"(?P<tag>[A-Za-z][\w.\-/]*(?:\[\d+\])?): (?P<msg>.*)$")
LINUX_USER_RES = [
    re.compile(r"for (?:invalid user )?(?P<u>[\w.$-]+) from "),
    re.compile(r"session (?:opened|closed) for user (?P<u>[\w.$-]+)"),
    re.compile(r"^\((?P<u>[\w.$-]+)\) "),
    re.compile(r"user=(?P<u>[\w.$-]+)"),
    re.compile(r"^\s*(?P<u>[\w.$-]+) : TTY="),
    re.compile(r"of user (?P<u>[\w.$-]+)"),
    re.compile(r"Invalid user (?P<u>[\w.$-]+) from"),
]


def check_syslog(path: str, name: str, events: list[Ev]) -> int:
    prev = None
    n = 0
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            where = f"{name}:{i}"
            m = SYSLOG_RE.match(line.rstrip("\n"))
            if not m:
                fail(f"{where}: not an RFC 3164 line: {line[:80]!r}")
                continue
            n += 1
            t = datetime.strptime(f"{YEAR} {m['ts']}", "%Y %b %d %H:%M:%S").replace(tzinfo=UTC)
            in_week(t, where)
            if prev is not None and t < prev:
                fail(f"{where}: time goes backwards ({m['ts']})")
            prev = t
            users = {mm["u"].lower() for r in LINUX_USER_RES for mm in [r.search(m["msg"])] if mm}
            events.append((t, short(m["host"]), users, line))
    return n


# ---------------------------------------------------------------------------- Apache access log

ACCESS_RE = re.compile(r'^(?P<ip>\S+) \S+ \S+ \[(?P<ts>[^\]]+)\] "(?P<req>[^"]*)" (?P<status>\d{3}) '
                       r'(?P<size>\d+|-) "(?P<ref>[^"]*)" "(?P<ua>[^"]*)"$')


def check_access(path: str, name: str, host: str, events: list[Ev]) -> int:
    prev = None
    n = 0
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            where = f"{name}:{i}"
            m = ACCESS_RE.match(line.rstrip("\n"))
            if not m:
                fail(f"{where}: not an Apache combined line: {line[:80]!r}")
                continue
            n += 1
            t = datetime.strptime(m["ts"], "%d/%b/%Y:%H:%M:%S %z").astimezone(UTC)
            in_week(t, where)
            if prev is not None and t < prev:
                fail(f"{where}: time goes backwards ({m['ts']})")
            prev = t
            events.append((t, host, set(), line))
            events.append((t, m["ip"], set(), line))  # the client address, for IP-keyed rows
    return n


# ---------------------------------------------------------------------------- Zeek conn.log TSV

ZEEK_FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes "
               "resp_bytes conn_state local_orig local_resp missed_bytes history orig_pkts "
               "orig_ip_bytes resp_pkts resp_ip_bytes tunnel_parents").split()


def check_zeek(path: str, name: str, events: list[Ev]) -> int:
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    expected_head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)",
                     "#unset_field\t-", "#path\tconn"]
    if lines[:5] != expected_head:
        fail(f"{name}: unexpected header lines {lines[:5]!r}")
    if not lines[5].startswith("#open\t"):
        fail(f"{name}: line 6 is not #open")
    fields = lines[6].split("\t")
    if fields[0] != "#fields" or fields[1:] != ZEEK_FIELDS:
        fail(f"{name}: #fields differ from the conn.log fields")
    types = lines[7].split("\t")
    if types[0] != "#types" or len(types) != len(fields):
        fail(f"{name}: #types missing or of the wrong length")
    if not lines[-1].startswith("#close\t"):
        fail(f"{name}: last line is not #close")
    prev = None
    n = 0
    for i, line in enumerate(lines[8:-1], 9):
        where = f"{name}:{i}"
        if line.startswith("#"):
            fail(f"{where}: unexpected header line inside the body")
            continue
        cols = line.split("\t")
        if len(cols) != len(ZEEK_FIELDS):
            fail(f"{where}: {len(cols)} columns, expected {len(ZEEK_FIELDS)}")
            continue
        n += 1
        if not re.fullmatch(r"\d{10}\.\d{6}", cols[0]):
            fail(f"{where}: ts {cols[0]!r} is not epoch seconds with microseconds")
            continue
        t = datetime.fromtimestamp(float(cols[0]), UTC)
        in_week(t, where)
        if prev is not None and t < prev:
            fail(f"{where}: ts goes backwards")
        prev = t
        if not re.fullmatch(r"C[A-Za-z0-9]{17}", cols[1]):
            fail(f"{where}: odd uid {cols[1]!r}")
        for ip in (cols[2], cols[4]):
            events.append((t, ip, set(), line))
    return n


# ---------------------------------------------------------------------------- labels.tsv

LABEL_HEADER = "host\tuser\tstart\tend\tcause\ttechniques\trisk\tstory"
CAUSES = {"malicious", "legitimate", "misconfiguration"}
RISKS = {"critical", "high", "medium", "low"}
TECH_RE = re.compile(r"T\d{4}(?:\.\d{3})?")


def parse_rfc3339(s: str) -> datetime:
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def check_labels(path: str, events: list[Ev]) -> int:
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if lines[0] != LABEL_HEADER:
        fail(f"labels.tsv: header is {lines[0]!r}")
    rows = [ln.split("\t") for ln in lines[1:]]
    for i, r in enumerate(rows, 2):
        where = f"labels.tsv:{i}"
        if len(r) != 8:
            fail(f"{where}: {len(r)} columns")
            continue
        host, user, start, end, cause, techs, risk, story = r
        try:
            t0, t1 = parse_rfc3339(start), parse_rfc3339(end)
        except ValueError:
            fail(f"{where}: bad time in {start!r} / {end!r}")
            continue
        if t0 > t1:
            fail(f"{where}: start after end")
        if cause not in CAUSES:
            fail(f"{where}: bad cause {cause!r}")
        if risk not in RISKS:
            fail(f"{where}: bad risk {risk!r}")
        for tech in filter(None, techs.split(",")):
            if not TECH_RE.fullmatch(tech):
                fail(f"{where}: bad technique {tech!r}")
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", story):
            fail(f"{where}: story {story!r} is not a slug")
        if host == "*":
            continue
        h = short(host) if not re.fullmatch(r"[\d.]+", host) else host
        hits = [e for e in events if e[1] == h and t0 <= e[0] <= t1
                and (not user or user.lower() in e[2])]
        if not hits:
            fail(f"{where}: no event on {host!r} (user {user or 'any'!r}) in {start} .. {end}")
    last = rows[-1] if rows else []
    if last[:1] != ["*"] or last[4:5] != ["legitimate"] or last[7:8] != ["background"]:
        fail("labels.tsv: the last row must be the `*` legitimate background row")
    return len(rows)


# ---------------------------------------------------------------------------- main

def main() -> int:
    events: list[Ev] = []
    counts: dict[str, int] = {}
    for h in ("WS01", "WS02", "FS01", "DC01"):
        name = f"windows/{h}.jsonl"
        counts[name] = check_windows(os.path.join(HERE, name), name, events)
    for name in ("linux/web01-auth.log", "linux/web01-syslog", "linux/backup01-syslog"):
        counts[name] = check_syslog(os.path.join(HERE, name), name, events)
    counts["web/access.log"] = check_access(os.path.join(HERE, "web/access.log"), "web/access.log",
                                            "web01", events)
    counts["network/conn.log"] = check_zeek(os.path.join(HERE, "network/conn.log"), "network/conn.log",
                                            events)
    counts["labels.tsv rows"] = check_labels(os.path.join(HERE, "labels.tsv"), events)
    total = 0
    for name, n in counts.items():
        print(f"{n:6d}  {name}")
        if not name.startswith("labels"):
            total += n
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(HERE) for f in fs
               if not f.endswith((".py", ".md")) and "__pycache__" not in d)
    print(f"{total:6d}  events in all, {size / 1e6:.2f} MB of data")
    if size > 1_600_000:
        fail(f"data files total {size} bytes, more than the ~1.5 MB budget")
    for e in ERRORS[:50]:
        print("ERROR", e)
    if len(ERRORS) > 50:
        print(f"... and {len(ERRORS) - 50} more errors")
    print("OK" if not ERRORS else f"FAILED ({len(ERRORS)} errors)")
    return 0 if not ERRORS else 1


if __name__ == "__main__":
    sys.exit(main())
