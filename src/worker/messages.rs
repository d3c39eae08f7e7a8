//! What the UI and the worker say to each other: the commands going in, the events
//! coming out, and the results they carry.

use std::path::PathBuf;
use std::sync::Arc;

use super::monitor_job;
use crate::data::reader::describe_paths_tidily;
use crate::data::{Dataset, Family, FeatureSet};
use crate::detect::autoencoder::{AutoencoderConfig, TrainEvent};
use crate::detect::iforest::IsolationForestConfig;
use crate::detect::{Detector, DetectorKind};
use crate::eval::metrics::{PrPoint, RocPoint, SortedScores};
use crate::eval::threshold::ScoreDistribution;
use crate::features::{Encoder, Matrix};
use crate::model::pipeline::Protocol;
use crate::model::store::{SavedThreshold, ScoreSummary};

/// Where the dashboard's records come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The built-in seeded traffic generator.
    Demo { rows: usize, seed: u64 },
    /// A KDD / NSL-KDD file (or Zeek conn logs), and optionally separate test data
    /// (none when empty).
    Files {
        train: Vec<PathBuf>,
        test: Vec<PathBuf>,
    },
    /// No records to train on or evaluate: only live monitoring (`--monitor` without
    /// `--data`).
    LiveOnly,
}

impl Source {
    /// What the header says about the data.
    pub fn describe(&self) -> String {
        match self {
            Source::Demo { rows, seed } => format!(
                "built-in demo traffic ({} rows, seed {seed}; no --data given)",
                crate::format::thousands(*rows as u64)
            ),
            Source::Files { train, test } if test.is_empty() => describe_paths_tidily(train),
            Source::Files { train, test } => format!(
                "{} (test: {})",
                describe_paths_tidily(train),
                describe_paths_tidily(test)
            ),
            Source::LiveOnly => "no --data: live monitoring only".into(),
        }
    }
}

/// How to train.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Open this saved bundle instead of training: its detectors score every row of
    /// the data (or of the test file) with its thresholds.
    pub bundle: Option<PathBuf>,
    pub protocol: Protocol,
    pub seed: u64,
    pub feature_set: FeatureSet,
    pub iforest: IsolationForestConfig,
    pub autoencoder: AutoencoderConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bundle: None,
            protocol: Protocol::Profile,
            seed: 0,
            feature_set: FeatureSet::All,
            iforest: IsolationForestConfig::recommended(),
            autoencoder: AutoencoderConfig::default(),
        }
    }
}

/// The thresholds in force on screen, for saving and exporting.
#[derive(Debug, Clone, Default)]
pub struct Thresholds {
    pub iforest: Option<SavedThreshold>,
    pub autoencoder: Option<SavedThreshold>,
    pub fused: Option<SavedThreshold>,
}

impl Thresholds {
    pub fn get(&self, kind: DetectorKind) -> Option<SavedThreshold> {
        match kind {
            DetectorKind::Iforest => self.iforest,
            DetectorKind::Autoencoder => self.autoencoder,
            DetectorKind::Fused => self.fused,
        }
    }
}

/// What the UI asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// (Re)train the detectors; cancels a training in progress first.
    Train(Settings),
    /// Stop the training in progress (the autoencoder keeps its last finished epoch).
    Cancel,
    /// Save the trained detectors with these thresholds as a model bundle.
    Save {
        path: PathBuf,
        thresholds: Thresholds,
    },
    /// Write these test rows (positions in [`TestSet::rows`]) as CSV with every score,
    /// the flags at these thresholds and the why-features.
    Export {
        path: PathBuf,
        rows: Vec<usize>,
        thresholds: Thresholds,
    },
    /// Write the Live tab's alerts (newest first) as CSV.
    ExportAlerts {
        path: PathBuf,
        alerts: Vec<monitor_job::Alert>,
    },
    /// Start monitoring (stopping a monitor already running).
    Monitor(monitor_job::LiveConfig),
    /// Stop monitoring (what has arrived is still scored and reported).
    StopMonitor,
}

