//! Metrics for binary anomaly detection, computed from one sort of the scores.
//!
//! Conventions, shared by every function here:
//! - a higher score means more anomalous;
//! - the positive class ("anomaly") is `true` in the label slice;
//! - a row is flagged iff `score >= threshold`.
//!
//! [`SortedScores`] sorts once and groups the scores into blocks of identical values
//! with cumulative counts, so that a UI slider can ask for thresholds and confusion
//! matrices by binary search (O(log n) per key press) and the curves cost
//! O(distinct scores). Real detector scores are heavily tied (on KDD Cup 99, ~280k
//! rows share ~200 distinct values), so every cut falls between blocks: rows with
//! the same score are always flagged together, as the rule `score >= threshold`
//! implies.
//!
//! Ranking metrics (ROC, PR, AUC, AP) follow scikit-learn: the curves have one point
//! per distinct score, ROC AUC is the trapezoidal area (ties count 1/2, which equals
//! the Mann–Whitney statistic) and AP is the uninterpolated
//! `Σ (R_k − R_{k−1}) P_k`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Why a score set cannot be ranked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MetricsError {
    /// NaN has no place in an order and ±inf cannot be separated from the
    /// "flag nothing" threshold (+inf), so non-finite scores are rejected rather
    /// than guessed at: they usually reveal a bug upstream (e.g. a diverged model).
    #[error("score #{index} is {value}: scores must be finite")]
    NonFiniteScore { index: usize, value: f64 },
    #[error("{scores} scores but {labels} labels")]
    LengthMismatch { scores: usize, labels: usize },
}

/// A confusion matrix at one threshold.
///
/// The ratio methods return 0.0 when their denominator is zero, as scikit-learn
/// does with `zero_division=0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Confusion {
    pub tp: u64,
    pub fp: u64,
    pub tn: u64,
    /// `fn` is a keyword; serialised as `"fn"`.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

impl Confusion {
    /// All rows. Saturating: fields are public and may be deserialised from anywhere.
    pub fn total(&self) -> u64 {
        self.tp
            .saturating_add(self.fp)
            .saturating_add(self.tn)
            .saturating_add(self.fn_)
    }

    /// Rows flagged as anomalous (`tp + fp`).
    pub fn flagged(&self) -> u64 {
        self.tp.saturating_add(self.fp)
    }

    /// `tp / (tp + fp)`.
    pub fn precision(&self) -> f64 {
        ratio(self.tp, [self.tp, self.fp])
    }

    /// `tp / (tp + fn)`, the true-positive rate.
    pub fn recall(&self) -> f64 {
        ratio(self.tp, [self.tp, self.fn_])
    }

    /// `2tp / (2tp + fp + fn)`: the harmonic mean of precision and recall, written
    /// so that it is 0 (not NaN) when both are.
    pub fn f1(&self) -> f64 {
        let tp2 = u128::from(self.tp) * 2;
        let den = tp2 + u128::from(self.fp) + u128::from(self.fn_);
        if den == 0 {
            0.0
        } else {
            tp2 as f64 / den as f64
        }
    }

    /// `(tp + tn) / total`.
    pub fn accuracy(&self) -> f64 {
        let hits = u128::from(self.tp) + u128::from(self.tn);
        let den = hits + u128::from(self.fp) + u128::from(self.fn_);
        if den == 0 {
            0.0
        } else {
            hits as f64 / den as f64
        }
    }

    /// `fp / (fp + tn)`, the false-positive rate.
    pub fn fpr(&self) -> f64 {
        ratio(self.fp, [self.fp, self.tn])
    }

    /// The false-alarm rate among the rows not of the anomaly class, `None` when there
    /// are none (where [`fpr`](Self::fpr) would say 0).
    pub fn false_alarm_rate(&self) -> Option<f64> {
        (self.fp + self.tn > 0).then(|| self.fpr())
    }
}

/// `num / (den[0] + den[1])` without overflow, 0.0 for an empty denominator.
fn ratio(num: u64, den: [u64; 2]) -> f64 {
    let den = u128::from(den[0]) + u128::from(den[1]);
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// A threshold chosen on a score set, with what it actually flags there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Threshold {
    /// Flag iff `score >= value`; `+inf` flags nothing (serialised as `null`).
    #[serde(with = "inf_as_null")]
    pub value: f64,
    /// Rows of the fitting score set that are flagged.
    pub flagged: usize,
    /// `flagged / len`: the fraction achieved, which differs from the one requested
    /// when the cut would split a block of tied scores. 0 on an empty set.
    pub contamination: f64,
}

/// One point of the ROC curve: flagging rows with `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    pub fpr: f64,
    pub tpr: f64,
    /// `+inf` for the origin (serialised as `null`).
    #[serde(with = "inf_as_null")]
    pub threshold: f64,
}

/// One point of the precision–recall curve: flagging rows with `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PrPoint {
    pub recall: f64,
    pub precision: f64,
    /// `+inf` for the (recall 0, precision 1) start (serialised as `null`).
    #[serde(with = "inf_as_null")]
    pub threshold: f64,
}

