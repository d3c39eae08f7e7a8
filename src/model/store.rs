//! The model bundle: everything needed to score new traffic, in one directory.
//!
//! ```text
//! BUNDLE/
//!   manifest.json      format version, schema, thresholds, training config and metrics
//!   encoder.json       the fitted encoder
//!   iforest.json       the forest (when trained)
//!   autoencoder.bpk    the autoencoder's weights (when trained; burnpack)
//!   fused.json         the fused detector's calibration of each part (when trained)
//!   SHA256SUMS         a checksum of every file above
//! ```
//!
//! A bundle is written into a temporary sibling directory and renamed into place, so a
//! crash never leaves half a bundle at the target. Loading checks the format version
//! first, then every checksum (a truncated or edited file is refused, never half
//! loaded), then that the schema matches this program's features and the encoder.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::FeatureSet;
use crate::data::schema::FEATURES;
use crate::detect::autoencoder::{Architecture, TrainedAutoencoder, TrainingSummary};
use crate::detect::fusion::{FusedDetector, SavedFusion};
use crate::detect::iforest::IsolationForest;
use crate::detect::{Detector, DetectorKind, Detectors};
use crate::eval::threshold::ThresholdRule;
use crate::features::Encoder;

/// Bumped whenever a bundle written by this version could not be read by the previous one.
/// 2: `autoencoder.bpk` is a plain burnpack record (format 1 wrapped it in a header with
/// its own checksum, which SHA256SUMS made redundant).
pub const FORMAT_VERSION: u32 = 2;
const FORMAT_NAME: &str = "netanomaly-model-bundle";
const MANIFEST: &str = "manifest.json";
const SUMS: &str = "SHA256SUMS";
const ENCODER: &str = "encoder.json";
const IFOREST: &str = "iforest.json";
const AUTOENCODER: &str = "autoencoder.bpk";
/// Optional, so format 2 stays: a netanomaly that predates it refuses it by name
/// ("lists an unknown file"), and bundles without it read as before.
const FUSED: &str = "fused.json";

/// Why a bundle cannot be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path} already exists; pass --force to replace it")]
    Exists { path: String },
    #[error(
        "{path} is not a model bundle (no {MANIFEST}); expected a directory written by `netanomaly train`"
    )]
    NotABundle { path: String },
    #[error("{path} does not exist; expected a bundle directory written by `netanomaly train`")]
    Missing { path: String },
    #[error(
        "{path} is bundle format {found}; this netanomaly reads format {FORMAT_VERSION} (retrain, or use the netanomaly that wrote it)"
    )]
    Version { path: String, found: u32 },
    #[error("{path}: {file} is missing")]
    MissingFile { path: String, file: String },
    #[error("{path}: {file} is truncated or was modified (checksum mismatch)")]
    Checksum { path: String, file: String },
    #[error("{path}: {file} is not listed in {SUMS}; the bundle was modified")]
    Unlisted { path: String, file: String },
    #[error("{path}: schema mismatch: {detail}")]
    Schema { path: String, detail: String },
    #[error("{path}: {file} cannot be read: {detail}")]
    Corrupt {
        path: String,
        file: String,
        detail: String,
    },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
}

/// The feature layout a bundle was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// The 41 KDD feature names in file order, as this program knows them.
    pub kdd_features: Vec<String>,
    pub feature_set: FeatureSet,
    /// The encoder's matrix columns, in order.
    pub columns: Vec<String>,
}

impl Schema {
    pub fn of(encoder: &Encoder) -> Self {
        Schema {
            kdd_features: FEATURES.iter().map(|f| f.name.to_owned()).collect(),
            feature_set: encoder.config.feature_set,
            columns: encoder.columns().iter().map(|c| c.name.clone()).collect(),
        }
    }
}

/// A detector's decision threshold as saved: the rule, the value it gave on the
/// reference scores (the calibration rows', else the training rows'), and the share of
/// those rows it flagged there.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SavedThreshold {
    pub rule: ThresholdRule,
    pub value: f64,
    /// The share of the reference rows flagged (named before calibration existed).
    pub training_contamination: f64,
    /// The false-alarm rate to expect on new normal traffic: the share of held-out
    /// normal calibration rows flagged (`None` without them, or for bundles made
    /// before calibration).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_false_alarm_rate: Option<f64>,
}

