//! Scoring a batch: every detector's verdicts, the flagged records explained.

use crate::capture::record::ConnRecord;
use crate::data::Dataset;
use crate::detect::autoencoder::AutoencoderError;
use crate::detect::explain::Contribution;
use crate::model::ModelBundle;
use crate::model::scorer::{self, Explainer};

/// One detector's verdicts on a batch.
#[derive(Debug, Clone)]
pub struct Verdicts {
    pub name: &'static str,
    pub threshold: f64,
    pub scores: Vec<f64>,
    /// The top features of each flagged record (empty for the others).
    pub why: Vec<Vec<Contribution>>,
}

impl Verdicts {
    pub fn flagged(&self, row: usize) -> bool {
        self.scores[row] >= self.threshold
    }
}

/// Records scored together.
#[derive(Debug)]
pub struct ScoredBatch {
    pub records: Dataset,
    /// For records made from packets: the connection behind each record (else empty).
    pub connections: Vec<ConnRecord>,
    pub detectors: Vec<Verdicts>,
    /// When the batch was scored (nanoseconds since the Unix epoch).
    pub scored_at: u64,
    /// Records with a categorical value the model never saw.
    pub unseen_rows: usize,
}

impl ScoredBatch {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn any_flagged(&self, row: usize) -> bool {
        self.detectors.iter().any(|d| d.flagged(row))
    }
}

/// What the scoring loop reports.
#[derive(Debug)]
pub enum MonitorEvent {
    Batch(Box<ScoredBatch>),
    /// A record that could not be used and was skipped.
    Skipped(String),
}

/// Scores one batch with every detector in the bundle and explains its flagged records.
pub fn score_batch(
    bundle: &ModelBundle,
    records: Dataset,
    connections: Vec<ConnRecord>,
    why: usize,
) -> Result<ScoredBatch, AutoencoderError> {
    let scored = scorer::score(bundle, &records)?;
    let explainer = Explainer::for_bundle(bundle, &scored.matrix, &records);
    let mut detectors = Vec::with_capacity(scored.detectors.len());
    for d in scored.detectors {
        let mut reasons = vec![Vec::new(); records.len()];
        if why > 0 {
            let flagged: Vec<(usize, usize)> = (0..records.len())
                .filter(|&r| d.flagged(r))
                .map(|r| (r, r))
                .collect();
            let lists = explainer.explain_top(d.name, &flagged, why)?;
            for (&(r, _), list) in flagged.iter().zip(lists) {
                reasons[r] = list;
            }
        }
        detectors.push(Verdicts {
            name: d.name,
            threshold: d.threshold,
            scores: d.scores,
            why: reasons,
        });
    }
    Ok(ScoredBatch {
        connections,
        detectors,
        scored_at: crate::clock::now_nanos(),
        unseen_rows: scored.unseen.rows,
        records,
    })
}

/// The detectors a bundle scores with, in scoring order (as `scorer::score`).
pub fn detector_names(bundle: &ModelBundle) -> Vec<&'static str> {
    bundle
        .detectors
        .iter()
        .map(|d| d.kind().name())
        .filter(|name| bundle.manifest.detectors.contains_key(*name))
        .collect()
}
