//! The dashboard drawn on ratatui's TestBackend, from a real training run on generated
//! traffic: snapshots of every tab, and what keys do to the state.

mod common;

use std::time::Duration;

use insta::assert_snapshot;
use netanomaly::detect::autoencoder::AutoencoderConfig;
use netanomaly::tui::app::{App, Msg, Tab};
use netanomaly::tui::view;
use netanomaly::tui::widgets::Theme;
use netanomaly::worker::{Command, Event, Settings, Source, Worker};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::symbols::Marker;

const SOURCE: Source = Source::Demo {
    rows: 3000,
    seed: 7,
};

fn settings() -> Settings {
    Settings {
        autoencoder: AutoencoderConfig {
            epochs: 6,
            patience: None,
            ..AutoencoderConfig::default()
        },
        ..Settings::default()
    }
}

/// Runs the app against a real worker until both detectors are trained (or `stop`
/// says so), feeding every event through `update` as the dashboard does.
fn trained_app(stop: impl Fn(&Event) -> bool) -> App {
    let (worker, mut events) = Worker::start(SOURCE);
    let mut app = App::new(SOURCE.describe(), true, settings());
    app.size = (120, 36);
    for command in app.take_commands() {
        worker.send(command);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "training did not finish"
        );
        let Some(event) = events.blocking_recv() else {
            panic!("the worker stopped");
        };
        let done = stop(&event) || matches!(event, Event::Done { .. } | Event::Failed(_));
        app.update(Msg::Worker(event));
        if done {
            break;
        }
    }
    assert!(app.error.is_none(), "{:?}", app.error);
    app
}

/// Zeroes the wall-clock figures (fit time, rows/s, training time, status).
fn pin_timings(app: &mut App) {
    for panel in [&mut app.iforest, &mut app.autoencoder] {
        if let Some(result) = &panel.result {
            let mut pinned = result.as_ref().clone();
            pinned.fit_seconds = 0.0;
            panel.result = Some(std::sync::Arc::new(pinned));
        }
    }
    app.progress.rows_per_second = 0.0;
    if let Some((stop, _)) = app.progress.finished {
        app.progress.finished = Some((stop, 0.0));
    }
    app.status = "both detectors trained".into();
}

fn key(app: &mut App, code: KeyCode) {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn render(app: &App, width: u16, height: u16) -> String {
    let theme = Theme {
        color: false,
        marker: Marker::Dot,
    };
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app, theme)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut text = String::new();
    for y in 0..height {
        for x in 0..width {
            text.push_str(buffer[(x, y)].symbol());
        }
        text.push('\n');
    }
    text
}

#[test]
fn every_tab_renders_the_trained_state() {
    let mut app = trained_app(|_| false);
    // Timings and throughputs vary from run to run; pin them so nothing else may.
    pin_timings(&mut app);
    {
        for (i, tab) in Tab::ALL.iter().enumerate() {
            key(&mut app, KeyCode::Char(char::from(b'1' + i as u8)));
            assert_eq!(app.tab, *tab);
            let screen = render(&app, 120, 36);
            assert!(screen.contains("built-in demo traffic"), "{screen}");
            assert_snapshot!(format!("tab_{}", i + 1), screen);
            // The smallest supported terminal still shows every panel.
            let small = render(&app, 80, 24);
            assert!(!small.contains("too small"), "{small}");
            assert_snapshot!(format!("tab_{}_80x24", i + 1), small);
        }
        key(&mut app, KeyCode::Enter);
        assert_snapshot!("flagged_detail", render(&app, 120, 36));
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Char('?'));
        assert_snapshot!("help", render(&app, 120, 36));
    }
}

#[test]
fn the_first_frame_shows_the_loading_state_and_small_terminals_say_so() {
    let (_worker, _events) = Worker::start(SOURCE);
    let app = App::new(SOURCE.describe(), true, settings());
    let screen = render(&app, 100, 30);
    assert!(screen.contains("starting"), "{screen}");
    assert!(screen.contains("1 Overview"), "{screen}");
    let screen = render(&app, 79, 24);
    assert!(screen.contains("terminal too small: 79×24"), "{screen}");
}

