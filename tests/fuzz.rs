//! Fuzzing on stable Rust: every target of `fuzz/src/lib.rs` (each parser and format
//! detection, the Sigma rule loader, the config, theme and keymap loaders, the stored-event
//! codec) driven by a mutation loop for a bounded time, seeded from `sample_logs/`, the test
//! fixtures, the repo's rules, themes and config, and the shared datasets.
//!
//! Mutations: bit flips, interesting bytes, deletions, duplications, truncation, splicing two
//! inputs, huge tokens, invalid UTF-8, deep JSON nesting, CRLF and UTF-16 re-encoding, gzip
//! and zip wrapping. An input whose signature (what the target reports it did: formats,
//! problems, errors) is new joins the corpus, so the loop drifts toward new behaviour.
//!
//! - `LOOKOUT_FUZZ_SECS`: seconds per target (default 1; `.ci/run` sets more).
//! - `LOOKOUT_FUZZ_SEED`: the random seed (printed, to replay a run).
//! - An input that panics (or runs over 30 s) is shrunk and saved under
//!   `target/tmp/fuzz-crashes/<target>/`, and the test fails naming it: fix the bug, then move
//!   the file to `tests/fixtures/fuzz/<target>/`, where `replays_every_saved_crash` runs it
//!   for good.

mod common;

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod targets;

use std::collections::HashSet;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use lookout::Format;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use targets::{Seeds, Target};

/// Bytes of a seed file read (the head of larger files): small inputs mutate and run fast.
const SEED_HEAD: usize = 8 * 1024;
/// EVTX seeds keep their header and first chunk.
const EVTX_HEAD: usize = 72 * 1024;
/// Shared dataset files used as seeds, spread evenly over the sorted list.
const SHARED_SEEDS: usize = 300;
const MAX_CORPUS: usize = 4000;
const HANG: Duration = Duration::from_secs(30);

fn secs_per_target() -> f64 {
    std::env::var("LOOKOUT_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0)
}

fn crash_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-crashes")
        .join(target)
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

fn head_of(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let archive = ["gz", "zip"]
        .iter()
        .any(|e| path.extension().is_some_and(|x| x.eq_ignore_ascii_case(e)));
    let f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    if archive && len > 256 << 10 {
        return None; // A cut archive is only its damaged start.
    }
    let evtx = path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("evtx"));
    let head = match (archive, evtx) {
        (true, _) => len,
        (_, true) => EVTX_HEAD as u64,
        _ => SEED_HEAD as u64,
    };
    let mut buf = Vec::new();
    f.take(head).read_to_end(&mut buf).ok()?;
    (!buf.is_empty()).then_some(buf)
}

/// Log seeds with their detected format.
fn log_seeds() -> &'static [(Format, Vec<u8>)] {
    static SEEDS: OnceLock<Vec<(Format, Vec<u8>)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut files = files_under(&common::repo().join("sample_logs"));
        files.extend(files_under(&common::fixtures("ingest")));
        if let Some(shared) = common::datasets() {
            let all: Vec<PathBuf> = files_under(&shared)
                .into_iter()
                .filter(|p| {
                    let s = p.to_string_lossy();
                    !s.contains("/sigma") && !s.ends_with(".md") && !s.contains("/attack/")
                })
                .collect();
            let step = (all.len() / SHARED_SEEDS).max(1);
            files.extend(all.into_iter().step_by(step));
        }
        files
            .iter()
            .filter_map(|p| {
                let bytes = head_of(p)?;
                let name = p.file_name()?.to_string_lossy().into_owned();
                Some((lookout::ingest::detect_format(&name, &bytes), bytes))
            })
            .collect()
    })
}

fn text_seeds(dirs: &[PathBuf], ext: &str, limit: usize) -> Vec<Vec<u8>> {
    let mut all: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| files_under(d))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    let step = (all.len() / limit).max(1);
    all = all.into_iter().step_by(step).collect();
    all.iter().filter_map(|p| head_of(p)).collect()
}

