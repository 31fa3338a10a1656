#!/usr/bin/env python3
"""Compare lookout's Sigma hits with an independent evaluation of the same rules on the same
events: pySigma (its SQLite backend and its Windows/Sysmon pipelines) over the events
flattened into one SQLite table, the way Zircolite works.

    python3 -m venv /tmp/sigvenv
    /tmp/sigvenv/bin/pip install pysigma==1.5.1 pysigma-backend-sqlite==2.0.0 \
        pysigma-pipeline-windows==2.0.1 pysigma-pipeline-sysmon==2.0.0
    /tmp/sigvenv/bin/python scripts/sigma-agreement.py \
        --lookout target/debug/lookout \
        --rules ../shared/datasets/sigmahq/rules \
        --events ../shared/datasets/evtx-attack

    # the fixture of tests/detect_sigmahq.rs (synthetic events built from the rules):
    /tmp/sigvenv/bin/python scripts/sigma-agreement.py \
        --rules ../shared/datasets/sigmahq/rules --synthetic tests/fixtures/detect

What each side sees:
- Events: lookout ingests `--events` into a scratch case; the script reads them back with
  `lookout search --json` and flattens each record's *raw* EVTX JSON itself (System fields
  by name, EventData/UserData leaves by name, `Provider_Name`), so that lookout's own parser
  and field mapping are under test too. Empty values are kept as ''.
- Rules: the same folder. lookout matches with `lookout detect --json --pairs`; pySigma
  converts each rule with the pipelines that route its logsource as lookout documents it
  (logsource.rs): Sysmon categories through `sysmon` + `windows-logsources`,
  `process_creation` also through `windows-audit` (Security 4688), services through
  `windows-logsources` (pySigma's channel table), `ps_*` through `windows-logsources`, and
  the few routes pySigma has no pipeline for (file_access, file_rename, antivirus, three
  services its table lacks) through the small pipelines in `extra_pipelines` below.

Agreement is reported on (rule, event) pairs that either side reports, over the rules both
sides can evaluate (pySigma's SQLite backend cannot convert keyword rules; those are listed).
Exit status 0 when agreement >= --min (default 0.99).
"""

import argparse
import collections
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.pipelines.sysmon import sysmon_pipeline
from sigma.pipelines.sysmon.sysmon import sysmon_generic_logsource_eventid_mapping
from sigma.pipelines.windows import windows_audit_pipeline, windows_logsource_pipeline
from sigma.processing.conditions import (
    IncludeFieldCondition,
    LogsourceCondition,
    RuleProcessingItemAppliedCondition,
)
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    AddConditionTransformation,
    FieldMappingTransformation,
)
from sigma.rule import SigmaRule

KERNEL_FILE = "Microsoft-Windows-Kernel-File"


# ---------------------------------------------------------------------------------------------
# Events: lookout's parsed events, flattened from their raw record


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{r.stderr}")
    return r.stdout


def scalar(v):
    """A leaf value as the text Sigma compares (None stays None: the field is absent)."""
    if isinstance(v, dict):
        return scalar(v.get("#text")) if "#text" in v else None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return json.dumps(v, separators=(",", ":"))
    return v


def flatten_evtx(raw):
    """Zircolite-style flattening of one EVTX record (evtx crate JSON) into {field: text}."""
    row = {}
    event = json.loads(raw).get("Event", {})
    system = event.get("System") or {}
    for k, v in system.items():
        if k == "Provider":
            attrs = (v or {}).get("#attributes", {})
            if "Name" in attrs:
                row["Provider_Name"] = attrs["Name"]
            if "Guid" in attrs:
                row["Provider_Guid"] = attrs["Guid"]
        elif k == "TimeCreated":
            row["TimeCreated"] = ((v or {}).get("#attributes") or {}).get("SystemTime")
        elif isinstance(v, dict) and "#attributes" in v and "#text" not in v:
            for a, av in v["#attributes"].items():
                row[f"{k}_{a}"] = scalar(av)
        else:
            row[k] = scalar(v)
    for section in ("EventData", "UserData"):
        data = event.get(section)
        if not isinstance(data, dict):
            continue
        if section == "UserData" and len(data) == 1:
            # `UserData.LogFileCleared.SubjectUserName`: the wrapper element adds nothing.
            inner = next(iter(data.values()))
            data = inner if isinstance(inner, dict) else data
        for k, v in data.items():
            if k == "#attributes":
                continue
            if isinstance(v, dict) and "#text" not in v:
                for k2, v2 in v.items():
                    if k2 != "#attributes":
                        row[k2] = "" if v2 is None else scalar(v2)
            else:
                # An element present without text (<Data Name="X"/>) is an empty value.
                row[k] = "" if v is None else scalar(v)
    return row


