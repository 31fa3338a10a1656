//! Rewrites applied to parsed rules before rsigma compiles them, for rsigma 0.23 behaviour
//! that differs from the Sigma specification (pySigma is the reference).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rsigma_parser::{Detection, DetectionItem, Modifier, SigmaRule, SigmaValue};

/// `|base64offset`: rsigma keeps the last base64 character of each offset variant even when
/// that character also encodes bits of the bytes that follow the value, so a value whose
/// length plus offset is not a multiple of three never matches inside a longer payload.
/// pySigma trims it. We expand such items ourselves into the correct, case-sensitive
/// `contains` patterns (an item with `|all` becomes one item per value).
pub(crate) fn fix_base64offset(rule: &mut SigmaRule) {
    for det in rule.detection.named.values_mut() {
        fix_detection(det);
    }
}

fn fix_detection(det: &mut Detection) {
    match det {
        Detection::AllOf(items) => {
            if items
                .iter()
                .any(|i| i.field.has_modifier(Modifier::Base64Offset))
            {
                *items = std::mem::take(items)
                    .into_iter()
                    .flat_map(expand_item)
                    .collect();
            }
        }
        Detection::AnyOf(subs) | Detection::And(subs) => subs.iter_mut().for_each(fix_detection),
        Detection::ArrayMatch { body, .. } => fix_detection(body),
        Detection::Conditional { named, .. } => named.values_mut().for_each(fix_detection),
        Detection::Keywords(_) => {}
    }
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
        field: rsigma_parser::FieldSpec::new(
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
    fn walk(det: &mut Detection) {
        match det {
            Detection::AllOf(items) => {
                for item in items {
                    let f = &mut item.field;
                    if f.name.is_none()
                        && !f.modifiers.is_empty()
                        && f.modifiers.iter().all(|m| *m == Modifier::All)
                    {
                        f.modifiers.push(Modifier::Contains);
                    }
                }
            }
            Detection::AnyOf(subs) | Detection::And(subs) => subs.iter_mut().for_each(walk),
            Detection::ArrayMatch { body, .. } => walk(body),
            Detection::Conditional { named, .. } => named.values_mut().for_each(walk),
            Detection::Keywords(_) => {}
        }
    }
    rule.detection.named.values_mut().for_each(walk);
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
    use super::offset_patterns;

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
