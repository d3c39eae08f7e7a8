//! Every tab drawn from hand-made results, fed through `App::update` as the worker's
//! events would be: 600 generated records, a 10-tree forest fitted on their normal
//! rows and hand-made autoencoder errors. Nothing is trained by a worker and no
//! autoencoder at all, so these run in a fraction of a second; `tui_render.rs` keeps
//! the end-to-end renders from a real training.

mod common;

use std::sync::Arc;

use insta::assert_snapshot;
use netanomaly::data::demo::{SynthConfig, generate};
use netanomaly::data::{Dataset, ReadOptions, read_path};
use netanomaly::detect::autoencoder::{Backend, StopReason, TrainEvent};
use netanomaly::detect::fusion::FusedDetector;
use netanomaly::detect::iforest::{IsolationForest, IsolationForestConfig, MaxSamples};
use netanomaly::detect::{Detector, DetectorKind};
use netanomaly::eval::metrics::SortedScores;
use netanomaly::eval::threshold::ScoreDistribution;
use netanomaly::features::{Encoder, EncoderConfig};
use netanomaly::model::pipeline::Protocol;
use netanomaly::model::store::ScoreSummary;
use netanomaly::tui::app::{App, Msg};
use netanomaly::tui::tabs::Tab;
use netanomaly::worker::{
    Command, Curves, DetectorResult, Event, ReferenceScores, Settings, TestSet,
};

use common::dashboard::{key, render};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const ROWS: usize = 600;

/// The test set: every other row of `data` (the rest are "training" rows).
fn test_set(data: Dataset) -> (Arc<TestSet>, IsolationForest, Vec<f64>) {
    let n = data.len();
    let train: Vec<usize> = (0..n)
        .step_by(2)
        .filter(|&r| data.is_attack(r) == Some(false))
        .collect();
    let rows: Vec<usize> = (1..n).step_by(2).collect();
    let encoder = Encoder::fit(&data, &train, &EncoderConfig::default()).unwrap();
    let (train_matrix, _) = encoder.transform(&data, &train);
    let (matrix, _) = encoder.transform(&data, &rows);
    let forest = IsolationForest::fit(
        &train_matrix,
        &IsolationForestConfig {
            n_estimators: 10,
            max_samples: MaxSamples::Count(64),
            seed: 5,
        },
    )
    .unwrap();
    let train_scores = forest.score(&train_matrix);
    let truth: Vec<bool> = rows.iter().map(|&r| data.is_attack(r).unwrap()).collect();
    let test = TestSet {
        source: "hand-made".into(),
        synthetic: true,
        protocol: Protocol::Profile,
        fitted_on: serde_json::json!({ "rows": train.len() }),
        source_rows: n,
        families: data.family_counts(),
        train_rows: train.len(),
        calibration_rows: 0,
        data: Arc::new(data),
        rows,
        truth: Some(truth),
        encoder: Arc::new(encoder),
        matrix,
    };
    (Arc::new(test), forest, train_scores)
}

/// A result as the worker builds it, from given scores.
fn result(
    kind: DetectorKind,
    detector: Arc<Detector>,
    training: &[f64],
    test_scores: Vec<f64>,
    truth: &[bool],
) -> Arc<DetectorResult> {
    let sorted_test = SortedScores::new(&test_scores, Some(truth)).ok();
    let curves = sorted_test
        .as_ref()
        .map(|s| Curves {
            roc: s.roc_curve_points(400),
            pr: s.pr_curve_points(400),
            roc_auc: s.roc_auc(),
            average_precision: s.average_precision(),
        })
        .unwrap_or_default();
    Arc::new(DetectorResult {
        kind,
        detector,
        // Thresholds on the training scores, as for a split too small to calibrate.
        reference: ReferenceScores {
            distribution: ScoreDistribution::new(training).unwrap(),
            on_normals: false,
            training: ScoreSummary::of(training),
            calibration: None,
        },
        test_scores,
        sorted_test,
        curves,
        fit_seconds: 0.25,
    })
}

/// Reconstruction errors that mostly rank attacks high: a fixed function of the row,
/// larger for attacks, with some overlap.
fn autoencoder_errors(test: &TestSet) -> (Vec<f64>, Vec<f64>) {
    let error = |i: usize, attack: bool| {
        let wobble = ((i * 37) % 100) as f64 / 100.0;
        if attack {
            0.02 + 0.3 * wobble
        } else {
            0.001 + 0.04 * wobble * wobble
        }
    };
    let truth = test.truth.as_ref().unwrap();
    let test_scores = truth
        .iter()
        .enumerate()
        .map(|(i, &a)| error(i, a))
        .collect();
    let training = (0..150).map(|i| error(i * 7 + 3, false)).collect();
    (training, test_scores)
}