/// Stored events: each sample log's events encoded (and a few as the JSON of old versions).
fn stored_event_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let opts = lookout::ingest::IngestOptions::default();
    for (i, (_, bytes)) in log_seeds().iter().enumerate().take(120) {
        let mut n = 0;
        lookout::ingest::read_bytes("seed.log", bytes, &opts, &mut |ev| {
            n += 1;
            if n <= 3 {
                let mut buf = Vec::new();
                lookout::index::encode_event(&ev, &mut buf);
                out.push(buf);
                if i % 10 == 0
                    && let Ok(json) = serde_json::to_vec(&ev)
                {
                    out.push(json);
                }
            }
        });
    }
    out
}

fn seeds_for(kind: Seeds) -> (Vec<Vec<u8>>, usize) {
    let repo = common::repo();
    let shared_sigma = || {
        common::dataset("sigma/rules")
            .into_iter()
            .collect::<Vec<_>>()
    };
    match kind {
        Seeds::Logs(format) => {
            // Seeds of the target's own format first: mutations favour them.
            let mut own = Vec::new();
            let mut other = Vec::new();
            for (f, bytes) in log_seeds() {
                if Some(*f) == format {
                    own.push(bytes.clone());
                } else {
                    other.push(bytes.clone());
                }
            }
            let favoured = own.len();
            own.extend(other);
            (own, favoured)
        }
        Seeds::SigmaRules => {
            let mut dirs = vec![repo.join("rules")];
            dirs.extend(shared_sigma());
            let s = text_seeds(&dirs, "yml", 300);
            let n = s.len();
            (s, n)
        }
        Seeds::Config => {
            let s = vec![
                std::fs::read(repo.join("config/default.toml")).unwrap_or_default(),
                std::fs::read(repo.join("sample_logs/lookout.toml")).unwrap_or_default(),
            ];
            (s, 2)
        }
        Seeds::Theme => {
            let s = text_seeds(&[repo.join("themes")], "toml", 50);
            let n = s.len();
            (s, n)
        }
        Seeds::Keymap => (
            vec![std::fs::read(repo.join("config/keymap.toml")).unwrap_or_default()],
            1,
        ),
        Seeds::StoredEvents => {
            let s = stored_event_seeds();
            let n = s.len();
            (s, n)
        }
    }
}

