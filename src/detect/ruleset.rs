//! The compiled rule set: load (builtin and folders) and match events, the hot path.

use std::collections::HashMap;
use std::path::PathBuf;

use rsigma_eval::{CompiledRule, Engine, EvaluationResult, evaluate_rule};

use super::builtin::BUILTIN_RULES;
use super::correlate::Correlator;
use super::correlation::Correlation;
use super::dispatch::{Dispatch, RouteKey};
use super::fields::SigmaView;
use super::load::{Builder, LoadReport, RoutedRule, RuleInfo};
use super::logsource::{Facts, Route};
use crate::event::Event;
use crate::model::Hit;

/// Rules sharing one logsource route: those that may match any event id, and per event id
/// those written for given ids (a rule for several ids is in each of theirs; an event has
/// one id, so it meets the rule once). See prefilter.rs. The matchers themselves are in
/// [`RuleSet::matchers`]; a group holds their indexes.
struct Group {
    route: Route,
    any_id: Option<u32>,
    by_id: HashMap<u32, u32>,
}

/// A few rules are evaluated one by one; more go into an rsigma engine, whose candidate
/// index (field witnesses, Aho-Corasick over values) picks the rules worth evaluating. The
/// index costs a probe of every field of the event, more than evaluating a handful of rules.
enum Matcher {
    Direct(Vec<CompiledRule>),
    Indexed(Box<Engine>),
}

/// Up to this many rules, [`Matcher::Direct`].
const DIRECT_MAX: usize = 16;

impl Matcher {
    fn new(rules: Vec<CompiledRule>) -> Matcher {
        if rules.len() <= DIRECT_MAX {
            return Matcher::Direct(rules);
        }
        let mut engine = Engine::new();
        engine.extend_compiled_rules(rules);
        Matcher::Indexed(Box::new(engine))
    }

    fn evaluate(&self, view: &SigmaView<'_>, out: &mut Vec<EvaluationResult>) {
        match self {
            Matcher::Direct(rules) => {
                out.extend(rules.iter().filter_map(|r| evaluate_rule(r, view)))
            }
            Matcher::Indexed(engine) => out.extend(engine.evaluate(view)),
        }
    }
}

impl Group {
    /// Builds the group's matchers into `matchers` (in a fixed order: any id first, then by
    /// ascending id) and keeps their indexes.
    fn new(route: Route, rules: Vec<RoutedRule>, matchers: &mut Vec<Matcher>) -> Group {
        let mut any = Vec::new();
        let mut by_id: HashMap<u32, Vec<CompiledRule>> = HashMap::new();
        for (rule, ids) in rules {
            match ids {
                None => any.push(rule),
                Some(ids) => {
                    for id in ids {
                        by_id.entry(id).or_default().push(rule.clone());
                    }
                }
            }
        }
        let mut add = |rules: Vec<CompiledRule>| {
            matchers.push(Matcher::new(rules));
            (matchers.len() - 1) as u32
        };
        let any_id = (!any.is_empty()).then(|| add(any));
        let mut ids: Vec<(u32, Vec<CompiledRule>)> = by_id.into_iter().collect();
        ids.sort_by_key(|(id, _)| *id);
        Group {
            route,
            any_id,
            by_id: ids.into_iter().map(|(id, r)| (id, add(r))).collect(),
        }
    }

    /// The matchers an event with this id meets.
    fn matchers(&self, event_id: Option<u32>) -> impl Iterator<Item = u32> + '_ {
        self.any_id
            .into_iter()
            .chain(event_id.and_then(|id| self.by_id.get(&id).copied()))
    }
}

