//! Isolation Forest (Liu, Ting & Zhou 2008) with scikit-learn's semantics.
//!
//! Anomalies are few and different, so random axis-parallel splits isolate them in
//! fewer steps than normal points. Each tree is grown on a subsample of ψ rows drawn
//! without replacement, up to height `ceil(log2 ψ)`; a row's score is
//! `s(x) = 2^(−E[h(x)] / c(ψ))`, where `h` is the depth of the leaf it lands in plus
//! `c(leaf size)` (the expected depth the unbuilt subtree would have added). Higher
//! means more anomalous; `s` equals `−sklearn.IsolationForest.score_samples`.
//!
//! Like scikit-learn's `ExtraTreeRegressor(max_features=1)`, a node only splits on a
//! feature that is *not constant* on its samples (features are drawn without
//! replacement until one varies; a node where every feature is constant is a leaf),
//! and the split value is uniform in `[min, max)` with `x <= threshold` going left.
//!
//! Representations of a tree:
//! * the canonical one (`NodeRepr`: split or leaf-with-size, children adjacent), which
//!   is what gets serialised, validated on load, and walked by explanations;
//! * for scoring, an implicit heap layout (`Implicit`: 8-byte `(feature, threshold)`
//!   slots, children of slot `i` at `2i+1`/`2i+2`, no stored pointers). Shallow leaves
//!   are padded with pass-through splits (`threshold = +∞`), so every row takes exactly
//!   `depth` branch-free steps per tree; that lets 16 rows go through a tree in
//!   lockstep so their independent load chains overlap. Leaf values `depth + c(size)`
//!   are precomputed. Forests deeper than 12 (ψ > 4096) would make the padding too big
//!   and fall back to 12-byte explicit nodes whose leaves are self-loops (same trick,
//!   same results bit for bit, ~15% slower).
//!
//! Scoring iterates blocks of 64 rows (parallel over blocks with rayon) × all trees, so
//! a block stays in L1 while the trees stream past it.
//!
//! Determinism: tree `t` draws from `ChaCha8Rng::seed_from_u64(seed)` on stream `t`,
//! and every row sums its trees in index order, so forests and scores are
//! bit-identical whatever the thread count or scheduling.

use std::collections::VecDeque;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::features::Matrix;

/// Euler–Mascheroni constant (numpy's `euler_gamma`, which scikit-learn uses).
const EULER_GAMMA: f64 = 0.577_215_664_901_532_9;

/// Subsample size used by [`MaxSamples::Auto`] (the paper's and scikit-learn's default).
const AUTO_MAX_SAMPLES: usize = 256;

/// Rows scored together against every tree: 64 rows × ~120 f32 columns is ~30 KB,
/// so the block stays in L1 while the trees (4 KB of splits each at ψ = 256) stream
/// past it. Measured on the KDD shape: 64 ≈ 128 ≈ 256 within noise, 32 slightly worse.
const BLOCK_ROWS: usize = 64;

/// Rows pushed through one tree in lockstep: independent load chains that the CPU
/// overlaps. Measured (KDD shape, 2 threads): 4 lanes 220 ms, 8 → 177, 16 → 150.
const LANES: usize = 16;

/// Errors from fitting, scoring or loading a forest.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum IForestError {
    #[error("cannot fit an isolation forest on an empty matrix ({rows} rows × {cols} columns)")]
    EmptyMatrix { rows: usize, cols: usize },
    #[error("non-finite value {value} at row {row}, column {col}")]
    NonFinite { row: usize, col: usize, value: f32 },
    #[error("invalid isolation forest configuration: {0}")]
    InvalidConfig(String),
    #[error("matrix has {got} columns but the forest was fitted on {expected}")]
    FeatureMismatch { expected: usize, got: usize },
    #[error("invalid serialised isolation forest: {0}")]
    InvalidModel(String),
}

/// How many rows each tree is grown on (ψ).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
pub enum MaxSamples {
    /// `min(256, n)`.
    #[default]
    Auto,
    /// An absolute count; clamped to `n` (scikit-learn warns and does the same).
    Count(usize),
    /// A fraction of `n` in `(0, 1]`; `floor(f · n)`, at least 1.
    Fraction(f64),
}

/// Hyper-parameters; kept inside the fitted forest so a model bundle records them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct IsolationForestConfig {
    /// Number of trees (default 100).
    pub n_estimators: usize,
    /// Subsample size per tree (default `Auto`).
    pub max_samples: MaxSamples,
    /// Seed for every random choice; same seed ⇒ bit-identical forest.
    pub seed: u64,
}

/// netanomaly's default subsample size. scikit-learn's `auto` (256) is a fine default
/// for speed, but on KDD's profile protocol its ranking of the 280,790-row smurf block
/// against the rarest 1% of normal traffic depends on the seed (F1 at the 99th
/// percentile swings between 0.43 and 0.99); with 2048 rows per tree it does not
/// (F1 0.994 on seeds 0–6) for about twice the fit time. `MaxSamples::Auto` keeps
/// scikit-learn's rule for like-for-like comparisons.
pub const RECOMMENDED_MAX_SAMPLES: usize = 2048;

