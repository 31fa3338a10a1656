//! Export corrections as fine-tuning datasets: chat (`messages`, as Hugging Face TRL reads),
//! alpaca, sharegpt and dpo, split by session and grouped by host (no host on both sides),
//! stratified by cause, with a manifest of counts, versions and file hashes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::event::{Cause, Risk};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Chat,
    Alpaca,
    Sharegpt,
    Dpo,
}

/// One training example: the assessor's exact prompt and the analyst's verdict.
#[derive(Debug, Clone)]
pub struct ExportItem {
    pub session_id: String,
    pub host: String,
    pub system: String,
    pub user: String,
    /// The corrected verdict, as the same JSON the model is asked to write.
    pub answer: String,
    /// The model's own verdict JSON (the rejected side of a DPO pair), when there was one.
    pub rejected: Option<String>,
    pub cause: Cause,
    pub risk: Risk,
    pub techniques: Vec<String>,
    /// A session of `lookout synth`'s fictional estate: it goes to training or validation on
    /// its own, not with its host (every scenario shares the estate's few hosts).
    pub synthetic: bool,
}

impl ExportItem {
    /// What goes to training or validation as a whole: the host, or a synthetic session alone.
    fn split_group(&self) -> &str {
        match self.synthetic {
            true => &self.session_id,
            false => &self.host,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub format: ExportFormat,
    pub train: usize,
    pub val: usize,
    pub seed: u64,
    pub val_fraction: f64,
    pub split: String,
    pub by_cause: BTreeMap<String, usize>,
    pub by_risk: BTreeMap<String, usize>,
    pub by_technique: BTreeMap<String, usize>,
    /// Largest class count over smallest (of the causes present).
    pub imbalance_ratio: f64,
    pub model: String,
    pub prompt_version: String,
    pub anonymized: bool,
    pub train_hosts: Vec<String>,
    pub val_hosts: Vec<String>,
    pub files: BTreeMap<String, String>,
    /// Examples in the DPO format need the model's verdict; those without are left out.
    pub skipped_without_model_output: usize,
}

/// Splits items into (train, val) indices: whole hosts go to one side, chosen per cause so that
/// each cause gets about `val_fraction` of its examples in validation. A synthetic item is a
/// group of its own (its session): held out by host, synth's five Linux hosts lost three to
/// validation, and with them most of what the model could learn of Linux attacks.
pub fn split_by_host(
    items: &[ExportItem],
    val_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_host: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, it) in items.iter().enumerate() {
        by_host.entry(it.split_group()).or_default().push(i);
    }
    let majority = |idx: &[usize]| -> Cause {
        let mut c: BTreeMap<Cause, usize> = BTreeMap::new();
        for &i in idx {
            *c.entry(items[i].cause).or_default() += 1;
        }
        c.into_iter()
            .max_by_key(|(_, n)| *n)
            .map(|(c, _)| c)
            .unwrap_or(Cause::Legitimate)
    };
    let mut hosts: Vec<&str> = by_host.keys().copied().collect();
    hosts.shuffle(&mut StdRng::seed_from_u64(seed));
    let total_by_cause = |c: Cause| items.iter().filter(|i| i.cause == c).count();
    let mut val_hosts: BTreeSet<&str> = BTreeSet::new();
    let mut val_count: BTreeMap<Cause, usize> = BTreeMap::new();
    for h in &hosts {
        let idx = &by_host[h];
        let c = majority(idx);
        let target = (total_by_cause(c) as f64 * val_fraction).round() as usize;
        let have = val_count.get(&c).copied().unwrap_or(0);
        // Never empty the training side entirely.
        if have < target && val_hosts.len() + 1 < hosts.len() {
            val_hosts.insert(h);
            *val_count.entry(c).or_default() += idx.len();
        }
    }
    let (mut train, mut val) = (Vec::new(), Vec::new());
    for (i, it) in items.iter().enumerate() {
        if val_hosts.contains(it.split_group()) {
            val.push(i);
        } else {
            train.push(i);
        }
    }
    (train, val)
}

/// At most `n` items, shared out between the causes as evenly as their counts allow (a cause
/// with fewer than its share gives the rest to the others), each cause sampled with `seed`.
/// A tuning set capped this way keeps its rare causes: corpora are mostly one cause, and a model
/// tuned on a proportional sample learns to answer that cause whatever it reads.
///
/// Within a cause, items are taken in the order of a hash of `seed` and their `key` (a session
/// id): a corrected label moves that one item between causes and shifts the shares by one, so
/// the rest of the sample stays as it was. (A shuffle with one generator across the causes drew
/// a new sample whenever one cause's count changed: 8 corrected labels of 1,600 redrew ~all.)
pub fn cap_balanced<T>(
    items: Vec<T>,
    n: usize,
    seed: u64,
    cause: impl Fn(&T) -> Cause,
    key: impl Fn(&T) -> &str,
) -> Vec<T> {
    if items.len() <= n {
        return items;
    }
    let mut by_cause: BTreeMap<Cause, Vec<(u64, T)>> = BTreeMap::new();
    for it in items {
        let rank = sample_rank(seed, key(&it));
        by_cause.entry(cause(&it)).or_default().push((rank, it));
    }
    let mut groups: Vec<Vec<(u64, T)>> = by_cause.into_values().collect();
    for g in &mut groups {
        g.sort_by_key(|(rank, _)| *rank);
    }
    // Smallest first: each takes min(count, an even share of what is left).
    groups.sort_by_key(|g| g.len());
    let (mut left, mut out) = (n, Vec::with_capacity(n));
    let count = groups.len();
    for (i, g) in groups.into_iter().enumerate() {
        let share = left / (count - i);
        let take = g.len().min(share);
        left -= take;
        out.extend(g.into_iter().take(take).map(|(_, it)| it));
    }
    out
}

/// An item's place in the sample: the first 8 bytes of sha256(seed, key).
fn sample_rank(seed: u64, key: &str) -> u64 {
    let mut h = Sha256::new();
    h.update(seed.to_le_bytes());
    h.update(key.as_bytes());
    let d = h.finalize();
    u64::from_le_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn record(item: &ExportItem, format: ExportFormat) -> Option<serde_json::Value> {
    Some(match format {
        ExportFormat::Chat => json!({"messages": [
            {"role": "system", "content": item.system},
            {"role": "user", "content": item.user},
            {"role": "assistant", "content": item.answer},
        ]}),
        ExportFormat::Alpaca => json!({
            "instruction": item.system,
            "input": item.user,
            "output": item.answer,
        }),
        ExportFormat::Sharegpt => json!({"conversations": [
            {"from": "system", "value": item.system},
            {"from": "human", "value": item.user},
            {"from": "gpt", "value": item.answer},
        ]}),
        ExportFormat::Dpo => json!({
            "prompt": [
                {"role": "system", "content": item.system},
                {"role": "user", "content": item.user},
            ],
            "chosen": [{"role": "assistant", "content": item.answer}],
            "rejected": [{"role": "assistant", "content": item.rejected.as_ref()?}],
        }),
    })
}

pub struct ExportOptions {
    pub format: ExportFormat,
    pub val_fraction: f64,
    pub seed: u64,
    pub anonymized: bool,
    pub model: String,
    pub prompt_version: String,
    /// At most this many validation examples, the same share of each cause (0 = all): the
    /// rest of the held-out hosts' examples are left out, never moved into training.
    pub max_val: usize,
}

/// `n` of `idx`, each cause keeping its share (rounded down, at least one), in `idx` order.
fn stratified_sample(items: &[ExportItem], idx: &[usize], n: usize, seed: u64) -> Vec<usize> {
    let mut by_cause: BTreeMap<Cause, Vec<usize>> = BTreeMap::new();
    for &i in idx {
        by_cause.entry(items[i].cause).or_default().push(i);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut keep: Vec<usize> = Vec::with_capacity(n);
    for group in by_cause.values_mut() {
        let share = (group.len() * n / idx.len()).max(1);
        group.shuffle(&mut rng);
        keep.extend(group.iter().take(share));
    }
    keep.sort_unstable();
    keep
}

/// Writes `train.jsonl`, `val.jsonl` and `manifest.json` into `dir`.
pub fn write(dir: &Path, items: &[ExportItem], opts: &ExportOptions) -> Result<Manifest> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (train, mut val) = split_by_host(items, opts.val_fraction, opts.seed);
    if opts.max_val > 0 && val.len() > opts.max_val {
        val = stratified_sample(items, &val, opts.max_val, opts.seed);
    }
    let mut files = BTreeMap::new();
    let mut skipped = 0;
    let mut write_split = |name: &str, idx: &[usize]| -> Result<usize> {
        let path: PathBuf = dir.join(name);
        let mut f = std::io::BufWriter::new(
            crate::fsutil::create_private(&path)
                .with_context(|| format!("creating {}", path.display()))?,
        );
        let mut n = 0;
        for &i in idx {
            match record(&items[i], opts.format) {
                Some(v) => {
                    crate::text::write_inert_json(&mut f, &v)?;
                    f.write_all(b"\n")?;
                    n += 1;
                }
                None => skipped += 1,
            }
        }
        f.flush()?;
        drop(f);
        let bytes = std::fs::read(&path)?;
        files.insert(name.to_string(), hex::encode(Sha256::digest(&bytes)));
        Ok(n)
    };
    let n_train = write_split("train.jsonl", &train)?;
    let n_val = write_split("val.jsonl", &val)?;
    let mut by_cause: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_risk: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_technique: BTreeMap<String, usize> = BTreeMap::new();
    for it in items {
        *by_cause.entry(it.cause.to_string()).or_default() += 1;
        *by_risk.entry(it.risk.to_string()).or_default() += 1;
        for t in &it.techniques {
            *by_technique.entry(t.clone()).or_default() += 1;
        }
    }
    let max = by_cause.values().max().copied().unwrap_or(0) as f64;
    let min = by_cause.values().min().copied().unwrap_or(0) as f64;
    let hosts = |idx: &[usize]| -> Vec<String> {
        idx.iter()
            .map(|&i| items[i].host.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let manifest = Manifest {
        format: opts.format,
        train: n_train,
        val: n_val,
        seed: opts.seed,
        val_fraction: opts.val_fraction,
        split: "by session, grouped by host (no host in both splits, synthetic sessions one by one), stratified by cause".into(),
        by_cause,
        by_risk,
        by_technique,
        imbalance_ratio: if min > 0.0 { max / min } else { 0.0 },
        model: opts.model.clone(),
        prompt_version: opts.prompt_version.clone(),
        anonymized: opts.anonymized,
        train_hosts: hosts(&train),
        val_hosts: hosts(&val),
        files,
        skipped_without_model_output: skipped,
    };
    let path = dir.join("manifest.json");
    crate::fsutil::create_private(&path)
        .and_then(|mut f| {
            f.write_all(
                crate::text::inert_json_text(&serde_json::to_string_pretty(&manifest)?).as_bytes(),
            )
        })
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(i: usize, host: &str, cause: Cause) -> ExportItem {
        ExportItem {
            session_id: format!("s{i}"),
            host: host.into(),
            system: "sys".into(),
            user: format!("session {i}"),
            answer: format!("{{\"cause\":\"{cause}\"}}"),
            rejected: i
                .is_multiple_of(2)
                .then(|| "{\"cause\":\"malicious\"}".into()),
            cause,
            risk: Risk::Medium,
            techniques: vec!["T1110".into()],
            synthetic: false,
        }
    }

    #[test]
    fn cap_shares_out_evenly_and_keeps_rare_causes() {
        let mut items: Vec<ExportItem> = (0..100)
            .map(|i| item(i, &format!("h{}", i % 7), Cause::Malicious))
            .collect();
        items.extend((100..110).map(|i| item(i, "b", Cause::Legitimate)));
        items.extend((110..113).map(|i| item(i, "c", Cause::Misconfiguration)));
        let count = |v: &[ExportItem], c: Cause| v.iter().filter(|i| i.cause == c).count();
        let cap = |v: Vec<ExportItem>, n| {
            cap_balanced(v, n, 1, |i: &ExportItem| i.cause, |i| &i.session_id)
        };
        // 30 shared out: 3 misconfiguration (all), 10 legitimate (all), 17 malicious.
        let capped = cap(items.clone(), 30);
        assert_eq!(capped.len(), 30);
        assert_eq!(count(&capped, Cause::Misconfiguration), 3);
        assert_eq!(count(&capped, Cause::Legitimate), 10);
        assert_eq!(count(&capped, Cause::Malicious), 17);
        // 12 shared out: 3 + 4 + 5 (the remainder goes to the most common cause).
        let small = cap(items.clone(), 12);
        assert_eq!(count(&small, Cause::Misconfiguration), 3);
        assert_eq!(count(&small, Cause::Legitimate), 4);
        assert_eq!(count(&small, Cause::Malicious), 5);
        // Same seed, same sample; no item twice; under the cap, everything as it was.
        let ids = |v: &[ExportItem]| v.iter().map(|i| i.session_id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&small), ids(&cap(items.clone(), 12)));
        assert_eq!(ids(&small).iter().collect::<BTreeSet<_>>().len(), 12);
        assert_eq!(cap(items.clone(), 500).len(), 113);

        // A corrected label changes the sample only around it: one malicious item relabelled
        // legitimate moves one slot between the causes, and the other items stay.
        let mut corrected = items.clone();
        let relabelled = corrected
            .iter_mut()
            .find(|i| i.cause == Cause::Malicious)
            .expect("a malicious item");
        relabelled.cause = Cause::Legitimate;
        let before: BTreeSet<String> = ids(&capped).into_iter().collect();
        let after: BTreeSet<String> = ids(&cap(corrected, 30)).into_iter().collect();
        assert!(
            before.symmetric_difference(&after).count() <= 2,
            "{before:?} vs {after:?}"
        );
    }

    #[test]
    fn no_host_on_both_sides_and_every_format_parses() {
        let causes = [Cause::Malicious, Cause::Legitimate, Cause::Misconfiguration];
        let items: Vec<ExportItem> = (0..40)
            .map(|i| item(i, &format!("h{}", i % 10), causes[i % 3]))
            .collect();
        let (train, val) = split_by_host(&items, 0.2, 7);
        assert_eq!(train.len() + val.len(), 40);
        assert!(!val.is_empty() && !train.is_empty());
        let th: BTreeSet<&str> = train.iter().map(|&i| items[i].host.as_str()).collect();
        let vh: BTreeSet<&str> = val.iter().map(|&i| items[i].host.as_str()).collect();
        assert!(th.is_disjoint(&vh));
        let dir = tempfile::tempdir().unwrap();
        for format in [
            ExportFormat::Chat,
            ExportFormat::Alpaca,
            ExportFormat::Sharegpt,
            ExportFormat::Dpo,
        ] {
            let opts = ExportOptions {
                format,
                val_fraction: 0.2,
                seed: 7,
                anonymized: false,
                model: "m".into(),
                prompt_version: "p".into(),
                max_val: 0,
            };
            let m = write(dir.path(), &items, &opts).unwrap();
            let lines = std::fs::read_to_string(dir.path().join("train.jsonl")).unwrap();
            for l in lines.lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                assert!(v.is_object());
            }
            if format == ExportFormat::Dpo {
                assert_eq!(m.skipped_without_model_output, 20);
            } else {
                assert_eq!(m.train + m.val, 40);
            }
            assert_eq!(m.files.len(), 2);
        }
    }

    #[test]
    fn synthetic_sessions_split_one_by_one_and_real_hosts_whole() {
        let causes = [Cause::Malicious, Cause::Legitimate, Cause::Misconfiguration];
        // Synth's estate: 5 hosts with 60 sessions each; a real corpus: 20 hosts of 3 sessions.
        let mut items: Vec<ExportItem> = (0..300)
            .map(|i| ExportItem {
                synthetic: true,
                ..item(i, &format!("estate{}", i % 5), causes[i % 3])
            })
            .collect();
        items.extend((300..360).map(|i| item(i, &format!("real{}", i % 20), causes[i % 3])));
        let (train, val) = split_by_host(&items, 0.2, 7);
        assert_eq!(train.len() + val.len(), items.len());
        let hosts = |idx: &[usize], synthetic| -> BTreeSet<&str> {
            idx.iter()
                .filter(|&&i| items[i].synthetic == synthetic)
                .map(|&i| items[i].host.as_str())
                .collect()
        };
        // Every estate host is trained on (held out whole, the five would lose one or more)...
        assert_eq!(hosts(&train, true).len(), 5);
        // ...and validated on, while no real host is on both sides.
        assert!(!hosts(&val, true).is_empty());
        assert!(hosts(&train, false).is_disjoint(&hosts(&val, false)));
        let synthetic_val = val.iter().filter(|&&i| items[i].synthetic).count();
        assert!(
            (20..=100).contains(&synthetic_val),
            "{synthetic_val} of 300"
        );
    }
}
