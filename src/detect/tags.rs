//! ATT&CK tags of a Sigma rule: `attack.t1003.001` -> technique `T1003.001`,
//! `attack.credential_access` -> tactic `credential-access`.

/// Techniques (upper-case, deduplicated, in tag order) and tactics (lower-case, `-`-separated).
pub(crate) fn attack_tags(tags: &[String]) -> (Vec<String>, Vec<String>) {
    let mut techniques: Vec<String> = Vec::new();
    let mut tactics: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim();
        let Some(rest) = tag
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("attack."))
            .and_then(|_| tag.get(7..))
        else {
            continue;
        };
        if let Some(t) = technique_id(rest) {
            if !techniques.contains(&t) {
                techniques.push(t);
            }
        } else if rest
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
        {
            // Only words are tactics: groups (g0016), software (s0002) and malformed ids are not.
            let tactic = rest.to_ascii_lowercase().replace('_', "-");
            if !tactic.is_empty() && !tactics.contains(&tactic) {
                tactics.push(tactic);
            }
        }
    }
    (techniques, tactics)
}

/// `t1003` / `t1003.001` -> `T1003` / `T1003.001`.
fn technique_id(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let main_ok =
        b.len() >= 5 && b[0].eq_ignore_ascii_case(&b't') && b[1..5].iter().all(u8::is_ascii_digit);
    let sub_ok = match b.len() {
        5 => true,
        9 => b[5] == b'.' && b[6..9].iter().all(u8::is_ascii_digit),
        _ => false,
    };
    (main_ok && sub_ok).then(|| s.to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_techniques_and_tactics() {
        let tags: Vec<String> = [
            "attack.credential_access",
            "attack.t1003.001",
            "attack.T1003",
            "attack.g0016",
            "attack.s0002",
            "attack.defense-evasion",
            "car.2013-05-002",
            "attack.t1003.001",
            "attack.t12",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (tech, tac) = attack_tags(&tags);
        assert_eq!(tech, vec!["T1003.001", "T1003"]);
        assert_eq!(tac, vec!["credential-access", "defense-evasion"]);
    }
}
