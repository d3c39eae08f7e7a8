//! The dashboard's state and its one `update`: keys, mouse, ticks and worker events
//! come in as [`Msg`]s; state changes here and nowhere else (drawing only reads).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyEvent, MouseButton, MouseEvent, MouseEventKind};

use super::keymap::{self, Action};
use super::live::{LiveState, LiveStatus};
use crate::data::Family;
use crate::detect::autoencoder::{AutoencoderConfig, Preset, StopReason, TrainEvent};
use crate::detect::explain;
use crate::eval::metrics::{Confusion, PrPoint, RocPoint, SortedScores};
use crate::eval::protocol::DetectorKind;
use crate::eval::threshold::ThresholdRule;
use crate::model::scorer::Explainer;
use crate::model::store::SavedThreshold;
use crate::model::train::TrainProtocol;
use crate::worker::live::{LiveConfig, LiveEnd, LiveEvent};
use crate::worker::{Command, DetectorResult, Event, Model, Settings, TestSet, Thresholds};

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Iforest,
    Autoencoder,
    Compare,
    Flagged,
    Live,
}

impl Tab {
    pub const ALL: [Tab; 6] = [
        Tab::Overview,
        Tab::Iforest,
        Tab::Autoencoder,
        Tab::Compare,
        Tab::Flagged,
        Tab::Live,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Iforest => "Isolation Forest",
            Tab::Autoencoder => "Autoencoder",
            Tab::Compare => "Compare",
            Tab::Flagged => "Flagged rows",
            Tab::Live => "Live",
        }
    }

    /// The title on a narrow tab bar (below [`WIDE_TABS`] columns).
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Iforest => "Forest",
            Tab::Flagged => "Flagged",
            other => other.title(),
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|&t| t == self).unwrap_or(0)
    }
}

/// Everything that can change the state.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize,
    /// A frame tick: refreshes elapsed times while something runs.
    Tick,
    Worker(Event),
    /// The worker's channel closed.
    WorkerGone,
}

/// Smallest terminal the layout is drawn for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Contamination slider: 20 log-spaced steps per decade from 1e-4, so round values
/// (0.1%, 1%, 10%) are positions; the last position is capped at 0.5.
const CONTAMINATION_MIN: f64 = 1e-4;
const CONTAMINATION_MAX: f64 = 0.5;
const STEPS_PER_DECADE: i32 = 20;
pub const CONTAMINATION_STEPS: i32 = 74;
/// Steps of the mean+kσ (k = step / 20, up to 10) and manual (log-spaced) sliders.
pub const SLIDER_STEPS: i32 = 200;
/// A coarse step is this many fine ones.
const COARSE: i32 = 10;

/// Contamination at a slider position.
pub fn contamination_at(step: i32) -> f64 {
    let s = step.clamp(0, CONTAMINATION_STEPS);
    (CONTAMINATION_MIN * 10f64.powf(f64::from(s) / f64::from(STEPS_PER_DECADE)))
        .min(CONTAMINATION_MAX)
}

/// The nearest contamination slider position.
pub fn contamination_step(c: f64) -> i32 {
    ((c.clamp(CONTAMINATION_MIN, CONTAMINATION_MAX) / CONTAMINATION_MIN).log10()
        * f64::from(STEPS_PER_DECADE))
    .round() as i32
}
/// Bins of the cached histograms; drawing regroups them to the panel width.
pub const HISTOGRAM_BINS: usize = 480;
/// Points kept of the running batch loss (halved in resolution when full).
const MAX_BATCH_POINTS: usize = 2000;
/// Rows around the selection whose why-features are computed ahead of drawing.
const WHY_WINDOW: usize = 60;

/// A log-spaced slider position → value in `[lo, hi]`.
pub fn log_position(step: i32, lo: f64, hi: f64) -> f64 {
    let t = f64::from(step.clamp(0, SLIDER_STEPS)) / f64::from(SLIDER_STEPS);
    (lo.ln() + t * (hi.ln() - lo.ln())).exp()
}

/// The nearest slider position of `value`.
pub fn log_step(value: f64, lo: f64, hi: f64) -> i32 {
    let t = (value.clamp(lo, hi).ln() - lo.ln()) / (hi.ln() - lo.ln());
    (t * f64::from(SLIDER_STEPS)).round() as i32
}

/// How the autoencoder's threshold is chosen on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdMode {
    MeanStd,
    Percentile,
    Contamination,
    Manual,
}

impl ThresholdMode {
    pub fn name(self) -> &'static str {
        match self {
            ThresholdMode::MeanStd => "mean+kσ",
            ThresholdMode::Percentile => "percentile",
            ThresholdMode::Contamination => "contamination",
            ThresholdMode::Manual => "manual",
        }
    }

    fn next(self) -> Self {
        match self {
            ThresholdMode::MeanStd => ThresholdMode::Percentile,
            ThresholdMode::Percentile => ThresholdMode::Contamination,
            ThresholdMode::Contamination => ThresholdMode::Manual,
            ThresholdMode::Manual => ThresholdMode::MeanStd,
        }
    }
}

/// Where a detector is.
#[derive(Debug, Clone, PartialEq)]
pub enum DetectorState {
    Waiting,
    Training,
    Ready,
    Failed(String),
}

/// Test-score histogram, normal and attack rows counted apart.
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    pub lo: f64,
    pub hi: f64,
    /// Bins are equal in log(score) instead of score.
    pub log: bool,
    pub normal: Vec<u64>,
    pub attack: Vec<u64>,
    /// Rows without labels.
    pub unknown: Vec<u64>,
}

