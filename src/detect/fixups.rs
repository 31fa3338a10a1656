//! Rewrites applied to parsed rules before rsigma compiles them, for rsigma 0.23 behaviour
//! that differs from the Sigma specification (pySigma is the reference).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::sync::LazyLock;

use regex::Regex;
use rsigma_parser::{
    Detection, DetectionItem, FieldSpec, Modifier, SigmaRule, SigmaString, SigmaValue,
};

/// `|base64offset`: rsigma keeps the last base64 character of each offset variant even when
/// that character also encodes bits of the bytes that follow the value, so a value whose
/// length plus offset is not a multiple of three never matches inside a longer payload.
/// pySigma trims it. We expand such items ourselves into the correct, case-sensitive
/// `contains` patterns (an item with `|all` becomes one item per value).
pub(crate) fn fix_base64offset(rule: &mut SigmaRule) {
    each_item_list(rule, &mut |items| {
        if items
            .iter()
            .any(|i| i.field.has_modifier(Modifier::Base64Offset))
        {
            *items = std::mem::take(items)
                .into_iter()
                .flat_map(expand_item)
                .collect();
        }
    });
}

/// Calls `f` with every list of AND-linked items of the rule's detections.
fn each_item_list(rule: &mut SigmaRule, f: &mut impl FnMut(&mut Vec<DetectionItem>)) {
    fn walk(det: &mut Detection, f: &mut impl FnMut(&mut Vec<DetectionItem>)) {
        match det {
            Detection::AllOf(items) => f(items),
            Detection::AnyOf(subs) | Detection::And(subs) => {
                subs.iter_mut().for_each(|d| walk(d, f))
            }
            Detection::ArrayMatch { body, .. } => walk(body, f),
            Detection::Conditional { named, .. } => named.values_mut().for_each(|d| walk(d, f)),
            Detection::Keywords(_) => {}
        }
    }
    rule.detection.named.values_mut().for_each(|d| walk(d, f));
}

/// One item, or several (`|all`), with base64offset replaced by literal patterns.
fn expand_item(item: DetectionItem) -> Vec<DetectionItem> {
    let mods = &item.field.modifiers;
    if !mods.contains(&Modifier::Base64Offset) {
        return vec![item];
    }
    let all = mods.contains(&Modifier::All);
    let encode = |v: &SigmaValue| -> Option<Vec<String>> {
        let SigmaValue::String(s) = v else {
            return None;
        };
        let plain = s.as_plain().unwrap_or_else(|| s.original.clone());
        let bytes = if mods.contains(&Modifier::Wide) {
            utf16(&plain, u16::to_le_bytes, false)
        } else if mods.contains(&Modifier::Utf16be) {
            utf16(&plain, u16::to_be_bytes, false)
        } else if mods.contains(&Modifier::Utf16) {
            utf16(&plain, u16::to_le_bytes, true)
        } else {
            plain.into_bytes()
        };
        Some(offset_patterns(&bytes))
    };
    let Some(per_value) = item.values.iter().map(encode).collect::<Option<Vec<_>>>() else {
        // Non-string values: leave to rsigma, which reports them.
        return vec![item];
    };
    let field = |patterns: Vec<String>| DetectionItem {
        field: FieldSpec::new(
            item.field.name.clone(),
            vec![Modifier::Contains, Modifier::Cased],
        ),
        values: patterns
            .iter()
            .map(|p| SigmaValue::from_raw_string(p))
            .collect(),
    };
    if all {
        per_value.into_iter().map(field).collect()
    } else {
        vec![field(per_value.into_iter().flatten().collect())]
    }
}

/// Field-less items with only `|all` (`'|all': [dd, 'if=']`, "every keyword appears"):
/// rsigma compiles them as whole-value equality, so they never match inside a record, while
/// Sigma keywords (and pySigma) match substrings. We add `contains`.
pub(crate) fn fix_keyword_all(rule: &mut SigmaRule) {
    each_item_list(rule, &mut |items| {
        for item in items {
            let f = &mut item.field;
            if f.name.is_none()
                && !f.modifiers.is_empty()
                && f.modifiers.iter().all(|m| *m == Modifier::All)
            {
                f.modifiers.push(Modifier::Contains);
            }
        }
    });
}

