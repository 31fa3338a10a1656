//! Catalog file formats: the compact lookup JSON, MITRE's STIX 2.1 bundle, and TSV tables.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::paths::REVOKED_BY_FILE;
use super::{AttackError, Catalog, Result, Technique};

/// Either JSON shape, told apart by which top-level key is present.
#[derive(Deserialize)]
struct AnyJson {
    #[serde(rename = "_metadata")]
    metadata: Option<LookupMeta>,
    attack_patterns: Option<Vec<LookupPattern>>,
    objects: Option<Vec<StixObject>>,
}

#[derive(Deserialize)]
struct LookupMeta {
    #[serde(default)]
    source_file: String,
}

#[derive(Deserialize)]
struct LookupPattern {
    external_id: String,
    name: String,
    #[serde(default)]
    tactics: Vec<String>,
    #[serde(default)]
    platforms: Vec<String>,
    #[serde(default)]
    revoked: bool,
    #[serde(default)]
    deprecated: bool,
}

#[derive(Deserialize)]
struct StixObject {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    external_references: Vec<ExternalRef>,
    #[serde(default)]
    kill_chain_phases: Vec<KillChainPhase>,
    #[serde(default)]
    x_mitre_platforms: Vec<String>,
    #[serde(default)]
    x_mitre_deprecated: bool,
    #[serde(default)]
    revoked: bool,
    x_mitre_version: Option<String>,
    relationship_type: Option<String>,
    source_ref: Option<String>,
    target_ref: Option<String>,
}

#[derive(Deserialize)]
struct ExternalRef {
    #[serde(default)]
    source_name: String,
    external_id: Option<String>,
}

#[derive(Deserialize)]
struct KillChainPhase {
    #[serde(default)]
    kill_chain_name: String,
    #[serde(default)]
    phase_name: String,
}

pub(super) fn json(path: &Path) -> Result<Catalog> {
    let bytes = std::fs::read(path).map_err(|source| AttackError::Io {
        path: path.into(),
        source,
    })?;
    let any: AnyJson = serde_json::from_slice(&bytes).map_err(|source| AttackError::Json {
        path: path.into(),
        source,
    })?;
    let (mut techniques, version) = if let Some(patterns) = any.attack_patterns {
        let version = any.metadata.and_then(|m| version_in(&m.source_file));
        (patterns.into_iter().map(from_lookup).collect(), version)
    } else if let Some(objects) = any.objects {
        from_stix(objects)
    } else {
        return Err(AttackError::Format {
            path: path.into(),
            reason: "neither an `attack_patterns` lookup nor a STIX bundle with `objects`".into(),
        });
    };
    if techniques.is_empty() {
        return Err(empty(path));
    }
    // The lookup carries no relationships: setup writes the revoked-by map beside it.
    if let Some(dir) = path.parent() {
        apply_replacements(&mut techniques, &dir.join(REVOKED_BY_FILE), 1)?;
    }
    Catalog::from_techniques(techniques, version, path.into()).with_crosswalk_beside(path)
}

fn from_lookup(p: LookupPattern) -> Technique {
    Technique {
        id: p.external_id.trim().to_ascii_uppercase(),
        name: p.name,
        tactics: p.tactics,
        platforms: p.platforms,
        deprecated: p.deprecated,
        revoked: p.revoked,
        replaced_by: None,
    }
}

/// `enterprise-attack-18.1.json` -> `18.1`.
fn version_in(file: &str) -> Option<String> {
    let v = file.rsplit_once("attack-")?.1.strip_suffix(".json")?;
    (!v.is_empty()).then(|| v.to_string())
}

