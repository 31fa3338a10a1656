//! Sigma correlation rules (Sigma 2.0 `correlation:` documents): parsed by rsigma-parser,
//! checked and resolved here against the loaded rules, evaluated by `correlate.rs`.
//!
//! Supported: `event_count`, `value_count`, `temporal` and `temporal_ordered` with
//! `rules` (by id or name), `group-by` (and `aliases`), `timespan` over sliding windows, a
//! threshold `condition` (gt/gte/lt/lte/eq/neq, several for a range; `field` for
//! `value_count`) and `generate`. Refused with a reason: the numeric aggregations
//! (`value_sum`…), tumbling and session windows, boolean temporal conditions, and
//! correlations of correlations.

use rsigma_parser::{
    ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType, WindowMode,
};

/// The four correlation types lookout evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::EventCount => "event_count",
            Kind::ValueCount => "value_count",
            Kind::Temporal => "temporal",
            Kind::TemporalOrdered => "temporal_ordered",
        }
    }
}

/// A correlation ready to run: its rules resolved to indexes of the rule set.
#[derive(Debug, Clone)]
pub(crate) struct Correlation {
    /// Its own index in the rule set's `rules` (for its hit template).
    pub index: usize,
    pub kind: Kind,
    /// The referenced rules, as indexes of the rule set's `rules`, in the order written
    /// (the order `temporal_ordered` requires).
    pub rules: Vec<usize>,
    /// Per group-by entry, the field to read for each referenced rule (aliases resolved).
    pub group_by: Vec<Vec<String>>,
    /// `value_count`: the field whose distinct values are counted, per referenced rule.
    pub value_field: Option<Vec<String>>,
    pub timespan_ms: i64,
    /// Every predicate must hold (several make a range). `None` for temporal types written
    /// without a condition: every referenced rule must occur.
    pub condition: Option<Vec<(ConditionOperator, u64)>>,
    pub generate: bool,
}

impl Correlation {
    /// Whether `n` (a count of events, values or rules) satisfies the condition.
    pub fn holds(&self, n: usize) -> bool {
        let Some(preds) = &self.condition else {
            return n >= self.rules.len();
        };
        let n = n as u64;
        preds.iter().all(|&(op, v)| match op {
            ConditionOperator::Lt => n < v,
            ConditionOperator::Lte => n <= v,
            ConditionOperator::Gt => n > v,
            ConditionOperator::Gte => n >= v,
            ConditionOperator::Eq => n == v,
            ConditionOperator::Neq => n != v,
        })
    }
}

/// What a rule reference may point at: `(rule id, rule name)` of each loaded rule.
pub(crate) struct Targets<'a> {
    pub ids: &'a [(String, Option<String>)],
    /// Ids and names of correlation documents (a reference to one is chaining).
    pub correlations: &'a [(Option<String>, Option<String>)],
}

/// Checks a parsed correlation and resolves its references; `Err` says why it cannot run.
pub(crate) fn resolve(
    c: &CorrelationRule,
    index: usize,
    targets: &Targets<'_>,
) -> Result<Correlation, String> {
    let kind = match c.correlation_type {
        CorrelationType::EventCount => Kind::EventCount,
        CorrelationType::ValueCount => Kind::ValueCount,
        CorrelationType::Temporal => Kind::Temporal,
        CorrelationType::TemporalOrdered => Kind::TemporalOrdered,
        other => {
            return Err(format!(
                "`{}` is not supported (event_count, value_count, temporal and \
                 temporal_ordered are)",
                other.as_str()
            ));
        }
    };
    if c.window != WindowMode::Sliding {
        return Err("only sliding windows are supported".into());
    }
    if c.rules.is_empty() {
        return Err("no `rules` referenced".into());
    }
    let mut rules = Vec::with_capacity(c.rules.len());
    for r in &c.rules {
        let found = targets
            .ids
            .iter()
            .position(|(id, name)| id == r || name.as_deref() == Some(r.as_str()));
        match found {
            Some(i) => rules.push(i),
            None if targets
                .correlations
                .iter()
                .any(|(id, name)| id.as_deref() == Some(r) || name.as_deref() == Some(r)) =>
            {
                return Err(format!(
                    "references the correlation `{r}`: correlations of correlations are not \
                     supported"
                ));
            }
            None => return Err(format!("references `{r}`, which is not loaded")),
        }
    }
    // A field name per referenced rule: an alias maps each rule (by id or name) to its own.
    let per_rule = |field: &str| -> Vec<String> {
        let alias = c.aliases.iter().find(|a| a.alias == field);
        c.rules
            .iter()
            .zip(&rules)
            .map(|(reference, &i)| {
                alias
                    .and_then(|a| {
                        let (id, name) = &targets.ids[i];
                        a.mapping
                            .get(reference)
                            .or_else(|| a.mapping.get(id))
                            .or_else(|| name.as_ref().and_then(|n| a.mapping.get(n)))
                    })
                    .cloned()
                    .unwrap_or_else(|| field.to_string())
            })
            .collect()
    };
    let group_by = c.group_by.iter().map(|f| per_rule(f)).collect();
    let (condition, value_field) = match &c.condition {
        CorrelationCondition::Threshold {
            predicates, field, ..
        } => {
            let value_field = field.as_ref().and_then(|f| f.first()).map(|f| per_rule(f));
            // rsigma writes `gte: 1` for a temporal correlation without a condition, which
            // Sigma defines as "every referenced rule occurs".
            let default_temporal = matches!(kind, Kind::Temporal | Kind::TemporalOrdered)
                && predicates.as_slice() == [(ConditionOperator::Gte, 1)];
            let condition = (!default_temporal).then(|| predicates.clone());
            (condition, value_field)
        }
        CorrelationCondition::Extended(_) => {
            return Err("boolean temporal conditions are not supported".into());
        }
    };
    if kind == Kind::ValueCount && value_field.is_none() {
        return Err("`value_count` needs `condition.field`".into());
    }
    if kind == Kind::TemporalOrdered && condition.is_some() {
        return Err("`temporal_ordered` with a condition is not supported".into());
    }
    Ok(Correlation {
        index,
        kind,
        rules,
        group_by,
        value_field,
        timespan_ms: (c.timespan.seconds as i64).saturating_mul(1000),
        condition,
        generate: c.generate,
    })
}