/// `|windash`: rsigma varies only `-`, and every `-` of the value; Sigma (pySigma's
/// `SigmaWindowsDashModifier`) varies a `-` or `/` that starts a word (`\B[-/]\b`: the `/` of
/// ` /create`, not the `-` of `Set-MpPreference`) over `-`, `/`, en dash, em dash and
/// horizontal bar. We expand the values ourselves (an item with `|all` becomes one item per
/// value, each accepting any of its variants).
pub(crate) fn fix_windash(rule: &mut SigmaRule) {
    each_item_list(rule, &mut |items| {
        if items
            .iter()
            .any(|i| i.field.has_modifier(Modifier::WindAsh))
        {
            *items = std::mem::take(items)
                .into_iter()
                .flat_map(expand_windash_item)
                .collect();
        }
    });
}

fn expand_windash_item(mut item: DetectionItem) -> Vec<DetectionItem> {
    if !item.field.has_modifier(Modifier::WindAsh) {
        return vec![item];
    }
    let variants = |v: &SigmaValue| -> Option<Vec<SigmaValue>> {
        let SigmaValue::String(s) = v else {
            return None;
        };
        let texts = windash_variants(&s.original)?;
        Some(
            texts
                .iter()
                .map(|t| SigmaValue::String(SigmaString::new(t)))
                .collect(),
        )
    };
    let Some(per_value) = item.values.iter().map(variants).collect::<Option<Vec<_>>>() else {
        // Non-string values or too many dashes: left to rsigma.
        return vec![item];
    };
    let all = item.field.has_modifier(Modifier::All);
    item.field
        .modifiers
        .retain(|m| !matches!(m, Modifier::WindAsh | Modifier::All));
    if all {
        per_value
            .into_iter()
            .map(|values| DetectionItem {
                field: item.field.clone(),
                values,
            })
            .collect()
    } else {
        item.values = per_value.into_iter().flatten().collect();
        vec![item]
    }
}

/// The dashes windash varies: `-` or `/` after a non-word character (or at the start) and
/// before a word character.
static WINDASH_AT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\B[-/]\b").expect("static regex"));

/// Beyond this many dashes (5^n variants) an item is left to rsigma.
const WINDASH_MAX: usize = 6;

/// Every variant of a raw Sigma value (escapes and wildcards kept) under windash.
fn windash_variants(raw: &str) -> Option<Vec<String>> {
    const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];
    let at: Vec<usize> = WINDASH_AT.find_iter(raw).map(|m| m.start()).collect();
    if at.len() > WINDASH_MAX {
        return None;
    }
    let mut out = vec![String::new()];
    let mut from = 0;
    for &i in &at {
        let before = &raw[from..i];
        out = out
            .iter()
            .flat_map(|o| DASHES.iter().map(move |d| format!("{o}{before}{d}")))
            .collect();
        from = i + 1; // `-` and `/` are one byte
    }
    for o in &mut out {
        o.push_str(&raw[from..]);
    }
    Some(out)
}

/// Values with wildcards: rsigma anchors a wildcard value of `|startswith` at its end and
/// one of `|endswith` at its start (the two swapped), and its `*` and `?` stop at line
/// breaks, while Sigma's wildcards stand for any characters (pySigma's SQL `LIKE` too).
/// Such items become regular expressions with the right anchors, case-insensitive unless
/// `|cased`, across lines.
pub(crate) fn fix_wildcards(rule: &mut SigmaRule) {
    each_item_list(rule, &mut |items| {
        for item in items.iter_mut() {
            if let Some(fixed) = wildcard_item_as_regex(item) {
                *item = fixed;
            }
        }
    });
}

fn wildcard_item_as_regex(item: &DetectionItem) -> Option<DetectionItem> {
    use rsigma_parser::{SpecialChar, StringPart};
    let mods = &item.field.modifiers;
    let plain_modifiers = mods.iter().all(|m| {
        matches!(
            m,
            Modifier::Contains
                | Modifier::StartsWith
                | Modifier::EndsWith
                | Modifier::All
                | Modifier::Cased
        )
    });
    let has_wildcard = item
        .values
        .iter()
        .any(|v| matches!(v, SigmaValue::String(s) if s.contains_wildcards()));
    if !plain_modifiers || !has_wildcard {
        return None;
    }
    let has = |m: Modifier| mods.contains(&m);
    let contains = has(Modifier::Contains);
    let anchor_start = !contains && !has(Modifier::EndsWith);
    let anchor_end = !contains && !has(Modifier::StartsWith);
    let flags = if has(Modifier::Cased) {
        "(?s)"
    } else {
        "(?is)"
    };
    let mut values = Vec::with_capacity(item.values.len());
    for v in &item.values {
        let parts = match v {
            SigmaValue::String(s) => s.parts.clone(),
            SigmaValue::Integer(_) | SigmaValue::Float(_) => vec![StringPart::Plain(v.to_string())],
            SigmaValue::Bool(_) | SigmaValue::Null => return None,
        };
        let mut re = String::from(flags);
        if anchor_start {
            re.push('^');
        }
        for part in &parts {
            match part {
                StringPart::Plain(text) => re.push_str(&regex::escape(text)),
                StringPart::Special(SpecialChar::WildcardMulti) => re.push_str(".*"),
                StringPart::Special(SpecialChar::WildcardSingle) => re.push('.'),
            }
        }
        if anchor_end {
            re.push('$');
        }
        values.push(SigmaValue::from_raw_string(&re));
    }
    let mut modifiers = vec![Modifier::Re];
    if has(Modifier::All) {
        modifiers.push(Modifier::All);
    }
    Some(DetectionItem {
        field: FieldSpec::new(item.field.name.clone(), modifiers),
        values,
    })
}

