//! Loops cut out of the model's free text: a list item said again is dropped, and a text is
//! cut where a five-word phrase comes round a second time.
//!
//! Why: the 135M model at temperature 0 falls into loops ("10.0.2.21, 10.0.2.21, 10.0.2.21",
//! "a part of a company that is a part of a company"); a tuned model that decides the cause
//! better still did so in a fifth to a third of its summaries. The loop adds nothing an analyst
//! can read, so the verdict keeps the text before it. The answer as generated stays in the
//! cache's raw output; `eval` scores the tidied text (its repetition check is this one's).

use crate::model::Verdict;

/// A phrase of this many words said twice is a loop.
const LOOP_WORDS: usize = 5;

/// Tidies every free-text field of a model's verdict.
pub fn tidy_verdict(v: &mut Verdict) {
    for text in [
        &mut v.cause_explanation,
        &mut v.risk_justification,
        &mut v.business_impact,
        &mut v.summary,
    ] {
        *text = tidy_text(text);
    }
    for list in [&mut v.anomalous_patterns, &mut v.remediation] {
        for item in list.iter_mut() {
            *item = tidy_text(item);
        }
        let mut seen = Vec::new();
        list.retain(|i| {
            let key = i.trim().to_lowercase();
            !key.is_empty() && !seen.contains(&key) && {
                seen.push(key);
                true
            }
        });
    }
}

/// `text` without repeated list items, cut before its first repeated five-word phrase.
pub fn tidy_text(text: &str) -> String {
    cut_loop(&dedupe_items(text))
}

/// Drops comma-separated items already said in the same text (`a, b, a, a` -> `a, b`).
fn dedupe_items(text: &str) -> String {
    if !text.contains(", ") {
        return text.to_string();
    }
    let mut seen: Vec<String> = Vec::new();
    let mut kept: Vec<&str> = Vec::new();
    for item in text.split(", ") {
        let key = item.trim().trim_end_matches(['.', ',']).to_lowercase();
        if !key.is_empty() && seen.contains(&key) {
            continue;
        }
        seen.push(key);
        kept.push(item);
    }
    let mut out = kept.join(", ");
    // The last item kept the sentence's end only if it was the text's last one.
    if text.trim_end().ends_with('.') && !out.trim_end().ends_with('.') {
        out = format!("{}.", out.trim_end().trim_end_matches(','));
    }
    out
}

/// Cuts `text` where a five-word phrase starts for the second time.
fn cut_loop(text: &str) -> String {
    // Word starts (byte offsets) and the lower-case words.
    let mut starts = Vec::new();
    let mut words = Vec::new();
    let mut current: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_alphanumeric() || "._-$\\:/".contains(c);
        match (in_word, current) {
            (true, None) => current = Some(i),
            (false, Some(s)) => {
                starts.push(s);
                words.push(text[s..i].to_lowercase());
                current = None;
            }
            _ => {}
        }
    }
    if let Some(s) = current {
        starts.push(s);
        words.push(text[s..].to_lowercase());
    }
    let mut phrases = std::collections::HashSet::new();
    for (i, w) in words.windows(LOOP_WORDS).enumerate() {
        if !phrases.insert(w.join(" ")) {
            let cut = text[..starts[i]].trim_end_matches(|c: char| c == ',' || c.is_whitespace());
            return format!("{}.", cut.trim_end_matches('.'));
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_list_items_are_said_once() {
        assert_eq!(
            tidy_text(
                "On WS02, corp ran cmd.exe, explorer.exe, ms-teams.exe, ms-teams.exe, ms-teams.exe."
            ),
            "On WS02, corp ran cmd.exe, explorer.exe, ms-teams.exe."
        );
        assert_eq!(
            tidy_text(
                "Ordinary session on WS01: 10.0.2.21:64645, 10.0.2.21, 10.0.2.21, 10.0.2.21,"
            ),
            "Ordinary session on WS01: 10.0.2.21:64645, 10.0.2.21"
        );
    }

    #[test]
    fn a_loop_is_cut_before_it_comes_round() {
        assert_eq!(
            tidy_text("The user is a part of a company that is a part of a company that is a part"),
            "The user is a part of a company that."
        );
        assert_eq!(
            tidy_text(
                "On WS01, alice used 10.0.2.21 over 01.0.2.21 over 01.0.2.21 over 01.0.2.21 over 01.0.2.21"
            ),
            "On WS01, alice used 10.0.2.21 over 01.0.2.21."
        );
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for t in [
            "alice on WS01 ran rundll32.exe: LSASS dump via comsvcs.dll.",
            "Block 203.0.113.45, enforce keys for SSH",
            "",
        ] {
            assert_eq!(tidy_text(t), t);
        }
    }
}
