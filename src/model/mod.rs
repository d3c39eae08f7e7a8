//! Saved models: training a bundle, the versioned bundle itself, and scoring with it.

pub mod scorer;
pub mod store;
pub mod train;

pub use store::{BundleError, ModelBundle};
