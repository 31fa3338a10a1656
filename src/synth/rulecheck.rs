//! Which Sigma rules can vouch for a technique: rules tagged with it (or its parent or a
//! sub-technique) whose logsource is one the generated formats feed, and which of them fire on
//! a candidate's events.

use std::collections::HashMap;

use super::atomics::Platform;
use super::record::OutFormat;
use crate::detect::{RuleInfo, RuleSet};
use crate::event::{Event, Risk};

/// True when a rule tagged `tag` is tagged with `technique`: the same id, or one of its
/// sub-techniques when `technique` is a parent (`T1218` covers `T1218.011`). Such rules
/// must fire for a candidate to pass.
pub fn tagged_with(technique: &str, tag: &str) -> bool {
    technique.eq_ignore_ascii_case(tag)
        || (!technique.contains('.')
            && tag
                .split_once('.')
                .is_some_and(|(p, _)| p.eq_ignore_ascii_case(technique)))
}

/// True when rule tag `tag` speaks of `technique`: [`tagged_with`], or its parent technique
/// (rules often carry only the parent id). A firing rule so related confirms a candidate.
pub fn related(technique: &str, tag: &str) -> bool {
    let parent = |t: &str| t.split('.').next().unwrap_or(t).to_string();
    technique.eq_ignore_ascii_case(tag)
        || (technique.contains('.') && parent(technique).eq_ignore_ascii_case(tag))
        || (tag.contains('.') && parent(tag).eq_ignore_ascii_case(technique))
}

/// Whether events of the `enabled` kinds can reach a rule with this logsource
/// (`product/category/service` as [`RuleInfo::logsource`] spells it).
pub fn applicable(logsource: &str, platform: Platform, enabled: &[OutFormat]) -> bool {
    let mut parts = logsource.split('/');
    let (product, category, service) = (
        parts.next().unwrap_or("-"),
        parts.next().unwrap_or("-"),
        parts.next().unwrap_or("-"),
    );
    let has = |f: OutFormat| enabled.contains(&f);
    match platform {
        Platform::Windows => {
            if !matches!(product, "windows" | "-") {
                return false;
            }
            let by_category = match category {
                "-" => true,
                "process_creation" => has(OutFormat::Sysmon) || has(OutFormat::Security),
                "network_connection" | "file_event" | "file_create" | "registry_set"
                | "registry_add" | "registry_delete" | "registry_event" | "image_load"
                | "process_access" | "dns_query" => has(OutFormat::Sysmon),
                "ps_script" => has(OutFormat::PowerShell),
                _ => false,
            };
            let by_service = match service {
                "-" => true,
                "security" => has(OutFormat::Security),
                "system" => has(OutFormat::System),
                "sysmon" => has(OutFormat::Sysmon),
                "powershell" => has(OutFormat::PowerShell),
                _ => false,
            };
            by_category && by_service && (product == "windows" || category != "-" || service != "-")
        }
        Platform::Linux => {
            if product != "linux" {
                return false;
            }
            match (category, service) {
                // auditd's execve events are Linux process creations.
                ("process_creation", "-") => has(OutFormat::Audit),
                ("-", "auth" | "sshd" | "sudo" | "su" | "useradd" | "groupadd" | "usermod") => {
                    has(OutFormat::AuthLog)
                }
                ("-", "syslog" | "cron") => has(OutFormat::AuthLog) || has(OutFormat::Syslog),
                ("-", "auditd") => has(OutFormat::Audit),
                ("-", "-") => {
                    has(OutFormat::AuthLog) || has(OutFormat::Syslog) || has(OutFormat::Audit)
                }
                _ => false,
            }
        }
    }
}

/// A rule that fired on a story's events.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fired {
    pub id: String,
    pub title: String,
    pub level: Risk,
    pub techniques: Vec<String>,
    /// Tagged with the story's technique (or its parent / a sub-technique).
    pub tagged: bool,
}

/// The rules and, per (platform, technique), how many applicable rules are tagged with it.
pub struct RuleIndex<'r> {
    pub rules: &'r RuleSet,
    enabled: Vec<OutFormat>,
    cache: std::cell::RefCell<HashMap<(Platform, String), usize>>,
}

impl<'r> RuleIndex<'r> {
    pub fn new(rules: &'r RuleSet, enabled: &[OutFormat]) -> RuleIndex<'r> {
        RuleIndex {
            rules,
            enabled: enabled.to_vec(),
            cache: Default::default(),
        }
    }

    fn vouches(&self, r: &RuleInfo, platform: Platform, technique: &str) -> bool {
        r.techniques.iter().any(|t| tagged_with(technique, t))
            && applicable(&r.logsource, platform, &self.enabled)
    }

    /// How many loaded rules could confirm `technique` on `platform`.
    pub fn tagged(&self, platform: Platform, technique: &str) -> usize {
        let key = (platform, technique.to_string());
        if let Some(n) = self.cache.borrow().get(&key) {
            return *n;
        }
        let n = self
            .rules
            .rules()
            .iter()
            .filter(|r| self.vouches(r, platform, technique))
            .count();
        self.cache.borrow_mut().insert(key, n);
        n
    }

    /// The rules that fire on `events`, each once, with whether it vouches for `technique`.
    pub fn fired(&self, events: &[&Event], technique: Option<&str>) -> Vec<Fired> {
        let mut out: Vec<Fired> = Vec::new();
        for ev in events {
            self.rules.for_each_match(ev, |r| {
                if out.iter().any(|f| f.id == r.id) {
                    return;
                }
                out.push(Fired {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    level: r.level,
                    techniques: r.techniques.clone(),
                    tagged: technique.is_some_and(|t| r.techniques.iter().any(|x| related(t, x))),
                });
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relations_and_routes() {
        assert!(related("T1003.001", "T1003.001"));
        assert!(related("T1003.001", "T1003"));
        assert!(related("T1059", "T1059.001"));
        assert!(tagged_with("T1218", "T1218.011") && !tagged_with("T1218.007", "T1218"));
        assert!(!related("T1003.001", "T1003.002"));
        let all = OutFormat::ALL;
        assert!(applicable(
            "windows/process_creation/-",
            Platform::Windows,
            &all
        ));
        assert!(!applicable(
            "windows/process_creation/-",
            Platform::Windows,
            &[OutFormat::PowerShell]
        ));
        assert!(applicable("linux/-/sudo", Platform::Linux, &all));
        assert!(applicable(
            "linux/process_creation/-",
            Platform::Linux,
            &all
        ));
        assert!(!applicable(
            "linux/process_creation/-",
            Platform::Linux,
            &[OutFormat::AuthLog]
        ));
        assert!(!applicable("linux/file_event/-", Platform::Linux, &all));
        assert!(!applicable("-/-/-", Platform::Windows, &all));
    }
}