impl Histogram {
    fn build(scores: &[f64], truth: Option<&[bool]>, log: bool) -> Histogram {
        let finite = scores.iter().copied().filter(|s| s.is_finite());
        let transform = |s: f64| if log { s.max(1e-12).ln() } else { s };
        let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), s| {
            (lo.min(transform(s)), hi.max(transform(s)))
        });
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let mut h = Histogram {
            lo,
            hi,
            log,
            normal: vec![0; HISTOGRAM_BINS],
            attack: vec![0; HISTOGRAM_BINS],
            unknown: vec![0; HISTOGRAM_BINS],
        };
        for (i, &s) in scores.iter().enumerate() {
            if !s.is_finite() {
                continue;
            }
            let b = h.bin_of(s);
            match truth.map(|t| t[i]) {
                Some(true) => h.attack[b] += 1,
                Some(false) => h.normal[b] += 1,
                None => h.unknown[b] += 1,
            }
        }
        h
    }

    /// Where a score falls, as a fraction of the x axis (clamped to [0, 1]).
    pub fn position(&self, score: f64) -> f64 {
        let x = if self.log {
            score.max(1e-12).ln()
        } else {
            score
        };
        ((x - self.lo) / (self.hi - self.lo)).clamp(0.0, 1.0)
    }

    fn bin_of(&self, score: f64) -> usize {
        ((self.position(score) * HISTOGRAM_BINS as f64) as usize).min(HISTOGRAM_BINS - 1)
    }

    /// The score at a fraction of the x axis.
    pub fn score_at(&self, fraction: f64) -> f64 {
        let x = self.lo + fraction * (self.hi - self.lo);
        if self.log { x.exp() } else { x }
    }
}

/// One detector's panel state: scores, threshold, metrics and curves.
#[derive(Debug, Clone)]
pub struct DetectorPanel {
    pub kind: DetectorKind,
    pub state: DetectorState,
    pub result: Option<Arc<DetectorResult>>,
    /// Test scores sorted once, with labels when known: every threshold move is O(log n).
    pub sorted: Option<SortedScores>,
    pub mode: ThresholdMode,
    /// Slider position (meaning depends on the mode).
    pub step: i32,
    /// The threshold in force and what it flags on the training rows.
    pub threshold: Option<SavedThreshold>,
    pub confusion: Option<Confusion>,
    /// Test rows flagged at the threshold.
    pub flagged: usize,
    pub histogram: Histogram,
    pub log_histogram: Histogram,
    pub roc: Vec<RocPoint>,
    pub pr: Vec<PrPoint>,
    pub roc_auc: Option<f64>,
    pub average_precision: Option<f64>,
}

impl DetectorPanel {
    fn new(kind: DetectorKind) -> Self {
        DetectorPanel {
            kind,
            state: DetectorState::Waiting,
            result: None,
            sorted: None,
            mode: ThresholdMode::Contamination,
            step: contamination_step(0.01),
            threshold: None,
            confusion: None,
            flagged: 0,
            histogram: Histogram::default(),
            log_histogram: Histogram::default(),
            roc: Vec::new(),
            pr: Vec::new(),
            roc_auc: None,
            average_precision: None,
        }
    }

    /// The rule the slider stands for.
    pub fn rule(&self) -> ThresholdRule {
        match self.mode {
            ThresholdMode::MeanStd => ThresholdRule::MeanStd {
                k: f64::from(self.step.clamp(0, SLIDER_STEPS)) / 20.0,
            },
            ThresholdMode::Contamination => ThresholdRule::Contamination {
                contamination: contamination_at(self.step),
            },
            ThresholdMode::Percentile => ThresholdRule::Percentile {
                percentile: 100.0 * (1.0 - contamination_at(self.step)),
            },
            ThresholdMode::Manual => {
                let (lo, hi) = self.manual_range();
                ThresholdRule::Manual {
                    value: log_position(self.step, lo, hi),
                }
            }
        }
    }

    /// The manual slider's score range: the training and test scores' extent (kept
    /// positive, since the slider is log-spaced).
    fn manual_range(&self) -> (f64, f64) {
        let train = self.result.as_ref().map(|r| r.training.sorted());
        let bounds = [
            train.and_then(SortedScores::min),
            train.and_then(SortedScores::max),
            self.sorted.as_ref().and_then(SortedScores::min),
            self.sorted.as_ref().and_then(SortedScores::max),
        ];
        let lo = bounds
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let hi = bounds
            .iter()
            .flatten()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let lo = if lo.is_finite() && lo > 0.0 { lo } else { 1e-6 };
        let hi = if hi.is_finite() && hi > lo {
            hi
        } else {
            lo * 10.0
        };
        (lo, hi)
    }

    /// Moves to `mode`, keeping the threshold where it is as far as the new mode allows.
    fn set_mode(&mut self, mode: ThresholdMode) {
        let current = self.threshold.map(|t| t.value);
        let contamination = self.threshold.map(|t| t.training_contamination);
        self.mode = mode;
        self.step = match (mode, &self.result) {
            (ThresholdMode::MeanStd, Some(r)) => {
                let (mean, std) = (r.training.mean(), r.training.std());
                let k = current.map_or(2.0, |v| if std > 0.0 { (v - mean) / std } else { 2.0 });
                (k * 20.0).round() as i32
            }
            (ThresholdMode::Manual, _) => {
                let (lo, hi) = self.manual_range();
                log_step(current.unwrap_or(hi), lo, hi)
            }
            _ => contamination_step(contamination.unwrap_or(0.01)),
        }
        .clamp(0, self.max_step());
        self.apply_threshold();
    }

    /// The slider's last position in the current mode.
    pub fn max_step(&self) -> i32 {
        match self.mode {
            ThresholdMode::Contamination | ThresholdMode::Percentile => CONTAMINATION_STEPS,
            ThresholdMode::MeanStd | ThresholdMode::Manual => SLIDER_STEPS,
        }
    }