fn utf16(s: &str, to_bytes: fn(u16) -> [u8; 2], bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    for unit in s.encode_utf16() {
        out.extend_from_slice(&to_bytes(unit));
    }
    out
}

/// The three base64 renderings of `value` at byte offsets 0, 1 and 2, keeping only the
/// characters that depend on `value` alone (pySigma's `SigmaBase64OffsetModifier`).
pub(crate) fn offset_patterns(value: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END_TRIM: [usize; 3] = [0, 3, 2];
    let mut out = Vec::with_capacity(3);
    for offset in 0..3 {
        let mut padded = vec![b' '; offset];
        padded.extend_from_slice(value);
        let encoded = STANDARD.encode(&padded);
        let end = encoded
            .len()
            .saturating_sub(END_TRIM[(value.len() + offset) % 3]);
        if let Some(p) = encoded.get(START[offset]..end).filter(|p| !p.is_empty()) {
            out.push(p.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{offset_patterns, windash_variants};
    use crate::detect::tests::{fires, rule, sysmon};

    fn proc(detection: &str) -> crate::detect::RuleSet {
        rule(
            "    product: windows\n    category: process_creation",
            &format!("    sel:\n{detection}\n    condition: sel"),
        )
    }

    fn cmd(c: &str) -> crate::event::Event {
        sysmon(1, &[("CommandLine", c), ("Image", "C:\\x\\schtasks.exe")])
    }

    /// Regression: rsigma's windash varied only `-`, so ` /create` in a rule never met
    /// ` -create` (SigmaHQ writes most windash values with `/`).
    #[test]
    fn windash_varies_slash_and_dash_at_word_start_only() {
        let rs = proc("        CommandLine|contains|windash: ' /create '");
        for dash in ["/", "-", "\u{2013}", "\u{2014}", "\u{2015}"] {
            assert!(
                fires(&rs, &cmd(&format!("schtasks {dash}create /tn x"))),
                "{dash}"
            );
        }
        assert!(!fires(&rs, &cmd("schtasks create /tn x")));
        // A dash inside a word is not a switch: `Set-Mp` is not `Set/Mp`.
        assert_eq!(windash_variants("Set-Mp"), Some(vec!["Set-Mp".to_string()]));
        let all = proc(
            "        CommandLine|contains|all|windash:\n            - ' -a '\n            - ' /b '",
        );
        assert!(fires(&all, &cmd("x /a \u{2013}b ")));
        assert!(!fires(&all, &cmd("x /a ")));
    }

    /// Regression: rsigma anchored a wildcard `|endswith` value at the start (and a
    /// `|startswith` one at the end), and its wildcards stopped at line breaks.
    #[test]
    fn wildcards_in_startswith_and_endswith_anchor_the_right_end() {
        let ends = proc("        CommandLine|endswith: 'password*.txt'");
        assert!(fires(&ends, &cmd("notepad C:\\password-list.TXT")));
        assert!(!fires(&ends, &cmd("password-list.txt.bak")));
        let starts = proc("        CommandLine|startswith: 'net ?ser'");
        assert!(fires(&starts, &cmd("NET user x /add")));
        assert!(!fires(&starts, &cmd("x net user")));
        let across = proc("        CommandLine|contains: 'invoke*mimikatz'");
        assert!(fires(&across, &cmd("Invoke-Expression\n$x; Mimikatz")));
        let cased = proc("        CommandLine|contains|cased: 'Inv*Mimi'");
        assert!(!fires(&cased, &cmd("inv mimi")));
    }

    #[test]
    fn patterns_match_pysigma() {
        // pySigma: base64offset of "Invoke-Mimikatz".
        assert_eq!(
            offset_patterns(b"Invoke-Mimikatz"),
            vec![
                "SW52b2tlLU1pbWlrYXR6",
                "ludm9rZS1NaW1pa2F0e",
                "JbnZva2UtTWltaWthdH"
            ]
        );
    }
}
