//! Adam on host arrays: the same update as burn's `Adam` (bias corrections folded into
//! one step factor and ε, as burn does), one pass over each parameter array instead of
//! ~13 tensor operations per parameter tensor.
//!
//! Why: the autoencoder's parameters are small (2,903 for the reference network, 40,348
//! for the default), so burn's optimiser step was dispatch overhead — 8 parameter
//! tensors × ~13 ops, plus the per-parameter state maps — about a fifth of a batch-32
//! training step. The gradients come out of burn's backward pass as host arrays, and
//! the weights are updated in place for the next step's forward pass.

use multiversion::multiversion;

use super::forward::LayerParameters;

/// Adam's hyper-parameters and moments for a list of layers.
#[derive(Debug, Clone)]
pub(super) struct Adam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// Steps taken (burn's `time`).
    time: i32,
    /// First and second moments, in the layout of the parameters.
    moment_1: Vec<LayerParameters>,
    moment_2: Vec<LayerParameters>,
}

impl Adam {
    /// Adam for parameters shaped like `params`, with β₁ 0.9, β₂ 0.999 (Keras' and
    /// burn's defaults) and the given ε.
    pub(super) fn new(params: &[LayerParameters], epsilon: f32) -> Self {
        let zeros: Vec<LayerParameters> = params
            .iter()
            .map(|(w, b)| (vec![0.0; w.len()], vec![0.0; b.len()]))
            .collect();
        Adam {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon,
            time: 0,
            moment_1: zeros.clone(),
            moment_2: zeros,
        }
    }

    /// One step: `params -= lr · m̂ / (√v̂ + ε)`, with burn's arithmetic (β-weighted
    /// moments, the bias corrections folded into a factor on `m` and into ε).
    pub(super) fn step(
        &mut self,
        learning_rate: f64,
        params: &mut [LayerParameters],
        grads: &[LayerParameters],
    ) {
        self.time += 1;
        let bias_correction_2 = (1.0 - self.beta_2.powi(self.time)).sqrt();
        let k = Constants {
            beta_1: self.beta_1,
            beta_2: self.beta_2,
            factor: bias_correction_2 / (1.0 - self.beta_1.powi(self.time)),
            epsilon: self.epsilon * bias_correction_2,
            // burn multiplies by the f64 learning rate converted to the element type.
            lr: learning_rate as f32,
        };
        let moments = self.moment_1.iter_mut().zip(self.moment_2.iter_mut());
        for ((p, g), (m, v)) in params.iter_mut().zip(grads).zip(moments) {
            update(&k, &mut p.0, &g.0, &mut m.0, &mut v.0);
            update(&k, &mut p.1, &g.1, &mut m.1, &mut v.1);
        }
    }
}

struct Constants {
    beta_1: f32,
    beta_2: f32,
    factor: f32,
    epsilon: f32,
    lr: f32,
}

/// Element-wise update: burn's sequence of operations, element by element (the square
/// root and division dominate).
#[multiversion(targets("x86_64+avx512f", "x86_64+avx2+fma"))]
fn update(k: &Constants, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        m[i] = m[i] * k.beta_1 + gi * (1.0 - k.beta_1);
        v[i] = v[i] * k.beta_2 + (gi * gi) * (1.0 - k.beta_2);
        let delta = (m[i] * k.factor) / (v[i].sqrt() + k.epsilon);
        p[i] -= delta * k.lr;
    }
}
