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
//!
//! Files: `config` (settings, errors, split scales, `c(n)`), `fit` (growing the
//! trees), `layout` (the tree representations), `compile` (validating canonical trees
//! into the scoring arrays; serde of the forest), `score` (the scoring kernels),
//! `path_features` (per-feature explanations).

use serde::Deserialize;

mod compile;
mod config;
mod fit;
mod layout;
mod path_features;
mod score;

use compile::ForestRepr;
pub use config::{
    IForestError, IsolationForestConfig, MaxSamples, RECOMMENDED_MAX_SAMPLES, SplitScale,
    average_path_length,
};
use layout::{Implicit, Node, NodeRepr, TreeMeta};

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

impl IsolationForest {
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

    fn assert_row_len(&self, row: &[f32]) {
        assert_eq!(
            row.len(),
            self.n_features,
            "row length does not match the forest's feature count"
        );
    }
}

#[cfg(test)]
mod tests;
