//! Metrics, threshold rules and evaluation.

pub mod evaluate;
pub mod metrics;
pub mod threshold;
