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

use std::path::PathBuf;

use netanomaly::data::{ReadOptions, read_paths};
use netanomaly::detect::fusion::{TailCalibration, fuse};
use netanomaly::eval::evaluate::{EvaluateConfig, EvaluationReport, evaluate};
use netanomaly::eval::metrics::SortedScores;
use netanomaly::eval::threshold::{ScoreDistribution, ThresholdRule};
use netanomaly::model::pipeline::{FitConfig, Protocol};

struct Figures {
    roc_auc: f64,
    f1: f64,
    accuracy: f64,
    fpr: f64,
}

fn figures(test: &[f64], reference: &[f64], truth: &[bool], rule: ThresholdRule) -> Figures {
    let threshold = ScoreDistribution::new(reference)
        .unwrap()
        .threshold(rule)
        .value;
    let sorted = SortedScores::new(test, Some(truth)).unwrap();
    let c = sorted.confusion_at(threshold).unwrap();
    Figures {
        roc_auc: sorted.roc_auc().unwrap_or(f64::NAN),
        f1: c.f1(),
        accuracy: c.accuracy(),
        fpr: c.fpr(),
    }
}

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
    let data = std::env::var_os("NETANOMALY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let kdd = data.join("kddcup.data_10_percent.gz");
    let nsl = data.join("KDDTrain+_20Percent.txt.gz");
    let mut seeds = vec![0u64, 1, 2];
    let mut runs: Vec<String> = ["kdd", "nsl", "nsl-kdd", "kdd-nsl", "dagmm"]
        .map(String::from)
        .to_vec();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let value = args.next().expect("a value after each option");
        match a.as_str() {
            "--seeds" => seeds = value.split(',').map(|s| s.parse().unwrap()).collect(),
            "--runs" => runs = value.split(',').map(String::from).collect(),
            other => panic!("unknown option {other}"),
        }
    }
    let options = ReadOptions::default();
    let read = |p: &PathBuf| read_paths(std::slice::from_ref(p), &options).unwrap().0;
    let (kdd_data, nsl_data) = (read(&kdd), read(&nsl));
    println!("| run | seed | detector | ROC AUC | F1 | accuracy | false alarms on test normals |");
    println!("|---|---|---|---|---|---|---|");
    let mut all: Vec<(String, String, Figures)> = Vec::new();
    for run in &runs {
        let (train, test, protocol) = match run.as_str() {
            "kdd" => (&kdd_data, None, Protocol::Profile),
            "nsl" => (&nsl_data, None, Protocol::Profile),
            "nsl-kdd" => (&nsl_data, Some(&kdd_data), Protocol::Profile),
            "kdd-nsl" => (&kdd_data, Some(&nsl_data), Protocol::Profile),
            "dagmm" => (&kdd_data, None, Protocol::Dagmm),
            other => panic!("unknown run {other}"),
        };
        for &seed in &seeds {
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
                println!(
                    "| {run} | {seed} | {name} | {:.4} | {:.4} | {:.4} | {:.2}% |",
                    f.roc_auc,
                    f.f1,
                    f.accuracy,
                    f.fpr * 100.0
                );
                all.push((run.clone(), name, f));
            }
        }
    }
    println!("\nmedians over seeds:\n");
    println!("| run | detector | ROC AUC | F1 | accuracy | false alarms on test normals |");
    println!("|---|---|---|---|---|---|");
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let mut keys: Vec<(String, String)> = Vec::new();
    for (run, name, _) in &all {
        if !keys.contains(&(run.clone(), name.clone())) {
            keys.push((run.clone(), name.clone()));
        }
    }
    for (run, name) in keys {
        let of = |pick: &dyn Fn(&Figures) -> f64| {
            median(
                all.iter()
                    .filter(|(r, n, _)| *r == run && *n == name)
                    .map(|(_, _, f)| pick(f))
                    .collect(),
            )
        };
        println!(
            "| {run} | {name} | {:.4} | {:.4} | {:.4} | {:.2}% |",
            of(&|f| f.roc_auc),
            of(&|f| f.f1),
            of(&|f| f.accuracy),
            of(&|f| f.fpr) * 100.0
        );
    }
}