#[test]
fn sliders_move_thresholds_and_metrics_without_retraining() {
    let mut app = trained_app(|_| false);
    key(&mut app, KeyCode::Char('2'));
    let before = (app.iforest.threshold.unwrap(), app.iforest.flagged);
    // → flags more rows, ← fewer; nothing is sent to the worker.
    key(&mut app, KeyCode::Right);
    let after = (app.iforest.threshold.unwrap(), app.iforest.flagged);
    assert!(after.0.value <= before.0.value);
    assert!(after.1 >= before.1);
    assert!(after.0.training_contamination > before.0.training_contamination);
    app.update(Msg::Key(KeyEvent::new(KeyCode::Left, KeyModifiers::SHIFT)));
    let coarse = app.iforest.threshold.unwrap();
    assert!(coarse.value > after.0.value);
    assert!(app.take_commands().is_empty());
    // The confusion matrix always covers every test row.
    let c = app.iforest.confusion.unwrap();
    assert_eq!(c.total() as usize, app.test.as_ref().unwrap().rows.len());
    assert_eq!((c.tp + c.fp) as usize, app.iforest.flagged);

    // The autoencoder's modes: each keeps a sensible threshold; mean+kσ moves with k.
    key(&mut app, KeyCode::Char('3'));
    let mut seen = Vec::new();
    for _ in 0..4 {
        key(&mut app, KeyCode::Char('m'));
        let t = app.autoencoder.threshold.unwrap();
        seen.push(app.autoencoder.mode.name());
        assert!(t.value.is_finite() && t.value > 0.0, "{t:?}");
        let flagged = app.autoencoder.flagged;
        key(&mut app, KeyCode::Right);
        assert!(
            app.autoencoder.flagged >= flagged,
            "{}",
            app.autoencoder.mode.name()
        );
    }
    assert_eq!(seen, ["contamination", "manual", "mean+kσ", "percentile"]);
}

