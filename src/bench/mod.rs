//! Benchmarks that print figures (`lookout bench …`): ingest throughput, sessionization and
//! Sigma matching speed, the model's latency and token speed, an inference server's throughput
//! under concurrent clients, the workbench's frame latency, the team store's corrections and hand-outs per second, the OpenSearch index against tantivy, peak
//! memory. Timings are reported, never asserted in tests. The stages keep only the probes
//! these drivers read (the assessor's running totals, the headless workbench); `bench` sits
//! above `case` and `tui`, and nothing below imports it.

pub mod assess;
pub mod assess_batch;
pub mod detect;
pub mod index;
pub mod inference;
pub mod ingest;
pub mod limits;
pub mod store;
pub mod synth;
pub mod tui;
pub mod verdicts;

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak RSS counter so that the next phase is measured on its own (Linux ≥ 4.0).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::peak_rss_bytes().unwrap() > 0);
        }
    }
}
