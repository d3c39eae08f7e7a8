//! Isolation Forest (placeholder until implemented).
