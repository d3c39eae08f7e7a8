//! Anomaly detectors.

pub mod autoencoder;
pub mod explain;
pub mod iforest;
