//! Fakes at the workbench's seams: an assessment backend that streams canned tokens and a
//! small ATT&CK table. Tests, the frame benchmark and demos without a model use them; the real
//! engine and catalog are tested where they live.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::backend::{
    AssessBackend, AssessPriority, AssessProgress, AssessSink, AssessUpdate, TechniqueLookup,
};
use crate::assess::{AssessState, Assessment, Verdict};
use crate::event::{Cause, Risk};

const TECHNIQUES: &[(&str, &str, &[&str])] = &[
    (
        "T1003.001",
        "OS Credential Dumping: LSASS Memory",
        &["credential-access"],
    ),
    (
        "T1021.001",
        "Remote Services: Remote Desktop Protocol",
        &["lateral-movement"],
    ),
    ("T1046", "Network Service Discovery", &["discovery"]),
    (
        "T1053.005",
        "Scheduled Task/Job: Scheduled Task",
        &["execution", "persistence", "privilege-escalation"],
    ),
    (
        "T1059.001",
        "Command and Scripting Interpreter: PowerShell",
        &["execution"],
    ),
    (
        "T1059.003",
        "Command and Scripting Interpreter: Windows Command Shell",
        &["execution"],
    ),
    (
        "T1071.001",
        "Application Layer Protocol: Web Protocols",
        &["command-and-control"],
    ),
    (
        "T1078",
        "Valid Accounts",
        &[
            "defense-evasion",
            "persistence",
            "privilege-escalation",
            "initial-access",
        ],
    ),
    (
        "T1110.001",
        "Brute Force: Password Guessing",
        &["credential-access"],
    ),
    (
        "T1110.003",
        "Brute Force: Password Spraying",
        &["credential-access"],
    ),
    (
        "T1136.001",
        "Create Account: Local Account",
        &["persistence"],
    ),
    (
        "T1190",
        "Exploit Public-Facing Application",
        &["initial-access"],
    ),
    (
        "T1543.003",
        "Create or Modify System Process: Windows Service",
        &["persistence", "privilege-escalation"],
    ),
    (
        "T1547.001",
        "Boot or Logon Autostart Execution: Registry Run Keys / Startup Folder",
        &["persistence", "privilege-escalation"],
    ),
    (
        "T1562.001",
        "Impair Defenses: Disable or Modify Tools",
        &["defense-evasion"],
    ),
];

/// A few common techniques with names and tactics.
pub struct FakeTechniques;

impl TechniqueLookup for FakeTechniques {
    fn name(&self, id: &str) -> Option<String> {
        TECHNIQUES
            .iter()
            .find(|t| t.0.eq_ignore_ascii_case(id))
            .map(|t| t.1.to_string())
    }
    fn tactics(&self, id: &str) -> Vec<String> {
        TECHNIQUES
            .iter()
            .find(|t| t.0.eq_ignore_ascii_case(id))
            .map(|t| t.2.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default()
    }
    fn all(&self) -> Vec<(String, String)> {
        TECHNIQUES
            .iter()
            .map(|t| (t.0.to_string(), t.1.to_string()))
            .collect()
    }
}

/// A fixed verdict for `session_id`, as the fake model "writes" it.
pub fn canned_assessment(session_id: &str) -> Assessment {
    let created: DateTime<Utc> = DateTime::from_timestamp(1_772_445_600, 0).unwrap_or_default();
    let verdict = Verdict {
        cause: Cause::Malicious,
        cause_explanation: "Repeated failed logons from one address, then a success.".into(),
        risk_level: Risk::High,
        risk_justification: "A password was guessed for a valid account.".into(),
        business_impact: "The account can reach file shares.".into(),
        likelihood: "likely".into(),
        investigation_priority: 2,
        techniques: vec!["T1110.001".into(), "T1078".into()],
        anomalous_patterns: vec!["40 failures in 2 minutes".into()],
        summary: "Password guessing against bob succeeded.".into(),
        remediation: vec![
            "Reset the password".into(),
            "Block the source address".into(),
        ],
        evidence: Vec::new(),
    };
    Assessment {
        session_id: session_id.to_string(),
        verdict: verdict.clone(),
        model_verdict: Some(verdict),
        adjustments: Vec::new(),
        dropped_techniques: Vec::new(),
        model_id: "fake-model".into(),
        prompt_version: "v1".into(),
        latency_ms: 1234,
        created,
        from_cache: false,
        prompt_tokens: 900,
        completion_tokens: 160,
    }
}

/// Streams `chunks` token chunks, `delay` apart, then reports [`canned_assessment`].
pub struct FakeAssess {
    sink: Mutex<Option<AssessSink>>,
    progress: Arc<AssessProgress>,
    delay: Duration,
    chunks: usize,
    cached: Mutex<HashMap<String, Assessment>>,
    cancelled: Arc<Mutex<HashSet<String>>>,
    /// Session ids asked for, in order (tests look at it).
    pub asked: Mutex<Vec<String>>,
}

impl FakeAssess {
    pub fn new(delay: Duration, chunks: usize) -> FakeAssess {
        FakeAssess {
            sink: Mutex::new(None),
            progress: Arc::default(),
            delay,
            chunks,
            cached: Mutex::new(HashMap::new()),
            cancelled: Arc::default(),
            asked: Mutex::new(Vec::new()),
        }
    }

