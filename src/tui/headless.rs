//! The workbench without a terminal, for the frame benchmark (`lookout bench tui`): the real
//! update, views, loop and workers drawing on ratatui's `TestBackend`, with scripted key
//! presses timed from sending to the frame that shows them.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::app::App;
use super::backend::{AssessBackend, AssessSink};
use super::fake::FakeTechniques;
use super::keymap::Keymap;
use super::msg::{Loaded, Msg};
use super::theme::Theme;
use super::update::update;
use super::{runtime, views, workers};
use crate::config::Config;

pub struct Headless {
    app: App,
    terminal: Terminal<TestBackend>,
}

/// Where the workers of a scripted run open the case, and with which assessment backend.
pub struct HeadlessCase {
    pub data_dir: PathBuf,
    pub case: String,
    pub config: Config,
    pub backend: Arc<dyn AssessBackend>,
}

/// What a scripted run measured.
#[derive(Debug, Clone, Default)]
pub struct KeyTimes {
    /// Per key handled, in the order sent: from sending it to the first frame drawn after.
    pub latencies: Vec<Duration>,
    pub frames: u64,
}

impl Headless {
    /// The sessions screen on `loaded`, built as start-up builds it (ATT&CK names faked).
    pub fn new(case: &str, loaded: Loaded, size: (u16, u16)) -> anyhow::Result<Headless> {
        let mut app = App::new(case, Theme::builtin_dark(), Keymap::builtin());
        app.lookup = Arc::new(FakeTechniques);
        app.size = size;
        let _ = update(&mut app, Msg::SessionsLoaded(Ok(loaded)));
        let terminal = Terminal::new(TestBackend::new(size.0, size.1))?;
        Ok(Headless { app, terminal })
    }

    /// Sessions in the table.
    pub fn sessions(&self) -> usize {
        self.app.sessions.all.len()
    }

    /// Draws one full frame.
    pub fn draw(&mut self) -> anyhow::Result<()> {
        self.terminal.draw(|f| views::draw(f, &self.app))?;
        Ok(())
    }

    /// The last frame drawn, as the text of its cells, row by row: what reaches the terminal,
    /// less the styles (for checks that log text arrives there inert).
    pub fn screen(&self) -> String {
        let buf = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buf.area.height {
            for x in 0..buf.area.width {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// Runs the real loop and workers on `case` while `keys` are pressed: the first at once,
    /// each other one `interval` after the previous, then quits four intervals after the last.
    pub fn run_keys(
        &mut self,
        case: HeadlessCase,
        keys: Vec<char>,
        interval: Duration,
    ) -> anyhow::Result<KeyTimes> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sink_tx = tx.clone();
        case.backend.connect(AssessSink::from_fn(move |u| {
            sink_tx.send(Msg::Assess(u)).is_ok()
        }));
        let w = workers::Workers::spawn(
            case.data_dir,
            case.case,
            case.config,
            case.backend.clone(),
            tx.clone(),
        );
        let sent: Arc<Mutex<VecDeque<Instant>>> = Arc::default();
        let mut times = KeyTimes {
            latencies: Vec::with_capacity(keys.len()),
            frames: 0,
        };
        let mut measured = 0u64;
        let sent_in = sent.clone();
        let (app, terminal) = (&mut self.app, &mut self.terminal);
        let result: anyhow::Result<()> = rt.block_on(async {
            let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            let mut keys = keys.into_iter();
            if let Some(c) = keys.next() {
                let _ = tx.send(key(c));
                sent_in.lock().map(|mut s| s.push_back(Instant::now())).ok();
            }
            let injector = tx.clone();
            tokio::spawn(async move {
                for c in keys {
                    tokio::time::sleep(interval).await;
                    if let Ok(mut s) = sent_in.lock() {
                        s.push_back(Instant::now());
                    }
                    let _ = injector.send(key(c));
                }
                tokio::time::sleep(interval * 4).await;
                let _ = injector.send(Msg::Quit);
            });
            drop(tx);
            let mut on_frame = |info: runtime::FrameInfo| {
                times.frames = info.frames;
                if let Ok(mut s) = sent.lock() {
                    while measured < info.keys {
                        match s.pop_front() {
                            Some(t) => times
                                .latencies
                                .push(info.drawn_at.saturating_duration_since(t)),
                            None => break,
                        }
                        measured += 1;
                    }
                }
            };
            runtime::run_loop(
                terminal,
                app,
                &mut rx,
                &mut |c| w.dispatch(c),
                Some(&mut on_frame),
            )
            .await
        });
        rt.shutdown_background();
        result?;
        Ok(times)
    }
}
