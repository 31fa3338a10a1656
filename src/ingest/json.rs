//! Generic JSON: any object per line (cloud audit logs, app logs), flattened, with the time,
//! host, user, addresses, process and action guessed from common key names (whole JSON
//! documents are split into records by `jsondoc`).

use std::collections::BTreeMap;

use super::jsonflat::{Pairs, flatten_object};
use super::parser::{
    Ctx, LineParser, fallback_message, fill_endpoints, first, first_owned, parse_pid, summary,
};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct JsonParser;

impl LineParser for JsonParser {
    fn whole_records(&self) -> bool {
        true
    }

    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let mut pairs = Pairs::new();
        flatten_object(line, &mut pairs).map_err(|e| format!("bad JSON: {e}"))?;
        let mut ev = Event::new(Format::Json, ctx.source.as_str(), record, line);
        ev.fields = pairs.into_iter().collect();
        guess(&mut ev);
        Ok(Some(ev))
    }
}

const TIME_KEYS: [&str; 22] = [
    "@timestamp",
    "timestamp",
    "time",
    "ts",
    "EventTime",
    "eventTime",
    "TimeCreated",
    "TimeGenerated",
    "Timestamp",
    "datetime",
    "date",
    "_time",
    "event.created",
    "DetectTime",
    "ActivityDateTime",
    "CreationTime",
    "creationTime",
    "published",
    "StartTime",
    "start_time",
    "created_at",
    "Date",
];
const HOST_KEYS: [&str; 12] = [
    "host.name",
    "host.hostname",
    "hostname",
    "host_name",
    "Hostname",
    "host",
    "Computer",
    "DeviceName",
    "computer_name",
    "ComputerName",
    "agent.hostname",
    "observer.hostname",
];
const USER_KEYS: [&str; 16] = [
    "user.name",
    "user",
    "username",
    "userName",
    "user_name",
    "UserName",
    "userIdentity.userName",
    "UserPrincipalName",
    "userPrincipalName",
    "AccountName",
    "InitiatingProcessAccountName",
    "actor",
    "principal",
    "Identity",
    "UserId",
    "userIdentity.arn",
];
const SRC_IP: [&str; 14] = [
    "source.ip",
    "src_ip",
    "srcip",
    "src",
    "client_ip",
    "clientIP",
    "ClientIP",
    "sourceIPAddress",
    "client.ip",
    "IPAddress",
    "ipAddress",
    "CallerIpAddress",
    "remote_addr",
    "ip",
];
const DST_IP: [&str; 8] = [
    "destination.ip",
    "dst_ip",
    "dest_ip",
    "dstip",
    "dst",
    "server_ip",
    "RemoteIP",
    "dest",
];
const SRC_PORT: [&str; 6] = [
    "source.port",
    "src_port",
    "srcport",
    "sport",
    "client_port",
    "LocalPort",
];
const DST_PORT: [&str; 6] = [
    "destination.port",
    "dst_port",
    "dest_port",
    "dstport",
    "dport",
    "RemotePort",
];
const PROCESS_KEYS: [&str; 6] = [
    "process.executable",
    "process.name",
    "Image",
    "InitiatingProcessFolderPath",
    "exe",
    "process",
];
const CMD_KEYS: [&str; 7] = [
    "process.command_line",
    "CommandLine",
    "command_line",
    "ProcessCommandLine",
    "InitiatingProcessCommandLine",
    "cmdline",
    "cmd",
];
const ACTION_KEYS: [&str; 12] = [
    "event.action",
    "eventName",
    "event_type",
    "EventID",
    "ActionType",
    "OperationName",
    "Operation",
    "action",
    "event",
    "type",
    "category",
    "Category",
];
const MESSAGE_KEYS: [&str; 7] = [
    "message",
    "msg",
    "Message",
    "description",
    "Description",
    "summary",
    "log",
];

/// Fills the normalised fields of a generic JSON record from well-known key names.
pub(crate) fn guess(ev: &mut Event) {
    let f = &ev.fields;
    ev.timestamp = timestamp(f);
    ev.host = first_owned(f, &HOST_KEYS);
    ev.user = first_owned(f, &USER_KEYS);
    ev.process = first_owned(f, &PROCESS_KEYS);
    ev.command_line = first_owned(f, &CMD_KEYS);
    ev.pid = first(
        f,
        &["process.pid", "pid", "ProcessId", "InitiatingProcessId"],
    )
    .and_then(parse_pid);
    ev.parent_process = first_owned(
        f,
        &[
            "process.parent.executable",
            "ParentImage",
            "InitiatingProcessParentFileName",
        ],
    );
    ev.event_id = first_owned(f, &ACTION_KEYS);
    ev.provider = first_owned(
        f,
        &[
            "eventSource",
            "event.provider",
            "event.module",
            "LoggedByService",
            "SourceSystem",
        ],
    );
    ev.channel = first_owned(f, &["event.dataset", "Type", "log.logger"]);
    fill_endpoints(ev, &SRC_IP, &SRC_PORT, &DST_IP, &DST_PORT);
    let f = &ev.fields;
    ev.message = match first(f, &MESSAGE_KEYS) {
        Some(m) => summary(m),
        None => fallback_message(ev, true),
    };
}

fn timestamp(f: &BTreeMap<String, String>) -> Option<chrono::DateTime<chrono::Utc>> {
    TIME_KEYS.iter().find_map(|k| {
        let v = f.get(*k)?;
        time::parse_any(v).or_else(|| (*k == "ts").then(|| time::parse_epoch_secs(v)).flatten())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn parse(line: &str) -> Event {
        let ctx = Ctx {
            source: "x.json".into(),
            name: "x.json".into(),
            reference: Utc::now(),
        };
        JsonParser.parse(line, 1, &ctx).unwrap().unwrap()
    }

    #[test]
    fn cloudtrail_like_record() {
        let ev = parse(
            r#"{"userIdentity":{"type":"IAMUser","userName":"pedro"},"eventName":"DescribeInstanceTypes","sourceIPAddress":"1.2.3.4","eventSource":"ec2.amazonaws.com","@timestamp":"2020-09-14T00:44:23.000Z"}"#,
        );
        assert_eq!(ev.user.as_deref(), Some("pedro"));
        assert_eq!(ev.event_id.as_deref(), Some("DescribeInstanceTypes"));
        assert_eq!(ev.src_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(ev.provider.as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(
            ev.timestamp,
            Some(Utc.with_ymd_and_hms(2020, 9, 14, 0, 44, 23).unwrap())
        );
        assert_eq!(ev.message, "DescribeInstanceTypes by pedro from 1.2.3.4");
    }

    #[test]
    fn message_and_epoch_time() {
        let ev = parse(r#"{"ts":1601998366.5,"host":"web1","msg":"hello\nworld","level":"info"}"#);
        assert_eq!(ev.host.as_deref(), Some("web1"));
        assert_eq!(ev.message, "hello world");
        assert_eq!(ev.timestamp.unwrap().timestamp(), 1_601_998_366);
    }
}