/// Compiled Sigma rules, grouped by logsource so that an event only meets the groups whose
/// route accepts it. Immutable once built, so `Send + Sync` and shareable across threads.
pub struct RuleSet {
    rules: Vec<RuleInfo>,
    /// Each rule's hit without its event, in `rules` order: a match only adds the event id.
    templates: Vec<Hit>,
    groups: Vec<Group>,
    /// Every group's matchers; groups and the dispatch memo refer to them by index.
    matchers: Vec<Matcher>,
    /// The matchers each kind of event meets, remembered (see dispatch.rs).
    pub(super) dispatch: Dispatch,
    /// Correlation rules (their `RuleInfo`s follow the rules they reference in `rules`).
    correlations: Vec<Correlation>,
    /// Per rule (index in `rules`), the correlations referencing it: `(correlation, position
    /// in its rules)`.
    references: Vec<Vec<(usize, usize)>>,
    /// Per rule, whether its hits are only for correlations (`generate: false`, the
    /// default, and no correlation that generates).
    silent: Vec<bool>,
}

impl RuleSet {
    /// The project's default rules (`rules/`), embedded in the binary.
    pub fn builtin() -> (RuleSet, LoadReport) {
        Self::load(&[], true)
    }

    /// Builtin rules (when `include_builtin`) plus every `.yml`/`.yaml` under `extra_dirs`.
    pub fn load(extra_dirs: &[PathBuf], include_builtin: bool) -> (RuleSet, LoadReport) {
        let mut b = Builder::default();
        if include_builtin {
            for (name, text) in BUILTIN_RULES {
                b.add_source(&format!("builtin:{name}"), text);
            }
        }
        for dir in extra_dirs {
            b.add_dir(dir);
        }
        Self::finish(b)
    }