def load_events(lookout, data_dir, case):
    out = run([lookout, "--data-dir", data_dir, "--case", case, "search", "--json",
               "--limit", "100000000", "format:evtx"])
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    return events


def build_table(events):
    db = sqlite3.connect(":memory:")
    db.create_function("REGEXP", 2, regexp, deterministic=True)
    rows, columns = [], {}
    for ev in events:
        row = flatten_evtx(ev["raw"])
        row["lookout_id"] = ev["id"]
        rows.append(row)
        for k in row:
            # SQLite column names ignore case: the first spelling wins.
            columns.setdefault(k.lower(), k)
    cols = list(columns.values())
    db.execute("CREATE TABLE logs (" + ", ".join(
        f'"{c}" TEXT COLLATE NOCASE' for c in cols) + ")")
    lower = {c.lower(): c for c in cols}
    for row in rows:
        vals = {lower[k.lower()]: v for k, v in row.items()}
        db.execute(
            "INSERT INTO logs (" + ", ".join(f'"{c}"' for c in vals) + ") VALUES ("
            + ", ".join("?" for _ in vals) + ")", list(vals.values()))
    return db, cols


_regex_cache = {}


def regexp(pattern, value):
    """Sigma's `re`: an unanchored search, case-sensitive unless the rule says `(?i)`."""
    if value is None:
        return False
    r = _regex_cache.get(pattern)
    if r is None:
        r = _regex_cache[pattern] = re.compile(pattern)
    return r.search(value) is not None


# ---------------------------------------------------------------------------------------------
# Rules: the routes of lookout's logsource.rs, expressed as pySigma pipelines


def extra_pipelines():
    """Routes pySigma ships no pipeline for, written out here (see logsource.rs)."""
    kernel_file = lambda ids: AddConditionTransformation(
        {"Provider_Name": KERNEL_FILE, "EventID": ids})
    return {
        # file_access: Kernel-File 12 (FileName as is) ...
        "file_access/kernel-file": ProcessingPipeline(name="file_access via Kernel-File", items=[
            ProcessingItem(transformation=kernel_file([12]),
                           rule_conditions=[LogsourceCondition(category="file_access")]),
        ]),
        # ... or Security 4663 on a file, ObjectName/ProcessName standing for FileName/Image.
        "file_access/4663": ProcessingPipeline(name="file_access via Security 4663", items=[
            ProcessingItem(
                identifier="fa4663",
                transformation=AddConditionTransformation(
                    {"Channel": "Security", "EventID": 4663, "ObjectType": "File"}),
                rule_conditions=[LogsourceCondition(category="file_access")]),
            ProcessingItem(
                transformation=FieldMappingTransformation(
                    {"FileName": "ObjectName", "Image": "ProcessName"}),
                rule_conditions=[RuleProcessingItemAppliedCondition("fa4663")]),
        ]),
        # antivirus: Windows Defender's detections, Threat Name/Path read as Signature/Filename.
        "antivirus": ProcessingPipeline(name="antivirus via Windows Defender", items=[
            ProcessingItem(
                identifier="av",
                transformation=AddConditionTransformation({
                    "Channel": "Microsoft-Windows-Windows Defender/Operational",
                    "EventID": [1006, 1015, 1116, 1117]}),
                rule_conditions=[LogsourceCondition(category="antivirus")]),
            ProcessingItem(
                transformation=FieldMappingTransformation(
                    {"Signature": "Threat Name", "Filename": "Path"}),
                rule_conditions=[RuleProcessingItemAppliedCondition("av")]),
        ]),
        "file_rename": ProcessingPipeline(name="file_rename via Kernel-File", items=[
            ProcessingItem(transformation=kernel_file([19, 27]),
                           rule_conditions=[LogsourceCondition(category="file_rename")]),
        ]),
    }


# Services SigmaHQ rules use that pySigma's channel table lacks; lookout's table adds them.
EXTRA_SERVICE_CHANNELS = {
    "ldap": "Microsoft-Windows-LDAP-Client/Debug",
    "iis-configuration": "Microsoft-IIS-Configuration/Operational",
    "smbserver-connectivity": "Microsoft-Windows-SMBServer/Connectivity",
}

