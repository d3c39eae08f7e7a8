//! The autoencoder on the real 10% file: it learns (the loss falls), it reports as it
//! goes, and it stops promptly when cancelled.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{KDD10, real_data};
use netanomaly::data::{Dataset, ReadOptions, read_path};
use netanomaly::detect::autoencoder::{
    AutoencoderConfig, StopReason, TrainEvent, TrainObserver, train,
};
use netanomaly::features::{Encoder, EncoderConfig, Matrix};

/// The normal rows of the 10% file, encoded, with the file and its encoder.
fn normal_matrix() -> Option<(Dataset, Encoder, Matrix)> {
    let path = real_data(KDD10)?;
    let (data, _) = read_path(&path, &ReadOptions::default()).unwrap();
    let rows: Vec<usize> = (0..data.len())
        .filter(|&r| data.is_attack(r) == Some(false))
        .collect();
    let encoder = Encoder::fit(&data, &rows, &EncoderConfig::default()).unwrap();
    let (m, _) = encoder.transform(&data, &rows);
    Some((data, encoder, m))
}

#[test]
fn training_loss_falls_on_real_traffic_and_attacks_reconstruct_worse() {
    let Some((data, encoder, m)) = normal_matrix() else {
        return;
    };
    assert_eq!(m.rows(), 97_278);
    let config = AutoencoderConfig {
        epochs: 4,
        patience: None,
        ..AutoencoderConfig::default()
    };
    let model = train(
        &m,
        &config,
        &TrainObserver::silent(),
        &AtomicBool::new(false),
    )
    .unwrap();
    let history = model.history();
    assert_eq!(history.len(), 4);
    let first = &history[0];
    let last = &history[3];
    eprintln!("loss {:.5} → {:.5}", first.train_loss, last.train_loss);
    assert!(last.train_loss < 0.7 * first.train_loss, "{history:?}");
    assert!(
        last.validation_loss.unwrap() < first.validation_loss.unwrap(),
        "{history:?}"
    );
    // Standardised columns have unit variance, so predicting zeros costs ~1 per column:
    // a model that learnt something reconstructs normal traffic far better.
    let mean = |scores: Vec<f64>| scores.iter().sum::<f64>() / scores.len() as f64;
    let normal = mean(model.score(&m));
    assert!(normal < 0.2, "mean reconstruction error {normal}");
    let attacks: Vec<usize> = (0..data.len())
        .filter(|&r| data.is_attack(r) == Some(true))
        .collect();
    let attack = mean(model.score(&encoder.transform(&data, &attacks).0));
    eprintln!("mean error: normal {normal:.4}, attack {attack:.4}");
    assert!(attack > 10.0 * normal, "normal {normal}, attack {attack}");
}

#[test]
fn cancel_on_real_data_returns_within_200_ms_with_the_last_epoch() {
    let Some((_, _, m)) = normal_matrix() else {
        return;
    };
    let (tx, rx) = mpsc::channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let config = AutoencoderConfig {
        epochs: 1000,
        patience: None,
        // A small batch makes each epoch long, so the cancel lands mid-epoch.
        batch_size: 32,
        ..AutoencoderConfig::default()
    };
    let job = {
        let cancel = Arc::clone(&cancel);
        std::thread::spawn(move || {
            let result = train(&m, &config, &TrainObserver::channel(tx), &cancel);
            (result, Instant::now())
        })
    };
    // Wait for the first finished epoch and a batch of the next, then cancel.
    let mut epochs_seen = 0;
    let cancelled_at = loop {
        match rx.recv_timeout(Duration::from_secs(120)).unwrap() {
            TrainEvent::Epoch { .. } => epochs_seen += 1,
            TrainEvent::Batch { epoch: 2, .. } if epochs_seen == 1 => {
                cancel.store(true, Ordering::Relaxed);
                break Instant::now();
            }
            _ => {}
        }
    };
    let (result, returned_at) = job.join().unwrap();
    let latency = returned_at.duration_since(cancelled_at);
    eprintln!("cancel took {latency:?}");
    assert!(latency < Duration::from_millis(200), "{latency:?}");
    let model = result.unwrap();
    assert_eq!(model.summary().stop, StopReason::Cancelled);
    assert_eq!(model.epochs_run(), 1);
    let finished = rx.iter().find(|e| matches!(e, TrainEvent::Finished { .. }));
    assert!(
        matches!(
            finished,
            Some(TrainEvent::Finished {
                stop: StopReason::Cancelled,
                epochs_run: 1,
                ..
            })
        ),
        "{finished:?}"
    );
}
