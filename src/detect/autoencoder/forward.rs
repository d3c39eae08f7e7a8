//! The network's one forward pass, on host arrays: the weights as `Vec<f32>`s, matrix
//! products by `gemm` (the kernel crate burn-flex uses, with its runtime CPU dispatch)
//! and a vectorised `tanh`. Training runs it on every batch (its backward pass then
//! continues in burn from the layer outputs), validation and scoring on blocks of rows
//! in parallel on the rayon pool.
//!
//! Why not burn's forward pass: for scoring, burn spent about half its time in scalar
//! `tanh` and copied every block in and out of tensors. Measured with `ae_timings`
//! (KDD 10%, 494k rows × 124 columns, 2 cores): default preset 1.26 → 2.42 M rows/s,
//! reference preset 7.6 → 12.6 M rows/s; here (perf) the `gemm` microkernel is ~80% of
//! scoring, `tanh` ~10%, the row MSEs ~8%. `gemm` with the bias preloaded into the
//! output computes `acc + b` with one rounding, as burn's product followed by its bias
//! addition does, so training's losses are the same bits as with burn's forward pass.

use multiversion::multiversion;
use rayon::prelude::*;

use super::{Activation, Architecture, AutoencoderError};

/// One layer's `(weight, bias)` on the host: `[fan_in, fan_out]` row-major (burn's
/// `Linear` layout: row `i` holds the weights from input `i` to every output), and
/// `[fan_out]`.
pub(super) type LayerParameters = (Vec<f32>, Vec<f32>);

/// Rows per scoring block: the widest activation (128 f32) of a block fits in L2
/// (256 KB), and 494k rows still make ~1000 blocks to share between the threads.
const BLOCK_ROWS: usize = 512;

/// A network's parameters on the host, shaped like its architecture.
#[derive(Clone)]
pub(super) struct Weights {
    inputs: usize,
    /// Input layer first.
    layers: Vec<LayerParameters>,
    activations: Vec<Activation>,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shapes: Vec<_> = self
            .layers
            .iter()
            .zip(&self.activations)
            .map(|((w, b), act)| (w.len() / b.len(), b.len(), *act))
            .collect();
        f.debug_struct("Weights").field("layers", &shapes).finish()
    }
}

impl Weights {
    /// Takes the layers (as the burn network's `parameters` gives them); fails
    /// if they do not fit `arch` or are not finite.
    pub(super) fn new(
        layers: Vec<LayerParameters>,
        arch: &Architecture,
    ) -> Result<Self, AutoencoderError> {
        let invalid = AutoencoderError::InvalidModel;
        let sizes = arch.layer_sizes();
        if layers.len() != sizes.len() - 1 {
            return Err(invalid(format!(
                "{} layers but the architecture has {}",
                layers.len(),
                sizes.len() - 1
            )));
        }
        for (i, ((weight, bias), w)) in layers.iter().zip(sizes.windows(2)).enumerate() {
            if weight.len() != w[0] * w[1] || bias.len() != w[1] {
                return Err(invalid(format!("layer {i} does not fit the architecture")));
            }
        }
        let weights = Weights {
            inputs: arch.inputs,
            layers,
            activations: arch.activations(),
        };
        if let Some(i) = weights.first_non_finite_layer() {
            return Err(invalid(format!("layer {i} has non-finite weights")));
        }
        Ok(weights)
    }

    /// Width of the input (and of the reconstruction).
    pub(super) fn inputs(&self) -> usize {
        self.inputs
    }

    /// Every layer's `(weight, bias)`, input layer first.
    pub(super) fn layers(&self) -> &[LayerParameters] {
        &self.layers
    }

    /// The same, to update in place (an optimiser step); the shapes must not change.
    pub(super) fn layers_mut(&mut self) -> &mut [LayerParameters] {
        &mut self.layers
    }

    /// Activation after each layer, output layer last.
    pub(super) fn activations(&self) -> &[Activation] {
        &self.activations
    }

    /// The first layer holding a NaN or an infinity (a diverged optimiser step).
    pub(super) fn first_non_finite_layer(&self) -> Option<usize> {
        self.layers
            .iter()
            .position(|(w, b)| w.iter().chain(b).any(|v| !v.is_finite()))
    }

    /// The forward pass: runs the rows of `x` (row-major, `inputs` wide) through every
    /// layer, leaving layer `i`'s activated output in `outputs[i]` (`rows × fan_out`,
    /// row-major; the buffers are overwritten, so they can be reused). The
    /// reconstruction is the last one.
    pub(super) fn forward(&self, x: &[f32], outputs: &mut [Vec<f32>]) {
        assert_eq!(outputs.len(), self.layers.len());
        let rows = x.len() / self.inputs;
        for i in 0..self.layers.len() {
            let (done, rest) = outputs.split_at_mut(i);
            let src: &[f32] = if i == 0 { x } else { &done[i - 1] };
            let (weight, bias) = &self.layers[i];
            dense(src, rows, weight, bias, self.activations[i], &mut rest[0]);
        }
    }

    /// Runs every block of `x` through the network in parallel and hands `each(input,
    /// reconstruction, out)` the block's rows and its slice of `out` (`per_row` values
    /// per row).
    fn fill_blocks<T: Send>(
        &self,
        x: &[f32],
        out: &mut [T],
        per_row: usize,
        each: impl Fn(&[f32], &[f32], &mut [T]) + Sync,
    ) {
        let cols = self.inputs;
        if cols == 0 || per_row == 0 {
            return;
        }
        let layers = self.layers.len();
        x.par_chunks(BLOCK_ROWS * cols)
            .zip(out.par_chunks_mut(BLOCK_ROWS * per_row))
            .for_each_init(
                || vec![Vec::new(); layers],
                |outputs, (block, out)| {
                    self.forward(block, outputs);
                    each(block, &outputs[layers - 1], out);
                },
            );
    }

