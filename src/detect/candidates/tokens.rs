//! Tokens for command lines and procedure texts, the same on both sides of the retrieval:
//! executable names stay whole (`rundll32`, `comsvcs.dll`), switches keep their dash or slash
//! (`-encodedcommand`, `/c`), paths split on `\` and `/` with neighbouring components also kept
//! as a pair (`currentversion\run`), registry roots in one spelling (`hklm`), and what carries
//! no meaning across sessions (GUIDs, hashes, base64, English filler words) left out.

/// Switch spellings PowerShell accepts for the same parameter, in one form each, so that
/// `-enc`, `-e` and `-EncodedCommand` meet.
const SWITCH_ALIASES: &[(&[&str], &str)] = &[
    (
        &[
            "-e",
            "-ec",
            "-en",
            "-enc",
            "-enco",
            "-encod",
            "-encodedcommand",
        ],
        "-encodedcommand",
    ),
    (&["-nop", "-noprofil", "-noprofile"], "-noprofile"),
    (&["-w", "-win", "-window", "-windowstyle"], "-windowstyle"),
    (
        &["-ep", "-ex", "-exec", "-executionpolicy"],
        "-executionpolicy",
    ),
    (&["-noni", "-noninteractive"], "-noninteractive"),
    (&["-c", "-com", "-command"], "-command"),
];

/// File extensions that make a path component a file name, kept whole. `.exe` is dropped
/// instead (prose says `Rundll32`, logs say `rundll32.exe`).
const FILE_EXTENSIONS: &[&str] = &[
    "dll", "sys", "ps1", "psm1", "psd1", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "hta",
    "msi", "lnk", "dmp", "scr", "cpl", "ocx", "inf", "sct", "so", "sh", "py", "pl", "ini", "reg",
    "kirbi", "dit", "hive", "evtx", "zip", "rar", "7z", "iso", "vhd", "xls", "xlsm", "doc", "docm",
    "job", "plist", "service", "timer", "conf",
];

/// Words of prose (and of every log) that tell no technique from another.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "adversaries",
    "adversary",
    "after",
    "all",
    "also",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "during",
    "each",
    "eg",
    "etc",
    "for",
    "from",
    "had",
    "has",
    "have",
    "he",
    "her",
    "his",
    "how",
    "ie",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "may",
    "more",
    "most",
    "no",
    "not",
    "of",
    "on",
    "one",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "same",
    "she",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "up",
    "use",
    "used",
    "uses",
    "using",
    "very",
    "via",
    "was",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "will",
    "with",
    "within",
    "would",
    "you",
    "your",
    "true",
    "false",
    "null",
    "none",
];

/// Characters that end a word (quotes, brackets, operators); `\` and `/` are handled as path
/// separators after a word is cut.
fn is_word_break(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | ','
                | ';'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '|'
                | '&'
                | '^'
                | '='
                | '+'
                | '*'
                | '!'
                | '?'
                | ':'
                | '@'
                | '#'
                | '%'
                | '$'
                | '~'
        )
}

/// Appends the tokens of `text` to `out`.
pub fn tokenize(text: &str, out: &mut Vec<String>) {
    let lower = text.to_lowercase();
    for word in lower.split(is_word_break).filter(|w| !w.is_empty()) {
        word_tokens(word, out);
    }
}

/// The tokens of `text` as a new vector.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    tokenize(text, &mut out);
    out
}

fn word_tokens(word: &str, out: &mut Vec<String>) {
    if let Some(flag) = switch(word) {
        out.push(flag);
        return;
    }
    let is_path = word.contains(['\\', '/']);
    let mut previous: Option<String> = None;
    for part in word.split(['\\', '/']) {
        let part = part.trim_matches(|c: char| matches!(c, '.' | '-' | '_'));
        let Some(main) = component_tokens(part, out) else {
            previous = None;
            continue;
        };
        if let Some(p) = previous.as_ref().filter(|_| is_path) {
            out.push(format!("{p}\\{main}"));
        }
        previous = Some(main);
    }
}

/// `-enc`, `/c`, `--decode`: a word that starts with a dash or slash and is a short name.
fn switch(word: &str) -> Option<String> {
    let name = word.trim_start_matches(['-', '/']);
    let prefix = &word[..word.len() - name.len()];
    let plausible = !prefix.is_empty()
        && prefix.len() <= 2
        && (1..=24).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_alphabetic());
    if !plausible {
        return None;
    }
    let flag = format!("{}{name}", if prefix == "/" { "/" } else { prefix });
    let flag = SWITCH_ALIASES
        .iter()
        .find(|(spellings, _)| spellings.contains(&flag.as_str()))
        .map_or(flag, |(_, one)| one.to_string());
    Some(flag)
}

