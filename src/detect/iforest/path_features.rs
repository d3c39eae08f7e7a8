//! Explanations: which features cut a row off from the crowd, walked through the
//! trees `LANES` rows in lockstep.

use super::IsolationForest;
use super::layout::LANES;

impl IsolationForest {
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
}