/// What the worker reports.
#[derive(Debug, Clone)]
pub enum Event {
    /// A step is under way (shown in the status line).
    Status(String),
    /// The data is read, split and encoded.
    DataReady(Arc<TestSet>),
    /// A detector has started training.
    Training(DetectorKind),
    /// The autoencoder's progress.
    Autoencoder(TrainEvent),
    /// A detector is trained and has scored the test rows.
    DetectorReady(Arc<DetectorResult>),
    /// A detector came from a saved bundle, with the threshold it was saved with.
    DetectorLoaded(Arc<DetectorResult>, SavedThreshold),
    /// Every detector is done.
    Done {
        seconds: f64,
    },
    /// Training stopped on request before finishing.
    Cancelled,
    Saved {
        path: PathBuf,
    },
    Exported {
        path: PathBuf,
        rows: usize,
    },
    /// A job failed; the message is one sentence for the user.
    Failed(String),
    /// Live monitoring's news.
    Live(monitor_job::LiveEvent),
}

/// The rows the detectors are judged on, with everything needed to trace a row back
/// to its record.
#[derive(Debug)]
pub struct TestSet {
    pub source: String,
    pub synthetic: bool,
    pub protocol: Protocol,
    /// What the detectors were fitted on, as a bundle's manifest records it
    /// ([`RowSplit::training_record`](crate::model::pipeline::RowSplit::training_record)).
    pub fitted_on: serde_json::Value,
    /// Rows in the source file (or generated).
    pub source_rows: usize,
    /// Label mix of the source, by family (empty without labels).
    pub families: Vec<(Family, usize)>,
    pub train_rows: usize,
    /// Rows held out of the fit to set the thresholds (0 for a saved bundle's run).
    pub calibration_rows: usize,
    /// The dataset the test rows come from (the test file, or the source).
    pub data: Arc<Dataset>,
    /// Test rows, as indices into `data`.
    pub rows: Vec<usize>,
    /// Ground truth per test row (true = attack), when labelled.
    pub truth: Option<Vec<bool>>,
    pub encoder: Arc<Encoder>,
    /// The encoded test rows, row `i` being `data` row `rows[i]`.
    pub matrix: Matrix,
}

/// A trained detector and its scores.
#[derive(Debug, Clone)]
pub struct DetectorResult {
    pub kind: DetectorKind,
    pub detector: Arc<Detector>,
    /// Where thresholds come from.
    pub reference: ReferenceScores,
    /// Scores of the test rows, in [`TestSet::rows`] order.
    pub test_scores: Vec<f64>,
    /// The test scores sorted once (with labels when known), and their curves: computed
    /// here so the UI thread never sorts half a million scores.
    pub sorted_test: Option<SortedScores>,
    pub curves: Curves,
    pub fit_seconds: f64,
}

/// The scores a detector's thresholds are set on, and the summaries a saved bundle
/// keeps.
#[derive(Debug, Clone)]
pub struct ReferenceScores {
    /// The calibration rows' scores when there are any, else the training rows'.
    pub distribution: ScoreDistribution,
    /// `distribution` holds held-out normal rows: the share a threshold flags there is
    /// the false-alarm rate to expect on new normal traffic.
    pub on_normals: bool,
    pub training: ScoreSummary,
    pub calibration: Option<ScoreSummary>,
}

/// ROC and precision–recall curves for plotting, with their areas.
#[derive(Debug, Clone, Default)]
pub struct Curves {
    pub roc: Vec<RocPoint>,
    pub pr: Vec<PrPoint>,
    pub roc_auc: Option<f64>,
    pub average_precision: Option<f64>,
}

/// Points kept of each curve for the screen.
const CURVE_POINTS: usize = 400;

impl DetectorResult {
    /// Sorts the test scores and computes their curves (off the UI thread).
    pub fn new(
        detector: Arc<Detector>,
        reference: ReferenceScores,
        test_scores: Vec<f64>,
        truth: Option<&[bool]>,
        fit_seconds: f64,
    ) -> DetectorResult {
        let sorted_test = SortedScores::new(&test_scores, truth).ok();
        let curves = sorted_test
            .as_ref()
            .map(|s| Curves {
                roc: s.roc_curve_points(CURVE_POINTS),
                pr: s.pr_curve_points(CURVE_POINTS),
                roc_auc: s.roc_auc(),
                average_precision: s.average_precision(),
            })
            .unwrap_or_default();
        DetectorResult {
            kind: detector.kind(),
            detector,
            reference,
            test_scores,
            sorted_test,
            curves,
            fit_seconds,
        }
    }
}
