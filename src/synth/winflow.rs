//! The estate's network sensor: Zeek `conn` records of the Windows hosts' flows, as JSON lines.
//! Each Sysmon 3 connection and DNS query of [`WinLog`] also leaves one, and a logon adds the
//! Kerberos, LDAP and SMB flows a domain member makes, so sessions carry the network view an
//! analyst reads beside the host's own records (the demo case has it; training had none).

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::atomics::Platform;
use super::record::{Candidate, OutFormat, Record};
use super::rng::Rng;
use super::winrec::WinLog;
use super::world::{World, estate_ip};

/// The domain controller answers DNS and Kerberos; the file server holds the shares.
static DC: LazyLock<String> = LazyLock::new(|| estate_ip("DC01").unwrap_or_default());
static FS: LazyLock<String> = LazyLock::new(|| estate_ip("FS01").unwrap_or_default());

/// One side of a flow: address and port.
pub type End<'a> = (&'a str, u16);

/// Zeek's service name for a well-known port (`None`: Zeek found no protocol it knows).
fn service(port: u16, udp: bool) -> Option<&'static str> {
    Some(match (port, udp) {
        (53, _) => "dns",
        (88, true) => "krb",
        (88, false) => "krb_tcp",
        (123, true) => "ntp",
        (389, _) => "ldap",
        (445, false) => "smb",
        (135, false) => "dce_rpc",
        (3389, false) => "rdp",
        (80 | 5985 | 8080, false) => "http",
        (443 | 636 | 5986 | 8443, false) => "ssl",
        (22, false) => "ssh",
        _ => return None,
    })
}

/// Plausible byte counts (originator, responder) for a service, from `h`'s bits.
fn bytes(service: Option<&str>, h: u64) -> (u64, u64) {
    let pick = |lo: u64, hi: u64, shift: u32| lo + (h >> shift) % (hi - lo + 1);
    match service {
        Some("dns") => (pick(30, 70, 0), pick(60, 260, 16)),
        Some("krb" | "krb_tcp") => (pick(1300, 1800, 0), pick(1400, 1900, 16)),
        Some("ldap") => (pick(300, 2500, 0), pick(800, 9000, 16)),
        Some("smb") => (pick(900, 6000, 0), pick(1500, 40_000, 16)),
        Some("ntp") => (48, 48),
        Some("ssl" | "http") => (pick(400, 6000, 0), pick(2000, 400_000, 16)),
        _ => (pick(200, 4000, 0), pick(200, 20_000, 16)),
    }
}

/// A client's source port (Windows' dynamic range, as the estate's flows use it).
pub fn ephemeral_port(r: &mut Rng) -> u16 {
    r.between(49152, 64000) as u16
}

/// Whether `ip` is one of the estate's private addresses.
fn internal(ip: &str) -> bool {
    ip.starts_with("10.") || ip.starts_with("192.168.") || ip.starts_with("172.")
}

impl WinLog<'_> {
    /// A flow from this host: `sport` to `dst`.
    pub fn flow(&mut self, t: DateTime<Utc>, sport: u16, dst: End<'_>, udp: bool) {
        let host = self.host;
        self.flow_between(t, (&host.ip, sport), dst, udp);
    }

    /// A flow between any two ends (an admin's RDP to this host).
    pub fn flow_between(&mut self, t: DateTime<Utc>, src: End<'_>, dst: End<'_>, udp: bool) {
        self.conn(t, src, dst, udp, None);
    }

    /// A TCP flow from this host with the given byte counts (originator, responder): a beacon
    /// sends the same few bytes each time.
    pub fn flow_sized(&mut self, t: DateTime<Utc>, sport: u16, dst: End<'_>, sizes: (u64, u64)) {
        let host = self.host;
        self.conn(t, (&host.ip, sport), dst, false, Some(sizes));
    }

    fn conn(
        &mut self,
        t: DateTime<Utc>,
        src: End<'_>,
        dst: End<'_>,
        udp: bool,
        sizes: Option<(u64, u64)>,
    ) {
        if !self.enabled.contains(&OutFormat::ZeekConn) {
            return;
        }
        let key = format!(
            "{}:{}>{}:{}@{}",
            src.0,
            src.1,
            dst.0,
            dst.1,
            t.timestamp_micros()
        );
        let h = xxhash_rust::xxh3::xxh3_64(key.as_bytes());
        let svc = service(dst.1, udp);
        let (orig, resp) = sizes.unwrap_or_else(|| bytes(svc, h));
        let duration = if udp {
            (h % 40_000 + 300) as f64 / 1e6
        } else {
            (h % 20_000_000 + 5_000) as f64 / 1e6
        };
        let mut m = Map::new();
        m.insert("_path".into(), "conn".into());
        m.insert(
            "ts".into(),
            format!("{:.6}", t.timestamp_micros() as f64 / 1e6).into(),
        );
        m.insert("uid".into(), format!("C{:016x}", h).into());
        m.insert("id.orig_h".into(), src.0.into());
        m.insert("id.orig_p".into(), Value::from(src.1));
        m.insert("id.resp_h".into(), dst.0.into());
        m.insert("id.resp_p".into(), Value::from(dst.1));
        m.insert("proto".into(), if udp { "udp" } else { "tcp" }.into());
        if let Some(s) = svc {
            m.insert("service".into(), s.into());
        }
        m.insert("duration".into(), Value::from(duration));
        m.insert("orig_bytes".into(), Value::from(orig));
        m.insert("resp_bytes".into(), Value::from(resp));
        m.insert("conn_state".into(), "SF".into());
        m.insert("local_orig".into(), Value::from(internal(src.0)));
        m.insert("local_resp".into(), Value::from(internal(dst.0)));
        m.insert("missed_bytes".into(), Value::from(0));
        m.insert("history".into(), if udp { "Dd" } else { "ShADadFf" }.into());
        self.records.push(Record {
            format: OutFormat::ZeekConn,
            time: t,
            line: Value::Object(m).to_string(),
            role: self.role,
        });
    }

    /// The lookup a DNS query makes at the domain controller (none on the controller itself,
    /// whose own resolver the sensor does not see).
    pub fn dns_flow(&mut self, t: DateTime<Utc>, sport: u16) {
        if !DC.is_empty() && self.host.ip != *DC {
            self.flow(t, sport, (&DC, 53), true);
        }
    }

    /// What a domain member's logon sends to the controller: a Kerberos ticket at `t`, an
    /// LDAP lookup just after (`ports`: their source ports).
    pub fn logon_flows(&mut self, t: DateTime<Utc>, ports: [u16; 2]) {
        if DC.is_empty() || self.host.ip == *DC {
            return;
        }
        self.flow(t, ports[0], (&DC, 88), false);
        let later = t + chrono::Duration::milliseconds(120);
        self.flow(later, ports[1], (&DC, 389), false);
    }

    /// A mapped drive on the file server (none from the file server itself).
    pub fn share_flow(&mut self, t: DateTime<Utc>, sport: u16) {
        if !FS.is_empty() && self.host.ip != *FS {
            self.flow(t, sport, (&FS, 445), false);
        }
    }
}

