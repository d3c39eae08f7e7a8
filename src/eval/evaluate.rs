//! Evaluation: the pipeline's detectors fitted on a protocol's training rows and judged
//! on its test rows — where the threshold comes from, which class counts as the
//! anomaly, and the metrics.

use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::metrics::{Confusion, SortedScores};
use crate::data::{Dataset, Family};
use crate::detect::autoencoder::{AutoencoderError, StopReason};
use crate::detect::{Detector, Detectors};
use crate::eval::threshold::ScoreDistribution;
pub use crate::eval::threshold::ThresholdRule;
use crate::features::UnseenValues;
use crate::model::pipeline::{
    self, FitConfig, FitError, FittedDetector, Protocol, Purpose, RowSplit, SplitError,
};

/// Everything `evaluate` needs besides the data.
#[derive(Debug, Clone, Default)]
pub struct EvaluateConfig {
    pub protocol: Protocol,
    /// `None`: the protocol's default (percentile 99 for profile, contamination 0.1 for
    /// unsupervised; dagmm always uses its fixed 20%).
    pub threshold: Option<ThresholdRule>,
    /// Which detectors, on which features, with which settings and seed.
    pub fit: FitConfig,
}

/// Why an evaluation cannot run.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    #[error(
        "{path} has no labels; the {protocol} protocol needs labelled rows (use `score` for unlabelled data)"
    )]
    Unlabelled {
        path: String,
        protocol: &'static str,
    },
    #[error("{path} has no {class} rows to train on under the {protocol} protocol")]
    NoTrainingRows {
        path: String,
        class: &'static str,
        protocol: &'static str,
    },
    #[error("the test set is empty")]
    NoTestRows,
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error("autoencoder: {0}")]
    Autoencoder(#[from] AutoencoderError),
    #[error("scores: {0}")]
    Scores(#[from] super::metrics::MetricsError),
}

/// Detection rate for one attack family (or normal rows, under dagmm).
#[derive(Debug, Clone, Serialize)]
pub struct FamilyRate {
    pub family: Family,
    pub rows: usize,
    pub flagged: usize,
    pub rate: f64,
    /// For a family of the anomaly class: the ROC AUC of its rows alone against every
    /// test row outside that class, threshold-free. Nothing is fitted or tuned on
    /// attacks, so each family's figure is already one left out of everything the
    /// detector learned (`None` for the other class, or without both classes).
    pub roc_auc: Option<f64>,
}

/// One detector's figures on the test rows.
#[derive(Debug, Clone, Serialize)]
pub struct DetectorReport {
    pub roc_auc: Option<f64>,
    /// Average precision (area under the precision–recall curve).
    pub pr_auc: Option<f64>,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub accuracy: f64,
    pub threshold: f64,
    /// Test rows flagged and their fraction.
    pub flagged: u64,
    pub flagged_fraction: f64,
    /// Fraction of the rows the threshold was set on (the calibration rows, else the
    /// training rows) that it actually flags (whole tie blocks are flagged or not, so
    /// this may differ from the one asked for).
    pub achieved_contamination: f64,
    /// The false-alarm rate to expect on new normal traffic: the share of held-out
    /// normal calibration rows the threshold flags (profile protocol only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_false_alarm_rate: Option<f64>,
    /// The false-alarm rate achieved: flagged rows among the test rows that are not
    /// of the anomaly class (`None` when there are none).
    pub test_false_alarm_rate: Option<f64>,
    pub confusion: Confusion,
    pub fit_seconds: f64,
    pub score_seconds: f64,
    pub per_family: Vec<FamilyRate>,
    /// Autoencoder only: epochs trained, the epoch whose weights were kept, and its
    /// validation loss (`None` without a validation split).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epochs_run: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best_epoch: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_val_loss: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop: Option<StopReason>,
    /// Test-row scores, in test order (for plots; not in the JSON).
    #[serde(skip)]
    pub test_scores: Vec<f64>,
    /// The scores the threshold was set on (the calibration rows', else the training
    /// rows'; not in the JSON).
    #[serde(skip)]
    pub reference_scores: Vec<f64>,
}

/// Which rows went where.
#[derive(Debug, Clone, Serialize)]
pub struct RowCounts {
    pub train: usize,
    /// Rows held out of the fit whose scores set the thresholds (0: none).
    pub calibration: usize,
    pub test: usize,
    /// Positives (anomaly class) among the test rows.
    pub test_anomalies: usize,
}

/// The result of `evaluate`.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationReport {
    pub protocol: &'static str,
    pub seed: u64,
    pub feature_set: &'static str,
    /// `attack` normally; `normal` under dagmm.
    pub anomaly_class: &'static str,
    pub threshold_rule: ThresholdRule,
    /// Which rows' scores the thresholds were set on, in words.
    pub thresholds_from: &'static str,
    pub rows: RowCounts,
    pub columns: usize,
    pub constant_features: Vec<&'static str>,
    pub unseen_in_test: UnseenValues,
    pub encode_seconds: f64,
    pub detectors: std::collections::BTreeMap<&'static str, DetectorReport>,
    /// Ground truth per test row, true = anomaly class (for plots; not in the JSON).
    #[serde(skip)]
    pub test_truth: Vec<bool>,
}

