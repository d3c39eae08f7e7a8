//! Issue 14, item 4, the autoencoder's side: does its size or batch move the numbers on
//! traffic it has never seen, alone and inside the fused detector? Splits and encodes as
//! `evaluate` does (profile protocol, calibrated thresholds), fits the default forest
//! once, then for each autoencoder variant prints the autoencoder's figures and those of
//! the fused detector made of the forest and that autoencoder:
//!
//! - `128-32-128` (the default), `128-16-128`, `128-8-128`: narrower bottlenecks, which
//!   must learn more of normal traffic's structure to reconstruct it;
//! - `64-16-64`: a smaller network;
//! - `128-32-128 batch 64`: four times the updates per epoch (NSL-KDD's fit rows make
//!   19 batches of 256).
//!
//! Figures at the 99th percentile of the calibration scores; nothing is tuned on the
//! test rows.
//!
//! `cargo run --release --example ae_study -- [--seeds 0,1,2] [--runs kdd,nsl,nsl-kdd,kdd-nsl]`

#[path = "common/study.rs"]
mod study;

use netanomaly::detect::DetectorKind;
use netanomaly::detect::autoencoder::{Activation, AutoencoderConfig};
use netanomaly::eval::threshold::ThresholdRule;
use netanomaly::model::pipeline::{self, FitConfig, FittedDetector};
use study::{Options, Table};

fn main() {
    let options = Options::parse(&["kdd", "nsl", "nsl-kdd", "kdd-nsl"]);
    let rule = ThresholdRule::Percentile { percentile: 99.0 };
    let mut table = Table::start("variant");
    study::each_split(&options, |s| {
        let (run, seed, base, encoder) = (s.run.as_str(), s.seed, &s.base, &s.encoder);
        let (fit, calibration, test_matrix, truth) = (&s.fit, &s.calibration, &s.test, &s.truth);
        let fit_one = |kind: DetectorKind, config: &FitConfig, earlier: &[FittedDetector]| {
            pipeline::fit_detector(kind, fit, Some(calibration), encoder, config, earlier).unwrap()
        };
        let forest = fit_one(DetectorKind::Iforest, base, &[]);
        let forest_test = forest.detector.score(test_matrix).unwrap();
        let tanh_relu_tanh = vec![Activation::Tanh, Activation::Relu, Activation::Tanh];
        let variants: Vec<(&str, Vec<usize>, usize)> = vec![
            ("128-32-128", vec![128, 32, 128], 256),
            ("128-16-128", vec![128, 16, 128], 256),
            ("128-8-128", vec![128, 8, 128], 256),
            ("64-16-64", vec![64, 16, 64], 256),
            ("128-32-128 batch 64", vec![128, 32, 128], 64),
        ];
        for (name, hidden, batch_size) in variants {
            let config = FitConfig {
                autoencoder: AutoencoderConfig {
                    hidden,
                    hidden_activations: tanh_relu_tanh.clone(),
                    batch_size,
                    ..base.autoencoder.clone()
                },
                ..base.clone()
            };
            let ae = fit_one(DetectorKind::Autoencoder, &config, &[]);
            let ae_test = ae.detector.score(test_matrix).unwrap();
            table.row(
                run,
                seed,
                format!("autoencoder {name}"),
                study::figures(&ae_test, ae.reference_scores(), truth, rule),
            );
            let earlier = [forest.clone(), ae];
            let fused = fit_one(DetectorKind::Fused, &config, &earlier);
            let known = [
                (DetectorKind::Iforest, forest_test.as_slice()),
                (DetectorKind::Autoencoder, ae_test.as_slice()),
            ];
            let fused_test = fused.detector.score_reusing(test_matrix, &known).unwrap();
            table.row(
                run,
                seed,
                format!("fused with {name}"),
                study::figures(&fused_test, fused.reference_scores(), truth, rule),
            );
        }
    });
    table.print_medians("variant");
}