    /// Where the slider's knob is, in [0, 1]. Contamination and percentile sliders run
    /// from strict (few flags) on the left to lenient on the right.
    pub fn knob(&self) -> f64 {
        let t = f64::from(self.step) / f64::from(self.max_step());
        match self.mode {
            ThresholdMode::Contamination | ThresholdMode::Percentile => t,
            // A higher k or manual value flags fewer rows: mirror, so → is lenient too.
            ThresholdMode::MeanStd | ThresholdMode::Manual => 1.0 - t,
        }
    }

    /// `→` always flags more rows: contamination up, k and the manual value down.
    fn slide(&mut self, steps: i32) {
        let steps = match self.mode {
            ThresholdMode::Contamination | ThresholdMode::Percentile => steps,
            ThresholdMode::MeanStd | ThresholdMode::Manual => -steps,
        };
        self.step = (self.step + steps).clamp(0, self.max_step());
        self.apply_threshold();
    }

    /// Recomputes the threshold and the confusion matrix from the cached sorted scores.
    fn apply_threshold(&mut self) {
        let Some(result) = &self.result else {
            return;
        };
        let rule = self.rule();
        let t = result.training.threshold(rule);
        self.threshold = Some(SavedThreshold {
            rule,
            value: t.value,
            training_contamination: t.contamination,
        });
        if let Some(sorted) = &self.sorted {
            self.flagged = sorted.flagged_at(t.value);
            self.confusion = sorted.confusion_at(t.value);
        }
    }

    fn ready(&mut self, result: Arc<DetectorResult>, truth: Option<&[bool]>) {
        // Sorting and curves were done by the worker; only the histograms are built
        // here (one pass).
        self.sorted = result.sorted_test.clone();
        self.histogram = Histogram::build(&result.test_scores, truth, false);
        self.log_histogram = Histogram::build(&result.test_scores, truth, true);
        self.roc = result.curves.roc.clone();
        self.pr = result.curves.pr.clone();
        self.roc_auc = result.curves.roc_auc;
        self.average_precision = result.curves.average_precision;
        self.result = Some(result);
        self.state = DetectorState::Ready;
        self.apply_threshold();
    }

    /// Puts the slider on a saved rule and uses the saved threshold exactly (the slider
    /// snaps to its grid only once it is moved).
    fn apply_saved(&mut self, saved: SavedThreshold) {
        match saved.rule {
            ThresholdRule::Contamination { contamination } => {
                self.mode = ThresholdMode::Contamination;
                self.step = contamination_step(contamination);
            }
            ThresholdRule::Percentile { percentile } => {
                self.mode = ThresholdMode::Percentile;
                self.step = contamination_step(1.0 - percentile / 100.0);
            }
            ThresholdRule::MeanStd { k } => {
                self.mode = ThresholdMode::MeanStd;
                self.step = ((k * 20.0).round() as i32).clamp(0, SLIDER_STEPS);
            }
            ThresholdRule::Manual { value } => {
                self.mode = ThresholdMode::Manual;
                let (lo, hi) = self.manual_range();
                self.step = log_step(value, lo, hi);
            }
        }
        self.threshold = Some(saved);
        if let Some(sorted) = &self.sorted {
            self.flagged = sorted.flagged_at(saved.value);
            self.confusion = sorted.confusion_at(saved.value);
        }
    }

    pub fn is_flagged(&self, position: usize) -> Option<bool> {
        let (result, threshold) = (self.result.as_ref()?, self.threshold?);
        Some(result.test_scores[position] >= threshold.value)
    }
}

/// The autoencoder's live training picture.
#[derive(Debug, Clone, Default)]
pub struct TrainingProgress {
    pub epochs: usize,
    pub batches_per_epoch: usize,
    pub rows: usize,
    pub parameters: usize,
    pub backend: String,
    pub epoch: usize,
    pub batch: usize,
    pub rows_per_second: f64,
    pub best_epoch: usize,
    /// `(epoch, train loss, validation loss)`.
    pub epoch_losses: Vec<(usize, f64, Option<f64>)>,
    /// `(epochs as a fraction, running loss)`.
    pub batch_losses: Vec<(f64, f64)>,
    pub started: Option<Instant>,
    pub finished: Option<(StopReason, f64)>,
    pub epoch_seconds: Option<f64>,
}

impl TrainingProgress {
    /// Fraction of the maximum epochs done.
    pub fn fraction(&self) -> f64 {
        if self.epochs == 0 {
            return 0.0;
        }
        let done = self.epoch as f64
            + if self.batches_per_epoch > 0 {
                self.batch as f64 / self.batches_per_epoch as f64
            } else {
                0.0
            };
        (done / self.epochs as f64).clamp(0.0, 1.0)
    }

    /// Upper bound on the time left (early stopping usually ends sooner).
    pub fn time_left(&self) -> Option<Duration> {
        let per_epoch = self.epoch_seconds?;
        let left = (self.epochs as f64 * (1.0 - self.fraction())) * per_epoch;
        Some(Duration::from_secs_f64(left.max(0.0)))
    }

    fn push_batch(&mut self, x: f64, loss: f64) {
        if self.batch_losses.len() >= MAX_BATCH_POINTS {
            // Halve the resolution of the history rather than drop its start.
            self.batch_losses = self.batch_losses.iter().step_by(2).copied().collect();
        }
        self.batch_losses.push((x, loss));
    }
}