/// One random change (or a few stacked) to `input`; `other` is another corpus entry.
fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut d = input.to_vec();
    let rounds = 1 + rng.gen_range(0..4u32).pow(2) / 3;
    for _ in 0..rounds {
        let len = d.len();
        let at = if len == 0 { 0 } else { rng.gen_range(0..len) };
        match rng.gen_range(0..20u32) {
            0..=2 if len > 0 => d[at] ^= 1 << rng.gen_range(0..8),
            3..=4 if len > 0 => {
                const INTERESTING: &[u8] = b"\0\xff\n\r\"{}[],:\\\t=;|#<> \x1b\x7f";
                d[at] = INTERESTING[rng.gen_range(0..INTERESTING.len())];
            }
            5..=6 if len > 0 => {
                let n = rng.gen_range(1..=(len - at).min(64));
                d.drain(at..at + n);
            }
            7 if len > 0 => {
                let n = rng.gen_range(1..=(len - at).min(256));
                let chunk = d[at..at + n].to_vec();
                let times = rng.gen_range(1..8);
                for _ in 0..times {
                    d.splice(at..at, chunk.iter().copied());
                }
            }
            8 => d.truncate(at),
            9 if !other.is_empty() => {
                let from = rng.gen_range(0..other.len());
                let n = rng.gen_range(1..=(other.len() - from).min(4096));
                d.splice(at..at, other[from..from + n].iter().copied());
            }
            10 => {
                // A huge token: past the line cap of the targets (4 KiB), sometimes far past.
                let n = if rng.gen_bool(0.1) {
                    200_000
                } else {
                    rng.gen_range(1..9000)
                };
                let b = [b'A', b'"', b'\\', b'{', b' ', 0xe9][rng.gen_range(0..6)];
                d.splice(at..at, std::iter::repeat_n(b, n));
            }
            11 => {
                const BAD: &[&[u8]] = &[
                    b"\xc3",
                    b"\xed\xa0\x80",
                    b"\xf8\x88\x80\x80\x80",
                    b"\xff\xfe",
                    b"\xef\xbb\xbf",
                    b"\xc0\xaf",
                ];
                let bad = BAD[rng.gen_range(0..BAD.len())];
                d.splice(at..at, bad.iter().copied());
            }
            12 => {
                let depth = rng.gen_range(100..3000);
                let (open, close): (&[u8], &[u8]) = if rng.gen_bool(0.5) {
                    (b"[", b"]")
                } else {
                    (b"{\"a\":", b"}")
                };
                let mut nest = open.repeat(depth);
                if rng.gen_bool(0.5) {
                    nest.extend(b"1");
                    nest.extend(close.repeat(depth));
                }
                d.splice(at..at, nest);
            }
            13 => {
                let text = String::from_utf8_lossy(&d).replace('\n', "\r\n");
                d = text.into_bytes();
            }
            14 if rng.gen_bool(0.3) => d = utf16(&d, rng.gen_bool(0.5)),
            15 if rng.gen_bool(0.3) => d = gzip(&d, rng.gen_range(1..4)),
            16 if rng.gen_bool(0.3) => d = zip(&d, rng.gen_range(1..4)),
            17 => {
                // A number or length field pushed to its edges.
                let edge: &[u8] = [
                    &b"-1"[..],
                    b"0",
                    b"4294967296",
                    b"18446744073709551616",
                    b"1e999",
                    b"NaN",
                ][rng.gen_range(0..6)];
                d.splice(at..at, edge.iter().copied());
            }
            18 if len > 0 => {
                // A line of the input repeated: many records of one shape.
                let start = d[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                let end = d[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(len, |i| at + i + 1);
                let line = d[start..end].to_vec();
                for _ in 0..rng.gen_range(1..300) {
                    d.splice(end..end, line.iter().copied());
                }
            }
            _ => {
                let n = rng.gen_range(1..32);
                let junk: Vec<u8> = (0..n).map(|_| rng.r#gen()).collect();
                d.splice(at..at, junk);
            }
        }
        if d.len() > 4 << 20 {
            d.truncate(4 << 20);
        }
    }
    d
}

fn utf16(d: &[u8], bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xff, 0xfe] } else { Vec::new() };
    for u in String::from_utf8_lossy(d).encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

fn gzip(d: &[u8], members: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..members {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = enc.write_all(d);
        out.extend(enc.finish().unwrap_or_default());
    }
    out
}

fn zip(d: &[u8], members: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..members {
        if w.start_file(format!("m{i}.log"), opts).is_ok() {
            let _ = w.write_all(d);
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// The panic message and place, captured by a quiet hook while fuzzing.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn quiet_panics() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        std::panic::set_hook(Box::new(|info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let place = info.location().map(|l| l.to_string()).unwrap_or_default();
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = Some(format!("{place}: {msg}"));
            }
        }));
    });
}

/// Runs one input; `Err` carries the panic.
fn exec(t: &Target, data: &[u8]) -> Result<u64, String> {
    catch_unwind(AssertUnwindSafe(|| (t.run)(data))).map_err(|_| {
        LAST_PANIC
            .lock()
            .ok()
            .and_then(|mut l| l.take())
            .unwrap_or_else(|| "panic".into())
    })
}

/// Removes chunks while the input still panics the same way (bounded effort).
fn shrink(t: &Target, mut data: Vec<u8>, why: &str) -> Vec<u8> {
    let place = why.split(": ").next().unwrap_or(why).to_string();
    let started = Instant::now();
    let mut chunk = data.len() / 2;
    while chunk > 0 && started.elapsed() < Duration::from_secs(20) {
        let mut at = 0;
        while at + chunk <= data.len() {
            let mut cand = data.clone();
            cand.drain(at..at + chunk);
            match exec(t, &cand) {
                Err(w) if w.starts_with(&place) => data = cand,
                _ => at += chunk,
            }
        }
        chunk /= 2;
    }
    data
}

