//! The dashboard's worker: runs engine jobs (load, train, save, export) off the UI
//! thread. Commands go in through [`Worker::send`]; progress and results come out as
//! [`Event`]s on a channel the UI `select!`s on. Sending never blocks either side.
//!
//! Jobs run on their own threads, so a `Cancel` (or a new `Train`) is acted on while a
//! training is in progress: the autoencoder checks the cancel flag between batches.
//! Live monitoring ([`live`]) is one more job, started by [`Command::Monitor`].

pub mod live;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::data::demo::{SynthConfig, generate};
use crate::data::split::seeded_split;
use crate::data::{Dataset, Family, FeatureSet, ReadOptions, read_path};
use crate::detect::autoencoder::TrainedAutoencoder;
use crate::detect::autoencoder::{self, AutoencoderConfig, TrainEvent, TrainObserver};
use crate::detect::iforest::{IsolationForest, IsolationForestConfig, SplitScale};
use crate::eval::metrics::{PrPoint, RocPoint, SortedScores};
use crate::eval::protocol::DetectorKind;
use crate::eval::threshold::ScoreDistribution;
use crate::features::{Encoder, EncoderConfig, Matrix};
use crate::model::store::{
    AutoencoderDetails, DetectorEntry, ModelBundle, SavedThreshold, ScoreSummary, new_manifest,
};
use crate::model::train::TrainProtocol;

/// Where the dashboard's records come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The built-in seeded traffic generator.
    Demo { rows: usize, seed: u64 },
    /// A KDD / NSL-KDD file, and optionally a separate test file.
    Files {
        train: PathBuf,
        test: Option<PathBuf>,
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
                "built-in demo traffic (seed {seed}, {} rows; no --data given)",
                crate::format::thousands(*rows as u64)
            ),
            Source::Files { train, test: None } => train.display().to_string(),
            Source::Files {
                train,
                test: Some(test),
            } => format!("{} (test: {})", train.display(), test.display()),
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
    pub protocol: TrainProtocol,
    pub seed: u64,
    pub feature_set: FeatureSet,
    pub iforest: IsolationForestConfig,
    pub autoencoder: AutoencoderConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bundle: None,
            protocol: TrainProtocol::Profile,
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
}

impl Thresholds {
    pub fn get(&self, kind: DetectorKind) -> Option<SavedThreshold> {
        match kind {
            DetectorKind::Iforest => self.iforest,
            DetectorKind::Autoencoder => self.autoencoder,
        }
    }
}

/// What the UI asks for.
#[derive(Debug, Clone)]
pub enum Command {
    /// (Re)train both detectors; cancels a training in progress first.
    Train(Settings),
    /// Stop the training in progress (the autoencoder keeps its last finished epoch).
    Cancel,
    /// Save the trained detectors with these thresholds as a model bundle.
    Save {
        path: PathBuf,
        thresholds: Thresholds,
    },
    /// Write these test rows (positions in [`TestSet::rows`]) as CSV with both scores,
    /// the flags at these thresholds and the why-features.
    Export {
        path: PathBuf,
        rows: Vec<usize>,
        thresholds: Thresholds,
    },
    /// Start monitoring (stopping a monitor already running).
    Monitor(live::LiveConfig),
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
    Live(live::LiveEvent),
}

/// The rows the detectors are judged on, with everything needed to trace a row back
/// to its record.
#[derive(Debug)]
pub struct TestSet {
    pub source: String,
    pub synthetic: bool,
    pub protocol: TrainProtocol,
    /// Rows in the source file (or generated).
    pub source_rows: usize,
    /// Label mix of the source, by family (empty without labels).
    pub families: Vec<(Family, usize)>,
    pub train_rows: usize,
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

/// A trained detector's model.
#[derive(Debug, Clone)]
pub enum Model {
    Forest(Arc<IsolationForest>),
    Autoencoder(Arc<TrainedAutoencoder>),
}

/// A trained detector and its scores.
#[derive(Debug, Clone)]
pub struct DetectorResult {
    pub kind: DetectorKind,
    pub model: Model,
    /// Scores of the training rows: where thresholds come from.
    pub training: ScoreDistribution,
    pub training_summary: ScoreSummary,
    /// Scores of the test rows, in [`TestSet::rows`] order.
    pub test_scores: Vec<f64>,
    /// The test scores sorted once (with labels when known), and their curves: computed
    /// here so the UI thread never sorts half a million scores.
    pub sorted_test: Option<SortedScores>,
    pub curves: Curves,
    pub fit_seconds: f64,
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
    fn new(
        kind: DetectorKind,
        model: Model,
        training: ScoreDistribution,
        training_summary: ScoreSummary,
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
            kind,
            model,
            training,
            training_summary,
            test_scores,
            sorted_test,
            curves,
            fit_seconds,
        }
    }
}

