//! Per-connection labels of Zeek logs labelled by Stratosphere's netflowlabeler (the Slips
//! `test18-*/zeek-labeled/*.labeled` files: `label` and `detailedlabel` columns).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, Utc};

use super::labels::LabelsError;
use super::types::normalise_techniques;
use crate::event::{Cause, Label};

/// One labelled record.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLabel {
    /// 1-based line in the file.
    pub line: usize,
    pub ts: Option<DateTime<Utc>>,
    pub uid: Option<String>,
    pub orig_h: Option<String>,
    pub resp_h: Option<String>,
    /// `Malicious` -> malicious, `Benign` -> legitimate, `Unknown`/empty -> `None`.
    pub cause: Option<Cause>,
    /// e.g. `From_malicious-To_malicious-Malware_data_exfiltration-RemcosRAT`.
    pub detailed: Option<String>,
}

/// A labelled Zeek log.
#[derive(Debug, Clone, Default)]
pub struct ZeekLabeled {
    /// The `#path` header (`conn`, `dns`, …).
    pub log: String,
    pub flows: Vec<FlowLabel>,
}

impl ZeekLabeled {
    pub fn read(path: &Path) -> Result<ZeekLabeled, LabelsError> {
        let text = std::fs::read_to_string(path).map_err(|source| LabelsError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        ZeekLabeled::parse(&text).map_err(|reason| LabelsError::Format {
            path: path.to_path_buf(),
            reason,
        })
    }

    pub fn parse(text: &str) -> Result<ZeekLabeled, String> {
        let mut out = ZeekLabeled::default();
        let mut cols: Vec<String> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix("#fields\t") {
                cols = rest.split('\t').map(str::to_string).collect();
                continue;
            }
            if let Some(rest) = line.strip_prefix("#path\t") {
                out.log = rest.trim().to_string();
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if cols.is_empty() {
                return Err(format!("line {}: data before the #fields header", i + 1));
            }
            let f: Vec<&str> = line.split('\t').collect();
            let get = |name: &str| {
                cols.iter()
                    .position(|c| c == name)
                    .and_then(|p| f.get(p))
                    .map(|v| v.trim())
                    .filter(|v| !matches!(*v, "" | "-" | "(empty)"))
            };
            let ts = get("ts")
                .and_then(|v| v.parse::<f64>().ok())
                .and_then(|secs| DateTime::from_timestamp_micros((secs * 1e6).round() as i64));
            out.flows.push(FlowLabel {
                line: i + 1,
                ts,
                uid: get("uid").or_else(|| get("uids")).map(str::to_string),
                orig_h: get("id.orig_h")
                    .or_else(|| get("client_addr"))
                    .map(str::to_string),
                resp_h: get("id.resp_h")
                    .or_else(|| get("server_addr"))
                    .map(str::to_string),
                cause: get("label").and_then(cause_of),
                detailed: get("detailedlabel").map(str::to_string),
            });
        }
        if !cols.iter().any(|c| c == "label") {
            return Err("no `label` column in #fields".into());
        }
        Ok(out)
    }

    /// Records per label value (`malicious`, `legitimate`, `unknown`).
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut m = BTreeMap::new();
        for f in &self.flows {
            *m.entry(f.cause.map_or("unknown", Cause::as_str))
                .or_default() += 1;
        }
        m
    }

    /// The label of the whole file: the majority cause of its labelled records (ties go to
    /// malicious, the costlier one to miss), with the techniques of its malicious records.
    pub fn file_label(&self) -> Option<Label> {
        majority(self.flows.iter())
    }

    /// Each labelled record's own label, by 1-based line number (the record number ingest
    /// gives a Zeek TSV line); `Unknown` records have none.
    pub fn record_labels(&self) -> HashMap<u64, Label> {
        self.flows
            .iter()
            .filter_map(|f| Some((f.line as u64, majority(std::iter::once(f))?)))
            .collect()
    }

