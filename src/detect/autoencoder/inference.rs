//! Plain-Rust forward pass for scoring: the trained weights copied out of burn into
//! `Vec<f32>`s, matrix products by `gemm` (the kernel crate burn-flex uses, with its
//! runtime CPU dispatch), a vectorisable `tanh`, and blocks of rows in parallel on the
//! rayon pool. No tensors, no autodiff, no per-block copies of the input.
//!
//! Measured with `ae_timings` (KDD 10%, 494k rows × 124 columns, 2 cores, median of 5,
//! interleaved runs on a shared machine whose load halved every figure at times):
//! default preset 1.26 → 2.42 M rows/s quiet, 0.63 → 1.25 M loaded; reference preset
//! 7.6 → 12.6 M quiet, 3.9 → 6.4 M loaded. burn spent about half its time in scalar
//! `tanh`; here (perf) the AVX2 `gemm` microkernel is ~80% of scoring, `tanh` ~10%, the
//! row MSEs ~8%. Training and validation still use burn.

use multiversion::multiversion;
use rayon::prelude::*;

use super::network::{LayerParameters, Network};
use super::{Activation, Architecture, AutoencoderError};

/// Rows per block: the widest activation (128 f32) of a block fits in L2 (256 KB), and
/// 494k rows still make ~1000 blocks to share between the threads.
const BLOCK_ROWS: usize = 512;

/// One fully connected layer: `y = act(x · W + b)`.
#[derive(Clone)]
struct Dense {
    fan_in: usize,
    fan_out: usize,
    /// `[fan_in, fan_out]`, row-major (burn's `Linear` layout): row `i` holds the
    /// weights from input `i` to every output.
    weight: Vec<f32>,
    /// `[fan_out]`.
    bias: Vec<f32>,
    activation: Activation,
}

/// The network's parameters as plain arrays, ready to score.
#[derive(Clone)]
pub(super) struct Inference {
    layers: Vec<Dense>,
    inputs: usize,
    /// Widest layer output: the size of the scratch rows.
    max_width: usize,
}

impl std::fmt::Debug for Inference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shapes: Vec<_> = self
            .layers
            .iter()
            .map(|l| (l.fan_in, l.fan_out, l.activation))
            .collect();
        f.debug_struct("Inference")
            .field("layers", &shapes)
            .finish()
    }
}

impl Inference {
    /// Copies `network`'s weights; fails if they do not fit `arch` or are not finite.
    pub(super) fn new(network: &Network, arch: &Architecture) -> Result<Self, AutoencoderError> {
        Self::from_parameters(network.parameters()?, arch)
    }

    /// Takes host copies of the weights (as [`Network::parameters`] gives them); fails
    /// if they do not fit `arch` or are not finite.
    pub(super) fn from_parameters(
        params: Vec<LayerParameters>,
        arch: &Architecture,
    ) -> Result<Self, AutoencoderError> {
        let invalid = AutoencoderError::InvalidModel;
        let sizes = arch.layer_sizes();
        let activations = arch.activations();
        if params.len() != sizes.len() - 1 {
            return Err(invalid(format!(
                "{} layers but the architecture has {}",
                params.len(),
                sizes.len() - 1
            )));
        }
        let mut layers = Vec::with_capacity(params.len());
        for (i, ((weight, bias), (w, &activation))) in params
            .into_iter()
            .zip(sizes.windows(2).zip(&activations))
            .enumerate()
        {
            let (fan_in, fan_out) = (w[0], w[1]);
            if weight.len() != fan_in * fan_out || bias.len() != fan_out {
                return Err(invalid(format!("layer {i} does not fit the architecture")));
            }
            if weight.iter().chain(&bias).any(|v| !v.is_finite()) {
                return Err(invalid(format!("layer {i} has non-finite weights")));
            }
            layers.push(Dense {
                fan_in,
                fan_out,
                weight,
                bias,
                activation,
            });
        }
        Ok(Inference {
            layers,
            inputs: arch.inputs,
            max_width: sizes.iter().copied().max().unwrap_or(0),
        })
    }

    /// Reconstructs `x` (`rows × inputs`, row-major) into `out` (same shape), using the
    /// two scratch buffers (each at least `rows × max_width`).
    fn forward_block(&self, x: &[f32], out: &mut [f32], a: &mut [f32], b: &mut [f32]) {
        let rows = x.len() / self.inputs;
        let last = self.layers.len() - 1;
        let (mut input, mut spare) = (a, b);
        for (i, layer) in self.layers.iter().enumerate() {
            let src: &[f32] = if i == 0 {
                x
            } else {
                &input[..rows * layer.fan_in]
            };
            let dst: &mut [f32] = if i == last {
                &mut *out
            } else {
                &mut spare[..rows * layer.fan_out]
            };
            layer.forward(src, dst);
            if i != last {
                std::mem::swap(&mut input, &mut spare);
            }
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
        let scratch = BLOCK_ROWS * self.max_width;
        x.par_chunks(BLOCK_ROWS * cols)
            .zip(out.par_chunks_mut(BLOCK_ROWS * per_row))
            .for_each_init(
                || (vec![0.0; scratch], vec![0.0; scratch], vec![0.0; scratch]),
                |(a, b, y), (block, out)| {
                    let y = &mut y[..block.len()];
                    self.forward_block(block, y, a, b);
                    each(block, y, out);
                },
            );
    }

    /// Per-row reconstruction MSE (mean over columns of the squared error), summed in
    /// f64 like the burn path.
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

impl Dense {
    /// `dst = act(src · W + b)` for `rows` rows: `src` is `rows × fan_in`, `dst`
    /// `rows × fan_out`, both row-major.
    fn forward(&self, src: &[f32], dst: &mut [f32]) {
        let rows = src.len() / self.fan_in;
        assert_eq!(src.len(), rows * self.fan_in);
        assert_eq!(dst.len(), rows * self.fan_out);
        assert_eq!(self.weight.len(), self.fan_in * self.fan_out);
        for row in dst.chunks_exact_mut(self.fan_out) {
            row.copy_from_slice(&self.bias);
        }
        // SAFETY: the asserts above make every pointer valid for the strides given:
        // dst is rows × fan_out, src rows × fan_in and weight fan_in × fan_out, all
        // row-major (column stride 1, row stride = width) and not overlapping (dst is a
        // unique borrow). `gemm` computes dst = 1·dst + 1·(src · weight).
        unsafe {
            gemm::gemm(
                rows,
                self.fan_out,
                self.fan_in,
                dst.as_mut_ptr(),
                1,
                self.fan_out as isize,
                true,
                src.as_ptr(),
                1,
                self.fan_in as isize,
                self.weight.as_ptr(),
                1,
                self.fan_out as isize,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        match self.activation {
            Activation::Tanh => tanh_in_place(dst),
            Activation::Relu => dst.iter_mut().for_each(|v| *v = v.max(0.0)),
            Activation::Linear => {}
        }
    }
}

/// Per-row reconstruction MSEs of a block ([`super::network::row_mse`]): with the
/// baseline build's SSE2 lanes this was ~25% of scoring the reference network.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn row_mses(x: &[f32], y: &[f32], cols: usize, out: &mut [f64]) {
    for ((x, y), e) in x.chunks_exact(cols).zip(y.chunks_exact(cols)).zip(out) {
        *e = super::network::row_mse(x, y);
    }
}

/// Applies [`tanh`] to every element.
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
pub(super) fn tanh_in_place(v: &mut [f32]) {
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
