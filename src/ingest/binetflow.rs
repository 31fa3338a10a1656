//! Argus bidirectional flows (`.binetflow`): a `StartTime,Dur,Proto,SrcAddr,Sport,Dir,…`
//! header, then one flow per line, comma- or tab-separated, never quoted.

use super::parser::{Ctx, LineParser, clean_ip, clean_port, endpoint, summary};
use super::time;
use crate::event::{Event, Format};

pub(crate) struct BinetflowParser {
    sep: char,
    columns: Vec<String>,
}

impl BinetflowParser {
    pub(crate) fn new() -> Self {
        BinetflowParser {
            sep: ',',
            columns: Vec::new(),
        }
    }
}

/// True for the header line of a binetflow file.
pub(crate) fn is_header(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with("StartTime") && l.contains("SrcAddr") && l.contains("DstAddr")
}

impl LineParser for BinetflowParser {
    fn is_meta(&self, line: &[u8]) -> bool {
        self.columns.is_empty() || line.starts_with(b"StartTime")
    }
    fn meta(&mut self, line: &str) -> Result<(), String> {
        if !is_header(line) {
            return Err("expected a binetflow header (StartTime,Dur,Proto,SrcAddr,…)".into());
        }
        self.sep = if line.contains('\t') { '\t' } else { ',' };
        self.columns = line
            .trim()
            .split(self.sep)
            .map(|c| c.trim().to_string())
            .collect();
        Ok(())
    }
    fn parse(&self, line: &str, record: u64, ctx: &Ctx) -> Result<Option<Event>, String> {
        let mut ev = Event::new(Format::Binetflow, ctx.source.as_str(), record, line);
        for (i, v) in line.split(self.sep).enumerate() {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let name = self
                .columns
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("col{}", i + 1));
            ev.fields.insert(name, v.to_string());
        }
        let f = &ev.fields;
        let start = f.get("StartTime").ok_or("no StartTime")?;
        ev.timestamp =
            Some(time::parse_iso(start).ok_or_else(|| format!("bad StartTime `{start}`"))?);
        ev.src_ip = f.get("SrcAddr").and_then(|v| clean_ip(v));
        ev.dst_ip = f.get("DstAddr").and_then(|v| clean_ip(v));
        // ICMP flows carry type/code in hex in the port columns: not ports.
        ev.src_port = f.get("Sport").and_then(|v| clean_port(v));
        ev.dst_port = f.get("Dport").and_then(|v| clean_port(v));
        let g = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
        let src = endpoint(ev.src_ip.as_deref(), ev.src_port);
        let dst = endpoint(ev.dst_ip.as_deref(), ev.dst_port);
        ev.message = summary(&format!(
            "flow {} {src} {} {dst} {} {} pkts {} bytes {}",
            g("Proto"),
            g("Dir"),
            g("State"),
            g("TotPkts"),
            g("TotBytes"),
            g("Label")
        ));
        ev.event_id = Some("flow".into());
        Ok(Some(ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn header_then_flows() {
        let ctx = Ctx {
            source: "t.binetflow".into(),
            name: "t.binetflow".into(),
            reference: Utc::now(),
        };
        let mut p = BinetflowParser::new();
        let header = "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,SrcPkts,Label";
        assert!(p.is_meta(header.as_bytes()));
        p.meta(header).unwrap();
        let ev = p
            .parse("2019/04/04 16:23:00.325010,0.027947,udp,10.8.0.69,48427,  <->,8.8.8.8,53,CON,0,0,2,142,63,1,", 2, &ctx)
            .unwrap()
            .unwrap();
        assert_eq!(
            ev.timestamp.unwrap().to_rfc3339(),
            "2019-04-04T16:23:00.325010+00:00"
        );
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("10.8.0.69"), Some(48427))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("8.8.8.8"), Some(53))
        );
        assert_eq!(ev.fields["Dir"], "<->");
        assert_eq!(
            ev.message,
            "flow udp 10.8.0.69:48427 <-> 8.8.8.8:53 CON 2 pkts 142 bytes"
        );
        let icmp = p.parse("2019/04/04 16:23:07.963960,0,icmp,10.8.0.69,0x0008,   ->,192.168.170.1,0x7208,ECO,0,,1,72,72,1,", 3, &ctx).unwrap().unwrap();
        assert_eq!(
            (icmp.src_port, icmp.fields["Sport"].as_str()),
            (None, "0x0008")
        );
        assert!(p.parse("garbage", 4, &ctx).is_err());
        assert!(BinetflowParser::new().meta("a,b").is_err());
    }
}