PS_CATEGORIES = {"ps_module", "ps_script", "ps_classic_start", "ps_classic_provider_start",
                 "ps_classic_script"}


def pipelines_for(rule, extra):
    """The pipelines whose union is the set of events lookout routes `rule` to, or a reason
    why no EVTX event can reach it."""
    ls = rule.logsource
    product, category, service = ls.product, ls.category, ls.service
    if product not in (None, "windows"):
        return None, f"product {product}: no EVTX event is routed to it"
    if product is None and category == "antivirus":
        return [extra["antivirus"]], None
    if product is None and category is not None and service is None:
        return None, f"category {category} without product: web/network logs only"
    if product is None and service is not None:
        return None, f"service {service} without product: web/network logs only"
    if category in sysmon_generic_logsource_eventid_mapping and category != "file_delete_detected":
        ps = [sysmon_pipeline() + windows_logsource_pipeline()]
        if category == "process_creation":
            ps.append(windows_audit_pipeline() + windows_logsource_pipeline())
        return ps, None
    if category == "file_delete_detected":
        return [sysmon_pipeline() + windows_logsource_pipeline()], None
    if category in PS_CATEGORIES:
        return [windows_logsource_pipeline()], None
    if category == "file_access":
        return [extra["file_access/kernel-file"], extra["file_access/4663"]], None
    if category == "file_rename":
        return [extra["file_rename"]], None
    if category is not None:
        return None, f"category {category}: not routed by lookout"
    if service in EXTRA_SERVICE_CHANNELS:
        item = ProcessingItem(
            transformation=AddConditionTransformation({"Channel": EXTRA_SERVICE_CHANNELS[service]}),
            rule_conditions=[LogsourceCondition(service=service)])
        return [ProcessingPipeline(name=f"service {service}", items=[item])], None
    return [windows_logsource_pipeline()], None


def rule_files(rules_dir):
    return sorted(p for p in Path(rules_dir).rglob("*") if p.suffix in (".yml", ".yaml"))


def evaluate_pysigma(rules_dir, db, skip_ids):
    """{rule id: set(event ids)} for every rule pySigma converts, and the rules it cannot."""
    extra = extra_pipelines()
    hits, not_evaluated, evaluated = {}, {}, set()
    for path in rule_files(rules_dir):
        try:
            coll = SigmaCollection.from_yaml(path.read_text(), collect_errors=True)
        except Exception as e:  # noqa: BLE001 -- a broken file is reported, never fatal
            not_evaluated[str(path)] = f"pySigma cannot read: {e}"
            continue
        text = path.read_text()
        for index, rule in enumerate(coll.rules):
            if not isinstance(rule, SigmaRule):
                continue
            rid = str(rule.id) if rule.id else rule.title
            if rid in skip_ids:
                continue
            if rule.errors:
                not_evaluated[rid] = f"pySigma: {rule.errors[0]}"
                continue
            pipes, why = pipelines_for(rule, extra)
            if pipes is None:
                not_evaluated[rid] = why
                continue
            matched, failed = set(), None
            for p in pipes:
                # Each conversion works on a fresh parse: pipelines change the rule, and a
                # to_dict()/from_dict() copy loses escapes (`\\\\*` comes back as `\\*`).
                r = SigmaCollection.from_yaml(text, collect_errors=True).rules[index]
                try:
                    queries = sqliteBackend(processing_pipeline=p).convert_rule(r)
                except Exception as e:  # noqa: BLE001
                    failed = f"{type(e).__name__}: {e}"
                    break
                for q in queries:
                    q = q.replace("SELECT * FROM", "SELECT lookout_id FROM", 1)
                    try:
                        matched.update(x for (x,) in db.execute(q))
                    except sqlite3.OperationalError as e:
                        if "no such column" in str(e):
                            # A field no event carries: the comparison is false on every row.
                            matched.update(x for (x,) in db.execute(
                                absent_columns_query(q, db)))
                        else:
                            failed = f"SQLite: {e}"
            if failed:
                not_evaluated[rid] = failed
                continue
            evaluated.add(rid)
            if matched:
                hits[rid] = matched
    return hits, evaluated, not_evaluated


