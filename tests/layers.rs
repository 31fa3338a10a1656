//! The layer check: dependencies inside the crate point one way, in pipeline order, and each
//! heavy dependency stays in its one module (STYLE.md, rule 2). Reads `src/` as text, so it
//! needs no build of its own and names every offending line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and its layer, lowest first. A module may import modules of
/// a lower layer only (its own submodules aside). A new module must be placed here.
const LAYERS: &[(&str, u8)] = &[
    ("text", 0),
    ("config", 0),
    ("fsutil", 0),
    ("event", 1),
    ("model", 2),
    ("attack", 2),
    ("ingest", 3),
    ("index", 4),
    ("store", 4),
    ("detect", 5),
    ("sessions", 6),
    ("assess", 7),
    ("learn", 8),
    ("synth", 8),
    // eval measures every method, the learned prior's included.
    ("eval", 9),
    ("case", 10),
    ("tui", 11),
    ("bench", 12),
    ("cli", 13),
];

/// Heavy external crates and the one module allowed to name each.
const CONFINED: &[(&str, &str)] = &[
    ("mistralrs", "assess"),
    // The HTTP client of the inference server (assess/remote.rs) and of the OpenSearch index
    // (index/opensearch/): a crate may have more than one home.
    ("ureq", "assess"),
    ("ureq", "index"),
    ("tantivy", "index"),
    ("ratatui", "tui"),
    ("crossterm", "tui"),
    ("rusqlite", "store"),
    // The team store's client (store/postgres/), and the async crate under it.
    ("postgres", "store"),
    ("tokio_postgres", "store"),
];

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("src/ is readable");
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to (`src/assess/run.rs` -> `assess`), or None for the
/// crate roots (`lib.rs`, `main.rs`).
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src_dir()).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// The code of a line without its `//` comment (strings containing `//` are rare in `use`
/// lines and paths; a false hit would show up as a named line, not pass silently).
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or("")
}

/// Top-level modules named after `crate::` in a file: plain paths (`crate::assess::x`) and
/// brace groups (`use crate::{assess::x, learn}`), each with its line number.
fn crate_refs(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().map(code).collect();
    let joined = lines.join("\n");
    let bytes = joined.as_bytes();
    let line_at = |pos: usize| joined[..pos].matches('\n').count() + 1;
    let mut from = 0;
    while let Some(i) = joined[from..].find("crate::") {
        let at = from + i;
        from = at + "crate::".len();
        // `lookout_crate::` or `$crate::` are not ours.
        if at > 0 && (bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_') {
            continue;
        }
        let rest = &joined[from..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item_start = true;
            let mut ident = String::new();
            for (k, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            if !ident.is_empty() {
                                out.push((line_at(from + 1 + k), std::mem::take(&mut ident)));
                            }
                            break;
                        }
                    }
                    ',' if depth == 1 => item_start = true,
                    c if depth == 1 && item_start && (c.is_alphanumeric() || c == '_') => {
                        ident.push(c);
                    }
                    _ if !ident.is_empty() => {
                        out.push((line_at(from + 1 + k), std::mem::take(&mut ident)));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((line_at(at), name));
            }
        }
    }
    out
}

fn files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    files.sort();
    files
}

#[test]
fn every_module_has_a_layer() {
    let known: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let missing: Vec<String> = files()
        .iter()
        .filter_map(|f| module_of(f))
        .filter(|m| !known.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "modules without a layer in tests/layers.rs: {missing:?}"
    );
}

#[test]
fn no_layer_imports_a_higher_one() {
    let rank: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let mut bad = Vec::new();
    for f in files() {
        let Some(m) = module_of(&f) else { continue };
        let Some(&own) = rank.get(m.as_str()) else {
            continue;
        };
        let text = std::fs::read_to_string(&f).expect("source is UTF-8");
        for (line, target) in crate_refs(&text) {
            let Some(&theirs) = rank.get(target.as_str()) else {
                continue;
            };
            if target != m && theirs >= own {
                bad.push(format!(
                    "{}:{line}: `{m}` (layer {own}) imports `{target}` (layer {theirs})",
                    f.strip_prefix(src_dir()).unwrap_or(&f).display()
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "imports against the pipeline order:\n{}",
        bad.join("\n")
    );
}

#[test]
fn heavy_dependencies_stay_in_their_module() {
    let mut bad = Vec::new();
    for f in files() {
        let m = module_of(&f).unwrap_or_default();
        let text = std::fs::read_to_string(&f).expect("source is UTF-8");
        for (n, line) in text.lines().enumerate() {
            let line = code(line);
            for (i, (krate, _)) in CONFINED.iter().enumerate() {
                // A crate with two homes is listed twice: check it once.
                if CONFINED[..i].iter().any(|(k, _)| k == krate) {
                    continue;
                }
                let named =
                    line.contains(&format!("{krate}::")) && !line.contains(&format!("_{krate}::"));
                let homes: Vec<&str> = CONFINED
                    .iter()
                    .filter(|(k, _)| k == krate)
                    .map(|(_, h)| *h)
                    .collect();
                if named && !homes.contains(&m.as_str()) {
                    bad.push(format!(
                        "{}:{}: `{krate}` outside `{}`",
                        f.strip_prefix(src_dir()).unwrap_or(&f).display(),
                        n + 1,
                        homes.join("`, `")
                    ));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "heavy dependencies outside their module:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_scanner_sees_paths_and_groups() {
    let text = "use crate::{assess::x, learn::{a, b}, event};\nfn f() { crate::tui::run(); }\n// crate::cli in a comment\nlet s = lookout_crate::x;";
    let refs: Vec<String> = crate_refs(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(refs, ["assess", "learn", "event", "tui"]);
    assert_eq!(crate_refs(text)[3].0, 2, "line numbers follow the text");
}