/// 600 generated records.
fn demo() -> Dataset {
    generate(&SynthConfig {
        rows: ROWS,
        seed: 11,
        attack_fraction: 0.2,
    })
}

/// The app after the detectors "trained" on the generated records.
fn trained_app() -> App {
    trained_app_of(demo())
}

/// The app after the detectors "trained" on `data`: every event the worker sends on
/// the way.
/// A dashboard whose forest is trained on `data` and whose autoencoder has just
/// started: the app, its test set and the forest.
fn forest_ready_app(data: Dataset) -> (App, Arc<TestSet>, Arc<Detector>) {
    let mut app = App::new("hand-made demo traffic".into(), true, Settings::default());
    assert!(matches!(app.take_commands()[..], [Command::Train(_)]));
    app.size = (120, 36);
    let (test, forest, forest_training) = test_set(data);
    let truth = test.truth.clone().unwrap();
    let forest_scores = forest.score(&test.matrix);
    let forest = Arc::new(Detector::Forest(forest));
    app.update(Msg::Worker(Event::DataReady(Arc::clone(&test))));
    app.update(Msg::Worker(Event::Training(DetectorKind::Iforest)));
    app.update(Msg::Worker(Event::DetectorReady(result(
        DetectorKind::Iforest,
        Arc::clone(&forest),
        &forest_training,
        forest_scores,
        &truth,
    ))));
    app.update(Msg::Worker(Event::Training(DetectorKind::Autoencoder)));
    (app, test, forest)
}

fn trained_app_of(data: Dataset) -> App {
    let (mut app, test, forest) = forest_ready_app(data);
    let truth = test.truth.clone().unwrap();
    let (ae_training, ae_scores) = autoencoder_errors(&test);
    for event in training_events(4) {
        app.update(Msg::Worker(Event::Autoencoder(event)));
    }
    // The panels never consult the autoencoder's network: the forest stands in for
    // it (its why-features are then empty, as for a failed explanation).
    app.update(Msg::Worker(Event::DetectorReady(result(
        DetectorKind::Autoencoder,
        Arc::clone(&forest),
        &ae_training,
        ae_scores,
        &truth,
    ))));
    // A fused detector whose parts are both the forest (the stand-in has no scores of
    // its own to fuse), calibrated on the forest's training scores: its scores are
    // then what scoring its parts gives, as the detail popup does.
    let forest_scores = app.iforest.result.as_ref().unwrap().test_scores.clone();
    let forest_training = forest_training_scores(&app);
    let fused = FusedDetector::new([
        (Arc::clone(&forest), forest_training.as_slice()),
        (Arc::clone(&forest), forest_training.as_slice()),
    ])
    .unwrap();
    let fused_training = fused.fuse_scores(&[&forest_training, &forest_training]);
    let fused_scores = fused.fuse_scores(&[&forest_scores, &forest_scores]);
    app.update(Msg::Worker(Event::Training(DetectorKind::Fused)));
    app.update(Msg::Worker(Event::DetectorReady(result(
        DetectorKind::Fused,
        Arc::new(Detector::Fused(fused)),
        &fused_training,
        fused_scores,
        &truth,
    ))));
    app.update(Msg::Worker(Event::Done { seconds: 1.5 }));
    pin_machine(&mut app);
    app.status = "the detectors trained".into();
    app
}

/// The forest's training scores as its panel keeps them (the quantiles of its summary).
fn forest_training_scores(app: &App) -> Vec<f64> {
    app.iforest
        .result
        .as_ref()
        .unwrap()
        .reference
        .training
        .quantiles
        .clone()
}

/// The backend depends on the build's features; the snapshots should not.
fn pin_machine(app: &mut App) {
    app.progress.backend = "flex".into();
}