def absent_columns_query(q, db):
    """Adds every column the query names that the table lacks, as NULL, then returns `q`."""
    for _ in range(200):
        try:
            db.execute(q + " LIMIT 0")
            return q
        except sqlite3.OperationalError as e:
            m = re.search(r"no such column: (.+)$", str(e))
            if not m:
                raise
            col = m.group(1).strip('`"')
            db.execute(f'ALTER TABLE logs ADD COLUMN "{col}" TEXT COLLATE NOCASE')
    return q


# ---------------------------------------------------------------------------------------------
# Synthetic events: one near-positive event per rule (and a case-flipped twin), built from the
# rule's own values, so that every modifier SigmaHQ uses meets both engines; the Rust test
# tests/detect_sigmahq.rs matches them with lookout and compares with pySigma's pairs.

SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"


def concrete(value, rnd):
    """A text that the Sigma value (after pySigma applied the modifiers) accepts, or None."""
    from sigma.types import (SigmaBool, SigmaCIDRExpression, SigmaCompareExpression,
                             SigmaExpansion, SigmaNull, SigmaNumber, SigmaString, SpecialChars)
    if isinstance(value, SigmaExpansion):
        return concrete(rnd.choice(value.values), rnd)
    if isinstance(value, SigmaString):
        out = []
        for part in value.s:
            if part == SpecialChars.WILDCARD_MULTI:
                out.append("Zq")
            elif part == SpecialChars.WILDCARD_SINGLE:
                out.append("Q")
            elif isinstance(part, str):
                out.append(part)
            else:
                return None  # placeholders
        return "".join(out)
    if isinstance(value, SigmaNumber):
        return str(value.number)
    if isinstance(value, SigmaCIDRExpression):
        import ipaddress
        net = ipaddress.ip_network(value.cidr, strict=False)
        return str(net[1] if net.num_addresses > 2 else net.network_address)
    if isinstance(value, SigmaBool):
        return "true" if value.boolean else "false"
    if isinstance(value, SigmaCompareExpression):
        n = value.number.number
        op = value.op.name
        return str(n + 1 if op in ("GT", "GTE") else n - 1)
    if isinstance(value, SigmaNull):
        return None
    return None  # regular expressions, field references: left out


def selection_fields(det, rnd, out):
    """Fields that satisfy one selection (the first alternative of a list of maps)."""
    from sigma.rule import SigmaDetection, SigmaDetectionItem
    if isinstance(det, SigmaDetection):
        items = det.detection_items
        if det.item_linking is not None and det.item_linking.__name__ == "ConditionOR" and items:
            items = items[:1]
        for item in items:
            selection_fields(item, rnd, out)
        return
    if not isinstance(det, SigmaDetectionItem) or det.field is None:
        return
    values = [v for v in (concrete(v, rnd) for v in det.value) if v is not None]
    if not values:
        return
    if det.value_linking.__name__ == "ConditionAND":
        text = " ".join(values)
    else:
        text = rnd.choice(values)
    prev = out.get(det.field)
    out[det.field] = text if prev is None else prev + " " + text


def synthetic_event(rule, rnd):
    ls = rule.logsource
    fields = {}
    if ls.category in sysmon_generic_logsource_eventid_mapping:
        ids = sysmon_generic_logsource_eventid_mapping[ls.category]
        fields.update(Channel=SYSMON_CHANNEL, EventID=str(ids[0] if isinstance(ids, list) else ids),
                      Provider_Name="Microsoft-Windows-Sysmon")
    elif ls.category in PS_CATEGORIES:
        ps = {"ps_module": ("Microsoft-Windows-PowerShell/Operational", 4103),
              "ps_script": ("Microsoft-Windows-PowerShell/Operational", 4104),
              "ps_classic_start": ("Windows PowerShell", 400),
              "ps_classic_provider_start": ("Windows PowerShell", 600),
              "ps_classic_script": ("Windows PowerShell", 800)}[ls.category]
        fields.update(Channel=ps[0], EventID=str(ps[1]))
    elif ls.service is not None:
        from sigma.pipelines.common import windows_logsource_mapping
        ch = windows_logsource_mapping.get(ls.service) or EXTRA_SERVICE_CHANNELS.get(ls.service)
        if ch is None:
            return None
        fields["Channel"] = ch[0] if isinstance(ch, list) else ch
    else:
        return None
    for name, det in rule.detection.detections.items():
        if not name.startswith("filter"):
            selection_fields(det, rnd, fields)
    fields.setdefault("EventID", "0")
    return fields


