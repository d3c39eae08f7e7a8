//! Autoencoder detector: learn to reconstruct normal traffic; a row that reconstructs
//! badly does not look like what the network was trained on.
//!
//! A small fully connected network `d → h₁ → … → hₖ → d` is trained with Adam on the
//! mean squared reconstruction error of the (standardised, one-hot) training matrix. A
//! row's anomaly score is its reconstruction MSE (mean over columns of the squared error);
//! the per-column squared errors say which features made a row stand out.
//!
//! Training is a plain blocking function meant to run on a worker thread. It reports
//! through an unbounded channel it never blocks on ([`TrainObserver`]), checks a
//! cancellation flag between batches, and can stop early on the validation loss
//! (restoring the best epoch's weights).
//!
//! Determinism: every random choice (validation split, weight initialisation, per-epoch
//! shuffling) comes from `ChaCha8Rng` seeded with `config.seed`, on separate streams.
//! burn's own RNG — process-global, so shared by concurrent trainings — is never used,
//! which is why no lock is needed. Same seed + same backend + same thread count ⇒ the
//! same weights and scores, bit for bit (floating-point reductions split across a
//! different number of threads may differ in the last bits).
//!
//! Backends: burn's pure-Rust CPU backends `flex` (default, faster here) and `ndarray`
//! (deprecated upstream), chosen by crate features; see [`Backend`]. Training runs the
//! network's matrix products in burn, with the backward pass written out in tensor
//! operations (`network::loss_and_gradients`, checked against burn's autodiff by a
//! test), `tanh` computed by a vectorised host loop, and Adam applied to host copies of
//! the weights (`adam`, checked against burn's `Adam`): for networks this small a
//! training step is dispatch overhead; with batches split over the two cores
//! (`loss_and_gradients`) this cut an epoch 2.1–3.0× (RESULTS.md).
//! Scoring and the validation loss do not use burn: the weights are copied into plain
//! arrays and run through `gemm` with the same vectorised `tanh` (`inference`), which
//! agrees with burn's forward pass to ~1e-6 relative and is several times faster.

/// Defines `fn name(args)` whose body is compiled three times — for AVX-512, for
/// AVX2 + FMA, and for the baseline x86-64 (SSE2) — and runs the widest one the CPU has
/// (detected at run time, so the binary still runs everywhere). For the element-wise
/// loops of training and scoring, which the compiler vectorises but the baseline build
/// can only do 4 lanes at a time. The body uses no fused multiply-adds (Rust never
/// contracts `a * b + c`), so every version computes the same bits.
macro_rules! multiversion {
    ($(#[$meta:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$meta])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn portable($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f")]
                fn avx512($($arg: $ty),*) {
                    portable($($arg),*)
                }
                #[target_feature(enable = "avx2,fma")]
                fn avx2($($arg: $ty),*) {
                    portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU supports the feature the function is compiled for.
                    return unsafe { avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: as above.
                    return unsafe { avx2($($arg),*) };
                }
            }
            portable($($arg),*)
        }
    };
}

mod adam;
mod inference;
mod network;
mod training;

#[cfg(test)]
mod tests;

use std::sync::mpsc::Sender;
use std::time::Duration;

use burn::module::Module;
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::{Bytes, Device};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::features::Matrix;
use inference::Inference;
use network::Network;

pub use training::{train, train_on};

/// Rows of the validation loss scored between two looks at the cancel flag, and rows
/// per block of the test-only burn forward pass: small enough (8192 × 124 f32 ≈ 4 MB)
/// to stay bounded in memory and to cancel promptly.
const SCORE_BATCH: usize = 8192;

/// Largest accepted layer width and parameter count: a corrupt or hostile architecture
/// must give an error, not a multi-gigabyte allocation.
const MAX_LAYER_WIDTH: usize = 1 << 16;
const MAX_PARAMETERS: usize = 1 << 26;