/// The latest results, shared by the jobs (save and export read them).
#[derive(Default)]
struct Shared {
    source_data: Option<Arc<Dataset>>,
    test_data: Option<Arc<Dataset>>,
    test: Option<Arc<TestSet>>,
    settings: Option<Settings>,
    iforest: Option<Arc<DetectorResult>>,
    autoencoder: Option<Arc<DetectorResult>>,
}

/// Handle on the worker thread.
pub struct Worker {
    commands: std::sync::mpsc::Sender<Command>,
    cancel: Arc<Mutex<Arc<AtomicBool>>>,
    /// The running monitor's stop flag.
    monitor_stop: Arc<Mutex<Arc<AtomicBool>>>,
}

impl Worker {
    /// Starts the worker for `source`; events arrive on the returned receiver.
    pub fn start(source: Source) -> (Worker, UnboundedReceiver<Event>) {
        let (events, receiver) = unbounded_channel();
        let (commands, inbox) = std::sync::mpsc::channel::<Command>();
        let cancel = Arc::new(Mutex::new(Arc::new(AtomicBool::new(false))));
        let job_cancel = Arc::clone(&cancel);
        let monitor_stop = Arc::new(Mutex::new(Arc::new(AtomicBool::new(false))));
        let job_monitor_stop = Arc::clone(&monitor_stop);
        let shared = Arc::new(Mutex::new(Shared::default()));
        // If the thread cannot start, the event channel closes at once and the UI
        // reports the worker as stopped.
        let _ = std::thread::Builder::new()
            .name("worker".into())
            .spawn(move || {
                let mut training: Option<JoinHandle<()>> = None;
                for command in inbox {
                    match command {
                        Command::Train(settings) => {
                            let flag = Arc::new(AtomicBool::new(false));
                            if let Ok(mut current) = job_cancel.lock() {
                                current.store(true, Ordering::Relaxed);
                                *current = Arc::clone(&flag);
                            }
                            if let Some(job) = training.take() {
                                let _ = job.join();
                            }
                            let (source, events, shared) =
                                (source.clone(), events.clone(), Arc::clone(&shared));
                            training = Some(std::thread::spawn(move || {
                                let started = Instant::now();
                                match train_job(&source, &settings, &events, &shared, &flag) {
                                    Ok(()) if flag.load(Ordering::Relaxed) => {
                                        let _ = events.send(Event::Cancelled);
                                    }
                                    Ok(()) => {
                                        let _ = events.send(Event::Done {
                                            seconds: started.elapsed().as_secs_f64(),
                                        });
                                    }
                                    Err(message) => {
                                        let _ = events.send(Event::Failed(message));
                                    }
                                }
                            }));
                        }
                        Command::Cancel => {
                            if let Ok(current) = job_cancel.lock() {
                                current.store(true, Ordering::Relaxed);
                            }
                        }
                        Command::Monitor(config) => {
                            let stop = Arc::new(AtomicBool::new(false));
                            if let Ok(mut current) = job_monitor_stop.lock() {
                                current.store(true, Ordering::Relaxed);
                                *current = Arc::clone(&stop);
                            }
                            live::start(config, events.clone(), stop);
                        }
                        Command::StopMonitor => {
                            if let Ok(current) = job_monitor_stop.lock() {
                                current.store(true, Ordering::Relaxed);
                            }
                        }
                        Command::Save { path, thresholds } => {
                            let (events, shared) = (events.clone(), Arc::clone(&shared));
                            std::thread::spawn(move || {
                                let event = match save(&shared, &path, &thresholds) {
                                    Ok(()) => Event::Saved { path },
                                    Err(e) => Event::Failed(e),
                                };
                                let _ = events.send(event);
                            });
                        }
                        Command::Export {
                            path,
                            rows,
                            thresholds,
                        } => {
                            let (events, shared) = (events.clone(), Arc::clone(&shared));
                            std::thread::spawn(move || {
                                let n = rows.len();
                                let event = match export(&shared, &path, &rows, &thresholds) {
                                    Ok(()) => Event::Exported { path, rows: n },
                                    Err(e) => Event::Failed(e),
                                };
                                let _ = events.send(event);
                            });
                        }
                    }
                }
                // The UI is gone: stop training and wait for it, so nothing is left
                // writing; stop monitoring (its reader may be blocked on a silent
                // pipe, so it is not waited for).
                if let Ok(current) = job_monitor_stop.lock() {
                    current.store(true, Ordering::Relaxed);
                }
                if let Ok(current) = job_cancel.lock() {
                    current.store(true, Ordering::Relaxed);
                }
                if let Some(job) = training.take() {
                    let _ = job.join();
                }
            });
        (
            Worker {
                commands,
                cancel,
                monitor_stop,
            },
            receiver,
        )
    }

