//! Event-id prefilter: the Windows event ids a rule can match at all, read from its detection
//! and condition, so that an event meets only the rules written for its id (a Security 5145
//! record skips the ~140 other `service: security` rules) before rsigma looks at any field.
//!
//! The analysis is sound, never exact: a rule gets a set only when *every* way its condition
//! can be true requires `EventID` to equal one of the set's plain values; anything it cannot
//! follow (negation, keywords, modifiers on EventID, wildcards) makes the rule "any id".

use std::collections::{BTreeSet, HashMap};

use rsigma_parser::{ConditionExpr, Detection, Quantifier, SelectorPattern, SigmaRule, SigmaValue};

/// The ids a part of a rule admits: any, or only these.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ids {
    Any,
    Only(BTreeSet<u32>),
}

impl Ids {
    /// Both must hold: the event id must be in both sets.
    fn and(self, other: Ids) -> Ids {
        match (self, other) {
            (Ids::Any, x) | (x, Ids::Any) => x,
            (Ids::Only(a), Ids::Only(b)) => Ids::Only(a.intersection(&b).copied().collect()),
        }
    }

    /// Either may hold: the event id may be in either set.
    fn or(self, other: Ids) -> Ids {
        match (self, other) {
            (Ids::Only(mut a), Ids::Only(b)) => {
                a.extend(b);
                Ids::Only(a)
            }
            _ => Ids::Any,
        }
    }
}

/// The event ids `rule` can match, or `None` when it may match any (or the analysis cannot
/// tell). Never an empty set: a contradiction is left to the matcher.
pub(crate) fn required_event_ids(rule: &SigmaRule) -> Option<Vec<u32>> {
    let named = &rule.detection.named;
    // Several conditions are alternatives (Sigma's condition list is OR-linked).
    let ids = rule
        .detection
        .conditions
        .iter()
        .map(|c| condition(c, named))
        .reduce(Ids::or)?;
    match ids {
        Ids::Only(set) if !set.is_empty() => Some(set.into_iter().collect()),
        _ => None,
    }
}

fn condition(expr: &ConditionExpr, named: &HashMap<String, Detection>) -> Ids {
    match expr {
        ConditionExpr::And(args) => args
            .iter()
            .map(|a| condition(a, named))
            .fold(Ids::Any, Ids::and),
        ConditionExpr::Or(args) => args
            .iter()
            .map(|a| condition(a, named))
            .reduce(Ids::or)
            .unwrap_or(Ids::Any),
        // `not x` can hold whatever x requires of the id.
        ConditionExpr::Not(_) => Ids::Any,
        ConditionExpr::Identifier(name) => named.get(name).map_or(Ids::Any, detection),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let parts: Vec<Ids> = named
                .iter()
                .filter(|(name, _)| selects(pattern, name))
                .map(|(_, d)| detection(d))
                .collect();
            if parts.is_empty() {
                return Ids::Any;
            }
            match quantifier {
                // All of them must hold: each one's ids apply.
                Quantifier::All => parts.into_iter().fold(Ids::Any, Ids::and),
                // At least one (N >= 1) holds: the union covers every way.
                Quantifier::Any | Quantifier::Count(1..) => {
                    parts.into_iter().reduce(Ids::or).unwrap_or(Ids::Any)
                }
                Quantifier::Count(0) => Ids::Any,
            }
        }
    }
}

fn selects(pattern: &SelectorPattern, name: &str) -> bool {
    pattern.matches_detection_name(name)
}

fn detection(det: &Detection) -> Ids {
    match det {
        Detection::AllOf(items) => items
            .iter()
            .filter(|i| {
                i.field
                    .name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case("EventID"))
                    && i.field.modifiers.is_empty()
            })
            .map(|i| {
                i.values
                    .iter()
                    .map(plain_id)
                    .collect::<Option<BTreeSet<u32>>>()
                    .map_or(Ids::Any, Ids::Only)
            })
            .fold(Ids::Any, Ids::and),
        Detection::AnyOf(subs) => subs
            .iter()
            .map(detection)
            .reduce(Ids::or)
            .unwrap_or(Ids::Any),
        _ => Ids::Any,
    }
}

/// An EventID value that is one plain number (`4624`, `'4624'`).
fn plain_id(v: &SigmaValue) -> Option<u32> {
    match v {
        SigmaValue::Integer(n) => u32::try_from(*n).ok(),
        SigmaValue::String(s) => s.as_plain()?.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::required_event_ids;
    use rsigma_parser::parse_sigma_yaml;

    fn ids(detection: &str) -> Option<Vec<u32>> {
        let yaml = format!(
            "title: t\nlogsource:\n    product: windows\n    service: security\n\
             detection:\n{detection}"
        );
        let c = parse_sigma_yaml(&yaml).unwrap();
        required_event_ids(&c.rules[0])
    }

    #[test]
    fn selections_and_conditions() {
        let one = "    sel:\n        EventID: 4624\n        LogonType: 3\n    condition: sel\n";
        assert_eq!(ids(one), Some(vec![4624]));
        let list = "    sel:\n        EventID:\n            - 4624\n            - '4625'\n    \
                    condition: sel\n";
        assert_eq!(ids(list), Some(vec![4624, 4625]));
        let or = "    a:\n        EventID: 1\n    b:\n        EventID: 2\n    condition: a or b\n";
        assert_eq!(ids(or), Some(vec![1, 2]));
        let filter = "    sel:\n        EventID: 5145\n    filter:\n        ShareName: x\n    \
                      condition: sel and not filter\n";
        assert_eq!(ids(filter), Some(vec![5145]));
        let one_of = "    sel_a:\n        EventID: 4663\n    sel_b:\n        EventID: 4656\n    \
                      condition: 1 of sel_*\n";
        assert_eq!(ids(one_of), Some(vec![4656, 4663]));
        let all_of = "    sel_a:\n        EventID: [4663, 4656]\n    sel_b:\n        \
                      EventID: 4663\n    condition: all of sel_*\n";
        assert_eq!(ids(all_of), Some(vec![4663]));
        let list_of_maps = "    sel:\n        - EventID: 7045\n        - EventID: 4697\n    \
                            condition: sel\n";
        assert_eq!(ids(list_of_maps), Some(vec![4697, 7045]));
    }

    #[test]
    fn anything_unclear_is_any_id() {
        for det in [
            // Another selection without an id.
            "    a:\n        EventID: 1\n    b:\n        Image: x\n    condition: a or b\n",
            // Negated, wildcard, modifier, keywords.
            "    a:\n        EventID: 1\n    condition: not a\n",
            "    a:\n        EventID: '46*'\n    condition: a\n",
            "    a:\n        EventID|startswith: '46'\n    condition: a\n",
            "    keywords:\n        - mimikatz\n    condition: keywords\n",
            // No id at all.
            "    a:\n        Image: x\n    condition: a\n",
        ] {
            assert_eq!(ids(det), None, "{det}");
        }
    }
}