/// Summary of the training scores, enough to move a threshold later without the data:
/// mean, σ and 1001 quantiles (0.0%, 0.1%, …, 100%).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ScoreSummary {
    pub rows: usize,
    pub mean: f64,
    pub std: f64,
    pub quantiles: Vec<f64>,
}

impl ScoreSummary {
    pub fn of(scores: &[f64]) -> Self {
        let mut sorted: Vec<f64> = scores.iter().copied().filter(|s| s.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        if n == 0 {
            return ScoreSummary::default();
        }
        let mean = sorted.iter().sum::<f64>() / n as f64;
        let std = (sorted.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
        let quantiles = (0..=1000)
            .map(|i| sorted[((i as f64 / 1000.0) * (n - 1) as f64).round() as usize])
            .collect();
        ScoreSummary {
            rows: n,
            mean,
            std,
            quantiles,
        }
    }
}

/// One trained detector's entry in the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectorEntry {
    pub threshold: SavedThreshold,
    pub training_scores: ScoreSummary,
    /// Scores of the calibration rows, which thresholds are moved on (`None`: they
    /// come from `training_scores`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration_scores: Option<ScoreSummary>,
    /// Detector-specific description (configuration, architecture, training history).
    pub details: serde_json::Value,
}

impl DetectorEntry {
    /// The scores a threshold is moved on: the calibration rows', else the training rows'.
    pub fn reference_scores(&self) -> &ScoreSummary {
        self.calibration_scores
            .as_ref()
            .unwrap_or(&self.training_scores)
    }
}

/// What the bundle says about how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    pub netanomaly_version: String,
    pub created_unix_seconds: u64,
    pub schema: Schema,
    /// Training set-up: data source, protocol, seed, rows, and any metrics measured.
    pub training: serde_json::Value,
    pub detectors: BTreeMap<String, DetectorEntry>,
}

/// A loaded (or to-be-saved) bundle.
#[derive(Debug, Clone)]
pub struct ModelBundle {
    pub manifest: Manifest,
    pub encoder: Encoder,
    /// The forest is saved as JSON (`iforest.json`), the autoencoder as weights
    /// (`autoencoder.bpk`) plus its architecture and training summary in the manifest
    /// entry's details ([`AutoencoderDetails`]).
    pub detectors: Detectors,
}

/// The autoencoder's manifest details: what is needed to rebuild the network before
/// loading its weights, and how it was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoencoderDetails {
    pub architecture: Architecture,
    pub training: TrainingSummary,
}

impl AutoencoderDetails {
    pub fn of(model: &TrainedAutoencoder) -> Self {
        AutoencoderDetails {
            architecture: model.architecture().clone(),
            training: model.summary().clone(),
        }
    }
}

impl ModelBundle {
    /// Writes the bundle to `path` atomically. Without `overwrite`, refuses an existing path.
    pub fn save(&self, path: &Path, overwrite: bool) -> Result<(), BundleError> {
        let shown = path.display().to_string();
        if path.exists() && !overwrite {
            return Err(BundleError::Exists { path: shown });
        }
        let json = |value: &dyn erased::Json| value.to_vec();
        let mut files: Vec<(String, Vec<u8>)> = vec![
            (MANIFEST.into(), json(&self.manifest)),
            (ENCODER.into(), json(&self.encoder)),
        ];
        if let Some(forest) = self.detectors.forest() {
            files.push((IFOREST.into(), json(forest)));
        }
        if let Some(model) = self.detectors.autoencoder() {
            let weights = model.to_bytes().map_err(|e| BundleError::Write {
                path: shown.clone(),
                source: io::Error::other(e.to_string()),
            })?;
            files.push((AUTOENCODER.into(), weights));
        }
        if let Some(fused) = self.detectors.fused() {
            files.push((FUSED.into(), json(&fused.saved())));
        }
        let sums: String = files
            .iter()
            .map(|(name, bytes)| format!("{}  {name}\n", hex(&Sha256::digest(bytes))))
            .collect();
        files.push((SUMS.into(), sums.into_bytes()));
        crate::atomic::write_directory(path, overwrite, &files).map_err(|e| match e {
            crate::atomic::WriteError::Exists { path } => BundleError::Exists { path },
            crate::atomic::WriteError::Io { path, source } => BundleError::Write { path, source },
            other => BundleError::Write {
                path: path.display().to_string(),
                source: io::Error::other(other.to_string()),
            },
        })
    }

