//! A trained autoencoder: scoring, and its weights as bytes.

use burn::module::Module;
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};

use super::forward::Weights;
use super::network::Network;
use super::progress::StopReason;
use super::{Architecture, AutoencoderConfig, AutoencoderError, Backend};
use crate::features::Matrix;

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
    pub(super) network: Network,
    /// The same weights on the host: what scoring runs on.
    weights: Weights,
    pub(super) backend: Backend,
}

impl TrainedAutoencoder {
    /// Wraps a trained or loaded network, copying its weights for scoring.
    pub(super) fn new(
        architecture: Architecture,
        summary: TrainingSummary,
        network: Network,
        backend: Backend,
    ) -> Result<Self, AutoencoderError> {
        let weights = Weights::new(network.parameters()?, &architecture)?;
        Ok(TrainedAutoencoder {
            architecture,
            summary,
            network,
            weights,
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
        Ok(self.weights.row_errors(x.as_slice()))
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
        let data = self.weights.squared_errors(x.as_slice());
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

    /// The weights as bytes: burn's burnpack record of the network. The architecture and
    /// summary are not included; store them alongside (both are serde) and pass them back
    /// to [`TrainedAutoencoder::from_bytes`]. There is no checksum: burnpack checks its
    /// structure, not its tensor data, so keep the bytes where something else does (a
    /// bundle's SHA256SUMS).
    pub fn to_bytes(&self) -> Result<Vec<u8>, AutoencoderError> {
        let record = self
            .network
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| AutoencoderError::Backend(e.to_string()))?;
        Ok(record.to_vec())
    }

    /// Rebuilds a model from [`TrainedAutoencoder::to_bytes`] output, on the preferred
    /// backend. Fails (never panics) on bytes that are not a burnpack record, on weights
    /// that do not fit `architecture` or are not finite, or on a summary whose
    /// configuration describes other layers.
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
        let device = backend.device()?;
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes.to_vec()))
            .map_err(|e| invalid(e.to_string()))?
            .with_dtype_policy(DTypePolicy::CastToModule);
        let network = Network::zeros(architecture, &device)
            .try_load_record(record)
            .map_err(|e| invalid(format!("weights do not fit the architecture: {e}")))?;
        Self::new(architecture.clone(), summary, network, backend)
    }
}
