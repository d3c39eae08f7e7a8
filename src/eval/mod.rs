//! Metrics, threshold rules and evaluation protocols.

pub mod metrics;
pub mod protocol;
pub mod threshold;
