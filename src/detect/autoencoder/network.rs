//! The burn network and the host ↔ tensor plumbing shared by training and scoring.

use burn::module::{Module, Param};
use burn::nn::Linear;
#[cfg(test)]
use burn::tensor::Gradients;
use burn::tensor::{Device, Tensor, TensorData, activation};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
#[cfg(test)]
use rayon::prelude::*;

#[cfg(test)]
use super::SCORE_BATCH;
use super::{Activation, Architecture, AutoencoderError};

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
        Self::build(arch, device, |_, fan_in, fan_out| {
            let limit = (6.0 / (fan_in + fan_out) as f64).sqrt() as f32;
            let weight = (0..fan_in * fan_out)
                .map(|_| (rng.random::<f32>() * 2.0 - 1.0) * limit)
                .collect();
            (weight, vec![0.0; fan_out])
        })
    }

    /// All-zero parameters: the target a saved record is loaded into.
    pub(super) fn zeros(arch: &Architecture, device: &Device) -> Self {
        Self::build(arch, device, |_, fan_in, fan_out| {
            (vec![0.0; fan_in * fan_out], vec![0.0; fan_out])
        })
    }

    /// A network holding copies of `params` (as [`Network::parameters`] returns them,
    /// shapes checked by the caller), as trainable parameters on `device`.
    pub(super) fn from_parameters(
        arch: &Architecture,
        params: &[LayerParameters],
        device: &Device,
    ) -> Self {
        Self::build(arch, device, |i, _, _| params[i].clone())
    }

    fn build(
        arch: &Architecture,
        device: &Device,
        mut params: impl FnMut(usize, usize, usize) -> LayerParameters,
    ) -> Self {
        let layers = arch
            .layer_sizes()
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let (weight, bias) = params(i, fan_in, fan_out);
                // burn stores a Linear weight as [d_input, d_output].
                let weight = TensorData::new(weight, [fan_in, fan_out]);
                let bias = TensorData::new(bias, [fan_out]);
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

    /// Every layer's `(weight, bias)` gradient from `grads` (after `loss.backward()` on
    /// a loss computed through this network), copied to the host in the layout of
    /// [`Network::parameters`].
    #[cfg(test)]
    pub(super) fn gradients(
        &self,
        grads: &Gradients,
    ) -> Result<Vec<LayerParameters>, AutoencoderError> {
        let host = |param: &Param<Tensor<2>>| -> Result<Vec<f32>, AutoencoderError> {
            param
                .val()
                .grad(grads)
                .ok_or_else(|| backend_error("a weight has no gradient"))?
                .try_into_vec_as::<f32>()
                .map_err(backend_error)
        };
        self.layers
            .iter()
            .map(|layer| {
                let bias = layer
                    .bias
                    .as_ref()
                    .ok_or_else(|| backend_error("a layer has no bias"))?
                    .val()
                    .grad(grads)
                    .ok_or_else(|| backend_error("a bias has no gradient"))?
                    .try_into_vec_as::<f32>()
                    .map_err(backend_error)?;
                Ok((host(&layer.weight)?, bias))
            })
            .collect()
    }

    /// burn's forward pass (autodiff-capable): the reference the hand-written
    /// gradients and the plain scoring path are tested against.
    #[cfg(test)]
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

/// The batch's mean squared reconstruction error and its gradient with respect to
/// every layer's `(weight, bias)`, by backpropagation written out in burn tensor
/// operations on a plain (non-autodiff) device.
///
/// Why not burn's autodiff: for networks this small a training step is dispatch
/// overhead, and the autodiff graph (node registration, hash maps, an allocation per
/// node) was ~40% of a batch-32 step in `perf`. A fully connected network's backward
/// pass is three operations per layer (`dW = aᵀ·δ`, `db = Σ δ`, `δ' = δ·Wᵀ`) plus the
/// activation's derivative. A test checks the result against burn's autodiff on the
/// same network.
///
/// `data` is the batch (row-major, `cols` wide). A batch with enough work is split in
/// two halves whose gradients are computed on two threads and added: the same
/// gradient up to rounding (the loss is a mean over rows). burn-flex runs the products
/// of a batch of 256 through the default network (≤ 4 M multiply-adds each) on one
/// thread, so without the split the second core idles.
pub(super) fn loss_and_gradients(
    params: &[LayerParameters],
    activations: &[Activation],
    data: &[f32],
    cols: usize,
    device: &Device,
) -> Result<(f64, Vec<LayerParameters>), AutoencoderError> {
    let rows = data.len() / cols.max(1);
    let elements = (rows * cols) as f64;
    let parameters: usize = params.iter().map(|(w, b)| w.len() + b.len()).sum();
    let part = |data: &[f32]| {
        let input = tensor(data.to_vec(), cols, device);
        part_gradients(params, activations, input, elements)
    };
    let (sum_sq, grads) = if rows >= SPLIT_ROWS && rows * parameters >= SPLIT_WORK {
        let (first, second) = data.split_at(rows / 2 * cols);
        let (a, b) = rayon::join(|| part(first), || part(second));
        let ((sum_a, mut grads), (sum_b, grads_b)) = (a?, b?);
        for ((w, b), (w2, b2)) in grads.iter_mut().zip(grads_b) {
            w.iter_mut().zip(w2).for_each(|(x, y)| *x += y);
            b.iter_mut().zip(b2).for_each(|(x, y)| *x += y);
        }
        (sum_a + sum_b, grads)
    } else {
        part(data)?
    };
    Ok((sum_sq / elements, grads))
}

/// Smallest batch (rows, and rows × parameters) that [`loss_and_gradients`] splits over
/// two threads: below these the hand-over costs more than it saves. Measured on the KDD
/// 10% file: the default network at batch 256 gains 1.37× (0.66 → 0.48 s per epoch)
/// and the reference network at batch 256 1.2×, while splitting the default network's
/// batch of 32 made it 1.3× slower.
const SPLIT_ROWS: usize = 128;
const SPLIT_WORK: usize = 500_000;

/// For the rows of `input`: the sum of squared reconstruction errors, and the gradient
/// of that sum divided by `elements` (the whole batch's rows × columns, so that the
/// parts of a batch add up to the gradient of its mean).
fn part_gradients(
    params: &[LayerParameters],
    activations: &[Activation],
    input: Tensor<2>,
    elements: f64,
) -> Result<(f64, Vec<LayerParameters>), AutoencoderError> {
    let device = input.device();
    let layers = params.len();
    let mut weights = Vec::with_capacity(layers);
    // Each layer's input and (activated) output, kept for the backward pass.
    let mut inputs = Vec::with_capacity(layers);
    let mut outputs: Vec<Tensor<2>> = Vec::with_capacity(layers);
    let mut a = input.clone();
    for ((w, b), act) in params.iter().zip(activations) {
        let fan_out = b.len();
        let fan_in = w.len() / fan_out.max(1);
        let w = Tensor::<2>::from_data(TensorData::new(w.clone(), [fan_in, fan_out]), &device);
        let b = Tensor::<2>::from_data(TensorData::new(b.clone(), [1, fan_out]), &device);
        let z = a.clone().matmul(w.clone()) + b;
        let y = match act {
            Activation::Tanh => host_tanh(z)?,
            Activation::Relu => activation::relu(z),
            Activation::Linear => z,
        };
        inputs.push(a);
        weights.push(w);
        a = y.clone();
        outputs.push(y);
    }
    let diff = a - input;
    let sum_sq = diff
        .clone()
        .square()
        .sum()
        .try_into_scalar::<f32>()
        .map_err(backend_error)?;
    // d(Σ diff² / elements)/d(output) = 2·diff / elements.
    let mut delta = diff.mul_scalar(2.0 / elements);
    let mut grads = vec![(Vec::new(), Vec::new()); layers];
    for i in (0..layers).rev() {
        let (y, a) = (outputs.pop(), inputs.pop());
        let (Some(y), Some(a)) = (y, a) else {
            unreachable!("one input and one output per layer")
        };
        // δ through the activation, written in terms of its output y.
        let dz = match activations[i] {
            // tanh' = 1 − y²: δ − δ·y².
            Activation::Tanh => delta.clone() - delta * y.square(),
            // relu' = 1 where y > 0 (burn's convention: 0 at 0).
            Activation::Relu => delta.mask_fill(y.lower_equal_elem(0.0), 0.0),
            Activation::Linear => delta,
        };
        let dw = a.transpose().matmul(dz.clone());
        let db = dz.clone().sum_dim(0);
        if i > 0 {
            delta = dz.matmul(weights[i].clone().transpose());
        } else {
            delta = dz;
        }
        grads[i] = (
            dw.try_into_vec_as::<f32>().map_err(backend_error)?,
            db.try_into_vec_as::<f32>().map_err(backend_error)?,
        );
    }
    Ok((f64::from(sum_sq), grads))
}

/// `tanh(x) = 2·σ(2x) − 1` in burn ops, for the test-only burn forward pass (the
/// backends' own `tanh` is the slower scalar `tanhf`). Exact in real arithmetic; in f32
/// the absolute error stays below ~1e-7.
#[cfg(test)]
fn tanh(x: Tensor<2>) -> Tensor<2> {
    activation::sigmoid(x.mul_scalar(2.0))
        .mul_scalar(2.0)
        .sub_scalar(1.0)
}

/// `tanh` of every element, computed on the host with the scoring path's vectorised
/// rational `tanh` (so training and scoring share one function). The backends'
/// `tanh`/`sigmoid` are scalar libm loops (~3 ns per element): for the default network
/// at batch 256 that was ~90 µs per layer per step, against ~10 µs for the copy out,
/// the vector loop and the copy back.
fn host_tanh(z: Tensor<2>) -> Result<Tensor<2>, AutoencoderError> {
    let (dims, device) = (z.dims(), z.device());
    let mut values = z.try_into_vec_as::<f32>().map_err(backend_error)?;
    super::inference::tanh_in_place(&mut values);
    Ok(Tensor::from_data(TensorData::new(values, dims), &device))
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
#[cfg(test)]
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
#[cfg(test)]
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

/// Mean over the columns of `(x − y)²`: squares summed in sixteen independent f32
/// lanes, the lanes added in f64. A single running sum is one chain of dependent
/// additions (~4 cycles each, ~500 per 124-column row), which capped scoring of the
/// small reference network at ~13 M rows/s on 2 cores; lanes overlap and vectorise
/// (one AVX-512 register). Each lane adds at most ~8 terms, so the f32 sum stays within
/// ~1e-6 relative of an f64 one.
#[inline(always)]
pub(super) fn row_mse(x: &[f32], y: &[f32]) -> f64 {
    const LANES: usize = 16;
    let mut lanes = [0.0f32; LANES];
    let (xs, ys) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
    let (x_tail, y_tail) = (xs.remainder(), ys.remainder());
    for (a, b) in xs.zip(ys) {
        for i in 0..LANES {
            let d = a[i] - b[i];
            lanes[i] += d * d;
        }
    }
    for (i, (&a, &b)) in x_tail.iter().zip(y_tail).enumerate() {
        let d = a - b;
        lanes[i] += d * d;
    }
    lanes.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64
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