#[test]
fn flagged_rows_filter_sort_export_and_save() {
    let mut app = trained_app(|_| false);
    let dir = tempfile::tempdir().unwrap();
    app.out_dir = dir.path().to_path_buf();
    key(&mut app, KeyCode::Char('5'));
    let either = app.flagged.rows.len();
    assert!(either > 0);
    // Sorted by the autoencoder's score, highest first.
    let scores = &app.autoencoder.result.as_ref().unwrap().test_scores;
    assert!(
        app.flagged
            .rows
            .windows(2)
            .all(|w| scores[w[0]] >= scores[w[1]])
    );
    key(&mut app, KeyCode::Char('f'));
    let both = app.flagged.rows.len();
    assert!(both <= either);
    for &i in &app.flagged.rows {
        assert_eq!(app.iforest.is_flagged(i), Some(true));
        assert_eq!(app.autoencoder.is_flagged(i), Some(true));
    }
    // Why-features are ready for the rows on screen.
    let first = app.flagged.rows[0];
    assert!(
        !app.flagged.why[&(netanomaly::eval::protocol::DetectorKind::Autoencoder, first)]
            .is_empty()
    );
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.flagged.selected, 2.min(both - 1));

    key(&mut app, KeyCode::Char('e'));
    let commands = app.take_commands();
    let Some(Command::Export { path, rows, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    assert_eq!(rows.len(), both);
    assert!(path.starts_with(dir.path()));
    assert!(path.to_string_lossy().ends_with(".csv"));
    key(&mut app, KeyCode::Char('s'));
    assert!(matches!(
        app.take_commands().first(),
        Some(Command::Save { .. })
    ));
}

#[test]
fn the_worker_exports_and_saves_what_the_screen_shows() {
    let (worker, mut events) = Worker::start(SOURCE);
    let mut app = App::new(SOURCE.describe(), true, settings());
    let dir = tempfile::tempdir().unwrap();
    app.out_dir = dir.path().to_path_buf();
    let mut pending = app.take_commands();
    let mut exported = None;
    let mut saved = None;
    while exported.is_none() || saved.is_none() {
        for c in pending.drain(..) {
            worker.send(c);
        }
        let event = events.blocking_recv().expect("worker alive");
        match &event {
            Event::Done { .. } => {
                key(&mut app, KeyCode::Char('5'));
                key(&mut app, KeyCode::Char('e'));
                key(&mut app, KeyCode::Char('s'));
            }
            Event::Exported { path, rows } => exported = Some((path.clone(), *rows)),
            Event::Saved { path } => saved = Some(path.clone()),
            Event::Failed(e) => panic!("{e}"),
            _ => {}
        }
        app.update(Msg::Worker(event));
        pending = app.take_commands();
    }
    let (path, rows) = exported.unwrap();
    assert_eq!(rows, app.flagged.rows.len());
    let (header, records) = common::read_csv(&path);
    assert_eq!(header[0], "row");
    assert!(header.contains(&"autoencoder_why".to_owned()));
    assert_eq!(records.len(), rows);
    assert!(
        app.status.contains("exported") || app.status.contains("saved"),
        "{}",
        app.status
    );
    // The saved bundle loads and carries the thresholds that were on screen.
    let bundle = netanomaly::model::ModelBundle::load(&saved.unwrap()).unwrap();
    let entry = &bundle.manifest.detectors["autoencoder"];
    assert_eq!(entry.threshold, app.autoencoder.threshold.unwrap());
    assert!(bundle.iforest.is_some() && bundle.autoencoder.is_some());
}

#[test]
fn a_worker_failure_is_an_error_panel_not_a_hang() {
    let source = Source::Files {
        train: "/definitely/not/here.csv".into(),
        test: None,
    };
    let (worker, mut events) = Worker::start(source.clone());
    let mut app = App::new(source.describe(), false, settings());
    for c in app.take_commands() {
        worker.send(c);
    }
    loop {
        let event = events.blocking_recv().expect("worker alive");
        let failed = matches!(event, Event::Failed(_));
        app.update(Msg::Worker(event));
        if failed {
            break;
        }
    }
    let screen = render(&app, 100, 30);
    assert!(screen.contains("Error"), "{screen}");
    assert!(screen.contains("/definitely/not/here.csv"), "{screen}");
    assert!(!app.training);
}

#[test]
fn a_saved_bundle_opens_without_training_and_keeps_its_thresholds() {
    use netanomaly::data::synth::{SynthConfig, generate};
    use netanomaly::detect::threshold::ThresholdRule;
    use netanomaly::model::train::{TrainConfig, train_bundle};

    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let data = generate(&SynthConfig {
        rows: 3000,
        seed: 7,
        attack_fraction: 0.2,
    });
    let config = TrainConfig {
        autoencoder: settings().autoencoder,
        autoencoder_threshold: Some(ThresholdRule::MeanStd { k: 2.0 }),
        ..TrainConfig::default()
    };
    let bundle = train_bundle(&data, &config).unwrap();
    bundle.save(&model, false).unwrap();
    let expected = netanomaly::model::scorer::score(&bundle, &data).unwrap();

    let (worker, mut events) = Worker::start(SOURCE);
    let mut app = App::new(
        SOURCE.describe(),
        true,
        Settings {
            bundle: Some(model.clone()),
            ..settings()
        },
    );
    for c in app.take_commands() {
        worker.send(c);
    }
    loop {
        let event = events.blocking_recv().expect("worker alive");
        assert!(
            !matches!(event, Event::Autoencoder(_)),
            "nothing is trained"
        );
        let done = matches!(event, Event::Done { .. } | Event::Failed(_));
        app.update(Msg::Worker(event));
        if done {
            break;
        }
    }
    assert!(app.error.is_none(), "{:?}", app.error);
    // Every generated row is scored, exactly as `score` does, at the saved thresholds.
    assert_eq!(app.test.as_ref().unwrap().rows.len(), 3000);
    for (panel, name) in [(&app.iforest, "iforest"), (&app.autoencoder, "autoencoder")] {
        let saved = bundle.manifest.detectors[name].threshold;
        assert_eq!(panel.threshold, Some(saved), "{name}");
        let scores = &panel.result.as_ref().unwrap().test_scores;
        assert_eq!(scores, &expected.detector(name).unwrap().scores, "{name}");
        assert_eq!(
            panel.flagged,
            expected.detector(name).unwrap().flagged_count(),
            "{name}"
        );
    }
    assert_eq!(app.autoencoder.mode.name(), "mean+kσ");
    let screen = render(&app, 120, 36);
    assert!(screen.contains("saved model"), "{screen}");
    // Moving the slider works from the saved position.
    key(&mut app, KeyCode::Char('3'));
    key(&mut app, KeyCode::Right);
    assert!(
        app.autoencoder.threshold.unwrap().value
            < bundle.manifest.detectors["autoencoder"].threshold.value
    );
}

#[test]
fn keys_switch_the_preset_and_the_protocol_and_retrain() {
    let mut app = App::new(SOURCE.describe(), true, settings());
    assert!(matches!(app.take_commands()[..], [Command::Train(_)]));
    key(&mut app, KeyCode::Char('a'));
    let commands = app.take_commands();
    let [Command::Train(s)] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(s.autoencoder.hidden, [14, 7, 7]);
    assert_eq!(s.autoencoder.batch_size, 32);
    assert!(render(&app, 140, 30).contains("autoencoder reference"));
    key(&mut app, KeyCode::Char('a'));
    let commands = app.take_commands();
    let [Command::Train(s)] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(s.autoencoder.hidden, [128, 32, 128]);
    key(&mut app, KeyCode::Char('t'));
    let commands = app.take_commands();
    let [Command::Train(s)] = &commands[..] else {
        panic!("{commands:?}");
    };
    assert_eq!(s.protocol.name(), "unsupervised");
}