    /// Queues a command (never blocks).
    pub fn send(&self, command: Command) {
        // Cancel acts at once, even if the worker is busy starting a job.
        if matches!(command, Command::Cancel)
            && let Ok(current) = self.cancel.lock()
        {
            current.store(true, Ordering::Relaxed);
        }
        // So does a stop, and the run ends within ~100 ms.
        if matches!(command, Command::StopMonitor)
            && let Ok(current) = self.monitor_stop.lock()
        {
            current.store(true, Ordering::Relaxed);
        }
        let _ = self.commands.send(command);
    }
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // A panicked job cannot leave the plain data inconsistent; keep going.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

fn load(
    source: &Source,
    events: &UnboundedSender<Event>,
) -> Result<(Dataset, Option<Dataset>), String> {
    match source {
        Source::Demo { rows, seed } => {
            let _ = events.send(Event::Status(format!(
                "generating {} rows of demo traffic …",
                crate::format::thousands(*rows as u64)
            )));
            Ok((
                generate(&SynthConfig {
                    rows: *rows,
                    seed: *seed,
                    attack_fraction: 0.2,
                }),
                None,
            ))
        }
        Source::Files { train, test } => {
            let read = |path: &PathBuf| {
                let _ = events.send(Event::Status(format!("reading {} …", path.display())));
                read_path(path, &ReadOptions::default())
                    .map(|(d, _)| d)
                    .map_err(|e| e.to_string())
            };
            let train = read(train)?;
            let test = test.as_ref().map(read).transpose()?;
            Ok((train, test))
        }
        Source::LiveOnly => Err(
            "no --data given: nothing to train on or evaluate (the Live tab scores the --monitor input)"
                .into(),
        ),
    }
}

/// Makes `test` the current test set (forgetting earlier detectors) and announces it.
fn publish(
    shared: &Mutex<Shared>,
    test: &Arc<TestSet>,
    settings: &Settings,
    events: &UnboundedSender<Event>,
) {
    {
        let mut s = lock(shared);
        s.test = Some(Arc::clone(test));
        s.settings = Some(settings.clone());
        s.iforest = None;
        s.autoencoder = None;
    }
    let _ = events.send(Event::DataReady(Arc::clone(test)));
}

fn train_job(
    source: &Source,
    settings: &Settings,
    events: &UnboundedSender<Event>,
    shared: &Mutex<Shared>,
    cancel: &AtomicBool,
) -> Result<(), String> {
    let cached = {
        let s = lock(shared);
        s.source_data.clone().map(|d| (d, s.test_data.clone()))
    };
    let (data, test_data) = match cached {
        Some(pair) => pair,
        None => {
            let (d, t) = load(source, events)?;
            let (d, t) = (Arc::new(d), t.map(Arc::new));
            let mut s = lock(shared);
            s.source_data = Some(Arc::clone(&d));
            s.test_data = t.clone();
            (d, t)
        }
    };
    if cancel.load(Ordering::Relaxed) {
        return Ok(());
    }
    if let Some(path) = &settings.bundle {
        return open_bundle(path, source, settings, &data, test_data, events, shared);
    }
    let _ = events.send(Event::Status("splitting and encoding …".into()));
    let protocol = if settings.protocol == TrainProtocol::Profile && !data.has_labels() {
        let _ = events.send(Event::Status(
            "the data has no labels: training on every row (unsupervised)".into(),
        ));
        TrainProtocol::Unsupervised
    } else {
        settings.protocol
    };
    let all: Vec<usize> = (0..data.len()).collect();
    let (train_rows, held_out) = match protocol {
        TrainProtocol::Profile => {
            let normal: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&r| data.is_attack(r) == Some(false))
                .collect();
            if normal.is_empty() {
                return Err(format!("{} has no normal rows to profile", data.source));
            }
            let (fit, rest) = seeded_split(&normal, 0.5, settings.seed);
            let mut test: Vec<usize> = rest;
            test.extend(
                all.iter()
                    .copied()
                    .filter(|&r| data.is_attack(r) == Some(true)),
            );
            test.sort_unstable();
            (fit, test)
        }
        TrainProtocol::Unsupervised => (all.clone(), all),
    };
    let (test_source, test_rows) = match &test_data {
        Some(t) => (Arc::clone(t), (0..t.len()).collect()),
        None => (Arc::clone(&data), held_out),
    };
    let encoder = Encoder::fit(
        &data,
        &train_rows,
        &EncoderConfig {
            feature_set: settings.feature_set,
            drop_constant: false,
        },
    )
    .map_err(|e| format!("cannot encode {}: {e}", data.source))?;
    let (train_matrix, _) = encoder.transform(&data, &train_rows);
    let (test_matrix, _) = encoder.transform(&test_source, &test_rows);
    let truth = test_source.has_labels().then(|| {
        test_rows
            .iter()
            .map(|&r| test_source.is_attack(r) == Some(true))
            .collect()
    });
    let encoder = Arc::new(encoder);
    let test = Arc::new(TestSet {
        source: source.describe(),
        synthetic: matches!(source, Source::Demo { .. }),
        protocol,
        source_rows: data.len(),
        families: data.family_counts(),
        train_rows: train_rows.len(),
        data: test_source,
        rows: test_rows,
        truth,
        encoder: Arc::clone(&encoder),
        matrix: test_matrix,
    });
    publish(shared, &test, settings, events);

