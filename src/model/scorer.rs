//! Scoring records with a saved bundle: encode with the bundle's encoder, score with
//! each detector, flag against the saved thresholds, and explain flagged rows.

use std::time::Instant;

use crate::data::Dataset;
use crate::data::schema::CATEGORICAL;
use crate::detect::explain::{self, Contribution};
use crate::features::{Matrix, UnseenValues};
use crate::model::ModelBundle;

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

/// Scores every row of `data` with every detector in the bundle.
pub fn score(bundle: &ModelBundle, data: &Dataset) -> ScoredRows {
    let (matrix, unseen) = bundle.encoder.transform_all(data);
    let mut detectors = Vec::new();
    if let (Some(forest), Some(entry)) = (&bundle.iforest, bundle.manifest.detectors.get("iforest"))
    {
        let started = Instant::now();
        let scores = forest.score(&matrix);
        detectors.push(DetectorScores {
            name: "iforest",
            scores,
            threshold: entry.threshold.value,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    ScoredRows {
        matrix,
        detectors,
        unseen,
    }
}

/// Why `detector` scored row `row` as it did, per original feature, largest first.
pub fn explain(
    bundle: &ModelBundle,
    scored: &ScoredRows,
    data: &Dataset,
    detector: &str,
    row: usize,
) -> Vec<Contribution> {
    let encoded = scored.matrix.row(row);
    let evidence = match detector {
        "iforest" => match &bundle.iforest {
            Some(forest) => forest.path_features(encoded),
            None => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    let raw: [Option<&str>; 3] = std::array::from_fn(|k| data.category(row, k));
    debug_assert_eq!(CATEGORICAL.len(), 3);
    explain::by_feature(&evidence, bundle.encoder.columns(), encoded, Some(raw))
}
