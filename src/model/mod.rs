//! Models: the one training pipeline, training a bundle, the versioned bundle itself,
//! and scoring with it.

pub mod pipeline;
pub mod scorer;
pub mod store;
pub mod train;

pub use store::{BundleError, ModelBundle};
