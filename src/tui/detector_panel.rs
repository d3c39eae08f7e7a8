//! One detector's panel state: where it is, its trained result (scores, sorted scores
//! and curves, shared with the worker through the `Arc`), the slider and the threshold
//! in force with what it flags.

use std::sync::Arc;

use rayon::slice::ParallelSliceMut;

use super::histogram::Histogram;
use super::slider::{ThresholdMode, contamination_step, k_step, log_step};
use crate::detect::DetectorKind;
use crate::eval::metrics::{Confusion, PrPoint, RocPoint, SortedScores};
use crate::eval::threshold::ThresholdRule;
use crate::format::significant;
use crate::model::store::SavedThreshold;
use crate::worker::DetectorResult;

/// Where a detector is.
#[derive(Debug, Clone, PartialEq)]
pub enum DetectorState {
    Waiting,
    Training,
    Ready,
    Failed(String),
}

/// One detector's panel state: threshold, metrics and histograms; scores and curves
/// are read from `result`.
#[derive(Debug, Clone)]
pub struct DetectorPanel {
    pub kind: DetectorKind,
    pub state: DetectorState,
    pub result: Option<Arc<DetectorResult>>,
    pub mode: ThresholdMode,
    /// Slider position (meaning depends on the mode).
    pub step: i32,
    /// The threshold in force and what it flags on the training rows.
    pub threshold: Option<SavedThreshold>,
    pub confusion: Option<Confusion>,
    /// Test rows flagged at the threshold.
    pub flagged: usize,
    pub histogram: Histogram,
    pub log_histogram: Histogram,
    /// Test positions by score, highest first (ties in row order), ranked once: the
    /// flagged table filters this instead of sorting its rows on every key.
    pub ranking: Vec<usize>,
}

impl DetectorPanel {
    pub fn new(kind: DetectorKind) -> Self {
        DetectorPanel {
            kind,
            state: DetectorState::Waiting,
            result: None,
            mode: ThresholdMode::Contamination,
            step: contamination_step(0.01),
            threshold: None,
            confusion: None,
            flagged: 0,
            histogram: Histogram::default(),
            log_histogram: Histogram::default(),
            ranking: Vec::new(),
        }
    }

    /// Test scores sorted once by the worker, with labels when known: every threshold
    /// move is O(log n).
    pub fn sorted(&self) -> Option<&SortedScores> {
        self.result.as_ref()?.sorted_test.as_ref()
    }

    pub fn roc(&self) -> &[RocPoint] {
        self.result.as_ref().map_or(&[], |r| &r.curves.roc)
    }

    pub fn pr(&self) -> &[PrPoint] {
        self.result.as_ref().map_or(&[], |r| &r.curves.pr)
    }

    pub fn roc_auc(&self) -> Option<f64> {
        self.result.as_ref()?.curves.roc_auc
    }

    pub fn average_precision(&self) -> Option<f64> {
        self.result.as_ref()?.curves.average_precision
    }

    /// The rule the slider stands for.
    pub fn rule(&self) -> ThresholdRule {
        self.mode.rule(self.step, || self.manual_range())
    }

    /// The manual slider's score range: the reference and test scores' extent (kept
    /// positive, since the slider is log-spaced).
    fn manual_range(&self) -> (f64, f64) {
        let train = self
            .result
            .as_ref()
            .map(|r| r.reference.distribution.sorted());
        let bounds = [
            train.and_then(SortedScores::min),
            train.and_then(SortedScores::max),
            self.sorted().and_then(SortedScores::min),
            self.sorted().and_then(SortedScores::max),
        ];
        let lo = bounds
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = bounds
            .iter()
            .flatten()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1e-6 };
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else {
            lo * 10.0
        };
        (lo, hi)
    }

    /// Moves to `mode`, keeping the threshold where it is as far as the new mode
    /// allows; says so when it cannot (a threshold below the training mean has no
    /// k ≥ 0, or one beyond k = 10).
    pub fn set_mode(&mut self, mode: ThresholdMode) -> Option<String> {
        let current = self.threshold.map(|t| t.value);
        let contamination = self.threshold.map(|t| t.training_contamination);
        self.mode = mode;
        let wanted = match (mode, &self.result) {
            (ThresholdMode::MeanStd, Some(r)) => {
                let reference = &r.reference.distribution;
                let (mean, std) = (reference.mean(), reference.std());
                let k = current.map_or(2.0, |v| if std > 0.0 { (v - mean) / std } else { 2.0 });
                k_step(k)
            }
            (ThresholdMode::Manual, _) => {
                let (lo, hi) = self.manual_range();
                log_step(current.unwrap_or(hi), lo, hi)
            }
            _ => contamination_step(contamination.unwrap_or(0.01)),
        };
        self.step = wanted.clamp(0, self.max_step());
        self.apply_threshold();
        let moved = wanted != self.step;
        match (moved, current, self.threshold) {
            (true, Some(before), Some(now)) => Some(format!(
                "threshold {} cannot be kept in {} mode: it is now {} ({})",
                significant(before, 4),
                mode.name(),
                significant(now.value, 4),
                now.rule.describe()
            )),
            _ => None,
        }
    }

    /// The slider's last position in the current mode.
    pub fn max_step(&self) -> i32 {
        self.mode.max_step()
    }

    /// Where the slider's knob is, in [0, 1] (strict on the left, lenient on the right).
    pub fn knob(&self) -> f64 {
        self.mode.knob(self.step)
    }

    /// `→` always flags more rows: contamination up, k and the manual value down.
    pub fn slide(&mut self, steps: i32) {
        self.step = self.mode.slide(self.step, steps);
        self.apply_threshold();
    }

    /// Recomputes the threshold and the confusion matrix from the sorted scores.
    fn apply_threshold(&mut self) {
        let Some(result) = &self.result else {
            return;
        };
        let rule = self.rule();
        let t = result.reference.distribution.threshold(rule);
        self.threshold = Some(SavedThreshold {
            rule,
            value: t.value,
            training_contamination: t.contamination,
            expected_false_alarm_rate: result.reference.on_normals.then_some(t.contamination),
        });
        self.count_flagged(t.value);
    }

    fn count_flagged(&mut self, threshold: f64) {
        if let Some(sorted) = self.sorted() {
            let (flagged, confusion) =
                (sorted.flagged_at(threshold), sorted.confusion_at(threshold));
            self.flagged = flagged;
            self.confusion = confusion;
        }
    }

    /// A trained result arrived: sorting and curves were done by the worker; the
    /// histograms (one pass) and the ranking are built here, once.
    pub fn ready(&mut self, result: Arc<DetectorResult>, truth: Option<&[bool]>) {
        let scores = &result.test_scores;
        self.histogram = Histogram::build(scores, truth, false);
        self.log_histogram = Histogram::build(scores, truth, true);
        self.ranking = (0..scores.len()).collect();
        self.ranking
            .par_sort_unstable_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        self.result = Some(result);
        self.state = DetectorState::Ready;
        self.apply_threshold();
    }

    /// Puts the slider on a saved rule and uses the saved threshold exactly (the slider
    /// snaps to its grid only once it is moved).
    pub fn apply_saved(&mut self, saved: SavedThreshold) {
        (self.mode, self.step) = ThresholdMode::of_rule(saved.rule, || self.manual_range());
        self.threshold = Some(saved);
        self.count_flagged(saved.value);
    }

    pub fn is_flagged(&self, position: usize) -> Option<bool> {
        let (result, threshold) = (self.result.as_ref()?, self.threshold?);
        Some(result.test_scores[position] >= threshold.value)
    }
}
