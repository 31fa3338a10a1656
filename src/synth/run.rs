//! The generate-evaluate-improve loop: each selected atomic test is generated as written,
//! checked, and if no rule that could vouch for it fires, varied and retried for a bounded
//! number of rounds; passing sessions get extra augmented copies; benign and
//! misconfiguration scenarios are interleaved on the same hosts.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;

use super::atomics::{AtomicTest, Platform};
use super::augment::Variant;
use super::benign::{self, Scenario};
use super::record::Candidate;
use super::report::{RoundStat, SynthReport, TechniqueStat, TechniqueStatus};
use super::rng::Rng;
use super::rulecheck::{Fired, RuleIndex};
use super::schedule::{Attempt, Timeline, generate};
use super::verify::{Checker, Verdict};
use super::world::World;
use super::{SynthError, SynthOptions};
use crate::event::Risk;

/// A session that passed, with what the evaluator found.
#[derive(Debug, Clone)]
pub struct Kept {
    pub candidate: Candidate,
    pub platform: Platform,
    pub fired: Vec<Fired>,
    pub users: BTreeSet<String>,
    pub round: u32,
    pub ops: Vec<&'static str>,
}

/// Everything the loop produced, before it is written.
pub struct Loop {
    pub kept: Vec<Kept>,
    pub report: SynthReport,
}

/// The kind of a failed verdict, for the report's tally.
fn failure_kind(v: &Verdict) -> &'static str {
    if v.problems.is_empty() {
        "no_tagged_rule_fired"
    } else if v.bad_records > 0
        || v.problems
            .iter()
            .any(|p| p.contains(" read as ") || p.contains(" lines gave "))
    {
        "parse"
    } else {
        "consistency"
    }
}

fn risk_of(fired: &[Fired]) -> Risk {
    let top = fired.iter().filter(|f| f.tagged).map(|f| f.level).max();
    match top {
        Some(Risk::Critical) => Risk::Critical,
        _ => Risk::High,
    }
}

/// Runs the loop over `tests` (already selected) and the benign scenarios.
pub fn run(
    tests: &[(AtomicTest, Platform)],
    skipped: u64,
    rules: &RuleIndex<'_>,
    opts: &SynthOptions,
) -> Result<Loop, SynthError> {
    let world = World::new(opts.seed);
    let checker = Checker::new()?;
    let mut timeline = Timeline {
        next: BTreeMap::new(),
    };
    for (i, h) in world.hosts.iter().enumerate() {
        timeline
            .next
            .insert(h.name.clone(), opts.start + Duration::minutes(7 * i as i64));
    }
    let mut gap_rng = Rng::derive(opts.seed, &["gaps"]);
    let mut report = SynthReport {
        synthetic: true,
        seed: opts.seed,
        tests_selected: tests.len() as u64,
        tests_skipped: skipped,
        ..SynthReport::default()
    };
    report.rounds = (0..=opts.rounds)
        .map(|round| RoundStat {
            round,
            ..RoundStat::default()
        })
        .collect();
    let mut kept = Vec::new();
    let mut per_tech: BTreeMap<(String, Platform), TechniqueStat> = BTreeMap::new();
    // Benign scenarios are spread evenly through the attacks.
    let scenarios: Vec<Scenario> = opts
        .platforms
        .iter()
        .flat_map(|p| benign::scenarios(*p))
        .collect();
    let mut benign_jobs: Vec<(usize, u64)> = (0..opts.benign as u64)
        .flat_map(|copy| (0..scenarios.len()).map(move |s| (s, copy)))
        .collect();
    benign_jobs.reverse();
    let every = (tests.len() / benign_jobs.len().max(1)).max(1);
    report.benign.scenarios = scenarios.len() as u64;
    for (ordinal, (test, platform)) in tests.iter().enumerate() {
        let tagged = rules.tagged(*platform, &test.technique);
        let stat = per_tech
            .entry((test.technique.clone(), *platform))
            .or_insert_with(|| TechniqueStat {
                technique: test.technique.clone(),
                platform: *platform,
                status: TechniqueStatus::Failed,
                tests: 0,
                tests_passed: 0,
                sessions: 0,
                tagged_rules: tagged,
                rounds: Vec::new(),
                fired_rules: BTreeSet::new(),
            });
        stat.tests += 1;
        let mut passed_round = None;
        for round in 0..=opts.rounds {
            let v = if round == 0 {
                Variant::base()
            } else {
                Variant::for_round(
                    &mut Rng::derive(
                        opts.seed,
                        &["variant", &test.guid, &test.technique, &round.to_string()],
                    ),
                    round,
                    *platform,
                )
            };
            let attempt = Attempt {
                test,
                platform: *platform,
                ordinal: ordinal as u64,
                salt: round.to_string(),
            };
            let c = generate(&attempt, &v, &world, &timeline, opts);
            let verdict = checker.check(&c, *platform, rules, Some(&test.technique));
            let rs = &mut report.rounds[round as usize];
            rs.tried += 1;
            if verdict.passed() {
                rs.passed += 1;
                timeline.take(&c, &mut gap_rng);
                stat.rounds.push(round);
                keep(&mut kept, stat, c, *platform, verdict, &v);
                passed_round = Some(round);
                break;
            }
            *report
                .failures
                .entry(failure_kind(&verdict).to_string())
                .or_insert(0) += 1;
            if report.sample_problems.len() < 40 {
                let why = if verdict.problems.is_empty() {
                    format!("no tagged rule fired ({} applicable)", verdict.tagged_rules)
                } else {
                    verdict.problems.join("; ")
                };
                report.sample_problems.push(format!(
                    "{} #{} round {round}: {}",
                    test.technique,
                    test.number,
                    crate::text::one_line(&why, 300)
                ));
            }
        }
        if passed_round.is_some() {
            stat.tests_passed += 1;
            for copy in 1..opts.count {
                let round = opts.rounds + copy;
                let v = Variant::random(
                    &mut Rng::derive(
                        opts.seed,
                        &["copy", &test.guid, &test.technique, &copy.to_string()],
                    ),
                    round,
                    *platform,
                );
                let attempt = Attempt {
                    test,
                    platform: *platform,
                    ordinal: ordinal as u64,
                    salt: format!("copy{copy}"),
                };
                let c = generate(&attempt, &v, &world, &timeline, opts);
                let verdict = checker.check(&c, *platform, rules, Some(&test.technique));
                report.augmentation.tried += 1;
                if verdict.passed() {
                    report.augmentation.kept += 1;
                    for op in &v.ops {
                        *report
                            .augmentation
                            .kept_by_op
                            .entry(op.to_string())
                            .or_insert(0) += 1;
                    }
                    timeline.take(&c, &mut gap_rng);
                    let mut c = c;
                    c.story.id = format!("{}-v{copy}", c.story.id);
                    keep(&mut kept, stat, c, *platform, verdict, &v);
                }
            }
        }
        if (ordinal + 1) % every == 0
            && let Some((s, copy)) = benign_jobs.pop()
        {
            run_benign(
                &scenarios[s],
                copy,
                &world,
                &mut timeline,
                &mut gap_rng,
                &checker,
                rules,
                opts,
                &mut kept,
                &mut report,
            );
        }
    }
    while let Some((s, copy)) = benign_jobs.pop() {
        run_benign(
            &scenarios[s],
            copy,
            &world,
            &mut timeline,
            &mut gap_rng,
            &checker,
            rules,
            opts,
            &mut kept,
            &mut report,
        );
    }
    for r in &mut report.rounds {
        r.pass_rate = if r.tried == 0 {
            0.0
        } else {
            r.passed as f64 / r.tried as f64
        };
    }
    report.per_technique = per_tech
        .into_values()
        .map(|mut t| {
            t.status = match (t.sessions, t.fired_rules.is_empty()) {
                (0, _) => TechniqueStatus::Failed,
                (_, true) => TechniqueStatus::UnverifiedByRule,
                (_, false) => TechniqueStatus::RuleVerified,
            };
            t
        })
        .collect();
    Ok(Loop { kept, report })
}