/// Pushes the tokens of one path component and returns the one that stands for it (for the
/// component pairs), or `None` when nothing of it is kept.
fn component_tokens(part: &str, out: &mut Vec<String>) -> Option<String> {
    if part.is_empty() {
        return None;
    }
    let part = match part {
        "hkey_local_machine" | "machine" => "hklm",
        "hkey_current_user" | "hkey_users" => "hkcu",
        p => p,
    };
    if let Some(stem) = part.strip_suffix(".exe") {
        return keep(stem).then(|| push(out, stem));
    }
    if let Some((stem, ext)) = part.rsplit_once('.') {
        if FILE_EXTENSIONS.contains(&ext) && !stem.is_empty() {
            // The file name whole, and its stem for prose that names it bare (`lsass.dmp`,
            // `ntds.dit`).
            if keep(stem) && !stem.contains('.') {
                push(out, stem);
            }
            return Some(push(out, part));
        }
        if part.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return keep(part).then(|| push(out, part)); // an address
        }
        // `System.Net.WebClient`: the dotted parts.
        let mut last = None;
        for p in part.split('.').filter(|p| keep(p)) {
            last = Some(push(out, p));
        }
        return last;
    }
    keep(part).then(|| push(out, part))
}

fn push(out: &mut Vec<String>, t: &str) -> String {
    out.push(t.to_string());
    t.to_string()
}

/// Whether a token can tell techniques apart: not one letter, not filler, not a GUID, hash,
/// long number or base64 run.
fn keep(t: &str) -> bool {
    let n = t.chars().count();
    if !(2..=40).contains(&n) || STOPWORDS.contains(&t) {
        return false;
    }
    let digits = t.chars().filter(char::is_ascii_digit).count();
    if digits == n && n > 5 {
        return false;
    }
    let hexish = t.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    !(hexish && n >= 12 && digits > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executables_stay_whole_and_switches_keep_their_prefix() {
        let t = tokens(
            r#"C:\Windows\System32\rundll32.exe C:\windows\System32\comsvcs.dll, MiniDump 624 C:\temp\lsass.dmp full"#,
        );
        for want in [
            "rundll32",
            "comsvcs.dll",
            "minidump",
            "lsass.dmp",
            "lsass",
            "system32\\rundll32",
        ] {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
        assert!(!t.iter().any(|x| x == "exe" || x == "c"), "{t:?}");
    }

    #[test]
    fn powershell_switch_spellings_meet() {
        let a = tokens(
            "powershell.exe -NoP -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
        );
        let b = tokens("powershell -NoProfile -WindowStyle Hidden -EncodedCommand xyz");
        for want in [
            "powershell",
            "-noprofile",
            "-windowstyle",
            "-encodedcommand",
            "hidden",
        ] {
            assert!(a.contains(&want.to_string()), "{want} missing from {a:?}");
            assert!(b.contains(&want.to_string()), "{want} missing from {b:?}");
        }
        // The base64 blob is no token.
        assert!(a.iter().all(|x| x.len() <= 40), "{a:?}");
        assert_eq!(tokens("cmd.exe /c whoami"), vec!["cmd", "/c", "whoami"]);
    }

    #[test]
    fn registry_paths_split_with_component_pairs_and_one_root_spelling() {
        let a = tokens(r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\evil");
        let b = tokens(r"HKLM:\Software\Microsoft\Windows\CurrentVersion\Run");
        for want in ["hklm", "currentversion\\run", "run", "software\\microsoft"] {
            assert!(a.contains(&want.to_string()), "{want} missing from {a:?}");
            assert!(b.contains(&want.to_string()), "{want} missing from {b:?}");
        }
        // PowerShell's drive colon ends the root's word; the long root pairs with its key.
        assert!(a.contains(&"hklm\\software".to_string()), "{a:?}");
    }

    #[test]
    fn guids_hashes_and_filler_words_are_dropped() {
        let t = tokens(
            "Adversaries may use the {5770385F-C22A-43E0-BF4C-06F5698FFBD9} d41d8cd98f00b204e9800998ecf8427e to dump 1234567",
        );
        assert_eq!(t, vec!["dump"]);
        assert_eq!(
            tokens("[System.Net.WebClient]::new() 10.0.0.5:445"),
            vec!["system", "net", "webclient", "new", "10.0.0.5", "445"]
        );
    }
}
