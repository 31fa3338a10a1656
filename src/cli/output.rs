//! Output helpers shared by commands: JSON lines, progress bars on a terminal, times.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::case::IngestProgress;

/// Prints one value as a JSON line on stdout (log text in it escaped so that it cannot drive
/// the terminal: `crate::text::write_inert_json`).
pub fn json_line<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    crate::text::write_inert_json(&mut out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

pub fn rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn short_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// An ingest progress bar on stderr, drawn from the shared counters, only on a terminal.
pub struct IngestBar {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl IngestBar {
    pub fn start(progress: Arc<IngestProgress>) -> IngestBar {
        let stop = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return IngestBar { stop, handle: None };
        }
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let bar = ProgressBar::new(0);
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {bytes}/{total_bytes} {msg}",
            );
            if let Ok(style) = style {
                bar.set_style(style);
            }
            while !flag.load(Ordering::Relaxed) {
                bar.set_length(progress.bytes_total.load(Ordering::Relaxed));
                bar.set_position(progress.bytes_done.load(Ordering::Relaxed));
                bar.set_message(format!(
                    "{}/{} files, {} events",
                    progress.files_done.load(Ordering::Relaxed),
                    progress.files_total.load(Ordering::Relaxed),
                    progress.events.load(Ordering::Relaxed)
                ));
                std::thread::sleep(Duration::from_millis(100));
            }
            bar.finish_and_clear();
        });
        IngestBar {
            stop,
            handle: Some(handle),
        }
    }
}

impl Drop for IngestBar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