/// Scores sorted once, descending, and grouped into blocks of identical values.
///
/// Block `k` holds the `k`-th largest distinct score; the cumulative counts at `k`
/// are the rows (and positives) with `score >= values[k]`, i.e. what the threshold
/// `values[k]` flags. Only the blocks are kept, so memory is O(distinct scores).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SortedScores {
    /// Distinct scores, strictly descending (`-0.0` and `0.0` share a block since
    /// they compare equal).
    values: Vec<f64>,
    /// `cum_rows[k]`: rows with `score >= values[k]`; strictly increasing.
    cum_rows: Vec<usize>,
    /// `cum_pos[k]`: positives among those rows; `None` without labels.
    cum_pos: Option<Vec<usize>>,
}

impl SortedScores {
    /// Sorts `scores` (in parallel) and groups them into blocks.
    ///
    /// `labels`, when given, must be as long as `scores` (`true` = anomaly). Empty
    /// input is fine: every query then flags nothing and the curves are empty.
    ///
    /// # Errors
    /// [`MetricsError::NonFiniteScore`] for the first NaN or ±inf score (see there
    /// for why), [`MetricsError::LengthMismatch`] for labels of the wrong length.
    pub fn new(scores: &[f64], labels: Option<&[bool]>) -> Result<Self, MetricsError> {
        if let Some(labels) = labels
            && labels.len() != scores.len()
        {
            return Err(MetricsError::LengthMismatch {
                scores: scores.len(),
                labels: labels.len(),
            });
        }
        if let Some(index) = scores.par_iter().position_first(|s| !s.is_finite()) {
            return Err(MetricsError::NonFiniteScore {
                index,
                value: scores[index],
            });
        }
        // total_cmp is a total order, so the sort cannot panic; it splits -0.0 from
        // 0.0 but keeps them adjacent, and grouping by `==` merges them again.
        Ok(match labels {
            None => {
                let mut sorted = scores.to_vec();
                sorted.par_sort_unstable_by(|a, b| b.total_cmp(a));
                Self::group(sorted.into_iter().map(|s| (s, false)), false)
            }
            Some(labels) => {
                let mut pairs: Vec<(f64, bool)> = scores
                    .par_iter()
                    .copied()
                    .zip(labels.par_iter().copied())
                    .collect();
                pairs.par_sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
                Self::group(pairs.into_iter(), true)
            }
        })
    }

