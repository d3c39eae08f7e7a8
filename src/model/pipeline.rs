//! The one training pipeline: which rows a protocol fits the detectors on (and which it
//! holds out), the encoder fitted on those rows, each chosen detector fitted with its
//! training scores, and the record of what a model was fitted on. `evaluate`, `train`
//! and the dashboard's worker are thin callers of it.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::data::split::seeded_split;
use crate::data::{Dataset, FeatureSet};
use crate::detect::autoencoder::{self, AutoencoderConfig, AutoencoderError, TrainObserver};
use crate::detect::iforest::{IsolationForest, IsolationForestConfig, SplitScale};
use crate::detect::{Detector, DetectorKind};
use crate::features::{Encoder, EncoderConfig, Matrix};

/// Which rows the detectors learn from, which rows judge them, and which class is the
/// anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Learn the normal profile from labelled normal rows: evaluating fits on a seeded
    /// half of them and tests on the rest (or on `--test`); a deployed model learns from
    /// all of them. Threshold from the training scores.
    #[default]
    Profile,
    /// Fit on every row without labels; threshold by contamination. The reference
    /// notebook's setting.
    Unsupervised,
    /// Zong et al. (ICLR 2018): `normal` is the anomaly class; fit on half the attack
    /// rows; flag the top 20% of train+test scores. Evaluation only.
    Dagmm,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Profile => "profile",
            Protocol::Unsupervised => "unsupervised",
            Protocol::Dagmm => "dagmm",
        }
    }
}

/// What the fitted detectors are for: judging them on rows they did not learn from, or
/// a model to deploy (which learns from every row its protocol allows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Evaluate,
    Deploy,
}

/// Why the rows cannot be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitError {
    /// The protocol needs labels and the data has none.
    Unlabelled,
    /// No row of the class the protocol fits on (`"normal"` or `"attack"`).
    NoRows { class: &'static str },
    /// The protocol only evaluates (dagmm).
    NotDeployable,
}

/// The rows of a dataset a protocol fits on and the rows it holds out for testing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSplit {
    pub protocol: Protocol,
    pub purpose: Purpose,
    pub seed: u64,
    /// Rows the encoder and the detectors learn from, in file order.
    pub fit: Vec<usize>,
    /// Rows held out for testing, in file order (empty for a deployed model).
    pub held_out: Vec<usize>,
}

impl RowSplit {
    /// Splits `data`'s rows as `protocol` does for `purpose` (profile and dagmm
    /// evaluations draw a seeded half of their class).
    pub fn new(
        data: &Dataset,
        protocol: Protocol,
        purpose: Purpose,
        seed: u64,
    ) -> Result<RowSplit, SplitError> {
        let all = 0..data.len();
        let attack = |r: usize| data.is_attack(r).unwrap_or(false);
        let class_rows = |want_attack: bool| -> Result<Vec<usize>, SplitError> {
            if !data.has_labels() {
                return Err(SplitError::Unlabelled);
            }
            let rows: Vec<usize> = all.clone().filter(|&r| attack(r) == want_attack).collect();
            if rows.is_empty() {
                return Err(SplitError::NoRows {
                    class: if want_attack { "attack" } else { "normal" },
                });
            }
            Ok(rows)
        };
        // Half of one class fits; the other half and the other class are held out.
        let halves = |want_attack: bool| -> Result<(Vec<usize>, Vec<usize>), SplitError> {
            let (fit, mut held_out) = seeded_split(&class_rows(want_attack)?, 0.5, seed);
            held_out.extend(all.clone().filter(|&r| attack(r) != want_attack));
            held_out.sort_unstable();
            Ok((fit, held_out))
        };
        let (fit, held_out) = match (protocol, purpose) {
            (Protocol::Profile, Purpose::Evaluate) => halves(false)?,
            (Protocol::Profile, Purpose::Deploy) => (class_rows(false)?, Vec::new()),
            (Protocol::Unsupervised, Purpose::Evaluate) => (all.clone().collect(), all.collect()),
            (Protocol::Unsupervised, Purpose::Deploy) => (all.collect(), Vec::new()),
            (Protocol::Dagmm, Purpose::Evaluate) => halves(true)?,
            (Protocol::Dagmm, Purpose::Deploy) => return Err(SplitError::NotDeployable),
        };
        Ok(RowSplit {
            protocol,
            purpose,
            seed,
            fit,
            held_out,
        })
    }

    /// Which rows the detectors learned from, in words.
    pub fn selection(&self) -> String {
        let seed = self.seed;
        match (self.protocol, self.purpose) {
            (Protocol::Profile, Purpose::Evaluate) => {
                format!("a seeded half of the normal rows (seed {seed})")
            }
            (Protocol::Profile, Purpose::Deploy) => "every normal row".into(),
            (Protocol::Unsupervised, _) => "every row, labels unused".into(),
            (Protocol::Dagmm, _) => format!("a seeded half of the attack rows (seed {seed})"),
        }
    }

    /// What a bundle's manifest records of the rows its detectors were fitted on: the
    /// source, the protocol and seed, the rule in words, the count, and a SHA-256 of the
    /// row numbers (0-based, as little-endian u64s) that pins down exactly which rows.
    pub fn training_record(&self, data: &Dataset) -> serde_json::Value {
        let mut digest = Sha256::new();
        for &r in &self.fit {
            digest.update((r as u64).to_le_bytes());
        }
        let rows_sha256: String = digest
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        serde_json::json!({
            "source": data.source,
            "protocol": self.protocol,
            "seed": self.seed,
            "rows": self.fit.len(),
            "rows_in_file": data.len(),
            "selection": self.selection(),
            "rows_sha256": rows_sha256,
        })
    }
}

