//! What an autoencoder is made of before it is trained: the configuration, the
//! architecture it gives, the backends, and the errors.

use burn::tensor::Device;
use serde::{Deserialize, Serialize};
use thiserror::Error;

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
    /// netanomaly's choice for the profile protocol (the README's "Autoencoder" section).
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
    pub(super) fn device(self) -> Result<Device, AutoencoderError> {
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
    /// Batches between progress events (also throttled in time, see
    /// [`TrainObserver`](super::TrainObserver)); 0 sends none.
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
    pub(super) fn matches(&self, config: &AutoencoderConfig) -> bool {
        self.hidden == config.hidden
            && self.hidden_activations == config.hidden_activations
            && self.output_activation == config.output_activation
    }
}
