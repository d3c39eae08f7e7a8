//! Dashboard timings on the real KDD 10% file (issue 4's benchmark):
//!
//! 1. frame render time of every tab at 200×60 once both detectors are trained
//!    (ratatui's TestBackend: the cost of building the frame, not of the terminal);
//! 2. key → redraw latency while the autoencoder trains: a key message goes through
//!    `App::update` and a full frame is drawn, with the worker training on the other
//!    core(s) — what the UI loop does between reading a key and handing the frame to
//!    the terminal;
//! 3. the same latency on the trained Isolation Forest tab (slider keys) and on the
//!    flagged-rows tab (moving the selection, jumping, filtering).
//!
//!     cargo run --release --example dashboard_timings [-- PATH]

use std::time::{Duration, Instant};

use netanomaly::tui::app::{App, Msg};
use netanomaly::tui::explanations;
use netanomaly::tui::tabs::Tab;
use netanomaly::tui::view;
use netanomaly::tui::widgets::Theme;
use netanomaly::worker::{Event, Settings, Source, Worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const SIZE: (u16, u16) = (200, 60);

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(name: &str, mut ms: Vec<f64>) {
    ms.sort_by(f64::total_cmp);
    println!(
        "{name:<34} median {:>7.3} ms   p95 {:>7.3} ms   max {:>7.3} ms   (n = {})",
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[ms.len() - 1],
        ms.len()
    );
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| {
        let dir = std::env::var("NETANOMALY_DATA")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data").into());
        format!("{dir}/kddcup.data_10_percent.gz")
    });
    let source = Source::Files {
        train: vec![path.into()],
        test: Vec::new(),
    };
    let theme = Theme::from_env(false);
    let mut terminal = Terminal::new(TestBackend::new(SIZE.0, SIZE.1)).unwrap();
    let (worker, mut events) = Worker::start(source.clone());
    let mut app = App::new(source.describe(), false, Settings::default());
    app.size = SIZE;
    for c in app.take_commands() {
        worker.send(c);
    }
    // The explanation thread, as the dashboard runs it.
    let (explained_tx, explained) = std::sync::mpsc::channel();
    let explain = explanations::spawn(move |answer| explained_tx.send(answer).is_ok()).unwrap();

    // Key → redraw while the autoencoder trains: alternate slider moves on the forest
    // tab and tab switches, one every 20 ms, draining worker events in between.
    let keys = [
        KeyCode::Char('2'),
        KeyCode::Right,
        KeyCode::Left,
        KeyCode::Char('3'),
        KeyCode::Char('1'),
        KeyCode::Char('4'),
    ];
    let mut latencies = Vec::new();
    let mut ae_training = false;
    let mut done = false;
    let mut i = 0usize;
    while !done {
        while let Ok(e) = events.try_recv() {
            ae_training |= matches!(e, Event::Autoencoder(_));
            done |= matches!(e, Event::Done { .. } | Event::Failed(_));
            if let Event::Failed(m) = &e {
                eprintln!("worker failed: {m}");
                std::process::exit(1);
            }
            app.update(Msg::Worker(e));
        }
        if ae_training && !done {
            let started = Instant::now();
            let key = KeyEvent::new(keys[i % keys.len()], KeyModifiers::NONE);
            app.update(Msg::Key(key));
            terminal.draw(|f| view::draw(f, &app, theme)).unwrap();
            latencies.push(started.elapsed().as_secs_f64() * 1e3);
            i += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "KDD 10%: {} test rows; {} key presses while the autoencoder trained",
        app.test.as_ref().map_or(0, |t| t.rows.len()),
        latencies.len()
    );
    summary("key → redraw while training", latencies);

    // Render time per tab, trained state.
    for tab in Tab::ALL {
        while app.tab != tab {
            app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
        }
        let mut ms = Vec::new();
        for _ in 0..200 {
            let started = Instant::now();
            terminal.draw(|f| view::draw(f, &app, theme)).unwrap();
            ms.push(started.elapsed().as_secs_f64() * 1e3);
        }
        summary(&format!("render {} at 200×60", tab.title()), ms);
    }
    // A slider key on the forest tab (update + frame), trained state.
    while app.tab != Tab::Iforest {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    }
    let mut ms = Vec::new();
    for k in 0..200 {
        let code = if k % 2 == 0 {
            KeyCode::Right
        } else {
            KeyCode::Left
        };
        let started = Instant::now();
        app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        terminal.draw(|f| view::draw(f, &app, theme)).unwrap();
        ms.push(started.elapsed().as_secs_f64() * 1e3);
    }
    summary("slider key → redraw (trained)", ms);
    // Keys on the flagged-rows tab (update + frame), trained state, one every 20 ms as
    // a person types: ↓ and PgDn bring rows into view whose why-features were never
    // computed; End/Home jump to rows far apart; `f` re-filters and re-sorts every
    // flagged test row (the heaviest key).
    while app.tab != Tab::Flagged {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE)));
    }
    // Timed: the update, handing its explanation requests to the thread, and the
    // frame. The answers arrive in between, as the dashboard's loop takes them.
    let mut flagged_keys = |name: &str, codes: &[KeyCode], n: usize| {
        let mut ms = Vec::new();
        for k in 0..n {
            let key = KeyEvent::new(codes[k % codes.len()], KeyModifiers::NONE);
            let started = Instant::now();
            app.update(Msg::Key(key));
            for request in app.take_explain_requests() {
                explain.send(request).unwrap();
            }
            terminal.draw(|f| view::draw(f, &app, theme)).unwrap();
            ms.push(started.elapsed().as_secs_f64() * 1e3);
            std::thread::sleep(Duration::from_millis(20));
            while let Ok(answer) = explained.try_recv() {
                app.update(Msg::Explained(answer));
            }
            if app.dirty {
                terminal.draw(|f| view::draw(f, &app, theme)).unwrap();
                app.dirty = false;
            }
        }
        summary(name, ms);
    };
    flagged_keys("flagged tab: ↓ → redraw", &[KeyCode::Down], 200);
    flagged_keys("flagged tab: PgDn → redraw", &[KeyCode::PageDown], 60);
    flagged_keys(
        "flagged tab: End/Home → redraw",
        &[KeyCode::End, KeyCode::Home],
        40,
    );
    flagged_keys(
        "filter key → redraw (flagged tab)",
        &[KeyCode::Char('f')],
        40,
    );
}
