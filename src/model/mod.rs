//! Saved models: the versioned bundle that `train` writes and `score`, `monitor` and the
//! dashboard read.

pub mod store;

pub use store::{BundleError, ModelBundle};
