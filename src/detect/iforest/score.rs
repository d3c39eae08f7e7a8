//! Scoring: blocks of rows × all trees, `LANES` rows in lockstep through each tree,
//! on the implicit layout (kernels specialised on the tree width) or the explicit one.

use rayon::prelude::*;

use super::IsolationForest;
use super::config::IForestError;
use super::layout::{Implicit, LANES};
use crate::features::Matrix;

/// Rows scored together against every tree: 64 rows × ~120 f32 columns is ~30 KB,
/// so the block stays in L1 while the trees (4 KB of splits each at ψ = 256) stream
/// past it. Measured on the KDD shape: 64 ≈ 128 ≈ 256 within noise, 32 slightly worse.
const BLOCK_ROWS: usize = 64;

impl IsolationForest {
    /// Anomaly score of every row, in `(0, 1)`; higher = more anomalous.
    ///
    /// NaN values are not rejected here (scoring is on the hot path); a NaN compares
    /// false and goes left, like every value `<=` the threshold.
    ///
    /// # Panics
    /// If `x.cols() != self.n_features()` — a pipeline bug, not bad data. Use
    /// [`IsolationForest::try_score`] to get an error instead.
    pub fn score(&self, x: &Matrix) -> Vec<f64> {
        match self.try_score(x) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`IsolationForest::score`], with a column-count mismatch reported as an error.
    pub fn try_score(&self, x: &Matrix) -> Result<Vec<f64>, IForestError> {
        let cols = x.cols();
        if cols != self.n_features {
            return Err(IForestError::FeatureMismatch {
                expected: self.n_features,
                got: cols,
            });
        }
        let mut out = vec![0.0; x.rows()];
        out.par_chunks_mut(BLOCK_ROWS)
            .zip(x.as_slice().par_chunks(BLOCK_ROWS * cols))
            .for_each(|(acc, block)| {
                match &self.implicit {
                    Some(imp) => accumulate_implicit::<LANES>(imp, block, cols, acc),
                    None => self.accumulate_block(block, cols, acc),
                }
                for s in acc.iter_mut() {
                    *s = self.normalise(*s);
                }
            });
        Ok(out)
    }