    // The forest first: it takes a second, so the screen fills while the autoencoder
    // trains.
    let _ = events.send(Event::Training(DetectorKind::Iforest));
    let started = Instant::now();
    let forest_config = IsolationForestConfig {
        seed: settings.seed,
        ..settings.iforest.clone()
    };
    let forest = IsolationForest::fit_with_scales(
        &train_matrix,
        &forest_config,
        &SplitScale::for_encoder(&encoder),
    )
    .map_err(|e| format!("isolation forest: {e}"))?;
    let train_scores = forest.score(&train_matrix);
    let fit_seconds = started.elapsed().as_secs_f64();
    let test_scores = forest.score(&test.matrix);
    let result = Arc::new(DetectorResult::new(
        DetectorKind::Iforest,
        Model::Forest(Arc::new(forest)),
        ScoreDistribution::new(&train_scores).map_err(|e| e.to_string())?,
        ScoreSummary::of(&train_scores),
        test_scores,
        test.truth.as_deref(),
        fit_seconds,
    ));
    lock(shared).iforest = Some(Arc::clone(&result));
    let _ = events.send(Event::DetectorReady(result));
    if cancel.load(Ordering::Relaxed) {
        return Ok(());
    }

    let _ = events.send(Event::Training(DetectorKind::Autoencoder));
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    let forward = {
        let events = events.clone();
        std::thread::spawn(move || {
            for event in rx {
                let _ = events.send(Event::Autoencoder(event));
            }
        })
    };
    let config = AutoencoderConfig {
        seed: settings.seed,
        ..settings.autoencoder.clone()
    };
    let trained = autoencoder::train(&train_matrix, &config, &TrainObserver::channel(tx), cancel);
    let _ = forward.join();
    let model = match trained {
        Ok(m) => m,
        Err(autoencoder::AutoencoderError::Cancelled) => return Ok(()),
        Err(e) => return Err(format!("autoencoder: {e}")),
    };
    let train_scores = model.try_score(&train_matrix).map_err(|e| e.to_string())?;
    let test_scores = model.try_score(&test.matrix).map_err(|e| e.to_string())?;
    let result = Arc::new(DetectorResult::new(
        DetectorKind::Autoencoder,
        Model::Autoencoder(Arc::new(model)),
        ScoreDistribution::new(&train_scores).map_err(|e| e.to_string())?,
        ScoreSummary::of(&train_scores),
        test_scores,
        test.truth.as_deref(),
        started.elapsed().as_secs_f64(),
    ));
    lock(shared).autoencoder = Some(Arc::clone(&result));
    let _ = events.send(Event::DetectorReady(result));
    Ok(())
}