impl IsolationForestConfig {
    /// netanomaly's defaults: 100 trees and [`RECOMMENDED_MAX_SAMPLES`] rows per tree.
    pub fn recommended() -> Self {
        IsolationForestConfig {
            max_samples: MaxSamples::Count(RECOMMENDED_MAX_SAMPLES),
            ..IsolationForestConfig::default()
        }
    }
}

impl Default for IsolationForestConfig {
    fn default() -> Self {
        IsolationForestConfig {
            n_estimators: 100,
            max_samples: MaxSamples::Auto,
            seed: 0,
        }
    }
}

/// The scale a matrix column's split values are drawn on.
///
/// The encoder hands both detectors one matrix in which heavy-tailed counts are
/// `log1p`-transformed and standardised (what a neural network needs). Isolation is not
/// invariant to that transform: uniform splits on the original scale isolate a flood's
/// `count = 511` in one cut, on the log scale they mostly cut through the normal bulk.
/// So for such a column the forest draws its split uniformly on the original scale and
/// maps it back, which is exactly scikit-learn's forest on the raw feature, while the
/// matrix stays shared. Measured on the KDD 10% profile protocol, ψ = 1024, seeds 0–4:
/// ROC AUC 0.987–0.997 with log-scale splits, 0.996–0.998 with original-scale splits.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Default)]
pub enum SplitScale {
    /// Split uniformly on the column's own values.
    #[default]
    Linear,
    /// The column holds `(log1p(x) − mean) / std`: split uniformly in `x`.
    Log1p { mean: f64, std: f64 },
}

impl SplitScale {
    /// One scale per column of an encoder's matrix: original-scale splits on its
    /// `log1p` columns, linear elsewhere.
    pub fn for_encoder(encoder: &crate::features::Encoder) -> Vec<SplitScale> {
        encoder
            .log_columns()
            .into_iter()
            .map(|c| {
                c.map_or(SplitScale::Linear, |(mean, std)| SplitScale::Log1p {
                    mean,
                    std,
                })
            })
            .collect()
    }

    /// A uniform draw `u ∈ [0, 1)` between `min` and `max` (matrix values) on this scale.
    fn draw(self, min: f32, max: f32, u: f64) -> f64 {
        match self {
            SplitScale::Linear => f64::from(min) + u * (f64::from(max) - f64::from(min)),
            SplitScale::Log1p { mean, std } => {
                let raw = |z: f32| (f64::from(z) * std + mean).exp_m1();
                let (lo, hi) = (raw(min), raw(max));
                ((lo + u * (hi - lo)).ln_1p() - mean) / std
            }
        }
    }
}

/// Average path length of an unsuccessful BST search among `n` points, `c(n)`:
/// the depth normaliser of the paper, with scikit-learn's `c(1) = 0`, `c(2) = 1`.
pub fn average_path_length(n: usize) -> f64 {
    match n {
        0 | 1 => 0.0,
        2 => 1.0,
        _ => {
            let n = n as f64;
            2.0 * ((n - 1.0).ln() + EULER_GAMMA) - 2.0 * (n - 1.0) / n
        }
    }
}

/// One node of the canonical tree. Children of a split are stored adjacently:
/// `left` and `left + 1` (indices within the tree), always after their parent.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
enum NodeRepr {
    Split {
        feature: u32,
        threshold: f32,
        left: u32,
    },
    Leaf {
        size: u32,
    },
}

/// Scoring node. Leaves are self-loops (`threshold = +∞`, `next` = own index), so a
/// fixed number of steps always ends on the right leaf, NaN and +∞ included
/// (`v > +∞` and `NaN > t` are both false).
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Node {
    feature: u32,
    threshold: f32,
    /// Left child (right is `next + 1`), or the node itself for a leaf.
    next: u32,
}

/// Split slot of the implicit (heap-ordered) layout: children of slot `i` are
/// `2i + 1` and `2i + 2`, so no child index is stored and a node is 8 bytes.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
struct Split {
    feature: u32,
    threshold: f32,
}

/// The fast scoring layout, used when every tree is at most [`MAX_IMPLICIT_DEPTH`]
/// deep (always the case for ψ ≤ 4096). Each tree is padded to a complete tree of
/// depth `depth`: a leaf above the bottom becomes pass-through splits
/// (`threshold = +∞`, always left) ending in a bottom slot holding its value, so every
/// row takes exactly `depth` steps with pure arithmetic on the index.
#[derive(Clone, Debug)]
struct Implicit {
    depth: u32,
    /// `2^depth` slots per tree: `2^depth − 1` splits plus one unused pad slot, so a
    /// tree's slice length is a power of two and `idx & (len − 1)` needs no bounds check.
    splits: Vec<Split>,
    /// `2^depth` bottom slots per tree: `depth + c(size)` of the leaf they stand for.
    leaves: Vec<f64>,
}

/// Deepest forest compiled to [`Implicit`]: 2^12 slots × (8 + 8) bytes = 64 KB per tree.
/// Deeper forests (ψ > 4096) fall back to the explicit self-loop layout.
const MAX_IMPLICIT_DEPTH: u32 = 12;

