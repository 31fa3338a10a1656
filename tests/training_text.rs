//! The Python side's copies of the prompt (training/make_synthetic.py writes chat examples in
//! the assessor's layout) stay word for word what src/assess/prompt.rs says, and name its
//! version. Regression: make_synthetic.py and the training fixture still said `assess-v1`
//! after the prompt moved to `assess-v2`.

mod assess_support;
mod common;

use lookout::assess::PROMPT_VERSION;
use lookout::assess::build_prompt;
use lookout::assess::prompt::SYSTEM;

fn make_synthetic() -> String {
    std::fs::read_to_string(common::repo().join("training/make_synthetic.py"))
        .expect("training/make_synthetic.py")
}

/// The text of `NAME = "..."` or `NAME = """..."""` in Python source.
fn py_string(src: &str, name: &str) -> String {
    let assigned = format!("\n{name} = ");
    let at = src
        .find(&assigned)
        .unwrap_or_else(|| panic!("{name} not assigned"));
    let rest = &src[at + assigned.len()..];
    let quote = ["\"\"\"", "\""]
        .into_iter()
        .find(|q| rest.starts_with(q))
        .unwrap_or_else(|| panic!("{name} is not a string literal"));
    let body = &rest[quote.len()..];
    let end = body
        .find(quote)
        .unwrap_or_else(|| panic!("{name} not closed"));
    body[..end].to_string()
}

#[test]
fn make_synthetic_names_the_current_prompt_version() {
    assert_eq!(
        py_string(&make_synthetic(), "PROMPT_VERSION"),
        PROMPT_VERSION
    );
}

#[test]
fn make_synthetic_system_prompt_is_the_assessors() {
    assert_eq!(py_string(&make_synthetic(), "SYSTEM"), SYSTEM);
}

#[test]
fn training_fixture_manifest_names_the_current_prompt_version() {
    let path = common::fixtures("train").join("manifest.json");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("manifest")).expect("JSON");
    assert_eq!(m["prompt_version"], PROMPT_VERSION, "{}", path.display());
}

/// training/train.py cuts a long training prompt inside its timeline, after the session's facts
/// (host, actor, processes), which it finds by the line that opens the timeline. If the prompt
/// named it otherwise, every long example would lose the facts its answer names.
#[test]
fn the_training_cut_finds_where_the_timeline_begins() {
    let src = std::fs::read_to_string(common::repo().join("training/train.py")).expect("train.py");
    let marker = py_string(&src, "TIMELINE_MARKER").replace("\\n", "\n");
    let p = build_prompt(
        &assess_support::lsass_dump(),
        &assess_support::small_catalog(),
    );
    let timeline = p
        .user
        .find(&marker)
        .expect("the marker opens the prompt's timeline");
    let host = p.user.find("\nHost: ").expect("the session's host");
    assert!(host < timeline, "the facts come before the timeline");
    assert_eq!(p.user.matches(&marker).count(), 1);
}
