//! Random draws the generator needs, written out rather than pulled from `rand_distr`.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Standard normal by Box–Muller.
pub(super) fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Exponential with the given mean: gaps of a Poisson process.
pub(super) fn exp_gap(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Index drawn with probability proportional to `weights`.
pub(super) fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// `a` with probability `p`, else `b`.
pub(super) fn either<T>(rng: &mut ChaCha8Rng, p: f64, a: T, b: T) -> T {
    if rng.random_bool(p) { a } else { b }
}

/// One of `options`, drawn by weight.
pub(super) fn choose<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, f64)]) -> T {
    let weights: Vec<f64> = options.iter().map(|o| o.1).collect();
    options[pick_weighted(rng, &weights)].0
}

pub(super) fn ephemeral_port(rng: &mut ChaCha8Rng) -> u16 {
    rng.random_range(1024..=65535)
}

pub(super) fn indicator(yes: bool) -> f64 {
    if yes { 1.0 } else { 0.0 }
}

/// A distribution of a non-negative integer feature.
#[derive(Debug, Clone, Copy)]
pub(super) enum Dist {
    Zero,
    Const(f64),
    /// Uniform integer in `[lo, hi]`.
    Int(u32, u32),
    /// Log-normal with this median and log-σ, clamped to `[1, max]`.
    LogNormal {
        median: f64,
        sigma: f64,
        max: f64,
    },
    /// With probability `p` from the inner distribution, else 0.
    Maybe(f64, &'static Dist),
}

impl Dist {
    pub(super) const fn ln(median: f64, sigma: f64, max: f64) -> Dist {
        Dist::LogNormal { median, sigma, max }
    }

    pub(super) fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match *self {
            Dist::Zero => 0.0,
            Dist::Const(v) => v,
            Dist::Int(lo, hi) => f64::from(rng.random_range(lo..=hi)),
            Dist::LogNormal { median, sigma, max } => {
                let v = median * (sigma * standard_normal(rng)).exp();
                v.round().clamp(1.0, max)
            }
            Dist::Maybe(p, inner) => {
                if rng.random_bool(p) {
                    inner.sample(rng)
                } else {
                    0.0
                }
            }
        }
    }
}

/// Largest-remainder split of `total` by `shares`: exact total, every share close.
pub(super) fn apportion(total: usize, shares: &[f64]) -> Vec<usize> {
    let sum: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| total as f64 * s / sum).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    let remainder = |i: usize| exact[i] - exact[i].floor();
    order.sort_by(|&a, &b| remainder(b).total_cmp(&remainder(a)));
    let missing = total - out.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        out[i] += 1;
    }
    out
}