    /// Reads and verifies a bundle.
    pub fn load(path: &Path) -> Result<ModelBundle, BundleError> {
        let shown = path.display().to_string();
        let manifest_path = path.join(MANIFEST);
        if !path.exists() {
            return Err(BundleError::Missing { path: shown });
        }
        if !manifest_path.is_file() {
            return Err(BundleError::NotABundle { path: shown });
        }
        let read = |name: &str| -> Result<Vec<u8>, BundleError> {
            fs::read(path.join(name)).map_err(|source| {
                if source.kind() == io::ErrorKind::NotFound {
                    BundleError::MissingFile {
                        path: shown.clone(),
                        file: name.to_owned(),
                    }
                } else {
                    BundleError::Read {
                        path: path.join(name).display().to_string(),
                        source,
                    }
                }
            })
        };
        let corrupt = |file: &str, detail: String| BundleError::Corrupt {
            path: shown.clone(),
            file: file.to_owned(),
            detail,
        };

        // The version first: a future format may lay files out differently.
        let manifest_bytes = read(MANIFEST)?;
        let version: VersionProbe = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| corrupt(MANIFEST, e.to_string()))?;
        if version.format.as_deref() != Some(FORMAT_NAME) {
            return Err(BundleError::NotABundle { path: shown });
        }
        if version.format_version != Some(FORMAT_VERSION) {
            return Err(BundleError::Version {
                path: shown,
                found: version.format_version.unwrap_or(0),
            });
        }

        let sums = String::from_utf8(read(SUMS)?).map_err(|e| corrupt(SUMS, e.to_string()))?;
        let mut expected: BTreeMap<String, String> = BTreeMap::new();
        for line in sums.lines().filter(|l| !l.trim().is_empty()) {
            let (sum, name) = line
                .split_once("  ")
                .ok_or_else(|| corrupt(SUMS, format!("malformed line \"{line}\"")))?;
            expected.insert(name.to_owned(), sum.to_owned());
        }
        let verified = |name: &str, bytes: Vec<u8>| -> Result<Vec<u8>, BundleError> {
            match expected.get(name) {
                None => Err(BundleError::Unlisted {
                    path: shown.clone(),
                    file: name.to_owned(),
                }),
                Some(sum) if *sum != hex(&Sha256::digest(&bytes)) => Err(BundleError::Checksum {
                    path: shown.clone(),
                    file: name.to_owned(),
                }),
                Some(_) => Ok(bytes),
            }
        };
        let manifest_bytes = verified(MANIFEST, manifest_bytes)?;
        let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
            .map_err(|e| corrupt(MANIFEST, e.to_string()))?;
        let encoder: Encoder = serde_json::from_slice(&verified(ENCODER, read(ENCODER)?)?)
            .map_err(|e| corrupt(ENCODER, e.to_string()))?;
        encoder.check().map_err(|e| corrupt(ENCODER, e))?;
        for name in expected.keys() {
            if ![MANIFEST, ENCODER, IFOREST, AUTOENCODER, FUSED].contains(&name.as_str()) {
                return Err(corrupt(SUMS, format!("lists an unknown file \"{name}\"")));
            }
        }
        let iforest = if manifest.detectors.contains_key("iforest") {
            let bytes = verified(IFOREST, read(IFOREST)?)?;
            Some(
                serde_json::from_slice::<IsolationForest>(&bytes)
                    .map_err(|e| corrupt(IFOREST, e.to_string()))?,
            )
        } else {
            None
        };
        let autoencoder_weights = if manifest.detectors.contains_key("autoencoder") {
            Some(verified(AUTOENCODER, read(AUTOENCODER)?)?)
        } else {
            None
        };

