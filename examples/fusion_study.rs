//! Does fusing the two detectors beat the better one? For each protocol and seed it runs
//! `evaluate` (all three detectors, calibrated thresholds: the fused one is the sum of
//! both detectors' surprises, Fisher's method on tail probabilities among the
//! calibration normals) and scores the test rows two more ways from the same fitted
//! detectors: the larger surprise alone, and the sum of surprises without the tail fit.
//! Each alternative is thresholded as the detectors are: the 99th percentile of its
//! own scores on the calibration rows. Prints one table row per (protocol, seed, detector) with
//! ROC AUC, F1, accuracy and the false-alarm rate on test normal rows, then medians.
//!
//! `cargo run --release --example fusion_study -- [--seeds 0,1,2] [--runs kdd,nsl,nsl-kdd,kdd-nsl,dagmm]`
//!
//! Data from `NETANOMALY_DATA` (default `../shared/data`); nothing is written.

#[path = "common/study.rs"]
mod study;

use netanomaly::detect::fusion::{TailCalibration, fuse};
use netanomaly::eval::evaluate::{EvaluateConfig, EvaluationReport, evaluate};
use netanomaly::eval::threshold::ThresholdRule;
use netanomaly::model::pipeline::{FitConfig, Protocol};
use study::{Figures, Options, Table, figures};

/// The fused scores of the test and the reference rows under the combination `how`.
fn fused(report: &EvaluationReport, how: &str) -> (Vec<f64>, Vec<f64>) {
    let f = &report.detectors["iforest"];
    let a = &report.detectors["autoencoder"];
    let (tf, ta) = (
        TailCalibration::new(&f.reference_scores).unwrap(),
        TailCalibration::new(&a.reference_scores).unwrap(),
    );
    let combine = |sf: f64, sa: f64| match how {
        "max" => tf.surprise(sf).max(ta.surprise(sa)),
        // Counted tails only, capped at the top: what the tail fit adds.
        _ => {
            let cap = |t: &TailCalibration, s: f64| -t.tail(s).max(1.0 / (t.len() + 1) as f64).ln();
            fuse([cap(&tf, sf), cap(&ta, sa)])
        }
    };
    let both = |xs: &[f64], ys: &[f64]| -> Vec<f64> {
        xs.iter().zip(ys).map(|(&x, &y)| combine(x, y)).collect()
    };
    // The reference rows are the same rows for both detectors (the calibration split).
    let test = both(&f.test_scores, &a.test_scores);
    let reference = both(&f.reference_scores, &a.reference_scores);
    (test, reference)
}

fn main() {
    let options = Options::parse(&["kdd", "nsl", "nsl-kdd", "kdd-nsl", "dagmm"]);
    let (kdd_data, nsl_data) = options.datasets();
    let mut table = Table::start("detector");
    for run in &options.runs {
        let (train, test, protocol) = match run.as_str() {
            "kdd" => (&kdd_data, None, Protocol::Profile),
            "nsl" => (&nsl_data, None, Protocol::Profile),
            "nsl-kdd" => (&nsl_data, Some(&kdd_data), Protocol::Profile),
            "kdd-nsl" => (&kdd_data, Some(&nsl_data), Protocol::Profile),
            "dagmm" => (&kdd_data, None, Protocol::Dagmm),
            other => panic!("unknown run {other}"),
        };
        for &seed in &options.seeds {
            let config = EvaluateConfig {
                protocol,
                threshold: None,
                fit: FitConfig {
                    seed,
                    ..FitConfig::default()
                },
            };
            let report = evaluate(train, test, &config).unwrap();
            let truth = &report.test_truth;
            let rule = match protocol {
                Protocol::Dagmm => ThresholdRule::Contamination { contamination: 0.2 },
                _ => ThresholdRule::Percentile { percentile: 99.0 },
            };
            let mut rows: Vec<(String, Figures)> = Vec::new();
            for (name, d) in report.ordered() {
                // dagmm sets thresholds on train+test scores together.
                let reference = if protocol == Protocol::Dagmm {
                    [d.reference_scores.clone(), d.test_scores.clone()].concat()
                } else {
                    d.reference_scores.clone()
                };
                rows.push((
                    name.into(),
                    figures(&d.test_scores, &reference, truth, rule),
                ));
            }
            for how in ["max", "counted"] {
                let (test_scores, reference) = fused(&report, how);
                let reference = if protocol == Protocol::Dagmm {
                    [reference, test_scores.clone()].concat()
                } else {
                    reference
                };
                rows.push((
                    format!("fused ({how})"),
                    figures(&test_scores, &reference, truth, rule),
                ));
            }
            for (name, f) in rows {
                table.row(run, seed, name, f);
            }
        }
    }
    table.print_medians("detector");
}
