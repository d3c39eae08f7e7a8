//! A training batch's loss and its gradients: the forward pass
//! ([`Weights::forward`]), then backpropagation written out in burn tensor operations
//! on a plain (non-autodiff) device.

use burn::tensor::{Device, Tensor, TensorData};

use super::forward::{LayerParameters, Weights};
use super::{Activation, AutoencoderError};

fn backend_error(e: impl std::fmt::Display) -> AutoencoderError {
    AutoencoderError::Backend(e.to_string())
}

/// Smallest batch (rows, and rows × parameters) that [`loss_and_gradients`] splits over
/// two threads: below these the hand-over costs more than it saves. Measured on the KDD
/// 10% file: the default network at batch 256 gains 1.37× (0.66 → 0.48 s per epoch)
/// and the reference network at batch 256 1.2×, while splitting the default network's
/// batch of 32 made it 1.3× slower.
const SPLIT_ROWS: usize = 128;
const SPLIT_WORK: usize = 500_000;

/// The batch's mean squared reconstruction error and its gradient with respect to
/// every layer's `(weight, bias)`.
///
/// Why not burn's autodiff: for networks this small a training step is dispatch
/// overhead, and the autodiff graph (node registration, hash maps, an allocation per
/// node) was ~40% of a batch-32 step in `perf`. A fully connected network's backward
/// pass is three operations per layer (`dW = aᵀ·δ`, `db = Σ δ`, `δ' = δ·Wᵀ`) plus the
/// activation's derivative. A test checks the result against burn's autodiff on the
/// same network.
///
/// `data` is the batch (row-major, as wide as the network's input). A batch with enough
/// work is split in two halves whose gradients are computed on two threads and added:
/// the same gradient up to rounding (the loss is a mean over rows). burn-flex runs the
/// products of a batch of 256 through the default network (≤ 4 M multiply-adds each)
/// on one thread, so without the split the second core idles.
pub(super) fn loss_and_gradients(
    weights: &Weights,
    data: &[f32],
    device: &Device,
) -> Result<(f64, Vec<LayerParameters>), AutoencoderError> {
    let cols = weights.inputs();
    let rows = data.len() / cols;
    let elements = (rows * cols) as f64;
    let parameters: usize = weights
        .layers()
        .iter()
        .map(|(w, b)| w.len() + b.len())
        .sum();
    let part = |data: &[f32]| part_gradients(weights, data, cols, elements, device);
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

/// For the rows of `data`: the sum of squared reconstruction errors, and the gradient
/// of that sum divided by `elements` (the whole batch's rows × columns, so that the
/// parts of a batch add up to the gradient of its mean).
fn part_gradients(
    weights: &Weights,
    data: &[f32],
    cols: usize,
    elements: f64,
    device: &Device,
) -> Result<(f64, Vec<LayerParameters>), AutoencoderError> {
    let params = weights.layers();
    let layers = params.len();
    let mut outputs = vec![Vec::new(); layers];
    weights.forward(data, &mut outputs);
    let input = tensor(data.to_vec(), cols, device);
    // Each layer's activated output; the backward pass needs it for the activation's
    // derivative and as the next layer's input. (Moved, not copied, into the tensors.)
    let mut outputs: Vec<Tensor<2>> = outputs
        .into_iter()
        .zip(params)
        .map(|(y, (_, b))| tensor(y, b.len(), device))
        .collect();
    let Some(reconstruction) = outputs.last() else {
        unreachable!("a network has at least one layer")
    };
    let diff = reconstruction.clone() - input.clone();
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
        let Some(y) = outputs.pop() else {
            unreachable!("one output per layer")
        };
        let a = outputs.last().unwrap_or(&input).clone();
        // δ through the activation, written in terms of its output y.
        let dz = match weights.activations()[i] {
            // tanh' = 1 − y²: δ − δ·y².
            Activation::Tanh => delta.clone() - delta * y.square(),
            // relu' = 1 where y > 0 (burn's convention: 0 at 0).
            Activation::Relu => delta.mask_fill(y.lower_equal_elem(0.0), 0.0),
            Activation::Linear => delta,
        };
        let dw = a.transpose().matmul(dz.clone());
        let db = dz.clone().sum_dim(0);
        if i > 0 {
            let (w, b) = &params[i];
            let w = Tensor::<2>::from_data(
                TensorData::new(w.clone(), [w.len() / b.len(), b.len()]),
                device,
            );
            delta = dz.matmul(w.transpose());
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

/// A `[rows, cols]` tensor holding `data` (row-major).
pub(super) fn tensor(data: Vec<f32>, cols: usize, device: &Device) -> Tensor<2> {
    let rows = data.len() / cols;
    Tensor::from_data(TensorData::new(data, [rows, cols]), device)
}
