//! Fuzz-style property tests: random, log-shaped and truncated bytes fed to detection and to
//! every parser (through `read_file` with each forced format) never panic, and the report
//! always accounts for the input.

mod common;

use std::path::Path;

use lookout::Format;
use lookout::ingest::{IngestOptions, detect_format, read_file};
use proptest::prelude::*;

/// `None` (detect) and every format forced.
fn all_formats() -> Vec<Option<Format>> {
    std::iter::once(None)
        .chain(Format::ALL.iter().copied().map(Some))
        .collect()
}

fn read_all_ways(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    for format in all_formats() {
        let opts = IngestOptions {
            format,
            max_line_bytes: 256,
            ..IngestOptions::default()
        };
        let mut n = 0u64;
        let reports = read_file(&path, &opts, &mut |e| {
            assert!(!e.id.is_empty());
            n += 1;
        });
        assert!(!reports.is_empty());
        assert_eq!(reports.iter().map(|r| r.events).sum::<u64>(), n);
    }
}

/// Lines that look like the formats, so the parsers get past their first checks.
fn log_line() -> impl Strategy<Value = String> {
    prop_oneof![
        "(<[0-9]{1,3}>)?(Jan|Feb|Dec) [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [a-z]{1,8} [a-z()_]{1,12}(\\[[0-9x]{0,6}\\])?: .{0,60}",
        "<[0-9]{1,3}>1 [-0-9T:.Z+]{1,30} [a-z-]{1,8} [a-z-]{1,8} [0-9-]{1,5} [A-Z-]{1,4} (-|\\[[a-z]+( [a-z]+=\"[^\"]{0,5}\")*\\]) .{0,40}",
        "[0-9.]{7,15} [a-z-]{1,3} [a-z-]{1,5} \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4}\\] \"[A-Z]{3,6} .{0,20}\" [0-9-]{1,3} [0-9-]{1,5}( \".{0,10}\" \".{0,10}\")?",
        "\\[(Sun|Mon) (Dec|Oct) [0-9]{2} [0-9:]{8}(\\.[0-9]{1,6})? [0-9]{4}\\] \\[[a-z:]{1,12}\\]( \\[(pid|client) [0-9.:]{0,20}\\])* .{0,30}",
        "\\{(\"[a-zA-Z_.@]{1,12}\":(\"[^\"\\\\]{0,12}\"|[0-9.e+-]{1,10}|null|true|\\[\\]|\\{\\}),?){0,6}\\}?",
        "(Failed|Accepted) (password|publickey) for (invalid user )?[a-z ]{0,8} from [0-9a-f.:]{0,20}( port [0-9]{0,6})?",
        "[a-z ]{0,6}: (TTY|PWD|USER|COMMAND)=.{0,10}( ; [A-Z]{3,7}=.{0,8}){0,3}",
        "type=[A-Z]{3,8} msg=audit\\([0-9.:]{0,20}\\):( [a-z0-9]{1,5}=(\"[^\"]{0,6}\"|[^ ]{0,6})){0,5}",
        "[0-9]{4}[-/][0-9]{2}[-/][0-9]{2}[ T][0-9:]{5,8}([.,][0-9]{1,9})?(Z|[+-][0-9:]{2,5})? .{0,30}",
        "#(separator|fields|path|unset_field|empty_field)[ \t].{0,30}",
        "StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport|[0-9/ :.]{10,26},[0-9.]{0,8},(tcp|udp),[0-9.]{0,15},[0-9x]{0,6}, +<?->,[0-9.]{0,15},[0-9]{0,6},.{0,20}",
        ".{0,80}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn detect_never_panics(name in "[a-zA-Z._/]{0,16}", bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = detect_format(&name, &bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let dir = tempfile::tempdir().unwrap();
        read_all_ways(dir.path(), "random.log", &bytes);
    }

    #[test]
    fn log_shaped_lines_never_panic(lines in proptest::collection::vec(log_line(), 1..12), crlf in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        let _ = detect_format("x.log", text.as_bytes());
        read_all_ways(dir.path(), "shaped.log", text.as_bytes());
    }

    #[test]
    fn truncated_and_damaged_fixtures_never_panic(pick in any::<prop::sample::Index>(), cut in 0.0f64..1.0, flip in any::<(usize, u8)>()) {
        let mut fixtures: Vec<_> = std::fs::read_dir(common::fixtures("ingest")).unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| !p.to_string_lossy().ends_with(".golden.jsonl"))
            .collect();
        fixtures.sort();
        let path = pick.get(&fixtures);
        let mut bytes = std::fs::read(path).unwrap();
        bytes.truncate((bytes.len() as f64 * cut) as usize);
        if !bytes.is_empty() {
            let i = flip.0 % bytes.len();
            bytes[i] ^= flip.1;
        }
        let dir = tempfile::tempdir().unwrap();
        read_all_ways(dir.path(), &path.file_name().unwrap().to_string_lossy(), &bytes);
    }
}

/// A real EVTX recording, read once for all cases (`None`, noted once, where it is missing).
fn rdp_tunnel_evtx() -> Option<&'static [u8]> {
    static BYTES: std::sync::OnceLock<Option<Vec<u8>>> = std::sync::OnceLock::new();
    BYTES
        .get_or_init(|| {
            let src = common::dataset("evtx-attack/Command and Control/DE_RDP_Tunnel_5156.evtx")?;
            Some(std::fs::read(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display())))
        })
        .as_deref()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn truncated_and_damaged_evtx_never_panic(cut in 0.0f64..1.0, flips in proptest::collection::vec(any::<(usize, u8)>(), 0..40)) {
        let Some(src) = rdp_tunnel_evtx() else { return Ok(()) };
        let mut bytes = src.to_vec();
        bytes.truncate(((bytes.len() as f64) * cut) as usize + 1);
        for (i, x) in flips {
            let n = bytes.len();
            bytes[i % n] ^= x;
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.evtx");
        std::fs::write(&path, &bytes).unwrap();
        let mut n = 0u64;
        let reports = read_file(&path, &IngestOptions::default(), &mut |_| n += 1);
        prop_assert_eq!(reports.iter().map(|r| r.events).sum::<u64>(), n);
    }
}