/// What a training of `epochs` epochs reports, with 3 batches an epoch.
fn training_events(epochs: usize) -> Vec<TrainEvent> {
    let mut events = vec![TrainEvent::Started {
        rows: 120,
        epochs: 4,
        batches_per_epoch: 3,
        backend: Backend::preferred(),
        parameters: 1234,
        validation_rows: 30,
    }];
    for epoch in 1..=epochs {
        for batch in 1..=3 {
            events.push(TrainEvent::Batch {
                epoch,
                batch,
                running_loss: 0.5 / (epoch * batch) as f64,
                rows_per_second: 1000.0,
            });
        }
        events.push(TrainEvent::Epoch {
            epoch,
            train_loss: 0.4 / epoch as f64,
            validation_loss: Some(0.45 / epoch as f64),
            epoch_seconds: 0.1,
            elapsed_seconds: 0.1 * epoch as f64,
            rows_per_second: 1000.0,
            best_epoch: epoch,
        });
    }
    if epochs == 4 {
        events.push(TrainEvent::Finished {
            epochs_run: 4,
            best_epoch: Some(4),
            final_train_loss: Some(0.1),
            final_validation_loss: Some(0.1125),
            stop: StopReason::Completed,
            seconds: 0.4,
        });
    }
    events
}

#[test]
fn every_tab_renders_hand_made_results() {
    let mut app = trained_app();
    for (i, tab) in Tab::ALL.iter().enumerate() {
        key(&mut app, KeyCode::Char(char::from(b'1' + i as u8)));
        assert_eq!(app.tab, *tab);
        if *tab == Tab::Flagged {
            // Sorted by the forest, the rows both flag show the forest's why-features
            // (the stand-in autoencoder has none).
            key(&mut app, KeyCode::Char('o'));
        }
        assert_snapshot!(format!("hand_made_tab_{}", i + 1), render(&app, 120, 36));
    }
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Enter);
    let detail = render(&app, 100, 30);
    assert!(detail.contains("Isolation Forest score"), "{detail}");
    assert_snapshot!("hand_made_flagged_detail", detail);
}

#[test]
fn the_flagged_detail_names_a_zeek_connection_by_uid() {
    let Some(path) = common::real_data("zeek/strato010_normal42.conn.log.labeled") else {
        return;
    };
    let (data, _) = read_path(&path, &ReadOptions::default()).unwrap();
    let uids: Vec<String> = (0..data.len())
        .map(|r| format!("uid {} · ", data.conn(r).unwrap().uid.as_deref().unwrap()))
        .collect();
    let mut app = trained_app_of(data);
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Enter);
    let detail = render(&app, 150, 40);
    let shown: Vec<&String> = uids
        .iter()
        .filter(|u| detail.contains(u.as_str()))
        .collect();
    assert_eq!(shown.len(), 1, "{detail}");
    assert!(
        detail.contains(" → 147.32.83.234:") && detail.contains("ts 1655"),
        "{detail}"
    );
}

#[test]
fn the_autoencoder_tab_follows_a_training_in_progress() {
    let mut app = App::new("hand-made demo traffic".into(), true, Settings::default());
    app.take_commands();
    let (test, _, _) = test_set(demo());
    app.update(Msg::Worker(Event::DataReady(test)));
    app.update(Msg::Worker(Event::Training(DetectorKind::Autoencoder)));
    for event in training_events(2) {
        app.update(Msg::Worker(Event::Autoencoder(event)));
    }
    pin_machine(&mut app);
    app.status = "training".into();
    key(&mut app, KeyCode::Char('3'));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("training: epoch 3/4"), "{screen}");
    assert_snapshot!("hand_made_autoencoder_training", screen);
    // Paused, the curves stay as they were while training goes on.
    key(&mut app, KeyCode::Char('p'));
    app.update(Msg::Worker(Event::Autoencoder(TrainEvent::Epoch {
        epoch: 3,
        train_loss: 1e-4,
        validation_loss: Some(1e-4),
        epoch_seconds: 0.1,
        elapsed_seconds: 0.3,
        rows_per_second: 1000.0,
        best_epoch: 3,
    })));
    assert_eq!(app.shown_progress().epoch_losses.len(), 2);
    assert_eq!(app.progress.epoch_losses.len(), 3);
}

