//! Windows / Sysmon events as JSON lines, in the shapes exporters write: flat nxlog and
//! Security-Datasets records (`EventID`, `Hostname`, `Channel`, EventData names at the top),
//! winlogbeat (`winlog.event_data.*`), Sentinel `SecurityEvent` (EventData as an XML string)
//! and JSON dumps of EVTX (`Event.System.*`). Mapped like EVTX records, then normalised.

use chrono::{DateTime, Duration, Utc};

use super::evtx::apply_event_pairs;
use super::jsonflat::{Pairs, flatten_object};
use super::parser::{Ctx, LineParser, first};
use super::{time, windows};
use crate::event::{Event, Format};

pub(crate) struct WinJsonParser;

impl LineParser for WinJsonParser {
    fn whole_records(&self) -> bool {
        true
    }

    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let mut pairs = Pairs::new();
        flatten_object(line, &mut pairs).map_err(|e| format!("bad JSON: {e}"))?;
        let mut ev = Event::new(Format::WinJson, ctx.source.as_str(), record, line);
        from_pairs(&mut ev, pairs);
        Ok(Some(ev))
    }
}

/// Fills a Windows event from flattened JSON pairs of any of the supported shapes.
pub(crate) fn from_pairs(ev: &mut Event, pairs: Pairs) {
    if pairs.iter().any(|(k, _)| k.starts_with("Event.System.")) {
        apply_event_pairs(ev, pairs.into_iter());
        windows::normalise(ev);
        return;
    }
    // winlogbeat: EventData under its original names, where the shared mapping looks.
    // Collected at once: building the map from a sorted batch beats inserting one by one.
    ev.fields = pairs
        .into_iter()
        .map(|(k, v)| match k.strip_prefix("winlog.event_data.") {
            Some(name) => (name.to_string(), v),
            None => (k, v),
        })
        .collect();
    // Sentinel: `EventData` is the XML of the record's EventData.
    if let Some(xml) = ev
        .fields
        .get("EventData")
        .filter(|x| x.trim_start().starts_with('<'))
        .cloned()
    {
        ev.fields.remove("EventData");
        windows::eventdata_xml(&xml, &mut ev.fields);
    }
    let f = &ev.fields;
    ev.event_id = first(
        f,
        &[
            "EventID",
            "EventId",
            "winlog.event_id",
            "event_id",
            "event.code",
        ],
    )
    .map(str::to_string);
    ev.provider = first(
        f,
        &[
            "SourceName",
            "ProviderName",
            "Provider_Name",
            "EventSourceName",
            "winlog.provider_name",
            "event.provider",
        ],
    )
    .map(str::to_string);
    ev.channel = first(f, &["Channel", "winlog.channel", "LogName", "channel"]).map(str::to_string);
    ev.host = first(
        f,
        &[
            "Hostname",
            "Computer",
            "winlog.computer_name",
            "computer_name",
            "host.name",
            "DeviceName",
        ],
    )
    .map(str::to_string);
    ev.timestamp = timestamp(f);
    windows::normalise(ev);
}

/// The event time, best source first. nxlog writes `EventTime` in the collector's local
/// time without a zone; its zone is recovered from `EventReceivedTime` (same clock) against
/// the UTC `@timestamp` logstash stamped on arrival.
fn timestamp(f: &std::collections::BTreeMap<String, String>) -> Option<DateTime<Utc>> {
    let get = |k: &str| first(f, &[k]);
    let zoned = |k: &str| get(k).filter(|v| has_zone(v)).and_then(time::parse_iso);
    if let Some(t) = zoned("TimeCreated")
        .or_else(|| zoned("winlog.time_created"))
        .or_else(|| zoned("TimeGenerated"))
    {
        return Some(t);
    }
    if let Some(local) = get("EventTime").and_then(time::parse_iso) {
        let offset = match (
            get("EventReceivedTime").and_then(time::parse_iso),
            zoned("@timestamp"),
        ) {
            (Some(received_local), Some(received_utc)) => {
                let diff = (received_local - received_utc).num_seconds();
                // Zones are whole quarter hours; the transit delay rounds away.
                let quarters = (diff as f64 / 900.0).round() as i64;
                (quarters.abs() <= 14 * 4).then(|| Duration::minutes(quarters * 15))
            }
            _ => None,
        };
        return Some(local - offset.unwrap_or_default());
    }
    [
        "@timestamp",
        "TimeCreated",
        "TimeGenerated",
        "UtcTime",
        "timestamp",
        "Timestamp",
    ]
    .iter()
    .find_map(|k| get(k).and_then(time::parse_any))
}