/// Errors from training, scoring or loading an autoencoder.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AutoencoderError {
    #[error("cannot train an autoencoder on an empty matrix ({rows} rows × {cols} columns)")]
    EmptyMatrix { rows: usize, cols: usize },
    #[error("non-finite value {value} at row {row}, column {col}")]
    NonFinite { row: usize, col: usize, value: f32 },
    #[error("invalid autoencoder configuration: {0}")]
    InvalidConfig(String),
    #[error("matrix has {got} columns but the autoencoder was trained on {expected}")]
    FeatureMismatch { expected: usize, got: usize },
    #[error("invalid saved autoencoder: {0}")]
    InvalidModel(String),
    #[error("the {0} backend is not compiled into this build")]
    BackendUnavailable(Backend),
    #[error(
        "training diverged: the loss became {loss} in epoch {epoch} (try a lower learning rate)"
    )]
    Diverged { epoch: usize, loss: f64 },
    #[error("training was cancelled before the first epoch completed")]
    Cancelled,
    #[error("tensor backend error: {0}")]
    Backend(String),
}

/// Activation applied after a layer.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Tanh,
    Relu,
    /// Identity: the output layer of a network reconstructing standardised data, which
    /// is negative about half the time.
    Linear,
}

/// Ready-made configurations.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// netanomaly's choice for the profile protocol (see [`AutoencoderConfig::preset`]).
    #[default]
    Default,
    /// The reference notebook's Keras model, for like-for-like comparisons.
    Reference,
}

/// Which burn CPU backend runs the network.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn-flex: eager pure-Rust backend (gemm + rayon).
    Flex,
    /// burn-ndarray: deprecated upstream, kept for comparison.
    Ndarray,
}

impl Backend {
    /// The faster of the compiled backends: flex when present. Measured on the KDD 10%
    /// file (444k training rows × 124 columns, 2 cores): flex trains an epoch 1.5×
    /// (reference preset, batch 256) to 7× (reference preset, batch 32) faster than
    /// ndarray (benches/RESULTS.md). Scoring does not use the backend.
    pub fn preferred() -> Backend {
        if cfg!(feature = "flex") {
            Backend::Flex
        } else {
            Backend::Ndarray
        }
    }

    /// Backends compiled into this build, preferred first.
    pub fn available() -> Vec<Backend> {
        [Backend::Flex, Backend::Ndarray]
            .into_iter()
            .filter(|b| b.is_available())
            .collect()
    }

