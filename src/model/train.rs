//! Training a bundle for deployment: the pipeline's rows, encoder and detectors, their
//! thresholds fixed on the calibration rows' scores (held out of the fit), and the
//! manifest that records all of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::pipeline::{
    self, FitConfig, FitError, FittedDetector, Protocol, Purpose, RowSplit, SplitError,
};
use super::store::{
    AutoencoderDetails, DetectorEntry, ModelBundle, SavedThreshold, ScoreSummary, new_manifest,
};
use crate::data::Dataset;
use crate::detect::autoencoder::AutoencoderError;
use crate::detect::iforest::IsolationForestConfig;
use crate::detect::{Detector, DetectorKind, Detectors};
use crate::eval::threshold::{ScoreDistribution, ThresholdRule};

/// How to train.
#[derive(Debug, Clone, Default)]
pub struct TrainConfig {
    pub protocol: Protocol,
    /// Which detectors, on which features, with which settings and seed.
    pub fit: FitConfig,
    /// `None`: percentile 99 for profile, contamination 0.1 for unsupervised.
    pub iforest_threshold: Option<ThresholdRule>,
    /// `None`: as for the forest.
    pub autoencoder_threshold: Option<ThresholdRule>,
    /// `None`: as for the forest.
    pub fused_threshold: Option<ThresholdRule>,
}

impl TrainConfig {
    fn default_threshold(&self) -> ThresholdRule {
        match self.protocol {
            Protocol::Unsupervised => ThresholdRule::Contamination { contamination: 0.1 },
            _ => ThresholdRule::Percentile { percentile: 99.0 },
        }
    }
}

/// Why training failed.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error(
        "{path} has no labels, so it has no normal rows to profile; use --protocol unsupervised"
    )]
    Unlabelled { path: String },
    #[error("{path} has no normal rows to train on")]
    NoNormalRows { path: String },
    #[error(transparent)]
    Fit(#[from] FitError),
    #[error("autoencoder: {0}")]
    Autoencoder(#[from] AutoencoderError),
    #[error("the {0} protocol only evaluates; train with profile or unsupervised")]
    NotDeployable(&'static str),
    #[error("training scores: {0}")]
    Scores(#[from] crate::eval::metrics::MetricsError),
}

/// The rows a deployed model of `protocol` learns from.
pub fn training_rows(data: &Dataset, config: &TrainConfig) -> Result<RowSplit, TrainError> {
    let path = || data.source.clone();
    let split = RowSplit::new(data, config.protocol, Purpose::Deploy, config.fit.seed).map_err(
        |e| match e {
            SplitError::Unlabelled => TrainError::Unlabelled { path: path() },
            SplitError::NoRows { .. } => TrainError::NoNormalRows { path: path() },
            SplitError::NotDeployable => TrainError::NotDeployable(config.protocol.name()),
        },
    )?;
    if split.fit.is_empty() {
        return Err(TrainError::NoNormalRows { path: path() });
    }
    Ok(split)
}

/// Trains every requested detector on the protocol's rows of `data`.
pub fn train_bundle(data: &Dataset, config: &TrainConfig) -> Result<ModelBundle, TrainError> {
    let split = training_rows(data, config)?;
    let encoder =
        config
            .fit
            .fit_encoder(data, &split.fit)
            .ok_or_else(|| TrainError::NoNormalRows {
                path: data.source.clone(),
            })?;
    let (matrix, _) = encoder.transform(data, &split.fit);
    let (calibration, _) = encoder.transform(data, &split.calibration);
    // Held-out normal rows: the share they flag is the false-alarm rate to expect.
    let on_normals = split.calibrates_on_normals();
    let mut entries = BTreeMap::new();
    let mut detectors = Detectors::default();
    for fitted in pipeline::fit_detectors(&matrix, Some(&calibration), &encoder, &config.fit)? {
        let kind = fitted.detector.kind();
        let rule = match kind {
            DetectorKind::Iforest => config.iforest_threshold,
            DetectorKind::Autoencoder => config.autoencoder_threshold,
            DetectorKind::Fused => config.fused_threshold,
        }
        .unwrap_or(config.default_threshold());
        let threshold = fix_threshold(fitted.reference_scores(), rule, on_normals)?;
        entries.insert(
            kind.name().to_owned(),
            detector_entry(&fitted, threshold, config),
        );
        detectors.insert(Arc::clone(&fitted.detector));
    }
    Ok(ModelBundle {
        manifest: new_manifest(&encoder, split.training_record(data), entries),
        encoder,
        detectors,
    })
}

/// A detector's manifest entry: its threshold, its training scores' summary and what
/// is needed to rebuild it.
fn detector_entry(
    fitted: &FittedDetector,
    threshold: SavedThreshold,
    config: &TrainConfig,
) -> DetectorEntry {
    DetectorEntry {
        threshold,
        training_scores: ScoreSummary::of(&fitted.train_scores),
        calibration_scores: fitted.calibration_scores.as_deref().map(ScoreSummary::of),
        details: detector_details(
            &fitted.detector,
            &config.fit.iforest,
            config.fit.seed,
            fitted.fit_seconds,
        ),
    }
}

/// What a bundle records of a detector beyond its threshold.
pub fn detector_details(
    detector: &Detector,
    iforest: &IsolationForestConfig,
    seed: u64,
    fit_seconds: f64,
) -> serde_json::Value {
    match detector {
        Detector::Forest(forest) => serde_json::json!({
            "config": IsolationForestConfig { seed, ..iforest.clone() },
            "max_samples_used": forest.max_samples_used(),
            "fit_seconds": fit_seconds,
        }),
        // Serialising our own plain structs cannot fail.
        Detector::Autoencoder(model) => {
            serde_json::to_value(AutoencoderDetails::of(model)).unwrap_or_default()
        }
        // Its calibrations are in fused.json; the manifest names the parts and the rule.
        Detector::Fused(fused) => serde_json::json!({
            "parts": fused.parts().iter().map(|p| p.detector.kind().name()).collect::<Vec<_>>(),
            "combination": "sum of the parts' surprises, -ln P(a calibration normal scores at least as high)",
            // The rows its tails were fitted on: the calibration rows, or the training
            // rows when the split held none out.
            "tail_rows": fused.parts().first().map_or(0, |p| p.calibration.len()),
        }),
    }
}

/// The saved threshold from the reference scores; `on_normals` when they are held-out
/// normal rows, whose flagged share is then the expected false-alarm rate.
fn fix_threshold(
    scores: &[f64],
    rule: ThresholdRule,
    on_normals: bool,
) -> Result<SavedThreshold, TrainError> {
    let threshold = ScoreDistribution::new(scores)?.threshold(rule);
    Ok(SavedThreshold {
        rule,
        value: threshold.value,
        training_contamination: threshold.contamination,
        expected_false_alarm_rate: on_normals.then_some(threshold.contamination),
    })
}