def write_synthetic(rules_dir, out_path, seed=20):
    """Synthetic events (JSON lines, `{"fields": {...}}`) for every Windows rule pySigma reads."""
    import random
    rnd = random.Random(seed)
    events = []
    for path in rule_files(rules_dir):
        try:
            coll = SigmaCollection.from_yaml(path.read_text(), collect_errors=True)
        except Exception:  # noqa: BLE001
            continue
        for rule in coll.rules:
            if not isinstance(rule, SigmaRule) or rule.errors or rule.logsource.product != "windows":
                continue
            ev = synthetic_event(rule, rnd)
            if ev is None:
                continue
            events.append(ev)
            # Its twin with every value's case flipped (Channel, EventID kept).
            events.append({k: (v if k in ("Channel", "EventID", "Provider_Name") else v.swapcase())
                           for k, v in ev.items()})
    with open_gz(out_path) as f:
        for ev in events:
            f.write(json.dumps(ev, separators=(",", ":"), ensure_ascii=False) + "\n")
    return events


def open_gz(path):
    """A gzip text file whose bytes depend on its name and content only (mtime 0)."""
    import gzip
    import io
    return io.TextIOWrapper(gzip.GzipFile(str(path), mode="wb", mtime=0), encoding="utf-8")


def synthetic_table(events):
    """The synthetic events as the table the SQL runs on; lookout_id is the line number."""
    db = sqlite3.connect(":memory:")
    db.create_function("REGEXP", 2, regexp, deterministic=True)
    cols = {}
    for ev in events:
        for k in ev:
            cols.setdefault(k.lower(), k)
    names = list(cols.values())
    db.execute("CREATE TABLE logs (lookout_id TEXT, " + ", ".join(
        f'"{c}" TEXT COLLATE NOCASE' for c in names) + ")")
    for i, ev in enumerate(events, 1):
        vals = {cols[k.lower()]: v for k, v in ev.items()}
        db.execute("INSERT INTO logs (lookout_id, " + ", ".join(f'"{c}"' for c in vals)
                   + ") VALUES (?, " + ", ".join("?" for _ in vals) + ")",
                   [str(i)] + list(vals.values()))
    return db


