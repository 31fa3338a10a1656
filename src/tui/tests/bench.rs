//! The frame benchmark on a temporary case (ignored: it prints figures and takes seconds).
//! `cargo test --lib tui::tests::bench -- --ignored --nocapture`

use crate::tui::bench::{BenchFramesOptions, bench_frames};

#[test]
#[ignore = "benchmark: prints figures"]
fn frames_on_a_big_synthetic_case() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = BenchFramesOptions::new(dir.path().to_path_buf(), "bench");
    if let Some(n) = std::env::var("LOOKOUT_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.synthetic_sessions = n;
    }
    let report = bench_frames(&opts).unwrap();
    println!("{report}");
    assert!(report.keys > 0);
}