fn from_stix(objects: Vec<StixObject>) -> (Vec<Technique>, Option<String>) {
    let mut version = None;
    let mut by_stix_id: HashMap<String, usize> = HashMap::new();
    let mut techniques = Vec::new();
    let mut revoked_by = Vec::new();
    for o in objects {
        match o.kind.as_str() {
            "attack-pattern" => {
                let Some(id) = o
                    .external_references
                    .iter()
                    .find(|r| r.source_name == "mitre-attack")
                    .and_then(|r| r.external_id.as_deref())
                else {
                    continue;
                };
                by_stix_id.insert(o.id.clone(), techniques.len());
                techniques.push(Technique {
                    id: id.trim().to_ascii_uppercase(),
                    name: o.name,
                    tactics: o
                        .kill_chain_phases
                        .into_iter()
                        .filter(|k| k.kill_chain_name == "mitre-attack")
                        .map(|k| k.phase_name)
                        .collect(),
                    platforms: o.x_mitre_platforms,
                    deprecated: o.x_mitre_deprecated,
                    revoked: o.revoked,
                    replaced_by: None,
                });
            }
            "relationship" if o.relationship_type.as_deref() == Some("revoked-by") => {
                if let (Some(s), Some(t)) = (o.source_ref, o.target_ref) {
                    revoked_by.push((s, t));
                }
            }
            "x-mitre-collection" => version = version.or(o.x_mitre_version),
            _ => {}
        }
    }
    for (s, t) in revoked_by {
        if let (Some(&si), Some(&ti)) = (by_stix_id.get(&s), by_stix_id.get(&t)) {
            techniques[si].replaced_by = Some(techniques[ti].id.clone());
        }
    }
    (techniques, version)
}

/// `techniques.tsv` (`id, name, tactics, is_subtechnique, platforms`, lists comma-separated),
/// plus `revoked_deprecated.tsv` (`id, name, status, replaced_by`) when it lies beside it.
pub(super) fn tsv(path: &Path) -> Result<Catalog> {
    let text = read(path)?;
    let header = columns(&text, path, &["id", "name", "tactics", "platforms"])?;
    let mut techniques = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(header[i]).copied().unwrap_or("").trim();
        if cell(0).is_empty() {
            return Err(AttackError::Format {
                path: path.into(),
                reason: format!("line {}: no id", n + 1),
            });
        }
        techniques.push(Technique {
            id: cell(0).to_ascii_uppercase(),
            name: cell(1).to_string(),
            tactics: list(cell(2)),
            platforms: list(cell(3)),
            deprecated: false,
            revoked: false,
            replaced_by: None,
        });
    }
    if techniques.is_empty() {
        return Err(empty(path));
    }
    if let Some(dir) = path.parent() {
        let old = dir.join("revoked_deprecated.tsv");
        if old.is_file() {
            add_retired(&mut techniques, &old)?;
        }
    }
    Catalog::from_techniques(techniques, None, path.into()).with_crosswalk_beside(path)
}

/// Adds the retired (revoked or deprecated) techniques of a `revoked_deprecated.tsv`.
fn add_retired(techniques: &mut Vec<Technique>, path: &Path) -> Result<()> {
    let text = read(path)?;
    let h = columns(&text, path, &["id", "name", "status", "replaced_by"])?;
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(h[i]).copied().unwrap_or("").trim();
        let status = cell(2).to_ascii_lowercase();
        techniques.push(Technique {
            id: cell(0).to_ascii_uppercase(),
            name: cell(1).to_string(),
            tactics: Vec::new(),
            platforms: Vec::new(),
            deprecated: status == "deprecated",
            revoked: status != "deprecated",
            replaced_by: Some(cell(3).to_ascii_uppercase()).filter(|r| !r.is_empty()),
        });
    }
    Ok(())
}

/// Reads `id<TAB>replaced_by` lines (column `col`) into the techniques, when the file exists.
fn apply_replacements(techniques: &mut [Technique], path: &Path, col: usize) -> Result<()> {
    if !path.is_file() {
        return Ok(());
    }
    let text = read(path)?;
    let map: HashMap<String, String> = text
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('\t').collect();
            let old = cells.first()?.trim().to_ascii_uppercase();
            let new = cells.get(col)?.trim().to_ascii_uppercase();
            (!old.is_empty() && !new.is_empty()).then_some((old, new))
        })
        .collect();
    for t in techniques.iter_mut() {
        if let Some(new) = map.get(&t.id) {
            t.replaced_by = Some(new.clone());
        }
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| AttackError::Io {
        path: path.into(),
        source,
    })
}