/// How the detectors' flags fall over the test rows.
#[derive(Debug, Clone, Default)]
pub struct FlagCounts {
    /// `(rows, attacks)` flagged by both, only the forest, only the autoencoder,
    /// neither; `None` until both detectors have a threshold.
    pub agreement: Option<[(usize, usize); 4]>,
    /// Per family present in the test rows: its rows, and how many each detector
    /// (forest, autoencoder) flags (`None` while that detector has no threshold).
    pub families: Vec<(Family, usize, [Option<usize>; 2])>,
}

impl FlagCounts {
    fn of(app: &App) -> FlagCounts {
        let Some(test) = &app.test else {
            return FlagCounts::default();
        };
        let panels = [&app.iforest, &app.autoencoder];
        let ready = panels.map(|p| p.threshold.is_some());
        let mut agreement = [(0usize, 0usize); 4];
        let mut rows_by_family = [0usize; 6];
        let mut flagged = [[0usize; 6]; 2];
        for (i, &r) in test.rows.iter().enumerate() {
            let flags = panels.map(|p| p.is_flagged(i).unwrap_or(false));
            let k = match flags {
                [true, true] => 0,
                [true, false] => 1,
                [false, true] => 2,
                [false, false] => 3,
            };
            agreement[k].0 += 1;
            if test.truth.as_ref().is_some_and(|t| t[i]) {
                agreement[k].1 += 1;
            }
            if let Some(f) = test.data.family(r) {
                let k = Family::ALL.iter().position(|&x| x == f).unwrap_or(5);
                rows_by_family[k] += 1;
                for d in 0..2 {
                    flagged[d][k] += usize::from(flags[d]);
                }
            }
        }
        FlagCounts {
            agreement: (ready[0] && ready[1]).then_some(agreement),
            families: Family::ALL
                .iter()
                .enumerate()
                .filter(|(k, _)| rows_by_family[*k] > 0)
                .map(|(k, &f)| {
                    let by = |d: usize| ready[d].then_some(flagged[d][k]);
                    (f, rows_by_family[k], [by(0), by(1)])
                })
                .collect(),
        }
    }
}

/// Which flagged rows the table shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    Either,
    Both,
    ForestOnly,
    AutoencoderOnly,
}

impl Filter {
    pub fn name(self) -> &'static str {
        match self {
            Filter::Either => "either detector",
            Filter::Both => "both detectors",
            Filter::ForestOnly => "forest only",
            Filter::AutoencoderOnly => "autoencoder only",
        }
    }

    fn next(self) -> Self {
        match self {
            Filter::Either => Filter::Both,
            Filter::Both => Filter::ForestOnly,
            Filter::ForestOnly => Filter::AutoencoderOnly,
            Filter::AutoencoderOnly => Filter::Either,
        }
    }

    fn keeps(self, forest: bool, autoencoder: bool) -> bool {
        match self {
            Filter::Either => forest || autoencoder,
            Filter::Both => forest && autoencoder,
            Filter::ForestOnly => forest && !autoencoder,
            Filter::AutoencoderOnly => autoencoder && !forest,
        }
    }
}

/// The flagged-rows table.
#[derive(Debug, Clone)]
pub struct FlaggedTable {
    pub filter: Filter,
    pub sort_by: DetectorKind,
    /// Test positions, in display order.
    pub rows: Vec<usize>,
    pub selected: usize,
    /// Rows shown per page (from the last layout; for paging).
    pub page: usize,
    pub detail: bool,
    /// Why-features by (detector, test position).
    pub why: HashMap<(DetectorKind, usize), Vec<explain::Contribution>>,
    stale: bool,
}

/// The whole dashboard state.
pub struct App {
    /// The autoencoder preset `a` switches between (other settings come from the CLI).
    pub preset: Preset,
    pub source: String,
    pub synthetic: bool,
    pub settings: Settings,
    pub tab: Tab,
    pub help: bool,
    pub paused: bool,
    /// The loss picture as it was when paused.
    pub frozen: Option<TrainingProgress>,
    pub test: Option<Arc<TestSet>>,
    pub iforest: DetectorPanel,
    pub autoencoder: DetectorPanel,
    pub progress: TrainingProgress,
    pub log_errors: bool,
    pub flagged: FlaggedTable,
    /// Agreement and per-family flag counts over the test rows.
    pub counts: FlagCounts,
    /// The Live tab.
    pub live: LiveState,
    /// False with `--monitor` and no `--data`: nothing to train on or evaluate.
    pub has_data: bool,
    /// Latest status line, and whether it reports a problem.
    pub status: String,
    pub error: Option<String>,
    pub training: bool,
    pub quit: bool,
    pub size: (u16, u16),
    /// Output folder for saves and exports.
    pub out_dir: PathBuf,
    commands: Vec<Command>,
    pub dirty: bool,
}

impl App {
    pub fn new(source: String, synthetic: bool, settings: Settings) -> App {
        let mut app = App::blank(source, synthetic, settings);
        app.start_training();
        app
    }

    /// A dashboard with no data to train on or evaluate: only the Live tab has work
    /// (`--monitor` without `--data`).
    pub fn live_only(source: String, settings: Settings) -> App {
        let mut app = App::blank(source, false, settings);
        app.has_data = false;
        app.tab = Tab::Live;
        app.status = "no --data: the other tabs have nothing to evaluate; see the Live tab".into();
        app
    }

    /// Starts monitoring and shows the Live tab.
    pub fn start_live(&mut self, config: LiveConfig) {
        self.live.status = LiveStatus::Starting;
        self.live.source = config.monitor.input.name();
        self.live.format = config.monitor.format;
        self.tab = Tab::Live;
        self.commands.push(Command::Monitor(config));
        self.dirty = true;
    }