#[test]
fn sliders_move_thresholds_and_metrics_without_retraining() {
    let mut app = trained_app();
    key(&mut app, KeyCode::Char('2'));
    let before = (app.iforest.threshold.unwrap(), app.iforest.flagged);
    // → flags more rows, ← fewer; nothing is sent to the worker.
    for _ in 0..10 {
        key(&mut app, KeyCode::Right);
    }
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

    // The autoencoder's modes: each keeps a sensible threshold; → never flags fewer.
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

/// Switching modes keeps the threshold where the new mode can hold it, and says so
/// when it cannot (a manual threshold below the training mean has no k ≥ 0).
#[test]
fn a_mode_switch_keeps_the_threshold_or_says_why_not() {
    let mut app = trained_app();
    key(&mut app, KeyCode::Char('3'));
    // percentile → contamination → manual: each keeps the threshold.
    let start = app.autoencoder.threshold.unwrap().value;
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(app.autoencoder.mode.name(), "manual");
    let manual = app.autoencoder.threshold.unwrap().value;
    assert!((manual / start - 1.0).abs() < 0.05, "{start} → {manual}");
    // A manual threshold above the mean comes back as its k.
    let status = app.status.clone();
    key(&mut app, KeyCode::Char('m'));
    let kept = app.autoencoder.threshold.unwrap().value;
    assert!((kept / manual - 1.0).abs() < 0.05, "{manual} → {kept}");
    assert_eq!(
        app.status, status,
        "nothing to say when the threshold is kept"
    );
    // The lowest manual threshold is below the mean: mean+kσ says it cannot keep it.
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('m'));
    }
    assert_eq!(app.autoencoder.mode.name(), "manual");
    for _ in 0..30 {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Right, KeyModifiers::SHIFT)));
    }
    key(&mut app, KeyCode::Char('m'));
    assert_eq!(app.autoencoder.mode.name(), "mean+kσ");
    assert!(
        app.status.contains("cannot be kept in mean+kσ mode"),
        "{}",
        app.status
    );
}

/// Popups are modal: Esc and q close them instead of quitting (Ctrl-C still quits),
/// and the help swallows the keys of the screen behind it.
#[test]
fn esc_and_q_close_popups_and_the_help_is_modal() {
    let mut app = trained_app();
    key(&mut app, KeyCode::Char('2'));
    let threshold = app.iforest.threshold.unwrap().value;
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Char('6'));
    assert!(
        app.help,
        "an unbound key or a bound one leaves the help open"
    );
    assert_eq!(app.iforest.threshold.unwrap().value, threshold);
    assert_eq!(app.tab, Tab::Iforest);
    key(&mut app, KeyCode::Esc);
    assert!(!app.help && !app.quit);
    key(&mut app, KeyCode::Char('?'));
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.help && !app.quit);
    // The record detail.
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Enter);
    assert!(app.flagged.detail);
    key(&mut app, KeyCode::Esc);
    assert!(!app.flagged.detail && !app.quit);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('q'));
    assert!(!app.flagged.detail && !app.quit);
    // Outside a popup, q quits; in one, Ctrl-C does.
    key(&mut app, KeyCode::Char('?'));
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.quit);
    let mut app = trained_app();
    // c with nothing training says so instead of doing nothing silently.
    key(&mut app, KeyCode::Char('c'));
    assert!(app.status.contains("nothing is training"), "{}", app.status);
    assert!(app.take_commands().is_empty());
    // A filter no row passes says so and how to change it.
    key(&mut app, KeyCode::Char('6'));
    let mut empty = None;
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('f'));
        if app.flagged.rows.is_empty() {
            empty = Some(render(&app, 120, 36));
        }
    }
    if let Some(screen) = empty {
        assert!(
            screen.contains("No row is flagged under this filter"),
            "{screen}"
        );
    }
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn flagged_rows_filter_sort_and_export() {
    let mut app = trained_app();
    let dir = tempfile::tempdir().unwrap();
    app.out_dir = dir.path().to_path_buf();
    key(&mut app, KeyCode::Char('6'));
    let either = app.flagged.rows.len();
    assert!(either > 2, "{either}");
    // Sorted by the autoencoder's score, highest first; o cycles the sort: the fused
    // score, then the forest's.
    let sorted_by = |app: &App, kind: DetectorKind| {
        let scores = &app.panel(kind).result.as_ref().unwrap().test_scores;
        app.flagged
            .rows
            .windows(2)
            .all(|w| scores[w[0]] >= scores[w[1]])
    };
    assert!(sorted_by(&app, DetectorKind::Autoencoder));
    key(&mut app, KeyCode::Char('o'));
    assert!(sorted_by(&app, DetectorKind::Fused));
    key(&mut app, KeyCode::Char('o'));
    assert!(sorted_by(&app, DetectorKind::Iforest));
    // The forest's why-features are there for the rows around the selection.
    let first = app.flagged.rows[0];
    if app.iforest.is_flagged(first) == Some(true) {
        assert!(
            !app.flagged
                .why
                .get(DetectorKind::Iforest, first)
                .unwrap()
                .is_empty()
        );
    }
    key(&mut app, KeyCode::Char('f'));
    let both = app.flagged.rows.len();
    assert!(both <= either);
    for &i in &app.flagged.rows {
        assert_eq!(app.iforest.is_flagged(i), Some(true));
        assert_eq!(app.autoencoder.is_flagged(i), Some(true));
    }
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.flagged.selected, 2.min(both.saturating_sub(1)));
    key(&mut app, KeyCode::End);
    assert_eq!(app.flagged.selected, both.saturating_sub(1));
    // The last filter lists what the fused detector flags, whatever the others do.
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('f'));
    }
    assert_eq!(app.flagged.filter.name(), "fused flags");
    let fused = app.fused.flagged;
    assert!(fused > 0);
    assert_eq!(app.flagged.rows.len(), fused);
    // Each row's why comes from a detector that flags it: the fused detector's own for a
    // row neither part flags.
    let mut fused_only = 0;
    for &i in &app.flagged.rows {
        let kind = app.flagged.why_detector(i, app.panels());
        assert_eq!(app.panel(kind).is_flagged(i), Some(true), "{i}: {kind:?}");
        fused_only += usize::from(kind == DetectorKind::Fused);
    }
    eprintln!("{fused_only} of {fused} rows explained by the fused detector");
    for _ in 0..2 {
        key(&mut app, KeyCode::Char('f'));
    }
    assert_eq!(app.flagged.filter.name(), "forest and autoencoder");

    key(&mut app, KeyCode::Char('e'));
    let commands = app.take_commands();
    let Some(Command::Export { path, rows, .. }) = commands.first() else {
        panic!("{commands:?}");
    };
    assert_eq!(rows.len(), both);
    assert!(
        rows.windows(2).all(|w| w[0] < w[1]),
        "exported in file order"
    );
    assert!(path.starts_with(dir.path()));
    assert!(path.to_string_lossy().ends_with(".csv"));
    key(&mut app, KeyCode::Char('s'));
    assert!(matches!(
        app.take_commands().first(),
        Some(Command::Save { .. })
    ));
}

