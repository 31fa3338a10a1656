//! A case's sessions rebuilt from its events: a pass over the index learns what must be known
//! of the whole case, then the events stream through the sessionizer in time order, a window
//! at a time, each window's rule hits read from the store and each finished session written
//! as it leaves. Memory follows the events near the window, not the size of the case.

use anyhow::Result;

use super::ingest::{files_not_held, release_freed_memory};
use super::{Case, IngestProgress, IngestStage};
use crate::config::Config;
use crate::sessions::{GroupOptions, Prepared, Sessionizer};
use crate::store::{SessionSink, Store};

/// Events per chunk of the first pass.
const PREPASS_CHUNK: usize = 1 << 16;

/// Events per window of the time-ordered pass (about 200 bytes each while held): each window
/// is one pass over the index's fast columns.
const WINDOW: usize = 1 << 18;

/// Events pushed to the stream at a time: after each step it writes the sessions it can, so
/// the sessions open at once are those of a few gaps of activity, not of a whole window (every
/// failed logon of a brute force is a session of its own).
const STEP: usize = 1 << 13;

impl Case {
    /// Recomputes and stores the case's sessions (after an ingest or a rule re-run).
    pub fn refresh_sessions(&mut self, config: &Config) -> Result<usize> {
        self.refresh_sessions_with(config, None)
    }

    /// [`Case::refresh_sessions`], telling `progress` its stage (sessions, then verdicts).
    pub(super) fn refresh_sessions_with(
        &mut self,
        config: &Config,
        progress: Option<&IngestProgress>,
    ) -> Result<usize> {
        if let Some(p) = progress {
            p.set_stage(IngestStage::Sessions);
        }
        let count = match self.build_sessions(config) {
            Err(e) if e.downcast_ref::<Superseded>().is_some() => {
                eprintln!("lookout: {e}");
                return Ok(0);
            }
            r => r?,
        };
        // The stream's tables grew with the sessions open at its busiest; hand them back
        // before the verdicts' pass.
        release_freed_memory();
        if let Some(p) = progress {
            p.set_stage(IngestStage::Verdicts);
        }
        match crate::attack::Catalog::load_default() {
            Ok(catalog) => {
                self.instant_verdicts(&catalog)?;
            }
            Err(e) => eprintln!(
                "lookout: sessions without instant verdicts: {e} (`make setup` installs the ATT&CK catalog)"
            ),
        }
        Ok(count)
    }

    /// Streams the case's events into sessions and writes them; returns how many.
    fn build_sessions(&mut self, config: &Config) -> Result<usize> {
        let mut opts = GroupOptions::with_gap_minutes(config.sessions.gap_minutes);
        opts.host_ips = config.sessions.host_ips.clone().into_iter().collect();
        let mut prepared = Prepared::default();
        self.index.for_each_meta(PREPASS_CHUNK, |chunk| {
            chunk.iter().for_each(|m| prepared.observe(m));
            Ok::<_, anyhow::Error>(())
        })?;
        // Hits through a second connection: this one holds the transaction that replaces the
        // sessions, and readers see the old set until it commits.
        let hits = Store::open_data_dir(&self.data_dir)?;
        let mut stream = Sessionizer::new(prepared, &opts);
        let (index, name) = (&self.index, self.name.as_str());
        let mut count = 0;
        self.store.replace_sessions_with(name, |sink| {
            index.for_each_meta_by_time(WINDOW, |window| {
                let mut events = window.into_iter();
                loop {
                    let step: Vec<_> = events.by_ref().take(STEP).collect();
                    if step.is_empty() {
                        break;
                    }
                    stream.push(step);
                    count += write_ready(&mut stream, &hits, name, sink)?;
                }
                Ok::<_, anyhow::Error>(())
            })?;
            stream.finish();
            count += write_ready(&mut stream, &hits, name, sink)?;
            for (id, other) in stream.late_links() {
                sink.link(&id, &other)?;
            }
            // Team mode: another analyst's ingest may have added files to the case while these
            // were built; from an index without them they would replace the whole case's
            // sessions. Checked as the last step before the commit (the rebuild holds the
            // case's session lock on PostgreSQL, so that analyst's rebuild comes after).
            let lacking = files_not_held(&hits, index.as_ref(), name)?;
            if !lacking.is_empty() {
                return Err(Superseded(lacking).into());
            }
            Ok::<_, anyhow::Error>(())
        })?;
        Ok(count)
    }
}

/// Sessions not written: files of the case this index lacks were added while they were built.
#[derive(Debug, thiserror::Error)]
#[error(
    "sessions not rebuilt here: while they were built another analyst's ingest added {} file(s) \
     this index lacks ({}); the rebuild at the end of that ingest, or of one here that reads \
     them, covers the whole case",
    .0.len(),
    super::some_files(&.0)
)]
struct Superseded(Vec<String>);

/// Describes what the stream has final, with its rule hits, and writes the sessions done;
/// returns how many.
fn write_ready(
    stream: &mut Sessionizer,
    hits: &Store,
    case: &str,
    sink: &mut dyn SessionSink,
) -> Result<usize> {
    let keys = stream.foldable();
    let hits = hits.hits_on_keys(case, &keys)?;
    let done = stream.fold(&hits);
    for (s, members) in &done {
        sink.put(s, members)?;
    }
    Ok(done.len())
}
