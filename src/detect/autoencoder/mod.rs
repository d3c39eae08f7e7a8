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
//! (deprecated upstream), chosen by crate features; see [`Backend`]. burn defines the
//! layers (`network`, a burn `Module`), stores the weights (its burnpack record) and
//! runs training's backward pass, written out in tensor operations (`gradients`,
//! checked against burn's autodiff by a test); Adam updates host copies of the weights
//! (`adam`, checked against burn's `Adam`). For networks this small a training step is
//! dispatch overhead; with batches split over the two cores this cut an epoch 2.1–3.0×
//! (RESULTS.md).
//!
//! One forward pass (`forward`) serves training, validation and scoring: the weights as
//! plain arrays through `gemm` and a vectorised `tanh`. It gives the same bits as
//! burn-flex's products (the same `gemm`) and is several times faster at scoring than
//! burn's forward pass, whose `tanh` is scalar.
//!
//! The element-wise loops (`tanh`, the row MSEs, Adam's update) are compiled for
//! AVX-512, for AVX2 + FMA and for baseline x86-64 by the `multiversion` crate, which
//! picks the widest the CPU has at run time; the compiler vectorises them, which the
//! baseline build can only do 4 lanes at a time. Rust never contracts `a * b + c` into
//! a fused multiply-add, so every version computes the same bits. (multiversion only
//! takes its AVX-512 build on CPUs with Ice Lake's AVX-512 set, to spare older chips
//! their AVX-512 clock penalty.)

mod adam;
mod config;
mod forward;
mod gradients;
mod network;
mod progress;
mod trained;
mod training;

#[cfg(test)]
mod tests;

pub use config::{Activation, Architecture, AutoencoderConfig, AutoencoderError, Backend, Preset};
pub use progress::{StopReason, TrainEvent, TrainObserver};
pub use trained::{EpochStats, TrainedAutoencoder, TrainingSummary};
pub use training::{train, train_on};
