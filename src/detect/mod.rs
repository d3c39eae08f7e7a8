//! Anomaly detectors, and the one type every layer holds a fitted one as.

pub mod autoencoder;
pub mod explain;
pub mod fusion;
pub mod iforest;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::features::Matrix;
use autoencoder::{AutoencoderError, TrainedAutoencoder};
use fusion::FusedDetector;
use iforest::IsolationForest;

/// The detectors netanomaly runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DetectorKind {
    /// The Isolation Forest.
    Iforest,
    /// The autoencoder (reconstruction error).
    Autoencoder,
    /// Both scores as tail probabilities among held-out normal rows, added as
    /// surprises (see the `fusion` module); trains both.
    Fused,
}

impl DetectorKind {
    /// Every detector, in the order reports list them (a fused one after its parts).
    pub const ALL: [DetectorKind; 3] = [
        DetectorKind::Iforest,
        DetectorKind::Autoencoder,
        DetectorKind::Fused,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DetectorKind::Iforest => "iforest",
            DetectorKind::Autoencoder => "autoencoder",
            DetectorKind::Fused => "fused",
        }
    }

    /// The name a person reads (screens, plots): "Isolation Forest".
    pub fn title(self) -> &'static str {
        match self {
            DetectorKind::Iforest => "Isolation Forest",
            DetectorKind::Autoencoder => "Autoencoder",
            DetectorKind::Fused => "Fused",
        }
    }

    /// `kinds` with what they need (the fused detector its parts), each once, in
    /// report order.
    pub fn with_parts(kinds: &[DetectorKind]) -> Vec<DetectorKind> {
        let needed = |k: DetectorKind| {
            kinds.contains(&k)
                || (kinds.contains(&DetectorKind::Fused) && fusion::PARTS.contains(&k))
        };
        DetectorKind::ALL
            .into_iter()
            .filter(|&k| needed(k))
            .collect()
    }

    /// The kind named `name` (as [`name`](Self::name) spells it).
    pub fn from_name(name: &str) -> Option<DetectorKind> {
        DetectorKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// A fitted detector.
#[derive(Debug, Clone)]
pub enum Detector {
    Forest(IsolationForest),
    Autoencoder(TrainedAutoencoder),
    Fused(FusedDetector),
}

impl Detector {
    pub fn kind(&self) -> DetectorKind {
        match self {
            Detector::Forest(_) => DetectorKind::Iforest,
            Detector::Autoencoder(_) => DetectorKind::Autoencoder,
            Detector::Fused(_) => DetectorKind::Fused,
        }
    }

    /// Anomaly scores of the matrix's rows (higher is more anomalous).
    pub fn score(&self, matrix: &Matrix) -> Result<Vec<f64>, AutoencoderError> {
        self.score_reusing(matrix, &[])
    }

    /// As [`score`](Self::score), taking the scores of the same rows that other
    /// detectors already computed from `known` instead of computing them again (the
    /// fused detector's parts).
    pub fn score_reusing(
        &self,
        matrix: &Matrix,
        known: &[(DetectorKind, &[f64])],
    ) -> Result<Vec<f64>, AutoencoderError> {
        match self {
            Detector::Forest(forest) => Ok(forest.score(matrix)),
            Detector::Autoencoder(model) => model.try_score(matrix),
            Detector::Fused(fused) => {
                let mut scores: Vec<Cow<'_, [f64]>> = Vec::with_capacity(fused.parts().len());
                for part in fused.parts() {
                    let kind = part.detector.kind();
                    scores.push(match known.iter().find(|(k, _)| *k == kind) {
                        Some(&(_, s)) if s.len() == matrix.rows() => Cow::Borrowed(s),
                        _ => Cow::Owned(part.detector.score(matrix)?),
                    });
                }
                let parts: Vec<&[f64]> = scores.iter().map(|s| s.as_ref()).collect();
                Ok(fused.fuse_scores(&parts))
            }
        }
    }
}

/// One detector's scores of a matrix's rows, and how long they took.
#[derive(Debug, Clone)]
pub struct Scores {
    pub kind: DetectorKind,
    pub scores: Vec<f64>,
    pub seconds: f64,
}

/// The fitted detectors of one model: at most one of each kind, in report order, each
/// shared (scoring, explaining and the dashboard read the same one).
#[derive(Debug, Clone, Default)]
pub struct Detectors(Vec<Arc<Detector>>);

impl Detectors {
    /// Adds `detector`, replacing one of the same kind.
    pub fn insert(&mut self, detector: impl Into<Arc<Detector>>) {
        let detector = detector.into();
        let kind = detector.kind();
        self.0.retain(|d| d.kind() != kind);
        self.0.push(detector);
        self.0
            .sort_by_key(|d| DetectorKind::ALL.iter().position(|&k| k == d.kind()));
    }

    pub fn get(&self, kind: DetectorKind) -> Option<&Arc<Detector>> {
        self.0.iter().find(|d| d.kind() == kind)
    }

    pub fn forest(&self) -> Option<&IsolationForest> {
        self.0.iter().find_map(|d| match d.as_ref() {
            Detector::Forest(forest) => Some(forest),
            _ => None,
        })
    }

    pub fn autoencoder(&self) -> Option<&TrainedAutoencoder> {
        self.0.iter().find_map(|d| match d.as_ref() {
            Detector::Autoencoder(model) => Some(model),
            _ => None,
        })
    }

    pub fn fused(&self) -> Option<&FusedDetector> {
        self.0.iter().find_map(|d| match d.as_ref() {
            Detector::Fused(fused) => Some(fused),
            _ => None,
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Detector>> {
        self.0.iter()
    }

    /// Every detector's scores of the matrix's rows, in report order; the fused
    /// detector fuses its parts' scores instead of computing them again.
    pub fn score_all(&self, matrix: &Matrix) -> Result<Vec<Scores>, AutoencoderError> {
        let mut out: Vec<Scores> = Vec::with_capacity(self.0.len());
        for d in &self.0 {
            let known: Vec<(DetectorKind, &[f64])> =
                out.iter().map(|s| (s.kind, s.scores.as_slice())).collect();
            let started = std::time::Instant::now();
            let scores = d.score_reusing(matrix, &known)?;
            out.push(Scores {
                kind: d.kind(),
                scores,
                seconds: started.elapsed().as_secs_f64(),
            });
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Extend<Detector> for Detectors {
    fn extend<I: IntoIterator<Item = Detector>>(&mut self, items: I) {
        for d in items {
            self.insert(d);
        }
    }
}

impl FromIterator<Arc<Detector>> for Detectors {
    fn from_iter<I: IntoIterator<Item = Arc<Detector>>>(items: I) -> Self {
        let mut detectors = Detectors::default();
        for d in items {
            detectors.insert(d);
        }
        detectors
    }
}