/// The host's own background flows over a candidate's span, as context: a DNS lookup at the
/// controller every minute or two, now and then a Kerberos renewal. Attacks and ordinary
/// sessions alike carry them (attacks also get their logon's flows), so that flows alone do
/// not tell the model which is which.
pub fn add_host_flows(c: &mut Candidate, world: &World, enabled: &[OutFormat], seed: u64) {
    let Some(host) = world.host(&c.story.host) else {
        return;
    };
    if host.platform != Platform::Windows || !enabled.contains(&OutFormat::ZeekConn) {
        return;
    }
    let (Some(first), Some(last)) = (
        c.records.iter().map(|r| r.time).min(),
        c.records.iter().map(|r| r.time).max(),
    ) else {
        return;
    };
    let stamp = first.timestamp_micros().to_string();
    let mut r = Rng::derive(seed, &["host-flows", &c.story.source, &stamp]);
    let ms = chrono::Duration::milliseconds;
    let mut log = WinLog::new(host, enabled);
    let span = (last - first).num_milliseconds().max(0) as u64;
    // A short session gets one lookup half the time; a longer one a lookup every 40-150 s.
    let mut t = first + ms(r.between(0, span.min(60_000)) as i64);
    let mut room = if span < 60_000 {
        u64::from(r.chance(50))
    } else {
        8
    };
    while t <= last && room > 0 {
        let sport = ephemeral_port(&mut r);
        if r.chance(20) {
            log.logon_flows(t, [sport, sport.wrapping_add(1)]);
        } else {
            log.dns_flow(t, sport);
        }
        room -= 1;
        t += ms(r.between(40_000, 150_000) as i64);
    }
    c.records.extend(log.records);
    // Stable: records of one time keep the order they were written in.
    c.records.sort_by_key(|r| r.time);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{IngestOptions, read_file_to_vec};
    use crate::synth::world::World;
    use chrono::TimeZone;

    #[test]
    fn flows_read_back_as_zeek_conn_with_their_endpoints_and_time() {
        let world = World::new(1);
        let host = world.host("WS01").expect("WS01");
        let all = OutFormat::ALL;
        let mut log = WinLog::new(host, &all);
        let t = Utc.with_ymd_and_hms(2026, 3, 9, 8, 0, 1).unwrap();
        log.logon_flows(t, [50001, 50002]);
        log.share_flow(t + chrono::Duration::seconds(2), 50003);
        log.share_flow(t + chrono::Duration::seconds(3), 50004);
        log.dns_flow(t + chrono::Duration::seconds(4), 53001);
        assert_eq!(log.records.len(), 5);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(OutFormat::ZeekConn.file_name("WS01"));
        let text: String = log.records.iter().map(|r| r.line.clone() + "\n").collect();
        std::fs::write(&path, text).unwrap();
        let (events, reports) = read_file_to_vec(&path, &IngestOptions::default());
        assert_eq!(reports[0].format.map(|f| f.as_str()), Some("zeek_json"));
        assert_eq!(events.len(), 5);
        let first = &events[0];
        assert_eq!(first.event_id.as_deref(), Some("conn"));
        assert_eq!(first.src_ip.as_deref(), Some(host.ip.as_str()));
        assert_eq!(first.dst_ip.as_deref(), Some(DC.as_str()));
        assert_eq!(first.dst_port, Some(88));
        assert!(first.message.contains("krb_tcp SF"), "{}", first.message);
        assert_eq!(first.timestamp, Some(t));
        assert!(
            events[4].message.contains("udp dns SF"),
            "{}",
            events[4].message
        );
        // Not enabled: nothing written.
        let mut quiet = WinLog::new(host, &[OutFormat::Sysmon]);
        quiet.dns_flow(t, 53001);
        assert!(quiet.records.is_empty());
    }
}
