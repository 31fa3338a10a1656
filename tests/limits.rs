//! Ingest limits on generated inputs: a 50 MB single line is cut with a notice and the file
//! goes on; JSON records that are too deep or too large are refused one by one; an unclosed
//! CSV quote cannot swallow the file; gzip and zip bombs are refused while decompressing.
//! (Memory on a 2 GB file is a figure: `lookout bench limits`.)

use std::io::Write;
use std::path::{Path, PathBuf};

use lookout::Event;
use lookout::ingest::{ExpansionLimit, FileReport, IngestOptions, SkipReason, read_file};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn read(path: &Path, opts: &IngestOptions) -> (Vec<Event>, Vec<FileReport>) {
    let mut events = Vec::new();
    let reports = read_file(path, opts, &mut |e| events.push(e));
    (events, reports)
}

fn count(reports: &[FileReport], reason: SkipReason) -> u64 {
    reports.iter().map(|r| r.count(reason)).sum()
}

fn details(reports: &[FileReport]) -> Vec<String> {
    reports
        .iter()
        .flat_map(|r| r.problems.iter().map(|p| p.detail.clone()))
        .collect()
}

const FIFTY_MB: usize = 50 << 20;

#[test]
fn a_50mb_line_is_cut_with_a_notice_and_the_file_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"Dec 10 06:55:46 h sshd[1]: first\nDec 10 06:55:47 h sshd[2]: ".to_vec();
    text.resize(text.len() + FIFTY_MB, b'x');
    text.extend_from_slice(b"\nDec 10 06:55:48 h sshd[3]: last\n");
    let path = write(dir.path(), "messages", &text);
    let opts = IngestOptions::default();
    let (events, reports) = read(&path, &opts);
    assert_eq!(events.len(), 3, "{:?}", details(&reports));
    assert_eq!(count(&reports, SkipReason::LineTooLong), 1);
    assert!(
        details(&reports).iter().any(|d| d == "line 2 cut"),
        "{:?}",
        details(&reports)
    );
    assert!(events[1].raw.len() <= opts.max_line_bytes);
    assert!(events[2].raw.ends_with("last"));
}

#[test]
fn a_50mb_json_line_is_refused_and_the_other_records_ingest() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = br#"{"ts":"2024-01-01T00:00:00Z","msg":"one"}"#.to_vec();
    text.extend_from_slice(b"\n{\"msg\":\"");
    text.resize(text.len() + FIFTY_MB, b'y');
    text.extend_from_slice(b"\"}\n");
    let deep = format!("{{\"a\":{}1{}}}\n", "[".repeat(10_000), "]".repeat(10_000));
    text.extend_from_slice(deep.as_bytes());
    text.extend_from_slice(br#"{"ts":"2024-01-01T00:00:01Z","msg":"two"}"#);
    text.push(b'\n');
    let path = write(dir.path(), "app.json", &text);
    let (events, reports) = read(&path, &IngestOptions::default());
    let msgs: Vec<&str> = events.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(msgs, ["one", "two"], "{:?}", details(&reports));
    assert_eq!(count(&reports, SkipReason::BadRecord), 2);
    // Refused, not cut and kept: no repair is counted for the long line.
    assert_eq!(count(&reports, SkipReason::LineTooLong), 0);
    let d = details(&reports);
    assert!(
        d.iter()
            .any(|d| d.contains("line 2") && d.contains("refused")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|d| d.contains("line 3") && d.contains("recursion limit")),
        "{d:?}"
    );
}

#[test]
fn json_documents_refuse_deep_and_huge_records_one_by_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = |i: u32| format!("{{\"EventID\": 4624, \"Hostname\": \"h{i}\"}}");
    let deep = format!(
        "{{\"EventID\": 1, \"x\": {}0{}}}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    let huge = format!("{{\"EventID\": 2, \"x\": \"{}\"}}", "z".repeat(3 << 20));
    let doc = format!(
        "[\n{},\n{deep},\n{},\n{huge},\n{}\n]\n",
        good(1),
        good(2),
        good(3)
    );
    let path = write(dir.path(), "events.json", doc.as_bytes());
    let (events, reports) = read(&path, &IngestOptions::default());
    let hosts: Vec<_> = events.iter().filter_map(|e| e.host.as_deref()).collect();
    assert_eq!(hosts, ["h1", "h2", "h3"], "{:?}", details(&reports));
    assert_eq!(count(&reports, SkipReason::BadRecord), 2);
    let d = details(&reports);
    assert!(
        d[0].starts_with("record 2:") && d[0].contains("recursion limit"),
        "{d:?}"
    );
    assert!(
        d[1].starts_with("record 4:") && d[1].contains("record limit"),
        "{d:?}"
    );
}

#[test]
fn an_unclosed_csv_quote_cannot_swallow_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"Time,Host,Message\n2024-01-01 00:00:00,h1,\"opened".to_vec();
    for _ in 0..(3 << 20) / 8 {
        text.extend_from_slice(b"\nmore te");
    }
    text.extend_from_slice(b"\n2024-01-01 00:00:09,h9,closing row\n");
    let path = write(dir.path(), "x.csv", &text);
    let opts = IngestOptions {
        format: Some(lookout::Format::Csv),
        ..IngestOptions::default()
    };
    let (events, reports) = read(&path, &opts);
    assert!(
        count(&reports, SkipReason::LineTooLong) >= 1,
        "{:?}",
        details(&reports)
    );
    let first = &events[0];
    assert_eq!(first.host.as_deref(), Some("h1"));
    assert!(first.raw.len() <= (1 << 20) + 64);
    assert_eq!(events.last().and_then(|e| e.host.as_deref()), Some("h9"));
}

