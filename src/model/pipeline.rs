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
use crate::detect::fusion::FusedDetector;
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
    /// all of them. Thresholds from normal rows held out of the fit (calibration).
    #[default]
    Profile,
    /// Fit on every row without labels; threshold by contamination (of held-out rows).
    /// The reference notebook's setting.
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

/// What the fitted detectors are for: judging them on rows of the same file they did
/// not learn from, judging them on another file, or a model to deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Test on the rows the split holds out (a seeded half of the class for profile).
    Evaluate,
    /// Test on another file (`--test`): learn from every row the protocol allows, as a
    /// deployed model does (dagmm still fits its half).
    EvaluateOnOther,
    Deploy,
}

impl Purpose {
    /// An evaluation's purpose: on another file when one is given (nothing of the
    /// training file need then be held out for testing), else on the held-out rows.
    pub fn evaluating(on_another_file: bool) -> Self {
        if on_another_file {
            Purpose::EvaluateOnOther
        } else {
            Purpose::Evaluate
        }
    }
}

/// The share of the rows a protocol learns from that is held back to calibrate the
/// thresholds: scores of rows a detector was fitted on are optimistic (an autoencoder
/// reconstructs them better than new normal traffic), so "the 99th percentile" is
/// taken over rows it has never seen and means about 1% false alarms on new traffic.
pub const CALIBRATION_SHARE: f64 = 0.2;

/// With fewer calibration rows than this, thresholds come from the training scores: a
/// percentile of a few dozen rows says little.
pub const MIN_CALIBRATION_ROWS: usize = 50;

/// Offsets the calibration draw's seed from the split's, so the two are independent.
const CALIBRATION_SEED: u64 = 0xca11_b4a7_e000_0000;

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

/// The rows of a dataset a protocol fits on, the rows that calibrate its thresholds,
/// and the rows it holds out for testing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowSplit {
    pub protocol: Protocol,
    pub purpose: Purpose,
    pub seed: u64,
    /// Rows the encoder and the detectors learn from, in file order.
    pub fit: Vec<usize>,
    /// Rows of the same kind as `fit`, never learned from, whose scores set the
    /// thresholds (empty: the thresholds come from the training scores), in file order.
    pub calibration: Vec<usize>,
    /// Rows held out for testing, in file order (empty for a deployed model or a test
    /// on another file).
    pub held_out: Vec<usize>,
}

impl RowSplit {
    /// Splits `data`'s rows as `protocol` does for `purpose` (profile and dagmm
    /// evaluations draw a seeded half of their class; profile and unsupervised hold
    /// [`CALIBRATION_SHARE`] of what is left back for calibration).
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
        let (pool, held_out) = match (protocol, purpose) {
            (Protocol::Profile, Purpose::Evaluate) => halves(false)?,
            (Protocol::Profile, Purpose::EvaluateOnOther | Purpose::Deploy) => {
                (class_rows(false)?, Vec::new())
            }
            (Protocol::Unsupervised, Purpose::Evaluate) => (all.clone().collect(), all.collect()),
            (Protocol::Unsupervised, Purpose::EvaluateOnOther | Purpose::Deploy) => {
                (all.collect(), Vec::new())
            }
            (Protocol::Dagmm, Purpose::Evaluate) => halves(true)?,
            (Protocol::Dagmm, Purpose::EvaluateOnOther) => (halves(true)?.0, Vec::new()),
            (Protocol::Dagmm, Purpose::Deploy) => return Err(SplitError::NotDeployable),
        };
        // dagmm sets its threshold on train and test scores together, as its paper does.
        let calibrated = protocol != Protocol::Dagmm
            && (pool.len() as f64 * CALIBRATION_SHARE).round() as usize >= MIN_CALIBRATION_ROWS;
        let (calibration, fit) = if calibrated {
            seeded_split(&pool, CALIBRATION_SHARE, seed ^ CALIBRATION_SEED)
        } else {
            (Vec::new(), pool)
        };
        Ok(RowSplit {
            protocol,
            purpose,
            seed,
            fit,
            calibration,
            held_out,
        })
    }

    /// Which rows the detectors learned from, in words.
    pub fn selection(&self) -> String {
        let seed = self.seed;
        let rows = match (self.protocol, self.purpose) {
            (Protocol::Profile, Purpose::Evaluate) => {
                format!("a seeded half of the normal rows (seed {seed})")
            }
            (Protocol::Profile, _) => "every normal row".into(),
            (Protocol::Unsupervised, _) => "every row, labels unused".into(),
            (Protocol::Dagmm, _) => format!("a seeded half of the attack rows (seed {seed})"),
        };
        if self.calibration.is_empty() {
            rows
        } else {
            format!(
                "{rows}, less a seeded {:.0}% held out to calibrate the thresholds",
                CALIBRATION_SHARE * 100.0
            )
        }
    }

    /// Whether the thresholds are set on held-out normal rows, so that the share they
    /// flag there is the false-alarm rate to expect on new normal traffic.
    pub fn calibrates_on_normals(&self) -> bool {
        self.protocol == Protocol::Profile && !self.calibration.is_empty()
    }

    /// Where the thresholds come from, in words.
    pub fn threshold_source(&self) -> &'static str {
        match (self.protocol, self.calibration.is_empty()) {
            (Protocol::Dagmm, _) => "training and test scores together",
            (Protocol::Profile, false) => "held-out normal rows (calibration)",
            (_, false) => "held-out rows (calibration)",
            (_, true) => "the training rows (too few rows to hold any out)",
        }
    }

    /// What a bundle's manifest records of the rows its detectors were fitted on: the
    /// source, the protocol and seed, the rule in words, the count, and a SHA-256 of the
    /// row numbers (0-based, as little-endian u64s) that pins down exactly which rows;
    /// the same for the calibration rows.
    pub fn training_record(&self, data: &Dataset) -> serde_json::Value {
        serde_json::json!({
            "source": data.source,
            "protocol": self.protocol,
            "seed": self.seed,
            "rows": self.fit.len(),
            "rows_in_file": data.len(),
            "selection": self.selection(),
            "rows_sha256": rows_sha256(&self.fit),
            "calibration_rows": self.calibration.len(),
            "calibration_sha256": rows_sha256(&self.calibration),
            "thresholds_from": self.threshold_source(),
        })
    }
}

