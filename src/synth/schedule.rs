//! Where and when a test runs: the host and account for a pick (domain-controller tests on
//! the DC, servers as the IT admin), each host's next free time, and which tests are selected.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};

use super::SynthOptions;
use super::atomics::{AtomicTest, Platform};
use super::augment::Variant;
use super::record::Candidate;
use super::rng::Rng;
use super::world::{Host, IT_ADMIN, World};

/// Per host, when it is free again.
pub(super) struct Timeline {
    pub(super) next: BTreeMap<String, DateTime<Utc>>,
}

impl Timeline {
    pub(super) fn slot(&self, host: &str) -> DateTime<Utc> {
        self.next.get(host).copied().unwrap_or_default()
    }
    pub(super) fn take(&mut self, c: &Candidate, r: &mut Rng) {
        let end = c.records.iter().map(|x| x.time).max().unwrap_or_default();
        let gap = Duration::minutes(r.between(15, 90) as i64);
        self.next.insert(c.story.host.clone(), end + gap);
    }
}

/// Attack hosts of a platform, and the host and user a test runs as for a given pick.
fn placement<'w>(
    world: &'w World,
    test: &AtomicTest,
    platform: Platform,
    pick: u64,
) -> (&'w Host, super::world::Account) {
    let hosts: Vec<&Host> = world.of(platform).collect();
    let cmd = test.command.to_ascii_lowercase();
    let ad = [
        "ntds", "get-ad", "dsquery", "dcsync", "krbtgt", "ntdsutil", "dc=",
    ]
    .iter()
    .any(|k| cmd.contains(k));
    let pool: Vec<&Host> = match platform {
        Platform::Windows if ad => hosts.iter().copied().filter(|h| h.name == "DC01").collect(),
        Platform::Windows => hosts
            .iter()
            .copied()
            .filter(|h| !h.server || h.name != "DC01")
            .collect(),
        Platform::Linux => hosts,
    };
    let pool = if pool.is_empty() {
        world.of(platform).collect()
    } else {
        pool
    };
    let host = pool[(pick % pool.len() as u64) as usize];
    let user = if host.server && platform == Platform::Windows {
        IT_ADMIN
    } else {
        host.users[((pick / 7) % host.users.len() as u64) as usize].clone()
    };
    (host, user)
}

/// One test to generate: the test, its platform, its position in the selection (which
/// spreads tests over the hosts) and a salt naming the attempt (round or copy).
pub(super) struct Attempt<'a> {
    pub test: &'a AtomicTest,
    pub platform: Platform,
    pub ordinal: u64,
    pub salt: String,
}

/// The candidate for `a` with variant `v`, at its host's next free time.
pub(super) fn generate(
    a: &Attempt<'_>,
    v: &Variant,
    world: &World,
    t: &Timeline,
    opts: &SynthOptions,
) -> Candidate {
    let (test, platform, ordinal, salt) = (a.test, a.platform, a.ordinal, a.salt.as_str());
    let pick = if v.round == 0 && v.ops.is_empty() {
        ordinal
    } else {
        v.host_pick
    };
    let (host, user) = placement(world, test, platform, pick);
    let start = t.slot(&host.name) + Duration::minutes(v.offset_minutes);
    let rng = Rng::derive(
        opts.seed,
        &["attack", &test.technique, &test.number.to_string(), salt],
    );
    let mut c = match platform {
        Platform::Windows => super::windows::generate(super::windows::Plan {
            test,
            host,
            user: &user,
            start,
            variant: v,
            enabled: &opts.formats,
            rng,
        }),
        Platform::Linux => super::linux::generate(super::linux::Plan {
            test,
            host,
            user: &user,
            start,
            variant: v,
            enabled: &opts.formats,
            rng,
        }),
    };
    super::winflow::add_host_flows(&mut c, world, &opts.formats, opts.seed);
    c.story.id = format!(
        "{}-{}-{}",
        test.technique,
        test.number,
        test.guid.get(..8).unwrap_or("x")
    );
    c
}

/// The tests of `atomics` to run: on the selected platforms, of the selected techniques.
pub fn select(
    tests: &[AtomicTest],
    opts: &SynthOptions,
) -> (Vec<(AtomicTest, Platform)>, u64, BTreeSet<String>) {
    let wanted = |t: &AtomicTest| {
        opts.techniques.is_empty()
            || opts.techniques.iter().any(|w| {
                let w = w.trim().to_ascii_uppercase();
                t.technique == w
                    || (!w.contains('.') && t.technique.split('.').next() == Some(w.as_str()))
            })
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    let mut techniques = BTreeSet::new();
    for t in tests.iter().filter(|t| wanted(t)) {
        let mut any = false;
        for p in &opts.platforms {
            if t.generatable_on(*p) && opts.formats.iter().any(|f| f.platform() == *p) {
                out.push((t.clone(), *p));
                techniques.insert(t.technique.clone());
                any = true;
            }
        }
        if !any && opts.platforms.iter().any(|p| t.runs_on(*p)) {
            skipped += 1;
        }
    }
    (out, skipped, techniques)
}
