//! netanomaly: learn the normal profile of network traffic and flag what deviates.
//!
//! The engine (data, features, detect, eval) knows nothing of any screen.

pub mod data;
pub mod detect;
pub mod eval;
pub mod features;
