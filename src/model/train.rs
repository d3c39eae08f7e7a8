//! Training a bundle: pick the training rows, fit the encoder and the detectors, fix
//! their thresholds. Shared by `netanomaly train` and (later) the dashboard's worker.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde::Serialize;

use super::store::{
    AutoencoderDetails, DetectorEntry, ModelBundle, SavedThreshold, ScoreSummary, new_manifest,
};
use crate::data::{Dataset, FeatureSet};
use crate::detect::autoencoder::{
    self, AutoencoderConfig, AutoencoderError, TrainObserver, TrainedAutoencoder,
};
use crate::detect::iforest::{IsolationForest, IsolationForestConfig, SplitScale};
use crate::eval::protocol::DetectorKind;
use crate::eval::threshold::{ScoreDistribution, ThresholdRule};
use crate::features::{Encoder, EncoderConfig, Matrix};

/// Which rows a deployable model learns from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum TrainProtocol {
    /// Every normal row (labels only choose the rows): a clean normal profile.
    #[default]
    Profile,
    /// Every row, labels unused.
    Unsupervised,
}

impl TrainProtocol {
    pub fn name(self) -> &'static str {
        match self {
            TrainProtocol::Profile => "profile",
            TrainProtocol::Unsupervised => "unsupervised",
        }
    }
}

/// How to train.
#[derive(Debug, Clone)]
pub struct TrainConfig {
    pub protocol: TrainProtocol,
    pub detectors: Vec<DetectorKind>,
    pub feature_set: FeatureSet,
    pub seed: u64,
    pub drop_constant: bool,
    pub iforest: IsolationForestConfig,
    /// `None`: percentile 99 for profile, contamination 0.1 for unsupervised.
    pub iforest_threshold: Option<ThresholdRule>,
    /// The autoencoder's hyper-parameters; its seed is replaced by `seed`.
    pub autoencoder: AutoencoderConfig,
    /// `None`: as for the forest.
    pub autoencoder_threshold: Option<ThresholdRule>,
    /// Where the autoencoder reports training progress.
    pub observer: TrainObserver,
    /// Raised to stop the autoencoder's training early (it keeps the last finished epoch).
    pub cancel: Arc<AtomicBool>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            protocol: TrainProtocol::Profile,
            detectors: DetectorKind::ALL.to_vec(),
            feature_set: FeatureSet::All,
            seed: 0,
            drop_constant: false,
            iforest: IsolationForestConfig::recommended(),
            iforest_threshold: None,
            autoencoder: AutoencoderConfig::default(),
            autoencoder_threshold: None,
            observer: TrainObserver::silent(),
            cancel: Arc::default(),
        }
    }
}

impl TrainConfig {
    fn default_threshold(&self) -> ThresholdRule {
        match self.protocol {
            TrainProtocol::Profile => ThresholdRule::Percentile { percentile: 99.0 },
            TrainProtocol::Unsupervised => ThresholdRule::Contamination { contamination: 0.1 },
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
    #[error("isolation forest: {0}")]
    IForest(String),
    #[error("autoencoder: {0}")]
    Autoencoder(#[from] AutoencoderError),
    #[error("training scores: {0}")]
    Scores(#[from] crate::eval::metrics::MetricsError),
}

/// The rows a protocol trains on.
pub fn training_rows(data: &Dataset, protocol: TrainProtocol) -> Result<Vec<usize>, TrainError> {
    match protocol {
        TrainProtocol::Unsupervised => Ok((0..data.len()).collect()),
        TrainProtocol::Profile => {
            if !data.has_labels() {
                return Err(TrainError::Unlabelled {
                    path: data.source.clone(),
                });
            }
            let rows: Vec<usize> = (0..data.len())
                .filter(|&r| data.is_attack(r) == Some(false))
                .collect();
            if rows.is_empty() {
                return Err(TrainError::NoNormalRows {
                    path: data.source.clone(),
                });
            }
            Ok(rows)
        }
    }
}

/// Trains every requested detector on the protocol's rows of `data`.
pub fn train_bundle(data: &Dataset, config: &TrainConfig) -> Result<ModelBundle, TrainError> {
    let rows = training_rows(data, config.protocol)?;
    let encoder = Encoder::fit(
        data,
        &rows,
        &EncoderConfig {
            feature_set: config.feature_set,
            drop_constant: config.drop_constant,
        },
    )
    .map_err(|_| TrainError::NoNormalRows {
        path: data.source.clone(),
    })?;
    let (matrix, _) = encoder.transform(data, &rows);
    let mut detectors = BTreeMap::new();
    let mut iforest = None;
    let mut autoencoder = None;
    for kind in &config.detectors {
        let entry = match kind {
            DetectorKind::Iforest => {
                let (forest, entry) = train_iforest(&matrix, &encoder, config)?;
                iforest = Some(forest);
                entry
            }
            DetectorKind::Autoencoder => {
                let (model, entry) = train_autoencoder(&matrix, config)?;
                autoencoder = Some(model);
                entry
            }
        };
        detectors.insert(kind.name().to_owned(), entry);
    }
    let training = serde_json::json!({
        "source": data.source,
        "protocol": config.protocol,
        "seed": config.seed,
        "rows": rows.len(),
        "rows_in_file": data.len(),
    });
    Ok(ModelBundle {
        manifest: new_manifest(&encoder, training, detectors),
        encoder,
        iforest,
        autoencoder,
    })
}

/// The saved threshold from training scores.
fn fix_threshold(scores: &[f64], rule: ThresholdRule) -> Result<SavedThreshold, TrainError> {
    let threshold = ScoreDistribution::new(scores)?.threshold(rule);
    Ok(SavedThreshold {
        rule,
        value: threshold.value,
        training_contamination: threshold.contamination,
    })
}

fn train_autoencoder(
    matrix: &Matrix,
    config: &TrainConfig,
) -> Result<(TrainedAutoencoder, DetectorEntry), TrainError> {
    let ae_config = AutoencoderConfig {
        seed: config.seed,
        ..config.autoencoder.clone()
    };
    let model = autoencoder::train(matrix, &ae_config, &config.observer, &config.cancel)?;
    let scores = model.try_score(matrix)?;
    let rule = config
        .autoencoder_threshold
        .unwrap_or(config.default_threshold());
    let entry = DetectorEntry {
        threshold: fix_threshold(&scores, rule)?,
        training_scores: ScoreSummary::of(&scores),
        // Serialising our own plain structs cannot fail.
        details: serde_json::to_value(AutoencoderDetails::of(&model)).unwrap_or_default(),
    };
    Ok((model, entry))
}

fn train_iforest(
    matrix: &Matrix,
    encoder: &Encoder,
    config: &TrainConfig,
) -> Result<(IsolationForest, DetectorEntry), TrainError> {
    let started = Instant::now();
    let forest_config = IsolationForestConfig {
        seed: config.seed,
        ..config.iforest.clone()
    };
    let forest =
        IsolationForest::fit_with_scales(matrix, &forest_config, &SplitScale::for_encoder(encoder))
            .map_err(|e| TrainError::IForest(e.to_string()))?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let scores = forest.score(matrix);
    let rule = config
        .iforest_threshold
        .unwrap_or(config.default_threshold());
    let entry = DetectorEntry {
        threshold: fix_threshold(&scores, rule)?,
        training_scores: ScoreSummary::of(&scores),
        details: serde_json::json!({
            "config": forest_config,
            "max_samples_used": forest.max_samples_used(),
            "fit_seconds": fit_seconds,
        }),
    };
    Ok((forest, entry))
}
