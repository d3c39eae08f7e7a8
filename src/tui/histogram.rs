//! A test-score histogram with normal, attack and unlabelled rows counted apart, built
//! once per trained detector; drawing regroups its bins to the panel's width.

/// Bins of the cached histograms; drawing regroups them to the panel width.
pub const HISTOGRAM_BINS: usize = 480;

/// Test-score histogram, normal and attack rows counted apart.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    /// Bins are equal in log(score) instead of score.
    pub log: bool,
    pub normal: Vec<u64>,
    pub attack: Vec<u64>,
    /// Rows without labels.
    pub unknown: Vec<u64>,
}

impl Histogram {
    pub fn build(scores: &[f64], truth: Option<&[bool]>, log: bool) -> Histogram {
        let finite = scores.iter().copied().filter(|s| s.is_finite());
        let transform = |s: f64| if log { s.max(1e-12).ln() } else { s };
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(transform(s)), hi.max(transform(s)))
        });
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let mut h = Histogram {
            lo,
            hi,
            log,
            normal: vec![0; HISTOGRAM_BINS],
            attack: vec![0; HISTOGRAM_BINS],
            unknown: vec![0; HISTOGRAM_BINS],
        };
        for (i, &s) in scores.iter().enumerate() {
            if !s.is_finite() {
                continue;
            }
            let b = h.bin_of(s);
            match truth.map(|t| t[i]) {
                Some(true) => h.attack[b] += 1,
                Some(false) => h.normal[b] += 1,
                None => h.unknown[b] += 1,
            }
        }
        h
    }

    /// Where a score falls, as a fraction of the x axis (clamped to [0, 1]).
    pub fn position(&self, score: f64) -> f64 {
        let x = if self.log {
            score.max(1e-12).ln()
        } else {
            score
        };
        ((x - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    fn bin_of(&self, score: f64) -> usize {
        ((self.position(score) * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1)
    }

    /// The score at a fraction of the x axis.
    pub fn score_at(&self, fraction: f64) -> f64 {
        let x = self.lo + fraction * (self.hi - self.lo);
        if self.log { x.exp() } else { x }
    }
}
