//! Canonical trees → the validated, compiled scoring arrays; serde of the forest
//! (as its config, shape and canonical trees, recompiled on load).

use serde::{Deserialize, Serialize};

use super::IsolationForest;
use super::config::{IForestError, IsolationForestConfig, average_path_length};
use super::layout::{Implicit, MAX_IMPLICIT_DEPTH, Node, NodeRepr, Split, TreeMeta};

#[derive(Deserialize)]
pub(super) struct ForestRepr {
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
    /// Validates canonical trees and compiles the scoring arrays. Shared by `fit` and
    /// deserialisation so both produce exactly the same scorer.
    pub(super) fn from_parts(
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