/// `members` gzip members, each `unit` bytes of `byte` compressed: a multi-member gzip
/// expands to `members * unit` bytes from a file about 1000 times smaller.
fn gzip_bomb(byte: u8, unit: usize, members: usize) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![byte; unit]).unwrap();
    enc.finish().unwrap().repeat(members)
}

fn assert_refused_as_bomb(reports: &[FileReport]) {
    assert!(
        count(reports, SkipReason::TooLarge) >= 1,
        "{:?}",
        details(reports)
    );
    assert!(
        details(reports)
            .iter()
            .any(|d| d.contains("decompression bomb")),
        "{:?}",
        details(reports)
    );
}

#[test]
fn a_gzip_bomb_is_refused_while_decompressing_at_the_default_limits() {
    let dir = tempfile::tempdir().unwrap();
    // 4 GiB of zeros from about 4 MiB on disk; refused after the 1 GiB floor.
    let path = write(dir.path(), "bomb.log.gz", &gzip_bomb(0, 1 << 20, 4096));
    let (events, reports) = read(&path, &IngestOptions::default());
    assert!(events.is_empty());
    assert_refused_as_bomb(&reports);
    let read_bytes: u64 = reports.iter().map(|r| r.bytes).sum();
    assert!(
        read_bytes <= (1 << 30) + (1 << 20),
        "read {read_bytes} bytes"
    );
}

#[test]
fn a_text_gzip_bomb_is_refused_and_what_came_before_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let opts = IngestOptions {
        expansion: ExpansionLimit {
            floor_bytes: 8 << 20,
            ratio: 100,
        },
        ..IngestOptions::default()
    };
    let path = write(dir.path(), "lines.log.gz", &gzip_bomb(b'\n', 1 << 20, 64));
    let (_, reports) = read(&path, &opts);
    assert_refused_as_bomb(&reports);
    // A real log, compressed, is not a bomb at the same limits.
    let mut log = Vec::new();
    for i in 0..40_000 {
        writeln!(log, "Dec 10 06:55:{:02} web01 sshd[{i}]: Failed password for root from 10.0.{}.{} port {} ssh2", i % 60, i % 250, i % 200, 1024 + i).unwrap();
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&log).unwrap();
    let path = write(dir.path(), "auth.log.gz", &enc.finish().unwrap());
    let (events, reports) = read(&path, &opts);
    assert_eq!(events.len(), 40_000, "{:?}", details(&reports));
    assert_eq!(count(&reports, SkipReason::TooLarge), 0);
}

#[test]
fn a_zip_bomb_is_refused_and_its_other_members_are_not_opened() {
    let dir = tempfile::tempdir().unwrap();
    let opts = IngestOptions {
        expansion: ExpansionLimit {
            floor_bytes: 64 << 20,
            ratio: 100,
        },
        ..IngestOptions::default()
    };
    let zip_of = |members: usize, unit: usize| {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        let block = vec![b'a'; unit];
        for i in 0..members {
            w.start_file(format!("part{i}.log"), o).unwrap();
            w.write_all(&block).unwrap();
        }
        w.finish().unwrap().into_inner()
    };
    // 16 members of 16 MiB of one long line: 256 MiB from ~256 KiB on disk.
    let path = write(dir.path(), "bomb.zip", &zip_of(16, 16 << 20));
    let (events, reports) = read(&path, &opts);
    assert_refused_as_bomb(&reports);
    assert!(events.len() <= 5, "{} events", events.len());
    assert!(
        details(&reports)
            .iter()
            .any(|d| d.contains("not read: the archive was refused")),
        "{:?}",
        details(&reports)
    );
    // The same zip nested in a zip (in a gzip) is refused the same way.
    let inner = std::fs::read(&path).unwrap();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("inner.zip", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(&inner).unwrap();
    let outer = w.finish().unwrap().into_inner();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&outer).unwrap();
    let path = write(dir.path(), "nested.zip.gz", &enc.finish().unwrap());
    let (_, reports) = read(&path, &opts);
    assert_refused_as_bomb(&reports);
}