/// Where one tree lives in the compiled arrays, and how many steps reach any leaf.
#[derive(Clone, Copy, Debug)]
struct TreeMeta {
    start: usize,
    end: usize,
    depth: u32,
}

/// A fitted isolation forest. Serialises as its config, shape and canonical trees;
/// deserialisation validates the trees (indices, features, finiteness) so that a
/// corrupted model bundle is an error, not a panic while scoring.
#[derive(Clone, Debug, Deserialize)]
#[serde(try_from = "ForestRepr")]
pub struct IsolationForest {
    config: IsolationForestConfig,
    n_features: usize,
    max_samples: usize,
    trees: Vec<Vec<NodeRepr>>,
    /// `c(ψ)`, the score normaliser.
    norm: f64,
    nodes: Vec<Node>,
    /// `depth + c(size)` for leaves, 0 for splits; parallel to `nodes`.
    values: Vec<f64>,
    /// Per node, the share of its training rows a row leaves behind by going left
    /// (`[0]`) or right (`[1]`): the other child's size over the node's. 0 for leaves.
    /// Parallel to `nodes`; precomputed so explaining a row divides nothing.
    shares: Vec<[f64; 2]>,
    meta: Vec<TreeMeta>,
    implicit: Option<Implicit>,
}

#[derive(Deserialize)]
struct ForestRepr {
    config: IsolationForestConfig,
    n_features: usize,
    max_samples: usize,
    trees: Vec<Vec<NodeRepr>>,
}

#[derive(Serialize)]
struct ForestReprRef<'a> {
    config: &'a IsolationForestConfig,
    n_features: usize,
    max_samples: usize,
    trees: &'a [Vec<NodeRepr>],
}

impl Serialize for IsolationForest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ForestReprRef {
            config: &self.config,
            n_features: self.n_features,
            max_samples: self.max_samples,
            trees: &self.trees,
        }
        .serialize(serializer)
    }
}

impl TryFrom<ForestRepr> for IsolationForest {
    type Error = IForestError;

