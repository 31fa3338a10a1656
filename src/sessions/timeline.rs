//! The condensed timeline: consecutive events of one template collapse into a counted line,
//! rule-hit and rare events are always kept, and the whole fits a token budget with a note of
//! what was left out.

use std::collections::{HashMap, HashSet};

use super::drain::Miner;
use crate::event::Event;
use crate::model::Hit;
use crate::model::{Timeline, TimelineLine};
use crate::text::one_line;

/// Templates seen at most this often in a session count as rare and are kept.
const RARE: u64 = 2;
/// Longest text of one line, in characters.
const LINE_CHARS: usize = 240;

/// Rough token estimate for log text (it tokenises worse than prose: ~3 chars a token).
pub fn estimate_tokens(text: &str) -> usize {
    text.chars().count().div_ceil(3)
}

/// The full timeline: one line per event, nothing collapsed.
pub fn full(events: &[Event], hits: &[Hit]) -> Timeline {
    let rules = rules_by_event(hits);
    let lines: Vec<TimelineLine> = events
        .iter()
        .map(|e| TimelineLine {
            first: e.timestamp,
            last: e.timestamp,
            count: 1,
            text: line_text(e),
            event_id: e.id.clone(),
            rules: rules.get(e.id.as_str()).cloned().unwrap_or_default(),
            template_id: 0,
        })
        .collect();
    let tokens = lines.iter().map(|l| estimate_tokens(&render_line(l))).sum();
    Timeline {
        lines,
        omitted: Vec::new(),
        total_events: events.len() as u64,
        tokens,
    }
}

/// Condenses `events` (chronological) to fit `budget_tokens`.
pub fn condense(events: &[Event], hits: &[Hit], budget_tokens: usize) -> Timeline {
    let rules = rules_by_event(hits);
    let mut miner = Miner::new();
    let templates: Vec<usize> = events
        .iter()
        .map(|e| miner.add(&template_input(e)))
        .collect();
    let mut freq: HashMap<usize, u64> = HashMap::new();
    for t in &templates {
        *freq.entry(*t).or_default() += 1;
    }

    // Collapse runs of one template; a rule-hit event always stands on its own line.
    let mut lines: Vec<TimelineLine> = Vec::new();
    for (e, &t) in events.iter().zip(&templates) {
        let hit_rules = rules.get(e.id.as_str()).cloned().unwrap_or_default();
        if let Some(last) = lines.last_mut()
            && hit_rules.is_empty()
            && last.rules.is_empty()
            && last.template_id == t
        {
            last.count += 1;
            last.last = e.timestamp.or(last.last);
            continue;
        }
        lines.push(TimelineLine {
            first: e.timestamp,
            last: e.timestamp,
            count: 1,
            text: line_text(e),
            event_id: e.id.clone(),
            rules: hit_rules,
            template_id: t,
        });
    }
    for l in &mut lines {
        if l.count > 1 {
            l.text = format!(
                "{} [template: {}]",
                l.text,
                one_line(&miner.template(l.template_id), 120)
            );
        }
    }

    // Over budget: drop the lines of the most frequent templates first, never rule hits or
    // rare events, and say what went. The notes cost tokens too, so the lines get a smaller
    // budget until lines and notes fit together.
    let cost: Vec<usize> = lines
        .iter()
        .map(|l| estimate_tokens(&render_line(l)) + 1)
        .collect();
    let mut order: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].rules.is_empty() && freq[&lines[i].template_id] > RARE)
        .collect();
    // Most frequent template first; within one, keep its first and last appearance longest.
    order.sort_by_key(|&i| {
        (
            std::cmp::Reverse(freq[&lines[i].template_id]),
            middle_first(i, lines.len()),
        )
    });
    let mut reserve = 0usize;
    let (dropped, omitted, tokens) = loop {
        let mut total: usize = cost.iter().sum();
        let mut dropped: HashSet<usize> = HashSet::new();
        for &i in &order {
            if total + reserve <= budget_tokens {
                break;
            }
            total -= cost[i];
            dropped.insert(i);
        }
        let omitted = omission_notes(&lines, &dropped, &miner);
        let tokens = total
            + omitted
                .iter()
                .map(|o| estimate_tokens(o) + 1)
                .sum::<usize>();
        if tokens <= budget_tokens || dropped.len() == order.len() {
            break (dropped, omitted, tokens);
        }
        reserve += tokens - budget_tokens;
    };
    let kept: Vec<TimelineLine> = lines
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !dropped.contains(i))
        .map(|(_, l)| l)
        .collect();
    Timeline {
        lines: kept,
        omitted,
        total_events: events.len() as u64,
        tokens,
    }
}

