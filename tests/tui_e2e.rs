//! End-to-end: the real `lookout` binary in a pseudo-terminal (tmux): open the workbench,
//! filter, search, jump to a hit's session, correct it, quit, then find the correction in the
//! store. Needs tmux (`common`: a note where it is missing, a failure in CI).

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use lookout::case::Case;
use lookout::config::Config;
use lookout::event::{Event, Format};
use lookout::index::WriteMode;
use lookout::store::CorrectionKind;

const BIN: &str = env!("CARGO_BIN_EXE_lookout");

/// A pane driven through tmux; the tmux server is private to the test (its own socket).
struct Pane {
    socket: String,
    name: &'static str,
    /// Where the program's stderr goes, shown when a wait fails.
    stderr: Option<std::path::PathBuf>,
}

impl Pane {
    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn start(socket: String, cmd: &str) -> Pane {
        let p = Pane {
            socket,
            name: "lookout-e2e",
            stderr: None,
        };
        let out = p.tmux(&[
            "new-session",
            "-d",
            "-s",
            p.name,
            "-x",
            "160",
            "-y",
            "48",
            cmd,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        p
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", self.name, k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn text(&self, s: &str) {
        self.tmux(&["send-keys", "-t", self.name, "-l", s]);
        std::thread::sleep(Duration::from_millis(150));
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", self.name]).stdout)
            .into_owned()
    }

    /// Waits until the screen shows `what`; panics with the screen when it does not.
    fn wait_for(&self, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let s = self.screen();
            if s.contains(what) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "waited for `{what}`; screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", self.name])
            .status
            .success()
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// Writes a small case through the library: SSH password guessing on web01, a quiet session
/// on ws01.
fn seed(data_dir: &Path) {
    let mut case = Case::open(data_dir, "demo").unwrap();
    let mut w = case.index.writer(1, 50 << 20).unwrap();
    let base = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .to_utc();
    let mut n = 0;
    let mut add = |host: &str, user: &str, secs: i64, msg: String| {
        n += 1;
        let raw = format!("Mar  2 09:00:{:02} {host} sshd[42]: {msg}", secs % 60);
        let mut e = Event::new(Format::AuthLog, "auth.log", n, raw);
        e.timestamp = Some(base + chrono::Duration::seconds(secs));
        e.host = Some(host.into());
        e.user = Some(user.into());
        e.src_ip = Some("203.0.113.9".into());
        e.event_id = Some("sshd".into());
        e.message = msg;
        let e = e.finish();
        assert!(w.admit(&e, WriteMode::SkipExisting).unwrap());
        w.add(e).unwrap();
    };
    for i in 0..12 {
        add(
            "web01",
            "root",
            i * 3,
            "Failed password for root from 203.0.113.9 port 4711 ssh2".into(),
        );
    }
    add(
        "web01",
        "root",
        40,
        "Accepted password for root from 203.0.113.9 port 4711 ssh2".into(),
    );
    for i in 0..3 {
        add(
            "ws01",
            "bob",
            7200 + i * 60,
            format!("session opened for user bob, step {i}"),
        );
    }
    w.commit().unwrap();
    w.finish().unwrap();
    case.index.reload().unwrap();
    assert!(case.refresh_sessions(&Config::default()).unwrap() >= 2);
}

/// The scripted session; `host` and `query` fit the case.
fn drive(tag: &str, data_dir: &Path, host: &str, query: &str) {
    let home = data_dir.join("home");
    std::fs::create_dir_all(&home).unwrap();
    let cmd = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/.config USER=e2e TERM=xterm-256color {BIN} --data-dir {d} --case demo tui 2>{e}",
        h = home.display(),
        d = data_dir.display(),
        e = data_dir.join("stderr.txt").display()
    );
    let mut pane = Pane::start(format!("lookout-e2e-{tag}-{}", std::process::id()), &cmd);
    pane.stderr = Some(data_dir.join("stderr.txt"));
    pane.wait_for("Sessions 1/");
    // Filter to the host.
    pane.keys(&["f"]);
    pane.text(host);
    pane.keys(&["Enter"]);
    pane.wait_for(&format!("filter {host}"));
    // Search, then jump to the first hit's session.
    pane.keys(&["/"]);
    pane.text(query);
    pane.keys(&["Enter"]);
    pane.wait_for("Hits 1/");
    pane.keys(&["Enter"]);
    pane.wait_for("Timeline (");
    // Correct it: cause one step on, a rationale, save.
    pane.keys(&["c"]);
    pane.wait_for("Correct the verdict");
    pane.keys(&["Right", "Tab", "Tab", "Tab", "Tab", "Tab"]);
    pane.text("e2e: known scanner");
    pane.keys(&["C-s"]);
    pane.wait_for("saved for session");
    pane.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while pane.alive() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!pane.alive(), "lookout did not quit:\n{}", pane.screen());

    let case = Case::open(data_dir, "demo").unwrap();
    let all = case.store.corrections(Some("demo")).unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    let c = &all[0];
    assert_eq!(c.kind, CorrectionKind::Correction);
    assert_eq!(c.rationale, "e2e: known scanner");
    assert_eq!(c.analyst, "e2e");
    assert!(
        case.session(&c.session_id).is_ok(),
        "the correction names a session of the case"
    );
}

#[test]
fn workbench_filter_search_correct_quit() {
    if !common::tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    drive("seeded", dir.path(), "web01", "failed");
}

#[test]
fn workbench_on_sample_logs() {
    if !common::tmux() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_logs");
    let out = Command::new(BIN)
        .args([
            "--data-dir",
            &dir.path().display().to_string(),
            "--case",
            "demo",
            "ingest",
        ])
        .arg(&samples)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let case = Case::open(dir.path(), "demo").unwrap();
    let sessions = case.sessions().unwrap();
    assert!(!sessions.is_empty(), "sample_logs gave no sessions");
    let host = sessions[0].host.clone();
    drop(case);
    drive("samples", dir.path(), &host, "*");
}

/// With a model to answer, opening a case starts the background assessment by itself: the
/// header counts it, and the model's verdicts reach the store with no key pressed.
#[test]
fn opening_a_case_assesses_it_in_the_background() {
    if !common::tmux() {
        return;
    }
    let Some(model) = common::model() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let cmd = format!(
        "env HOME={h} XDG_CONFIG_HOME={h}/.config USER=e2e TERM=xterm-256color LOOKOUT_MODEL={m} {BIN} --data-dir {d} --case demo tui 2>{e}",
        h = home.display(),
        m = model.display(),
        d = dir.path().display(),
        e = dir.path().join("stderr.txt").display()
    );
    let mut pane = Pane::start(format!("lookout-e2e-auto-{}", std::process::id()), &cmd);
    pane.stderr = Some(dir.path().join("stderr.txt"));
    pane.wait_for("Sessions 1/");
    pane.wait_for("assessing");
    let case = Case::open(dir.path(), "demo").unwrap();
    let ids: Vec<String> = case.sessions().unwrap().into_iter().map(|s| s.id).collect();
    let judged = || {
        ids.iter()
            .filter(|id| {
                case.store
                    .latest_assessment(id)
                    .ok()
                    .flatten()
                    .is_some_and(|a| a.model_verdict.is_some())
            })
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while judged() < ids.len() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(
        judged(),
        ids.len(),
        "the model judged every session by itself; screen:\n{}",
        pane.screen()
    );
    pane.keys(&["q"]);
}
