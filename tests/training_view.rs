//! What a training prompt shows of the rules: a session seen by lookout's built-in rules alone
//! (`train --builtin-view`) or by none (`--withhold-rules`) loses the other rules' hits from
//! its rule section and from its timeline's `[rule: …]` marks, on the demo's LSASS session.

mod common;

use lookout::assess::build_prompt;
use lookout::assess::input;
use lookout::attack::Catalog;
use lookout::detect::RuleSet;

/// A rule of the analyst's own (not built in) that fires on the LSASS session's PowerShell
/// connection to the attacker's server, a line no built-in rule marks.
const OWN_RULE: &str = r#"title: Own Rule PowerShell Connection
id: 5f0c1d7e-2b8a-4c31-9e57-0a6b3d2f4e10
status: test
logsource:
  category: network_connection
  product: windows
detection:
  selection:
    Image|endswith: '\powershell.exe'
    DestinationIp: '198.51.100.23'
  condition: selection
level: high
tags:
  - attack.command-and-control
  - attack.t1071.001
"#;

#[test]
fn a_session_seen_by_the_builtin_rules_alone_shows_no_other_rules_hit() {
    let dir = tempfile::tempdir().unwrap();
    let rules_dir = dir.path().join("rules");
    std::fs::create_dir_all(&rules_dir).unwrap();
    std::fs::write(rules_dir.join("own.yml"), OWN_RULE).unwrap();
    let config = common::demo_config();
    let (rules, report) = RuleSet::load(std::slice::from_ref(&rules_dir), true);
    assert_eq!(report.defects().count(), 0, "{:?}", report.unsupported);
    let case = common::demo_case(&dir.path().join("data"), &["windows"], &rules);
    let own = "Own Rule PowerShell Connection";
    let lsass = case
        .sessions()
        .unwrap()
        .into_iter()
        .find(|s| s.detections.iter().any(|d| d.title.contains("LSASS")))
        .expect("the demo's LSASS session");
    assert!(
        lsass.detections.iter().any(|d| d.title == own),
        "{:?}",
        lsass.detections
    );
    let builtin: Vec<String> = RuleSet::builtin()
        .0
        .rules()
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let builtin_titles: Vec<&str> = lsass
        .detections
        .iter()
        .filter(|d| builtin.contains(&d.rule_id))
        .map(|d| d.title.as_str())
        .collect();
    assert!(!builtin_titles.is_empty(), "{:?}", lsass.detections);

    let catalog = Catalog::from_techniques(Vec::new(), None, "none".into());
    let view = case.view();
    let prompt = |keep: &dyn Fn(&str) -> bool| {
        let input =
            input::build_seen_by(&view, &lsass, &config, None, config.model.fewshot, keep).unwrap();
        (build_prompt(&input, &catalog).user, input)
    };
    let (all, all_input) = prompt(&|_| true);
    let plain = input::build(&view, &lsass, &config, None, config.model.fewshot).unwrap();
    assert_eq!(all, build_prompt(&plain, &catalog).user);
    assert!(all_input.hits.iter().any(|h| &*h.title == own));

    let (seen, seen_input) = prompt(&|id| builtin.contains(&id.to_string()));
    assert!(!seen.contains(own), "{seen}");
    assert!(seen_input.session.detections.iter().all(|d| d.title != own));
    assert!(
        seen_input
            .hits
            .iter()
            .all(|h| builtin.contains(&h.rule_id.to_string()))
    );
    for t in &builtin_titles {
        assert!(seen.contains(&format!("\"{t}\"")), "{t} missing: {seen}");
    }
    // The line itself stays: only the rule's verdict on it is gone.
    let line = "powershell.exe 10.0.2.21:52782 -> 198.51.100.23:443";
    assert!(all.contains(&format!("{line} [rule: {own}]")), "{all}");
    assert!(seen.contains(&format!("{line}\n")), "{seen}");

    let (none, none_input) = prompt(&|_| false);
    assert!(!none.contains("[rule: "), "{none}");
    assert!(none_input.hits.is_empty() && none_input.session.detections.is_empty());
    assert!(none.contains(&format!("{line}\n")), "{none}");
    assert!(none.contains("Sigma rules):\n- none"), "{none}");
}
