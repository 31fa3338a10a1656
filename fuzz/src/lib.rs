//! The fuzz targets: one function per input lookout parses, each taking arbitrary bytes and
//! checking what must hold for any input (no panic, reports that account for every event,
//! stored events that read back as written).
//!
//! Two drivers share this file: `cargo fuzz` (libFuzzer, nightly: `fuzz/fuzz_targets/`) and
//! the stable mutation loop in `tests/fuzz.rs` (`#[path]`-included there), which runs in every
//! test suite for a bounded time.

use lookout::Format;
use lookout::config::Config;
use lookout::detect::RuleSet;
use lookout::event::Event;
use lookout::index::{decode_event, encode_event};
use lookout::ingest::{ExpansionLimit, IngestOptions, detect_format, read_bytes};
use lookout::tui::keymap::{Key, Keymap};
use lookout::tui::theme::Theme;

/// A fuzz target: a name and the function that takes one input.
pub struct Target {
    pub name: &'static str,
    /// Runs one input; returns a signature of what the input did (formats, outcome, error
    /// kinds) that the stable mutation loop uses to keep inputs that behave in new ways.
    pub run: fn(&[u8]) -> u64,
    /// What the mutation loop seeds it from.
    pub seeds: Seeds,
}

/// The seed family of a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeds {
    /// Log files; with a format, those detected as it come first.
    Logs(Option<Format>),
    SigmaRules,
    Config,
    Theme,
    Keymap,
    /// Stored events (encoded from parsed logs).
    StoredEvents,
}

/// Every target, `ingest_<format>` for each format lookout reads.
pub fn targets() -> Vec<Target> {
    let mut t = vec![
        Target {
            name: "detect_format",
            run: detect,
            seeds: Seeds::Logs(None),
        },
        Target {
            name: "ingest_auto",
            run: ingest_auto,
            seeds: Seeds::Logs(None),
        },
    ];
    for (i, f) in Format::ALL.iter().enumerate() {
        t.push(Target {
            name: INGEST_NAMES[i],
            run: INGEST_FNS[i],
            seeds: Seeds::Logs(Some(*f)),
        });
    }
    t.extend([
        Target {
            name: "sigma_rules",
            run: sigma_rules,
            seeds: Seeds::SigmaRules,
        },
        Target {
            name: "config",
            run: config,
            seeds: Seeds::Config,
        },
        Target {
            name: "theme",
            run: theme,
            seeds: Seeds::Theme,
        },
        Target {
            name: "keymap",
            run: keymap,
            seeds: Seeds::Keymap,
        },
        Target {
            name: "event_codec",
            run: event_codec,
            seeds: Seeds::StoredEvents,
        },
    ]);
    t
}

/// Runs the target called `name` on one input (the libFuzzer entry points call this).
pub fn run(name: &str, data: &[u8]) {
    static TARGETS: std::sync::OnceLock<Vec<Target>> = std::sync::OnceLock::new();
    match TARGETS.get_or_init(targets).iter().find(|t| t.name == name) {
        Some(t) => {
            (t.run)(data);
        }
        None => panic!("no fuzz target named {name}"),
    }
}

/// Small limits, so that modest inputs reach the cut, refusal and bomb paths.
fn options(format: Option<Format>) -> IngestOptions {
    IngestOptions {
        format,
        max_line_bytes: 4096,
        expansion: ExpansionLimit {
            floor_bytes: 1 << 20,
            ratio: 4,
        },
        ..IngestOptions::default()
    }
}

/// Names that steer detection's tie-breakers, picked by the input's last byte.
const NAMES: [&str; 8] = [
    "fuzz.log",
    "auth.log",
    "conn.log",
    "eve.json",
    "x.csv",
    "access.log",
    "audit.log",
    "x.evtx",
];

fn name_for(data: &[u8]) -> &'static str {
    NAMES[data.last().map_or(0, |b| *b as usize) % NAMES.len()]
}

pub fn detect(data: &[u8]) -> u64 {
    signature(&[detect_format(name_for(data), data).as_str()])
}

/// A hash of what an input did; digits are left out of error texts so that offsets and counts
/// do not make every input look new.
fn signature(parts: &[&str]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for p in parts {
        p.chars()
            .filter(|c| !c.is_ascii_digit())
            .take(48)
            .for_each(|c| c.hash(&mut h));
        0xffu8.hash(&mut h);
    }
    h.finish()
}

fn outcome<T, E: std::fmt::Display>(r: &Result<T, E>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e.to_string(),
    }
}