fn save(dir: &Path, data: &[u8], prefix: &str) -> PathBuf {
    let _ = std::fs::create_dir_all(dir);
    let path = dir.join(format!(
        "{prefix}-{:016x}",
        xxhash_rust::xxh3::xxh3_64(data)
    ));
    let _ = std::fs::write(&path, data);
    path
}

struct Outcome {
    name: &'static str,
    execs: u64,
    seconds: f64,
    corpus: usize,
    crashes: Vec<(PathBuf, String)>,
}

/// The input being run by each target's thread, for the hang watchdog.
struct Current {
    started_ms: AtomicU64,
    data: Mutex<Vec<u8>>,
}

fn now_ms(origin: Instant) -> u64 {
    origin.elapsed().as_millis() as u64 + 1
}

fn fuzz_one(t: &Target, secs: f64, seed: u64) -> Outcome {
    let (mut corpus, favoured) = seeds_for(t.seeds);
    if corpus.is_empty() {
        corpus.push(Vec::new());
    }
    let favoured = favoured.max(1).min(corpus.len());
    let mut rng = StdRng::seed_from_u64(seed ^ xxhash_rust::xxh3::xxh3_64(t.name.as_bytes()));
    let mut seen = HashSet::new();
    let mut crashes: Vec<(PathBuf, String)> = Vec::new();
    let mut places = HashSet::new();
    let mut execs = 0u64;
    let started = Instant::now();
    let deadline = Duration::from_secs_f64(secs);

    let current = Arc::new(Current {
        started_ms: AtomicU64::new(0),
        data: Mutex::new(Vec::new()),
    });
    let done = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let (current, done, name) = (current.clone(), done.clone(), t.name);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(500));
                let s = current.started_ms.load(Ordering::Relaxed);
                if s != 0 && now_ms(started).saturating_sub(s) > HANG.as_millis() as u64 {
                    let data = current.data.lock().map(|d| d.clone()).unwrap_or_default();
                    let path = save(&crash_dir(name), &data, "hang");
                    eprintln!(
                        "fuzz {name}: an input ran over {HANG:?}: saved {}",
                        path.display()
                    );
                    std::process::abort();
                }
            }
        })
    };
    let run = |data: &[u8], execs: &mut u64| -> Result<u64, String> {
        if let Ok(mut d) = current.data.lock() {
            d.clear();
            d.extend_from_slice(data);
        }
        current.started_ms.store(now_ms(started), Ordering::Relaxed);
        let r = exec(t, data);
        current.started_ms.store(0, Ordering::Relaxed);
        *execs += 1;
        r
    };
    let mut pending: Vec<Vec<u8>> = corpus.clone();
    let mut i = 0;
    while started.elapsed() < deadline || i < pending.len().min(1) {
        // The seeds as they are first, then mutants.
        let input = if i < pending.len() {
            i += 1;
            std::mem::take(&mut pending[i - 1])
        } else {
            let pick = if rng.gen_bool(0.7) {
                rng.gen_range(0..favoured)
            } else {
                rng.gen_range(0..corpus.len())
            };
            let other = &corpus[rng.gen_range(0..corpus.len())];
            mutate(&mut rng, &corpus[pick], other)
        };
        match run(&input, &mut execs) {
            Ok(sig) => {
                if seen.insert(sig) && corpus.len() < MAX_CORPUS && i >= pending.len() {
                    corpus.push(input);
                }
            }
            Err(why) => {
                let place = why.split(": ").next().unwrap_or(&why).to_string();
                if places.insert(place) {
                    let small = shrink(t, input, &why);
                    let path = save(&crash_dir(t.name), &small, "crash");
                    crashes.push((path, why));
                }
            }
        }
    }
    done.store(true, Ordering::Relaxed);
    let _ = watchdog.join();
    Outcome {
        name: t.name,
        execs,
        seconds: started.elapsed().as_secs_f64(),
        corpus: corpus.len(),
        crashes,
    }
}