        let ours = Schema::of(&encoder);
        let schema_error = |detail: String| BundleError::Schema {
            path: shown.clone(),
            detail,
        };
        if manifest.schema.kdd_features != ours.kdd_features {
            return Err(schema_error(
                "its 41 KDD features differ from this program's (name or order)".to_owned(),
            ));
        }
        if manifest.schema != ours {
            return Err(schema_error(format!(
                "the manifest lists {} columns ({}) but its encoder produces {} ({})",
                manifest.schema.columns.len(),
                manifest.schema.feature_set.name(),
                ours.columns.len(),
                ours.feature_set.name()
            )));
        }
        if let Some(forest) = &iforest
            && forest.n_features() != encoder.n_columns()
        {
            return Err(schema_error(format!(
                "the forest reads {} columns, the encoder writes {}",
                forest.n_features(),
                encoder.n_columns()
            )));
        }
        let autoencoder = match (autoencoder_weights, manifest.detectors.get("autoencoder")) {
            (Some(weights), Some(entry)) => {
                let details: AutoencoderDetails = serde_json::from_value(entry.details.clone())
                    .map_err(|e| corrupt(MANIFEST, format!("autoencoder details: {e}")))?;
                if details.architecture.inputs != encoder.n_columns() {
                    return Err(schema_error(format!(
                        "the autoencoder reads {} columns, the encoder writes {}",
                        details.architecture.inputs,
                        encoder.n_columns()
                    )));
                }
                let model = TrainedAutoencoder::from_bytes(
                    &details.architecture,
                    details.training,
                    &weights,
                )
                .map_err(|e| corrupt(AUTOENCODER, e.to_string()))?;
                Some(model)
            }
            _ => None,
        };
        let mut detectors = Detectors::default();
        detectors.extend(iforest.map(Detector::Forest));
        detectors.extend(autoencoder.map(Detector::Autoencoder));
        if manifest.detectors.contains_key("fused") {
            let saved: SavedFusion = serde_json::from_slice(&verified(FUSED, read(FUSED)?)?)
                .map_err(|e| corrupt(FUSED, e.to_string()))?;
            let fused = FusedDetector::restore(saved, |name| {
                DetectorKind::from_name(name).and_then(|k| detectors.get(k).cloned())
            })
            .map_err(|e| corrupt(FUSED, e))?;
            detectors.insert(Detector::Fused(fused));
        }
        Ok(ModelBundle {
            manifest,
            encoder,
            detectors,
        })
    }
}

/// Only the fields needed to decide whether the rest can be read.
#[derive(Deserialize)]
struct VersionProbe {
    format: Option<String>,
    format_version: Option<u32>,
}