/// Whether an ISO timestamp names its zone (`Z` or an offset after the time).
fn has_zone(s: &str) -> bool {
    let s = s.trim();
    s.ends_with(['Z', 'z']) || s.get(11..).is_some_and(|t| t.contains(['+', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn parse(line: &str) -> Event {
        let ctx = Ctx {
            source: "w.json".into(),
            name: "w.json".into(),
            reference: Utc::now(),
        };
        WinJsonParser.parse(line, 1, &ctx).unwrap().unwrap()
    }

    #[test]
    fn nxlog_local_time_is_corrected_to_utc() {
        let ev = parse(
            r#"{"EventID":5156,"SourceName":"Microsoft-Windows-Security-Auditing","EventTime":"2020-09-04 16:09:38","EventReceivedTime":"2020-09-04 16:09:40","@timestamp":"2020-09-04T20:09:40.845Z","Hostname":"WORKSTATION5.theshire.local","host":"wec.internal.cloudapp.net","Channel":"Security","Application":"\\device\\x.exe","ProcessId":"3188","SourceAddress":"172.18.39.5","SourcePort":"50692","DestAddress":"168.63.129.16","DestPort":"80"}"#,
        );
        assert_eq!(
            ev.timestamp,
            Some(Utc.with_ymd_and_hms(2020, 9, 4, 20, 9, 38).unwrap())
        );
        assert_eq!(ev.host.as_deref(), Some("WORKSTATION5.theshire.local"));
        assert_eq!(ev.pid, Some(3188));
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("168.63.129.16"), Some(80))
        );
        assert_eq!(
            ev.message,
            "5156 network connection allowed: \\device\\x.exe 172.18.39.5:50692 -> 168.63.129.16:80"
        );
    }

    #[test]
    fn winlogbeat_and_sentinel_shapes() {
        let ev = parse(
            r#"{"@timestamp":"2021-01-01T10:00:00Z","winlog":{"event_id":1,"channel":"Microsoft-Windows-Sysmon/Operational","provider_name":"Microsoft-Windows-Sysmon","computer_name":"ws1","event_data":{"Image":"C:\\a.exe","CommandLine":"a.exe -x","User":"CORP\\bob"}}}"#,
        );
        assert_eq!(
            (ev.event_id.as_deref(), ev.host.as_deref()),
            (Some("1"), Some("ws1"))
        );
        assert_eq!(ev.user.as_deref(), Some("CORP\\bob"));
        assert_eq!(ev.message, "Sysmon 1 process create: a.exe -x");
        let ev = parse(
            r#"{"TimeGenerated":"2022-05-13T08:54:05.21Z","Computer":"WORKSTATION5","EventSourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","EventData":"<EventData xmlns=\"x\">\r\n  <Data Name=\"TargetUserName\">bob</Data>\r\n<Data Name=\"IpAddress\">::ffff:10.1.1.1</Data></EventData>","EventID":4625}"#,
        );
        assert_eq!(ev.user.as_deref(), Some("bob"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.1"));
        assert!(!ev.fields.contains_key("EventData"));
        assert_eq!(
            ev.timestamp,
            Some(
                Utc.with_ymd_and_hms(2022, 5, 13, 8, 54, 5).unwrap() + Duration::milliseconds(210)
            )
        );
    }
}