    pub fn is_available(self) -> bool {
        match self {
            Backend::Flex => cfg!(feature = "flex"),
            Backend::Ndarray => cfg!(feature = "ndarray"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
        }
    }

    /// The plain (inference) device of this backend.
    fn device(self) -> Result<Device, AutoencoderError> {
        match self {
            #[cfg(feature = "flex")]
            Backend::Flex => Ok(Device::flex()),
            // Deprecated in burn 0.22 (burn-ndarray is being retired); kept as the
            // alternative backend the crate features offer.
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::Ndarray => Ok(Device::ndarray()),
            #[allow(unreachable_patterns)]
            other => Err(AutoencoderError::BackendUnavailable(other)),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(not(any(feature = "flex", feature = "ndarray")))]
compile_error!("netanomaly needs a neural-network backend: enable feature `flex` or `ndarray`");

/// Hyper-parameters; kept inside the trained model so a model bundle records them.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct AutoencoderConfig {
    /// Hidden layer widths, input side first (e.g. `[64, 16, 64]`); the output layer
    /// (as wide as the input) is implied.
    pub hidden: Vec<usize>,
    /// One activation per hidden layer.
    pub hidden_activations: Vec<Activation>,
    pub output_activation: Activation,
    /// Maximum number of passes over the training rows.
    pub epochs: usize,
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Fraction of the rows (chosen with the seed) held out to measure the validation
    /// loss, in `[0, 1)`. 0 disables validation; early stopping then watches the
    /// training loss.
    pub validation_split: f64,
    /// Stop after this many epochs without improvement of the validation loss and
    /// restore the best epoch's weights. `None`: run every epoch and keep the last
    /// weights (Keras' default behaviour).
    pub patience: Option<usize>,
    /// Seed of the validation split, the initial weights and the batch order.
    pub seed: u64,
    /// Batches between progress events (also throttled in time, see [`TrainObserver`]);
    /// 0 sends none.
    pub progress_every: usize,
}

impl Default for AutoencoderConfig {
    fn default() -> Self {
        AutoencoderConfig::preset(Preset::Default)
    }
}

impl AutoencoderConfig {
    /// A ready-made configuration.
    ///
    /// * `Reference`: the notebook's Keras model, `d → 14 tanh → 7 relu → 7 tanh → d relu`,
    ///   Adam (lr 1e-3), MSE, batch 32, 10 epochs, 10% validation, no early stopping.
    ///   Its ReLU output cannot produce the negative half of standardised data, so it
    ///   mostly learns the positive part: on the profile protocol (seeds 0–2) ROC AUC
    ///   0.94–0.98 and F1 0.37–0.44 at the 99th percentile. 1.3 s per epoch on 444k rows.
    /// * `Default`: chosen by experiment on the KDD 10% profile protocol (fit on a seeded
    ///   half of the normal rows, threshold at the 99th percentile of training errors):
    ///   `d → 128 tanh → 32 relu → 128 tanh → d linear`, batch 256, lr 1e-3, up to 100
    ///   epochs with patience 5 on 10% validation. Seeds 0, 1, 2: ROC AUC 0.9964, 0.9955,
    ///   0.9971, F1 0.998 each, 8–13 s of training; 1.6 s per epoch on 444k rows.
    ///   Why: the output must be linear (standardised data is negative half the time);
    ///   with 64-16-64 or fewer epochs the 280k-row smurf block sits right at the
    ///   threshold and F1 swings between 0.45 and 0.998 with the seed; deeper networks
    ///   and all-ReLU did worse; batch 64 was no better than 256 and slower. lr 5e-4 over
    ///   200 epochs (patience 8) adds ~0.0005 AUC for 2–3× the time.
    pub fn preset(preset: Preset) -> Self {
        match preset {
            Preset::Reference => AutoencoderConfig {
                hidden: vec![14, 7, 7],
                hidden_activations: vec![Activation::Tanh, Activation::Relu, Activation::Tanh],
                output_activation: Activation::Relu,
                epochs: 10,
                batch_size: 32,
                learning_rate: 1e-3,
                validation_split: 0.1,
                patience: None,
                seed: 0,
                progress_every: 64,
            },
            Preset::Default => AutoencoderConfig {
                hidden: vec![128, 32, 128],
                hidden_activations: vec![Activation::Tanh, Activation::Relu, Activation::Tanh],
                output_activation: Activation::Linear,
                epochs: 100,
                batch_size: 256,
                learning_rate: 1e-3,
                validation_split: 0.1,
                patience: Some(5),
                seed: 0,
                progress_every: 16,
            },
        }
    }

    /// Checks the values; the architecture is checked by [`Architecture::new`].
    pub fn validate(&self) -> Result<(), AutoencoderError> {
        let bad = |m: String| Err(AutoencoderError::InvalidConfig(m));
        if self.epochs == 0 {
            return bad("epochs must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning_rate must be a positive number, got {}",
                self.learning_rate
            ));
        }
        if !(0.0..1.0).contains(&self.validation_split) {
            return bad(format!(
                "validation_split must be in [0, 1), got {}",
                self.validation_split
            ));
        }
        if self.patience == Some(0) {
            return bad("patience must be at least 1 (or none)".into());
        }
        Ok(())
    }
}

/// The shape of a network: everything needed to rebuild it before loading its weights
/// (burnpack records hold only the tensors).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Architecture {
    /// Input (and output) width: the encoded matrix's column count.
    pub inputs: usize,
    pub hidden: Vec<usize>,
    pub hidden_activations: Vec<Activation>,
    pub output_activation: Activation,
}

impl Architecture {
    /// The architecture `config` gives for `inputs` columns, validated.
    pub fn new(inputs: usize, config: &AutoencoderConfig) -> Result<Self, AutoencoderError> {
        let arch = Architecture {
            inputs,
            hidden: config.hidden.clone(),
            hidden_activations: config.hidden_activations.clone(),
            output_activation: config.output_activation,
        };
        arch.validate()?;
        Ok(arch)
    }