    fn blank(source: String, synthetic: bool, settings: Settings) -> App {
        App {
            preset: if settings.autoencoder.hidden
                == AutoencoderConfig::preset(Preset::Reference).hidden
            {
                Preset::Reference
            } else {
                Preset::Default
            },
            source,
            synthetic,
            settings,
            tab: Tab::Overview,
            help: false,
            paused: false,
            frozen: None,
            test: None,
            iforest: DetectorPanel::new(DetectorKind::Iforest),
            // The 99th percentile of training errors, as `train` saves by default.
            autoencoder: DetectorPanel {
                mode: ThresholdMode::Percentile,
                ..DetectorPanel::new(DetectorKind::Autoencoder)
            },
            progress: TrainingProgress::default(),
            log_errors: true,
            flagged: FlaggedTable {
                filter: Filter::Either,
                sort_by: DetectorKind::Autoencoder,
                rows: Vec::new(),
                selected: 0,
                page: 20,
                detail: false,
                why: HashMap::new(),
                stale: true,
            },
            counts: FlagCounts::default(),
            live: LiveState::default(),
            has_data: true,
            status: "starting …".into(),
            error: None,
            training: false,
            quit: false,
            size: (0, 0),
            out_dir: PathBuf::from("."),
            commands: Vec::new(),
            dirty: true,
        }
    }