    /// Rules from in-memory YAML texts `(name, text)`; for tests and rule editors.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (RuleSet, LoadReport) {
        let mut b = Builder::default();
        for (name, text) in sources {
            b.add_source(name, text);
        }
        Self::finish(b)
    }

    fn finish(mut b: Builder) -> (RuleSet, LoadReport) {
        let correlations = b.resolve_correlations();
        let mut references = vec![Vec::new(); b.rules.len()];
        let mut generated = vec![false; b.rules.len()];
        for (ci, c) in correlations.iter().enumerate() {
            for (pos, &r) in c.rules.iter().enumerate() {
                references[r].push((ci, pos));
                generated[r] |= c.generate;
            }
        }
        let silent = references
            .iter()
            .zip(&generated)
            .map(|(refs, &generate)| !refs.is_empty() && !generate)
            .collect();
        let mut matchers = Vec::new();
        let groups = b
            .groups
            .into_iter()
            .map(|(route, compiled)| Group::new(route, compiled, &mut matchers))
            .collect();
        let templates = b
            .rules
            .iter()
            .map(|r| Hit {
                rule_id: r.id.as_str().into(),
                title: r.title.as_str().into(),
                level: r.level,
                techniques: r.techniques.as_slice().into(),
                tactics: r.tactics.as_slice().into(),
                event_id: String::new(),
                events: Vec::new(),
            })
            .collect();
        (
            RuleSet {
                rules: b.rules,
                templates,
                groups,
                matchers,
                dispatch: Dispatch::default(),
                correlations,
                references,
                silent,
            },
            b.report,
        )
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Metadata of every loaded rule, in load order.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    /// The rule with this id, if loaded.
    pub fn rule(&self, id: &str) -> Option<&RuleInfo> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// All hits of all rules on one event.
    pub fn matches(&self, ev: &Event) -> Vec<Hit> {
        let mut hits = Vec::new();
        self.matches_into(ev, &mut hits);
        hits
    }

    /// Like [`RuleSet::matches`], appending to `out` (reuse one buffer across events).
    /// Rules that only feed correlations (`generate: false`) give no hit of their own.
    pub fn matches_into(&self, ev: &Event, out: &mut Vec<Hit>) {
        self.for_each_match_index(ev, |i| {
            if !self.silent[i] {
                out.push(self.templates[i].on(&ev.id));
            }
        });
    }

    /// Like [`RuleSet::matches_into`], also recording the event for the correlation rules
    /// (whose hits [`Correlator::finish`] gives once every event has passed).
    pub fn matches_correlating(&self, ev: &Event, out: &mut Vec<Hit>, c: &mut Correlator<'_>) {
        self.for_each_match_index(ev, |i| {
            if !self.silent[i] {
                out.push(self.templates[i].on(&ev.id));
            }
            c.observe(ev, i);
        });
    }

    /// Whether any correlation rule is loaded (else correlating is a no-op).
    pub fn has_correlations(&self) -> bool {
        !self.correlations.is_empty()
    }

    /// An empty correlator for one pass over a case's events.
    pub fn correlator(&self) -> Correlator<'_> {
        Correlator::new(self)
    }

    pub(crate) fn correlations(&self) -> &[Correlation] {
        &self.correlations
    }

    /// The correlations referencing rule `i`: `(correlation, position in its rules)`.
    pub(crate) fn references(&self, i: usize) -> &[(usize, usize)] {
        &self.references[i]
    }

    /// Rule `i`'s hit without its event.
    pub(crate) fn hit_template(&self, i: usize) -> &Hit {
        &self.templates[i]
    }

    /// Calls `f` with each rule that matches `ev`; allocates nothing per rule that misses.
    pub fn for_each_match<'s>(&'s self, ev: &Event, mut f: impl FnMut(&'s RuleInfo)) {
        self.for_each_match_index(ev, |i| f(&self.rules[i]));
    }

    /// Calls `f` with the index (in `rules`) of each rule that matches `ev`.
    fn for_each_match_index(&self, ev: &Event, mut f: impl FnMut(usize)) {
        let facts = Facts::of(ev);
        // The id as rules read it (the record's EventID field first, as fields.rs does).
        let event_id = ev
            .fields
            .get("EventID")
            .or(ev.event_id.as_ref())
            .and_then(|s| s.trim().parse::<u32>().ok());
        let key = RouteKey::new(&facts, event_id);
        let matchers = self
            .dispatch
            .matchers(&key, || self.route(&facts, event_id));
        if matchers.is_empty() {
            return;
        }
        let view = SigmaView::new(ev);
        let mut results = Vec::new();
        for &m in matchers.iter() {
            if let Some(m) = self.matchers.get(m as usize) {
                m.evaluate(&view, &mut results);
            }
        }
        for m in results {
            // Ids were replaced by rule indexes at load time (see load.rs).
            let rule = m
                .header
                .rule_id
                .as_deref()
                .and_then(|i| i.parse::<usize>().ok())
                .filter(|&i| i < self.rules.len());
            if let Some(i) = rule {
                f(i);
            }
        }
    }

    /// The matchers an event with these facts and id meets, in group order: the walk the
    /// dispatch memo remembers.
    fn route(&self, facts: &Facts<'_>, event_id: Option<u32>) -> Vec<u32> {
        self.groups
            .iter()
            .filter(|g| g.route.accepts(facts))
            .flat_map(|g| g.matchers(event_id))
            .collect()
    }

    /// Hits of many events, matched on all of rayon's threads in chunks, appended to `out`
    /// in event order (as [`RuleSet::matches_correlating`] one event after the other would,
    /// hit for hit); the correlator, when given, observes them in that order too.
    pub fn matches_batch(
        &self,
        events: &[Event],
        out: &mut Vec<Hit>,
        mut correlator: Option<&mut Correlator<'_>>,
    ) {
        use rayon::prelude::*;
        // Big enough that a chunk's work outweighs handing it to a thread, small enough
        // that both cores stay busy to the end.
        const CHUNK: usize = 256;
        let matched: Vec<Vec<(usize, usize)>> = events
            .par_chunks(CHUNK)
            .enumerate()
            .map(|(c, chunk)| {
                let mut found = Vec::new();
                for (j, ev) in chunk.iter().enumerate() {
                    self.for_each_match_index(ev, |i| found.push((c * CHUNK + j, i)));
                }
                found
            })
            .collect();
        for (e, i) in matched.into_iter().flatten() {
            let Some(ev) = events.get(e) else { continue };
            if !self.silent[i] {
                out.push(self.templates[i].on(&ev.id));
            }
            if let Some(c) = correlator.as_deref_mut() {
                c.observe(ev, i);
            }
        }
    }
}