    /// Checks widths, activation count and size limits.
    pub fn validate(&self) -> Result<(), AutoencoderError> {
        let bad = |m: String| Err(AutoencoderError::InvalidConfig(m));
        if self.hidden.is_empty() {
            return bad("at least one hidden layer is needed".into());
        }
        if self.hidden_activations.len() != self.hidden.len() {
            return bad(format!(
                "{} hidden layers but {} hidden activations",
                self.hidden.len(),
                self.hidden_activations.len()
            ));
        }
        if let Some(w) = self
            .layer_sizes()
            .into_iter()
            .find(|&w| w == 0 || w > MAX_LAYER_WIDTH)
        {
            return bad(format!(
                "layer width {w} is outside 1..={MAX_LAYER_WIDTH} (input width {})",
                self.inputs
            ));
        }
        if self.parameter_count() > MAX_PARAMETERS {
            return bad(format!(
                "{} parameters is more than the {MAX_PARAMETERS} allowed",
                self.parameter_count()
            ));
        }
        Ok(())
    }

    /// Widths from input to output: `[inputs, hidden…, inputs]`.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = Vec::with_capacity(self.hidden.len() + 2);
        sizes.push(self.inputs);
        sizes.extend_from_slice(&self.hidden);
        sizes.push(self.inputs);
        sizes
    }

    /// Activation after each layer, output layer last.
    pub fn activations(&self) -> Vec<Activation> {
        let mut acts = self.hidden_activations.clone();
        acts.push(self.output_activation);
        acts
    }

    /// Weights plus biases (saturating, so huge widths cannot overflow).
    pub fn parameter_count(&self) -> usize {
        self.layer_sizes()
            .windows(2)
            .map(|w| w[0].saturating_mul(w[1]).saturating_add(w[1]))
            .fold(0usize, usize::saturating_add)
    }

    /// Whether `config` describes this architecture's hidden layers.
    fn matches(&self, config: &AutoencoderConfig) -> bool {
        self.hidden == config.hidden
            && self.hidden_activations == config.hidden_activations
            && self.output_activation == config.output_activation
    }
}

/// Why training ended.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// Ran every configured epoch.
    Completed,
    /// The monitored loss stopped improving for `patience` epochs.
    EarlyStopped,
    /// The cancellation flag was raised.
    Cancelled,
}

/// Progress of a training run. Epochs and batches count from 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TrainEvent {
    /// Sent before the first batch, once the data is split and the network built.
    Started {
        /// Rows trained on (after holding out the validation rows).
        rows: usize,
        validation_rows: usize,
        /// Maximum epochs.
        epochs: usize,
        batches_per_epoch: usize,
        backend: Backend,
        parameters: usize,
    },
    /// Every `progress_every` batches, at most one per `TrainObserver` interval.
    Batch {
        epoch: usize,
        batch: usize,
        /// Mean training loss of this epoch's batches so far.
        running_loss: f64,
        /// Training rows per second so far in this epoch.
        rows_per_second: f64,
    },
    /// After each completed epoch (training pass and validation).
    Epoch {
        epoch: usize,
        /// Mean loss over the epoch's batches (weights change during the epoch).
        train_loss: f64,
        /// Mean reconstruction MSE of the validation rows after the epoch.
        validation_loss: Option<f64>,
        /// Wall time of this epoch.
        epoch_seconds: f64,
        /// Wall time since training started.
        elapsed_seconds: f64,
        rows_per_second: f64,
        /// Epoch with the lowest monitored loss so far.
        best_epoch: usize,
    },
    /// Last event of every run, including a cancelled one.
    Finished {
        epochs_run: usize,
        /// `None` when no epoch completed.
        best_epoch: Option<usize>,
        /// Losses of the epoch whose weights were kept.
        final_train_loss: Option<f64>,
        final_validation_loss: Option<f64>,
        stop: StopReason,
        seconds: f64,
    },
}

/// Where training reports progress. It never blocks: events go into an unbounded
/// channel, and batch events are throttled in time (at most one per
/// `min_batch_interval`, 100 ms by default), so a slow receiver lets at most ~10 small
/// events a second pile up. A dropped receiver just stops the reporting.
#[derive(Debug, Clone)]
pub struct TrainObserver {
    sender: Option<Sender<TrainEvent>>,
    min_batch_interval: Duration,
}