impl EvaluationReport {
    /// The detectors in the order the dashboard shows them: the forest, then the
    /// autoencoder (the JSON keeps its keys sorted).
    pub fn ordered(&self) -> impl Iterator<Item = (&'static str, &DetectorReport)> + '_ {
        let rank = |name: &str| {
            crate::detect::DetectorKind::ALL
                .iter()
                .position(|k| k.name() == name)
                .unwrap_or(usize::MAX)
        };
        let mut all: Vec<(&'static str, &DetectorReport)> =
            self.detectors.iter().map(|(n, d)| (*n, d)).collect();
        all.sort_by_key(|(n, _)| rank(n));
        all.into_iter()
    }
}

/// The rows a protocol trains and tests on. Test rows may come from another dataset.
struct Plan {
    train: Vec<usize>,
    /// Rows of the training file held out to set the thresholds (may be empty).
    calibration: Vec<usize>,
    thresholds_from: &'static str,
    /// The thresholds come from held-out normal rows (profile with calibration).
    calibrated_on_normals: bool,
    test: Vec<usize>,
    /// Ground truth per test row: true = anomaly class.
    test_truth: Vec<bool>,
    test_families: Vec<Option<Family>>,
    threshold: ThresholdRule,
    /// dagmm fits its threshold on train+test scores together.
    threshold_on_combined: bool,
    anomaly_class: &'static str,
}

/// Runs a protocol. `test` is the optional separate test file.
pub fn evaluate(
    train: &Dataset,
    test: Option<&Dataset>,
    config: &EvaluateConfig,
) -> Result<EvaluationReport, EvaluateError> {
    let plan = plan(train, test, config)?;
    let test_data = test.unwrap_or(train);

    let started = Instant::now();
    let encoder = config.fit.fit_encoder(train, &plan.train).ok_or_else(|| {
        EvaluateError::NoTrainingRows {
            path: train.source.clone(),
            class: "usable",
            protocol: config.protocol.name(),
        }
    })?;
    let (train_matrix, _) = encoder.transform(train, &plan.train);
    let (calibration_matrix, _) = encoder.transform(train, &plan.calibration);
    let mut encode_seconds = started.elapsed().as_secs_f64();

    // Fit each detector and score its training and calibration rows...
    let mut fitted: Vec<Scored> = pipeline::fit_detectors(
        &train_matrix,
        Some(&calibration_matrix),
        &encoder,
        &config.fit,
    )?
    .into_iter()
    .map(|fitted| Scored {
        fitted,
        test_scores: Vec::new(),
        score_seconds: 0.0,
    })
    .collect();
    drop(train_matrix);
    drop(calibration_matrix);
    let detectors: Detectors = fitted
        .iter()
        .map(|f| Arc::clone(&f.fitted.detector))
        .collect();
    // ...then score the test rows a chunk at a time: the test matrix never exists whole
    // (4.9 M rows × 120 columns would be 2.3 GB), so memory does not grow with the test
    // set beyond its scores.
    let mut unseen = UnseenValues::default();
    let mut unseen_counts: std::collections::HashMap<String, usize> = Default::default();
    for chunk in plan.test.chunks(TEST_CHUNK_ROWS) {
        let started = Instant::now();
        let (test_matrix, chunk_unseen) = encoder.transform(test_data, chunk);
        encode_seconds += started.elapsed().as_secs_f64();
        unseen.rows += chunk_unseen.rows;
        for (value, n) in chunk_unseen.values {
            *unseen_counts.entry(value).or_default() += n;
        }
        // Both in report order.
        for (f, s) in fitted.iter_mut().zip(detectors.score_all(&test_matrix)?) {
            f.test_scores.extend(s.scores);
            f.score_seconds += s.seconds;
        }
    }
    unseen.values = unseen_counts.into_iter().collect();
    unseen
        .values
        .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));

