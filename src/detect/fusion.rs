//! Putting detectors' scores on one scale: a score's tail probability among the
//! calibration normals (how rare a normal row scoring at least this high is), as a
//! surprise `−ln p`. A forest score of 0.6 and a reconstruction error of 40 mean
//! nothing side by side; "rarer than all but 0.1% of normal rows" means the same for
//! both, and surprises of independent evidence add (Fisher's method).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Detector, DetectorKind};

/// Share of the calibration scores, from the top, over which the tail beyond the
/// largest score is fitted (at least [`MIN_TAIL`] scores).
const TAIL_SHARE: f64 = 0.01;
const MIN_TAIL: usize = 10;

/// A detector's calibration scores, kept as what the surprise of a new score needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TailCalibration {
    /// The calibration scores, sorted ascending.
    sorted: Vec<f64>,
    /// Where the exponential tail starts (the score at the top `TAIL_SHARE`), and its
    /// mean excess: beyond `u`, P(score ≥ s) ≈ P(score ≥ u) · exp(−(s − u)/β).
    u: f64,
    beta: f64,
}

impl TailCalibration {
    /// From the scores of calibration rows (normal rows the detector never learned
    /// from); `None` without any finite score.
    pub fn new(scores: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let k = ((n as f64 * TAIL_SHARE).round() as usize)
            .max(MIN_TAIL)
            .min(n - 1);
        let u = sorted[n - 1 - k];
        let excess: Vec<f64> = sorted[n - k..].iter().map(|s| s - u).collect();
        let mean_excess = excess.iter().sum::<f64>() / excess.len().max(1) as f64;
        // A flat top (ties) has no spread: any score above it is then far out, but at
        // a finite distance (the floor), so surprises stay finite and ordered.
        let spread = sorted[n - 1] - sorted[0];
        let beta = if mean_excess > 0.0 {
            mean_excess
        } else {
            spread * 1e-3
        };
        let beta = beta.max(beta_floor(&sorted, u));
        Some(TailCalibration { sorted, u, beta })
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether it could have been made by [`new`](Self::new) (a read one may not).
    fn is_valid(&self) -> bool {
        !self.sorted.is_empty()
            && self.sorted.iter().all(|s| s.is_finite())
            && self.sorted.is_sorted()
            && self.u.is_finite()
            && self.beta.is_finite()
            && self.beta >= beta_floor(&self.sorted, self.u)
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// P(a calibration normal scores ≥ `score`): counted with a +1 (so never 0) up to
    /// the tail's start, an exponential fit beyond it, so scores past every calibration
    /// score stay ordered instead of tying.
    pub fn tail(&self, score: f64) -> f64 {
        let n = self.sorted.len() as f64;
        let at_least = |s: f64| {
            let below = self.sorted.partition_point(|&c| c < s);
            (self.sorted.len() - below) as f64
        };
        if score.is_nan() {
            return 1.0;
        }
        if score <= self.u {
            return (at_least(score) + 1.0) / (n + 1.0);
        }
        let p_u = (at_least(self.u) + 1.0) / (n + 1.0);
        p_u * (-(score - self.u) / self.beta).exp()
    }

    /// `−ln` of [`tail`](Self::tail): 0 for the most typical score, growing without
    /// bound for scores beyond every normal row's.
    pub fn surprise(&self, score: f64) -> f64 {
        if score.is_nan() {
            return 0.0;
        }
        if score <= self.u {
            return -self.tail(score).ln();
        }
        // In logs, so a score far past the top does not underflow to p = 0.
        (-self.tail(self.u).ln() + (score - self.u) / self.beta).min(MAX_SURPRISE)
    }
}

/// The smallest tail scale: a billionth of the scores' magnitude (and of 10⁻⁶ when
/// they are all near zero), so that even an infinite score has a finite surprise.
fn beta_floor(sorted: &[f64], u: f64) -> f64 {
    let spread = sorted.last().copied().unwrap_or(0.0) - sorted.first().copied().unwrap_or(0.0);
    1e-9 * u.abs().max(spread).max(1e-6)
}

/// A cap on one part's surprise (p = e^−10⁹): far past any rarity that means anything,
/// it keeps the fused sum finite for a score at the edge of what a float holds.
const MAX_SURPRISE: f64 = 1e9;

/// The fused score of one row: the sum of each detector's surprise (Fisher's method on
/// tail probabilities).
pub fn fuse(surprises: impl IntoIterator<Item = f64>) -> f64 {
    surprises.into_iter().sum()
}

/// The detectors [`FusedDetector`] combines, in report order.
pub const PARTS: [DetectorKind; 2] = [DetectorKind::Iforest, DetectorKind::Autoencoder];

/// One detector inside the fused one, with the calibration that puts its scores on the
/// common scale.
#[derive(Debug, Clone)]
pub struct FusedPart {
    pub detector: Arc<Detector>,
    pub calibration: TailCalibration,
}

/// The fused detector: a row's score is the sum of its parts' surprises, so a row
/// that either part finds rare among normal traffic, or both find a little unusual,
/// scores high. It shares its parts with the model (never a copy of them).
#[derive(Debug, Clone)]
pub struct FusedDetector {
    parts: Vec<FusedPart>,
}

/// What a bundle keeps of the fused detector (`fused.json`): each part's calibration,
/// by the part's name; the parts themselves are the bundle's own detectors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedFusion {
    pub parts: Vec<SavedPart>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPart {
    pub detector: String,
    pub calibration: TailCalibration,
}

impl FusedDetector {
    /// Fuses `parts`, each with the scores its thresholds are set on (the calibration
    /// rows', else the training rows'); `None` when a part has no finite score or a
    /// part is itself fused.
    pub fn new<'a>(parts: impl IntoIterator<Item = (Arc<Detector>, &'a [f64])>) -> Option<Self> {
        let parts = parts
            .into_iter()
            .map(|(detector, reference)| {
                (detector.kind() != DetectorKind::Fused).then_some(())?;
                Some(FusedPart {
                    calibration: TailCalibration::new(reference)?,
                    detector,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        (!parts.is_empty()).then_some(FusedDetector { parts })
    }

    /// The fused detector a bundle saved, its parts taken from `detectors` by name.
    pub fn restore(
        saved: SavedFusion,
        mut detector: impl FnMut(&str) -> Option<Arc<Detector>>,
    ) -> Result<Self, String> {
        let parts = saved
            .parts
            .into_iter()
            .map(|p| {
                if !p.calibration.is_valid() {
                    return Err(format!(
                        "the calibration of \"{}\" is not sorted finite scores",
                        p.detector
                    ));
                }
                let found = detector(&p.detector)
                    .filter(|d| d.kind() != DetectorKind::Fused)
                    .ok_or_else(|| {
                        format!("fuses \"{}\", which the bundle does not hold", p.detector)
                    })?;
                Ok(FusedPart {
                    detector: found,
                    calibration: p.calibration,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if parts.is_empty() {
            return Err("fuses no detector".into());
        }
        Ok(FusedDetector { parts })
    }

    pub fn saved(&self) -> SavedFusion {
        SavedFusion {
            parts: self
                .parts
                .iter()
                .map(|p| SavedPart {
                    detector: p.detector.kind().name().to_owned(),
                    calibration: p.calibration.clone(),
                })
                .collect(),
        }
    }

    pub fn parts(&self) -> &[FusedPart] {
        &self.parts
    }

    /// The fused scores from the parts' scores of the same rows, in the order of
    /// [`parts`](Self::parts).
    pub fn fuse_scores(&self, part_scores: &[&[f64]]) -> Vec<f64> {
        debug_assert_eq!(part_scores.len(), self.parts.len());
        let rows = part_scores.first().map_or(0, |s| s.len());
        (0..rows)
            .map(|r| {
                fuse(
                    self.parts
                        .iter()
                        .zip(part_scores)
                        .map(|(p, s)| p.calibration.surprise(s[r])),
                )
            })
            .collect()
    }

    /// Each part's surprise at its score of one row, in the order of
    /// [`parts`](Self::parts).
    pub fn surprises(&self, part_scores: &[f64]) -> Vec<f64> {
        self.parts
            .iter()
            .zip(part_scores)
            .map(|(p, &s)| p.calibration.surprise(s))
            .collect()
    }

    /// Which part (its index) weighs most in one row's fused score, with its surprise:
    /// the part whose evidence explains the row. Ties go to the first part.
    pub fn strongest(&self, part_scores: &[f64]) -> (usize, f64) {
        self.surprises(part_scores).into_iter().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |best, (i, s)| {
                if s > best.1 { (i, s) } else { best }
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails_are_counted_then_extrapolated_and_never_tie_past_the_top() {
        let scores: Vec<f64> = (1..=1000).map(f64::from).collect();
        let t = TailCalibration::new(&scores).unwrap();
        // Counted: 11 of 1000 scores are ≥ 990, plus one, over 1001.
        assert!((t.tail(990.0) - 12.0 / 1001.0).abs() < 1e-12);
        assert!((t.tail(0.0) - 1.0).abs() < 1e-12);
        // Past the top, ordered and shrinking, never 0.
        let (a, b) = (t.surprise(1500.0), t.surprise(3000.0));
        assert!(a > t.surprise(1000.0) && b > a && b.is_finite(), "{a} {b}");
        assert!(t.tail(1e9) >= 0.0);
        // Continuous where the tail fit starts.
        let u = t.u;
        assert!((t.surprise(u) - t.surprise(u + 1e-9)).abs() < 1e-6);
        // Monotone over the whole range.
        let mut last = -1.0;
        for s in (0..4000).map(|i| f64::from(i) * 0.5) {
            let now = t.surprise(s);
            assert!(now >= last - 1e-12, "at {s}: {now} < {last}");
            last = now;
        }
    }

    #[test]
    fn flat_calibration_scores_still_give_finite_ordered_surprises() {
        // Every calibration normal scores the same (a forest on identical rows, or an
        // autoencoder that reconstructs them exactly).
        for flat in [0.0, 0.5, 1e-30] {
            let t = TailCalibration::new(&vec![flat; 300]).unwrap();
            assert!(t.is_valid(), "{flat}: {t:?}");
            let mut last = t.surprise(flat);
            for s in [flat + 1e-6, flat + 0.1, 1.0, 1e30, f64::MAX, f64::INFINITY] {
                let now = t.surprise(s);
                assert!(now.is_finite(), "{flat} → {s}: {now}");
                assert!(now >= last, "{flat} → {s}: {now} < {last}");
                last = now;
            }
            assert!(
                t.surprise(flat + 1e-3) > 100.0,
                "past a flat top is far out"
            );
        }
    }

    #[test]
    fn equal_rarity_means_equal_surprise_across_scales() {
        // Two detectors on different scales with the same ranking of normals.
        let a: Vec<f64> = (0..500).map(|i| f64::from(i) / 500.0).collect();
        let b: Vec<f64> = a.iter().map(|x| 100.0 * x * x).collect();
        let (ta, tb) = (
            TailCalibration::new(&a).unwrap(),
            TailCalibration::new(&b).unwrap(),
        );
        for q in [0.1, 0.5, 0.9] {
            let (sa, sb) = (ta.surprise(q), tb.surprise(100.0 * q * q));
            assert!((sa - sb).abs() < 1e-9, "{q}: {sa} vs {sb}");
        }
        assert_eq!(fuse([1.0, 2.5]), 3.5);
        assert!(TailCalibration::new(&[f64::NAN]).is_none());
    }

    fn forest_on(rows: usize, seed: u64) -> (Arc<Detector>, crate::features::Matrix) {
        use crate::detect::iforest::{IsolationForest, IsolationForestConfig, MaxSamples};
        let data: Vec<f32> = (0..rows * 3)
            .map(|i| ((i as u64 * 2654435761 + seed) % 1000) as f32 / 1000.0)
            .collect();
        let matrix = crate::features::Matrix::new(rows, 3, data);
        let config = IsolationForestConfig {
            n_estimators: 20,
            max_samples: MaxSamples::Count(64),
            seed,
        };
        let forest = IsolationForest::fit(&matrix, &config).unwrap();
        (Arc::new(Detector::Forest(forest)), matrix)
    }

    #[test]
    fn a_fused_detector_scores_from_its_parts_and_restores_from_what_it_saves() {
        let (a, matrix) = forest_on(400, 1);
        let (b, _) = forest_on(400, 2);
        let (sa, sb) = (a.score(&matrix).unwrap(), b.score(&matrix).unwrap());
        let fused =
            FusedDetector::new([(Arc::clone(&a), &sa[..]), (Arc::clone(&b), &sb[..])]).unwrap();
        let whole = Detector::Fused(fused.clone());
        // Scoring the parts again and fusing given scores agree.
        let scored = whole.score(&matrix).unwrap();
        let given = whole
            .score_reusing(&matrix, &[(DetectorKind::Iforest, &sa[..])])
            .unwrap();
        assert_eq!(scored, fused.fuse_scores(&[&sa, &sb]));
        // The given forest scores stand for both parts here (both are forests).
        assert_eq!(given, fused.fuse_scores(&[&sa, &sa]));
        // Each row's fused score is its parts' surprises added; the strongest is one.
        let r = 7;
        let surprises = fused.surprises(&[sa[r], sb[r]]);
        assert!((surprises.iter().sum::<f64>() - scored[r]).abs() < 1e-12);
        let (i, s) = fused.strongest(&[sa[r], sb[r]]);
        assert_eq!(s, surprises[i]);
        assert!(surprises.iter().all(|&x| x <= s));

        // What it saves restores it, onto the parts found by name.
        let saved = fused.saved();
        let json = serde_json::to_string(&saved).unwrap();
        let back: SavedFusion = serde_json::from_str(&json).unwrap();
        let restored = FusedDetector::restore(back.clone(), |_| Some(Arc::clone(&a))).unwrap();
        assert_eq!(restored.saved(), saved);
        // A missing part or a damaged calibration is an error, not a wrong score.
        let missing = FusedDetector::restore(back.clone(), |_| None).unwrap_err();
        assert!(missing.contains("does not hold"), "{missing}");
        let mut damaged = back;
        damaged.parts[0].calibration.sorted.reverse();
        let err = FusedDetector::restore(damaged, |_| Some(Arc::clone(&a))).unwrap_err();
        assert!(err.contains("not sorted"), "{err}");
        // A fused detector cannot be a part of another.
        let nested = Arc::new(whole);
        assert!(FusedDetector::new([(nested, &sa[..])]).is_none());
    }
}