    /// Per-row reconstruction MSE (mean over columns of the squared error), summed in
    /// f64.
    pub(super) fn row_errors(&self, x: &[f32]) -> Vec<f64> {
        let cols = self.inputs;
        let mut errors = vec![0.0; x.len() / cols.max(1)];
        self.fill_blocks(x, &mut errors, 1, |x, y, out| row_mses(x, y, cols, out));
        errors
    }

    /// Per-element squared reconstruction error, same layout as `x`.
    pub(super) fn squared_errors(&self, x: &[f32]) -> Vec<f32> {
        let mut errors = vec![0.0; x.len()];
        self.fill_blocks(x, &mut errors, self.inputs, |x, y, out| {
            for ((e, &a), &b) in out.iter_mut().zip(x).zip(y) {
                *e = (a - b) * (a - b);
            }
        });
        errors
    }
}

/// One fully connected layer, `dst = act(src · weight + bias)`: `src` is
/// `rows × fan_in`, `dst` becomes `rows × fan_out`, both row-major.
fn dense(
    src: &[f32],
    rows: usize,
    weight: &[f32],
    bias: &[f32],
    activation: Activation,
    dst: &mut Vec<f32>,
) {
    let fan_out = bias.len();
    let fan_in = weight.len() / fan_out;
    assert_eq!(src.len(), rows * fan_in);
    assert_eq!(weight.len(), fan_in * fan_out);
    // The bias first: `gemm` adds the product to it.
    dst.clear();
    for _ in 0..rows {
        dst.extend_from_slice(bias);
    }
    // SAFETY: the asserts and the loop above make every pointer valid for the strides
    // given: dst is rows × fan_out, src rows × fan_in and weight fan_in × fan_out, all
    // row-major (column stride 1, row stride = width) and not overlapping (dst is a
    // unique borrow). `gemm` computes dst = 1·dst + 1·(src · weight).
    unsafe {
        gemm::gemm(
            rows,
            fan_out,
            fan_in,
            dst.as_mut_ptr(),
            1,
            fan_out as isize,
            true,
            src.as_ptr(),
            1,
            fan_in as isize,
            weight.as_ptr(),
            1,
            fan_out as isize,
            1.0f32,
            1.0f32,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    match activation {
        Activation::Tanh => tanh_in_place(dst),
        Activation::Relu => dst.iter_mut().for_each(|v| *v = v.max(0.0)),
        Activation::Linear => {}
    }
}

/// Mean over the columns of `(x − y)²`: squares summed in sixteen independent f32
/// lanes, the lanes added in f64. A single running sum is one chain of dependent
/// additions (~4 cycles each, ~500 per 124-column row), which capped scoring of the
/// small reference network at ~13 M rows/s on 2 cores; lanes overlap and vectorise
/// (one AVX-512 register). Each lane adds at most ~8 terms, so the f32 sum stays within
/// ~1e-6 relative of an f64 one.
#[inline(always)]
fn row_mse(x: &[f32], y: &[f32]) -> f64 {
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

/// Per-row reconstruction MSEs of a block ([`row_mse`]): with the baseline build's SSE2
/// lanes this was ~25% of scoring the reference network.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn row_mses(x: &[f32], y: &[f32], cols: usize, out: &mut [f64]) {
    for ((x, y), e) in x.chunks_exact(cols).zip(y.chunks_exact(cols)).zip(out) {
        *e = row_mse(x, y);
    }
}

/// Applies [`tanh`] to every element.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn tanh_in_place(v: &mut [f32]) {
    for x in v {
        *x = tanh(*x);
    }
}

/// `tanh` as a rational function (odd degree-13 numerator over even degree-6
/// denominator, Eigen's `ptanh` coefficients), clamped where f32 `tanh` is ±1 to within
/// 3e-7. Branch-free so that loops over it vectorise (plain multiply-adds: `mul_add`
/// would be a libm call without FMA); max error vs `f32::tanh` is checked by a test.
/// Not for NaN (scoring inputs are finite).
#[inline(always)]
pub(super) fn tanh(x: f32) -> f32 {
    const CLAMP: f32 = 7.905_311;
    const A1: f32 = 4.893_524_6e-3;
    const A3: f32 = 6.372_619_3e-4;
    const A5: f32 = 1.485_722_4e-5;
    const A7: f32 = 5.122_297e-8;
    const A9: f32 = -8.604_672e-11;
    const A11: f32 = 2.000_188e-13;
    const A13: f32 = -2.760_768_5e-16;
    const B0: f32 = 4.893_525e-3;
    const B2: f32 = 2.268_434_6e-3;
    const B4: f32 = 1.185_347_1e-4;
    const B6: f32 = 1.198_258_4e-6;
    let c = x.clamp(-CLAMP, CLAMP);
    let x2 = c * c;
    let mut p = A13 * x2 + A11;
    p = p * x2 + A9;
    p = p * x2 + A7;
    p = p * x2 + A5;
    p = p * x2 + A3;
    p = p * x2 + A1;
    p *= c;
    let mut q = B6 * x2 + B4;
    q = q * x2 + B2;
    q = q * x2 + B0;
    let r = p / q;
    // Below 4e-4 tanh(x) = x to f32 precision; the ratio would be off by ~1 ulp.
    if x.abs() < 4e-4 { x } else { r }
}
