//! The compiled rule set: load (builtin and folders) and match events, the hot path.

use std::collections::HashMap;
use std::path::PathBuf;

use rsigma_eval::{CompiledRule, Engine, EvaluationResult, evaluate_rule};

use super::builtin::BUILTIN_RULES;
use super::fields::SigmaView;
use super::load::{Builder, LoadReport, RuleInfo};
use super::logsource::{Facts, Route};
use crate::event::Event;
use crate::model::Hit;

/// Rules sharing one logsource route: those that may match any event id, and per event id
/// those written for given ids (a rule for several ids is in each of theirs; an event has
/// one id, so it meets the rule once). See prefilter.rs.
struct Group {
    route: Route,
    any_id: Option<Matcher>,
    by_id: HashMap<u32, Matcher>,
}

/// A few rules are evaluated one by one; more go into an rsigma engine, whose candidate
/// index (field witnesses, Aho-Corasick over values) picks the rules worth evaluating. The
/// index costs a probe of every field of the event, more than evaluating a handful of rules.
enum Matcher {
    Direct(Vec<CompiledRule>),
    Indexed(Engine),
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
        Matcher::Indexed(engine)
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
    fn new(route: Route, rules: Vec<(CompiledRule, Option<Vec<u32>>)>) -> Group {
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
        Group {
            route,
            any_id: (!any.is_empty()).then(|| Matcher::new(any)),
            by_id: by_id
                .into_iter()
                .map(|(id, r)| (id, Matcher::new(r)))
                .collect(),
        }
    }

    /// The matchers an event with this id meets.
    fn matchers(&self, event_id: Option<u32>) -> impl Iterator<Item = &Matcher> {
        self.any_id
            .iter()
            .chain(event_id.and_then(|id| self.by_id.get(&id)))
    }
}

/// Compiled Sigma rules, grouped by logsource so that an event only meets the groups whose
/// route accepts it. Immutable once built, so `Send + Sync` and shareable across threads.
pub struct RuleSet {
    rules: Vec<RuleInfo>,
    /// Each rule's hit without its event, in `rules` order: a match only adds the event id.
    templates: Vec<Hit>,
    groups: Vec<Group>,
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

    fn finish(b: Builder) -> (RuleSet, LoadReport) {
        let groups = b
            .groups
            .into_iter()
            .map(|(route, compiled)| Group::new(route, compiled))
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
            })
            .collect();
        (
            RuleSet {
                rules: b.rules,
                templates,
                groups,
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
    pub fn matches_into(&self, ev: &Event, out: &mut Vec<Hit>) {
        self.for_each_match_index(ev, |i| out.push(self.templates[i].on(&ev.id)));
    }

    /// Calls `f` with each rule that matches `ev`; allocates nothing per rule that misses.
    pub fn for_each_match<'s>(&'s self, ev: &Event, mut f: impl FnMut(&'s RuleInfo)) {
        self.for_each_match_index(ev, |i| f(&self.rules[i]));
    }

    /// Calls `f` with the index (in `rules`) of each rule that matches `ev`.
    fn for_each_match_index(&self, ev: &Event, mut f: impl FnMut(usize)) {
        let facts = Facts::of(ev);
        let view = SigmaView::new(ev);
        // The id as rules read it (the record's EventID field first, as fields.rs does).
        let event_id = ev
            .fields
            .get("EventID")
            .or(ev.event_id.as_ref())
            .and_then(|s| s.trim().parse::<u32>().ok());
        let mut results = Vec::new();
        for group in &self.groups {
            if !group.route.accepts(&facts) {
                continue;
            }
            for m in group.matchers(event_id) {
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
}
