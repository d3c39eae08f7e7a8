//! Scoring records with a saved bundle: encode with the bundle's encoder, score with
//! each detector, flag against the saved thresholds, and explain flagged rows.

use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::data::Dataset;
use crate::data::schema::CATEGORICAL;
use crate::detect::Detectors;
use crate::detect::autoencoder::AutoencoderError;
use crate::detect::explain::{self, Contribution};
use crate::detect::fusion::FusedDetector;
use crate::features::{Encoder, Matrix, UnseenValues};
use crate::model::ModelBundle;

/// Rows explained per autoencoder pass: one batched forward pass instead of one per
/// row, with the per-column error matrix bounded to a few MB.
const EXPLAIN_BATCH: usize = 8192;

/// Rows per chunk within which the forest walks identical rows once.
const DEDUP_CHUNK: usize = 2048;

/// An encoded row compared and hashed by its bits (equal bits, equal paths).
#[derive(Clone, Copy)]
struct RowBits<'a>(&'a [f32]);

impl PartialEq for RowBits<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len()
            && self
                .0
                .iter()
                .zip(other.0)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    }
}

impl Eq for RowBits<'_> {}

impl std::hash::Hash for RowBits<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for x in self.0 {
            state.write_u32(x.to_bits());
        }
    }
}

/// One detector's scores on the scored rows.
#[derive(Debug, Clone)]
pub struct DetectorScores {
    pub name: &'static str,
    pub scores: Vec<f64>,
    pub threshold: f64,
    pub seconds: f64,
}

impl DetectorScores {
    pub fn flagged(&self, row: usize) -> bool {
        self.scores[row] >= self.threshold
    }

    pub fn flagged_count(&self) -> usize {
        self.scores.iter().filter(|&&s| s >= self.threshold).count()
    }
}

/// Scores of every row of a dataset.
#[derive(Debug, Clone)]
pub struct ScoredRows {
    pub matrix: Matrix,
    pub detectors: Vec<DetectorScores>,
    pub unseen: UnseenValues,
}

impl ScoredRows {
    /// Whether any detector flags the row.
    pub fn any_flagged(&self, row: usize) -> bool {
        self.detectors.iter().any(|d| d.flagged(row))
    }

    pub fn detector(&self, name: &str) -> Option<&DetectorScores> {
        self.detectors.iter().find(|d| d.name == name)
    }
}

/// Scores every row of `data` with every detector in the bundle (forest first).
pub fn score(bundle: &ModelBundle, data: &Dataset) -> Result<ScoredRows, AutoencoderError> {
    let (matrix, unseen) = bundle.encoder.transform_all(data);
    // Report order: the forest first (the fused detector fuses its parts' scores).
    let detectors = bundle
        .detectors
        .score_all(&matrix)?
        .into_iter()
        .filter_map(|s| {
            let name = s.kind.name();
            let entry = bundle.manifest.detectors.get(name)?;
            Some(DetectorScores {
                name,
                scores: s.scores,
                threshold: entry.threshold.value,
                seconds: s.seconds,
            })
        })
        .collect();
    Ok(ScoredRows {
        matrix,
        detectors,
        unseen,
    })
}

/// Explains rows of an encoded matrix whose rows come from `data` (not necessarily
/// one for one: a test matrix holds a subset of the file's rows).
pub struct Explainer<'a> {
    pub encoder: &'a Encoder,
    /// The detectors whose flags are explained (shared, not copied).
    pub detectors: Detectors,
    pub matrix: &'a Matrix,
    pub data: &'a Dataset,
}

impl<'a> Explainer<'a> {
    /// Explains the rows of `matrix`, encoded from `data` one for one, with a bundle's
    /// detectors.
    pub fn for_bundle(bundle: &'a ModelBundle, matrix: &'a Matrix, data: &'a Dataset) -> Self {
        Explainer {
            encoder: &bundle.encoder,
            detectors: bundle.detectors.clone(),
            matrix,
            data,
        }
    }

    /// One list per `(matrix row, data row)` pair, in order.
    ///
    /// The forest's evidence is how strongly each column isolated the row on its paths;
    /// the autoencoder's is each column's squared reconstruction error, computed in
    /// batches.
    pub fn explain(
        &self,
        detector: &str,
        rows: &[(usize, usize)],
    ) -> Result<Vec<Vec<Contribution>>, AutoencoderError> {
        self.explain_top(detector, rows, usize::MAX)
    }

