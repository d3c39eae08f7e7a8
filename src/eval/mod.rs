//! Metrics and evaluation protocols.

pub mod metrics;
pub mod protocol;