/// `s` while the autoencoder still trains saves the forest alone, and says so.
#[test]
fn saving_mid_training_says_the_bundle_holds_the_forest_only() {
    let (mut app, _, _) = forest_ready_app(demo());
    key(&mut app, KeyCode::Char('s'));
    assert!(matches!(
        app.take_commands().first(),
        Some(Command::Save { .. })
    ));
    assert!(
        app.status.contains("the Isolation Forest only"),
        "{}",
        app.status
    );
    app.update(Msg::Worker(Event::Saved { path: "m".into() }));
    assert!(
        app.status
            .contains("saved the model bundle m with the Isolation Forest only"),
        "{}",
        app.status
    );
}

#[test]
fn a_key_press_only_asks_for_explanations_and_a_retraining_drops_late_answers() {
    let mut app = trained_app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('6'),
        KeyModifiers::NONE,
    )));
    let first = app.flagged.rows[0];
    // Asked for, not computed: nothing is known until the answers arrive.
    assert!(app.flagged.why.get(DetectorKind::Iforest, first).is_none());
    let requests = app.take_explain_requests();
    assert!(!requests.is_empty());
    // Nothing is asked twice.
    app.update(Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    app.update(Msg::Key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE)));
    assert!(app.take_explain_requests().is_empty());
    let answers: Vec<_> = requests.into_iter().map(|r| r.explain()).collect();
    // Retrained meanwhile: the answers are for models that are gone.
    key(&mut app, KeyCode::Char('r'));
    for answer in answers {
        app.update(Msg::Explained(answer));
    }
    assert!(app.flagged.why.get(DetectorKind::Iforest, first).is_none());
}

#[test]
fn the_explanation_thread_answers_what_is_asked() {
    let mut app = trained_app();
    key(&mut app, KeyCode::Char('6'));
    let expected = app.flagged.why.clone();
    let mut app = trained_app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('6'),
        KeyModifiers::NONE,
    )));
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = netanomaly::tui::explanations::spawn(move |a| tx.send(a).is_ok()).unwrap();
    let requests = app.take_explain_requests();
    let n = requests.len();
    for request in requests {
        thread.send(request).unwrap();
    }
    for _ in 0..n {
        let answer = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
        app.update(Msg::Explained(answer));
    }
    for &i in &app.flagged.rows[..app.flagged.rows.len().min(60)] {
        assert_eq!(
            app.flagged.why.get(DetectorKind::Iforest, i),
            expected.get(DetectorKind::Iforest, i),
            "row {i}"
        );
    }
}

