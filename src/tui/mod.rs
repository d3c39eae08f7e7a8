//! The dashboard: a ratatui + crossterm screen over the background [`Worker`].
//!
//! One loop `select!`s over terminal input, a frame tick and worker events; each
//! becomes a [`Msg`] for [`App::update`]; the screen is redrawn only when something
//! changed, at most ~30 times a second. Drawing ([`view::draw`]) only reads the state.
//! Why-features of the flagged rows are computed on a thread of their own
//! ([`explanations`]), whose answers come back through the same loop.

pub mod app;
pub mod detector_panel;
pub mod explanations;
pub mod flag_counts;
pub mod flagged_table;
pub mod histogram;
pub mod keymap;
pub mod live_monitor;
pub mod output_paths;
pub mod progress;
pub mod slider;
pub mod tabs;
pub mod view;
pub mod widgets;

use std::io::stdout;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use ratatui::crossterm::event::{self, DisableMouseCapture, EnableMouseCapture, Event as Input};
use ratatui::crossterm::execute;
use tokio::sync::mpsc::unbounded_channel;

use crate::worker::monitor_job::LiveConfig;
use crate::worker::{Settings, Source, Worker};
use app::{App, Msg};
use widgets::Theme;

/// Frames at most this often.
const FRAME: Duration = Duration::from_millis(33);

/// How the dashboard starts.
pub struct Options {
    pub source: Source,
    pub settings: Settings,
    pub ascii: bool,
    /// Where saves and exports go.
    pub out_dir: std::path::PathBuf,
    /// Monitor this input on the Live tab.
    pub live: Option<LiveConfig>,
}

/// Restores the terminal when dropped: on quit, on error and while unwinding a panic
/// (ratatui's own panic hook restores it before the message is printed).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture);
        // While unwinding a panic, ratatui's hook has already restored the terminal and
        // the panic message is on screen: leaving the alternate screen a second time
        // would move the cursor back above it and the shell would overwrite it.
        if !std::thread::panicking() {
            ratatui::restore();
        }
    }
}

/// Runs the dashboard until the user quits (or SIGTERM / SIGHUP arrive).
pub fn run(options: Options) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .wrap_err("cannot start the event loop")?;
    // SIGTERM and SIGHUP (`kill`, a closed terminal window) end the dashboard as `q`
    // does, through the restore below; a second one kills it outright, should the loop
    // ever be stuck.
    let terminate = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&terminate))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&terminate)))
            .wrap_err("cannot handle SIGTERM")?;
    }
    let mut terminal = ratatui::try_init().wrap_err("cannot open the terminal")?;
    let _guard = TerminalGuard;
    execute!(stdout(), EnableMouseCapture).wrap_err("cannot enable the mouse")?;
    let theme = Theme::from_env(options.ascii);
    let (worker, mut events) = Worker::start(options.source.clone());
    let mut app = match options.source {
        Source::LiveOnly => App::live_only(options.source.describe(), options.settings),
        _ => App::new(
            options.source.describe(),
            matches!(options.source, Source::Demo { .. }),
            options.settings,
        ),
    };
    app.out_dir = options.out_dir;
    if let Some(config) = options.live {
        app.start_live(config);
    }

    // The explanation thread answers into the loop, as the worker does.
    let (explained_tx, mut explained) = unbounded_channel();
    let explain = explanations::spawn(move |answer| explained_tx.send(answer).is_ok())
        .wrap_err("cannot start the explanation thread")?;

    // Terminal input is read on its own thread (crossterm's read blocks).
    let (input_tx, mut input) = unbounded_channel();
    std::thread::Builder::new()
        .name("input".into())
        .spawn(move || {
            while let Ok(e) = event::read() {
                if input_tx.send(e).is_err() {
                    break;
                }
            }
        })
        .wrap_err("cannot read the terminal")?;

    // Debug builds only: panic inside the UI loop after this many frames, so a test can
    // prove the terminal is restored after a panic.
    let panic_after: Option<u64> = if cfg!(debug_assertions) {
        std::env::var("NETANOMALY_TEST_PANIC_AFTER_FRAMES")
            .ok()
            .and_then(|v| v.parse().ok())
    } else {
        None
    };
    let mut frames = 0u64;

    runtime.block_on(async {
        let mut tick = tokio::time::interval(FRAME);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut last_frame: Option<Instant> = None;
        let mut worker_alive = true;
        loop {
            for command in app.take_commands() {
                worker.send(command);
            }
            for request in app.take_explain_requests() {
                // The thread only ends with this loop.
                let _ = explain.send(request);
            }
            if app.quit || terminate.load(Ordering::Relaxed) {
                break;
            }
            if app.dirty && last_frame.is_none_or(|t| t.elapsed() >= FRAME) {
                let size = terminal.size()?;
                app.size = (size.width, size.height);
                terminal.draw(|frame| view::draw(frame, &app, theme))?;
                app.dirty = false;
                last_frame = Some(Instant::now());
                frames += 1;
                if panic_after == Some(frames) {
                    panic!("test panic in the UI loop (NETANOMALY_TEST_PANIC_AFTER_FRAMES)");
                }
            }
            let msg = tokio::select! {
                Some(e) = input.recv() => match e {
                    Input::Key(key) if key.kind == event::KeyEventKind::Press => Msg::Key(key),
                    Input::Mouse(m) => Msg::Mouse(m),
                    Input::Resize(..) => Msg::Resize,
                    _ => continue,
                },
                // A closed channel is ready at once: poll it only while it is open.
                e = events.recv(), if worker_alive => match e {
                    Some(e) => Msg::Worker(e),
                    None => {
                        worker_alive = false;
                        Msg::WorkerGone
                    }
                },
                Some(answer) = explained.recv() => Msg::Explained(answer),
                _ = tick.tick() => Msg::Tick,
            };
            app.update(msg);
            // Take whatever else the worker and the explanation thread have queued
            // before drawing again.
            while let Ok(e) = events.try_recv() {
                app.update(Msg::Worker(e));
            }
            while let Ok(answer) = explained.try_recv() {
                app.update(Msg::Explained(answer));
            }
        }
        Ok::<(), color_eyre::Report>(())
    })?;
    Ok(())
}
