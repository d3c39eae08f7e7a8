//! Growing the trees: validating the training matrix and config, subsampling, and
//! drawing splits (on each column's split scale).

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::IsolationForest;
use super::config::{IForestError, IsolationForestConfig, SplitScale, resolve_max_samples};
use super::layout::NodeRepr;
use crate::features::Matrix;

impl IsolationForest {
    /// Grows `config.n_estimators` trees on `x` (in parallel).
    ///
    /// Errors on an empty matrix, any NaN/±∞ value, or an invalid config
    /// (0 trees, `Count(0)`, a fraction outside `(0, 1]`).
    pub fn fit(
        x: &Matrix,
        config: &IsolationForestConfig,
    ) -> Result<IsolationForest, IForestError> {
        Self::fit_with_scales(x, config, &[])
    }

    /// Like [`fit`](Self::fit), drawing split values on each column's [`SplitScale`]
    /// (`scales` empty = all linear; otherwise one per column).
    pub fn fit_with_scales(
        x: &Matrix,
        config: &IsolationForestConfig,
        scales: &[SplitScale],
    ) -> Result<IsolationForest, IForestError> {
        let (rows, cols) = (x.rows(), x.cols());
        if !scales.is_empty() && scales.len() != cols {
            return Err(IForestError::FeatureMismatch {
                expected: cols,
                got: scales.len(),
            });
        }
        if rows == 0 || cols == 0 {
            return Err(IForestError::EmptyMatrix { rows, cols });
        }
        if u32::try_from(cols).is_err() {
            return Err(IForestError::InvalidConfig(format!(
                "too many columns ({cols})"
            )));
        }
        if config.n_estimators == 0 {
            return Err(IForestError::InvalidConfig(
                "n_estimators must be at least 1".into(),
            ));
        }
        let psi = resolve_max_samples(config.max_samples, rows)?;
        // Node indices are u32 and a tree has at most 2ψ − 1 nodes.
        if psi > (u32::MAX / 2) as usize {
            return Err(IForestError::InvalidConfig(format!(
                "max_samples {psi} is too large"
            )));
        }
        if let Some(err) = find_non_finite(x) {
            return Err(err);
        }
        // scikit-learn: max_depth = ceil(log2(max(ψ, 2))).
        let max_depth = psi.max(2).next_power_of_two().trailing_zeros() as usize;
        let trees: Vec<Vec<NodeRepr>> = (0..config.n_estimators)
            .into_par_iter()
            .map(|t| build_tree(x, scales, psi, max_depth, config.seed, t as u64))
            .collect();
        IsolationForest::from_parts(config.clone(), cols, psi, trees)
    }
}

/// Position of the first NaN/±∞, if any. The common all-finite case is a parallel,
/// branch-free scan (vectorises to an OR-reduction); the exact spot is only searched
/// for when something was found.
pub(super) fn find_non_finite(x: &Matrix) -> Option<IForestError> {
    let data = x.as_slice();
    let any_bad = data
        .par_chunks(1 << 16)
        .any(|c| c.iter().fold(false, |bad, v| bad | !v.is_finite()));
    if !any_bad {
        return None;
    }
    let i = data.iter().position(|v| !v.is_finite())?;
    Some(IForestError::NonFinite {
        row: i / x.cols(),
        col: i % x.cols(),
        value: data[i],
    })
}

/// Grows one tree on ψ rows of `x` drawn without replacement, breadth-first (so each
/// level's nodes sit together in memory for scoring). RNG: stream `tree` of `seed`.
fn build_tree(
    x: &Matrix,
    scales: &[SplitScale],
    psi: usize,
    max_depth: usize,
    seed: u64,
    tree: u64,
) -> Vec<NodeRepr> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(tree);
    let cols = x.cols();

    // Column-major copy of the subsample: min/max and partitioning read one feature
    // over the node's samples at a time.
    let sample = rand::seq::index::sample(&mut rng, x.rows(), psi);
    let mut sub = vec![0.0f32; psi * cols];
    for (i, r) in sample.iter().enumerate() {
        for (f, &v) in x.row(r).iter().enumerate() {
            sub[f * psi + i] = v;
        }
    }
    let mut perm: Vec<u32> = (0..psi as u32).collect();

    struct Work {
        node: usize,
        lo: usize,
        hi: usize,
        depth: usize,
        /// Features not yet known to be constant here (constant in the parent ⇒
        /// constant in the child, so they are dropped on the way down).
        candidates: Vec<u32>,
    }

    let mut nodes = vec![NodeRepr::Leaf { size: psi as u32 }];
    let mut queue = VecDeque::new();
    queue.push_back(Work {
        node: 0,
        lo: 0,
        hi: psi,
        depth: 0,
        candidates: (0..cols as u32).collect(),
    });

    while let Some(Work {
        node,
        lo,
        hi,
        depth,
        mut candidates,
    }) = queue.pop_front()
    {
        let size = hi - lo;
        nodes[node] = NodeRepr::Leaf { size: size as u32 };
        if depth >= max_depth || size <= 1 {
            continue;
        }
        // Draw features without replacement until one varies on this node; the first
        // varying one drawn is uniform among all varying ones.
        let members = &perm[lo..hi];
        let mut k = candidates.len();
        let mut split = None;
        while k > 0 {
            let j = rng.random_range(0..k);
            let f = candidates[j] as usize;
            let col = &sub[f * psi..(f + 1) * psi];
            let (mut min, mut max) = (f32::INFINITY, f32::NEG_INFINITY);
            for &m in members {
                let v = col[m as usize];
                min = min.min(v);
                max = max.max(v);
            }
            if max > min {
                split = Some((f, min, max));
                break;
            }
            candidates.swap(j, k - 1);
            k -= 1;
        }
        candidates.truncate(k);
        let Some((f, min, max)) = split else {
            continue; // every feature constant: a leaf
        };
        // Uniform in [min, max) computed in f64 like scikit-learn; rounding to f32 can
        // land on max, which would send everything left, so fall back to min (as
        // scikit-learn does when the draw equals max).
        let u: f64 = rng.random::<f64>();
        let scale = scales.get(f).copied().unwrap_or_default();
        let mut threshold = scale.draw(min, max, u) as f32;
        if threshold.is_nan() || threshold >= max {
            threshold = min;
        }
        threshold = threshold.max(min);

        // Partition members: `<= threshold` to the front (left child).
        let col = &sub[f * psi..(f + 1) * psi];
        let mut mid = lo;
        for i in lo..hi {
            if col[perm[i] as usize] <= threshold {
                perm.swap(i, mid);
                mid += 1;
            }
        }

        let left = nodes.len();
        nodes[node] = NodeRepr::Split {
            feature: f as u32,
            threshold,
            left: left as u32,
        };
        nodes.push(NodeRepr::Leaf { size: 0 });
        nodes.push(NodeRepr::Leaf { size: 0 });
        queue.push_back(Work {
            node: left,
            lo,
            hi: mid,
            depth: depth + 1,
            candidates: candidates.clone(),
        });
        queue.push_back(Work {
            node: left + 1,
            lo: mid,
            hi,
            depth: depth + 1,
            candidates,
        });
    }
    nodes
}