    /// Builds the blocks from `(score, label)` pairs sorted descending.
    fn group(sorted: impl Iterator<Item = (f64, bool)>, with_labels: bool) -> Self {
        let mut values = Vec::new();
        let mut cum_rows = Vec::new();
        let mut cum_pos = Vec::new();
        let (mut rows, mut pos) = (0usize, 0usize);
        for (score, label) in sorted {
            if values.last() != Some(&score) {
                if rows > 0 {
                    cum_rows.push(rows);
                    cum_pos.push(pos);
                }
                values.push(score);
            }
            rows += 1;
            pos += usize::from(label);
        }
        if rows > 0 {
            cum_rows.push(rows);
            cum_pos.push(pos);
        }
        SortedScores {
            values,
            cum_rows,
            cum_pos: with_labels.then_some(cum_pos),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.cum_rows.last().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.cum_rows.is_empty()
    }

    /// Number of distinct scores (blocks): the resolution of every curve and slider.
    pub fn distinct(&self) -> usize {
        self.values.len()
    }

    pub fn has_labels(&self) -> bool {
        self.cum_pos.is_some()
    }

    /// Anomalies among the rows; `None` without labels.
    pub fn positives(&self) -> Option<usize> {
        self.cum_pos
            .as_ref()
            .map(|p| p.last().copied().unwrap_or(0))
    }

    /// Normal rows; `None` without labels.
    pub fn negatives(&self) -> Option<usize> {
        self.positives().map(|p| self.len() - p)
    }

    /// Smallest score; `None` when empty.
    pub fn min(&self) -> Option<f64> {
        self.values.last().copied()
    }

    /// Largest score; `None` when empty.
    pub fn max(&self) -> Option<f64> {
        self.values.first().copied()
    }

    /// Number of leading blocks flagged by `threshold` (NaN flags nothing, as
    /// `score >= NaN` is always false).
    fn blocks_flagged_by(&self, threshold: f64) -> usize {
        self.values.partition_point(|&v| v >= threshold)
    }

    /// Rows in the first `blocks` blocks.
    fn rows_in(&self, blocks: usize) -> usize {
        blocks.checked_sub(1).map_or(0, |k| self.cum_rows[k])
    }

    /// Rows flagged by `threshold` (`score >= threshold`), which may come from
    /// another score set. O(log distinct).
    pub fn flagged_at(&self, threshold: f64) -> usize {
        self.rows_in(self.blocks_flagged_by(threshold))
    }

    /// Confusion matrix of flagging `score >= threshold`; `None` without labels.
    /// The threshold may come from another score set (e.g. fitted on training
    /// scores, applied to test scores). O(log distinct).
    pub fn confusion_at(&self, threshold: f64) -> Option<Confusion> {
        let cum_pos = self.cum_pos.as_ref()?;
        let blocks = self.blocks_flagged_by(threshold);
        let flagged = self.rows_in(blocks);
        let tp = blocks.checked_sub(1).map_or(0, |k| cum_pos[k]);
        let positives = cum_pos.last().copied().unwrap_or(0);
        let negatives = self.len() - positives;
        let fp = flagged - tp;
        Some(Confusion {
            tp: tp as u64,
            fp: fp as u64,
            tn: (negatives - fp) as u64,
            fn_: (positives - tp) as u64,
        })
    }

    /// The threshold flagging the fraction `c` of rows as closely as whole blocks
    /// allow. O(log distinct).
    ///
    /// A block of tied scores is flagged entirely or not at all, so the achieved
    /// fraction ([`Threshold::contamination`]) may differ from `c`. Among the block
    /// boundaries the one whose flagged count is closest to `c·n` wins; on an exact
    /// tie the one flagging fewer rows wins, since analyst attention is the scarce
    /// resource. `c <= 0` (or NaN) flags nothing (`value = +inf`); `c >= 1` flags
    /// everything (`value = min`).
    pub fn threshold_for_contamination(&self, c: f64) -> Threshold {
        let blocks = if c.is_nan() || c <= 0.0 {
            0
        } else if c >= 1.0 {
            self.values.len()
        } else {
            let target = c * self.len() as f64;
            // The first block reaching the target: the best cut is just before it
            // or just after it.
            let k = self.cum_rows.partition_point(|&r| (r as f64) < target);
            let below = self.rows_in(k) as f64;
            match self.cum_rows.get(k) {
                Some(&above) if (above as f64) - target < target - below => k + 1,
                _ => k,
            }
        };
        self.threshold_after_blocks(blocks)
    }

    /// [`Self::threshold_for_contamination`] with `c = (100 − p) / 100`: percentile
    /// 99 flags (about) the top 1%.
    pub fn threshold_for_percentile(&self, p: f64) -> Threshold {
        self.threshold_for_contamination((100.0 - p) / 100.0)
    }

    /// The threshold flagging exactly the first `blocks` blocks.
    fn threshold_after_blocks(&self, blocks: usize) -> Threshold {
        let flagged = self.rows_in(blocks);
        let n = self.len();
        Threshold {
            value: blocks
                .checked_sub(1)
                .map_or(f64::INFINITY, |k| self.values[k]),
            flagged,
            contamination: if n == 0 {
                0.0
            } else {
                flagged as f64 / n as f64
            },
        }
    }

    /// Cumulative positives, positives and negatives, when both classes are
    /// present: ranking metrics need something to rank against.
    fn both_classes(&self) -> Option<(&[usize], usize, usize)> {
        let cum_pos = self.cum_pos.as_deref()?;
        let positives = cum_pos.last().copied()?;
        let negatives = self.len() - positives;
        (positives > 0 && negatives > 0).then_some((cum_pos, positives, negatives))
    }

    /// The ROC curve: the origin (threshold `+inf`), then one point per distinct
    /// score, descending, ending at (1, 1). Empty without labels or with one class.
    /// Same points as scikit-learn's `roc_curve(..., drop_intermediate=False)`.
    pub fn roc_curve(&self) -> Vec<RocPoint> {
        let Some((cum_pos, positives, negatives)) = self.both_classes() else {
            return Vec::new();
        };
        let origin = RocPoint {
            fpr: 0.0,
            tpr: 0.0,
            threshold: f64::INFINITY,
        };
        let points = self.blocks(cum_pos).map(|(threshold, rows, tp)| RocPoint {
            fpr: (rows - tp) as f64 / negatives as f64,
            tpr: tp as f64 / positives as f64,
            threshold,
        });
        std::iter::once(origin).chain(points).collect()
    }

    /// Area under the ROC curve by trapezoids over blocks, i.e. the probability
    /// that a random anomaly outscores a random normal row, ties counting 1/2
    /// (Mann–Whitney U / (P·N)); equals scikit-learn's `roc_auc_score`. `None`
    /// without labels or with one class. Summed in integers, so exact up to the
    /// final division.
    pub fn roc_auc(&self) -> Option<f64> {
        let (cum_pos, positives, negatives) = self.both_classes()?;
        // Twice the area, in units of one (positive, negative) pair.
        let mut twice_area: u128 = 0;
        let (mut prev_fp, mut prev_tp) = (0u128, 0u128);
        for (_, rows, tp) in self.blocks(cum_pos) {
            let (fp, tp) = ((rows - tp) as u128, tp as u128);
            twice_area += (fp - prev_fp) * (tp + prev_tp);
            (prev_fp, prev_tp) = (fp, tp);
        }
        let pairs = positives as u128 * negatives as u128;
        Some(twice_area as f64 / (2 * pairs) as f64)
    }

    /// The precision–recall curve: the start (recall 0, precision 1, threshold
    /// `+inf`), then one point per distinct score, descending. Empty without labels
    /// or with one class. Same points as scikit-learn's `precision_recall_curve`,
    /// in reverse order.
    pub fn pr_curve(&self) -> Vec<PrPoint> {
        let Some((cum_pos, positives, _)) = self.both_classes() else {
            return Vec::new();
        };
        let start = PrPoint {
            recall: 0.0,
            precision: 1.0,
            threshold: f64::INFINITY,
        };
        let points = self.blocks(cum_pos).map(|(threshold, rows, tp)| PrPoint {
            recall: tp as f64 / positives as f64,
            precision: tp as f64 / rows as f64,
            threshold,
        });
        std::iter::once(start).chain(points).collect()
    }

    /// Average precision as scikit-learn defines it, `Σ (R_k − R_{k−1}) P_k` over
    /// the block thresholds, without interpolation. `None` without labels or with
    /// one class.
    pub fn average_precision(&self) -> Option<f64> {
        let (cum_pos, positives, _) = self.both_classes()?;
        let mut ap = 0.0;
        let mut prev_tp = 0;
        for (_, rows, tp) in self.blocks(cum_pos) {
            ap += (tp - prev_tp) as f64 / positives as f64 * (tp as f64 / rows as f64);
            prev_tp = tp;
        }
        Some(ap)
    }

    /// [`Self::roc_curve`] with at most `max_points` points, for plotting.
    pub fn roc_curve_points(&self, max_points: usize) -> Vec<RocPoint> {
        downsample(&self.roc_curve(), max_points)
    }

    /// [`Self::pr_curve`] with at most `max_points` points, for plotting.
    pub fn pr_curve_points(&self, max_points: usize) -> Vec<PrPoint> {
        downsample(&self.pr_curve(), max_points)
    }

    /// `(value, cumulative rows, cumulative positives)` per block, descending.
    fn blocks<'a>(
        &'a self,
        cum_pos: &'a [usize],
    ) -> impl Iterator<Item = (f64, usize, usize)> + 'a {
        self.values
            .iter()
            .zip(&self.cum_rows)
            .zip(cum_pos)
            .map(|((&v, &rows), &tp)| (v, rows, tp))
    }
}

