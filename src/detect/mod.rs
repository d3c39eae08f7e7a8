//! Anomaly detectors.

pub mod explain;
pub mod iforest;
pub mod threshold;
