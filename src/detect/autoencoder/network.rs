//! The burn network and the host ↔ tensor plumbing shared by training and scoring.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData, activation};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use super::{Activation, Architecture, AutoencoderError, SCORE_BATCH};

/// Fully connected layers, each followed by its activation.
#[derive(Module, Debug)]
pub(super) struct Network {
    layers: Vec<Linear>,
    /// Not a parameter, so not in the record: rebuilt from the [`Architecture`].
    #[module(skip)]
    activations: Vec<Activation>,
}

fn backend_error(e: impl std::fmt::Display) -> AutoencoderError {
    AutoencoderError::Backend(e.to_string())
}

impl Network {
    /// Glorot-uniform weights and zero biases (Keras' defaults, which the reference
    /// notebook used), drawn from the host RNG rather than burn's process-global one so
    /// that concurrent trainings cannot disturb each other's initialisation.
    pub(super) fn init(arch: &Architecture, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        Self::build(arch, device, |fan_in, fan_out| {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            (0..fan_in * fan_out)
                .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * limit)
                .collect()
        })
    }

    /// All-zero parameters: the target a saved record is loaded into.
    pub(super) fn zeros(arch: &Architecture, device: &Device) -> Self {
        Self::build(arch, device, |fan_in, fan_out| vec![0.0; fan_in * fan_out])
    }

    fn build(
        arch: &Architecture,
        device: &Device,
        mut weights: impl FnMut(usize, usize) -> Vec<f32>,
    ) -> Self {
        let layers = arch
            .layer_sizes()
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                // burn stores a Linear weight as [d_input, d_output].
                let weight = TensorData::new(weights(fan_in, fan_out), [fan_in, fan_out]);
                let bias = TensorData::new(vec![0.0f32; fan_out], [fan_out]);
                Linear {
                    weight: Param::from_data(weight, device),
                    bias: Some(Param::from_data(bias, device)),
                }
            })
            .collect();
        Network {
            layers,
            activations: arch.activations(),
        }
    }

    pub(super) fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        for (layer, act) in self.layers.iter().zip(&self.activations) {
            x = layer.forward(x);
            x = match act {
                Activation::Tanh => tanh(x),
                Activation::Relu => activation::relu(x),
                Activation::Linear => x,
            };
        }
        x
    }

    /// Every layer's weight (`[fan_in, fan_out]`, row-major) and bias, copied to the
    /// host, input layer first.
    pub(super) fn parameters(&self) -> Result<Vec<LayerParameters>, AutoencoderError> {
        self.layers
            .iter()
            .map(|layer| {
                let weight = layer
                    .weight
                    .val()
                    .try_into_vec_as::<f32>()
                    .map_err(backend_error)?;
                let bias = match &layer.bias {
                    Some(b) => b.val().try_into_vec_as::<f32>().map_err(backend_error)?,
                    None => vec![0.0; layer.weight.dims()[1]],
                };
                Ok((weight, bias))
            })
            .collect()
    }
}

/// One layer's `(weight, bias)` on the host: `[fan_in, fan_out]` row-major, `[fan_out]`.
pub(super) type LayerParameters = (Vec<f32>, Vec<f32>);

/// `tanh(x) = 2·σ(2x) − 1`. Both CPU backends compute `tanh` with the C library's
/// scalar `tanhf` (built on `expm1f`), which profiling showed taking ~70% of training
/// and scoring time; their fused sigmoid needs one `expf` and is several times faster.
/// Exact in real arithmetic; in f32 the absolute error stays below ~1e-7.
fn tanh(x: Tensor<2>) -> Tensor<2> {
    activation::sigmoid(x.mul_scalar(2.0))
        .mul_scalar(2.0)
        .sub_scalar(1.0)
}

/// A `[rows, cols]` tensor holding a copy of `data` (row-major).
pub(super) fn tensor(data: Vec<f32>, cols: usize, device: &Device) -> Tensor<2> {
    let rows = data.len() / cols;
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}

/// Fills `out` (`per_row` values per row of `data`) block by block: `each(input,
/// reconstruction, out)` for every block of [`SCORE_BATCH`] rows of `data` (row-major,
/// `cols` wide).
///
/// Blocks run in parallel on the rayon pool: flex and ndarray apply `tanh` element by
/// element on one thread, which made a sequential forward pass tanh-bound (≈ 0.8 M
/// rows/s on 2 cores); independent blocks keep every core busy.
fn fill_blocks<T: Send>(
    network: &Network,
    device: &Device,
    data: &[f32],
    cols: usize,
    out: &mut [T],
    per_row: usize,
    each: impl Fn(&[f32], &[f32], &mut [T]) + Sync,
) -> Result<(), AutoencoderError> {
    if cols == 0 || per_row == 0 {
        return Ok(());
    }
    data.par_chunks(SCORE_BATCH * cols)
        .zip(out.par_chunks_mut(SCORE_BATCH * per_row))
        .try_for_each(|(block, out)| {
            let reconstruction = network
                .forward(tensor(block.to_vec(), cols, device))
                .try_into_vec_as::<f32>()
                .map_err(backend_error)?;
            each(block, &reconstruction, out);
            Ok(())
        })
}

/// Per-row reconstruction MSE (mean over columns of the squared error), summed in f64.
pub(super) fn row_errors(
    network: &Network,
    device: &Device,
    data: &[f32],
    cols: usize,
) -> Result<Vec<f64>, AutoencoderError> {
    let mut errors = vec![0.0; data.len() / cols.max(1)];
    fill_blocks(network, device, data, cols, &mut errors, 1, |x, y, out| {
        for ((x, y), e) in x.chunks_exact(cols).zip(y.chunks_exact(cols)).zip(out) {
            *e = row_mse(x, y);
        }
    })?;
    Ok(errors)
}

pub(super) fn row_mse(x: &[f32], y: &[f32]) -> f64 {
    let sum: f64 = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| {
            let d = f64::from(a) - f64::from(b);
            d * d
        })
        .sum();
    sum / x.len() as f64
}

/// Per-element squared reconstruction error, same layout as `data`: the reference the
/// plain scoring path is tested against.
#[cfg(test)]
pub(super) fn squared_errors(
    network: &Network,
    device: &Device,
    data: &[f32],
    cols: usize,
) -> Result<Vec<f32>, AutoencoderError> {
    let mut errors = vec![0.0; data.len()];
    fill_blocks(
        network,
        device,
        data,
        cols,
        &mut errors,
        cols,
        |x, y, out| {
            for ((e, &a), &b) in out.iter_mut().zip(x).zip(y) {
                *e = (a - b) * (a - b);
            }
        },
    )?;
    Ok(errors)
}
