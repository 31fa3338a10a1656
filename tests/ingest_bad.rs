//! Bad input never panics and never stops a run: truncated and corrupt EVTX, invalid UTF-8,
//! a 20 MB line, binary junk, empty and unreadable files, corrupt gzip and zip.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use lookout::Format;
use lookout::ingest::{FileReport, IngestOptions, SkipReason, read_file};

fn read(path: &Path) -> (Vec<lookout::Event>, Vec<FileReport>) {
    let mut events = Vec::new();
    let reports = read_file(path, &IngestOptions::default(), &mut |e| events.push(e));
    (events, reports)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A real EVTX file from the shared corpus.
fn some_evtx() -> Option<Vec<u8>> {
    let path = common::dataset(
        "evtx-attack/Execution/sysmon_mshta_sharpshooter_stageless_meterpreter.evtx",
    )?;
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

#[test]
fn empty_unreadable_and_folder_inputs_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (ev, r) = read(&write(tmp.path(), "empty.log", b""));
    assert!(ev.is_empty());
    assert_eq!(
        (r.len(), r[0].count(SkipReason::Empty), r[0].format),
        (1, 1, None)
    );
    let (ev, r) = read(&write(tmp.path(), "blank.log", b"\n\n  \r\n"));
    assert!(ev.is_empty());
    assert_eq!(r[0].count(SkipReason::Empty), 1);
    let (_, r) = read(&tmp.path().join("does-not-exist.log"));
    assert_eq!(r[0].count(SkipReason::Unreadable), 1);
    let (_, r) = read(tmp.path());
    assert_eq!(r[0].count(SkipReason::Unreadable), 1);
    #[cfg(unix)]
    {
        let link = tmp.path().join("dangling");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        let (_, r) = read(&link);
        assert_eq!(r[0].count(SkipReason::Unreadable), 1);
    }
}

#[test]
fn binary_junk_is_skipped_with_a_clear_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (ev, r) = read(&write(tmp.path(), "junk.bin", &junk));
    assert!(ev.is_empty());
    assert_eq!(r[0].count(SkipReason::Binary), 1);
    assert_eq!(r[0].bytes, 50_000);
    assert!(r[0].problems[0].detail.contains("binary"));
    // A pcap inside a zip is binary too, while its sibling log is read.
    let z = zip_of(&[
        (
            "cap.pcap",
            &[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0],
        ),
        ("a.log", b"hello\n"),
    ]);
    let (ev, r) = read(&write(tmp.path(), "mixed.zip", &z));
    assert_eq!(ev.len(), 1);
    assert_eq!(r.len(), 2);
    assert!(r[0].source.ends_with("mixed.zip!cap.pcap") && r[0].count(SkipReason::Binary) == 1);
    assert!(r[1].source.ends_with("mixed.zip!a.log") && r[1].events == 1);
}

#[test]
fn invalid_utf8_is_decoded_lossily_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let (ev, r) = read(&write(
        tmp.path(),
        "x.log",
        b"ok line\nbad \xff\xfe byte\n{\"a\":\"\xc3\x28\"}\n",
    ));
    assert_eq!(ev.len(), 3);
    assert!(ev[1].raw.contains('\u{fffd}'));
    assert_eq!(r[0].count(SkipReason::InvalidUtf8), 2);
    assert_eq!(r[0].lost(), 0);
    assert_eq!(r[0].problems[0].offset, 8);
}

#[test]
fn a_20mb_json_record_is_refused_and_the_file_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("huge.json");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"{\"ts\":1,\"msg\":\"start\"}\n{\"big\":\"")
            .unwrap();
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..20 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\"}\n{\"ts\":2,\"msg\":\"end\"}\n").unwrap();
    }
    let opts = IngestOptions {
        max_line_bytes: 64 << 10,
        ..IngestOptions::default()
    };
    let mut events = Vec::new();
    let r = read_file(&path, &opts, &mut |e| events.push(e));
    // Half a JSON record is not a record: it is refused whole (issue #21: huge JSON records
    // are refused one by one), counted once, and the records after it are read.
    assert_eq!(events.len(), 2);
    assert_eq!(r[0].count(SkipReason::BadRecord), 1);
    assert_eq!(r[0].count(SkipReason::LineTooLong), 0);
    assert!(
        r[0].problems[0].detail.contains("refused"),
        "{:?}",
        r[0].problems
    );
    assert_eq!(
        (events[0].format, events[1].format),
        (Format::Json, Format::Json)
    );
    assert_eq!(events[1].record, 3);
    assert_eq!(r[0].bytes, std::fs::metadata(&path).unwrap().len());
}