# ---------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lookout", help="the lookout binary")
    ap.add_argument("--rules", required=True, help="the rule folder (e.g. SigmaHQ rules/)")
    ap.add_argument("--events", help="EVTX files or folder to ingest")
    ap.add_argument("--data-dir", help="lookout data dir (default: a fresh temporary one)")
    ap.add_argument("--json", help="write the full comparison here")
    ap.add_argument("--write-pairs", help="write pySigma's pairs as TSV (rule id, file relative "
                    "to --events, record id): the fixture tests/detect_sigmahq.rs compares with")
    ap.add_argument("--min", type=float, default=0.99, help="agreement needed for exit 0")
    ap.add_argument("--show", type=int, default=3, help="example events per disagreement")
    ap.add_argument("--synthetic", metavar="DIR",
                    help="instead: write synthetic events built from the rules and pySigma's "
                    "pairs on them into DIR (the fixture of tests/detect_sigmahq.rs)")
    a = ap.parse_args()
    if a.synthetic:
        return synthetic_main(a)

    data_dir = a.data_dir or tempfile.mkdtemp(prefix="sigma-agreement-")
    case = "agreement"
    # Ingest is idempotent: files already in the case are skipped.
    run([a.lookout, "--data-dir", data_dir, "--case", case, "ingest", "--json", a.events])
    events = load_events(a.lookout, data_dir, case)
    by_id = {e["id"]: e for e in events}
    det = json.loads(run([a.lookout, "--data-dir", data_dir, "--case", case, "detect",
                          "--rules", a.rules, "--no-builtin", "--json", "--pairs"]))
    lookout_pairs = {(r, e) for r, e in det["pairs"] if e in by_id}
    print(f"events: {len(events)} EVTX records; lookout: {det['rules_loaded']} rules loaded, "
          f"{len(det['unsupported'])} refused, {len(lookout_pairs)} hits on them")

    db, cols = build_table(events)
    # Rules lookout refuses are not compared (their refusal is the test of `lookout rules`).
    refused = set()
    for u in det["unsupported"]:
        refused.add(u["file"])
    skip_ids = set()
    for path in rule_files(a.rules):
        if str(path) in refused:
            for doc in re.findall(r"(?m)^id:\s*(\S+)", path.read_text()):
                skip_ids.add(doc.strip("'\""))
    py_hits, evaluated, not_evaluated = evaluate_pysigma(a.rules, db, skip_ids)
    py_pairs = {(r, e) for r, evs in py_hits.items() for e in evs}

    lk = {p for p in lookout_pairs if p[0] in evaluated}
    unevaluated_lookout = collections.Counter(p[0] for p in lookout_pairs if p[0] not in evaluated)
    both, only_lk, only_py = lk & py_pairs, lk - py_pairs, py_pairs - lk
    union = len(lk | py_pairs)
    agreement = len(both) / union if union else 1.0
    print(f"pySigma: {len(evaluated)} rules evaluated, {len(not_evaluated)} not "
          f"({collections.Counter(v.split(':')[0] for v in not_evaluated.values()).most_common(8)})")
    print(f"pairs: both {len(both)}, lookout only {len(only_lk)}, pySigma only {len(only_py)}; "
          f"agreement {agreement:.4f} ({len(both)}/{union})")
    if unevaluated_lookout:
        print("lookout hits of rules pySigma could not evaluate (not in the agreement):")
        for rid, n in unevaluated_lookout.most_common():
            print(f"  {rid}: {n} hits; {not_evaluated.get(rid, '?')}")

    def describe(side, pairs):
        per_rule = collections.defaultdict(list)
        for r, e in pairs:
            per_rule[r].append(e)
        for r, evs in sorted(per_rule.items(), key=lambda kv: -len(kv[1])):
            print(f"  [{side}] {r}: {len(evs)} events")
            for e in evs[: a.show]:
                ev = by_id[e]
                print(f"      {ev['event_id']} {ev['channel']} {Path(ev['source']).name}#{ev['record']}")

    if only_lk or only_py:
        print("disagreements by rule:")
        describe("lookout only", only_lk)
        describe("pySigma only", only_py)
    if a.write_pairs:
        root = Path(a.events).resolve()
        lines = sorted(
            f"{r}\t{Path(by_id[e]['source']).resolve().relative_to(root)}\t{by_id[e]['record']}"
            for r, e in py_pairs)
        Path(a.write_pairs).write_text(
            "# pySigma (sqlite backend, windows/sysmon pipelines) hits of the SigmaHQ rules on the\n"
            "# EVTX corpus: rule id, file under the corpus, EVTX record id. Written by\n"
            "# scripts/sigma-agreement.py --write-pairs; read by tests/detect_sigmahq.rs.\n"
            "# `!` lines: rules pySigma cannot evaluate (its SQLite backend has no keyword search).\n"
            + "".join(f"!\t{r}\t{why}\n" for r, why in sorted(not_evaluated.items())
                      if "no EVTX event" not in why and "web/network" not in why)
            + "\n".join(lines) + "\n")
    if a.json:
        Path(a.json).write_text(json.dumps({
            "events": len(events), "rules_evaluated": len(evaluated),
            "not_evaluated": not_evaluated, "both": len(both),
            "lookout_only": sorted(only_lk), "pysigma_only": sorted(only_py),
            "agreement": agreement,
        }, indent=1))
    return 0 if agreement >= a.min else 1


def synthetic_main(a):
    out = Path(a.synthetic)
    out.mkdir(parents=True, exist_ok=True)
    events = write_synthetic(a.rules, out / "sigmahq-synthetic.events.jsonl.gz")
    db = synthetic_table(events)
    hits, evaluated, not_evaluated = evaluate_pysigma(a.rules, db, set())
    pairs = sorted((r, int(e)) for r, evs in hits.items() for e in evs)
    with open_gz(out / "sigmahq-synthetic.pysigma.tsv.gz") as f:
        f.write("# pySigma's hits on sigmahq-synthetic.events.jsonl: rule id, event line (1-based).\n"
                "# Written by scripts/sigma-agreement.py --synthetic; read by tests/detect_sigmahq.rs.\n"
                "# `!` lines: Windows rules pySigma cannot evaluate.\n")
        for r, why in sorted(not_evaluated.items()):
            if "no EVTX event" not in why and "web/network" not in why:
                f.write(f"!\t{r}\t{why}\n")
        for r, e in pairs:
            f.write(f"{r}\t{e}\n")
    print(f"{len(events)} synthetic events, {len(evaluated)} rules evaluated, {len(pairs)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
