//! Format detection by content: magic bytes, then the shape of the first records (JSON keys,
//! Zeek headers, line patterns voted over up to a thousand lines). The file name is only a
//! tie-breaker (`auth.log`, `conn.log`, `.csv`).

use chrono::Utc;

use super::jsonflat::{Pairs, flatten_object};
use super::reader::sniff_encoding;
use super::{apache_error, auditd_record, authlog, binetflow, csv, evtx, syslog, web};
use crate::event::Format;

/// Zeek log names, for JSON records that carry no telltale key.
const ZEEK_LOGS: [&str; 32] = [
    "conn",
    "dns",
    "http",
    "ssl",
    "x509",
    "files",
    "notice",
    "weird",
    "dhcp",
    "arp",
    "smtp",
    "software",
    "pe",
    "ssh",
    "kerberos",
    "ntlm",
    "smb_mapping",
    "smb_files",
    "rdp",
    "dpd",
    "analyzer",
    "tunnel",
    "capture_loss",
    "reporter",
    "loaded_scripts",
    "packet_filter",
    "stats",
    "quic",
    "telemetry",
    "ftp",
    "known_hosts",
    "known_services",
];

/// Detects the format of a file from its name and first bytes (raw: BOMs and UTF-16 are
/// handled here too). Binary junk is not this function's concern: it answers `Text`.
pub fn detect_format(name: &str, head: &[u8]) -> Format {
    if head.starts_with(evtx::MAGIC) {
        return Format::Evtx;
    }
    let text = sniff_encoding(head).decode_head(head);
    detect_text(name, &String::from_utf8_lossy(&text))
}

/// Detection on decoded text.
pub(crate) fn detect_text(name: &str, text: &str) -> Format {
    let lower = name.to_ascii_lowercase();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(1000)
        .collect();
    let Some(first) = lines.first().map(|l| l.trim_start()) else {
        return Format::Text;
    };
    if first.starts_with("#separator") || first.starts_with("#fields") || first.starts_with("#path")
    {
        return Format::ZeekTsv;
    }
    if first.starts_with('{') {
        // A pretty-printed object starts with a lone `{`: look at the whole head then.
        let sample = if first.trim_end() == "{" { text } else { first };
        return json_kind(&lower, sample);
    }
    if let Some(after) = first.strip_prefix('[') {
        let after = after.trim_start();
        if after.is_empty() || after.starts_with('{') || after.starts_with(']') {
            let body = text
                .trim_start()
                .strip_prefix('[')
                .unwrap_or(text)
                .trim_start();
            return json_kind(&lower, body);
        }
    }
    if binetflow::is_header(first) {
        return Format::Binetflow;
    }
    let reference = Utc::now();
    let n = lines.len();
    let majority = |count: usize| count * 2 > n;
    if majority(
        lines
            .iter()
            .filter(|l| auditd_record::header(l).is_some())
            .count(),
    ) {
        return Format::Auditd;
    }
    if majority(lines.iter().filter(|l| web::looks_like(l)).count()) {
        return Format::WebAccess;
    }
    if majority(lines.iter().filter(|l| apache_error::looks_like(l)).count()) {
        return Format::ApacheError;
    }
    let programs: Vec<String> = lines
        .iter()
        .filter_map(|l| syslog::parse_header(l, reference))
        .filter(|h| h.app.is_some())
        .filter_map(|h| h.app.map(syslog::program_base))
        .collect();
    if majority(programs.len()) {
        let auth = programs
            .iter()
            .filter(|p| authlog::AUTH_PROGRAMS.contains(&p.as_str()))
            .count();
        let named = lower.contains("auth") || lower.contains("secure");
        return if named || auth * 5 >= programs.len() * 4 {
            Format::AuthLog
        } else {
            Format::Syslog
        };
    }
    if looks_csv(&lines, &lower) {
        return Format::Csv;
    }
    Format::Text
}

/// Which JSON family a record belongs to, from its keys (or, when it does not parse on its
/// own, from key names found in the text).
fn json_kind(lower_name: &str, sample: &str) -> Format {
    let mut pairs = Pairs::new();
    let keys: Vec<String> = if flatten_object(sample.trim(), &mut pairs).is_ok() {
        pairs.iter().map(|(k, _)| k.clone()).collect()
    } else {
        // Key names as they appear in text: `"name":`.
        sample
            .split('"')
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[1].trim_start().starts_with(':'))
            .map(|w| w[0].to_string())
            .collect()
    };
    let has = |k: &str| keys.iter().any(|x| x == k);
    if has("Format") && sample.contains("IDEA0") {
        return Format::Slips;
    }
    if has("event_type") && (has("src_ip") || has("dest_ip") || has("flow_id")) {
        return Format::SuricataEve;
    }
    let base = lower_name.rsplit(['/', '\\']).next().unwrap_or(lower_name);
    let stem = base.split('.').next().unwrap_or(base);
    // Some Zeek logs carry no time (`loaded_scripts.log`): their name says what they are.
    let zeek_named = ZEEK_LOGS.contains(&stem) && (has("ts") || base.contains(".log"));
    if has("id.orig_h") || has("_path") || (has("ts") && has("uid")) || zeek_named {
        return Format::ZeekJson;
    }
    if has("EventID")
        || has("EventId")
        || has("winlog.event_id")
        || keys
            .iter()
            .any(|k| k.starts_with("Event.System.") || k == "System")
    {
        return Format::WinJson;
    }
    Format::Json
}