/// Keeps at most `max_points` points evenly spaced by index, always keeping both
/// endpoints (so `max_points` below 2 counts as 2). Index spacing is predictable
/// and, with one point per distinct score, dense where the scores are.
fn downsample<T: Copy>(points: &[T], max_points: usize) -> Vec<T> {
    let keep = max_points.max(2);
    if points.len() <= keep {
        return points.to_vec();
    }
    // len > keep ≥ 2, so the step (len−1)/(keep−1) exceeds 1 and indices are distinct.
    let last = (points.len() - 1) as u128;
    let gaps = (keep - 1) as u128;
    (0..keep as u128)
        .map(|i| points[(i * last / gaps) as usize])
        .collect()
}

/// serde_json writes non-finite floats as `null` and cannot read them back. The
/// only non-finite value stored here is the +inf "flag nothing" threshold, so it is
/// written as `null` explicitly and `null` reads back as +inf.
mod inf_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            serializer.serialize_some(value)
        } else {
            serializer.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::INFINITY))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const EPS: f64 = 1e-12;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= EPS || (a.is_infinite() && a == b)
    }

    fn labelled(scores: &[f64], labels: &[bool]) -> SortedScores {
        SortedScores::new(scores, Some(labels)).expect("valid test input")
    }

    fn bools(bits: &[u8]) -> Vec<bool> {
        bits.iter().map(|&b| b == 1).collect()
    }

    fn assert_roc(s: &SortedScores, fpr: &[f64], tpr: &[f64], thr: &[f64]) {
        let roc = s.roc_curve();
        assert_eq!(roc.len(), fpr.len());
        for (i, p) in roc.iter().enumerate() {
            assert!(close(p.fpr, fpr[i]), "fpr[{i}] {} vs {}", p.fpr, fpr[i]);
            assert!(close(p.tpr, tpr[i]), "tpr[{i}] {} vs {}", p.tpr, tpr[i]);
            assert!(close(p.threshold, thr[i]), "thr[{i}]");
        }
    }

    /// `precision`, `recall`, `thr` in scikit-learn's (ascending threshold) order,
    /// as printed by `precision_recall_curve`; ours is descending with the start
    /// point first.
    fn assert_pr_sklearn_order(s: &SortedScores, precision: &[f64], recall: &[f64], thr: &[f64]) {
        let mut pr = s.pr_curve();
        pr.reverse();
        assert_eq!(pr.len(), precision.len());
        for (i, p) in pr.iter().enumerate() {
            assert!(close(p.precision, precision[i]), "precision[{i}]");
            assert!(close(p.recall, recall[i]), "recall[{i}]");
            let t = thr.get(i).copied().unwrap_or(f64::INFINITY);
            assert!(close(p.threshold, t), "thr[{i}]");
        }
    }

    #[test]
    fn perfect_ranking_has_auc_and_ap_one() {
        let s = labelled(&[0.9, 0.8, 0.7, 0.2, 0.1], &bools(&[1, 1, 0, 0, 0]));
        assert_eq!(s.roc_auc(), Some(1.0));
        assert_eq!(s.average_precision(), Some(1.0));
        // scikit-learn 1.9.1 roc_curve(drop_intermediate=False).
        assert_roc(
            &s,
            &[0.0, 0.0, 0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0],
            &[0.0, 0.5, 1.0, 1.0, 1.0, 1.0],
            &[f64::INFINITY, 0.9, 0.8, 0.7, 0.2, 0.1],
        );
    }

    #[test]
    fn reversed_ranking_has_auc_zero() {
        let s = labelled(&[0.9, 0.8, 0.7, 0.2, 0.1], &bools(&[0, 0, 0, 1, 1]));
        assert_eq!(s.roc_auc(), Some(0.0));
        // Hand: 0.5·(1/4) + 0.5·(2/5) = 0.325; scikit-learn 1.9.1 agrees.
        assert!(close(s.average_precision().unwrap_or(f64::NAN), 0.325));
        // scikit-learn 1.9.1 precision_recall_curve.
        assert_pr_sklearn_order(
            &s,
            &[0.4, 0.25, 0.0, 0.0, 0.0, 1.0],
            &[1.0, 0.5, 0.0, 0.0, 0.0, 0.0],
            &[0.1, 0.2, 0.7, 0.8, 0.9],
        );
    }

    #[test]
    fn ties_across_classes_count_half() {
        let s = labelled(&[0.9, 0.8, 0.8, 0.8, 0.3], &bools(&[1, 1, 0, 0, 0]));
        assert_eq!(s.distinct(), 3);
        // Hand: of 6 (pos, neg) pairs, 0.9 beats all 3, the positive 0.8 beats 0.3
        // and ties two 0.8s → U = 3 + 1 + 2·½ = 5 → AUC 5/6.
        // AP: 0.5·(1/1) + 0.5·(2/4) = 0.75. scikit-learn 1.9.1: 0.8333333333333334, 0.75.
        assert!(close(s.roc_auc().unwrap_or(f64::NAN), 5.0 / 6.0));
        assert!(close(s.average_precision().unwrap_or(f64::NAN), 0.75));
        assert_roc(
            &s,
            &[0.0, 0.0, 2.0 / 3.0, 1.0],
            &[0.0, 0.5, 1.0, 1.0],
            &[f64::INFINITY, 0.9, 0.8, 0.3],
        );
        assert_pr_sklearn_order(
            &s,
            &[0.4, 0.5, 1.0, 1.0],
            &[1.0, 1.0, 0.5, 0.0],
            &[0.3, 0.8, 0.9],
        );
    }

    #[test]
    fn matches_scikit_learn_on_tied_fixture() {
        // numpy default_rng(7): s = round(random(24), 1); y = random(24) < 0.2 + 0.6 s.
        let scores = [
            0.6, 0.9, 0.8, 0.2, 0.3, 0.9, 0.0, 0.8, 0.8, 0.5, 0.3, 0.3, 0.3, 0.4, 0.5, 0.6, 1.0,
            0.8, 0.6, 1.0, 0.2, 0.2, 0.6, 0.0,
        ];
        let labels = bools(&[
            1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0,
        ]);
        let s = labelled(&scores, &labels);
        // scikit-learn 1.9.1 roc_auc_score / average_precision_score.
        assert!(close(s.roc_auc().unwrap_or(f64::NAN), 0.7964285714285714));
        assert!(close(
            s.average_precision().unwrap_or(f64::NAN),
            0.7601951306838525
        ));
        let t = 1.0 / 14.0;
        assert_roc(
            &s,
            &[0.0, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.5, 0.8, 1.0],
            &[
                0.0,
                t,
                3.0 * t,
                6.0 * t,
                10.0 * t,
                11.0 * t,
                12.0 * t,
                1.0,
                1.0,
                1.0,
            ],
            &[f64::INFINITY, 1.0, 0.9, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2, 0.0],
        );
        assert_pr_sklearn_order(
            &s,
            &[
                0.5833333333333334,
                0.6363636363636364,
                0.7368421052631579,
                0.8,
                0.7857142857142857,
                0.8333333333333334,
                0.75,
                0.75,
                0.5,
                1.0,
            ],
            &[
                1.0,
                1.0,
                1.0,
                0.8571428571428571,
                0.7857142857142857,
                0.7142857142857143,
                0.42857142857142855,
                0.21428571428571427,
                0.07142857142857142,
                0.0,
            ],
            &[0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 0.9, 1.0],
        );
    }

    #[test]
    fn contamination_inside_a_tie_block_flags_whole_blocks() {
        // Blocks: {5} then four 4s then five 1s → boundaries at 0, 1, 5, 10 rows.
        let s = SortedScores::new(&[4.0, 1.0, 5.0, 1.0, 4.0, 1.0, 4.0, 1.0, 4.0, 1.0], None)
            .expect("finite");
        // Target 2 rows: boundary 1 (off by 1) beats 5 (off by 3).
        let t = s.threshold_for_contamination(0.2);
        assert_eq!((t.value, t.flagged), (5.0, 1));
        assert!(close(t.contamination, 0.1), "achieved, not requested");
        // Target 4 rows: 5 (off by 1) beats 1 (off by 3): the whole block of 4s.
        let t = s.threshold_for_contamination(0.4);
        assert_eq!((t.value, t.flagged), (4.0, 5));
        assert!(close(t.contamination, 0.5));
        // Target 3 rows: 1 and 5 are both off by 2 → the smaller wins.
        let t = s.threshold_for_contamination(0.3);
        assert_eq!((t.value, t.flagged), (5.0, 1));
        // Target 0.4 rows: nothing (off by 0.4) beats the top block (off by 0.6).
        let t = s.threshold_for_contamination(0.04);
        assert_eq!((t.value, t.flagged), (f64::INFINITY, 0));
        // Whatever the request, the value flags exactly what it reports.
        for c in [0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.5, 0.7, 0.75, 0.8, 1.0] {
            let t = s.threshold_for_contamination(c);
            assert_eq!(s.flagged_at(t.value), t.flagged, "c = {c}");
            assert!([0, 1, 5, 10].contains(&t.flagged), "c = {c}");
        }
    }

    #[test]
    fn contamination_zero_flags_nothing_and_one_flags_everything() {
        let s = SortedScores::new(&[3.0, 1.0, 2.0, 2.0], None).expect("finite");
        for c in [0.0, -0.5, f64::NEG_INFINITY, f64::NAN] {
            let t = s.threshold_for_contamination(c);
            assert_eq!(
                (t.value, t.flagged, t.contamination),
                (f64::INFINITY, 0, 0.0)
            );
            assert_eq!(s.flagged_at(t.value), 0);
        }
        for c in [1.0, 1.5, f64::INFINITY] {
            let t = s.threshold_for_contamination(c);
            assert_eq!((t.value, t.flagged, t.contamination), (1.0, 4, 1.0));
        }
    }

    #[test]
    fn percentile_99_on_1000_distinct_scores_flags_10() {
        let scores: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.001).collect();
        let s = SortedScores::new(&scores, None).expect("finite");
        let t = s.threshold_for_percentile(99.0);
        assert_eq!(t.flagged, 10);
        assert_eq!(t.value, scores[990]);
        assert!(close(t.contamination, 0.01));
        assert_eq!(s.threshold_for_percentile(50.0).flagged, 500);
        assert_eq!(s.threshold_for_percentile(100.0).flagged, 0);
        assert_eq!(s.threshold_for_percentile(0.0).flagged, 1000);
        assert_eq!(s.threshold_for_percentile(f64::NAN).flagged, 0);
    }

    #[test]
    fn confusion_counts_and_ratios() {
        // Flag score >= 0.5: rows 0.9(+), 0.8(−), 0.5(+) → tp 2, fp 1;
        // unflagged 0.4(+), 0.2(−), 0.1(−) → fn 1, tn 2.
        let s = labelled(&[0.1, 0.9, 0.4, 0.5, 0.8, 0.2], &bools(&[0, 1, 1, 1, 0, 0]));
        let c = s.confusion_at(0.5).expect("labelled");
        assert_eq!(
            c,
            Confusion {
                tp: 2,
                fp: 1,
                tn: 2,
                fn_: 1
            }
        );
        assert_eq!((c.total(), c.flagged()), (6, 3));
        assert!(close(c.precision(), 2.0 / 3.0));
        assert!(close(c.recall(), 2.0 / 3.0));
        assert!(close(c.f1(), 2.0 / 3.0));
        assert!(close(c.accuracy(), 4.0 / 6.0));
        assert!(close(c.fpr(), 1.0 / 3.0));
        for t in [
            f64::NEG_INFINITY,
            0.0,
            0.1,
            0.3,
            0.5,
            0.85,
            0.9,
            1.0,
            f64::INFINITY,
        ] {
            let c = s.confusion_at(t).expect("labelled");
            assert_eq!(c.total(), 6, "threshold {t}");
            assert_eq!(c.flagged() as usize, s.flagged_at(t));
            assert_eq!(c.tp + c.fn_, 3);
        }
    }

    #[test]
    fn confusion_ratios_return_zero_on_zero_division() {
        let empty = Confusion::default();
        for v in [
            empty.precision(),
            empty.recall(),
            empty.f1(),
            empty.accuracy(),
            empty.fpr(),
        ] {
            assert_eq!(v, 0.0);
        }
        // Nothing flagged, some anomalies missed: precision and F1 are 0, not NaN.
        let none_flagged = Confusion {
            tp: 0,
            fp: 0,
            tn: 5,
            fn_: 2,
        };
        assert_eq!((none_flagged.precision(), none_flagged.f1()), (0.0, 0.0));
        let huge = Confusion {
            tp: u64::MAX,
            fp: u64::MAX,
            tn: u64::MAX,
            fn_: u64::MAX,
        };
        assert_eq!(huge.total(), u64::MAX);
        assert!(close(huge.precision(), 0.5));
    }

    #[test]
    fn confusion_at_a_foreign_threshold() {
        // A threshold fitted elsewhere, falling between this set's scores.
        let train = SortedScores::new(&[0.1, 0.2, 0.3, 0.4, 0.55, 0.6, 0.7, 0.8, 0.9, 1.0], None)
            .expect("finite");
        let fitted = train.threshold_for_contamination(0.6);
        assert_eq!((fitted.value, fitted.flagged), (0.55, 6));
        let test = labelled(&[0.5, 0.6, 0.3, 0.95], &bools(&[0, 1, 1, 1]));
        assert_eq!(test.flagged_at(fitted.value), 2);
        assert_eq!(
            test.confusion_at(fitted.value),
            Some(Confusion {
                tp: 2,
                fp: 0,
                tn: 1,
                fn_: 1
            })
        );
        // Beyond either end, and NaN (score >= NaN is never true).
        assert_eq!(test.flagged_at(2.0), 0);
        assert_eq!(test.flagged_at(-2.0), 4);
        assert_eq!(
            test.confusion_at(f64::NAN),
            Some(Confusion {
                tp: 0,
                fp: 0,
                tn: 1,
                fn_: 3
            })
        );
    }

    #[test]
    fn without_labels_thresholds_work_and_metrics_are_none() {
        let s = SortedScores::new(&[0.3, 0.1, 0.2, 0.2], None).expect("finite");
        assert!(!s.has_labels());
        assert_eq!((s.len(), s.distinct()), (4, 3));
        assert_eq!((s.min(), s.max()), (Some(0.1), Some(0.3)));
        assert_eq!((s.positives(), s.negatives()), (None, None));
        assert_eq!(s.threshold_for_contamination(0.75).flagged, 3);
        assert_eq!(s.flagged_at(0.2), 3);
        assert_eq!(s.confusion_at(0.2), None);
        assert_eq!((s.roc_auc(), s.average_precision()), (None, None));
        assert!(s.roc_curve().is_empty() && s.pr_curve().is_empty());
        assert!(s.roc_curve_points(10).is_empty());
    }

    #[test]
    fn single_class_labels_have_no_ranking_metrics() {
        for label in [false, true] {
            let s = labelled(&[0.3, 0.1, 0.2], &[label; 3]);
            assert_eq!((s.roc_auc(), s.average_precision()), (None, None));
            assert!(s.roc_curve().is_empty() && s.pr_curve().is_empty());
            let c = s.confusion_at(0.2).expect("labelled");
            assert_eq!(c.total(), 3);
            assert_eq!(c.tp + c.fp, 2);
        }
    }

    #[test]
    fn non_finite_scores_and_bad_labels_are_rejected() {
        let err = SortedScores::new(&[0.1, f64::NAN, 0.3, f64::NAN], None);
        assert!(matches!(
            err,
            Err(MetricsError::NonFiniteScore { index: 1, value }) if value.is_nan()
        ));
        for bad in [f64::INFINITY, f64::NEG_INFINITY] {
            let err = SortedScores::new(&[0.1, 0.2, bad], Some(&[true, false, true]));
            assert_eq!(
                err,
                Err(MetricsError::NonFiniteScore {
                    index: 2,
                    value: bad
                })
            );
        }
        let err = SortedScores::new(&[0.1, 0.2], Some(&[true]));
        assert_eq!(
            err,
            Err(MetricsError::LengthMismatch {
                scores: 2,
                labels: 1
            })
        );
    }

    #[test]
    fn empty_input_does_not_panic() {
        for s in [
            SortedScores::new(&[], None).expect("empty is valid"),
            SortedScores::new(&[], Some(&[])).expect("empty is valid"),
        ] {
            assert!(s.is_empty());
            assert_eq!(
                (s.len(), s.distinct(), s.min(), s.max()),
                (0, 0, None, None)
            );
            for c in [0.0, 0.5, 1.0] {
                let t = s.threshold_for_contamination(c);
                assert_eq!(
                    (t.value, t.flagged, t.contamination),
                    (f64::INFINITY, 0, 0.0)
                );
            }
            assert_eq!(s.threshold_for_percentile(99.0).flagged, 0);
            assert_eq!(s.flagged_at(0.0), 0);
            assert!(s.roc_curve().is_empty() && s.pr_curve_points(5).is_empty());
            assert_eq!((s.roc_auc(), s.average_precision()), (None, None));
        }
        let s = SortedScores::new(&[], Some(&[])).expect("empty is valid");
        assert_eq!(s.confusion_at(0.5), Some(Confusion::default()));
        assert_eq!((s.positives(), s.negatives()), (Some(0), Some(0)));
    }

    #[test]
    fn signed_zeros_share_a_block() {
        let s = labelled(&[0.0, -0.0, 1.0], &bools(&[1, 0, 1]));
        assert_eq!(s.distinct(), 2);
        assert_eq!(s.flagged_at(0.0), 3);
        assert_eq!(s.flagged_at(-0.0), 3);
        // The positive zero ties the negative zero: half credit.
        assert!(close(s.roc_auc().unwrap_or(f64::NAN), 0.75));
    }

    #[test]
    fn downsampled_curves_keep_endpoints() {
        let scores: Vec<f64> = (0..100).map(f64::from).collect();
        let labels: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        let s = labelled(&scores, &labels);
        let full = s.roc_curve();
        assert_eq!(full.len(), 101);
        for max in [0, 1, 2, 7, 50, 100] {
            let few = s.roc_curve_points(max);
            assert_eq!(few.len(), max.max(2));
            assert_eq!(few.first(), full.first());
            assert_eq!(few.last(), full.last());
            assert!(few.windows(2).all(|w| w[0].threshold > w[1].threshold));
        }
        assert_eq!(s.roc_curve_points(101), full);
        assert_eq!(s.roc_curve_points(1000), full);
        let pr = s.pr_curve_points(10);
        assert_eq!(pr.len(), 10);
        assert_eq!(pr.first(), s.pr_curve().first());
        assert_eq!(pr.last(), s.pr_curve().last());
    }

    #[test]
    fn serde_names_fn_and_round_trips_infinite_thresholds() {
        let c = Confusion {
            tp: 1,
            fp: 2,
            tn: 3,
            fn_: 4,
        };
        let json = serde_json::to_string(&c).expect("serialise");
        assert_eq!(json, r#"{"tp":1,"fp":2,"tn":3,"fn":4}"#);
        assert_eq!(serde_json::from_str::<Confusion>(&json).ok(), Some(c));

        let s = SortedScores::new(&[0.5], None).expect("finite");
        for t in [
            s.threshold_for_contamination(0.0),
            s.threshold_for_contamination(1.0),
        ] {
            let json = serde_json::to_string(&t).expect("serialise");
            assert_eq!(
                serde_json::from_str::<Threshold>(&json).ok(),
                Some(t),
                "{json}"
            );
        }
        let origin = RocPoint {
            fpr: 0.0,
            tpr: 0.0,
            threshold: f64::INFINITY,
        };
        let json = serde_json::to_string(&origin).expect("serialise");
        assert_eq!(json, r#"{"fpr":0.0,"tpr":0.0,"threshold":null}"#);
        assert_eq!(serde_json::from_str::<RocPoint>(&json).ok(), Some(origin));
    }

    /// Seeded 10k rows over 60 distinct values (heavy ties, both classes in most
    /// blocks), checked against brute force.
    #[test]
    fn randomized_against_brute_force() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
        let n = 10_000;
        let scores: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(0..60u32)) / 8.0 - 2.0)
            .collect();
        let labels: Vec<bool> = scores
            .iter()
            .map(|&s| rng.random_bool(((s + 2.0) / 10.0).clamp(0.02, 0.9)))
            .collect();
        let s = labelled(&scores, &labels);
        assert_eq!(s.len(), n);
        assert_eq!(s.distinct(), 60);

        // AUC: Mann–Whitney by brute force over all (positive, negative) pairs.
        let pos: Vec<f64> = (0..n).filter(|&i| labels[i]).map(|i| scores[i]).collect();
        let neg: Vec<f64> = (0..n).filter(|&i| !labels[i]).map(|i| scores[i]).collect();
        let mut twice_u = 0u64;
        for &p in &pos {
            for &q in &neg {
                twice_u += if p > q { 2 } else { u64::from(p == q) };
            }
        }
        let auc = twice_u as f64 / (2 * pos.len() * neg.len()) as f64;
        assert!(close(s.roc_auc().unwrap_or(f64::NAN), auc));
        assert_eq!(s.positives(), Some(pos.len()));

        // Confusion and flagged counts by linear scan, at block values, between
        // blocks and beyond both ends.
        let scan = |t: f64| {
            let mut c = Confusion::default();
            for (&x, &y) in scores.iter().zip(&labels) {
                match (x >= t, y) {
                    (true, true) => c.tp += 1,
                    (true, false) => c.fp += 1,
                    (false, false) => c.tn += 1,
                    (false, true) => c.fn_ += 1,
                }
            }
            c
        };
        let mut distinct = scores.clone();
        distinct.sort_by(|a, b| b.total_cmp(a));
        distinct.dedup();
        let mut probes = distinct.clone();
        probes.extend(distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0));
        probes.extend([-100.0, 100.0]);
        for &t in &probes {
            let c = scan(t);
            assert_eq!(s.confusion_at(t), Some(c), "threshold {t}");
            assert_eq!(s.flagged_at(t) as u64, c.flagged());
        }

        // AP by its definition, one linear scan per distinct threshold.
        let mut ap = 0.0;
        let mut prev_recall = 0.0;
        for &t in &distinct {
            let c = scan(t);
            ap += (c.recall() - prev_recall) * c.precision();
            prev_recall = c.recall();
        }
        assert!((s.average_precision().unwrap_or(f64::NAN) - ap).abs() < 1e-9);

        // Contamination: no block boundary is closer to the target.
        let counts: Vec<usize> = std::iter::once(0)
            .chain(distinct.iter().map(|&t| scan(t).flagged() as usize))
            .collect();
        for c in [0.001, 0.01, 0.05, 0.1, 0.2, 0.33, 0.5, 0.9, 0.999] {
            let t = s.threshold_for_contamination(c);
            let target = c * n as f64;
            let best = counts
                .iter()
                .map(|&k| (k as f64 - target).abs())
                .fold(f64::INFINITY, f64::min);
            assert!(close((t.flagged as f64 - target).abs(), best), "c = {c}");
            assert_eq!(scan(t.value).flagged() as usize, t.flagged);
        }
    }

    /// Timing of the build on 500k scores with ~200 distinct values, as on KDD.
    /// Run with `cargo test --release --lib eval::metrics -- --ignored --nocapture`.
    #[test]
    #[ignore = "timing, meaningful in release only"]
    fn build_500k_timing() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let n = 500_000;
        let scores: Vec<f64> = (0..n)
            .map(|_| f64::from(rng.random_range(0..200u32)) * 0.01)
            .collect();
        let labels: Vec<bool> = (0..n).map(|_| rng.random_bool(0.2)).collect();
        let distinct: Vec<f64> = (0..n).map(|_| rng.random::<f64>()).collect();
        for (name, scores) in [("~200 distinct", &scores), ("all distinct", &distinct)] {
            let start = std::time::Instant::now();
            let s = labelled(scores, &labels);
            let built = start.elapsed();
            let auc = s.roc_auc();
            eprintln!(
                "{name}: build {built:?}, total {:?}, auc {auc:?}",
                start.elapsed()
            );
        }
    }
}