/// "… 412 similar "<template>" events omitted", per template, largest first.
fn omission_notes(lines: &[TimelineLine], dropped: &HashSet<usize>, miner: &Miner) -> Vec<String> {
    let mut by_template: HashMap<usize, (u64, String)> = HashMap::new();
    for &i in dropped {
        let l = &lines[i];
        let entry = by_template
            .entry(l.template_id)
            .or_insert_with(|| (0, one_line(&miner.template(l.template_id), 100)));
        entry.0 += l.count;
    }
    let mut notes: Vec<(u64, String)> = by_template.into_values().collect();
    notes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    notes
        .into_iter()
        .map(|(n, t)| format!("… {n} similar \"{t}\" events omitted"))
        .collect()
}

/// Prefers dropping lines from the middle of a session: its start and end tell the story.
fn middle_first(i: usize, n: usize) -> usize {
    let from_edge = i.min(n.saturating_sub(1).saturating_sub(i));
    usize::MAX - from_edge
}

fn template_input(e: &Event) -> String {
    let kind = e.event_id.as_deref().unwrap_or(e.format.as_str());
    if !e.format.is_network() {
        return format!("{kind} {}", e.message);
    }
    // Flows differ mostly in numbers (addresses, ports, bytes), which the miner masks, so a
    // DNS lookup, a Kerberos ticket and an HTTPS download would make one template and
    // collapse into one line that shows only the first. The protocol and service lead the
    // input, so each kind of flow keeps lines of its own.
    let field = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| e.fields.get(*k))
            .map(|v| v.to_ascii_lowercase())
            .unwrap_or_else(|| "-".into())
    };
    let proto = field(&["proto", "Proto"]);
    let service = field(&["service", "app_proto"]);
    format!("{kind}/{proto}/{service} {}", e.message)
}

fn line_text(e: &Event) -> String {
    one_line(&e.message, LINE_CHARS)
}

fn rules_by_event(hits: &[Hit]) -> HashMap<&str, Vec<String>> {
    let mut m: HashMap<&str, Vec<String>> = HashMap::new();
    for h in hits {
        let titles = m.entry(h.event_id.as_str()).or_default();
        if !titles.iter().any(|t| **t == *h.title) {
            titles.push(h.title.to_string());
        }
    }
    m
}

/// One line as text: `10:02:03–10:04:59 ×412 message [rule: title]`.
pub fn render_line(l: &TimelineLine) -> String {
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "(no time)".into())
    };
    let mut s = time(l.first);
    if l.count > 1 {
        if l.last != l.first {
            let last = l
                .last
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default();
            s.push('–');
            s.push_str(&last);
        }
        s.push_str(&format!(" ×{}", l.count));
    }
    s.push(' ');
    s.push_str(&l.text);
    for r in &l.rules {
        s.push_str(&format!(" [rule: {r}]"));
    }
    s
}