/// A header row then rows of as many fields: most rows agree, and the header looks like names.
fn looks_csv(lines: &[&str], lower_name: &str) -> bool {
    let named = [".csv", ".tsv", ".psv"]
        .iter()
        .any(|e| lower_name.ends_with(e));
    let Some(header) = lines.first() else {
        return false;
    };
    let delim = csv::delimiter(header);
    let text = lines
        .iter()
        .take(50)
        .copied()
        .collect::<Vec<_>>()
        .join("\n");
    let mut rdr = ::csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let rows: Vec<::csv::StringRecord> = rdr.records().take(50).filter_map(Result::ok).collect();
    let Some(head) = rows.first() else {
        return false;
    };
    if head.len() < 2 {
        return false;
    }
    let name_like = |f: &str| {
        let f = f.trim();
        !f.is_empty()
            && f.len() <= 64
            && !f.starts_with(|c: char| c.is_ascii_digit())
            && f.chars().any(|c| c.is_alphabetic())
            && f.split_whitespace().count() <= 4
    };
    if !head.iter().all(name_like) {
        return false;
    }
    // The last row of a head may be cut: judge on the others when there are others.
    let data = if rows.len() > 2 {
        &rows[1..rows.len() - 1]
    } else {
        &rows[1..]
    };
    if data.is_empty() {
        return named || rows.len() > 1;
    }
    let same = data.iter().filter(|r| r.len() == head.len()).count();
    same * 5 >= data.len() * 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_family() {
        let cases: [(&str, &str, Format); 19] = [
            (
                "audit.log",
                "type=SYSCALL msg=audit(1700000000.123:456): arch=c000003e syscall=59 success=yes\ntype=EOE msg=audit(1700000000.123:456): \n",
                Format::Auditd,
            ),
            (
                "messages",
                "node=web01 type=USER_LOGIN msg=audit(1700000000.5:7): pid=1 uid=0 msg='op=login acct=\"bob\" res=failed'\n",
                Format::Auditd,
            ),
            (
                "conn.log",
                "#separator \\x09\n#fields\tts\n",
                Format::ZeekTsv,
            ),
            (
                "conn.log",
                "\t#separator \\x09\n#fields\tts\n",
                Format::ZeekTsv,
            ),
            (
                "conn.log",
                r#"{"ts":1.0,"uid":"C1","id.orig_h":"1.1.1.1"}"#,
                Format::ZeekJson,
            ),
            (
                "arp.log",
                r#"{"ts":1.0,"operation":"request"}"#,
                Format::ZeekJson,
            ),
            (
                "eve.json",
                r#"{"timestamp":"x","event_type":"alert","src_ip":"1.1.1.1"}"#,
                Format::SuricataEve,
            ),
            (
                "alerts.json",
                r#"{"Format":"IDEA0","ID":"x"}"#,
                Format::Slips,
            ),
            (
                "x.json",
                r#"{"EventID":4624,"Hostname":"h"}"#,
                Format::WinJson,
            ),
            (
                "x.json",
                r#"{"eventName":"GetObject","eventID":"x"}"#,
                Format::Json,
            ),
            ("x.json", "[\n  {\"EventID\": 1,", Format::WinJson),
            (
                "f.binetflow",
                "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport\n",
                Format::Binetflow,
            ),
            (
                "auth.log",
                "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user x from 1.2.3.4\n",
                Format::AuthLog,
            ),
            (
                "messages",
                "Dec 10 06:55:46 h kernel: x\nDec 10 06:55:47 h cron[1]: y\n",
                Format::Syslog,
            ),
            (
                "access.log",
                "1.2.3.4 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1\n",
                Format::WebAccess,
            ),
            (
                "error_log",
                "[Sun Dec 04 04:47:44 2005] [notice] x\n",
                Format::ApacheError,
            ),
            (
                "a.csv",
                "Time,Host,User\n2020-01-01,h,u\n2020-01-02,h,v\n",
                Format::Csv,
            ),
            (
                "CBS.log",
                "2016-09-28 04:30:30, Info CBS Loaded, x\n2016-09-28 04:30:31, Info CSI y\n",
                Format::Text,
            ),
            (
                "x.txt",
                "hello, world, this is prose\nand more, of it\n",
                Format::Text,
            ),
        ];
        for (name, head, want) in cases {
            assert_eq!(detect_format(name, head.as_bytes()), want, "{name}: {head}");
        }
        assert_eq!(detect_format("x.evtx", b"ElfFile\0rest"), Format::Evtx);
        assert_eq!(detect_format("empty", b""), Format::Text);
    }

    #[test]
    fn utf16_heads_are_decoded_first() {
        let mut head = vec![0xFF, 0xFE];
        for u in "{\"EventID\":4624}\n".encode_utf16() {
            head.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(detect_format("x.json", &head), Format::WinJson);
    }
}
