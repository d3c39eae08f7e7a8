//! Metrics (placeholder until implemented).
