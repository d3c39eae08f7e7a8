//! The network as a burn module: the layers it defines, and the form its weights are
//! saved in (a burnpack record). Steps, validation and scoring run on host copies of
//! the weights ([`Weights`](super::forward::Weights)).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, TensorData};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::forward::LayerParameters;
use super::{Architecture, AutoencoderError};

/// Fully connected layers; the activations that follow them come from the
/// [`Architecture`] (they hold no parameters, so the record needs none).
#[derive(Module, Debug)]
pub(super) struct Network {
    pub(super) layers: Vec<Linear>,
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
        Network { layers }
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