    pub fn with_cached(self, a: Assessment) -> FakeAssess {
        if let Ok(mut c) = self.cached.lock() {
            c.insert(a.session_id.clone(), a);
        }
        self
    }

    fn sink(&self) -> Option<AssessSink> {
        self.sink.lock().ok().and_then(|s| s.clone())
    }
}

impl AssessBackend for FakeAssess {
    fn connect(&self, sink: AssessSink) {
        if let Ok(mut s) = self.sink.lock() {
            *s = Some(sink);
        }
    }

    fn load_cached(&self, session_ids: Vec<String>) {
        let (Some(sink), Ok(cached)) = (self.sink(), self.cached.lock()) else {
            return;
        };
        for id in session_ids {
            if let Some(a) = cached.get(&id) {
                let mut u = AssessUpdate::state(&id, 0, AssessState::FromCache);
                u.assessment = Some(a.clone());
                sink.send(u);
            }
        }
    }

    fn assess(&self, session_id: &str, request: u64, _priority: AssessPriority) {
        if let Ok(mut a) = self.asked.lock() {
            a.push(session_id.to_string());
        }
        let Some(sink) = self.sink() else { return };
        if let Ok(mut c) = self.cancelled.lock() {
            c.remove(session_id);
        }
        let (id, progress, cancelled) = (
            session_id.to_string(),
            self.progress.clone(),
            self.cancelled.clone(),
        );
        let (delay, chunks) = (self.delay, self.chunks);
        progress.queued.fetch_add(1, Ordering::Relaxed);
        sink.send(AssessUpdate::state(&id, request, AssessState::Queued));
        std::thread::spawn(move || {
            progress.queued.fetch_sub(1, Ordering::Relaxed);
            progress.running.fetch_add(1, Ordering::Relaxed);
            let text = "{\"cause\": \"malicious\", \"cause_explanation\": \"Repeated failed logons from one address, then a success.\", \"risk_level\": \"high\" ";
            let words: Vec<&str> = text.split_inclusive(' ').collect();
            let mut alive = true;
            for i in 0..chunks {
                if cancelled.lock().map(|c| c.contains(&id)).unwrap_or(false) {
                    sink.send(AssessUpdate::state(&id, request, AssessState::NotAssessed));
                    alive = false;
                    break;
                }
                let mut u = AssessUpdate::state(&id, request, AssessState::Running);
                u.tokens = Some(words[i % words.len()].to_string());
                progress.tokens.fetch_add(1, Ordering::Relaxed);
                if !sink.send(u) {
                    alive = false;
                    break;
                }
                std::thread::sleep(delay);
            }
            progress.running.fetch_sub(1, Ordering::Relaxed);
            if alive {
                let mut u = AssessUpdate::state(&id, request, AssessState::Done);
                u.assessment = Some(canned_assessment(&id));
                sink.send(u);
                progress.done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }

    fn cancel(&self, session_id: &str) {
        if let Ok(mut c) = self.cancelled.lock() {
            c.insert(session_id.to_string());
        }
    }

    fn progress(&self) -> Arc<AssessProgress> {
        self.progress.clone()
    }
}