/// Ingests `data` (as a file) with `format` forced or detected; checks the reports.
pub fn ingest(data: &[u8], format: Option<Format>) -> u64 {
    let mut events = 0u64;
    let reports = read_bytes(name_for(data), data, &options(format), &mut |ev: Event| {
        assert!(!ev.id.is_empty(), "an event without an id");
        // Messages are one-line summaries of at most 400 characters (each may be escaped).
        assert!(
            ev.message.chars().count() <= 400 * 12 + 1 && !ev.message.contains('\n'),
            "a message that is not a one-line summary"
        );
        events += 1;
    });
    assert!(!reports.is_empty(), "no report for an input");
    let reported: u64 = reports.iter().map(|r| r.events).sum();
    assert_eq!(
        reported, events,
        "reports count other events than were emitted"
    );
    let mut parts: Vec<String> = vec![format!("{}", events.min(8))];
    for r in &reports {
        parts.push(r.format.map_or("-", |f| f.as_str()).to_string());
        parts.extend(r.skipped.keys().cloned());
        parts.extend(r.problems.iter().take(3).map(|p| p.detail.clone()));
    }
    signature(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

pub fn ingest_auto(data: &[u8]) -> u64 {
    ingest(data, None)
}

macro_rules! ingest_targets {
    ($($i:literal $name:ident),* $(,)?) => {
        $(fn $name(data: &[u8]) -> u64 {
            ingest(data, Some(Format::ALL[$i]))
        })*
        const INGEST_FNS: [fn(&[u8]) -> u64; 15] = [$($name),*];
        const INGEST_NAMES: [&str; 15] = [$(stringify!($name)),*];
    };
}

// In `Format::ALL` order, named `ingest_<format>` (checked in tests/fuzz.rs).
ingest_targets!(
    0 ingest_evtx,
    1 ingest_win_json,
    2 ingest_zeek_json,
    3 ingest_zeek_tsv,
    4 ingest_suricata_eve,
    5 ingest_slips,
    6 ingest_binetflow,
    7 ingest_json,
    8 ingest_syslog,
    9 ingest_auth_log,
    10 ingest_web_access,
    11 ingest_apache_error,
    12 ingest_csv,
    13 ingest_text,
    14 ingest_auditd,
);

/// A Sigma rule file: loaded, compiled, and matched against an event made of the same text.
pub fn sigma_rules(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let (rules, report) = RuleSet::from_sources([("fuzz.yml", text.as_ref())]);
    assert_eq!(
        rules.len(),
        report.loaded,
        "loaded count differs from the rules"
    );
    let mut ev = Event::new(Format::WinJson, "fuzz", 1, text.as_ref());
    for (i, line) in text.lines().take(16).enumerate() {
        let (k, v) = line.split_once(':').unwrap_or(("CommandLine", line));
        ev.fields.insert(k.trim().to_string(), v.trim().to_string());
        if i == 0 {
            ev.event_id = Some(v.trim().to_string());
        }
    }
    let ev = ev.finish();
    let hits = rules.matches(&ev).len();
    let refusals: Vec<String> = report.defects().take(3).map(|r| format!("{r:?}")).collect();
    let mut parts = vec![format!("{} {}", rules.len().min(4), hits.min(4))];
    parts.extend(refusals);
    signature(&parts.iter().map(String::as_str).collect::<Vec<_>>())
}

pub fn config(data: &[u8]) -> u64 {
    signature(&[&outcome(&Config::from_toml(&String::from_utf8_lossy(data)))])
}

pub fn theme(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let mut t = Theme::builtin_dark();
    let applied = outcome(&t.apply_toml(&text, "fuzz.toml"));
    let roles = Theme::roles_in(&text).len().min(8).to_string();
    signature(&[&applied, &roles])
}

pub fn keymap(data: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(data);
    let user = outcome(&Keymap::builtin().apply(&text, "fuzz.toml", false));
    let defining = outcome(&Keymap::builtin().apply(&text, "fuzz.toml", true));
    let keys = text
        .lines()
        .take(64)
        .filter(|l| Key::parse(l.trim()).is_some())
        .count()
        .min(8)
        .to_string();
    signature(&[&user, &defining, &keys])
}

/// A stored event: whatever decodes must encode and decode back to itself.
pub fn event_codec(data: &[u8]) -> u64 {
    let decoded = decode_event(data);
    if let Ok(ev) = &decoded {
        let mut bytes = Vec::new();
        encode_event(ev, &mut bytes);
        let again = decode_event(&bytes).expect("a re-encoded event must decode");
        assert_eq!(&again, ev, "an event changed through encode and decode");
    }
    signature(&[&outcome(&decoded)])
}
