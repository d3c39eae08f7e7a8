//! What the detection studies share: their options, the runs' splits and matrices, the
//! figures of one detector at a threshold from its reference scores, and the table of
//! rows with medians over seeds.

use std::path::PathBuf;

use netanomaly::data::{Dataset, ReadOptions, read_paths};
use netanomaly::eval::metrics::SortedScores;
use netanomaly::eval::threshold::{ScoreDistribution, ThresholdRule};
use netanomaly::features::{Encoder, Matrix};
use netanomaly::model::pipeline::{FitConfig, Protocol, Purpose, RowSplit};

/// `--seeds 0,1,2 --runs a,b`, and the data folder (`NETANOMALY_DATA`, default
/// `../shared/data`).
pub struct Options {
    pub seeds: Vec<u64>,
    pub runs: Vec<String>,
    pub data: PathBuf,
}

impl Options {
    pub fn parse(default_runs: &[&str]) -> Options {
        let data = std::env::var_os("NETANOMALY_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
        let mut options = Options {
            seeds: vec![0, 1, 2],
            runs: default_runs.iter().map(|r| r.to_string()).collect(),
            data,
        };
        let mut args = std::env::args().skip(1);
        while let Some(a) = args.next() {
            let value = args.next().expect("a value after each option");
            match a.as_str() {
                "--seeds" => options.seeds = value.split(',').map(|s| s.parse().unwrap()).collect(),
                "--runs" => options.runs = value.split(',').map(String::from).collect(),
                other => panic!("unknown option {other}"),
            }
        }
        options
    }

    /// The KDD Cup 99 10% file and NSL-KDD's 20% training file.
    pub fn datasets(&self) -> (Dataset, Dataset) {
        let read = |name: &str| {
            read_paths(&[self.data.join(name)], &ReadOptions::default())
                .unwrap()
                .0
        };
        (
            read("kddcup.data_10_percent.gz"),
            read("KDDTrain+_20Percent.txt.gz"),
        )
    }
}

pub struct Figures {
    pub roc_auc: f64,
    pub f1: f64,
    pub accuracy: f64,
    /// The false-positive rate: false alarms on the test's normal rows.
    pub fpr: f64,
}

/// A detector's figures on the test rows, flagged at `rule` over `reference` (its
/// calibration scores, or what the protocol sets thresholds on).
pub fn figures(test: &[f64], reference: &[f64], truth: &[bool], rule: ThresholdRule) -> Figures {
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

/// The rows printed so far, as a Markdown table, kept for the medians.
#[derive(Default)]
pub struct Table {
    rows: Vec<(String, String, Figures)>,
}

impl Table {
    /// Prints the header; `what` names the third column ("detector", "variant").
    pub fn start(what: &str) -> Table {
        println!(
            "| run | seed | {what} | ROC AUC | F1 | accuracy | false alarms on test normals |"
        );
        println!("|---|---|---|---|---|---|---|");
        Table::default()
    }

    pub fn row(&mut self, run: &str, seed: u64, name: String, f: Figures) {
        println!(
            "| {run} | {seed} | {name} | {:.4} | {:.4} | {:.4} | {:.2}% |",
            f.roc_auc,
            f.f1,
            f.accuracy,
            f.fpr * 100.0
        );
        self.rows.push((run.to_owned(), name, f));
    }

    /// The median of each figure over the seeds, per run and name, in first-seen order.
    pub fn print_medians(&self, what: &str) {
        println!("\nmedians over seeds:\n");
        println!("| run | {what} | ROC AUC | F1 | accuracy | false alarms on test normals |");
        println!("|---|---|---|---|---|---|");
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for (run, name, _) in &self.rows {
            if !keys.contains(&(run.as_str(), name.as_str())) {
                keys.push((run, name));
            }
        }
        for (run, name) in keys {
            let of = |pick: &dyn Fn(&Figures) -> f64| {
                median(
                    self.rows
                        .iter()
                        .filter(|(r, n, _)| r == run && n == name)
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
}

/// One run and seed, split and encoded as `evaluate` does on the profile protocol.
#[allow(dead_code)] // fusion_study calls `evaluate` itself
pub struct Split {
    pub run: String,
    pub seed: u64,
    /// The default fit settings with this seed.
    pub base: FitConfig,
    pub encoder: Encoder,
    pub fit: Matrix,
    pub calibration: Matrix,
    pub test: Matrix,
    /// Per test row, whether it is an attack.
    pub truth: Vec<bool>,
}

/// Calls `each` for every run of `options` and each seed: `kdd` and `nsl` (the profile
/// protocol on the 10% file or NSL-KDD's 20% file), `nsl-kdd` and `kdd-nsl` (fit on one
/// file's normal rows, test on all of the other).
#[allow(dead_code)]
pub fn each_split(options: &Options, mut each: impl FnMut(&Split)) {
    let (kdd, nsl) = options.datasets();
    for run in &options.runs {
        let (train, test): (&Dataset, Option<&Dataset>) = match run.as_str() {
            "kdd" => (&kdd, None),
            "nsl" => (&nsl, None),
            "nsl-kdd" => (&nsl, Some(&kdd)),
            "kdd-nsl" => (&kdd, Some(&nsl)),
            other => panic!("unknown run {other}"),
        };
        for &seed in &options.seeds {
            let split = RowSplit::new(
                train,
                Protocol::Profile,
                Purpose::evaluating(test.is_some()),
                seed,
            )
            .unwrap();
            let (test_data, test_rows) = match test {
                Some(t) => (t, (0..t.len()).collect::<Vec<_>>()),
                None => (train, split.held_out.clone()),
            };
            let base = FitConfig {
                seed,
                ..FitConfig::default()
            };
            let encoder = base.fit_encoder(train, &split.fit).unwrap();
            let (fit, _) = encoder.transform(train, &split.fit);
            let (calibration, _) = encoder.transform(train, &split.calibration);
            let (test_matrix, _) = encoder.transform(test_data, &test_rows);
            each(&Split {
                run: run.clone(),
                seed,
                truth: test_rows
                    .iter()
                    .map(|&r| test_data.is_attack(r) == Some(true))
                    .collect(),
                base,
                encoder,
                fit,
                calibration,
                test: test_matrix,
            });
        }
    }
}