impl TrainObserver {
    /// Reports nothing.
    pub fn silent() -> Self {
        TrainObserver {
            sender: None,
            min_batch_interval: Duration::from_millis(100),
        }
    }

    /// Reports into `sender`.
    pub fn channel(sender: Sender<TrainEvent>) -> Self {
        TrainObserver {
            sender: Some(sender),
            min_batch_interval: Duration::from_millis(100),
        }
    }

    /// Changes the minimum time between two batch events.
    pub fn with_min_batch_interval(mut self, interval: Duration) -> Self {
        self.min_batch_interval = interval;
        self
    }
}

/// One epoch of the training history.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EpochStats {
    pub epoch: usize,
    pub train_loss: f64,
    pub validation_loss: Option<f64>,
    pub seconds: f64,
}

/// How a model was trained: stored next to the weights so a bundle can show it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct TrainingSummary {
    pub config: AutoencoderConfig,
    pub backend: Backend,
    pub train_rows: usize,
    pub validation_rows: usize,
    pub history: Vec<EpochStats>,
    pub epochs_run: usize,
    /// Epoch with the lowest monitored loss (validation loss, or training loss without
    /// a validation set).
    pub best_epoch: usize,
    /// Epoch whose weights the model holds: `best_epoch` with early stopping
    /// (`patience` set), otherwise the last completed epoch.
    pub weights_epoch: usize,
    /// Losses of `weights_epoch`.
    pub final_train_loss: f64,
    pub final_validation_loss: Option<f64>,
    pub stop: StopReason,
    pub seconds: f64,
}

/// A trained autoencoder: the network, its architecture and how it was trained.
#[derive(Debug, Clone)]
pub struct TrainedAutoencoder {
    architecture: Architecture,
    summary: TrainingSummary,
    /// The burn network: the source of the saved weights.
    network: Network,
    /// The same weights as plain arrays: what scoring runs on.
    inference: Inference,
    backend: Backend,
}

impl TrainedAutoencoder {
    /// Wraps a trained or loaded network, copying its weights for scoring.
    fn new(
        architecture: Architecture,
        summary: TrainingSummary,
        network: Network,
        backend: Backend,
    ) -> Result<Self, AutoencoderError> {
        let inference = Inference::new(&network, &architecture)?;
        Ok(TrainedAutoencoder {
            architecture,
            summary,
            network,
            inference,
            backend,
        })
    }

    pub fn architecture(&self) -> &Architecture {
        &self.architecture
    }

    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    pub fn config(&self) -> &AutoencoderConfig {
        &self.summary.config
    }

    /// Per-epoch training and validation losses.
    pub fn history(&self) -> &[EpochStats] {
        &self.summary.history
    }

    pub fn epochs_run(&self) -> usize {
        self.summary.epochs_run
    }

    pub fn best_epoch(&self) -> usize {
        self.summary.best_epoch
    }

    pub fn final_validation_loss(&self) -> Option<f64> {
        self.summary.final_validation_loss
    }

    /// Number of columns the network reads.
    pub fn n_inputs(&self) -> usize {
        self.architecture.inputs
    }

    /// Backend this instance was trained or loaded on. (Scoring runs the plain forward
    /// pass, the same whatever the backend.)
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Reconstruction MSE of every row (mean over columns of the squared error); higher
    /// means more anomalous.
    ///
    /// # Panics
    /// If `x.cols() != self.n_inputs()` (a pipeline bug, not bad data) or if the tensor
    /// backend fails. Use [`TrainedAutoencoder::try_score`] to get an error instead.
    pub fn score(&self, x: &Matrix) -> Vec<f64> {
        match self.try_score(x) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`TrainedAutoencoder::score`], with failures reported as errors.
    pub fn try_score(&self, x: &Matrix) -> Result<Vec<f64>, AutoencoderError> {
        self.check_cols(x)?;
        Ok(self.inference.row_errors(x.as_slice()))
    }

