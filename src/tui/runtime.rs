//! The UI loop: wait for a message, drain whatever else is pending, then draw at most once per
//! frame. Input, ticks and signals arrive as messages from small tasks; commands go to workers.

use std::time::{Duration, Instant};

use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

use super::app::App;
use super::msg::{Command, Msg};
use super::update::update;
use super::views;

/// The shortest time between two frames (~60 fps): bursts of messages (streamed tokens, key
/// repeat) cost one frame, not one each.
pub const FRAME: Duration = Duration::from_millis(16);
pub const TICK: Duration = Duration::from_millis(250);

/// What the loop reports after each frame (benchmarks measure latency with it).
#[derive(Debug, Clone, Copy)]
pub struct FrameInfo {
    pub drawn_at: Instant,
    /// Key messages handled so far, in total.
    pub keys: u64,
    pub frames: u64,
}

/// Runs until the app quits or every sender is gone.
pub async fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    rx: &mut UnboundedReceiver<Msg>,
    dispatch: &mut dyn FnMut(Command),
    mut on_frame: Option<&mut dyn FnMut(FrameInfo)>,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    let mut keys = 0u64;
    let mut frames = 0u64;
    let mut last_draw: Option<Instant> = None;
    let mut dirty = true;
    loop {
        if dirty {
            if let Some(wait) =
                last_draw.map(|t| (t + FRAME).saturating_duration_since(Instant::now()))
                && !wait.is_zero()
            {
                tokio::time::sleep(wait).await;
            }
            drain(app, rx, dispatch, &mut keys);
            terminal.draw(|f| views::draw(f, app))?;
            let now = Instant::now();
            last_draw = Some(now);
            frames += 1;
            dirty = false;
            if let Some(cb) = on_frame.as_mut() {
                cb(FrameInfo {
                    drawn_at: now,
                    keys,
                    frames,
                });
            }
        }
        if app.quit {
            return Ok(());
        }
        let Some(msg) = rx.recv().await else {
            return Ok(());
        };
        dirty |= handle(app, msg, dispatch, &mut keys);
        dirty |= drain(app, rx, dispatch, &mut keys);
        if app.quit {
            return Ok(());
        }
    }
}

/// Handles one message; returns whether the screen may have changed.
fn handle(app: &mut App, msg: Msg, dispatch: &mut dyn FnMut(Command), keys: &mut u64) -> bool {
    let changed = match &msg {
        Msg::Tick(p) => *p != app.progress,
        Msg::Key(_) => {
            *keys += 1;
            true
        }
        _ => true,
    };
    for c in update(app, msg) {
        dispatch(c);
    }
    changed
}

fn drain(
    app: &mut App,
    rx: &mut UnboundedReceiver<Msg>,
    dispatch: &mut dyn FnMut(Command),
    keys: &mut u64,
) -> bool {
    let mut dirty = false;
    while !app.quit {
        match rx.try_recv() {
            Ok(m) => dirty |= handle(app, m, dispatch, keys),
            Err(_) => break,
        }
    }
    dirty
}

/// Terminal input as messages, until the loop is gone.
pub fn spawn_input(tx: UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let mut events = crossterm::event::EventStream::new();
        while let Some(ev) = events.next().await {
            let msg = match ev {
                Ok(crossterm::event::Event::Key(k)) => Msg::Key(k),
                Ok(crossterm::event::Event::Mouse(m)) => Msg::Mouse(m),
                Ok(crossterm::event::Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                // The terminal is gone (closed, hung up): quit cleanly.
                Err(_) => Msg::Quit,
            };
            if tx.send(msg).is_err() {
                return;
            }
        }
    });
}

/// Progress counters, read from the shared atomics on each tick.
pub fn spawn_ticks(
    tx: UnboundedSender<Msg>,
    read: impl Fn() -> super::backend::ProgressSnapshot + Send + 'static,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(TICK);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            every.tick().await;
            if tx.send(Msg::Tick(read())).is_err() {
                return;
            }
        }
    });
}

/// SIGTERM and SIGHUP quit like `q` (the terminal is restored on the way out).
pub fn spawn_signals(tx: UnboundedSender<Msg>) {
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        let _ = tx.send(Msg::Quit);
    });
    #[cfg(not(unix))]
    let _ = tx;
}
