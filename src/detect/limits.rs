//! Bounds on rule text that the rule compiler's cost grows with faster than linearly, so a
//! hostile or corrupted rule file is refused with a reason instead of holding the loader.

use rsigma_parser::{Detection, SigmaRule, SigmaValue};

/// Longest detection value compiled, in characters. rsigma turns a list of `contains` values
/// into an Aho-Corasick automaton whose build is quadratic in a pattern's length: fuzzing
/// found a 100,000-character value that held the loader for minutes. SigmaHQ's longest
/// value is 346 characters.
pub(crate) const MAX_VALUE_CHARS: usize = 4096;

/// `Err` with the reason when a detection value of `rule` is longer than [`MAX_VALUE_CHARS`].
pub(crate) fn check_value_lengths(rule: &SigmaRule) -> Result<(), String> {
    let longest = rule
        .detection
        .named
        .values()
        .map(longest_value)
        .max()
        .unwrap_or(0);
    if longest > MAX_VALUE_CHARS {
        return Err(format!(
            "a detection value {longest} characters long (at most {MAX_VALUE_CHARS})"
        ));
    }
    Ok(())
}

fn longest_value(det: &Detection) -> usize {
    let chars = |values: &[SigmaValue]| {
        values
            .iter()
            .map(|v| match v {
                SigmaValue::String(s) => s.original.chars().count(),
                _ => 0,
            })
            .max()
            .unwrap_or(0)
    };
    match det {
        Detection::AllOf(items) => items.iter().map(|i| chars(&i.values)).max().unwrap_or(0),
        Detection::AnyOf(subs) | Detection::And(subs) => {
            subs.iter().map(longest_value).max().unwrap_or(0)
        }
        Detection::ArrayMatch { body, .. } => longest_value(body),
        Detection::Conditional { named, .. } => {
            named.values().map(longest_value).max().unwrap_or(0)
        }
        Detection::Keywords(values) => chars(values),
    }
}