    /// Commands for the worker produced by the last updates.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    fn start_training(&mut self) {
        if !self.has_data {
            self.status =
                "nothing to train on: start the dashboard with --data FILE (the Live tab scores --monitor)"
                    .into();
            return;
        }
        self.training = true;
        self.error = None;
        self.iforest = DetectorPanel {
            mode: self.iforest.mode,
            step: self.iforest.step,
            ..DetectorPanel::new(DetectorKind::Iforest)
        };
        self.autoencoder = DetectorPanel {
            mode: self.autoencoder.mode,
            step: self.autoencoder.step,
            ..DetectorPanel::new(DetectorKind::Autoencoder)
        };
        self.progress = TrainingProgress::default();
        self.frozen = None;
        self.flagged.rows.clear();
        self.flagged.why.clear();
        self.flagged.stale = true;
        self.counts = FlagCounts::default();
        self.commands.push(Command::Train(self.settings.clone()));
    }

    pub fn panel(&self, kind: DetectorKind) -> &DetectorPanel {
        match kind {
            DetectorKind::Iforest => &self.iforest,
            DetectorKind::Autoencoder => &self.autoencoder,
        }
    }

    /// The loss picture to draw: live, or frozen while paused.
    pub fn shown_progress(&self) -> &TrainingProgress {
        self.frozen.as_ref().unwrap_or(&self.progress)
    }

    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// The one place state changes.
    pub fn update(&mut self, msg: Msg) {
        match msg {
            Msg::Key(key) => {
                if let Some(action) = keymap::action_for(&key, self.tab) {
                    self.act(action);
                }
                self.dirty = true;
            }
            Msg::Mouse(mouse) => self.mouse(mouse),
            Msg::Resize => self.dirty = true,
            Msg::Tick => {
                // Only the elapsed-time figures move between events, and the live
                // window once a second.
                if self.training {
                    self.dirty = true;
                }
                if self.live.status == LiveStatus::Running {
                    let now = crate::clock::now_nanos() / 1_000_000_000;
                    if now > self.live.now {
                        self.live.advance(now);
                        self.dirty = true;
                    }
                }
            }
            Msg::Worker(event) => {
                self.worker_event(event);
                self.dirty = true;
            }
            Msg::WorkerGone => {
                if !self.quit {
                    self.error = Some("the background worker stopped unexpectedly".into());
                    self.training = false;
                    self.dirty = true;
                }
            }
        }
        if self.tab == Tab::Flagged {
            self.refresh_flagged();
        }
    }

    fn act(&mut self, action: Action) {
        // The help screen and the detail view close on most keys.
        if self.help && !matches!(action, Action::Quit) {
            self.help = false;
            if action == Action::Help {
                return;
            }
        }
        match action {
            Action::Quit => {
                self.quit = true;
                self.commands.push(Command::Cancel);
                if self.live.is_on() {
                    self.commands.push(Command::StopMonitor);
                }
            }
            Action::Help => self.help = true,
            Action::NextTab => self.tab = Tab::ALL[(self.tab.index() + 1) % Tab::ALL.len()],
            Action::PrevTab => {
                self.tab = Tab::ALL[(self.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len()]
            }
            Action::GoTab(i) => {
                if let Some(&t) = Tab::ALL.get(i) {
                    self.tab = t;
                }
            }
            Action::Slide(n) | Action::SlideCoarse(n) => {
                let steps = if matches!(action, Action::SlideCoarse(_)) {
                    n * COARSE
                } else {
                    n
                };
                match self.tab {
                    Tab::Iforest => self.iforest.slide(steps),
                    Tab::Autoencoder => self.autoencoder.slide(steps),
                    _ => {}
                }
                self.thresholds_changed();
            }
            Action::ThresholdMode => {
                let next = self.autoencoder.mode.next();
                self.autoencoder.set_mode(next);
                self.thresholds_changed();
            }
            Action::LogScale => self.log_errors = !self.log_errors,
            Action::Retrain => {
                self.status = "retraining …".into();
                self.settings.bundle = None;
                self.start_training();
            }
            Action::Preset => {
                self.settings.bundle = None;
                self.preset = match self.preset {
                    Preset::Default => Preset::Reference,
                    Preset::Reference => Preset::Default,
                };
                self.settings.autoencoder = AutoencoderConfig::preset(self.preset);
                self.status = format!(
                    "autoencoder preset {}: retraining …",
                    match self.preset {
                        Preset::Default => "default",
                        Preset::Reference => "reference (the notebook's 14-7-7 network)",
                    }
                );
                self.start_training();
            }
            Action::Protocol => {
                self.settings.bundle = None;
                self.settings.protocol = match self.settings.protocol {
                    TrainProtocol::Profile => TrainProtocol::Unsupervised,
                    TrainProtocol::Unsupervised => TrainProtocol::Profile,
                };
                // The usual default for each protocol (README: thresholds).
                let c = match self.settings.protocol {
                    TrainProtocol::Profile => 0.01,
                    TrainProtocol::Unsupervised => 0.1,
                };
                for panel in [&mut self.iforest, &mut self.autoencoder] {
                    panel.step = contamination_step(c);
                }
                self.iforest.mode = ThresholdMode::Contamination;
                self.autoencoder.mode = match self.settings.protocol {
                    TrainProtocol::Profile => ThresholdMode::Percentile,
                    TrainProtocol::Unsupervised => ThresholdMode::Contamination,
                };
                self.status = format!("protocol {}: retraining …", self.settings.protocol.name());
                self.start_training();
            }
            Action::Cancel => {
                if self.training {
                    self.commands.push(Command::Cancel);
                    self.status = "cancelling …".into();
                }
            }
            Action::Pause => {
                self.paused = !self.paused;
                self.frozen = self.paused.then(|| self.progress.clone());
            }
            Action::Save => self.save(),
            Action::Export => self.export(),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-(self.flagged.page.max(1) as i64)),
            Action::PageDown => self.move_selection(self.flagged.page.max(1) as i64),
            Action::Top if self.tab == Tab::Live => self.live.selected = 0,
            Action::Top => self.flagged.selected = 0,
            Action::Bottom if self.tab == Tab::Live => {
                self.live.selected = self.live.alerts.len().saturating_sub(1)
            }
            Action::Bottom => self.flagged.selected = self.flagged.rows.len().saturating_sub(1),
            Action::Open if self.tab == Tab::Live => {
                self.live.detail = !self.live.detail && !self.live.alerts.is_empty()
            }
            Action::Open => {
                self.flagged.detail = !self.flagged.detail && !self.flagged.rows.is_empty()
            }
            Action::Filter => {
                self.flagged.filter = self.flagged.filter.next();
                self.flagged.stale = true;
            }
            Action::Sort => {
                self.flagged.sort_by = match self.flagged.sort_by {
                    DetectorKind::Iforest => DetectorKind::Autoencoder,
                    DetectorKind::Autoencoder => DetectorKind::Iforest,
                };
                self.flagged.stale = true;
            }
        }
    }

    fn mouse(&mut self, mouse: MouseEvent) {
        match mouse.kind {
            // The tab bar is the second line; tabs are laid out by `tab_at`.
            MouseEventKind::Down(MouseButton::Left) if mouse.row == 1 => {
                if let Some(tab) = tab_at(mouse.column, self.size.0) {
                    self.tab = tab;
                    self.dirty = true;
                }
            }
            MouseEventKind::ScrollDown if matches!(self.tab, Tab::Flagged | Tab::Live) => {
                self.move_selection(3);
                self.dirty = true;
            }
            MouseEventKind::ScrollUp if matches!(self.tab, Tab::Flagged | Tab::Live) => {
                self.move_selection(-3);
                self.dirty = true;
            }
            _ => {}
        }
    }

    fn move_selection(&mut self, by: i64) {
        if self.tab == Tab::Live {
            self.live.move_selection(by);
            return;
        }
        let n = self.flagged.rows.len();
        if n == 0 {
            return;
        }
        let next = (self.flagged.selected as i64 + by).clamp(0, n as i64 - 1);
        self.flagged.selected = next as usize;
    }

    fn worker_event(&mut self, event: Event) {
        match event {
            Event::Live(event) => {
                match &event {
                    LiveEvent::Started { source, .. } => {
                        self.status = format!("monitoring {source}");
                    }
                    LiveEvent::Ended(LiveEnd::Failed(message)) => {
                        self.status = format!("monitoring failed: {message}");
                    }
                    LiveEvent::Ended(LiveEnd::Finished { reason, .. }) => {
                        self.status = format!("monitoring ended: {reason}");
                    }
                    LiveEvent::Update(_) => {}
                }
                self.live.apply(event);
            }
            Event::Status(s) => self.status = s,
            Event::DataReady(test) if self.settings.bundle.is_some() => {
                self.status = format!(
                    "scoring {} rows with the saved model …",
                    crate::format::thousands(test.rows.len() as u64)
                );
                self.test = Some(test);
                self.thresholds_changed();
            }
            Event::DataReady(test) => {
                self.status = format!(
                    "training on {} rows ({} protocol), testing on {} …",
                    crate::format::thousands(test.train_rows as u64),
                    test.protocol.name(),
                    crate::format::thousands(test.rows.len() as u64)
                );
                self.test = Some(test);
                self.thresholds_changed();
            }
            Event::Training(kind) => match kind {
                DetectorKind::Iforest => self.iforest.state = DetectorState::Training,
                DetectorKind::Autoencoder => {
                    self.autoencoder.state = DetectorState::Training;
                    self.progress.started = Some(Instant::now());
                }
            },
            Event::Autoencoder(e) => self.training_event(e),
            Event::DetectorReady(result) => {
                let truth = self.test.as_ref().and_then(|t| t.truth.clone());
                let kind = result.kind;
                match kind {
                    DetectorKind::Iforest => self.iforest.ready(result, truth.as_deref()),
                    DetectorKind::Autoencoder => self.autoencoder.ready(result, truth.as_deref()),
                }
                self.thresholds_changed();
                self.status = format!("{} ready", kind.name());
            }
            Event::DetectorLoaded(result, saved) => {
                let truth = self.test.as_ref().and_then(|t| t.truth.clone());
                let panel = match result.kind {
                    DetectorKind::Iforest => &mut self.iforest,
                    DetectorKind::Autoencoder => &mut self.autoencoder,
                };
                panel.ready(result, truth.as_deref());
                panel.apply_saved(saved);
                self.thresholds_changed();
            }
            Event::Done { seconds } => {
                self.training = false;
                self.status = match &self.settings.bundle {
                    Some(path) => format!(
                        "scored with the saved model {} in {seconds:.1} s (r retrains from the data)",
                        path.display()
                    ),
                    None => format!("both detectors trained in {seconds:.1} s"),
                };
                // A bundle may hold one detector only: the other is not coming.
                for panel in [&mut self.iforest, &mut self.autoencoder] {
                    if panel.state == DetectorState::Waiting && self.settings.bundle.is_some() {
                        panel.state = DetectorState::Failed("not in the saved model".into());
                    }
                }
            }
            Event::Cancelled => {
                self.training = false;
                if self.autoencoder.state == DetectorState::Training {
                    self.autoencoder.state =
                        DetectorState::Failed("cancelled before its first epoch".into());
                }
                self.status = "training cancelled".into();
            }
            Event::Saved { path } => {
                self.status = format!("saved the model bundle {}", path.display());
            }
            Event::Exported { path, rows } => {
                self.status = format!(
                    "exported {} rows to {}",
                    crate::format::thousands(rows as u64),
                    path.display()
                );
            }
            Event::Failed(message) => {
                self.training = false;
                for panel in [&mut self.iforest, &mut self.autoencoder] {
                    if matches!(
                        panel.state,
                        DetectorState::Training | DetectorState::Waiting
                    ) {
                        panel.state = DetectorState::Failed(message.clone());
                    }
                }
                self.error = Some(message);
            }
        }
    }

    fn training_event(&mut self, event: TrainEvent) {
        let p = &mut self.progress;
        match event {
            TrainEvent::Started {
                rows,
                epochs,
                batches_per_epoch,
                backend,
                parameters,
                ..
            } => {
                p.rows = rows;
                p.epochs = epochs;
                p.batches_per_epoch = batches_per_epoch;
                p.backend = backend.name().into();
                p.parameters = parameters;
            }
            TrainEvent::Batch {
                epoch,
                batch,
                running_loss,
                rows_per_second,
            } => {
                p.epoch = epoch - 1;
                p.batch = batch;
                p.rows_per_second = rows_per_second;
                let x = (epoch - 1) as f64 + batch as f64 / p.batches_per_epoch.max(1) as f64;
                p.push_batch(x, running_loss);
            }
            TrainEvent::Epoch {
                epoch,
                train_loss,
                validation_loss,
                elapsed_seconds,
                rows_per_second,
                best_epoch,
                ..
            } => {
                p.epoch = epoch;
                p.batch = 0;
                p.rows_per_second = rows_per_second;
                p.best_epoch = best_epoch;
                p.epoch_losses.push((epoch, train_loss, validation_loss));
                p.epoch_seconds = Some(elapsed_seconds / epoch.max(1) as f64);
            }
            TrainEvent::Finished { stop, seconds, .. } => {
                p.finished = Some((stop, seconds));
            }
        }
    }

    /// After a threshold or the test set changed: the table is rebuilt when next shown,
    /// the counts at once (one pass over the test rows, here rather than every frame).
    fn thresholds_changed(&mut self) {
        self.flagged.stale = true;
        self.counts = FlagCounts::of(self);
    }

    fn thresholds(&self) -> Thresholds {
        Thresholds {
            iforest: self.iforest.threshold,
            autoencoder: self.autoencoder.threshold,
        }
    }

    fn save(&mut self) {
        if self.iforest.threshold.is_none() && self.autoencoder.threshold.is_none() {
            self.status = "nothing to save yet: no detector has finished training".into();
            return;
        }
        let path = unique_path(&self.out_dir, "netanomaly-model", "");
        self.status = format!("saving {} …", path.display());
        self.commands.push(Command::Save {
            path,
            thresholds: self.thresholds(),
        });
    }

    fn export(&mut self) {
        self.refresh_flagged();
        if self.flagged.rows.is_empty() {
            self.status = "nothing to export: no row is flagged under the current filter".into();
            return;
        }
        let path = unique_path(&self.out_dir, "netanomaly-flagged", ".csv");
        self.status = format!(
            "exporting {} rows to {} …",
            crate::format::thousands(self.flagged.rows.len() as u64),
            path.display()
        );
        let mut rows = self.flagged.rows.clone();
        rows.sort_unstable();
        self.commands.push(Command::Export {
            path,
            rows,
            thresholds: self.thresholds(),
        });
    }

    /// Rebuilds the table's row list after a threshold, filter or sort change, and
    /// computes the why-features of the rows around the selection.
    fn refresh_flagged(&mut self) {
        if self.flagged.stale {
            self.flagged.stale = false;
            let n = self.test.as_ref().map_or(0, |t| t.rows.len());
            let mut rows: Vec<usize> = (0..n)
                .filter(|&i| {
                    let f = self.iforest.is_flagged(i).unwrap_or(false);
                    let a = self.autoencoder.is_flagged(i).unwrap_or(false);
                    self.flagged.filter.keeps(f, a)
                })
                .collect();
            let key = self
                .panel(self.flagged.sort_by)
                .result
                .clone()
                .or_else(|| self.iforest.result.clone())
                .or_else(|| self.autoencoder.result.clone());
            if let Some(result) = key {
                let s = &result.test_scores;
                rows.sort_by(|&a, &b| s[b].total_cmp(&s[a]).then(a.cmp(&b)));
            }
            self.flagged.rows = rows;
            self.flagged.selected = self
                .flagged
                .selected
                .min(self.flagged.rows.len().saturating_sub(1));
        }
        self.explain_window();
    }

    fn explain_window(&mut self) {
        let Some(test) = self.test.clone() else {
            return;
        };
        let start = self.flagged.selected.saturating_sub(WHY_WINDOW / 2);
        let window: Vec<usize> = self
            .flagged
            .rows
            .iter()
            .skip(start)
            .take(WHY_WINDOW)
            .copied()
            .collect();
        for panel in [&self.iforest, &self.autoencoder] {
            let Some(result) = &panel.result else {
                continue;
            };
            let missing: Vec<(usize, usize)> = window
                .iter()
                .filter(|&&i| !self.flagged.why.contains_key(&(panel.kind, i)))
                .map(|&i| (i, test.rows[i]))
                .collect();
            if missing.is_empty() {
                continue;
            }
            let (iforest, autoencoder) = match &result.model {
                Model::Forest(f) => (Some(f.as_ref()), None),
                Model::Autoencoder(m) => (None, Some(m.as_ref())),
            };
            let explainer = Explainer {
                encoder: &test.encoder,
                iforest,
                autoencoder,
                matrix: &test.matrix,
                data: &test.data,
            };
            // A failed explanation just leaves the cell empty.
            if let Ok(lists) = explainer.explain(panel.kind.name(), &missing) {
                for ((i, _), list) in missing.into_iter().zip(lists) {
                    self.flagged.why.insert((panel.kind, i), list);
                }
            }
        }
    }
}