#[test]
fn fuzz_every_target_for_a_bounded_time() {
    quiet_panics();
    let secs = secs_per_target();
    let seed = std::env::var("LOOKOUT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    // Seeds are read once, before the clock of any target starts.
    let _ = log_seeds();
    let all = targets::targets();
    let queue = Mutex::new(all.iter().collect::<Vec<_>>());
    let outcomes = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                while let Some(t) = queue.lock().ok().and_then(|mut q| q.pop()) {
                    let o = fuzz_one(t, secs, seed);
                    if let Ok(mut out) = outcomes.lock() {
                        out.push(o);
                    }
                }
            });
        }
    });
    let mut outcomes = outcomes.into_inner().unwrap_or_default();
    outcomes.sort_by_key(|o| o.name);
    println!("fuzz: {secs} s per target, seed {seed} (LOOKOUT_FUZZ_SEED to replay)");
    println!(
        "{:<22} {:>9} {:>9} {:>7} {:>7}",
        "target", "execs", "execs/s", "corpus", "crashes"
    );
    let mut failures = Vec::new();
    for o in &outcomes {
        println!(
            "{:<22} {:>9} {:>9.0} {:>7} {:>7}",
            o.name,
            o.execs,
            o.execs as f64 / o.seconds.max(1e-9),
            o.corpus,
            o.crashes.len()
        );
        for (path, why) in &o.crashes {
            failures.push(format!("{}: {why}\n    saved: {}", o.name, path.display()));
        }
    }
    let total: u64 = outcomes.iter().map(|o| o.execs).sum();
    println!("total {total} executions over {} targets", outcomes.len());
    assert_eq!(outcomes.len(), all.len(), "a fuzz worker died");
    assert!(
        failures.is_empty(),
        "fuzzing found {} crash(es); fix them, then move each saved input to \
         tests/fixtures/fuzz/<target>/ as a regression test:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every input fuzzing ever crashed a target with, run again: each names the bug it pins in
/// tests/fixtures/fuzz/README.md.
#[test]
fn replays_every_saved_crash() {
    let all = targets::targets();
    let dir = common::fixtures("fuzz");
    let mut ran = 0;
    let mut failures = Vec::new();
    for t in &all {
        for path in files_under(&dir.join(t.name)) {
            let data = std::fs::read(&path).unwrap();
            ran += 1;
            let started = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| (t.run)(&data)));
            // A saved hang pins a slowness bug: it must now finish like any input.
            if started.elapsed() > HANG {
                failures.push(format!("{}: ran over {HANG:?}", path.display()));
            }
            if let Err(e) = outcome {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {msg}", path.display()));
            }
        }
    }
    // Folders must be named after a target, or their inputs would silently never run.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(
                all.iter().any(|t| t.name == name),
                "no fuzz target named {name}"
            );
        }
    }
    println!("replayed {ran} saved crash inputs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The target list, the cargo-fuzz entry points and the formats agree.
#[test]
fn targets_cover_every_format_and_have_entry_points() {
    let all = targets::targets();
    for f in Format::ALL {
        let name = format!("ingest_{}", f.as_str());
        let t = all.iter().find(|t| t.name == name);
        assert!(t.is_some_and(|t| t.seeds == Seeds::Logs(Some(f))), "{name}");
    }
    let manifest = std::fs::read_to_string(common::repo().join("fuzz/Cargo.toml")).unwrap();
    for t in &all {
        let entry = common::repo().join(format!("fuzz/fuzz_targets/{}.rs", t.name));
        let src = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(
            src.contains(&format!("run(\"{}\"", t.name)),
            "{}",
            entry.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "{}",
            t.name
        );
    }
}
