//! Anomaly detectors, and the one type every layer holds a fitted one as.

pub mod autoencoder;
pub mod explain;
pub mod fusion;
pub mod iforest;

use std::sync::Arc;

use serde::Serialize;

use crate::features::Matrix;
use autoencoder::{AutoencoderError, TrainedAutoencoder};
use iforest::IsolationForest;

/// The detectors netanomaly runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DetectorKind {
    Iforest,
    Autoencoder,
}

impl DetectorKind {
    /// Both detectors, in the order reports list them.
    pub const ALL: [DetectorKind; 2] = [DetectorKind::Iforest, DetectorKind::Autoencoder];

    pub fn name(self) -> &'static str {
        match self {
            DetectorKind::Iforest => "iforest",
            DetectorKind::Autoencoder => "autoencoder",
        }
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
}

impl Detector {
    pub fn kind(&self) -> DetectorKind {
        match self {
            Detector::Forest(_) => DetectorKind::Iforest,
            Detector::Autoencoder(_) => DetectorKind::Autoencoder,
        }
    }

    /// Anomaly scores of the matrix's rows (higher is more anomalous).
    pub fn score(&self, matrix: &Matrix) -> Result<Vec<f64>, AutoencoderError> {
        match self {
            Detector::Forest(forest) => Ok(forest.score(matrix)),
            Detector::Autoencoder(model) => model.try_score(matrix),
        }
    }
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

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Detector>> {
        self.0.iter()
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
