use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use burn::module::Param;
use burn::tensor::{Device, Gradients, Tensor, activation};
use rayon::prelude::*;

use super::forward::{LayerParameters, Weights};
use super::gradients::{loss_and_gradients, tensor};
use super::network::Network;
use super::training::SCORE_BATCH;
use super::*;
use crate::features::Matrix;

/// `rows × cols` data of rank `rank` plus a little noise: what an autoencoder with a
/// bottleneck of at least `rank` can learn to reconstruct. Columns have roughly unit
/// scale, like the encoder's output.
fn low_rank(rows: usize, cols: usize, rank: usize, seed: u64) -> Matrix {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = || -> f32 {
        // Irwin–Hall approximation of N(0, 1): good enough for test data.
        (0..12).map(|_| rng.random::<f32>()).sum::<f32>() - 6.0
    };
    let basis: Vec<f32> = (0..rank * cols)
        .map(|_| normal() / (rank as f32).sqrt())
        .collect();
    let mut data = Vec::with_capacity(rows * cols);
    for _ in 0..rows {
        let z: Vec<f32> = (0..rank).map(|_| normal()).collect();
        for c in 0..cols {
            let v: f32 = (0..rank).map(|k| z[k] * basis[k * cols + c]).sum();
            data.push(v + 0.05 * normal());
        }
    }
    Matrix::new(rows, cols, data)
}

/// [`low_rank`] data scaled by `factor`: values large enough that tanh saturates and
/// relu units die in places.
fn scaled_low_rank(rows: usize, cols: usize, rank: usize, seed: u64, factor: f32) -> Matrix {
    let x = low_rank(rows, cols, rank, seed);
    let scaled = x.as_slice().iter().map(|v| v * factor).collect();
    Matrix::new(x.rows(), x.cols(), scaled)
}

/// A small, quick configuration.
fn small_config() -> AutoencoderConfig {
    AutoencoderConfig {
        hidden: vec![16, 4, 16],
        hidden_activations: vec![Activation::Tanh, Activation::Relu, Activation::Tanh],
        output_activation: Activation::Linear,
        epochs: 3,
        batch_size: 32,
        learning_rate: 3e-3,
        validation_split: 0.1,
        patience: None,
        seed: 7,
        progress_every: 1,
    }
}

fn quiet() -> TrainObserver {
    TrainObserver::silent()
}

fn no_cancel() -> AtomicBool {
    AtomicBool::new(false)
}

fn train_small(x: &Matrix, config: &AutoencoderConfig) -> TrainedAutoencoder {
    match train(x, config, &quiet(), &no_cancel()) {
        Ok(m) => m,
        Err(e) => panic!("training failed: {e}"),
    }
}

#[test]
fn reference_preset_is_the_notebooks_14_7_7_network() {
    let config = AutoencoderConfig::preset(Preset::Reference);
    let arch = Architecture::new(40, &config).expect("valid architecture");
    assert_eq!(arch.layer_sizes(), vec![40, 14, 7, 7, 40]);
    assert_eq!(
        arch.activations(),
        vec![
            Activation::Tanh,
            Activation::Relu,
            Activation::Tanh,
            Activation::Relu
        ]
    );
    assert_eq!(config.batch_size, 32);
    assert_eq!(config.learning_rate, 1e-3);
    assert_eq!(
        arch.parameter_count(),
        40 * 14 + 14 + 14 * 7 + 7 + 7 * 7 + 7 + 7 * 40 + 40
    );
    // The default preset reconstructs standardised data: linear output.
    let default = AutoencoderConfig::default();
    assert_eq!(default.output_activation, Activation::Linear);
    assert!(default.patience.is_some());
    default.validate().expect("default preset is valid");
    config.validate().expect("reference preset is valid");
}

