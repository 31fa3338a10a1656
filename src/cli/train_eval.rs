//! `lookout train`'s evaluation before and after: the base and the tuned model scored by
//! `eval` on the labelled sessions of the hosts that the training split held out.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};

use super::Globals;
use super::eval::{EvalArgs, report};
use crate::eval::split::host_key;

/// Evaluates `base` and `tuned` on each case in `cases` (sessions of the dataset's validation
/// hosts, a stratified sample of `sample`), writes both JSON reports to `work` and prints
/// their difference. A case without labelled held-out sessions is skipped with a note.
pub fn before_after(
    g: &Globals,
    cases: &[String],
    dataset: &Path,
    base: &Path,
    tuned: &Path,
    work: &Path,
    sample: usize,
) -> Result<()> {
    let hosts = held_out_hosts(dataset)?;
    if hosts.is_empty() {
        eprintln!("lookout: the dataset holds out no host: no before/after evaluation");
        return Ok(());
    }
    for name in cases {
        let gc = Globals {
            data_dir: g.data_dir.clone(),
            case: name.clone(),
            config: g.config.clone(),
        };
        let args = |model: &Path| EvalArgs {
            methods: "model,combined".into(),
            model: Some(model.display().to_string()),
            sample,
            ..EvalArgs::defaults()
        };
        eprintln!(
            "lookout: evaluating the base model on `{name}` ({} held-out hosts)",
            hosts.len()
        );
        let before = match report(&gc, &args(base), Some(&hosts)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("lookout: no before/after evaluation on `{name}`: {e:#}");
                continue;
            }
        };
        eprintln!("lookout: evaluating the tuned model on `{name}`");
        let after = report(&gc, &args(tuned), Some(&hosts))?;
        for (which, r) in [("before", &before), ("after", &after)] {
            let path = work.join(format!("eval-{name}-{which}.json"));
            std::fs::write(&path, r.to_json())
                .with_context(|| format!("writing {}", path.display()))?;
        }
        println!("evaluation on `{name}`, held-out hosts (before = base, after = tuned):");
        print!("{}", crate::eval::compare(&before, &after));
    }
    Ok(())
}

/// The validation hosts listed in the dataset's `manifest.json`, as host keys.
fn held_out_hosts(dataset: &Path) -> Result<BTreeSet<String>> {
    let path = dataset.join("manifest.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let m: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    Ok(m["val_hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str())
        .map(host_key)
        .collect())
}