/// How the detectors are fitted: what `evaluate`, `train` and the dashboard share.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// The detectors to fit, in this order.
    pub detectors: Vec<DetectorKind>,
    pub feature_set: FeatureSet,
    /// Seed of the row split; replaces the seeds of both detectors' configurations.
    pub seed: u64,
    /// Drop numeric features that are constant on the training rows.
    pub drop_constant: bool,
    pub iforest: IsolationForestConfig,
    pub autoencoder: AutoencoderConfig,
    /// Where the autoencoder reports training progress.
    pub observer: TrainObserver,
    /// Raised to stop the autoencoder's training early (it keeps the last finished epoch).
    pub cancel: Arc<AtomicBool>,
}

impl Default for FitConfig {
    fn default() -> Self {
        FitConfig {
            detectors: DetectorKind::ALL.to_vec(),
            feature_set: FeatureSet::All,
            seed: 0,
            drop_constant: false,
            iforest: IsolationForestConfig::recommended(),
            autoencoder: AutoencoderConfig::default(),
            observer: TrainObserver::silent(),
            cancel: Arc::default(),
        }
    }
}

impl FitConfig {
    /// The encoder fitted on the rows the detectors learn from; `None` when no row is
    /// usable.
    pub fn fit_encoder(&self, data: &Dataset, rows: &[usize]) -> Option<Encoder> {
        let config = EncoderConfig {
            feature_set: self.feature_set,
            drop_constant: self.drop_constant,
        };
        Encoder::fit(data, rows, &config).ok()
    }
}

/// Why a detector could not be fitted.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("isolation forest: {0}")]
    IForest(String),
    #[error("autoencoder: {0}")]
    Autoencoder(#[from] AutoencoderError),
}

/// A detector fitted on the training rows, with its scores of those rows (where
/// thresholds come from).
#[derive(Debug)]
pub struct FittedDetector {
    pub detector: Detector,
    pub train_scores: Vec<f64>,
    pub fit_seconds: f64,
}

/// Fits one detector on the encoded training rows and scores them.
pub fn fit_detector(
    kind: DetectorKind,
    train: &Matrix,
    encoder: &Encoder,
    config: &FitConfig,
) -> Result<FittedDetector, FitError> {
    let started = Instant::now();
    let detector = match kind {
        DetectorKind::Iforest => {
            let forest_config = IsolationForestConfig {
                seed: config.seed,
                ..config.iforest.clone()
            };
            let scales = SplitScale::for_encoder(encoder);
            Detector::Forest(
                IsolationForest::fit_with_scales(train, &forest_config, &scales)
                    .map_err(|e| FitError::IForest(e.to_string()))?,
            )
        }
        DetectorKind::Autoencoder => {
            let ae_config = AutoencoderConfig {
                seed: config.seed,
                ..config.autoencoder.clone()
            };
            Detector::Autoencoder(autoencoder::train(
                train,
                &ae_config,
                &config.observer,
                &config.cancel,
            )?)
        }
    };
    let train_scores = detector.score(train)?;
    Ok(FittedDetector {
        detector,
        train_scores,
        fit_seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::demo::{SynthConfig, generate};

    #[test]
    fn each_protocol_splits_as_documented() {
        let data = generate(&SynthConfig {
            rows: 1000,
            seed: 3,
            attack_fraction: 0.2,
        });
        let normal = (0..data.len())
            .filter(|&r| data.is_attack(r) == Some(false))
            .count();
        let split = |p, purpose| RowSplit::new(&data, p, purpose, 5).unwrap();

        let eval = split(Protocol::Profile, Purpose::Evaluate);
        assert_eq!(eval.fit.len(), normal / 2);
        assert_eq!(eval.fit.len() + eval.held_out.len(), data.len());
        assert!(eval.fit.iter().all(|&r| data.is_attack(r) == Some(false)));
        assert!(eval.fit.iter().all(|r| !eval.held_out.contains(r)));
        assert_eq!(eval, split(Protocol::Profile, Purpose::Evaluate));

        let deploy = split(Protocol::Profile, Purpose::Deploy);
        assert_eq!((deploy.fit.len(), deploy.held_out.len()), (normal, 0));

        let dagmm = split(Protocol::Dagmm, Purpose::Evaluate);
        assert!(dagmm.fit.iter().all(|&r| data.is_attack(r) == Some(true)));
        assert_eq!(
            RowSplit::new(&data, Protocol::Dagmm, Purpose::Deploy, 5),
            Err(SplitError::NotDeployable)
        );
        let all = split(Protocol::Unsupervised, Purpose::Evaluate);
        assert_eq!((all.fit.len(), all.held_out.len()), (1000, 1000));
    }

    #[test]
    fn the_training_record_pins_the_rows() {
        let data = generate(&SynthConfig {
            rows: 500,
            seed: 3,
            attack_fraction: 0.2,
        });
        let a = RowSplit::new(&data, Protocol::Profile, Purpose::Evaluate, 1).unwrap();
        let b = RowSplit::new(&data, Protocol::Profile, Purpose::Evaluate, 2).unwrap();
        let (ra, rb) = (a.training_record(&data), b.training_record(&data));
        assert_eq!(ra["rows"], a.fit.len());
        assert_eq!(ra["selection"], "a seeded half of the normal rows (seed 1)");
        assert_ne!(ra["rows_sha256"], rb["rows_sha256"]);
        assert_eq!(ra, a.training_record(&data));
        let unlabelled = Dataset::new("x");
        assert_eq!(
            RowSplit::new(&unlabelled, Protocol::Profile, Purpose::Deploy, 0),
            Err(SplitError::Unlabelled)
        );
    }
}