/// A SHA-256 of row numbers (0-based, as little-endian u64s).
fn rows_sha256(rows: &[usize]) -> String {
    let mut digest = Sha256::new();
    for &r in rows {
        digest.update((r as u64).to_le_bytes());
    }
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How the detectors are fitted: what `evaluate`, `train` and the dashboard share.
#[derive(Debug, Clone)]
pub struct FitConfig {
    /// The detectors to fit, in this order.
    pub detectors: Vec<DetectorKind>,
    pub feature_set: FeatureSet,
    /// Seed of the row split; replaces the seeds of the detectors' configurations.
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
    #[error("fused: {0}")]
    Fused(String),
}

/// A detector fitted on the training rows, with its scores of those rows and of the
/// calibration rows (where thresholds come from, when there are any).
#[derive(Debug, Clone)]
pub struct FittedDetector {
    /// Shared: a fused detector holds its parts.
    pub detector: Arc<Detector>,
    pub train_scores: Vec<f64>,
    /// Scores of the calibration rows; `None` when the split has none.
    pub calibration_scores: Option<Vec<f64>>,
    pub fit_seconds: f64,
}

impl FittedDetector {
    /// The scores thresholds are set on: the calibration rows', else the training rows'.
    pub fn reference_scores(&self) -> &[f64] {
        self.calibration_scores
            .as_deref()
            .unwrap_or(&self.train_scores)
    }
}

/// Fits one detector on the encoded training rows and scores them and the calibration
/// rows. The fused detector is made from its parts among `earlier` (the detectors
/// fitted before it on the same rows), whose scores it fuses.
pub fn fit_detector(
    kind: DetectorKind,
    train: &Matrix,
    calibration: Option<&Matrix>,
    encoder: &Encoder,
    config: &FitConfig,
    earlier: &[FittedDetector],
) -> Result<FittedDetector, FitError> {
    if kind == DetectorKind::Fused {
        return fit_fused(earlier);
    }
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
        DetectorKind::Fused => unreachable!("fitted from its parts above"),
    };
    let train_scores = detector.score(train)?;
    let calibration_scores = calibration
        .filter(|m| m.rows() > 0)
        .map(|m| detector.score(m))
        .transpose()?;
    Ok(FittedDetector {
        detector: Arc::new(detector),
        train_scores,
        calibration_scores,
        fit_seconds: started.elapsed().as_secs_f64(),
    })
}

