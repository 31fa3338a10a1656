//! A small hand-made case: six sessions, one opened with real timeline code over hand-written
//! events, one assessment done (with evidence) and one streaming. Fixed clock, fixed analyst.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::assess::{AssessState, Assessment, Verdict};
use crate::detect::Hit;
use crate::event::{Cause, Event, Format, Risk};
use crate::sessions::{ActorKind, Session, SessionDetection, timeline};
use crate::store::Correction;
use crate::tui::app::App;
use crate::tui::backend::AssessUpdate;
use crate::tui::fake::FakeTechniques;
use crate::tui::keymap::Keymap;
use crate::tui::msg::{Command, Loaded, Msg, SearchHit, SearchResult, SessionData};
use crate::tui::theme::Theme;
use crate::tui::update::update;

pub fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).single().unwrap()
}

pub fn clock() -> DateTime<Utc> {
    t(12, 0, 0)
}

pub const S1: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
pub const S2: &str = "b2c3d4e5f60718293a4b5c6d7e8f90a1";
pub const S3: &str = "c3d4e5f60718293a4b5c6d7e8f90a1b2";
pub const S4: &str = "d4e5f60718293a4b5c6d7e8f90a1b2c3";
pub const S5: &str = "e5f60718293a4b5c6d7e8f90a1b2c3d4";
pub const S6: &str = "f60718293a4b5c6d7e8f90a1b2c3d4e5";