    fn try_from(r: ForestRepr) -> Result<Self, Self::Error> {
        IsolationForest::from_parts(r.config, r.n_features, r.max_samples, r.trees)
    }
}

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

    /// Validates canonical trees and compiles the scoring arrays. Shared by `fit` and
    /// deserialisation so both produce exactly the same scorer.
    fn from_parts(
        config: IsolationForestConfig,
        n_features: usize,
        max_samples: usize,
        trees: Vec<Vec<NodeRepr>>,
    ) -> Result<IsolationForest, IForestError> {
        let bad = |msg: String| Err(IForestError::InvalidModel(msg));
        if n_features == 0 || u32::try_from(n_features).is_err() {
            return bad(format!("n_features = {n_features}"));
        }
        if max_samples == 0 {
            return bad("max_samples = 0".into());
        }
        if trees.is_empty() {
            return bad("no trees".into());
        }
        let total: usize = trees.iter().map(Vec::len).sum();
        let mut nodes = Vec::with_capacity(total);
        let mut values = Vec::with_capacity(total);
        let mut sizes = Vec::with_capacity(total);
        let mut meta = Vec::with_capacity(trees.len());
        for (t, tree) in trees.iter().enumerate() {
            if tree.is_empty() || u32::try_from(tree.len()).is_err() {
                return bad(format!("tree {t} has {} nodes", tree.len()));
            }
            let start = nodes.len();
            let mut depth_of = vec![u32::MAX; tree.len()];
            depth_of[0] = 0;
            let mut max_depth = 0u32;
            for (i, node) in tree.iter().enumerate() {
                let depth = depth_of[i];
                if depth == u32::MAX {
                    return bad(format!("tree {t}: node {i} is unreachable"));
                }
                match *node {
                    NodeRepr::Split {
                        feature,
                        threshold,
                        left,
                    } => {
                        let l = left as usize;
                        // Children strictly after the parent ⇒ no cycles; each node
                        // reached once ⇒ a tree, not a DAG.
                        if l <= i || l + 1 >= tree.len() {
                            return bad(format!("tree {t}: node {i} has child {l}"));
                        }
                        if depth_of[l] != u32::MAX || depth_of[l + 1] != u32::MAX {
                            return bad(format!("tree {t}: node {l} has two parents"));
                        }
                        if feature as usize >= n_features || !threshold.is_finite() {
                            return bad(format!(
                                "tree {t}: node {i} splits on {feature} at {threshold}"
                            ));
                        }
                        depth_of[l] = depth + 1;
                        depth_of[l + 1] = depth + 1;
                        nodes.push(Node {
                            feature,
                            threshold,
                            next: left,
                        });
                        values.push(0.0);
                        sizes.push(0);
                    }
                    NodeRepr::Leaf { size } => {
                        max_depth = max_depth.max(depth);
                        nodes.push(Node {
                            feature: 0,
                            threshold: f32::INFINITY,
                            next: i as u32,
                        });
                        values.push(f64::from(depth) + average_path_length(size as usize));
                        sizes.push(size);
                    }
                }
            }
            // Children come after parents, so a reverse sweep sums subtrees bottom-up.
            for i in (0..tree.len()).rev() {
                if let NodeRepr::Split { left, .. } = tree[i] {
                    let l = start + left as usize;
                    sizes[start + i] = sizes[l].saturating_add(sizes[l + 1]);
                }
            }
            meta.push(TreeMeta {
                start,
                end: nodes.len(),
                depth: max_depth,
            });
        }
        let implicit = build_implicit(&trees, &values, &meta);
        let mut shares = vec![[0.0; 2]; nodes.len()];
        for t in &meta {
            for i in t.start..t.end {
                let node = nodes[i];
                let left = t.start + node.next as usize;
                if left != i && sizes[i] > 0 {
                    let size = f64::from(sizes[i]);
                    shares[i] = [
                        f64::from(sizes[left + 1]) / size,
                        f64::from(sizes[left]) / size,
                    ];
                }
            }
        }
        Ok(IsolationForest {
            config,
            n_features,
            max_samples,
            trees,
            norm: average_path_length(max_samples),
            implicit,
            nodes,
            values,
            shares,
            meta,
        })
    }

    /// Number of columns the forest was fitted on.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// The configuration the forest was fitted with.
    pub fn config(&self) -> &IsolationForestConfig {
        &self.config
    }

    /// ψ actually used (after resolving `Auto`/`Fraction` and clamping to `n`).
    pub fn max_samples_used(&self) -> usize {
        self.max_samples
    }

    /// Number of trees.
    pub fn n_trees(&self) -> usize {
        self.meta.len()
    }

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

    /// Per-feature "how much did this feature cut the row off from the crowd".
    ///
    /// Walks the row through every tree; at each split on its path, the split feature
    /// gets the *share of that node's training samples sent to the other branch*
    /// (`n_other / n_node`). The result is averaged over trees (length = `n_features`).
    ///
    /// Why this weight: a split that separates the row from almost everyone (what makes
    /// a path short) scores ≈ 1, while a split that merely peels a few others away
    /// from a row sitting in the bulk scores ≈ 0. The simpler `1 / (depth + 1)` was
    /// tried and rejected: the root split gets weight 1 for *every* row, so a noise
    /// feature drawn at many roots outweighed the one feature that actually isolated
    /// the row. Still a raw attribution: normal rows also accumulate weight (spread
    /// over many splits), so rank features within a row, or compare against typical
    /// rows. Features never split on (e.g. constant ones) get exactly 0.
    ///
    /// # Panics
    /// If `row.len() != self.n_features()`.
    pub fn path_features(&self, row: &[f32]) -> Vec<f64> {
        self.path_features_many(&[row])
            .pop()
            .expect("one row in, one row out")
    }

    /// [`path_features`](Self::path_features) of several rows, walked `LANES` at a time
    /// through one tree after another (as scoring does), so the rows' walks overlap
    /// instead of each waiting on its own chain of loads. Each row's sums are added in
    /// the same order as walking it alone, so the results are identical.
    ///
    /// # Panics
    /// If a row's length is not `self.n_features()`.
    pub fn path_features_many(&self, rows: &[&[f32]]) -> Vec<Vec<f64>> {
        rows.iter().for_each(|row| self.assert_row_len(row));
        let mut out = vec![vec![0.0; self.n_features]; rows.len()];
        for (block, weights) in rows.chunks(LANES).zip(out.chunks_mut(LANES)) {
            for t in &self.meta {
                let nodes = &self.nodes[t.start..t.end];
                let shares = &self.shares[t.start..t.end];
                let mut idx = [0u32; LANES];
                // Leaves point at themselves and split nowhere (threshold +inf, share
                // 0), so walking `depth` steps from every row adds nothing after a leaf.
                for _ in 0..t.depth {
                    for ((row, w), i) in block.iter().zip(weights.iter_mut()).zip(&mut idx) {
                        let node = nodes[*i as usize];
                        let f = node.feature as usize;
                        let go = usize::from(row[f] > node.threshold);
                        w[f] += shares[*i as usize][go];
                        *i = node.next + go as u32;
                    }
                }
            }
        }
        let n_trees = self.meta.len() as f64;
        for w in &mut out {
            w.iter_mut().for_each(|x| *x /= n_trees);
        }
        out
    }

    fn assert_row_len(&self, row: &[f32]) {
        assert_eq!(
            row.len(),
            self.n_features,
            "row length does not match the forest's feature count"
        );
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

/// Compiles the canonical trees into the [`Implicit`] layout, or `None` if the forest
/// is too deep for it. `values`/`meta` are the explicit arrays (leaf values per node).
fn build_implicit(trees: &[Vec<NodeRepr>], values: &[f64], meta: &[TreeMeta]) -> Option<Implicit> {
    let depth = meta.iter().map(|t| t.depth).max()?;
    if depth > MAX_IMPLICIT_DEPTH {
        return None;
    }
    let width = 1usize << depth;
    let pass = Split {
        feature: 0,
        threshold: f32::INFINITY,
    };
    let mut splits = vec![pass; width * trees.len()];
    let mut leaves = vec![0.0; width * trees.len()];
    for ((tree, t), k) in trees.iter().zip(meta).zip(0..) {
        let splits = &mut splits[k * width..(k + 1) * width];
        let leaves = &mut leaves[k * width..(k + 1) * width];
        // (canonical node, heap slot, level)
        let mut stack = vec![(0usize, 0usize, 0u32)];
        while let Some((i, slot, level)) = stack.pop() {
            match tree[i] {
                NodeRepr::Split {
                    feature,
                    threshold,
                    left,
                } => {
                    splits[slot] = Split { feature, threshold };
                    stack.push((left as usize, 2 * slot + 1, level + 1));
                    stack.push((left as usize + 1, 2 * slot + 2, level + 1));
                }
                NodeRepr::Leaf { .. } => {
                    // Pass-through splits (already the default) go left down to the bottom.
                    let mut s = slot;
                    for _ in level..depth {
                        s = 2 * s + 1;
                    }
                    leaves[s - (width - 1)] = values[t.start + i];
                }
            }
        }
    }
    Some(Implicit {
        depth,
        splits,
        leaves,
    })
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

fn resolve_max_samples(m: MaxSamples, n: usize) -> Result<usize, IForestError> {
    match m {
        MaxSamples::Auto => Ok(n.min(AUTO_MAX_SAMPLES)),
        MaxSamples::Count(0) => Err(IForestError::InvalidConfig(
            "max_samples must be at least 1".into(),
        )),
        MaxSamples::Count(k) => Ok(k.min(n)),
        MaxSamples::Fraction(f) if f > 0.0 && f <= 1.0 => Ok(((f * n as f64) as usize).clamp(1, n)),
        MaxSamples::Fraction(f) => Err(IForestError::InvalidConfig(format!(
            "max_samples fraction must be in (0, 1], got {f}"
        ))),
    }
}

/// Position of the first NaN/±∞, if any. The common all-finite case is a parallel,
/// branch-free scan (vectorises to an OR-reduction); the exact spot is only searched
/// for when something was found.
fn find_non_finite(x: &Matrix) -> Option<IForestError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log1p_columns_split_uniformly_in_raw_units() {
        // A column holding (log1p(x) − 2) / 0.5 for x in [0, 1000].
        let scale = SplitScale::Log1p {
            mean: 2.0,
            std: 0.5,
        };
        let z = |x: f64| ((x.ln_1p() - 2.0) / 0.5) as f32;
        let (lo, hi) = (z(0.0), z(1000.0));
        // Halfway in raw units is x = 500, far above halfway in log units (x ≈ 30).
        let t = scale.draw(lo, hi, 0.5);
        assert!((t - f64::from(z(500.0))).abs() < 1e-4, "{t}");
        assert!(SplitScale::Linear.draw(lo, hi, 0.5) < t);
        // The draw stays within [min, max] in matrix units.
        for u in [0.0, 0.25, 0.999_999] {
            let t = scale.draw(lo, hi, u);
            assert!(t >= f64::from(lo) - 1e-6 && t <= f64::from(hi) + 1e-6);
        }
    }

    fn cfg(n_estimators: usize, seed: u64) -> IsolationForestConfig {
        IsolationForestConfig {
            n_estimators,
            max_samples: MaxSamples::Auto,
            seed,
        }
    }

    /// Standard normal pair via Box–Muller.
    fn gauss(rng: &mut ChaCha8Rng) -> (f32, f32) {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let th = std::f64::consts::TAU * u2;
        ((r * th.cos()) as f32, (r * th.sin()) as f32)
    }

    /// 2-D Gaussian cloud of `n` rows followed by `k` far outliers; labels 1 = outlier.
    fn cloud_with_outliers(n: usize, k: usize, seed: u64) -> (Matrix, Vec<bool>) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut data = Vec::with_capacity((n + k) * 2);
        for _ in 0..n {
            let (a, b) = gauss(&mut rng);
            data.extend_from_slice(&[a, b]);
        }
        for i in 0..k {
            let ang = i as f64 * std::f64::consts::TAU / k as f64;
            data.extend_from_slice(&[(8.0 * ang.cos()) as f32, (8.0 * ang.sin()) as f32]);
        }
        let labels = (0..n + k).map(|i| i >= n).collect();
        (Matrix::new(n + k, 2, data), labels)
    }

    /// ROC AUC by Mann–Whitney: P(score of positive > score of negative), ties = ½.
    fn auc(scores: &[f64], labels: &[bool]) -> f64 {
        let (mut wins, mut pairs) = (0.0, 0.0);
        for (s_pos, _) in scores.iter().zip(labels).filter(|(_, l)| **l) {
            for (s_neg, _) in scores.iter().zip(labels).filter(|(_, l)| !**l) {
                pairs += 1.0;
                if s_pos > s_neg {
                    wins += 1.0;
                } else if s_pos == s_neg {
                    wins += 0.5;
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn average_path_length_matches_known_values() {
        assert_eq!(average_path_length(0), 0.0);
        assert_eq!(average_path_length(1), 0.0);
        assert_eq!(average_path_length(2), 1.0);
        // 2(ln 2 + γ) − 4/3
        assert!((average_path_length(3) - 1.207_392_357_589_623).abs() < 1e-12);
        assert!((average_path_length(256) - 10.244_770_920_119_917).abs() < 1e-9);
    }

    #[test]
    fn outliers_score_highest_and_auc_is_one() {
        let (x, labels) = cloud_with_outliers(1000, 10, 7);
        let forest = IsolationForest::fit(&x, &cfg(100, 42)).expect("fit");
        let scores = forest.score(&x);
        assert!(scores.iter().all(|&s| s > 0.0 && s < 1.0));
        let a = auc(&scores, &labels);
        assert!(a > 0.999, "AUC {a}");
        // The 10 outliers are exactly the top 10.
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
        assert!(
            order[..10].iter().all(|&i| labels[i]),
            "top 10: {:?}",
            &order[..10]
        );
        // Outliers are clearly anomalous (> 0.5), the bulk clearly not.
        let mut inl: Vec<f64> = scores[..1000].to_vec();
        inl.sort_by(f64::total_cmp);
        assert!(scores[1000..].iter().all(|&s| s > 0.6));
        assert!(inl[500] < 0.5, "median inlier score {}", inl[500]);
    }

    #[test]
    fn same_seed_is_bit_identical_different_seed_differs() {
        let (x, _) = cloud_with_outliers(500, 5, 1);
        let a = IsolationForest::fit(&x, &cfg(50, 3))
            .expect("fit")
            .score(&x);
        let b = IsolationForest::fit(&x, &cfg(50, 3))
            .expect("fit")
            .score(&x);
        let c = IsolationForest::fit(&x, &cfg(50, 4))
            .expect("fit")
            .score(&x);
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
        assert!(a.iter().zip(&c).any(|(p, q)| p != q));
        // Independent of the thread pool.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        let d = pool.install(|| {
            IsolationForest::fit(&x, &cfg(50, 3))
                .expect("fit")
                .score(&x)
        });
        assert!(a.iter().zip(&d).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn score_row_matches_score_for_lanes_and_remainder() {
        // 300 rows: full blocks, full lanes and a remainder shorter than LANES.
        let (x, _) = cloud_with_outliers(297, 3, 9);
        let forest = IsolationForest::fit(&x, &cfg(30, 1)).expect("fit");
        let scores = forest.score(&x);
        for (i, s) in scores.iter().enumerate() {
            assert_eq!(s.to_bits(), forest.score_row(x.row(i)).to_bits(), "row {i}");
        }
    }

    #[test]
    fn explicit_fallback_layout_gives_identical_scores() {
        // ψ = 5000 ⇒ depth 13 > MAX_IMPLICIT_DEPTH: the forest must use the fallback.
        let (x, _) = cloud_with_outliers(5000, 3, 12);
        let config = IsolationForestConfig {
            max_samples: MaxSamples::Count(5000),
            ..cfg(4, 2)
        };
        let deep = IsolationForest::fit(&x, &config).expect("fit");
        assert!(deep.implicit.is_none());
        let scores = deep.score(&x);
        for i in (0..x.rows()).step_by(97).chain([5000, 5001, 5002]) {
            assert_eq!(scores[i].to_bits(), deep.score_row(x.row(i)).to_bits());
        }
        assert!(
            scores[5000..].iter().all(|&s| s > 0.6),
            "{:?}",
            &scores[5000..]
        );
        // And a shallow forest scored through both layouts agrees bit for bit.
        let shallow = IsolationForest::fit(&x, &cfg(20, 2)).expect("fit");
        let mut forced = shallow.clone();
        forced.implicit = None;
        let (a, b) = (shallow.score(&x), forced.score(&x));
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn constant_column_is_never_split_on() {
        let (cloud, _) = cloud_with_outliers(400, 4, 5);
        let mut data = Vec::new();
        for r in 0..cloud.rows() {
            let row = cloud.row(r);
            data.extend_from_slice(&[row[0], 3.5, row[1]]);
        }
        let x = Matrix::new(cloud.rows(), 3, data);
        let forest = IsolationForest::fit(&x, &cfg(50, 11)).expect("fit");
        for r in [0, 200, 403] {
            let w = forest.path_features(x.row(r));
            assert_eq!(w.len(), 3);
            assert_eq!(w[1], 0.0, "constant column got weight: {w:?}");
            assert!(w[0] > 0.0 && w[2] > 0.0, "{w:?}");
        }
        // Structural check too: no split anywhere uses column 1.
        assert!(
            forest
                .trees
                .iter()
                .flatten()
                .all(|n| !matches!(n, NodeRepr::Split { feature: 1, .. }))
        );
    }

    #[test]
    fn path_features_point_at_the_isolating_feature() {
        // Column 0 is noise for everyone; column 1 is 0 except for row 0.
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let n = 300;
        let mut data = Vec::new();
        for i in 0..n {
            data.push(rng.random::<f32>());
            data.push(if i == 0 { 1.0 } else { 0.0 });
        }
        let x = Matrix::new(n, 2, data);
        let forest = IsolationForest::fit(&x, &cfg(100, 5)).expect("fit");
        let odd = forest.path_features(x.row(0));
        let normal = forest.path_features(x.row(1));
        assert!(odd[1] > odd[0], "anomalous row: {odd:?}");
        assert!(normal[1] < 0.01, "normal row: {normal:?}");
        assert!(normal[0] > 1.0, "normal row: {normal:?}");
        assert!(forest.score_row(x.row(0)) > forest.score_row(x.row(1)));
    }

    /// The walk as first written: one row, node by node until a leaf, dividing the
    /// subtree sizes at each split. The lockstep walk must give the same bits.
    fn path_features_reference(forest: &IsolationForest, row: &[f32]) -> Vec<f64> {
        let mut weights = vec![0.0; forest.n_features];
        for tree in &forest.trees {
            fn size(tree: &[NodeRepr], i: usize) -> u32 {
                match tree[i] {
                    NodeRepr::Leaf { size } => size,
                    NodeRepr::Split { left, .. } => {
                        size(tree, left as usize).saturating_add(size(tree, left as usize + 1))
                    }
                }
            }
            let mut i = 0usize;
            while let NodeRepr::Split {
                feature,
                threshold,
                left,
            } = tree[i]
            {
                let f = feature as usize;
                let next = left as usize + usize::from(row[f] > threshold);
                let other = if next == left as usize {
                    next + 1
                } else {
                    left as usize
                };
                if size(tree, i) > 0 {
                    weights[f] += f64::from(size(tree, other)) / f64::from(size(tree, i));
                }
                i = next;
            }
        }
        let n_trees = forest.trees.len() as f64;
        weights.iter_mut().for_each(|w| *w /= n_trees);
        weights
    }

    #[test]
    fn lockstep_path_features_equal_the_row_by_row_walk() {
        let (x, _) = cloud_with_outliers(500, 7, 9);
        let forest = IsolationForest::fit(&x, &cfg(30, 4)).expect("fit");
        // 507 rows: full blocks of LANES and a ragged last one; NaN goes left.
        let mut rows: Vec<&[f32]> = (0..x.rows()).map(|r| x.row(r)).collect();
        let nan = [f32::NAN, 0.5];
        rows.push(&nan);
        let many = forest.path_features_many(&rows);
        for (row, got) in rows.iter().zip(&many) {
            let want = path_features_reference(&forest, row);
            let same = got
                .iter()
                .zip(&want)
                .all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{got:?} vs {want:?}");
        }
        assert!(forest.path_features_many(&[]).is_empty());
    }

    #[test]
    fn all_constant_matrix_gives_equal_scores() {
        let x = Matrix::new(50, 4, vec![1.25; 200]);
        let forest = IsolationForest::fit(&x, &cfg(20, 0)).expect("fit");
        let s = forest.score(&x);
        assert!(s.iter().all(|&v| v == s[0]));
        // Every tree is a single leaf of ψ = 50 samples: score = 2^(−c(50)/c(50)) = ½.
        assert!((s[0] - 0.5).abs() < 1e-12);
        assert!(forest.path_features(x.row(0)).iter().all(|&w| w == 0.0));
    }

    #[test]
    fn small_n_uses_all_rows_and_max_samples_variants() {
        let (x, _) = cloud_with_outliers(100, 0, 4);
        let f = IsolationForest::fit(&x, &cfg(5, 0)).expect("fit");
        assert_eq!(f.max_samples_used(), 100);
        assert_eq!(f.n_features(), 2);
        assert_eq!(f.n_trees(), 5);
        // Root of every tree holds ψ samples before splitting, depth ≤ ceil(log2 100) = 7.
        assert!(f.meta.iter().all(|t| t.depth <= 7));
        let with = |m| IsolationForestConfig {
            max_samples: m,
            ..cfg(5, 0)
        };
        let used = |m| IsolationForest::fit(&x, &with(m)).map(|f| f.max_samples_used());
        assert_eq!(used(MaxSamples::Count(64)), Ok(64));
        assert_eq!(used(MaxSamples::Count(1000)), Ok(100));
        assert_eq!(used(MaxSamples::Fraction(0.5)), Ok(50));
        assert!(used(MaxSamples::Count(0)).is_err());
        assert!(used(MaxSamples::Fraction(0.0)).is_err());
        assert!(used(MaxSamples::Fraction(f64::NAN)).is_err());
        assert!(used(MaxSamples::Fraction(1.5)).is_err());
        // ψ = 1: c(1) = 0, scikit-learn's convention gives 0.5 everywhere.
        let one = IsolationForest::fit(&x, &with(MaxSamples::Count(1))).expect("fit");
        assert!(one.score(&x).iter().all(|&s| s == 0.5));
    }

    #[test]
    fn serde_round_trip_gives_identical_scores() {
        let (x, _) = cloud_with_outliers(300, 3, 8);
        let forest = IsolationForest::fit(&x, &cfg(25, 6)).expect("fit");
        let json = serde_json::to_string(&forest).expect("serialise");
        let back: IsolationForest = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back.config(), forest.config());
        assert_eq!(back.max_samples_used(), forest.max_samples_used());
        let (a, b) = (forest.score(&x), back.score(&x));
        assert!(a.iter().zip(&b).all(|(p, q)| p.to_bits() == q.to_bits()));
    }

    #[test]
    fn corrupted_model_is_rejected() {
        let x = Matrix::new(4, 1, vec![0.0, 1.0, 2.0, 3.0]);
        let forest = IsolationForest::fit(&x, &cfg(1, 0)).expect("fit");
        let mut v = serde_json::to_value(&forest).expect("serialise");
        v["n_features"] = serde_json::json!(0);
        assert!(serde_json::from_value::<IsolationForest>(v).is_err());
        let cyclic = r#"{"config":{"n_estimators":1,"max_samples":"Auto","seed":0},
            "n_features":1,"max_samples":4,
            "trees":[[{"Split":{"feature":0,"threshold":1.0,"left":0}},{"Leaf":{"size":1}}]]}"#;
        assert!(serde_json::from_str::<IsolationForest>(cyclic).is_err());
    }

    #[test]
    fn invalid_input_is_an_error() {
        assert_eq!(
            IsolationForest::fit(&Matrix::zeros(0, 3), &cfg(10, 0)).err(),
            Some(IForestError::EmptyMatrix { rows: 0, cols: 3 })
        );
        assert!(IsolationForest::fit(&Matrix::zeros(3, 0), &cfg(10, 0)).is_err());
        assert!(IsolationForest::fit(&Matrix::zeros(3, 2), &cfg(0, 0)).is_err());
        let mut x = Matrix::zeros(10, 3);
        x.row_mut(7)[2] = f32::NAN;
        match IsolationForest::fit(&x, &cfg(10, 0)) {
            Err(IForestError::NonFinite { row: 7, col: 2, .. }) => {}
            other => panic!("expected NonFinite, got {other:?}"),
        }
        x.row_mut(7)[2] = f32::INFINITY;
        assert!(IsolationForest::fit(&x, &cfg(10, 0)).is_err());
        let ok = IsolationForest::fit(&Matrix::zeros(10, 3), &cfg(10, 0)).expect("fit");
        assert!(matches!(
            ok.try_score(&Matrix::zeros(2, 4)),
            Err(IForestError::FeatureMismatch {
                expected: 3,
                got: 4
            })
        ));
    }

    /// KDD-shaped synthetic timing (494,021 × 120, 100 trees, ψ = 256):
    /// `cargo test --release --lib detect::iforest::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing_kdd_shape() {
        let (rows, cols) = (494_021, 120);
        let x = synthetic_kdd_like(rows, cols, 1);
        let config = IsolationForestConfig::default();
        // Best of 5: the machine is shared, the minimum is the least disturbed run.
        let best = |f: &mut dyn FnMut()| {
            (0..5)
                .map(|_| {
                    let t = std::time::Instant::now();
                    f();
                    t.elapsed().as_secs_f64() * 1e3
                })
                .fold(f64::INFINITY, f64::min)
        };
        let mut fitted = None;
        let fit = best(&mut || fitted = Some(IsolationForest::fit(&x, &config).expect("fit")));
        let mut forest = fitted.expect("fitted");
        let scan = best(&mut || assert!(find_non_finite(&x).is_none()));
        let score = best(&mut || drop(forest.score(&x)));
        println!(
            "threads {}: fit {fit:.1} ms (finiteness scan {scan:.1} ms), score {score:.1} ms \
             ({:.2} M rows/s), fit + score {:.1} ms",
            rayon::current_num_threads(),
            rows as f64 / score / 1e3,
            fit + score,
        );
        forest.implicit = None;
        let fallback = best(&mut || drop(forest.score(&x)));
        println!("explicit (deep-forest fallback) layout: score {fallback:.1} ms");
    }

    /// ~30 standardized numeric columns plus one-hot groups, like the KDD features.
    fn synthetic_kdd_like(rows: usize, cols: usize, seed: u64) -> Matrix {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let numeric = 30.min(cols);
        let groups = [3usize, 66, 11];
        let mut data = vec![0.0f32; rows * cols];
        for r in 0..rows {
            let row = &mut data[r * cols..(r + 1) * cols];
            for v in row.iter_mut().take(numeric) {
                *v = gauss(&mut rng).0;
            }
            let mut at = numeric;
            for &g in &groups {
                if at + g > cols {
                    break;
                }
                // Skewed categories: low indices dominate.
                let u: f64 = rng.random::<f64>();
                let k = ((u * u * u) * g as f64) as usize;
                row[at + k.min(g - 1)] = 1.0;
                at += g;
            }
            for v in row.iter_mut().skip(at) {
                *v = f32::from(rng.random::<f64>() < 0.1);
            }
        }
        Matrix::new(rows, cols, data)
    }
}
