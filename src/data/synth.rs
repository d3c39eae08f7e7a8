//! Demo traffic generator (placeholder until implemented).