/// The fused detector of the parts in `earlier`: each part's scores are put on the
/// common scale by its reference scores, and its training and calibration scores are
/// the fusion of the parts' (nothing is scored again).
fn fit_fused(earlier: &[FittedDetector]) -> Result<FittedDetector, FitError> {
    let started = Instant::now();
    let parts: Vec<&FittedDetector> = crate::detect::fusion::PARTS
        .iter()
        .map(|&kind| {
            earlier
                .iter()
                .find(|f| f.detector.kind() == kind)
                .ok_or_else(|| FitError::Fused(format!("needs {} fitted first", kind.name())))
        })
        .collect::<Result<_, _>>()?;
    let fused = FusedDetector::new(
        parts
            .iter()
            .map(|f| (Arc::clone(&f.detector), f.reference_scores())),
    )
    .ok_or_else(|| FitError::Fused("a part has no finite reference score".into()))?;
    let fuse = |scores: &dyn Fn(&FittedDetector) -> Option<&[f64]>| {
        let part_scores: Option<Vec<&[f64]>> = parts.iter().map(|f| scores(f)).collect();
        part_scores.map(|p| fused.fuse_scores(&p))
    };
    let train_scores = fuse(&|f| Some(&f.train_scores)).unwrap_or_default();
    let calibration_scores = fuse(&|f| f.calibration_scores.as_deref());
    Ok(FittedDetector {
        detector: Arc::new(Detector::Fused(fused)),
        train_scores,
        calibration_scores,
        fit_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Fits every detector of `config` on the same rows (a fused one after its parts, which
/// are fitted even when not asked for); stops at the first error.
pub fn fit_detectors(
    train: &Matrix,
    calibration: Option<&Matrix>,
    encoder: &Encoder,
    config: &FitConfig,
) -> Result<Vec<FittedDetector>, FitError> {
    let mut fitted: Vec<FittedDetector> = Vec::new();
    for kind in DetectorKind::with_parts(&config.detectors) {
        let f = fit_detector(kind, train, calibration, encoder, config, &fitted)?;
        fitted.push(f);
    }
    Ok(fitted)
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
        // Half the normal rows; a fifth of them calibrates instead of fitting.
        let half = normal / 2;
        let calibration = (half as f64 * CALIBRATION_SHARE).round() as usize;
        assert_eq!(
            (eval.fit.len(), eval.calibration.len()),
            (half - calibration, calibration)
        );
        assert_eq!(
            eval.fit.len() + eval.calibration.len() + eval.held_out.len(),
            data.len()
        );
        for rows in [&eval.fit, &eval.calibration] {
            assert!(rows.iter().all(|&r| data.is_attack(r) == Some(false)));
            assert!(rows.iter().all(|r| !eval.held_out.contains(r)));
        }
        assert!(eval.fit.iter().all(|r| !eval.calibration.contains(r)));
        assert_eq!(eval, split(Protocol::Profile, Purpose::Evaluate));

        // A deployed model and a test on another file learn from every normal row.
        for purpose in [Purpose::Deploy, Purpose::EvaluateOnOther] {
            let all = split(Protocol::Profile, purpose);
            assert_eq!(all.fit.len() + all.calibration.len(), normal);
            assert_eq!(
                all.calibration.len(),
                (normal as f64 * CALIBRATION_SHARE).round() as usize
            );
            assert!(all.held_out.is_empty());
        }

        let dagmm = split(Protocol::Dagmm, Purpose::Evaluate);
        assert!(dagmm.fit.iter().all(|&r| data.is_attack(r) == Some(true)));
        assert!(
            dagmm.calibration.is_empty(),
            "dagmm thresholds on train+test"
        );
        assert_eq!(
            RowSplit::new(&data, Protocol::Dagmm, Purpose::Deploy, 5),
            Err(SplitError::NotDeployable)
        );
        let all = split(Protocol::Unsupervised, Purpose::Evaluate);
        assert_eq!(
            (all.fit.len(), all.calibration.len(), all.held_out.len()),
            (800, 200, 1000)
        );

        // Too few rows to hold any out: thresholds from the training scores.
        let small = generate(&SynthConfig {
            rows: 200,
            seed: 3,
            attack_fraction: 0.2,
        });
        let few = RowSplit::new(&small, Protocol::Profile, Purpose::Evaluate, 5).unwrap();
        assert!(few.calibration.is_empty());
        assert!(few.threshold_source().starts_with("the training rows"));
    }

    #[test]
    fn the_training_record_pins_the_rows() {
        let data = generate(&SynthConfig {
            rows: 1000,
            seed: 3,
            attack_fraction: 0.2,
        });
        let a = RowSplit::new(&data, Protocol::Profile, Purpose::Evaluate, 1).unwrap();
        let b = RowSplit::new(&data, Protocol::Profile, Purpose::Evaluate, 2).unwrap();
        let (ra, rb) = (a.training_record(&data), b.training_record(&data));
        assert_eq!(ra["rows"], a.fit.len());
        assert_eq!(
            ra["selection"],
            "a seeded half of the normal rows (seed 1), less a seeded 20% held out to \
             calibrate the thresholds"
        );
        assert_eq!(ra["calibration_rows"], a.calibration.len());
        assert_ne!(ra["calibration_sha256"], rb["calibration_sha256"]);
        assert_ne!(ra["rows_sha256"], rb["rows_sha256"]);
        assert_eq!(ra, a.training_record(&data));
        let unlabelled = Dataset::new("x");
        assert_eq!(
            RowSplit::new(&unlabelled, Protocol::Profile, Purpose::Deploy, 0),
            Err(SplitError::Unlabelled)
        );
    }
}