#[test]
fn corrupt_gzip_and_zip_keep_what_was_read() {
    let tmp = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "2024-01-01T00:00:00Z line {i} with some padding to compress\n"
        ));
    }
    let gz = gzip(text.as_bytes());
    let (ev, r) = read(&write(tmp.path(), "ok.log.gz", &gz));
    assert_eq!(ev.len(), 20_000);
    // An RFC 3339 stamp then words reads as high-precision syslog; what matters here is that
    // a whole archive loses nothing.
    assert!(r[0].format.is_some());
    assert_eq!(r[0].lost(), 0, "{r:?}");
    let (ev, r) = read(&write(tmp.path(), "cut.log.gz", &gz[..gz.len() / 2]));
    assert!(!ev.is_empty() && ev.len() < 20_000);
    assert_eq!(r[0].count(SkipReason::BadArchive), 1, "{r:?}");
    let mut flipped = gz.clone();
    for b in &mut flipped[100..120] {
        *b ^= 0x5a;
    }
    let (_, r) = read(&write(tmp.path(), "flipped.log.gz", &flipped));
    assert!(
        r[0].count(SkipReason::BadArchive)
            + r[0].count(SkipReason::InvalidUtf8)
            + r[0].count(SkipReason::Binary)
            >= 1
    );

    let z = zip_of(&[("a.log", text.as_bytes()), ("b.log", b"one\ntwo\n")]);
    let (ev, r) = read(&write(tmp.path(), "ok.zip", &z));
    assert_eq!(ev.len(), 20_002);
    assert_eq!(r.len(), 2);
    let (ev, r) = read(&write(tmp.path(), "cut.zip", &z[..z.len() - 30]));
    assert!(ev.is_empty());
    assert_eq!(r[0].count(SkipReason::BadArchive), 1);
    let (_, r) = read(&write(
        tmp.path(),
        "junk.zip",
        b"PK\x03\x04 definitely not a zip",
    ));
    assert_eq!(r[0].count(SkipReason::BadArchive), 1);
    // A gzip inside a zip is followed, and named after both.
    let z = zip_of(&[("logs/app.log.gz", &gzip(b"a\nb\n"))]);
    let (ev, r) = read(&write(tmp.path(), "nested.zip", &z));
    assert_eq!(ev.len(), 2);
    assert!(r[0].source.ends_with("nested.zip!logs/app.log.gz"));
}

#[test]
fn utf16_files_are_transcoded() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "{\"EventID\":4624,\"Hostname\":\"h\",\"TargetUserName\":\"b\u{f6}b\"}\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let (ev, r) = read(&write(tmp.path(), "w.json", &bytes));
    assert_eq!(r[0].format, Some(Format::WinJson));
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].user.as_deref(), Some("b\u{f6}b"));
    // An odd trailing byte is a malformed sequence: replaced and counted; the line it makes
    // is no JSON and is counted too.
    bytes.push(0x41);
    let (ev, r) = read(&write(tmp.path(), "w2.json", &bytes));
    assert_eq!(ev.len(), 1);
    assert_eq!(r[0].count(SkipReason::InvalidUtf8), 1);
    assert_eq!(r[0].count(SkipReason::BadRecord), 1);
}

#[test]
fn truncated_and_corrupt_evtx_never_panic() {
    let Some(evtx) = some_evtx() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (full, r) = read(&write(tmp.path(), "full.evtx", &evtx));
    assert!(!full.is_empty());
    assert_eq!(r[0].lost(), 0);
    // Cut inside the file header, inside the first chunk, and mid-file.
    for cut in [4usize, 100, 4096 + 200, 4096 + 65536 / 2, evtx.len() - 1000] {
        let cut = cut.min(evtx.len());
        let (ev, r) = read(&write(tmp.path(), &format!("cut{cut}.evtx"), &evtx[..cut]));
        assert!(ev.len() <= full.len());
        assert_eq!(r.len(), 1, "one report for {cut}");
    }
    // Damage inside the chunk data: some records may go, the run goes on.
    let mut bad = evtx.clone();
    for i in (4096 + 600..bad.len().min(4096 + 20_000)).step_by(97) {
        bad[i] ^= 0xa5;
    }
    let (ev, r) = read(&write(tmp.path(), "bad.evtx", &bad));
    assert!(ev.len() <= full.len());
    assert_eq!(r[0].format, Some(Format::Evtx));
    // An EVTX inside a zip is read from memory with the same results.
    let z = zip_of(&[("inner.evtx", &evtx)]);
    let (ev, _) = read(&write(tmp.path(), "evtx.zip", &z));
    assert_eq!(ev.len(), full.len());
    assert_eq!(ev[0].raw, full[0].raw);
}