/// Indexes of the `wanted` columns in the header line, or an error naming the missing one.
fn columns(text: &str, path: &Path, wanted: &[&str]) -> Result<Vec<usize>> {
    let header: Vec<&str> = text.lines().next().unwrap_or("").split('\t').collect();
    wanted
        .iter()
        .map(|w| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(w))
                .ok_or_else(|| AttackError::Format {
                    path: path.into(),
                    reason: format!("no `{w}` column in the header"),
                })
        })
        .collect()
}

fn list(cell: &str) -> Vec<String> {
    cell.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

fn empty(path: &Path) -> AttackError {
    AttackError::Format {
        path: path.into(),
        reason: "no techniques".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stix_bundle_imports_patterns_phases_and_revocations() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("enterprise-attack.json");
        let bundle = serde_json::json!({
            "type": "bundle", "id": "bundle--1",
            "objects": [
                {"type": "x-mitre-collection", "id": "x-mitre-collection--1", "x_mitre_version": "18.1"},
                {"type": "attack-pattern", "id": "attack-pattern--a", "name": "PowerShell",
                 "external_references": [
                    {"source_name": "capec", "external_id": "CAPEC-1"},
                    {"source_name": "mitre-attack", "external_id": "T1059.001"}],
                 "kill_chain_phases": [
                    {"kill_chain_name": "mitre-attack", "phase_name": "execution"},
                    {"kill_chain_name": "other", "phase_name": "x"}],
                 "x_mitre_platforms": ["Windows"]},
                {"type": "attack-pattern", "id": "attack-pattern--b", "name": "PowerShell",
                 "revoked": true,
                 "external_references": [{"source_name": "mitre-attack", "external_id": "T1086"}]},
                {"type": "attack-pattern", "id": "attack-pattern--c", "name": "Old",
                 "x_mitre_deprecated": true,
                 "external_references": [{"source_name": "mitre-attack", "external_id": "T1000"}]},
                {"type": "attack-pattern", "id": "attack-pattern--d", "name": "No id"},
                {"type": "relationship", "id": "relationship--1", "relationship_type": "revoked-by",
                 "source_ref": "attack-pattern--b", "target_ref": "attack-pattern--a"},
                {"type": "malware", "id": "malware--1", "name": "x"}
            ]
        });
        std::fs::write(&p, bundle.to_string()).unwrap();
        let c = Catalog::import_stix(&p).unwrap();
        assert_eq!(c.len(), 3);
        assert_eq!(c.version(), Some("18.1"));
        assert_eq!(c.tactics_of("T1059.001"), ["execution".to_string()]);
        assert!(c.is_valid("T1059.001"));
        assert!(!c.is_valid("T1086") && !c.is_valid("T1000"));
        assert_eq!(c.current("T1086").as_deref(), Some("T1059.001"));
    }

    /// A pattern object for the bundles below.
    fn pattern(stix: &str, id: &str, name: &str, tactic: &str) -> serde_json::Value {
        serde_json::json!({"type": "attack-pattern", "id": stix, "name": name,
            "external_references": [{"source_name": "mitre-attack", "external_id": id}],
            "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": tactic}]})
    }

    /// A v19 bundle revokes a v18 id in favour of its new one (or deprecates it without a
    /// successor) and a v18 bundle has only the old id: labels and rule tags of either version
    /// meet in both catalogs, the v19 one through MITRE's links, the v18 one through the
    /// crosswalk.
    #[test]
    fn v19_and_v18_bundles_meet_through_revocations_and_the_crosswalk() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, objects: Vec<serde_json::Value>| {
            let p = dir.path().join(name);
            let bundle =
                serde_json::json!({"type": "bundle", "id": "bundle--1", "objects": objects});
            std::fs::write(&p, bundle.to_string()).unwrap();
            p
        };
        let mut old_logs = pattern(
            "attack-pattern--o",
            "T1070.001",
            "Clear Windows Event Logs",
            "defense-evasion",
        );
        old_logs["revoked"] = true.into();
        let mut old_fw = pattern(
            "attack-pattern--f",
            "T1562.004",
            "Disable or Modify System Firewall",
            "defense-evasion",
        );
        old_fw["x_mitre_deprecated"] = true.into();
        let v19 = write(
            "v19.json",
            vec![
                serde_json::json!({"type": "x-mitre-collection", "id": "x-mitre-collection--1", "x_mitre_version": "19.0"}),
                pattern(
                    "attack-pattern--n",
                    "T1685.005",
                    "Clear Windows Event Logs",
                    "defense-impairment",
                ),
                pattern(
                    "attack-pattern--g",
                    "T1686",
                    "Disable or Modify System Firewall",
                    "defense-impairment",
                ),
                old_logs,
                old_fw,
                serde_json::json!({"type": "relationship", "id": "relationship--1", "relationship_type": "revoked-by",
                "source_ref": "attack-pattern--o", "target_ref": "attack-pattern--n"}),
            ],
        );
        let v18 = write(
            "v18.json",
            vec![
                serde_json::json!({"type": "x-mitre-collection", "id": "x-mitre-collection--2", "x_mitre_version": "18.1"}),
                pattern(
                    "attack-pattern--o",
                    "T1070.001",
                    "Clear Windows Event Logs",
                    "defense-evasion",
                ),
                pattern(
                    "attack-pattern--f",
                    "T1562.004",
                    "Disable or Modify System Firewall",
                    "defense-evasion",
                ),
            ],
        );
        let new = Catalog::import_stix(&v19).unwrap();
        let old = Catalog::import_stix(&v18).unwrap();
        assert_eq!(new.version(), Some("19.0"));
        // v19: the new ids are the catalog's own (its tactics, not a bridge), old labels map up.
        assert_eq!(
            new.tactics_of("T1685.005"),
            ["defense-impairment".to_string()]
        );
        assert_eq!(new.technique_key("T1070.001").as_deref(), Some("T1685.005"));
        assert_eq!(new.technique_key("T1562.004").as_deref(), Some("T1686"));
        assert!(new.same_technique("T1070.001", "T1685.005"));
        assert!(new.same_technique("T1562.004", "T1686"));
        assert!(!new.is_valid("T1070.001"));
        // v18: the new ids are bridged to the old ones.
        assert_eq!(old.technique_key("T1685.005").as_deref(), Some("T1070.001"));
        assert!(old.same_technique("T1685.005", "T1070.001"));
        assert!(old.same_technique("T1686", "T1562.004"));
        // Both catalogs list the same link for `attack show`.
        let up = new.equivalents("T1070.001");
        assert!(
            up.iter()
                .any(|e| e.id == "T1685.005" && e.newer && e.source == "MITRE revoked-by")
        );
        assert!(
            old.equivalents("T1070.001")
                .iter()
                .any(|e| e.id == "T1685.005" && e.newer)
        );
    }

    #[test]
    fn malformed_files_are_errors_not_panics() {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [
            ("a.json", "{\"objects\": 3}"),
            ("b.json", "not json"),
            ("c.json", "{}"),
            ("d.json", "{\"attack_patterns\": []}"),
            ("e.tsv", "nope\n"),
            ("f.tsv", "id\tname\ttactics\tplatforms\n"),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, body).unwrap();
            assert!(Catalog::load(&p).is_err(), "{name}");
        }
        assert!(Catalog::load(&dir.path().join("missing.json")).is_err());
    }

    #[test]
    fn version_from_source_file() {
        assert_eq!(
            version_in("enterprise-attack-18.1.json").as_deref(),
            Some("18.1")
        );
        assert_eq!(version_in("x.json"), None);
    }
}
