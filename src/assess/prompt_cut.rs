//! Which of a session's timeline lines the prompt keeps within its character budget, and how a
//! long line is shortened.
//!
//! Why not the first lines that fit: the demo's LSASS session showed its phishing document and
//! encoded PowerShell, then "... 10 more lines cut" with the `comsvcs.dll MiniDump` among them:
//! the line the strongest rule marked was what the model never saw. The cut keeps, in this
//! order while they fit: the first line (how the session began), every line a rule marked, the
//! last event line (how it ended), then the other lines in time order. Kept lines stay in time
//! order, and each gap says how many lines it stands for.

use crate::text::one_line;

/// A line longer than this many characters is shortened (its rule marks kept).
pub const LINE_CHARS: usize = 300;
/// The most characters a line's `[rule: …]` marks keep when the line is shortened.
const MARKS_CHARS: usize = 160;
const MARK: &str = " [rule: ";

/// The timeline lines kept within `budget` characters (newlines counted), with `... N lines
/// cut` where lines were left out; at least one line is kept. `lines` are the rendered
/// timeline's non-empty lines; `safe` makes each line safe to show inside the prompt's fence.
pub fn cut_timeline(lines: &[&str], budget: usize, safe: impl Fn(&str) -> String) -> String {
    let shown: Vec<String> = lines.iter().map(|l| safe(&shorten(l))).collect();
    let mut keep = vec![false; shown.len()];
    let mut used = 0;
    for i in priority(lines) {
        let cost = shown[i].len() + 1;
        if used + cost > budget && used > 0 {
            continue;
        }
        keep[i] = true;
        used += cost;
    }
    let mut out = String::new();
    let mut gap = 0;
    for (i, line) in shown.iter().enumerate() {
        if !keep[i] {
            gap += 1;
            continue;
        }
        gap_note(&mut out, gap);
        gap = 0;
        out.push_str(line);
        out.push('\n');
    }
    gap_note(&mut out, gap);
    out
}

fn gap_note(out: &mut String, gap: usize) {
    match gap {
        0 => {}
        1 => out.push_str("... 1 line cut\n"),
        n => out.push_str(&format!("... {n} lines cut\n")),
    }
}

/// Line indices, most worth keeping first: the first line, the rule-marked lines, the last
/// event line (the timeline's closing "… similar events omitted" notes are not events), then
/// the rest in time order.
fn priority(lines: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::with_capacity(lines.len());
    let push = |i: usize, order: &mut Vec<usize>| {
        if !order.contains(&i) {
            order.push(i);
        }
    };
    if !lines.is_empty() {
        push(0, &mut order);
    }
    for (i, l) in lines.iter().enumerate() {
        if marks_start(l).is_some() {
            push(i, &mut order);
        }
    }
    if let Some(last) = lines.iter().rposition(|l| !is_note(l)) {
        push(last, &mut order);
    }
    for i in 0..lines.len() {
        push(i, &mut order);
    }
    order
}

/// The timeline's own notes on what it folded away (`… 412 similar "…" events omitted`).
fn is_note(line: &str) -> bool {
    line.starts_with('…')
}

/// Where a line's trailing `[rule: …]` marks begin: the first ` [rule: ` from which the rest
/// is nothing but marks.
fn marks_start(line: &str) -> Option<usize> {
    line.match_indices(MARK).map(|(i, _)| i).find(|&i| {
        let tail = &line[i..];
        tail.ends_with(']')
            && tail
                .split(MARK)
                .skip(1)
                .all(|m| m.ends_with(']') && !m.is_empty())
    })
}

/// One line of at most ~[`LINE_CHARS`] characters; a long line loses the end of its text, not
/// its rule marks.
fn shorten(line: &str) -> String {
    if line.chars().count() <= LINE_CHARS {
        return one_line(line, LINE_CHARS);
    }
    match marks_start(line) {
        Some(i) => {
            let marks = one_line(&line[i..], MARKS_CHARS);
            let text_chars = LINE_CHARS.saturating_sub(marks.chars().count() + 1);
            format!("{} {marks}", one_line(&line[..i], text_chars))
        }
        None => one_line(line, LINE_CHARS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(lines: &[&str], budget: usize) -> String {
        cut_timeline(lines, budget, |l| l.to_string())
    }

    #[test]
    fn everything_fits_nothing_is_marked_cut() {
        let lines = ["10:00 a", "10:01 b", "10:02 c"];
        assert_eq!(cut(&lines, 1000), "10:00 a\n10:01 b\n10:02 c\n");
    }

    #[test]
    fn a_rule_marked_line_late_in_the_timeline_is_kept_over_earlier_ones() {
        let mut lines: Vec<String> = (0..20).map(|i| format!("10:{i:02} ordinary {i}")).collect();
        lines[15] = "10:15 rundll32 comsvcs.dll MiniDump [rule: LSASS Dump]".into();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let out = cut(&refs, 120);
        let kept: Vec<&str> = out.lines().collect();
        assert_eq!(kept[0], "10:00 ordinary 0");
        assert!(out.contains("MiniDump [rule: LSASS Dump]"), "{out}");
        assert!(out.contains("10:19 ordinary 19"), "the last line: {out}");
        // Time order kept, gaps said.
        let dump = out.find("MiniDump").unwrap();
        assert!(out.find("10:19").unwrap() > dump);
        assert!(out.contains("lines cut"), "{out}");
        let cut_count: usize = kept
            .iter()
            .filter_map(|l| l.strip_prefix("... "))
            .filter_map(|l| l.split(' ').next()?.parse::<usize>().ok())
            .sum();
        let shown = kept.iter().filter(|l| !l.starts_with("... ")).count();
        assert_eq!(shown + cut_count, 20, "{out}");
    }

    #[test]
    fn the_last_event_line_is_not_a_closing_note() {
        let lines = [
            "10:00 first",
            "10:01 middle one",
            "10:02 last event",
            "… 40 similar \"x\" events omitted",
        ];
        let out = cut(&lines, 30);
        assert!(out.contains("10:02 last event"), "{out}");
        assert!(!out.contains("omitted"), "{out}");
    }

    #[test]
    fn at_least_one_line_is_kept() {
        let long = "x".repeat(250);
        let lines = [long.as_str(), "10:01 b"];
        let out = cut(&lines, 10);
        assert!(out.starts_with(&long), "{out}");
        assert!(out.ends_with("... 1 line cut\n"), "{out}");
    }

    #[test]
    fn a_long_line_keeps_its_rule_marks() {
        let line = format!(
            "10:00 powershell.exe -enc {} [rule: Encoded PowerShell] [rule: Suspicious Download]",
            "A".repeat(600)
        );
        let out = shorten(&line);
        assert!(out.chars().count() <= LINE_CHARS + 2, "{}", out.len());
        assert!(
            out.ends_with("[rule: Encoded PowerShell] [rule: Suspicious Download]"),
            "{out}"
        );
        assert!(out.starts_with("10:00 powershell.exe -enc AAAA"));
    }

    #[test]
    fn log_text_that_looks_like_a_mark_mid_line_is_not_taken_for_one() {
        assert_eq!(marks_start("a [rule: x] then more text"), None);
        assert_eq!(marks_start("a [rule: x]"), Some(1));
        assert_eq!(marks_start("plain"), None);
    }
}