#[test]
fn config_and_events_serialise_as_documented() {
    let json = serde_json::to_string(&AutoencoderConfig::preset(Preset::Reference)).unwrap();
    assert!(
        json.contains(r#""hidden_activations":["tanh","relu","tanh"]"#),
        "{json}"
    );
    assert!(json.contains(r#""output_activation":"relu""#), "{json}");
    let back: AutoencoderConfig = serde_json::from_str(&json).unwrap();
    assert_eq!(back, AutoencoderConfig::preset(Preset::Reference));
    let event = TrainEvent::Finished {
        epochs_run: 2,
        best_epoch: Some(1),
        final_train_loss: Some(0.5),
        final_validation_loss: None,
        stop: StopReason::EarlyStopped,
        seconds: 1.0,
    };
    let json = serde_json::to_string(&event).unwrap();
    assert!(json.starts_with(r#"{"event":"finished""#), "{json}");
    assert!(json.contains(r#""stop":"early_stopped""#), "{json}");
    assert_eq!(serde_json::to_string(&Backend::Flex).unwrap(), r#""flex""#);
}

#[test]
fn training_loss_falls_on_structured_data() {
    let x = low_rank(2000, 12, 3, 1);
    let model = train_small(&x, &small_config());
    let h = model.history();
    assert_eq!(h.len(), 3);
    assert_eq!(model.epochs_run(), 3);
    assert!(h[2].train_loss < h[0].train_loss, "{h:?}");
    let (v0, v2) = (h[0].validation_loss.unwrap(), h[2].validation_loss.unwrap());
    assert!(v2 < v0, "{h:?}");
    // Well below the data's variance (≈ 1 per column): it learned the structure.
    assert!(v2 < 0.3, "{h:?}");
    let s = model.summary();
    assert_eq!((s.train_rows, s.validation_rows), (1800, 200));
    assert_eq!(s.stop, StopReason::Completed);
    // Without patience the last epoch's weights are kept.
    assert_eq!(s.weights_epoch, 3);
    assert_eq!(s.final_validation_loss, h[2].validation_loss);
}

#[test]
fn on_off_outliers_reconstruct_worse_than_inliers() {
    let x = low_rank(3000, 12, 3, 2);
    let mut config = small_config();
    config.epochs = 4;
    let model = train_small(&x, &config);
    let inliers = low_rank(500, 12, 3, 2).select_rows(&(0..500).collect::<Vec<_>>());
    // Same generator (same seed ⇒ same basis), then two columns switched "on".
    let mut outliers = low_rank(200, 12, 3, 2);
    for r in 0..outliers.rows() {
        let row = outliers.row_mut(r);
        row[r % 12] = 6.0;
        row[(r + 5) % 12] = -6.0;
    }
    let mut normal = model.score(&inliers);
    normal.sort_by(f64::total_cmp);
    let p99 = normal[normal.len() * 99 / 100];
    let odd = model.score(&outliers);
    let above = odd.iter().filter(|&&s| s > p99).count();
    assert!(
        above >= 195,
        "{above} of 200 outliers above the inliers' p99 {p99}"
    );
}

#[test]
fn scores_and_squared_errors_agree() {
    let x = low_rank(300, 10, 2, 3);
    let mut config = small_config();
    config.epochs = 1;
    let model = train_small(&x, &config);
    let scores = model.score(&x);
    let sq = model.squared_errors(&x);
    assert_eq!((sq.rows(), sq.cols()), (300, 10));
    for (r, s) in scores.iter().enumerate() {
        let mean: f64 = sq.row(r).iter().map(|&v| f64::from(v)).sum::<f64>() / 10.0;
        assert!(
            (mean - s).abs() <= 1e-5 * s.max(1e-3),
            "row {r}: {mean} vs {s}"
        );
        assert!(*s >= 0.0);
    }
    // Scored in blocks of SCORE_BATCH rows: a row's score does not depend on its block.
    let big = Matrix::new(
        SCORE_BATCH + 300,
        10,
        (0..SCORE_BATCH + 300)
            .flat_map(|i| x.row(i % 300).to_vec())
            .collect(),
    );
    let big_scores = model.score(&big);
    for (i, s) in big_scores.iter().enumerate() {
        assert_eq!(*s, scores[i % 300], "row {i}");
    }
    assert!(model.score(&Matrix::zeros(0, 10)).is_empty());
}

#[test]
fn same_seed_gives_identical_scores() {
    let x = low_rank(600, 8, 2, 4);
    let mut config = small_config();
    config.epochs = 2;
    let a = train_small(&x, &config).score(&x);
    let b = train_small(&x, &config).score(&x);
    assert_eq!(a, b);
    config.seed += 1;
    assert_ne!(train_small(&x, &config).score(&x), a);
}

#[test]
fn started_comes_first_and_finished_last() {
    let x = low_rank(1000, 8, 2, 5);
    let (tx, rx) = mpsc::channel();
    let observer = TrainObserver::channel(tx).with_min_batch_interval(Duration::ZERO);
    let mut config = small_config();
    config.epochs = 2;
    let model = train(&x, &config, &observer, &no_cancel()).expect("trains");
    drop(observer);
    let events: Vec<TrainEvent> = rx.iter().collect();
    match &events[0] {
        TrainEvent::Started {
            rows,
            validation_rows,
            epochs,
            batches_per_epoch,
            backend,
            ..
        } => {
            assert_eq!((*rows, *validation_rows, *epochs), (900, 100, 2));
            assert_eq!(*batches_per_epoch, 900usize.div_ceil(32));
            assert_eq!(*backend, Backend::preferred());
        }
        other => panic!("first event {other:?}"),
    }
    let batches = events
        .iter()
        .filter(|e| matches!(e, TrainEvent::Batch { .. }))
        .count();
    // progress_every = 1 and no throttling: one per batch.
    assert_eq!(batches, 2 * 900usize.div_ceil(32));
    let epochs: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            TrainEvent::Epoch { epoch, .. } => Some(*epoch),
            _ => None,
        })
        .collect();
    assert_eq!(epochs, vec![1, 2]);
    match events.last() {
        Some(TrainEvent::Finished {
            epochs_run, stop, ..
        }) => {
            assert_eq!((*epochs_run, *stop), (2, StopReason::Completed));
        }
        other => panic!("last event {other:?}"),
    }
    assert_eq!(model.epochs_run(), 2);
}

#[test]
fn batch_events_are_throttled_and_a_slow_or_dropped_receiver_never_blocks() {
    let x = low_rank(4000, 8, 2, 6);
    let mut config = small_config();
    config.epochs = 2;
    config.batch_size = 8;

    // Dropped before training: not an error.
    let (tx, rx) = mpsc::channel();
    drop(rx);
    train(&x, &config, &TrainObserver::channel(tx), &no_cancel()).expect("dropped receiver");

    // A receiver that takes 50 ms per event: training must not wait for it, and the
    // 100 ms throttle keeps the number of batch events small.
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut n = 0usize;
        for event in rx {
            if matches!(event, TrainEvent::Batch { .. }) {
                n += 1;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        n
    });
    let started = Instant::now();
    let observer = TrainObserver::channel(tx);
    train(&x, &config, &observer, &no_cancel()).expect("slow receiver");
    let seconds = started.elapsed().as_secs_f64();
    drop(observer);
    let batch_events = reader.join().unwrap();
    let batches = 2 * 3600usize.div_ceil(8);
    assert!(
        (batch_events as f64) <= seconds * 10.0 + 3.0,
        "{batch_events} batch events in {seconds:.2}s ({batches} batches)"
    );
}

/// Trains on a background thread until the first epoch is done, raises the flag, and
/// measures how long the call takes to come back.
#[test]
fn cancel_from_another_thread_returns_quickly_with_the_last_epoch() {
    let x = low_rank(20_000, 16, 3, 7);
    let mut config = small_config();
    config.epochs = 1000;
    let cancel = std::sync::Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let worker = {
        let cancel = cancel.clone();
        std::thread::spawn(move || {
            let observer = TrainObserver::channel(tx);
            let result = train(&x, &config, &observer, &cancel);
            (result, Instant::now())
        })
    };
    let mut finished = None;
    for event in rx.iter() {
        match event {
            TrainEvent::Epoch { epoch: 1, .. } => {
                // Let the second epoch get going, then cancel.
                std::thread::sleep(Duration::from_millis(20));
                break;
            }
            TrainEvent::Finished { .. } => panic!("finished before cancel"),
            _ => {}
        }
    }
    let raised = Instant::now();
    cancel.store(true, Ordering::Relaxed);
    let (result, returned) = worker.join().unwrap();
    let latency = returned.duration_since(raised);
    assert!(latency < Duration::from_millis(200), "{latency:?}");
    for event in rx.iter() {
        if let TrainEvent::Finished { stop, .. } = event {
            finished = Some(stop);
        }
    }
    assert_eq!(finished, Some(StopReason::Cancelled));
    let model = result.expect("one epoch completed, so a model comes back");
    assert_eq!(model.summary().stop, StopReason::Cancelled);
    assert!(model.epochs_run() >= 1);
    assert_eq!(model.summary().weights_epoch, model.epochs_run());
}

#[test]
fn cancel_before_the_first_epoch_is_an_error() {
    let x = low_rank(200, 8, 2, 8);
    let (tx, rx) = mpsc::channel();
    let cancel = AtomicBool::new(true);
    let err = train(&x, &small_config(), &TrainObserver::channel(tx), &cancel).unwrap_err();
    assert_eq!(err, AutoencoderError::Cancelled);
    let events: Vec<TrainEvent> = rx.iter().collect();
    assert!(matches!(events.first(), Some(TrainEvent::Started { .. })));
    assert!(matches!(
        events.last(),
        Some(TrainEvent::Finished {
            epochs_run: 0,
            best_epoch: None,
            stop: StopReason::Cancelled,
            ..
        })
    ));
}

#[test]
fn early_stopping_restores_the_best_epoch() {
    // Pure noise, few rows, a big network: it can only memorise the training rows, so
    // the validation loss soon rises.
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let cols = 16;
    let x = Matrix::new(
        60,
        cols,
        (0..60 * cols)
            .map(|_| rng.random::<f32>() * 4.0 - 2.0)
            .collect(),
    );
    let config = AutoencoderConfig {
        hidden: vec![64, 64, 64],
        hidden_activations: vec![Activation::Tanh; 3],
        output_activation: Activation::Linear,
        epochs: 300,
        batch_size: 8,
        learning_rate: 1e-2,
        validation_split: 0.5,
        patience: Some(3),
        seed: 3,
        progress_every: 0,
    };
    let model = train_small(&x, &config);
    let s = model.summary();
    assert_eq!(s.stop, StopReason::EarlyStopped);
    assert!(s.epochs_run < 300);
    assert_eq!(s.epochs_run, s.best_epoch + 3);
    assert_eq!(s.weights_epoch, s.best_epoch);
    let best = &s.history[s.best_epoch - 1];
    let min = s
        .history
        .iter()
        .map(|e| e.validation_loss.unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(best.validation_loss, Some(min));
    assert_eq!(s.final_validation_loss, Some(min));
    // The weights really are the best epoch's: scoring the validation rows again gives
    // its validation loss, not the last epoch's.
    let (_, validation) = training::split(&x, &config);
    let v = Matrix::new(validation.len() / cols, cols, validation);
    let scores = model.score(&v);
    let mean = scores.iter().sum::<f64>() / scores.len() as f64;
    assert!((mean - min).abs() < 1e-6 * min, "{mean} vs best {min}");
    let last = s.history.last().unwrap().validation_loss.unwrap();
    assert!(last > min);
    assert!(
        (mean - min).abs() < (mean - last).abs(),
        "{mean}: best {min}, last {last}"
    );
}

#[test]
fn save_and_load_give_bit_identical_scores() {
    let x = low_rank(500, 10, 2, 10);
    let model = train_small(&x, &small_config());
    let bytes = model.to_bytes().expect("serialises");
    let arch_json = serde_json::to_string(model.architecture()).unwrap();
    let summary_json = serde_json::to_string(model.summary()).unwrap();
    let arch: Architecture = serde_json::from_str(&arch_json).unwrap();
    let summary: TrainingSummary = serde_json::from_str(&summary_json).unwrap();
    let loaded = TrainedAutoencoder::from_bytes(&arch, summary, &bytes).expect("loads");
    assert_eq!(loaded.score(&x), model.score(&x));
    assert_eq!(loaded.squared_errors(&x), model.squared_errors(&x));
    assert_eq!(loaded.summary(), model.summary());
    assert_eq!(loaded.to_bytes().unwrap(), bytes);
}

#[test]
fn corrupt_bytes_or_a_wrong_architecture_are_errors() {
    let x = low_rank(300, 10, 2, 11);
    let mut config = small_config();
    config.epochs = 1;
    let model = train_small(&x, &config);
    let bytes = model.to_bytes().unwrap();
    let arch = model.architecture().clone();
    let summary = model.summary().clone();
    let load = |arch: &Architecture, summary: TrainingSummary, bytes: &[u8]| {
        TrainedAutoencoder::from_bytes(arch, summary, bytes).map(|_| ())
    };
    let is_invalid =
        |r: Result<(), AutoencoderError>| matches!(r, Err(AutoencoderError::InvalidModel(_)));
    assert!(load(&arch, summary.clone(), &bytes).is_ok());
    // The bytes are a plain burnpack record (a bundle's SHA256SUMS guards them; burnpack
    // checks structure, not tensor data): a broken header (magic, version, metadata
    // size), truncation, garbage, nothing, or a weight that is not finite.
    for at in [0, 5, 9] {
        let mut bad = bytes.clone();
        bad[at] ^= 0x40;
        assert!(
            is_invalid(load(&arch, summary.clone(), &bad)),
            "flip at {at}"
        );
    }
    assert!(is_invalid(load(
        &arch,
        summary.clone(),
        &bytes[..bytes.len() - 3]
    )));
    assert!(is_invalid(load(&arch, summary.clone(), &[])));
    assert!(is_invalid(load(&arch, summary.clone(), &[7u8; 300])));
    let mut nan = bytes.clone();
    let n = nan.len();
    nan[n - 4..].copy_from_slice(&f32::INFINITY.to_le_bytes());
    assert_eq!(
        load(&arch, summary.clone(), &nan),
        Err(AutoencoderError::InvalidModel(
            "layer 3 has non-finite weights".into()
        ))
    );
    // Weights of another width.
    let mut wide = arch.clone();
    wide.inputs = 11;
    assert!(is_invalid(load(&wide, summary.clone(), &bytes)));
    // Other hidden sizes, consistently in the architecture and the summary.
    let mut other = arch.clone();
    other.hidden = vec![16, 5, 16];
    let mut other_summary = summary.clone();
    other_summary.config.hidden = other.hidden.clone();
    assert!(is_invalid(load(&other, other_summary, &bytes)));
    // Architecture and summary disagree.
    let mut acts = arch.clone();
    acts.output_activation = Activation::Relu;
    assert!(is_invalid(load(&acts, summary.clone(), &bytes)));
    // Nonsense architectures.
    let mut zero = arch.clone();
    zero.inputs = 0;
    assert!(is_invalid(load(&zero, summary.clone(), &bytes)));
    let mut huge = arch.clone();
    huge.hidden = vec![usize::MAX, 4, 16];
    let mut huge_summary = summary.clone();
    huge_summary.config.hidden = huge.hidden.clone();
    assert!(is_invalid(load(&huge, huge_summary, &bytes)));
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let x = low_rank(100, 6, 2, 12);
    let cancel = no_cancel();
    let run = |x: &Matrix, c: &AutoencoderConfig| train(x, c, &quiet(), &cancel).map(|_| ());
    let config = small_config();
    let invalid =
        |r: Result<(), AutoencoderError>| matches!(r, Err(AutoencoderError::InvalidConfig(_)));
    for change in [
        (|c: &mut AutoencoderConfig| c.epochs = 0) as fn(&mut AutoencoderConfig),
        |c| c.batch_size = 0,
        |c| c.learning_rate = f64::NAN,
        |c| c.learning_rate = -1.0,
        |c| c.validation_split = 1.0,
        |c| c.patience = Some(0),
        |c| c.hidden.clear(),
        |c| c.hidden_activations.pop().map(|_| ()).unwrap_or(()),
        |c| c.hidden[1] = 0,
    ] {
        let mut c = config.clone();
        change(&mut c);
        assert!(invalid(run(&x, &c)), "{c:?}");
    }
    assert!(matches!(
        run(&Matrix::zeros(0, 6), &config),
        Err(AutoencoderError::EmptyMatrix { .. })
    ));
    let mut nan = x.clone();
    nan.row_mut(3)[2] = f32::NAN;
    assert!(matches!(
        run(&nan, &config),
        Err(AutoencoderError::NonFinite { row: 3, col: 2, .. })
    ));
    // A single row trains (no validation row can be spared).
    let one = x.select_rows(&[0]);
    let model = train(&one, &config, &quiet(), &cancel).expect("one row");
    assert_eq!(model.summary().validation_rows, 0);
    assert!(model.history()[0].validation_loss.is_none());
    // Scoring a matrix of the wrong width.
    assert_eq!(
        model.try_score(&Matrix::zeros(2, 5)),
        Err(AutoencoderError::FeatureMismatch {
            expected: 6,
            got: 5
        })
    );
    assert!(model.try_squared_errors(&Matrix::zeros(2, 7)).is_err());
}

#[test]
fn a_diverging_run_is_an_error() {
    let x = Matrix::new(64, 4, (0..256).map(|i| (i % 7) as f32 * 1e18).collect());
    let mut config = small_config();
    config.learning_rate = 1e6;
    config.epochs = 5;
    let r = train(&x, &config, &quiet(), &no_cancel());
    assert!(
        matches!(r, Err(AutoencoderError::Diverged { .. })),
        "{:?}",
        r.map(|m| m.history().to_vec())
    );
}

#[test]
fn every_compiled_backend_trains_and_scores() {
    let x = low_rank(400, 8, 2, 13);
    let mut config = small_config();
    config.epochs = 2;
    assert_eq!(Backend::available()[0], Backend::preferred());
    for backend in Backend::available() {
        let model = train_on(backend, &x, &config, &quiet(), &no_cancel()).expect("trains");
        assert_eq!(model.backend(), backend);
        let h = model.history();
        assert!(h[1].train_loss < h[0].train_loss, "{backend}: {h:?}");
        let bytes = model.to_bytes().unwrap();
        for other in Backend::available() {
            let loaded = TrainedAutoencoder::from_bytes_on(
                other,
                model.architecture(),
                model.summary().clone(),
                &bytes,
            )
            .expect("loads on every backend");
            let (a, b) = (model.score(&x), loaded.score(&x));
            for (p, q) in a.iter().zip(&b) {
                assert!((p - q).abs() <= 1e-4 * p.max(1e-3), "{backend}→{other}");
            }
        }
    }
    for missing in [Backend::Flex, Backend::Ndarray] {
        if !missing.is_available() {
            assert_eq!(
                train_on(missing, &x, &config, &quiet(), &no_cancel()).unwrap_err(),
                AutoencoderError::BackendUnavailable(missing)
            );
        }
    }
}

#[test]
fn models_and_events_can_cross_threads() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<TrainedAutoencoder>();
    shareable::<TrainObserver>();
    shareable::<TrainEvent>();
}

#[test]
fn fast_tanh_matches_f32_tanh_over_minus_20_to_20() {
    let (mut max_rel, mut max_abs) = (0.0f64, 0.0f64);
    let n = 4_000_000;
    for i in 0..=n {
        let x = -20.0 + 40.0 * i as f32 / n as f32;
        let (got, want) = (f64::from(forward::tanh(x)), f64::from(x.tanh()));
        max_abs = max_abs.max((got - want).abs());
        if want != 0.0 {
            max_rel = max_rel.max(((got - want) / want).abs());
        }
    }
    // Tiny arguments, where relative error matters most.
    for x in [1e-30f32, 1e-10, 1e-6, 3.9e-4, 4.1e-4, 1e-3, 0.1] {
        for x in [x, -x] {
            let (got, want) = (f64::from(forward::tanh(x)), f64::from(x.tanh()));
            max_rel = max_rel.max(((got - want) / want).abs());
        }
    }
    eprintln!("fast tanh: max relative error {max_rel:.3e}, max absolute {max_abs:.3e}");
    assert!(max_rel < 1e-6, "max relative error {max_rel:e}");
    assert!(max_abs < 1e-6, "max absolute error {max_abs:e}");
    assert_eq!(forward::tanh(0.0), 0.0);
    assert_eq!(forward::tanh(1e4), 1.0);
    assert_eq!(forward::tanh(-1e4), -1.0);
}

/// The plain scoring path against burn's forward pass on the same trained weights.
#[test]
fn plain_scores_match_burns_forward_pass_for_both_presets() {
    // Wide enough to exercise several blocks and a partial one; values up to ~±8 so
    // that tanh saturates in places.
    let x = scaled_low_rank(1500, 40, 6, 11, 3.0);
    for preset in [Preset::Default, Preset::Reference] {
        let config = AutoencoderConfig {
            epochs: 2,
            batch_size: 64,
            patience: None,
            progress_every: 0,
            ..AutoencoderConfig::preset(preset)
        };
        let model = train_small(&x, &config);
        let plain = model.score(&x);
        let device = model.backend.device().expect("backend");
        let acts = model.architecture().activations();
        let burn = burn_row_errors(&model.network, &acts, &device, x.as_slice(), x.cols());
        assert_eq!(plain.len(), burn.len());
        let mut worst = 0.0f64;
        for (i, (&p, &b)) in plain.iter().zip(&burn).enumerate() {
            let rel = (p - b).abs() / b.abs().max(1e-12);
            worst = worst.max(rel);
            assert!(rel <= 1e-5, "{preset:?} row {i}: plain {p} vs burn {b}");
        }
        eprintln!("{preset:?}: max relative score difference {worst:.3e}");

        let plain_sq = model.squared_errors(&x);
        let burn_sq = burn_squared_errors(&model.network, &acts, &device, x.as_slice(), x.cols());
        for (i, (&p, &b)) in plain_sq.as_slice().iter().zip(&burn_sq).enumerate() {
            assert!(
                (p - b).abs() <= 1e-5 * b.abs() + 1e-6,
                "{preset:?} element {i}: plain {p} vs burn {b}"
            );
        }
    }
}

/// The hand-written backward pass (`gradients::loss_and_gradients`) against burn's
/// autodiff on the same network and batch, for both presets' layer and activation mix
/// (tanh, relu, a relu and a linear output), on data wide enough that relu units die and
/// tanh saturates in places.
#[test]
fn hand_written_gradients_match_burns_autodiff() {
    // 200 rows: the default network splits the batch over two threads, the reference one
    // does not, so both paths are checked.
    let x = scaled_low_rank(200, 30, 5, 21, 2.5);
    for preset in [Preset::Default, Preset::Reference] {
        let config = AutoencoderConfig::preset(preset);
        let arch = Architecture::new(x.cols(), &config).expect("architecture");
        let device = Backend::preferred().device().expect("backend");
        let params = Network::init(&arch, &mut ChaCha8Rng::seed_from_u64(3), &device)
            .parameters()
            .expect("parameters");

        let weights = Weights::new(params.clone(), &arch).expect("weights");
        let (loss, grads) = loss_and_gradients(&weights, x.as_slice(), &device).expect("gradients");

        let autodiff = device.clone().autodiff();
        let model = Network::from_parameters(&arch, &params, &autodiff);
        let input = tensor(x.as_slice().to_vec(), x.cols(), &autodiff);
        let burn_loss = (burn_forward(&model, &arch.activations(), input.clone()) - input)
            .square()
            .mean();
        let expected_loss = f64::from(burn_loss.clone().into_scalar::<f32>());
        let expected = autodiff_gradients(&model, &burn_loss.backward());

        assert!(
            (loss - expected_loss).abs() <= 1e-6 * expected_loss,
            "{preset:?}: loss {loss} vs {expected_loss}"
        );
        let mut compared = 0;
        for (layer, (got, want)) in grads.iter().zip(&expected).enumerate() {
            for (name, g, w) in [("weight", &got.0, &want.0), ("bias", &got.1, &want.1)] {
                assert_eq!(g.len(), w.len(), "{preset:?} layer {layer} {name}");
                let scale = w.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(
                    scale > 0.0,
                    "{preset:?} layer {layer} {name}: all-zero gradient"
                );
                for (i, (a, b)) in g.iter().zip(w).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-4 * scale,
                        "{preset:?} layer {layer} {name}[{i}]: {a} vs autodiff {b}"
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, arch.parameter_count());
    }
}

/// The host Adam against burn's `Adam` (Keras' ε) over several steps with changing
/// gradients: the same parameters to f32 rounding.
#[test]
fn host_adam_matches_burns_adam() {
    use burn::optim::{AdamConfig, GradientsParams};

    let x = low_rank(64, 12, 3, 5);
    let config = small_config();
    let arch = Architecture::new(x.cols(), &config).expect("architecture");
    let device = Backend::preferred().device().expect("backend");
    let autodiff = device.clone().autodiff();
    let initial = Network::init(&arch, &mut ChaCha8Rng::seed_from_u64(9), &device)
        .parameters()
        .expect("parameters");

    let mut weights = Weights::new(initial.clone(), &arch).expect("weights");
    let mut adam = adam::Adam::new(weights.layers(), 1e-7);
    let mut model = Network::from_parameters(&arch, &initial, &autodiff);
    let mut burn_adam = AdamConfig::new().with_epsilon(1e-7).init();
    for step in 0..6 {
        let rows = &x.as_slice()[(step % 4) * 16 * 12..][..16 * 12];
        let (_, grads) = loss_and_gradients(&weights, rows, &device).expect("gradients");
        adam.step(3e-3, weights.layers_mut(), &grads);

        let input = tensor(rows.to_vec(), 12, &autodiff);
        let loss = (burn_forward(&model, &arch.activations(), input.clone()) - input)
            .square()
            .mean();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = burn_adam.step(3e-3, model, grads);
    }
    let burn_params = model.parameters().expect("parameters");
    for (layer, (got, want)) in weights.layers().iter().zip(&burn_params).enumerate() {
        for (a, b) in got.0.iter().chain(&got.1).zip(want.0.iter().chain(&want.1)) {
            assert!(
                (a - b).abs() <= 1e-5,
                "layer {layer}: {a} vs burn's Adam {b}"
            );
        }
    }
    // And the steps moved the weights (the comparison is not between two no-ops).
    let moved = weights
        .layers()
        .iter()
        .zip(&initial)
        .flat_map(|(p, q)| p.0.iter().zip(&q.0))
        .filter(|(a, b)| a != b)
        .count();
    assert!(moved > arch.parameter_count() / 2, "{moved} weights moved");
}

// burn's own forward pass and autodiff: the oracles the product code is checked against.

/// burn's forward pass through `network`'s `Linear` layers with burn's activations
/// (autodiff-capable on an autodiff device).
fn burn_forward(network: &Network, activations: &[Activation], mut x: Tensor<2>) -> Tensor<2> {
    for (layer, act) in network.layers.iter().zip(activations) {
        x = layer.forward(x);
        x = match act {
            Activation::Tanh => activation::tanh(x),
            Activation::Relu => activation::relu(x),
            Activation::Linear => x,
        };
    }
    x
}

/// Every layer's `(weight, bias)` gradient from `grads` (after `loss.backward()` on a
/// loss computed through `network`), in the layout of [`Network::parameters`].
fn autodiff_gradients(network: &Network, grads: &Gradients) -> Vec<LayerParameters> {
    let host = |param: &Param<Tensor<1>>| param.val().grad(grads).expect("a gradient");
    network
        .layers
        .iter()
        .map(|layer| {
            let weight = layer.weight.val().grad(grads).expect("a weight gradient");
            let bias = host(layer.bias.as_ref().expect("a bias"));
            (
                weight.try_into_vec_as::<f32>().expect("host copy"),
                bias.try_into_vec_as::<f32>().expect("host copy"),
            )
        })
        .collect()
}

/// burn's reconstruction of `data` (row-major, `cols` wide), block by block in
/// parallel, handed to `each(input, reconstruction, out)` with `per_row` outputs a row.
fn burn_blocks<T: Send>(
    network: &Network,
    activations: &[Activation],
    device: &Device,
    (data, cols): (&[f32], usize),
    (out, per_row): (&mut [T], usize),
    each: impl Fn(&[f32], &[f32], &mut [T]) + Sync,
) {
    data.par_chunks(SCORE_BATCH * cols)
        .zip(out.par_chunks_mut(SCORE_BATCH * per_row))
        .for_each(|(block, out)| {
            let input = tensor(block.to_vec(), cols, device);
            let y = burn_forward(network, activations, input)
                .try_into_vec_as::<f32>()
                .expect("host copy");
            each(block, &y, out);
        });
}

/// Per-row reconstruction MSE by burn's forward pass, summed in f64.
fn burn_row_errors(
    network: &Network,
    activations: &[Activation],
    device: &Device,
    data: &[f32],
    cols: usize,
) -> Vec<f64> {
    let mut errors = vec![0.0; data.len() / cols];
    burn_blocks(
        network,
        activations,
        device,
        (data, cols),
        (&mut errors, 1),
        |x, y, out| {
            for ((x, y), e) in x.chunks_exact(cols).zip(y.chunks_exact(cols)).zip(out) {
                let sum: f64 = x
                    .iter()
                    .zip(y)
                    .map(|(a, b)| f64::from((a - b) * (a - b)))
                    .sum();
                *e = sum / cols as f64;
            }
        },
    );
    errors
}

/// Per-element squared reconstruction error by burn's forward pass.
fn burn_squared_errors(
    network: &Network,
    activations: &[Activation],
    device: &Device,
    data: &[f32],
    cols: usize,
) -> Vec<f32> {
    let mut errors = vec![0.0; data.len()];
    burn_blocks(
        network,
        activations,
        device,
        (data, cols),
        (&mut errors, cols),
        |x, y, out| {
            for ((e, &a), &b) in out.iter_mut().zip(x).zip(y) {
                *e = (a - b) * (a - b);
            }
        },
    );
    errors
}
