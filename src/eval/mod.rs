//! Metrics and evaluation protocols.

pub mod metrics;