    /// As [`explain`](Self::explain), keeping the first `k` contributions of each list
    /// (only those are named).
    pub fn explain_top(
        &self,
        detector: &str,
        rows: &[(usize, usize)],
        k: usize,
    ) -> Result<Vec<Vec<Contribution>>, AutoencoderError> {
        fn fold<E: Copy + Into<f64>>(
            explainer: &Explainer<'_>,
            (m, d): (usize, usize),
            evidence: &[E],
            k: usize,
        ) -> Vec<Contribution> {
            let raw: [Option<&str>; 3] = std::array::from_fn(|c| explainer.data.category(d, c));
            debug_assert_eq!(CATEGORICAL.len(), 3);
            explain::top_features(
                evidence,
                explainer.encoder.columns(),
                explainer.matrix.row(m),
                Some(raw),
                k,
            )
        }
        match (
            detector,
            self.detectors.forest(),
            self.detectors.autoencoder(),
        ) {
            // A row's paths depend on its encoded values only: identical rows (a flood
            // repeats one record) are walked once per chunk.
            ("iforest", Some(forest), _) => Ok(rows
                .par_chunks(DEDUP_CHUNK)
                .flat_map_iter(|chunk| {
                    let mut first: FxHashMap<RowBits<'_>, usize> = FxHashMap::default();
                    let mut unique: Vec<&[f32]> = Vec::new();
                    let slots: Vec<usize> = chunk
                        .iter()
                        .map(|&(m, _)| {
                            let row = self.matrix.row(m);
                            *first.entry(RowBits(row)).or_insert_with(|| {
                                unique.push(row);
                                unique.len() - 1
                            })
                        })
                        .collect();
                    // The distinct rows walk the trees together, in lockstep.
                    let evidence = forest.path_features_many(&unique);
                    chunk
                        .iter()
                        .zip(slots)
                        .map(|(&pair, slot)| fold(self, pair, &evidence[slot], k))
                        .collect::<Vec<_>>()
                })
                .collect()),
            ("autoencoder", _, Some(model)) => {
                let mut out = Vec::with_capacity(rows.len());
                for chunk in rows.chunks(EXPLAIN_BATCH) {
                    let matrix_rows: Vec<usize> = chunk.iter().map(|&(m, _)| m).collect();
                    let errors =
                        model.try_squared_errors(&self.matrix.select_rows(&matrix_rows))?;
                    out.par_extend(
                        chunk
                            .par_iter()
                            .enumerate()
                            .map(|(i, &pair)| fold(self, pair, errors.row(i), k)),
                    );
                }
                Ok(out)
            }
            ("fused", _, _) => match self.detectors.fused() {
                Some(fused) => self.explain_fused(fused, rows, k),
                None => Ok(vec![Vec::new(); rows.len()]),
            },
            _ => Ok(vec![Vec::new(); rows.len()]),
        }
    }

    /// The fused detector's why: each row is explained by the part that found it the
    /// most surprising, the evidence that weighed most in its fused score.
    fn explain_fused(
        &self,
        fused: &FusedDetector,
        rows: &[(usize, usize)],
        k: usize,
    ) -> Result<Vec<Vec<Contribution>>, AutoencoderError> {
        let matrix_rows: Vec<usize> = rows.iter().map(|&(m, _)| m).collect();
        let selected = self.matrix.select_rows(&matrix_rows);
        let part_scores = fused
            .parts()
            .iter()
            .map(|p| p.detector.score(&selected))
            .collect::<Result<Vec<_>, _>>()?;
        let parts = Explainer {
            detectors: fused
                .parts()
                .iter()
                .map(|p| Arc::clone(&p.detector))
                .collect(),
            ..*self
        };
        let strongest: Vec<usize> = (0..rows.len())
            .map(|r| {
                let row: Vec<f64> = part_scores.iter().map(|s| s[r]).collect();
                fused.strongest(&row).0
            })
            .collect();
        let mut out = vec![Vec::new(); rows.len()];
        for (i, part) in fused.parts().iter().enumerate() {
            let mine: Vec<usize> = (0..rows.len()).filter(|&r| strongest[r] == i).collect();
            let pairs: Vec<(usize, usize)> = mine.iter().map(|&r| rows[r]).collect();
            let lists = parts.explain_top(part.detector.kind().name(), &pairs, k)?;
            for (r, list) in mine.into_iter().zip(lists) {
                out[r] = list;
            }
        }
        Ok(out)
    }
}