    let mut detectors = std::collections::BTreeMap::new();
    for f in fitted {
        let report = judge(
            f.fitted.reference_scores(),
            &f.test_scores,
            &plan,
            f.fitted.fit_seconds,
            f.score_seconds,
        )?;
        let report = match f.fitted.detector.as_ref() {
            Detector::Forest(_) | Detector::Fused(_) => report,
            Detector::Autoencoder(model) => {
                let summary = model.summary();
                DetectorReport {
                    epochs_run: Some(summary.epochs_run),
                    best_epoch: Some(summary.weights_epoch),
                    final_val_loss: summary.final_validation_loss,
                    stop: Some(summary.stop),
                    ..report
                }
            }
        };
        detectors.insert(f.fitted.detector.kind().name(), report);
    }
    Ok(EvaluationReport {
        protocol: config.protocol.name(),
        seed: config.fit.seed,
        feature_set: config.fit.feature_set.name(),
        anomaly_class: plan.anomaly_class,
        threshold_rule: plan.threshold,
        thresholds_from: plan.thresholds_from,
        rows: RowCounts {
            train: plan.train.len(),
            calibration: plan.calibration.len(),
            test: plan.test.len(),
            test_anomalies: plan.test_truth.iter().filter(|&&t| t).count(),
        },
        columns: encoder.n_columns(),
        constant_features: encoder.constant_features(),
        unseen_in_test: unseen,
        encode_seconds,
        detectors,
        test_truth: plan.test_truth,
    })
}

fn plan(
    train: &Dataset,
    test: Option<&Dataset>,
    config: &EvaluateConfig,
) -> Result<Plan, EvaluateError> {
    let protocol = config.protocol.name();
    let unlabelled = |d: &Dataset| EvaluateError::Unlabelled {
        path: d.source.clone(),
        protocol,
    };
    let test_data = test.unwrap_or(train);
    if !test_data.has_labels() {
        return Err(unlabelled(test_data));
    }
    let attack = |d: &Dataset, r: usize| d.is_attack(r).unwrap_or(false);
    let purpose = Purpose::evaluating(test.is_some());
    let split = RowSplit::new(train, config.protocol, purpose, config.fit.seed).map_err(|e| {
        match e {
            SplitError::Unlabelled => unlabelled(train),
            SplitError::NoRows { class } => EvaluateError::NoTrainingRows {
                path: train.source.clone(),
                class,
                protocol,
            },
            // Every protocol evaluates.
            SplitError::NotDeployable => EvaluateError::NoTestRows,
        }
    })?;
    let thresholds_from = split.threshold_source();
    let calibrated_on_normals = split.calibrates_on_normals();
    let test_rows = match test {
        Some(t) => (0..t.len()).collect(),
        None => split.held_out,
    };
    let (threshold, combined, anomaly_is_attack) = match config.protocol {
        Protocol::Profile => (
            config
                .threshold
                .unwrap_or(ThresholdRule::Percentile { percentile: 99.0 }),
            false,
            true,
        ),
        Protocol::Unsupervised => (
            config
                .threshold
                .unwrap_or(ThresholdRule::Contamination { contamination: 0.1 }),
            false,
            true,
        ),
        Protocol::Dagmm => (
            ThresholdRule::Contamination { contamination: 0.2 },
            true,
            false,
        ),
    };
    let train_rows = split.fit;
    if train_rows.is_empty() {
        return Err(EvaluateError::NoTrainingRows {
            path: train.source.clone(),
            class: "normal",
            protocol,
        });
    }
    if test_rows.is_empty() {
        return Err(EvaluateError::NoTestRows);
    }
    let test_truth = test_rows
        .iter()
        .map(|&r| attack(test_data, r) == anomaly_is_attack)
        .collect();
    let test_families = test_rows.iter().map(|&r| test_data.family(r)).collect();
    Ok(Plan {
        train: train_rows,
        calibration: split.calibration,
        thresholds_from,
        calibrated_on_normals,
        test: test_rows,
        test_truth,
        test_families,
        threshold,
        threshold_on_combined: combined,
        anomaly_class: if anomaly_is_attack {
            "attack"
        } else {
            "normal"
        },
    })
}

/// Test rows encoded and scored at a time.
const TEST_CHUNK_ROWS: usize = 1 << 18;

/// A fitted detector and its scores of the test rows so far.
struct Scored {
    fitted: FittedDetector,
    test_scores: Vec<f64>,
    score_seconds: f64,
}

