//! The OpenSearch index backend on a real OpenSearch 2.19 (started through
//! `scripts/opensearch.sh` on free ports of 127.0.0.1): the demo case ingested into OpenSearch
//! has the same events, sessions and search results as in tantivy; re-ingesting adds nothing;
//! two ingests into one case at once lose nothing; a two-node cluster with replicas keeps
//! answering with a node stopped, and an ingest goes on across a node's restart.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;

use lookout::index::opensearch::OpenSearchIndex;
use lookout::index::{ActorScan, IndexBackend, IndexUrl, OpenSearchUrl, Order, open_case_at};
use lookout::store::Store;

const BIN: &str = env!("CARGO_BIN_EXE_lookout");

/// One cluster at a time: each is one or two JVMs, and this machine has two cores.
static CLUSTERS: Mutex<()> = Mutex::new(());

/// A cluster of its own, stopped (and its data removed) when dropped.
struct Cluster {
    port: u16,
}

impl Cluster {
    fn start(nodes: u32) -> Option<Cluster> {
        common::opensearch()?;
        let out = script(
            &["start", "--port", "auto", "--heap", "512m", "--nodes"],
            nodes,
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        assert!(
            out.status.success() && url.starts_with("opensearch://"),
            "opensearch.sh start: {url}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = url.rsplit(':').next().and_then(|p| p.parse().ok());
        Some(Cluster {
            port: port.expect("a port in the URL"),
        })
    }

    /// The index URL for `prefix` (`extra`: `?replicas=1`, more nodes).
    fn url(&self, prefix: &str) -> String {
        format!("opensearch://127.0.0.1:{}/{prefix}", self.port)
    }

    fn node(&self, verb: &str, node: u32) {
        let out = Command::new("bash")
            .arg(common::repo().join("scripts/opensearch.sh"))
            .args([
                verb,
                "--port",
                &self.port.to_string(),
                "--node",
                &node.to_string(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "opensearch.sh {verb} --node {node}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(common::repo().join("scripts/opensearch.sh"))
            .args(["stop", "--port", &self.port.to_string()])
            .output();
    }
}

fn script(args: &[&str], nodes: u32) -> Output {
    Command::new("bash")
        .arg(common::repo().join("scripts/opensearch.sh"))
        .args(args)
        .arg(nodes.to_string())
        .output()
        .unwrap()
}

/// `lookout` on case `case` of data dir `data`, indexing into `index` (None: tantivy).
fn lookout(data: &Path, case: &str, index: Option<&str>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data)
        .args(["--case", case, "--config"])
        .arg(common::repo().join("sample_logs/lookout.toml"))
        .env_remove("LOOKOUT_STORE")
        .env_remove("LOOKOUT_INDEX");
    if let Some(url) = index {
        cmd.args(["--index", url]);
    }
    cmd
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Ingests sample_logs/ folders (`web` with `--host web01`, as `make demo` does).
fn ingest(data: &Path, case: &str, index: Option<&str>, folders: &[&str]) -> Command {
    let logs = common::repo().join("sample_logs");
    let mut cmd = lookout(data, case, index);
    cmd.arg("ingest");
    if folders == ["web"] {
        cmd.args(["--host", "web01"]);
    }
    cmd.args(folders.iter().map(|d| logs.join(d)));
    cmd
}

fn ingest_demo(data: &Path, index: Option<&str>) {
    ok(
        ingest(data, "demo", index, &["windows", "linux", "network"])
            .output()
            .unwrap(),
        "ingest",
    );
    ok(
        ingest(data, "demo", index, &["web"]).output().unwrap(),
        "ingest web",
    );
}

fn open(index: &IndexUrl, data: &Path, case: &str) -> Box<dyn IndexBackend> {
    open_case_at(index, &data.join("cases").join(case).join("index"), case).unwrap()
}

/// What must agree about a session between the backends (`with_hits`: its rule detections
/// too, which live in the store of the machine that ingested the event).
fn sessions(data: &Path) -> Vec<String> {
    sessions_of(data, true)
}

fn sessions_of(data: &Path, with_hits: bool) -> Vec<String> {
    let store = Store::open(&data.join("lookout.db")).unwrap();
    let mut out: Vec<String> = store
        .sessions("demo")
        .unwrap()
        .into_iter()
        .map(|s| {
            let grouping = format!(
                "{} {} {:?} {} {} {}",
                s.id, s.host, s.user, s.start, s.end, s.events
            );
            if with_hits {
                format!("{grouping} {} {}", s.content_hash, s.detections.len())
            } else {
                grouping
            }
        })
        .collect();
    out.sort();
    out
}

const QUERIES: &[&str] = &[
    "*",
    "failed",
    "Failed",
    "\"failed password\"",
    "\"session opened\"~2",
    "\"accepted pass\"*",
    "cmd.exe",
    "host:ws01.corp.local",
    "host:WEB01",
    "event_id:4625",
    "TargetUserName:alice",
    "fields.CommandLine:whoami",
    "fields.Image:\"system32 userinit.exe\"",
    "user:svc_backup",
    "src_ip:10.0.2.21",
    "pid:[1 TO 5000]",
    "ts:[2026-03-02T08:00:00Z TO 2026-03-02T09:00:00Z}",
    "ts:{2026-03-02T08:24:34.920Z TO *]",
    "failed AND NOT user:root",
    "host:web01 OR host:backup01",
    "channel:security AND event_id: IN [4624 4625]",
    "(password OR logon) AND -host:dc01.corp.local",
    "get AND \"...\"",
    "format:zeek AND dst_ip:10.0.2.10",
];

fn ids(hits: Vec<lookout::event::Event>) -> Vec<String> {
    let mut v: Vec<String> = hits.into_iter().map(|e| e.id).collect();
    v.sort();
    v
}

#[test]
fn the_demo_case_is_the_same_on_opensearch_as_in_tantivy() {
    let _one = CLUSTERS.lock().unwrap_or_else(|p| p.into_inner());
    let Some(cluster) = Cluster::start(1) else {
        return;
    };
    demo_parity(&cluster.url("parity"));
}

/// A case kept one index per month reads as one: the same events, sessions and hits as in
/// tantivy; events of other months go to their own indexes and are found through the alias.
#[test]
fn a_case_kept_per_month_is_the_same_as_one_index() {
    let _one = CLUSTERS.lock().unwrap_or_else(|p| p.into_inner());
    let Some(cluster) = Cluster::start(1) else {
        return;
    };
    let url = format!("{}?per=month", cluster.url("monthly"));
    let team = demo_parity(&url);
    let os_url = opensearch_url(&url);
    let os = OpenSearchIndex::open(&os_url, "demo").unwrap();
    assert!(os.is_monthly());
    let alias = os_url.index_name("demo");
    assert_eq!(
        os.indexes().unwrap(),
        [format!("{alias}~2026-03"), format!("{alias}~undated")],
        "the demo's events are all of March 2026"
    );
    let before = os.count().unwrap();

    // Events across a year's end and one without a time: three more months' indexes.
    let extra = tempfile::tempdir().unwrap();
    let line = |ts: &str, user: &str| {
        format!(
            r#"{{"SourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","Hostname":"WS09.corp.local","TimeCreated":"{ts}","EventID":4625,"Message":"An account failed to log on.","TargetUserName":"{user}","IpAddress":"198.51.100.7"}}"#
        )
    };
    std::fs::write(
        extra.path().join("WS09.jsonl"),
        [
            line("2025-12-31 23:59:59.900", "yearend"),
            line("2026-01-01 00:00:00.100", "newyear"),
            line("2026-02-14 12:00:00.000", "valentine"),
        ]
        .join("\n"),
    )
    .unwrap();
    let out = ingest(
        team.path(),
        "demo",
        Some(&url),
        &[extra.path().to_str().unwrap()],
    )
    .output()
    .unwrap();
    ok(out, "ingest of other months");
    os.reload().unwrap();
    assert_eq!(os.count().unwrap(), before + 3);
    assert_eq!(
        os.indexes().unwrap(),
        [
            format!("{alias}~2025-12"),
            format!("{alias}~2026-01"),
            format!("{alias}~2026-02"),
            format!("{alias}~2026-03"),
            format!("{alias}~undated")
        ]
    );
    let found = os
        .search("host:ws09.corp.local", 10, Order::OldestFirst)
        .unwrap();
    assert_eq!(found.total, 3);
    for ev in &found.events {
        assert_eq!(os.event(&ev.id).unwrap().as_ref(), Some(ev), "fetch by id");
    }
    // A case keeps its layout: opened without `per=month`, it is still read per month.
    let plain = opensearch_url(&cluster.url("monthly"));
    let again = OpenSearchIndex::open(&plain, "demo").unwrap();
    assert!(again.is_monthly());
    assert_eq!(again.count().unwrap(), before + 3);
}

/// The OpenSearch URL `url` parses to.
fn opensearch_url(url: &str) -> OpenSearchUrl {
    match IndexUrl::parse(url).unwrap() {
        IndexUrl::OpenSearch(u) => u,
        other => panic!("not an OpenSearch URL: {other:?}"),
    }
}

/// The demo case ingested into tantivy and into OpenSearch at `url`: the same events, sessions,
/// hits, fetches, scans and histograms; re-ingest adds nothing. Returns the team data folder.
fn demo_parity(url: &str) -> tempfile::TempDir {
    let os_url = IndexUrl::parse(url).unwrap();
    let local = tempfile::tempdir().unwrap();
    let team = tempfile::tempdir().unwrap();
    ingest_demo(local.path(), None);
    ingest_demo(team.path(), Some(url));

    let tv = open(&IndexUrl::Local, local.path(), "demo");
    let os = open(&os_url, team.path(), "demo");
    let count = tv.count().unwrap();
    assert!(count > 5_000, "{count}");
    assert_eq!(os.count().unwrap(), count, "event count");

    // Sessions are built from each backend's scan: the same sessions.
    let (a, b) = (sessions(local.path()), sessions(team.path()));
    assert!(a.len() > 10, "{}", a.len());
    same(a.clone(), b, "sessions");

    let mut found = 0;
    for q in QUERIES {
        let t = tv.search(q, 100_000, Order::OldestFirst);
        let o = os.search(q, 100_000, Order::OldestFirst);
        let (t, o) = match (t, o) {
            (Ok(t), Ok(o)) => (t, o),
            (Err(_), Err(_)) => continue,
            (t, o) => panic!("`{q}`: tantivy {:?} vs opensearch {:?}", t.err(), o.err()),
        };
        assert_eq!(t.total, o.total, "`{q}`: hit count");
        eprintln!("{:>6} hits on both: {q}", t.total);
        found += usize::from(t.total > 0);
        assert_eq!(ids(t.events), ids(o.events), "`{q}`: hits");
    }
    assert!(
        found >= 18,
        "only {found} queries find anything: the comparison proves little"
    );
    // The same refusals.
    for q in ["NOT failed", "pid:abc", "ts:yesterday", "nofield:[a TO b]"] {
        assert!(
            tv.search(q, 10, Order::NewestFirst).is_err(),
            "tantivy `{q}`"
        );
        assert!(
            os.search(q, 10, Order::NewestFirst).is_err(),
            "opensearch `{q}`"
        );
    }
    // Newest first: the newest events, in time order.
    let t = tv.search("failed", 5, Order::NewestFirst).unwrap();
    let o = os.search("failed", 5, Order::NewestFirst).unwrap();
    let times =
        |h: &lookout::index::SearchHits| h.events.iter().map(|e| e.timestamp).collect::<Vec<_>>();
    assert_eq!(times(&t), times(&o));

    // Fetches by id and by key, scans, histograms.
    let some = tv
        .search("event_id:4625", 50, Order::OldestFirst)
        .unwrap()
        .events;
    for ev in &some {
        assert_eq!(os.event(&ev.id).unwrap().as_ref(), Some(ev));
    }
    let keys: Vec<u64> = some.iter().map(|e| e.key()).collect();
    assert_eq!(
        os.events_by_keys(&keys).unwrap(),
        tv.events_by_keys(&keys).unwrap()
    );
    let actor = ActorScan {
        host: "WS01.CORP.LOCAL".into(),
        user: Some("alice".into()),
        ..Default::default()
    };
    let scan = |ix: &dyn IndexBackend| {
        let mut v = Vec::new();
        ix.scan_actor(&actor, &mut |e| {
            v.push(e.id);
            true
        })
        .unwrap();
        v
    };
    let alice = scan(&*tv);
    assert!(!alice.is_empty());
    assert_eq!(scan(&*os), alice, "one actor's events in time order");
    assert_eq!(
        os.histogram("failed", 3600).unwrap(),
        tv.histogram("failed", 3600).unwrap()
    );
    let mut all_t = BTreeSet::new();
    tv.for_each_event(|e| {
        all_t.insert(e.id);
    })
    .unwrap();
    let mut all_o = BTreeSet::new();
    os.for_each_event(|e| {
        all_o.insert(e.id);
    })
    .unwrap();
    assert_eq!(all_t, all_o);

    // Re-ingest: the same files from another machine (its own store) add nothing.
    let again = tempfile::tempdir().unwrap();
    let said = ok(
        ingest(
            again.path(),
            "demo",
            Some(url),
            &["windows", "linux", "network"],
        )
        .output()
        .unwrap(),
        "re-ingest",
    );
    // Its own store does not know the files; the cluster refuses every event as a duplicate.
    assert!(said.contains(" 0 events in "), "{said}");
    assert!(said.contains("events were already in the case"), "{said}");
    ok(
        ingest(again.path(), "demo", Some(url), &["web"])
            .output()
            .unwrap(),
        "re-ingest web",
    );
    os.reload().unwrap();
    assert_eq!(os.count().unwrap(), count, "re-ingest added events");
    same(sessions(again.path()), a, "sessions from the re-ingest");
    team
}

#[test]
fn two_concurrent_ingests_into_one_case_lose_nothing() {
    let _one = CLUSTERS.lock().unwrap_or_else(|p| p.into_inner());
    let Some(cluster) = Cluster::start(1) else {
        return;
    };
    let url = cluster.url("dual");
    let local = tempfile::tempdir().unwrap();
    ingest_demo(local.path(), None);
    let expected = open(&IndexUrl::Local, local.path(), "demo")
        .count()
        .unwrap();

    // Two machines, each with its own evidence folders, into the same case at once.
    let (m1, m2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = ingest(m1.path(), "demo", Some(&url), &["windows", "linux"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let b = ingest(m2.path(), "demo", Some(&url), &["network"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    ok(a.wait_with_output().unwrap(), "ingest on machine 1");
    ok(b.wait_with_output().unwrap(), "ingest on machine 2");
    ok(
        ingest(m2.path(), "demo", Some(&url), &["web"])
            .output()
            .unwrap(),
        "ingest web on machine 2",
    );
    let os = open(&IndexUrl::parse(&url).unwrap(), m1.path(), "demo");
    assert_eq!(os.count().unwrap(), expected, "events lost or repeated");
    // The last ingest saw every event: its sessions are the demo case's (the rule hits of the
    // other machine's events are in that machine's store: a team shares one store).
    same(
        sessions_of(m2.path(), false),
        sessions_of(local.path(), false),
        "sessions",
    );
}

/// `a == b`, or a failure showing the first differences (not thousands of lines).
fn same(a: Vec<String>, b: Vec<String>, what: &str) {
    if a != b {
        let only_a: Vec<_> = a.iter().filter(|x| !b.contains(x)).take(5).collect();
        let only_b: Vec<_> = b.iter().filter(|x| !a.contains(x)).take(5).collect();
        panic!(
            "{what} differ ({} vs {}): only left {only_a:?}, only right {only_b:?}",
            a.len(),
            b.len()
        );
    }
}

#[test]
fn a_two_node_cluster_answers_with_a_node_down_and_ingest_resumes_after_its_restart() {
    let _one = CLUSTERS.lock().unwrap_or_else(|p| p.into_inner());
    let Some(cluster) = Cluster::start(2) else {
        return;
    };
    let url = format!("{}?replicas=1", cluster.url("ha"));
    let os_url = IndexUrl::parse(&url).unwrap();
    let team = tempfile::tempdir().unwrap();
    ok(
        ingest(team.path(), "demo", Some(&url), &["windows"])
            .output()
            .unwrap(),
        "ingest windows",
    );
    let os = open(&os_url, team.path(), "demo");
    let windows = os.count().unwrap();
    let failed = os
        .search("failed", 10_000, Order::OldestFirst)
        .unwrap()
        .total;
    assert!(windows > 1_000 && failed > 0);

    // Node 1 (data only) goes: every shard still has a copy on node 0.
    cluster.node("stop", 1);
    assert_eq!(os.count().unwrap(), windows);
    assert_eq!(
        os.search("failed", 10_000, Order::OldestFirst)
            .unwrap()
            .total,
        failed
    );
    // An ingest while it is down, and one after it is back.
    ok(
        ingest(team.path(), "demo", Some(&url), &["linux"])
            .output()
            .unwrap(),
        "ingest with a node down",
    );
    cluster.node("start", 1);
    ok(
        ingest(team.path(), "demo", Some(&url), &["network"])
            .output()
            .unwrap(),
        "ingest after the restart",
    );
    let local = tempfile::tempdir().unwrap();
    ok(
        ingest(local.path(), "demo", None, &["windows", "linux", "network"])
            .output()
            .unwrap(),
        "tantivy ingest",
    );
    let expected = open(&IndexUrl::Local, local.path(), "demo")
        .count()
        .unwrap();
    os.reload().unwrap();
    assert_eq!(os.count().unwrap(), expected);
}