/// Scores the data with a saved bundle: every row is a test row; thresholds and the
/// training-score summaries come from the bundle.
fn open_bundle(
    path: &std::path::Path,
    source: &Source,
    settings: &Settings,
    data: &Arc<Dataset>,
    test_data: Option<Arc<Dataset>>,
    events: &UnboundedSender<Event>,
    shared: &Mutex<Shared>,
) -> Result<(), String> {
    let _ = events.send(Event::Status(format!("opening {} …", path.display())));
    let bundle = ModelBundle::load(path).map_err(|e| e.to_string())?;
    let scored = test_data.unwrap_or_else(|| Arc::clone(data));
    let rows: Vec<usize> = (0..scored.len()).collect();
    let (matrix, unseen) = bundle.encoder.transform(&scored, &rows);
    if unseen.rows > 0 {
        let _ = events.send(Event::Status(format!(
            "{} rows carry values the model never saw",
            crate::format::thousands(unseen.rows as u64)
        )));
    }
    let truth = scored.has_labels().then(|| {
        rows.iter()
            .map(|&r| scored.is_attack(r) == Some(true))
            .collect()
    });
    let test = Arc::new(TestSet {
        source: format!("{} · model {}", source.describe(), path.display()),
        synthetic: matches!(source, Source::Demo { .. }),
        protocol: settings.protocol,
        source_rows: data.len(),
        families: scored.family_counts(),
        train_rows: bundle.encoder.fitted_rows,
        data: Arc::clone(&scored),
        rows,
        truth,
        encoder: Arc::new(bundle.encoder.clone()),
        matrix,
    });
    publish(shared, &test, settings, events);
    let mut models: Vec<(DetectorKind, Model)> = Vec::new();
    if let Some(f) = bundle.iforest.clone() {
        models.push((DetectorKind::Iforest, Model::Forest(Arc::new(f))));
    }
    if let Some(m) = bundle.autoencoder.clone() {
        models.push((DetectorKind::Autoencoder, Model::Autoencoder(Arc::new(m))));
    }
    for (kind, model) in models {
        let Some(entry) = bundle.manifest.detectors.get(kind.name()) else {
            continue;
        };
        let started = Instant::now();
        let test_scores = match &model {
            Model::Forest(f) => f.score(&test.matrix),
            Model::Autoencoder(m) => m.try_score(&test.matrix).map_err(|e| e.to_string())?,
        };
        let summary = &entry.training_scores;
        let training =
            ScoreDistribution::from_summary(&summary.quantiles, summary.mean, summary.std)
                .map_err(|e| format!("{}: {e}", path.display()))?;
        let result = Arc::new(DetectorResult::new(
            kind,
            model,
            training,
            summary.clone(),
            test_scores,
            test.truth.as_deref(),
            started.elapsed().as_secs_f64(),
        ));
        {
            let mut s = lock(shared);
            match kind {
                DetectorKind::Iforest => s.iforest = Some(Arc::clone(&result)),
                DetectorKind::Autoencoder => s.autoencoder = Some(Arc::clone(&result)),
            }
        }
        let _ = events.send(Event::DetectorLoaded(result, entry.threshold));
    }
    Ok(())
}

fn save(
    shared: &Mutex<Shared>,
    path: &std::path::Path,
    thresholds: &Thresholds,
) -> Result<(), String> {
    let s = lock(shared);
    let (Some(test), Some(settings)) = (&s.test, &s.settings) else {
        return Err("nothing to save yet: no detector has finished training".into());
    };
    let mut detectors = std::collections::BTreeMap::new();
    let mut iforest = None;
    let mut autoencoder = None;
    for result in [&s.iforest, &s.autoencoder].into_iter().flatten() {
        let Some(threshold) = thresholds.get(result.kind) else {
            continue;
        };
        let details = match &result.model {
            Model::Forest(f) => {
                iforest = Some(f.as_ref().clone());
                serde_json::json!({ "config": settings.iforest, "max_samples_used": f.max_samples_used() })
            }
            Model::Autoencoder(m) => {
                autoencoder = Some(m.as_ref().clone());
                serde_json::to_value(AutoencoderDetails::of(m)).unwrap_or_default()
            }
        };
        detectors.insert(
            result.kind.name().to_owned(),
            DetectorEntry {
                threshold,
                training_scores: result.training_summary.clone(),
                details,
            },
        );
    }
    if detectors.is_empty() {
        return Err("nothing to save yet: no detector has finished training".into());
    }
    let training = serde_json::json!({
        "source": test.source,
        "protocol": test.protocol,
        "seed": settings.seed,
        "rows": test.train_rows,
        "rows_in_file": test.source_rows,
        "saved_from": "dashboard",
    });
    let bundle = ModelBundle {
        manifest: new_manifest(&test.encoder, training, detectors),
        encoder: test.encoder.as_ref().clone(),
        iforest,
        autoencoder,
    };
    drop(s);
    bundle.save(path, false).map_err(|e| e.to_string())
}

fn export(
    shared: &Mutex<Shared>,
    path: &std::path::Path,
    rows: &[usize],
    thresholds: &Thresholds,
) -> Result<(), String> {
    let (test, results) = {
        let s = lock(shared);
        let Some(test) = s.test.clone() else {
            return Err("nothing to export yet".into());
        };
        let results: Vec<Arc<DetectorResult>> = [&s.iforest, &s.autoencoder]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        (test, results)
    };
    crate::export::write_flagged_csv(path, &test, &results, rows, thresholds)
        .map_err(|e| e.to_string())
}
