//! Ground truth for a case's sessions: a labels file when given, else the labels attached at
//! ingest (majority cause and union of techniques of the session's events).

use serde::{Deserialize, Serialize};

use super::labels::{LabelTable, SessionRef};
use super::types::Truth;
use crate::sessions::Session;

/// Where each session's truth came from, for the report's dataset description.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthSources {
    pub from_file: u64,
    pub from_ingest: u64,
    /// Sessions with no truth at all: left out of every metric.
    pub unlabelled: u64,
}

/// The truth of each session that has one, in session order.
///
/// A labels-file row takes precedence over ingest labels (it is the more deliberate source);
/// sessions no row matches keep their ingest label. `sources_of` gives a session's source
/// files for `path` rows; pass `|_| Vec::new()` when there are none.
pub fn truths_for_sessions(
    sessions: &[Session],
    table: Option<&LabelTable>,
    sources_of: impl Fn(&Session) -> Vec<String>,
) -> (Vec<Truth>, TruthSources) {
    let mut counts = TruthSources::default();
    let mut truths = Vec::with_capacity(sessions.len());
    for s in sessions {
        let from_file = table.and_then(|tb| {
            let sources = sources_of(s);
            tb.lookup(&SessionRef::new(s, &sources))
                .map(|row| Truth::from_label(&s.id, &s.host, &row.label))
        });
        if let Some(t) = from_file {
            counts.from_file += 1;
            truths.push(t);
        } else if let Some(t) = Truth::from_session(s) {
            counts.from_ingest += 1;
            truths.push(t);
        } else {
            counts.unlabelled += 1;
        }
    }
    (truths, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Cause, Label};
    use chrono::{TimeZone, Utc};

    fn session(id: &str, host: &str, label: Option<&str>) -> Session {
        let t = Utc.with_ymd_and_hms(2026, 3, 3, 10, 0, 0).unwrap();
        Session {
            label: label.map(|l| l.parse::<Label>().unwrap()),
            ..Session::blank(id, host, t)
        }
    }

    #[test]
    fn file_rows_win_then_ingest_labels_then_nothing() {
        let table = LabelTable::parse(
            "path\tcause\ttechniques\n*.evtx\tmalicious\tT1003\nh2.log\tlegitimate\t\n",
        )
        .unwrap();
        let sessions = vec![
            session("a", "h1", Some("legitimate")),
            session("b", "h2", Some("malicious:T1059")),
            session("c", "h3", None),
            session("d", "h4", None),
        ];
        let sources = |s: &Session| match s.id.as_str() {
            "a" => vec!["/x/a.evtx".to_string()],
            "d" => vec!["/x/h2.log".to_string()],
            _ => vec![],
        };
        let (truths, counts) = truths_for_sessions(&sessions, Some(&table), sources);
        let got: Vec<(&str, Cause)> = truths
            .iter()
            .map(|t| (t.session_id.as_str(), t.cause))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a", Cause::Malicious),
                ("b", Cause::Malicious),
                ("d", Cause::Legitimate)
            ]
        );
        assert_eq!(truths[0].techniques, vec!["T1003"]);
        assert_eq!(truths[1].techniques, vec!["T1059"]);
        assert_eq!(
            counts,
            TruthSources {
                from_file: 2,
                from_ingest: 1,
                unlabelled: 1
            }
        );
        let (only_ingest, counts) = truths_for_sessions(&sessions, None, |_| Vec::new());
        assert_eq!(only_ingest.len(), 2);
        assert_eq!(counts.unlabelled, 2);
    }
}