    /// Score of a single row; bit-identical to the corresponding entry of `score`.
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`.
    pub fn score_row(&self, row: &[f32]) -> f64 {
        self.assert_row_len(row);
        let mut sum = 0.0;
        for t in &self.meta {
            let nodes = &self.nodes[t.start..t.end];
            let mut i = 0usize;
            loop {
                let n = nodes[i];
                if n.next as usize == i {
                    break;
                }
                i = (n.next + u32::from(row[n.feature as usize] > n.threshold)) as usize;
            }
            sum += self.values[t.start + i];
        }
        self.normalise(sum)
    }

    /// Sum of path lengths → score, as scikit-learn computes it:
    /// `2^(−Σh / (n_trees · c(ψ)))`. With ψ = 1, c(ψ) = 0 and scikit-learn defines the
    /// ratio as 1, i.e. every score is 0.5.
    fn normalise(&self, sum: f64) -> f64 {
        let denominator = self.meta.len() as f64 * self.norm;
        let ratio = if denominator > 0.0 {
            sum / denominator
        } else {
            1.0
        };
        (-ratio).exp2()
    }

    /// Adds every tree's leaf value to `acc` for the rows of `block` (row-major,
    /// `acc.len()` rows). Tree-major so one tree stays hot in L1 while the block's rows
    /// pass through it, `LANES` rows at a time. Trees are visited in index order, so each
    /// row's sum is the same as in `score_row`.
    fn accumulate_block(&self, block: &[f32], cols: usize, acc: &mut [f64]) {
        let n = acc.len();
        for t in &self.meta {
            let nodes = &self.nodes[t.start..t.end];
            let values = &self.values[t.start..t.end];
            let mut r = 0;
            while r + LANES <= n {
                let rows: [&[f32]; LANES] =
                    std::array::from_fn(|l| &block[(r + l) * cols..(r + l + 1) * cols]);
                let mut idx = [0u32; LANES];
                for _ in 0..t.depth {
                    for l in 0..LANES {
                        let node = nodes[idx[l] as usize];
                        let v = rows[l][node.feature as usize];
                        idx[l] = node.next + u32::from(v > node.threshold);
                    }
                }
                for l in 0..LANES {
                    acc[r + l] += values[idx[l] as usize];
                }
                r += LANES;
            }
            for (k, a) in acc.iter_mut().enumerate().skip(r) {
                let row = &block[k * cols..(k + 1) * cols];
                let mut i = 0u32;
                for _ in 0..t.depth {
                    let node = nodes[i as usize];
                    i = node.next + u32::from(row[node.feature as usize] > node.threshold);
                }
                *a += values[i as usize];
            }
        }
    }
}

/// [`IsolationForest::accumulate_block`] for the implicit layout, dispatched to a
/// kernel specialised on the tree width so that masks, array lengths and the step
/// count are compile-time constants (no bounds checks, fully unrolled steps).
fn accumulate_implicit<const L: usize>(
    imp: &Implicit,
    block: &[f32],
    cols: usize,
    acc: &mut [f64],
) {
    match imp.depth {
        0 => kernel::<L, 1>(imp, block, cols, acc),
        1 => kernel::<L, 2>(imp, block, cols, acc),
        2 => kernel::<L, 4>(imp, block, cols, acc),
        3 => kernel::<L, 8>(imp, block, cols, acc),
        4 => kernel::<L, 16>(imp, block, cols, acc),
        5 => kernel::<L, 32>(imp, block, cols, acc),
        6 => kernel::<L, 64>(imp, block, cols, acc),
        7 => kernel::<L, 128>(imp, block, cols, acc),
        8 => kernel::<L, 256>(imp, block, cols, acc),
        9 => kernel::<L, 512>(imp, block, cols, acc),
        10 => kernel::<L, 1024>(imp, block, cols, acc),
        11 => kernel::<L, 2048>(imp, block, cols, acc),
        _ => kernel::<L, 4096>(imp, block, cols, acc),
    }
}

/// `L` rows step through one tree (of width `W = 2^depth`) in lockstep: `depth`
/// branch-free steps each, so the `L` load chains overlap instead of serialising.
fn kernel<const L: usize, const W: usize>(
    imp: &Implicit,
    block: &[f32],
    cols: usize,
    acc: &mut [f64],
) {
    debug_assert_eq!(1 << imp.depth, W);
    let depth = W.trailing_zeros();
    let n = acc.len();
    let (splits, _) = imp.splits.as_chunks::<W>();
    let (leaves, _) = imp.leaves.as_chunks::<W>();
    for (splits, leaves) in splits.iter().zip(leaves) {
        let mut r = 0;
        while r + L <= n {
            let rows = &block[r * cols..(r + L) * cols];
            let mut idx = [0usize; L];
            for _ in 0..depth {
                for (l, i) in idx.iter_mut().enumerate() {
                    let s = splits[*i & (W - 1)];
                    let v = rows[l * cols + s.feature as usize];
                    *i = 2 * *i + 1 + usize::from(v > s.threshold);
                }
            }
            for (a, i) in acc[r..r + L].iter_mut().zip(idx) {
                *a += leaves[(i + 1) & (W - 1)];
            }
            r += L;
        }
        for (k, a) in acc.iter_mut().enumerate().skip(r) {
            let row = &block[k * cols..(k + 1) * cols];
            let mut i = 0usize;
            for _ in 0..depth {
                let s = splits[i & (W - 1)];
                i = 2 * i + 1 + usize::from(row[s.feature as usize] > s.threshold);
            }
            *a += leaves[(i + 1) & (W - 1)];
        }
    }
}