    /// The label of the records between two hosts, in either direction.
    pub fn flow_label(&self, a: &str, b: &str) -> Option<Label> {
        majority(self.flows.iter().filter(|f| {
            let (o, r) = (f.orig_h.as_deref(), f.resp_h.as_deref());
            (o == Some(a) && r == Some(b)) || (o == Some(b) && r == Some(a))
        }))
    }
}

fn cause_of(label: &str) -> Option<Cause> {
    match label.to_ascii_lowercase().as_str() {
        "malicious" => Some(Cause::Malicious),
        "benign" => Some(Cause::Legitimate),
        _ => None,
    }
}

fn majority<'a>(flows: impl Iterator<Item = &'a FlowLabel>) -> Option<Label> {
    let (mut mal, mut ben) = (0u64, 0u64);
    let mut techniques = Vec::new();
    for f in flows {
        match f.cause {
            Some(Cause::Malicious) => {
                mal += 1;
                techniques.extend(
                    f.detailed
                        .as_deref()
                        .map(detailed_techniques)
                        .unwrap_or_default(),
                );
            }
            Some(_) => ben += 1,
            None => {}
        }
    }
    if mal + ben == 0 {
        return None;
    }
    let malicious = mal >= ben;
    Some(Label {
        cause: if malicious {
            Cause::Malicious
        } else {
            Cause::Legitimate
        },
        techniques: if malicious {
            normalise_techniques(&techniques)
        } else {
            Vec::new()
        },
        risk: None,
    })
}

/// ATT&CK techniques implied by a Stratosphere detailed label. The mapping is ours (the
/// labels name behaviours, not techniques), kept to unambiguous keywords.
pub fn detailed_techniques(detailed: &str) -> Vec<String> {
    let d = detailed.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut add = |hit: bool, t: &str| {
        if hit {
            out.push(t.to_string());
        }
    };
    add(d.contains("c2") && d.contains("http"), "T1071.001");
    add(d.contains("exfiltration"), "T1041");
    add(d.contains("ingress_tool"), "T1105");
    add(d.contains("portscan") || d.contains("port_scan"), "T1046");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "#separator \\x09\n#path\tconn\n\
        #fields\tts\tuid\tid.orig_h\tid.resp_h\tlabel\tdetailedlabel\n\
        1677024003.714845\tC1\t10.0.0.7\t66.63.168.35\tMalicious\tFrom_malicious-To_malicious-Malware_data_exfiltration-RemcosRAT\n\
        1677024004.0\tC2\t66.63.168.35\t10.0.0.7\tMalicious\tFrom_malicious-To_malicious-Malware_C2-Ingress_tool_access-RemcosRAT-HTTP\n\
        1677024005.0\tC3\t10.0.0.7\t10.0.0.1\tBenign\tFrom_benign-To_benign\n\
        1677024006.0\tC4\t10.0.0.7\t10.0.0.1\tUnknown\t(empty)\n\
        #close\t2024\n";

    #[test]
    fn parses_flows_and_takes_majorities() {
        let z = ZeekLabeled::parse(SAMPLE).unwrap();
        assert_eq!(z.log, "conn");
        assert_eq!(z.flows.len(), 4);
        assert_eq!(z.flows[0].ts.unwrap().timestamp(), 1677024003);
        assert_eq!(z.flows[3].detailed, None);
        let c = z.counts();
        assert_eq!((c["malicious"], c["legitimate"], c["unknown"]), (2, 1, 1));
        let l = z.file_label().unwrap();
        assert_eq!(l.cause, Cause::Malicious);
        assert_eq!(l.techniques, vec!["T1041", "T1071.001", "T1105"]);
        let c2 = z.flow_label("66.63.168.35", "10.0.0.7").unwrap();
        assert_eq!(c2.cause, Cause::Malicious);
        assert_eq!(
            z.flow_label("10.0.0.1", "10.0.0.7").unwrap().cause,
            Cause::Legitimate
        );
        assert_eq!(z.flow_label("1.1.1.1", "10.0.0.7"), None);
    }

    #[test]
    fn rejects_files_without_labels() {
        assert!(ZeekLabeled::parse("1\t2\n").is_err());
        assert!(ZeekLabeled::parse("#fields\tts\tuid\n1\tC\n").is_err());
    }
}