    /// Per-row, per-column squared reconstruction errors (same shape as `x`): which
    /// columns made a row stand out. Row means equal [`TrainedAutoencoder::score`] up to
    /// rounding.
    ///
    /// # Panics
    /// As [`TrainedAutoencoder::score`].
    pub fn squared_errors(&self, x: &Matrix) -> Matrix {
        match self.try_squared_errors(x) {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`TrainedAutoencoder::squared_errors`], with failures reported as errors.
    pub fn try_squared_errors(&self, x: &Matrix) -> Result<Matrix, AutoencoderError> {
        self.check_cols(x)?;
        let data = self.inference.squared_errors(x.as_slice());
        Ok(Matrix::new(x.rows(), x.cols(), data))
    }

    fn check_cols(&self, x: &Matrix) -> Result<(), AutoencoderError> {
        if x.cols() != self.architecture.inputs {
            return Err(AutoencoderError::FeatureMismatch {
                expected: self.architecture.inputs,
                got: x.cols(),
            });
        }
        Ok(())
    }

    /// The weights as bytes: a small header (magic, format version, checksum) followed
    /// by a burnpack record. The architecture and summary are not included; store them
    /// alongside (both are serde) and pass them back to [`TrainedAutoencoder::from_bytes`].
    pub fn to_bytes(&self) -> Result<Vec<u8>, AutoencoderError> {
        let record = self
            .network
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| AutoencoderError::Backend(e.to_string()))?;
        Ok(envelope::wrap(&record))
    }

    /// Rebuilds a model from [`TrainedAutoencoder::to_bytes`] output, on the preferred
    /// backend. Fails (never panics) on corrupt bytes, on weights that do not fit
    /// `architecture`, or on a summary whose configuration describes other layers.
    pub fn from_bytes(
        architecture: &Architecture,
        summary: TrainingSummary,
        bytes: &[u8],
    ) -> Result<Self, AutoencoderError> {
        Self::from_bytes_on(Backend::preferred(), architecture, summary, bytes)
    }

    /// [`TrainedAutoencoder::from_bytes`] on a chosen backend.
    pub fn from_bytes_on(
        backend: Backend,
        architecture: &Architecture,
        summary: TrainingSummary,
        bytes: &[u8],
    ) -> Result<Self, AutoencoderError> {
        let invalid = AutoencoderError::InvalidModel;
        architecture
            .validate()
            .map_err(|e| invalid(e.to_string()))?;
        if !architecture.matches(&summary.config) {
            return Err(invalid(
                "the training configuration describes other layers than the architecture".into(),
            ));
        }
        let payload = envelope::unwrap(bytes)?;
        let device = backend.device()?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(payload.to_vec()))
            .map_err(|e| invalid(e.to_string()))?
            .with_dtype_policy(DTypePolicy::CastToModule);
        let network = Network::zeros(architecture, &device)
            .try_load_record(record)
            .map_err(|e| invalid(format!("weights do not fit the architecture: {e}")))?;
        Self::new(architecture.clone(), summary, network, backend)
    }
}

/// The byte envelope around the burnpack record. burnpack validates its structure but
/// not its tensor data, so a flipped bit in a weight would load silently; the checksum
/// turns that into an error.
mod envelope {
    use super::AutoencoderError;

    const MAGIC: &[u8; 8] = b"NAAEW\0\0\x01";
    const HEADER: usize = MAGIC.len() + 8 + 8;

    /// FNV-1a, 64 bit: no dependency, and plenty to detect accidental corruption.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    pub(super) fn wrap(payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&fnv1a(payload).to_le_bytes());
        out.extend_from_slice(payload);
        out
    }

    pub(super) fn unwrap(bytes: &[u8]) -> Result<&[u8], AutoencoderError> {
        let invalid = |m: &str| Err(AutoencoderError::InvalidModel(m.into()));
        if bytes.len() < HEADER || &bytes[..MAGIC.len()] != MAGIC {
            return invalid("not autoencoder weights (bad header)");
        }
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let (len, sum) = (word(MAGIC.len()), word(MAGIC.len() + 8));
        let payload = &bytes[HEADER..];
        if payload.len() as u64 != len {
            return invalid("truncated or padded weights");
        }
        if fnv1a(payload) != sum {
            return invalid("corrupt weights (checksum mismatch)");
        }
        Ok(payload)
    }
}
