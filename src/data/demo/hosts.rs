//! The simulated network's hosts: servers by role, workstations, attack victims.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::random::pick_weighted;

/// A set of destination hosts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Hosts {
    /// Servers, the first the busiest (weight 1/(i+1)), as real services are skewed.
    List(&'static [u32]),
    /// Any of these, uniformly (attack victims).
    Any(&'static [u32]),
    /// Any host in `[lo, hi]`, uniformly (workstations).
    Range(u32, u32),
}

impl Hosts {
    pub(super) fn pick(self, rng: &mut ChaCha8Rng) -> u32 {
        match self {
            Hosts::List(ids) => {
                let weights: Vec<f64> = (1..=ids.len()).map(|k| 1.0 / k as f64).collect();
                ids[pick_weighted(rng, &weights)]
            }
            Hosts::Any(ids) => ids[rng.random_range(0..ids.len())],
            Hosts::Range(lo, hi) => rng.random_range(lo..=hi),
        }
    }
}

pub(super) const WEB_IDS: &[u32] = &[1, 2, 3, 4, 5];
pub(super) const WEB: Hosts = Hosts::List(WEB_IDS);
/// A web server that is down: its clients get REJ, which keeps normal traffic from
/// having rerror_rate 0 everywhere (KDD's normal http is 9% REJ).
pub(super) const WEB_DOWN: Hosts = Hosts::List(&[6]);
pub(super) const MAIL: Hosts = Hosts::List(&[10, 11]);
pub(super) const FILE: Hosts = Hosts::List(&[12, 13]);
pub(super) const DNS: Hosts = Hosts::List(&[20, 21]);
pub(super) const SHELL: Hosts = Hosts::List(&[30, 31, 32]);
pub(super) const INFRA: Hosts = Hosts::List(&[40, 41, 42]);
pub(super) const WORKSTATIONS: Hosts = Hosts::Range(100, 199);
/// Every server (interleaved by kind, so that normal pings, skewed to the first, reach
/// every kind).
pub(super) const SERVER_IDS: &[u32] = &[
    1, 10, 12, 20, 30, 40, 2, 11, 13, 21, 31, 41, 3, 4, 5, 32, 42,
];
pub(super) const SERVERS: Hosts = Hosts::List(SERVER_IDS);
/// Victims of floods and scans: any server, uniformly, so that attacks rarely pile up
/// on one host and blur each other's signatures.
pub(super) const VICTIMS: Hosts = Hosts::Any(SERVER_IDS);
/// Hosts SYN-flooded: TCP servers with modest traffic, so the flood dominates their
/// 2-second window from the start.
pub(super) const SYN_FLOOD_TARGETS: Hosts = Hosts::Any(&[30, 31, 13, 32]);
/// Address range an ipsweep walks through (workstations, then unused addresses).
pub(super) const SWEEP_START: (u32, u32) = (100, 180);
