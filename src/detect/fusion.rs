//! Putting detectors' scores on one scale: a score's tail probability among the
//! calibration normals (how rare a normal row scoring at least this high is), as a
//! surprise `−ln p`. A forest score of 0.6 and a reconstruction error of 40 mean
//! nothing side by side; "rarer than all but 0.1% of normal rows" means the same for
//! both, and surprises of independent evidence add (Fisher's method).

use serde::{Deserialize, Serialize};

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
        // A flat top (ties) has no spread: any score above it is then far out.
        let spread = (sorted[n - 1] - sorted[0]).abs().max(f64::MIN_POSITIVE);
        let beta = if mean_excess > 0.0 {
            mean_excess
        } else {
            spread * 1e-3
        };
        Some(TailCalibration { sorted, u, beta })
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
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
        -self.tail(self.u).ln() + (score - self.u) / self.beta
    }
}

/// The fused score of one row: the sum of each detector's surprise (Fisher's method on
/// tail probabilities).
pub fn fuse(surprises: impl IntoIterator<Item = f64>) -> f64 {
    surprises.into_iter().sum()
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
}