impl Timeline {
    /// The timeline as text, one line per entry, then what was omitted.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&render_line(l));
            out.push('\n');
        }
        for o in &self.omitted {
            out.push_str(o);
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::event::{Format, Risk};

    fn event(i: u64, msg: &str) -> Event {
        let mut e = Event::new(Format::WinJson, "f.jsonl", i, format!("{i} {msg}"));
        e.timestamp = Utc.timestamp_opt(1_772_442_000 + i as i64, 0).single();
        e.event_id = Some("4625".into());
        e.message = msg.to_string();
        e.finish()
    }

    fn hit(e: &Event) -> Hit {
        Hit {
            rule_id: "r".into(),
            title: "Suspicious thing".into(),
            level: Risk::High,
            techniques: [].into(),
            tactics: [].into(),
            event_id: e.id.clone(),
            events: Vec::new(),
        }
    }

    #[test]
    fn runs_of_one_template_collapse() {
        let events: Vec<Event> = (0..10)
            .map(|i| event(i, &format!("logon failure for svc from 10.0.0.{i}")))
            .collect();
        let t = condense(&events, &[], 1500);
        assert_eq!(t.lines.len(), 1);
        assert_eq!(t.lines[0].count, 10);
        assert!(render_line(&t.lines[0]).contains("×10"));
    }

    #[test]
    fn flows_of_other_services_keep_lines_of_their_own() {
        let flow = |i: u64, proto: &str, service: &str, port: u16| {
            let msg =
                format!("conn 10.0.1.11:5{i}000 -> 10.0.0.10:{port} {proto} {service} SF 60 90");
            let mut e = Event::new(Format::ZeekJson, "conn.log", i, msg.clone());
            e.timestamp = Utc.timestamp_opt(1_772_442_000 + i as i64, 0).single();
            e.event_id = Some("conn".into());
            e.message = msg;
            e.fields.insert("proto".into(), proto.into());
            e.fields.insert("service".into(), service.into());
            e.finish()
        };
        let events = vec![
            flow(0, "udp", "dns", 53),
            flow(1, "udp", "dns", 53),
            flow(2, "tcp", "krb_tcp", 88),
            flow(3, "tcp", "ldap", 389),
            flow(4, "tcp", "ssl", 443),
            flow(5, "tcp", "ssl", 443),
        ];
        let t = condense(&events, &[], 1500);
        let counts: Vec<u64> = t.lines.iter().map(|l| l.count).collect();
        assert_eq!(counts, [2, 1, 1, 2]);
        assert!(render_line(&t.lines[1]).contains(":88 tcp krb_tcp"));
        assert!(render_line(&t.lines[3]).contains(":443 tcp ssl"));
    }

    #[test]
    fn big_session_fits_budget_and_keeps_every_rule_hit() {
        // 5,000 events: alternating noisy templates, with 25 rule hits and a few rare events.
        let mut events = Vec::new();
        for i in 0..5000u64 {
            let msg = match i % 7 {
                0 => format!("process create C:\\Windows\\System32\\svchost.exe pid {i}"),
                1 | 2 => format!(
                    "logon failure user{} from 10.0.{}.{}",
                    i % 13,
                    i % 5,
                    i % 200
                ),
                3 => format!("network connection to 192.168.1.{} port 443", i % 250),
                4 => format!("file created C:\\Users\\bob\\AppData\\Temp\\tmp{i}.tmp"),
                5 => format!("registry value set HKLM\\Software\\Vendor\\Key{}", i % 3),
                _ => format!("dns query for host{}.example.com", i % 17),
            };
            events.push(event(i, &msg));
        }
        events[1234] = event(1234, "rare: shadow copy deleted by vssadmin");
        let hits: Vec<Hit> = (0..25).map(|k| hit(&events[k * 199 + 3])).collect();
        let t = condense(&events, &hits, 1500);
        assert!(t.tokens <= 1500, "over budget: {} tokens", t.tokens);
        let kept: HashSet<&str> = t.lines.iter().map(|l| l.event_id.as_str()).collect();
        for h in &hits {
            assert!(kept.contains(h.event_id.as_str()), "rule hit event dropped");
        }
        assert!(
            kept.contains(events[1234].id.as_str()),
            "rare event dropped"
        );
        assert!(!t.omitted.is_empty());
        assert!(t.omitted[0].contains("similar"), "{:?}", t.omitted);
        let covered: u64 = t.lines.iter().map(|l| l.count).sum::<u64>();
        assert!(covered < 5000);
        assert_eq!(t.total_events, 5000);
    }
}