/// Pretty JSON for anything serialisable, as bytes (object-safe for the file list).
mod erased {
    pub trait Json {
        fn to_vec(&self) -> Vec<u8>;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_vec(&self) -> Vec<u8> {
            // Serialising our own plain data types cannot fail.
            serde_json::to_vec_pretty(self).unwrap_or_default()
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A manifest for a freshly trained bundle.
pub fn new_manifest(
    encoder: &Encoder,
    training: serde_json::Value,
    detectors: BTreeMap<String, DetectorEntry>,
) -> Manifest {
    Manifest {
        format: FORMAT_NAME.to_owned(),
        format_version: FORMAT_VERSION,
        netanomaly_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_unix_seconds: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        schema: Schema::of(encoder),
        training,
        detectors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::demo::{SynthConfig, generate};
    use crate::detect::autoencoder::{self, AutoencoderConfig, TrainObserver};
    use crate::detect::iforest::IsolationForestConfig;
    use crate::features::EncoderConfig;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    fn bundle() -> (ModelBundle, crate::features::Matrix) {
        let data = generate(&SynthConfig {
            rows: 2000,
            seed: 5,
            attack_fraction: 0.2,
        });
        let rows: Vec<usize> = (0..data.len()).collect();
        let encoder = Encoder::fit(&data, &rows, &EncoderConfig::default()).unwrap();
        let (m, _) = encoder.transform(&data, &rows);
        let forest = IsolationForest::fit(&m, &IsolationForestConfig::default()).unwrap();
        let scores = forest.score(&m);
        let entry = DetectorEntry {
            threshold: SavedThreshold {
                rule: ThresholdRule::Percentile { percentile: 99.0 },
                value: 0.6,
                training_contamination: 0.01,
                expected_false_alarm_rate: Some(0.01),
            },
            training_scores: ScoreSummary::of(&scores),
            calibration_scores: Some(ScoreSummary::of(&scores[..scores.len() / 2])),
            details: serde_json::json!({"trees": 100}),
        };
        let ae_config = AutoencoderConfig {
            hidden: vec![16, 8, 16],
            epochs: 3,
            batch_size: 64,
            ..AutoencoderConfig::default()
        };
        let ae = autoencoder::train(
            &m,
            &ae_config,
            &TrainObserver::silent(),
            &AtomicBool::new(false),
        )
        .unwrap();
        let ae_scores = ae.score(&m);
        let ae_entry = DetectorEntry {
            threshold: SavedThreshold {
                rule: ThresholdRule::MeanStd { k: 2.0 },
                value: 0.5,
                training_contamination: 0.02,
                expected_false_alarm_rate: None,
            },
            training_scores: ScoreSummary::of(&ae_scores),
            calibration_scores: None,
            details: serde_json::to_value(AutoencoderDetails::of(&ae)).unwrap(),
        };
        let manifest = new_manifest(
            &encoder,
            serde_json::json!({"source": "demo"}),
            BTreeMap::from([
                ("iforest".to_owned(), entry),
                ("autoencoder".to_owned(), ae_entry),
            ]),
        );
        (
            ModelBundle {
                manifest,
                encoder,
                detectors: [Detector::Forest(forest), Detector::Autoencoder(ae)]
                    .into_iter()
                    .map(Arc::new)
                    .collect(),
            },
            m,
        )
    }

    #[test]
    fn save_load_round_trip_scores_identically() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model");
        let (b, m) = bundle();
        b.save(&path, false).unwrap();
        let loaded = ModelBundle::load(&path).unwrap();
        assert_eq!(loaded.manifest, b.manifest);
        assert_eq!(loaded.encoder, b.encoder);
        assert_eq!(
            loaded.detectors.forest().unwrap().score(&m),
            b.detectors.forest().unwrap().score(&m)
        );
        let (before, after) = (
            b.detectors.autoencoder().unwrap(),
            loaded.detectors.autoencoder().unwrap(),
        );
        assert_eq!(after.score(&m), before.score(&m));
        assert_eq!(after.summary(), before.summary());
        assert!(fs::metadata(path.join(AUTOENCODER)).unwrap().len() > 1000);
        let err = b.save(&path, false).unwrap_err();
        assert!(
            err.to_string().contains("already exists; pass --force"),
            "{err}"
        );
        b.save(&path, true).unwrap();
        assert!(ModelBundle::load(&path).is_ok());
        // Nothing but the bundle is left beside it.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        // Made like any new directory, not private like a temporary one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            let probe = dir.path().join("probe");
            fs::create_dir(&probe).unwrap();
            assert_eq!(mode(&path), mode(&probe));
        }
    }

    #[test]
    fn wrong_version_truncated_edited_and_foreign_bundles_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (b, _) = bundle();
        let fresh = |name: &str| {
            let p = dir.path().join(name);
            b.save(&p, false).unwrap();
            p
        };

        let current = format!("\"format_version\": {FORMAT_VERSION}");
        let p = fresh("version");
        let text = fs::read_to_string(p.join(MANIFEST)).unwrap();
        fs::write(
            p.join(MANIFEST),
            text.replace(&current, "\"format_version\": 7"),
        )
        .unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "is bundle format 7; this netanomaly reads format {FORMAT_VERSION}"
            )),
            "{err}"
        );

        // A bundle of format 1 (its weights in the checksummed envelope) is refused by
        // its version, before any file is read.
        let p = fresh("format-1");
        let text = fs::read_to_string(p.join(MANIFEST)).unwrap();
        fs::write(
            p.join(MANIFEST),
            text.replace(&current, "\"format_version\": 1"),
        )
        .unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("is bundle format 1; this netanomaly reads format 2 (retrain"),
            "{err}"
        );

        let p = fresh("truncated");
        let bytes = fs::read(p.join(IFOREST)).unwrap();
        fs::write(p.join(IFOREST), &bytes[..bytes.len() / 2]).unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("iforest.json is truncated or was modified"),
            "{err}"
        );

        let p = fresh("truncated-weights");
        let bytes = fs::read(p.join(AUTOENCODER)).unwrap();
        fs::write(p.join(AUTOENCODER), &bytes[..bytes.len() - 8]).unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("autoencoder.bpk is truncated or was modified"),
            "{err}"
        );

        // Weights edited and their SHA256SUMS line forged to match: past the checksums,
        // what still refuses them is burnpack's structure (here: a truncated record) and
        // the weights' own checks (here: the last bias turned into NaN).
        let forge = |name: &str, edit: &dyn Fn(&mut Vec<u8>)| {
            let p = fresh(name);
            let mut bytes = fs::read(p.join(AUTOENCODER)).unwrap();
            edit(&mut bytes);
            fs::write(p.join(AUTOENCODER), &bytes).unwrap();
            let sums = fs::read_to_string(p.join(SUMS)).unwrap();
            let forged: String = sums
                .lines()
                .map(|l| match l.split_once("  ") {
                    Some((_, AUTOENCODER)) => {
                        format!("{}  {AUTOENCODER}\n", hex(&Sha256::digest(&bytes)))
                    }
                    _ => format!("{l}\n"),
                })
                .collect();
            fs::write(p.join(SUMS), forged).unwrap();
            ModelBundle::load(&p).unwrap_err().to_string()
        };
        let err = forge("forged-truncated-weights", &|b| b.truncate(b.len() - 8));
        assert!(
            err.contains("autoencoder.bpk cannot be read") && err.contains("truncated"),
            "{err}"
        );
        let err = forge("forged-nan-weights", &|b| {
            let n = b.len();
            b[n - 4..].copy_from_slice(&f32::NAN.to_le_bytes());
        });
        assert!(
            err.contains("autoencoder.bpk cannot be read") && err.contains("non-finite weights"),
            "{err}"
        );

        let p = fresh("edited");
        let text = fs::read_to_string(p.join(MANIFEST)).unwrap();
        fs::write(
            p.join(MANIFEST),
            text.replace("\"value\": 0.6", "\"value\": 0.9"),
        )
        .unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("manifest.json is truncated or was modified"),
            "{err}"
        );

        let p = fresh("missing");
        fs::remove_file(p.join(ENCODER)).unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(err.contains("encoder.json is missing"), "{err}");

        let err = ModelBundle::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is not a model bundle"), "{err}");
    }

    #[test]
    fn a_schema_from_another_program_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (mut b, _) = bundle();
        b.manifest.schema.kdd_features.swap(4, 5);
        let p = dir.path().join("schema");
        b.save(&p, false).unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("schema mismatch: its 41 KDD features differ"),
            "{err}"
        );

        // An autoencoder built for other columns than the encoder writes.
        let (mut b, _) = bundle();
        let entry = b.manifest.detectors.get_mut("autoencoder").unwrap();
        entry.details["architecture"]["inputs"] = serde_json::json!(12);
        let p = dir.path().join("ae-inputs");
        b.save(&p, false).unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("schema mismatch: the autoencoder reads 12 columns"),
            "{err}"
        );

        let (mut b, _) = bundle();
        b.manifest.schema.columns.pop();
        let p = dir.path().join("columns");
        b.save(&p, false).unwrap();
        let err = ModelBundle::load(&p).unwrap_err().to_string();
        assert!(err.contains("schema mismatch: the manifest lists"), "{err}");
    }

    #[test]
    fn score_summary_quantiles() {
        let scores: Vec<f64> = (0..=1000).map(f64::from).collect();
        let s = ScoreSummary::of(&scores);
        assert_eq!(s.quantiles.len(), 1001);
        assert_eq!(s.quantiles[990], 990.0);
        assert_eq!((s.rows, s.mean), (1001, 500.0));
    }
}
