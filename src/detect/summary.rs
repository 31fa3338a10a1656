//! `lookout detect` summary: hits counted by rule, by level and by ATT&CK technique.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::event::Risk;
use crate::model::Hit;

/// Hits of one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCount {
    pub title: String,
    pub level: Risk,
    pub techniques: Vec<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DetectSummary {
    pub hits: u64,
    /// Keyed by rule id.
    pub by_rule: BTreeMap<String, RuleCount>,
    pub by_level: BTreeMap<Risk, u64>,
    /// Keyed by technique id (`T1003.001`).
    pub by_technique: BTreeMap<String, u64>,
}

impl DetectSummary {
    pub fn add(&mut self, hit: &Hit) {
        self.hits += 1;
        self.by_rule
            .entry(hit.rule_id.to_string())
            .or_insert_with(|| RuleCount {
                title: hit.title.to_string(),
                level: hit.level,
                techniques: hit.techniques.to_vec(),
                count: 0,
            })
            .count += 1;
        *self.by_level.entry(hit.level).or_default() += 1;
        for t in hit.techniques.iter() {
            *self.by_technique.entry(t.clone()).or_default() += 1;
        }
    }

    /// Folds another summary in (for per-thread summaries reduced at the end).
    pub fn merge(&mut self, other: DetectSummary) {
        self.hits += other.hits;
        for (id, rc) in other.by_rule {
            match self.by_rule.get_mut(&id) {
                Some(mine) => mine.count += rc.count,
                None => {
                    self.by_rule.insert(id, rc);
                }
            }
        }
        for (l, n) in other.by_level {
            *self.by_level.entry(l).or_default() += n;
        }
        for (t, n) in other.by_technique {
            *self.by_technique.entry(t).or_default() += n;
        }
    }

    /// Rules by descending hit count (ties by id), for display.
    pub fn top_rules(&self, n: usize) -> Vec<(&str, &RuleCount)> {
        let mut v: Vec<(&str, &RuleCount)> =
            self.by_rule.iter().map(|(k, r)| (k.as_str(), r)).collect();
        v.sort_by(|a, b| b.1.count.cmp(&a.1.count).then(a.0.cmp(b.0)));
        v.truncate(n);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(rule: &str, level: Risk, tech: &[&str]) -> Hit {
        Hit {
            rule_id: rule.into(),
            title: format!("title {rule}").into(),
            level,
            techniques: tech.iter().map(|t| t.to_string()).collect(),
            tactics: [].into(),
            event_id: "e".into(),
            events: Vec::new(),
        }
    }

    #[test]
    fn counts_and_merges() {
        let mut a = DetectSummary::default();
        a.add(&hit("r1", Risk::High, &["T1003.001"]));
        a.add(&hit("r1", Risk::High, &["T1003.001"]));
        let mut b = DetectSummary::default();
        b.add(&hit("r2", Risk::Medium, &["T1059.001", "T1027"]));
        b.add(&hit("r1", Risk::High, &["T1003.001"]));
        a.merge(b);
        assert_eq!(a.hits, 4);
        assert_eq!(a.by_rule["r1"].count, 3);
        assert_eq!(a.by_level[&Risk::High], 3);
        assert_eq!(a.by_technique["T1003.001"], 3);
        assert_eq!(a.top_rules(1)[0].0, "r1");
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["by_level"]["high"], 3);
    }
}
