//! netanomaly: learn the normal profile of network traffic and flag what deviates.
//!
//! The engine (data, features, detect, eval) knows nothing of any screen; the commands
//! and (later) the dashboard drive it.

pub mod atomic;
pub mod capture;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod data;
pub mod detect;
pub mod eval;
pub mod export;
pub mod features;
pub mod format;
pub mod json;
pub mod kdd;
pub mod model;
pub mod monitor;
pub mod report;
pub mod tui;
pub mod worker;
pub mod zeek;
