//! Built-in demo traffic: a seeded simulation of KDD Cup 99 connection records.
//!
//! The dashboard runs on this when the user gives no data file, so it has to behave
//! like real KDD data: a detector trained on its normal rows should find its attacks,
//! but not trivially (normal traffic has its own rejected and half-open connections,
//! and some attacks look like ordinary sessions).
//!
//! How it works: normal sessions ([`normal`]) and attack bursts ([`attacks`]) are laid
//! out on one timeline; the merged connections are replayed in time order through the
//! KDD traffic windows every source shares ([`crate::kdd::window`]: the last 2 s and
//! the last 255 connections), so `count`, the rates and the `dst_host_*` fields always
//! agree with what a flood, a scan or a web session would really produce. Floods are
//! simulated at their full rate but only a sample of their connections becomes a row,
//! as in the 10% KDD file.
//!
//! Per-service and per-attack values were read off the normal and attack rows of
//! `kddcup.data_10_percent`.

mod attacks;
mod connection;
mod hosts;
mod normal;
mod random;
#[cfg(test)]
mod tests;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::dataset::{Dataset, RawRecord};
use super::schema::N_NUMERIC;
use crate::kdd::{TrafficWindows, WindowConfig};
use attacks::{ATTACKS, attack_bursts, deny_service};
use connection::{CONTENT_SLOTS, Conn};
use normal::normal_sessions;
use random::apportion;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Number of rows (connections recorded), exactly.
    pub rows: usize,
    /// Seed: the same seed always gives the same dataset.
    pub seed: u64,
    /// Share of rows that are attacks, in [0, 1].
    pub attack_fraction: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            rows: 20_000,
            seed: 7,
            attack_fraction: 0.2,
        }
    }
}

/// Generates a labelled dataset of `config.rows` KDD connection records, attacks
/// interleaved with normal traffic in time order.
pub fn generate(config: &SynthConfig) -> Dataset {
    let mut dataset = Dataset::new(format!(
        "built-in demo traffic (seed {}, {} rows)",
        config.seed,
        crate::format::thousands(config.rows as u64)
    ));
    if config.rows == 0 {
        return dataset;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let fraction = if config.attack_fraction.is_finite() {
        config.attack_fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let n_attack = ((config.rows as f64) * fraction).round() as usize;
    let n_normal = config.rows - n_attack;
    let horizon = config.rows as f64 / ROWS_PER_SECOND;

    let mut conns = Vec::new();
    normal_sessions(&mut rng, n_normal, horizon, &mut conns);
    let shares: Vec<f64> = ATTACKS.iter().map(|a| a.share).collect();
    let mut floods = Vec::new();
    for (profile, quota) in ATTACKS.iter().zip(apportion(n_attack, &shares)) {
        attack_bursts(&mut rng, profile, quota, horizon, &mut conns, &mut floods);
    }
    deny_service(&mut conns, &floods);
    // Stable: connections at the same instant keep their generation order.
    conns.sort_by(|a, b| a.time.total_cmp(&b.time));
    replay(&conns, &mut dataset);
    dataset
}

/// Recorded connections per second of simulated time. Sets the timeline length and so
/// the density of normal traffic: at ~10/s a web server sees a handful of connections
/// per 2 s, like KDD's normal http (median count 6).
const ROWS_PER_SECOND: f64 = 10.0;

/// Replays the time-sorted connections through KDD's traffic windows and pushes the
/// recorded ones.
fn replay(conns: &[Conn], dataset: &mut Dataset) {
    let mut windows = TrafficWindows::new(WindowConfig::default());
    for c in conns {
        let traffic = windows.observe(&c.window_input());
        if !c.record {
            continue;
        }
        let mut numeric = [0.0; N_NUMERIC];
        numeric[..CONTENT_SLOTS].copy_from_slice(&c.draft.content.slots());
        numeric[CONTENT_SLOTS..].copy_from_slice(&traffic.rounded().to_array());
        dataset.push(&RawRecord {
            numeric,
            categorical: [
                Some(c.draft.proto.as_str()),
                Some(c.service().name()),
                Some(c.draft.flag.as_str()),
            ],
            label: Some(c.label),
            difficulty: None,
            // The row's line when `demo-data` writes the file (no header).
            line: dataset.len() as u64 + 1,
        });
    }
}