#[test]
fn a_failed_worker_shows_the_error_above_the_tab() {
    let mut app = App::new("hand-made demo traffic".into(), true, Settings::default());
    app.update(Msg::Worker(Event::Failed(
        "cannot read /data/kdd.csv: no such file".into(),
    )));
    let screen = render(&app, 100, 30);
    assert!(screen.contains("cannot read /data/kdd.csv"), "{screen}");
    assert_snapshot!("hand_made_error", screen);
}

/// At 80×24 and 100×30, every tab and popup shows only whole numbers: after any word,
/// the small screen shows a number the roomy screen shows after that word too.
#[test]
fn small_terminals_never_cut_a_number() {
    let mut app = trained_app();
    let mut cut = Vec::new();
    let mut check =
        |app: &mut App, what: &str| cut.extend(common::dashboard::cut_numbers(app, what));
    for (i, _) in Tab::ALL.iter().enumerate() {
        key(&mut app, KeyCode::Char(char::from(b'1' + i as u8)));
        check(&mut app, &format!("tab {}", i + 1));
    }
    key(&mut app, KeyCode::Char('6'));
    key(&mut app, KeyCode::Enter);
    check(&mut app, "flagged detail");
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('?'));
    check(&mut app, "help");
    assert!(
        cut.is_empty(),
        "{} cut numbers:\n{}",
        cut.len(),
        cut.join("\n")
    );
}

/// On a short terminal the help scrolls: its title says so, and ↓ brings its last
/// line into view.
#[test]
fn the_help_scrolls_on_a_short_terminal() {
    let mut app = trained_app();
    app.size = (80, 24);
    key(&mut app, KeyCode::Char('?'));
    let top = render(&app, 80, 24);
    assert!(top.contains("↑/↓ scroll"), "{top}");
    assert!(!top.contains("Esc or q closes this help"), "{top}");
    for _ in 0..3 {
        key(&mut app, KeyCode::PageDown);
    }
    let bottom = render(&app, 80, 24);
    assert!(bottom.contains("Esc or q closes this help"), "{bottom}");
    assert!(app.help, "scrolling keeps the help open");
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Esc);
    assert!(!app.help && app.help_scroll == 0);
    // Tall enough, nothing to scroll.
    app.size = (120, 60);
    key(&mut app, KeyCode::Char('?'));
    assert!(!render(&app, 120, 60).contains("↑/↓ scroll"));
}

/// A cancelled training keeps its last epoch's model; the Overview says it was
/// cancelled and how far it got, with the bar there, not a full one.
#[test]
fn a_cancelled_training_shows_how_far_it_got() {
    let (mut app, test, forest) = forest_ready_app(demo());
    let truth = test.truth.clone().unwrap();
    let (ae_training, ae_scores) = autoencoder_errors(&test);
    for event in training_events(2) {
        app.update(Msg::Worker(Event::Autoencoder(event)));
    }
    app.update(Msg::Worker(Event::Autoencoder(TrainEvent::Finished {
        epochs_run: 2,
        best_epoch: Some(2),
        final_train_loss: Some(0.2),
        final_validation_loss: Some(0.225),
        stop: StopReason::Cancelled,
        seconds: 0.2,
    })));
    app.update(Msg::Worker(Event::DetectorReady(result(
        DetectorKind::Autoencoder,
        forest,
        &ae_training,
        ae_scores,
        &truth,
    ))));
    key(&mut app, KeyCode::Char('1'));
    let screen = render(&app, 120, 36);
    assert!(screen.contains("cancelled at epoch 2 of 4"), "{screen}");
    let bar = screen
        .lines()
        .find(|l| l.contains("cancelled at epoch"))
        .unwrap();
    // Half the epochs: the bar ends about halfway, blank after it (a full bar would
    // run to the panel's edge).
    let inner: String = bar.split('│').nth(3).unwrap_or_default().to_owned();
    assert!(
        inner.starts_with('█') && inner.trim_end().len() < inner.len(),
        "{bar}"
    );
    assert!(!inner.ends_with('█'), "{bar}");
}
