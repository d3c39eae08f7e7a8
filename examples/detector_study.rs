//! Issue 14, item 4: what moves the single detectors on traffic they have never seen?
//! For each run and seed it splits and encodes as `evaluate` does (profile protocol,
//! calibrated thresholds), then fits variants of each detector on the same rows and
//! prints ROC AUC, F1 and the false-alarm rate on test normal rows at the 99th
//! percentile of the calibration scores:
//!
//! - `iforest`: the default (100 trees, ψ = 2048); `iforest 300 trees`;
//! - `autoencoder`: the default preset; `autoencoder ×3`: three autoencoders of
//!   different seeds, their surprises among the calibration rows added (the fused
//!   detector's rule, used as a seed ensemble); `autoencoder lr 5e-4`: half the
//!   learning rate, up to 200 epochs, patience 8; `autoencoder, columns scaled`: the
//!   first autoencoder's per-column squared errors, each divided by that column's mean
//!   error on the calibration rows before averaging.
//!
//! Nothing is tuned on the test rows: every threshold comes from the calibration rows.
//!
//! `cargo run --release --example detector_study -- [--seeds 0,1,2] [--runs kdd,nsl,nsl-kdd,kdd-nsl]`

#[path = "common/study.rs"]
mod study;

use std::sync::Arc;

use netanomaly::detect::DetectorKind;
use netanomaly::detect::autoencoder::AutoencoderConfig;
use netanomaly::detect::fusion::FusedDetector;
use netanomaly::eval::threshold::ThresholdRule;
use netanomaly::model::pipeline::{self, FitConfig};
use study::{Options, Table};

/// The figures at the 99th percentile of the calibration scores.
fn figures(test: &[f64], calibration: &[f64], truth: &[bool]) -> study::Figures {
    let rule = ThresholdRule::Percentile { percentile: 99.0 };
    study::figures(test, calibration, truth, rule)
}

fn main() {
    let options = Options::parse(&["kdd", "nsl", "nsl-kdd", "kdd-nsl"]);
    let mut table = Table::start("variant");
    study::each_split(&options, |s| {
        let (run, seed, base, encoder) = (s.run.as_str(), s.seed, &s.base, &s.encoder);
        let (fit, calibration, test_matrix, truth) = (&s.fit, &s.calibration, &s.test, &s.truth);
        let one = |kind: DetectorKind, config: &FitConfig| {
            let f =
                pipeline::fit_detector(kind, fit, Some(calibration), encoder, config, &[]).unwrap();
            let test_scores = f.detector.score(test_matrix).unwrap();
            (f, test_scores)
        };
        let mut rows: Vec<(String, study::Figures)> = Vec::new();
        for (name, config) in [
            ("iforest", base.clone()),
            ("iforest 300 trees", {
                let mut c = base.clone();
                c.iforest.n_estimators = 300;
                c
            }),
        ] {
            let (f, test_scores) = one(DetectorKind::Iforest, &config);
            rows.push((
                name.into(),
                figures(&test_scores, f.reference_scores(), truth),
            ));
        }
        // Three autoencoders of different seeds on the same rows.
        let mut members = Vec::new();
        for k in 0..3u64 {
            let config = FitConfig {
                seed: seed + 1000 * k,
                ..base.clone()
            };
            members.push(one(DetectorKind::Autoencoder, &config));
        }
        let (first, first_test) = &members[0];
        rows.push((
            "autoencoder".into(),
            figures(first_test, first.reference_scores(), truth),
        ));
        let ensemble = FusedDetector::new(
            members
                .iter()
                .map(|(f, _)| (Arc::clone(&f.detector), f.reference_scores())),
        )
        .unwrap();
        let test_parts: Vec<&[f64]> = members.iter().map(|(_, t)| t.as_slice()).collect();
        let calibration_parts: Vec<&[f64]> =
            members.iter().map(|(f, _)| f.reference_scores()).collect();
        rows.push((
            "autoencoder ×3".into(),
            figures(
                &ensemble.fuse_scores(&test_parts),
                &ensemble.fuse_scores(&calibration_parts),
                truth,
            ),
        ));
        // The first autoencoder's squared errors per column, each column weighed by
        // its mean error on the calibration rows: a column normal rows reconstruct
        // well counts more when it is off.
        if let netanomaly::detect::Detector::Autoencoder(model) = first.detector.as_ref() {
            let per_column =
                |m: &netanomaly::features::Matrix| model.try_squared_errors(m).unwrap();
            let cal = per_column(calibration);
            let cols = cal.cols();
            let mut mean = vec![0f64; cols];
            for r in 0..cal.rows() {
                for (c, &e) in cal.row(r).iter().enumerate() {
                    mean[c] += f64::from(e);
                }
            }
            let floor = 1e-6;
            let weight: Vec<f64> = mean
                .iter()
                .map(|m| 1.0 / (m / cal.rows() as f64 + floor))
                .collect();
            let scaled = |errors: &netanomaly::features::Matrix| -> Vec<f64> {
                (0..errors.rows())
                    .map(|r| {
                        errors
                            .row(r)
                            .iter()
                            .zip(&weight)
                            .map(|(&e, w)| f64::from(e) * w)
                            .sum::<f64>()
                            / cols as f64
                    })
                    .collect()
            };
            let test_errors = per_column(test_matrix);
            rows.push((
                "autoencoder, columns scaled".into(),
                figures(&scaled(&test_errors), &scaled(&cal), truth),
            ));
        }
        let slow = FitConfig {
            autoencoder: AutoencoderConfig {
                learning_rate: 5e-4,
                epochs: 200,
                patience: Some(8),
                ..base.autoencoder.clone()
            },
            ..base.clone()
        };
        let (f, test_scores) = one(DetectorKind::Autoencoder, &slow);
        rows.push((
            "autoencoder lr 5e-4".into(),
            figures(&test_scores, f.reference_scores(), truth),
        ));
        for (name, f) in rows {
            table.row(run, seed, name, f);
        }
    });
    table.print_medians("variant");
}