/// Threshold from the reference scores (calibration or training), then metrics on the
/// test scores.
fn judge(
    reference_scores: &[f64],
    test_scores: &[f64],
    plan: &Plan,
    fit_seconds: f64,
    score_seconds: f64,
) -> Result<DetectorReport, EvaluateError> {
    let reference = if plan.threshold_on_combined {
        let mut all = reference_scores.to_vec();
        all.extend_from_slice(test_scores);
        ScoreDistribution::new(&all)?
    } else {
        ScoreDistribution::new(reference_scores)?
    };
    let threshold = reference.threshold(plan.threshold);
    let sorted = SortedScores::new(test_scores, Some(&plan.test_truth))?;
    let confusion = sorted.confusion_at(threshold.value).unwrap_or_default();
    let per_family = family_rates(
        test_scores,
        &plan.test_families,
        &plan.test_truth,
        threshold.value,
    );
    Ok(DetectorReport {
        roc_auc: sorted.roc_auc(),
        pr_auc: sorted.average_precision(),
        precision: confusion.precision(),
        recall: confusion.recall(),
        f1: confusion.f1(),
        accuracy: confusion.accuracy(),
        threshold: threshold.value,
        flagged: confusion.tp + confusion.fp,
        flagged_fraction: (confusion.tp + confusion.fp) as f64 / test_scores.len().max(1) as f64,
        achieved_contamination: threshold.contamination,
        // Calibration rows of the profile protocol are normal rows the detector never
        // saw: the share it flags there is the false-alarm rate to expect.
        expected_false_alarm_rate: plan
            .calibrated_on_normals
            .then_some(threshold.contamination),
        test_false_alarm_rate: confusion.false_alarm_rate(),
        confusion,
        fit_seconds,
        score_seconds,
        per_family,
        epochs_run: None,
        best_epoch: None,
        final_val_loss: None,
        stop: None,
        test_scores: test_scores.to_vec(),
        reference_scores: reference_scores.to_vec(),
    })
}

fn family_rates(
    scores: &[f64],
    families: &[Option<Family>],
    truth: &[bool],
    threshold: f64,
) -> Vec<FamilyRate> {
    let mut rows = [0usize; 6];
    let mut flagged = [0usize; 6];
    // Per family of the anomaly class: the summed share of negative rows each of its
    // rows outscores (ties count half), which over its rows is its ROC AUC.
    let mut negatives: Vec<f64> = scores
        .iter()
        .zip(truth)
        .filter(|&(s, &t)| !t && !s.is_nan())
        .map(|(&s, _)| s)
        .collect();
    negatives.sort_by(f64::total_cmp);
    let n = negatives.len() as f64;
    let mut wins = [0f64; 6];
    let mut positives = [0usize; 6];
    for ((&s, family), &t) in scores.iter().zip(families).zip(truth) {
        if let Some(f) = family {
            let i = Family::ALL.iter().position(|x| x == f).unwrap_or(5);
            rows[i] += 1;
            flagged[i] += usize::from(s >= threshold);
            if t && n > 0.0 {
                let below = negatives.partition_point(|&x| x < s);
                let ties = negatives[below..].partition_point(|&x| x <= s);
                wins[i] += (below as f64 + 0.5 * ties as f64) / n;
                positives[i] += 1;
            }
        }
    }
    Family::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| rows[*i] > 0)
        .map(|(i, &family)| FamilyRate {
            family,
            rows: rows[i],
            flagged: flagged[i],
            rate: flagged[i] as f64 / rows[i] as f64,
            roc_auc: (positives[i] > 0).then(|| wins[i] / positives[i] as f64),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_attack_family_gets_its_own_auc_against_the_normal_rows() {
        // Normal rows score 0..4; dos rows all above them; probe rows tie or sit
        // below half of them.
        let scores = [0.0, 1.0, 2.0, 3.0, 9.0, 8.0, 1.0, 3.0];
        let families = [
            Some(Family::Normal),
            Some(Family::Normal),
            Some(Family::Normal),
            Some(Family::Normal),
            Some(Family::Dos),
            Some(Family::Dos),
            Some(Family::Probe),
            Some(Family::Probe),
        ];
        let truth = [false, false, false, false, true, true, true, true];
        let rates = family_rates(&scores, &families, &truth, 2.5);
        let by = |f: Family| rates.iter().find(|r| r.family == f).unwrap();
        assert_eq!(by(Family::Normal).roc_auc, None);
        assert_eq!(by(Family::Normal).flagged, 1);
        assert_eq!(by(Family::Dos).roc_auc, Some(1.0));
        // Probe 1.0 beats 1 normal and ties 1 (1.5 of 4); 3.0 beats 3 and ties 1 (3.5).
        assert_eq!(by(Family::Probe).roc_auc, Some((1.5 + 3.5) / 8.0));
        assert_eq!(by(Family::Probe).rate, 0.5);
    }
}
