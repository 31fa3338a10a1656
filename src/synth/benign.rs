//! Benign and misconfiguration sessions of the same hosts: admin routines, user work and
//! service accounts (some of which look like attacks), and the misconfigurations a small
//! company's admin meets, each labelled with what a verdict should say and how to fix it.

use chrono::{DateTime, Utc};

use super::atomics::Platform;
use super::record::{Candidate, Record, Role, Story};
use super::world::World;
use crate::event::{Cause, Risk};

/// One kind of session: its label and the function that writes it.
pub struct Scenario {
    pub name: &'static str,
    pub platform: Platform,
    pub cause: Cause,
    pub risk: Risk,
    /// The technique it resembles (a benign lookalike is labelled with it, as the project's
    /// sample labels do), empty when it resembles none.
    pub techniques: &'static [&'static str],
    pub title: &'static str,
    pub fix: &'static [&'static str],
    pub make: fn(&mut Scene<'_>),
}

/// What a scenario writes into: the estate, a start time, a random stream, the enabled
/// output kinds; it fills `records` and names its host and acting account.
pub struct Scene<'w> {
    pub world: &'w World,
    pub start: DateTime<Utc>,
    pub rng: super::rng::Rng,
    pub enabled: &'w [super::record::OutFormat],
    pub host: String,
    pub user: String,
    pub summary: String,
    pub records: Vec<Record>,
    pub known_pids: Vec<u32>,
    pub other_users: Vec<String>,
    pub actor_uid: Option<u32>,
}

/// Every scenario for `platform`.
pub fn scenarios(platform: Platform) -> Vec<Scenario> {
    let all = super::benign_win::SCENARIOS
        .into_iter()
        .chain(super::lookalike_win::SCENARIOS)
        .chain(super::misconfig_win::SCENARIOS)
        .chain(super::network_win::SCENARIOS)
        .chain(super::callback_win::SCENARIOS)
        .chain(super::callback_linux::SCENARIOS)
        .chain(super::benign_linux::SCENARIOS)
        .chain(super::lookalike_linux::SCENARIOS)
        .chain(super::misconfig_linux::SCENARIOS);
    all.filter(|s| s.platform == platform).collect()
}

/// Writes one instance of `s`.
pub fn instance(
    s: &Scenario,
    world: &World,
    start: DateTime<Utc>,
    seed: u64,
    copy: u64,
    enabled: &[super::record::OutFormat],
) -> Candidate {
    let rng = super::rng::Rng::derive(seed, &["scenario", s.name, &copy.to_string()]);
    let mut scene = Scene {
        world,
        start,
        rng,
        enabled,
        host: String::new(),
        user: String::new(),
        summary: String::new(),
        records: Vec::new(),
        known_pids: Vec::new(),
        other_users: vec!["system".into(), "root".into()],
        actor_uid: None,
    };
    (s.make)(&mut scene);
    let story: Vec<&Record> = scene
        .records
        .iter()
        .filter(|r| r.role == Role::Story)
        .collect();
    let (first, last) = match (story.first(), story.last()) {
        (Some(a), Some(b)) => (a.time, b.time),
        _ => (start, start),
    };
    let host = world.host(&scene.host);
    let known = host.map(|h| h.boot.pids().to_vec()).unwrap_or_default();
    let mut c = Candidate {
        story: Story {
            id: String::new(),
            cause: s.cause,
            techniques: s.techniques.iter().map(|t| t.to_string()).collect(),
            risk: s.risk,
            host: scene.host,
            user: scene.user,
            start: first,
            end: last,
            title: s.title.to_string(),
            summary: scene.summary,
            fix: s.fix.iter().map(|f| f.to_string()).collect(),
            source: format!("scenario {}", s.name),
        },
        records: scene.records,
        known_pids: known.into_iter().chain(scene.known_pids).collect(),
        other_users: scene.other_users,
        actor_uid: scene.actor_uid,
    };
    super::winflow::add_host_flows(&mut c, world, enabled, seed);
    c
}