fn keep(
    kept: &mut Vec<Kept>,
    stat: &mut TechniqueStat,
    mut c: Candidate,
    platform: Platform,
    v: Verdict,
    variant: &Variant,
) {
    stat.sessions += 1;
    stat.fired_rules
        .extend(v.fired.iter().filter(|f| f.tagged).map(|f| f.title.clone()));
    c.story.risk = risk_of(&v.fired);
    kept.push(Kept {
        candidate: c,
        platform,
        fired: v.fired,
        users: v.users,
        round: variant.round,
        ops: variant.ops.clone(),
    });
}

#[allow(clippy::too_many_arguments)]
fn run_benign(
    s: &Scenario,
    copy: u64,
    world: &World,
    timeline: &mut Timeline,
    gap: &mut Rng,
    checker: &Checker,
    rules: &RuleIndex<'_>,
    opts: &SynthOptions,
    kept: &mut Vec<Kept>,
    report: &mut SynthReport,
) {
    // A first pass finds the scenario's host (chosen before any time is used), the second
    // writes it at that host's next free time.
    let probe = benign::instance(s, world, opts.start, opts.seed, copy, &opts.formats);
    let start = timeline.slot(&probe.story.host);
    let mut c = benign::instance(s, world, start, opts.seed, copy, &opts.formats);
    c.story.id = format!("{}-{copy}", s.name);
    report.benign.instances += 1;
    let v = checker.check(&c, s.platform, rules, None);
    if !v.problems.is_empty() || v.story_events == 0 {
        *report
            .failures
            .entry(failure_kind(&v).to_string())
            .or_insert(0) += 1;
        if report.sample_problems.len() < 40 {
            report.sample_problems.push(format!(
                "{}: {}",
                s.name,
                crate::text::one_line(&v.problems.join("; "), 300)
            ));
        }
        return;
    }
    report.benign.passed += 1;
    *report
        .benign
        .by_cause
        .entry(s.cause.as_str().to_string())
        .or_insert(0) += 1;
    if !v.fired.is_empty() {
        report.benign.with_rule_hits += 1;
    }
    timeline.take(&c, gap);
    let platform = s.platform;
    kept.push(Kept {
        candidate: c,
        platform,
        fired: v.fired,
        users: v.users,
        round: 0,
        ops: Vec::new(),
    });
}