fn det(title: &str, level: Risk, techniques: &[&str], count: u64) -> SessionDetection {
    SessionDetection {
        rule_id: title.to_lowercase().replace(' ', "_"),
        title: title.into(),
        level,
        techniques: techniques.iter().map(|s| s.to_string()).collect(),
        count,
        event_ids: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
fn session(
    id: &str,
    host: &str,
    actor: &str,
    start: DateTime<Utc>,
    mins: i64,
    events: u64,
    format: &str,
    detections: Vec<SessionDetection>,
) -> Session {
    Session {
        id: id.into(),
        host: host.into(),
        user: Some(actor.into()),
        actor_kind: ActorKind::User,
        actor: actor.into(),
        start,
        end: start + chrono::Duration::minutes(mins),
        duration_s: mins * 60,
        hour: 9,
        weekend: false,
        formats: [(format.to_string(), events)].into_iter().collect(),
        events,
        parsed_events: events,
        fallback_events: 0,
        detections,
        label: None,
        content_hash: String::new(),
        event_ids: Default::default(),
        processes: vec!["powershell.exe".into()],
        remote_ips: vec!["10.0.0.7".into()],
        accounts: Default::default(),
        linked: Vec::new(),
    }
}

pub fn sessions() -> Vec<Session> {
    vec![
        session(
            S1,
            "WS01",
            "bob",
            t(9, 0, 0),
            14,
            6,
            "win_json",
            vec![det("Brute force logon", Risk::High, &["T1110.001"], 4)],
        ),
        session(
            S2,
            "FS01",
            "svc_backup",
            t(9, 5, 0),
            3,
            12,
            "win_json",
            vec![],
        ),
        session(
            S3,
            "DC01",
            "it_admin",
            t(9, 20, 0),
            45,
            1830,
            "evtx",
            vec![det(
                "LSASS memory access",
                Risk::Critical,
                &["T1003.001"],
                1,
            )],
        ),
        session(
            S4,
            "web01",
            "root",
            t(10, 2, 0),
            8,
            420,
            "auth_log",
            vec![det("SSH brute force", Risk::Medium, &["T1110.001"], 40)],
        ),
        session(
            S5,
            "LAPTOP7",
            "carol\x1b[2J",
            t(11, 30, 0),
            1,
            3,
            "win_json",
            vec![],
        ),
        session(
            S6,
            "WS02",
            "alice",
            t(11, 45, 0),
            20,
            88,
            "win_json",
            vec![det("Office spawns shell", Risk::Low, &["T1059.003"], 1)],
        ),
    ]
}

/// The events of S1: failures, a success, a hostile command line.
pub fn events() -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..4u32 {
        let raw = format!(
            r#"{{"EventID":4625,"Hostname":"WS01","TargetUserName":"bob","IpAddress":"10.0.0.7","Status":"0xc000006d","TimeCreated":"2026-03-02 09:00:0{i}"}}"#
        );
        let mut e = Event::new(Format::WinJson, "security.json", u64::from(i) + 1, raw);
        e.timestamp = Some(t(9, 0, i));
        e.host = Some("WS01".into());
        e.user = Some("bob".into());
        e.src_ip = Some("10.0.0.7".into());
        e.event_id = Some("4625".into());
        e.channel = Some("Security".into());
        e.message = "An account failed to log on: bob from 10.0.0.7".into();
        e.fields.insert("Status".into(), "0xc000006d".into());
        out.push(e.finish());
    }
    let raw = r#"{"EventID":4624,"Hostname":"WS01","TargetUserName":"bob","IpAddress":"10.0.0.7","LogonType":"3"}"#;
    let mut e = Event::new(Format::WinJson, "security.json", 5, raw);
    e.timestamp = Some(t(9, 1, 0));
    e.host = Some("WS01".into());
    e.user = Some("bob".into());
    e.event_id = Some("4624".into());
    e.message = "An account was successfully logged on: bob from 10.0.0.7".into();
    out.push(e.finish());
    let raw = "{\"EventID\":1,\"Image\":\"C:\\\\Windows\\\\System32\\\\cmd.exe\",\"CommandLine\":\"cmd /c echo \\u001b[2Jpwned\"}";
    let mut e = Event::new(Format::WinJson, "sysmon.json", 6, raw);
    e.timestamp = Some(t(9, 2, 30));
    e.host = Some("WS01".into());
    e.user = Some("bob".into());
    e.process = Some("C:\\Windows\\System32\\cmd.exe".into());
    e.pid = Some(4242);
    e.command_line = Some("cmd /c echo \x1b[2Jpwned".into());
    e.event_id = Some("1".into());
    e.message = "Process created: cmd /c echo \x1b[2Jpwned".into();
    out.push(e.finish());
    out
}

pub fn hits(events: &[Event]) -> Vec<Hit> {
    events
        .iter()
        .filter(|e| e.event_id.as_deref() == Some("4625"))
        .map(|e| Hit {
            rule_id: "brute_force_logon".into(),
            title: "Brute force logon".into(),
            level: Risk::High,
            techniques: ["T1110.001".to_string()].into(),
            tactics: ["credential-access".to_string()].into(),
            event_id: e.id.clone(),
            events: Vec::new(),
        })
        .collect()
}

pub fn session_data(full: bool) -> Box<SessionData> {
    let events = events();
    let hits = hits(&events);
    let timeline = if full {
        timeline::full(&events, &hits)
    } else {
        timeline::condense(&events, &hits, 1500)
    };
    let session = sessions().remove(0);
    Box::new(SessionData {
        session,
        full,
        timeline,
        events,
        hits,
        candidates: candidates(),
        candidates_error: None,
    })
}

/// Technique candidates of S1, one with hostile text in what it matched.
pub fn candidates() -> Vec<crate::model::Candidate> {
    vec![
        crate::model::Candidate {
            technique: "T1110.001".into(),
            name: "Brute Force: Password Guessing".into(),
            score: 12.5,
            source: "ATT&CK procedure: APT28".into(),
            procedure: "APT28 guessed passwords against accounts.".into(),
            terms: vec!["4625".into(), "logon".into()],
            matched: vec!["An account failed to log on: bob".into()],
        },
        crate::model::Candidate {
            technique: "T1059.003".into(),
            name: "Command and Scripting Interpreter: Windows Command Shell".into(),
            score: 6.25,
            source: "atomic T1059.003 #1: \x1b]0;pwned\x07cmd".into(),
            procedure: "cmd /c echo".into(),
            terms: vec!["cmd".into(), "echo\x1b[2J".into()],
            matched: vec!["cmd /c echo \x1b[2Jpwned".into()],
        },
    ]
}

pub fn assessment(session_id: &str, evidence: Vec<String>) -> Assessment {
    let verdict = Verdict {
        cause: Cause::Malicious,
        cause_explanation:
            "Four failed logons from 10.0.0.7 then a success: the password was guessed.".into(),
        risk_level: Risk::High,
        risk_justification: "A valid account is now in an attacker's hands.".into(),
        business_impact: "bob can reach the finance share.".into(),
        likelihood: "likely".into(),
        investigation_priority: 2,
        techniques: vec!["T1110.001".into(), "T1078".into()],
        anomalous_patterns: vec!["4 failures in 3 seconds".into()],
        summary: "Password guessing against bob succeeded, then cmd ran.".into(),
        remediation: vec!["Reset bob's password".into(), "Block 10.0.0.7".into()],
        evidence,
    };
    let mut model = verdict.clone();
    model.risk_level = Risk::Medium;
    Assessment {
        session_id: session_id.into(),
        verdict,
        model_verdict: Some(model),
        adjustments: vec!["rule floor: `Brute force logon` (high) raised risk from medium".into()],
        dropped_techniques: vec!["T9999".into()],
        model_id: "3f9a0c1d2e".into(),
        prompt_version: "v1".into(),
        latency_ms: 2310,
        created: t(10, 0, 0),
        from_cache: false,
        prompt_tokens: 812,
        completion_tokens: 164,
    }
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Sends every message, collecting the commands.
pub fn send(app: &mut App, msgs: impl IntoIterator<Item = Msg>) -> Vec<Command> {
    msgs.into_iter().flat_map(|m| update(app, m)).collect()
}

pub fn typed(app: &mut App, text: &str) -> Vec<Command> {
    send(app, text.chars().map(key).collect::<Vec<_>>())
}

/// The case loaded, S1 assessed (evidence: the success), S3 assessing with tokens streamed.
pub fn app(size: (u16, u16)) -> App {
    let mut app = App::new("demo", Theme::builtin_dark(), Keymap::builtin());
    app.lookup = std::sync::Arc::new(FakeTechniques);
    app.clock = clock;
    app.analyst = "ana".into();
    app.size = size;
    send(
        &mut app,
        [Msg::SessionsLoaded(Ok(Loaded {
            sessions: sessions(),
            corrections: Vec::new(),
        }))],
    );
    let success = events()[4].id.clone();
    let mut done = AssessUpdate::state(S1, 0, AssessState::FromCache);
    done.assessment = Some(assessment(S1, vec![success]));
    let mut running = AssessUpdate::state(S3, 7, AssessState::Running);
    running.tokens =
        Some("{\"cause\": \"malicious\", \"cause_explanation\": \"LSASS read by".into());
    send(&mut app, [Msg::Assess(done), Msg::Assess(running)]);
    app.next_request = 100;
    app
}

pub fn hit(i: u32) -> SearchHit {
    SearchHit::of(&events()[i as usize])
}

pub fn search_result(query: &str) -> SearchResult {
    SearchResult {
        query: query.into(),
        total: 5,
        hits: (0..5).map(hit).collect(),
    }
}

/// Opens S1 as the sessions screen would; returns the request of its load.
pub fn open_s1(app: &mut App) -> u64 {
    let cmds = crate::tui::update::open_session(app, S1, None);
    let Command::LoadSession { request, .. } = cmds[0] else {
        panic!("{cmds:?}")
    };
    request
}

/// The worker's answer to the load `request`: S1 with the condensed (or full) timeline.
pub fn loaded(app: &mut App, request: u64, full: bool) -> Vec<Command> {
    send(
        app,
        [Msg::SessionLoaded {
            request,
            result: Ok(session_data(full)),
        }],
    )
}

/// The request and correction of the one command, a `SaveCorrection`.
pub fn save_command(cmds: &[Command]) -> (u64, Correction) {
    let [
        Command::SaveCorrection {
            request,
            correction,
        },
    ] = cmds
    else {
        panic!("{cmds:?}")
    };
    (*request, correction.clone())
}

/// The store's answer to the save `request`: the correction back with its row id.
pub fn saved(app: &mut App, request: u64, correction: &Correction, id: i64) -> Vec<Command> {
    let mut stored = correction.clone();
    stored.id = id;
    send(
        app,
        [Msg::CorrectionSaved {
            request,
            result: Ok(stored),
        }],
    )
}