/// A path in `dir` that does not exist yet: `stem-YYYYMMDD-HHMMSS[-n]suffix`.
fn unique_path(dir: &std::path::Path, stem: &str, suffix: &str) -> PathBuf {
    let stamp = timestamp();
    (0..)
        .map(|n| {
            let extra = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            dir.join(format!("{stem}-{stamp}{extra}{suffix}"))
        })
        .find(|p| !p.exists())
        .unwrap_or_else(|| dir.join(format!("{stem}{suffix}")))
}

/// UTC `YYYYMMDD-HHMMSS` (civil date from days since the epoch; no time-zone database).
fn timestamp() -> String {
    crate::clock::file_stamp(crate::clock::now_nanos() / 1_000_000_000)
}

/// A tab bar this wide shows the full titles; a narrower one the short ones, so that
/// every tab fits 80 columns.
pub const WIDE_TABS: u16 = 90;

/// Tab titles as drawn on a tab bar `width` columns wide: ` 1 Overview │ 2 Isolation
/// Forest │ …`.
pub fn tab_titles(width: u16) -> Vec<String> {
    Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let title = if width >= WIDE_TABS {
                t.title()
            } else {
                t.short_title()
            };
            format!("{} {title}", i + 1)
        })
        .collect()
}

/// The tab under column `x` of the tab bar (ratatui's Tabs: one space of padding on
/// each side of a title and a one-character divider).
pub fn tab_at(x: u16, width: u16) -> Option<Tab> {
    let mut start = 0u16;
    for (title, tab) in tab_titles(width).iter().zip(Tab::ALL) {
        let width = title.chars().count() as u16 + 2;
        if x >= start && x < start + width {
            return Some(tab);
        }
        start += width + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slider_is_log_spaced_over_the_documented_range() {
        let lo = log_position(0, CONTAMINATION_MIN, CONTAMINATION_MAX);
        let hi = log_position(SLIDER_STEPS, CONTAMINATION_MIN, CONTAMINATION_MAX);
        assert!((lo - 1e-4).abs() < 1e-12 && (hi - 0.5).abs() < 1e-12);
        // Equal steps multiply by the same factor.
        let r1 = log_position(11, 1e-4, 0.5) / log_position(10, 1e-4, 0.5);
        let r2 = log_position(151, 1e-4, 0.5) / log_position(150, 1e-4, 0.5);
        assert!((r1 - r2).abs() < 1e-9);
        assert_eq!(log_step(0.01, 1e-4, 0.5), 108);
        assert!((log_position(108, 1e-4, 0.5) - 0.01).abs() < 0.0005);
        // The contamination slider has round values as positions.
        assert_eq!(contamination_step(0.01), 40);
        assert!((contamination_at(40) - 0.01).abs() < 1e-15);
        assert!((contamination_at(60) - 0.1).abs() < 1e-14);
        assert_eq!(contamination_at(0), 1e-4);
        assert_eq!(contamination_at(CONTAMINATION_STEPS), 0.5);
        assert_eq!(contamination_at(1000), 0.5);
    }

    #[test]
    fn timestamps_are_civil_dates() {
        let t = timestamp();
        assert_eq!(t.len(), 15, "{t}");
        assert!(t.starts_with("20"), "{t}");
    }

    #[test]
    fn tab_positions_follow_the_titles() {
        assert_eq!(tab_at(0, 120), Some(Tab::Overview));
        assert_eq!(tab_at(11, 120), Some(Tab::Overview));
        assert_eq!(tab_at(13, 120), Some(Tab::Iforest));
        assert_eq!(tab_at(83, 120), Some(Tab::Live));
        assert_eq!(tab_at(500, 120), None);
        // Short titles on 80 columns: the Live tab still fits.
        assert_eq!(tab_at(24, 80), Some(Tab::Autoencoder));
        assert_eq!(tab_at(66, 80), Some(Tab::Live));
        assert!(
            tab_titles(80)
                .iter()
                .map(|t| t.chars().count() + 3)
                .sum::<usize>()
                <= 81
        );
    }
}
