//! Built-in demo traffic: a seeded simulation of KDD Cup 99 connection records.
//!
//! The dashboard runs on this when the user gives no data file, so it has to behave
//! like real KDD data: a detector trained on its normal rows should find its attacks,
//! but not trivially (normal traffic has its own rejected and half-open connections,
//! and some attacks look like ordinary sessions).
//!
//! How it works: normal sessions and attack bursts are laid out on one timeline; the
//! merged connections are replayed in time order and the KDD traffic features are
//! *computed* from that history (the last 2 s and the last 255 connections), so
//! `count`, the rates and the `dst_host_*` fields always agree with what a flood, a
//! scan or a web session would really produce. Floods are simulated at their full
//! rate but only a sample of their connections becomes a row, as in the 10% KDD file.
//!
//! Per-service and per-attack values were read off the normal and attack rows of
//! `kddcup.data_10_percent`. Distributions (normal, log-normal, exponential) are
//! written out here rather than pulled from `rand_distr`.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::dataset::{Dataset, RawRecord};
use super::schema::N_NUMERIC;

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
        config.seed, config.rows
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

// ---------------------------------------------------------------------------------
// Timeline constants
// ---------------------------------------------------------------------------------

/// Recorded connections per second of simulated time. Sets the timeline length and so
/// the density of normal traffic: at ~10/s a web server sees a handful of connections
/// per 2 s, like KDD's normal http (median count 6).
const ROWS_PER_SECOND: f64 = 10.0;
/// KDD's "same host / same service in the past two seconds" window.
const TIME_WINDOW: f64 = 2.0;
/// KDD's host-based window, in connections; its counts top out at 255.
const HOST_WINDOW: usize = 255;
/// KDD caps `count` and `srv_count` at 511.
const MAX_COUNT: u32 = 511;

// ---------------------------------------------------------------------------------
// Connections
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Tcp,
    Udp,
    Icmp,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Icmp => "icmp",
        }
    }
}

/// Bro connection states as KDD spells them (only those this generator emits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)] // spelled as in the data
enum Flag {
    SF,
    S0,
    S1,
    S2,
    REJ,
    RSTO,
    RSTR,
    RSTOS0,
    SH,
}

impl Flag {
    fn name(self) -> &'static str {
        match self {
            Flag::SF => "SF",
            Flag::S0 => "S0",
            Flag::S1 => "S1",
            Flag::S2 => "S2",
            Flag::REJ => "REJ",
            Flag::RSTO => "RSTO",
            Flag::RSTR => "RSTR",
            Flag::RSTOS0 => "RSTOS0",
            Flag::SH => "SH",
        }
    }

    /// A "SYN error" for the serror rates: the handshake never completed.
    fn is_serror(self) -> bool {
        matches!(self, Flag::S0 | Flag::SH | Flag::RSTOS0)
    }

    /// A "REJ error" for the rerror rates: refused or reset (KDD's guess_passwd, RSTO,
    /// and portsweep, RSTR, both show rerror_rate ≈ 1).
    fn is_rerror(self) -> bool {
        matches!(self, Flag::REJ | Flag::RSTO | Flag::RSTR)
    }
}

/// Well-known TCP ports and their KDD service names.
#[rustfmt::skip]
const TCP_SERVICES: &[(u16, &str)] = &[
    (7, "echo"), (9, "discard"), (11, "systat"), (13, "daytime"), (15, "netstat"),
    (20, "ftp_data"), (21, "ftp"), (22, "ssh"), (23, "telnet"), (25, "smtp"), (37, "time"),
    (42, "name"), (43, "whois"), (53, "domain"), (57, "mtp"), (70, "gopher"),
    (71, "remote_job"), (77, "rje"), (79, "finger"), (80, "http"), (84, "ctf"),
    (95, "supdup"), (101, "hostnames"), (102, "iso_tsap"), (105, "csnet_ns"),
    (109, "pop_2"), (110, "pop_3"), (111, "sunrpc"), (113, "auth"), (117, "uucp_path"),
    (119, "nntp"), (137, "netbios_ns"), (138, "netbios_dgm"), (139, "netbios_ssn"),
    (143, "imap4"), (150, "sql_net"), (175, "vmnet"), (179, "bgp"), (210, "Z39_50"),
    (245, "link"), (389, "ldap"), (433, "nnsp"), (443, "http_443"), (512, "exec"),
    (513, "login"), (514, "shell"), (515, "printer"), (520, "efs"), (530, "courier"),
    (540, "uucp"), (543, "klogin"), (544, "kshell"), (6000, "X11"), (6667, "IRC"),
];

/// Well-known UDP ports and their KDD service names.
const UDP_SERVICES: &[(u16, &str)] = &[(53, "domain_u"), (69, "tftp_u"), (123, "ntp_u")];

/// ICMP types (stored in the port field) and their KDD service names.
const ICMP_SERVICES: &[(u16, &str)] = &[(0, "ecr_i"), (3, "urp_i"), (8, "eco_i"), (13, "tim_i")];

const ICMP_ECHO_REPLY: u16 = 0;
const ICMP_UNREACHABLE: u16 = 3;
const ICMP_ECHO_REQUEST: u16 = 8;

/// KDD service name of a destination port: unlisted ports are "private" below 1024
/// and "other" above, which is how KDD's neptune (random low ports) ends up 95% private.
fn service_name(proto: Proto, port: u16) -> &'static str {
    let table = match proto {
        Proto::Tcp => TCP_SERVICES,
        Proto::Udp => UDP_SERVICES,
        Proto::Icmp => ICMP_SERVICES,
    };
    match table.iter().find(|(p, _)| *p == port) {
        Some((_, name)) => name,
        None if proto == Proto::Icmp => "ecr_i",
        None if port < 1024 => "private",
        None => "other",
    }
}

/// The per-connection ("intrinsic" and content) features: numeric slots 0..19.
#[derive(Debug, Clone, Copy, Default)]
struct Content {
    duration: f64,
    src_bytes: f64,
    dst_bytes: f64,
    land: f64,
    wrong_fragment: f64,
    urgent: f64,
    hot: f64,
    num_failed_logins: f64,
    logged_in: f64,
    num_compromised: f64,
    root_shell: f64,
    su_attempted: f64,
    num_root: f64,
    num_file_creations: f64,
    num_shells: f64,
    num_access_files: f64,
    num_outbound_cmds: f64,
    is_host_login: f64,
    is_guest_login: f64,
}

/// Number of numeric slots filled from [`Content`]; the rest are window features.
const CONTENT_SLOTS: usize = 19;

impl Content {
    /// In schema order (checked by a test against `schema::FEATURES`).
    fn slots(&self) -> [f64; CONTENT_SLOTS] {
        [
            self.duration,
            self.src_bytes,
            self.dst_bytes,
            self.land,
            self.wrong_fragment,
            self.urgent,
            self.hot,
            self.num_failed_logins,
            self.logged_in,
            self.num_compromised,
            self.root_shell,
            self.su_attempted,
            self.num_root,
            self.num_file_creations,
            self.num_shells,
            self.num_access_files,
            self.num_outbound_cmds,
            self.is_host_login,
            self.is_guest_login,
        ]
    }
}

/// What a traffic source decides about one connection.
#[derive(Debug, Clone, Copy)]
struct Draft {
    dst: u32,
    src_port: u16,
    proto: Proto,
    port: u16,
    flag: Flag,
    content: Content,
}

impl Draft {
    fn new(dst: u32, proto: Proto, port: u16, flag: Flag) -> Self {
        Draft {
            dst,
            src_port: 0,
            proto,
            port,
            flag,
            content: Content::default(),
        }
    }

    fn sent_from(mut self, src_port: u16) -> Self {
        self.src_port = src_port;
        self
    }
}

/// A connection on the timeline.
#[derive(Debug, Clone, Copy)]
struct Conn {
    time: f64,
    label: &'static str,
    /// Whether it becomes a row (flood connections are sampled).
    record: bool,
    draft: Draft,
}

impl Conn {
    /// Key of the destination service for the window features: protocol + port, so the
    /// many ports behind "private" count as different services (KDD's neptune has
    /// service private yet same_srv_rate ≈ 0.06).
    fn service_key(&self) -> u32 {
        (self.draft.proto as u32) << 16 | u32::from(self.draft.port)
    }
}

// ---------------------------------------------------------------------------------
// Random helpers
// ---------------------------------------------------------------------------------

/// Standard normal by Box–Muller.
fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - rng.random::<f64>(); // (0, 1]: ln is finite
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Exponential with the given mean: gaps of a Poisson process.
fn exp_gap(rng: &mut ChaCha8Rng, mean: f64) -> f64 {
    -mean * (1.0 - rng.random::<f64>()).ln()
}

/// Index drawn with probability proportional to `weights`.
fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// `a` with probability `p`, else `b`.
fn either<T>(rng: &mut ChaCha8Rng, p: f64, a: T, b: T) -> T {
    if rng.random_bool(p) { a } else { b }
}

/// One of `options`, drawn by weight.
fn choose<T: Copy>(rng: &mut ChaCha8Rng, options: &[(T, f64)]) -> T {
    let weights: Vec<f64> = options.iter().map(|o| o.1).collect();
    options[pick_weighted(rng, &weights)].0
}

fn ephemeral_port(rng: &mut ChaCha8Rng) -> u16 {
    rng.random_range(1024..=65535)
}

fn indicator(yes: bool) -> f64 {
    if yes { 1.0 } else { 0.0 }
}

/// A distribution of a non-negative integer feature.
#[derive(Debug, Clone, Copy)]
enum Dist {
    Zero,
    Const(f64),
    /// Uniform integer in `[lo, hi]`.
    Int(u32, u32),
    /// Log-normal with this median and log-σ, clamped to `[1, max]`.
    LogNormal {
        median: f64,
        sigma: f64,
        max: f64,
    },
    /// With probability `p` from the inner distribution, else 0.
    Maybe(f64, &'static Dist),
}

impl Dist {
    const fn ln(median: f64, sigma: f64, max: f64) -> Dist {
        Dist::LogNormal { median, sigma, max }
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> f64 {
        match *self {
            Dist::Zero => 0.0,
            Dist::Const(v) => v,
            Dist::Int(lo, hi) => f64::from(rng.random_range(lo..=hi)),
            Dist::LogNormal { median, sigma, max } => {
                let v = median * (sigma * standard_normal(rng)).exp();
                v.round().clamp(1.0, max)
            }
            Dist::Maybe(p, inner) => {
                if rng.random_bool(p) {
                    inner.sample(rng)
                } else {
                    0.0
                }
            }
        }
    }
}

/// Largest-remainder split of `total` by `shares`: exact total, every share close.
fn apportion(total: usize, shares: &[f64]) -> Vec<usize> {
    let sum: f64 = shares.iter().sum();
    let exact: Vec<f64> = shares.iter().map(|s| total as f64 * s / sum).collect();
    let mut out: Vec<usize> = exact.iter().map(|e| e.floor() as usize).collect();
    let mut order: Vec<usize> = (0..shares.len()).collect();
    let remainder = |i: usize| exact[i] - exact[i].floor();
    order.sort_by(|&a, &b| remainder(b).total_cmp(&remainder(a)));
    let missing = total - out.iter().sum::<usize>();
    for &i in order.iter().take(missing) {
        out[i] += 1;
    }
    out
}

// ---------------------------------------------------------------------------------
// Hosts
// ---------------------------------------------------------------------------------

/// A set of destination hosts.
#[derive(Debug, Clone, Copy)]
enum Hosts {
    /// Servers, the first the busiest (weight 1/(i+1)), as real services are skewed.
    List(&'static [u32]),
    /// Any of these, uniformly (attack victims).
    Any(&'static [u32]),
    /// Any host in `[lo, hi]`, uniformly (workstations).
    Range(u32, u32),
}

impl Hosts {
    fn pick(self, rng: &mut ChaCha8Rng) -> u32 {
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

const WEB_IDS: &[u32] = &[1, 2, 3, 4, 5];
const WEB: Hosts = Hosts::List(WEB_IDS);
/// A web server that is down: its clients get REJ, which keeps normal traffic from
/// having rerror_rate 0 everywhere (KDD's normal http is 9% REJ).
const WEB_DOWN: Hosts = Hosts::List(&[6]);
const MAIL: Hosts = Hosts::List(&[10, 11]);
const FILE: Hosts = Hosts::List(&[12, 13]);
const DNS: Hosts = Hosts::List(&[20, 21]);
const SHELL: Hosts = Hosts::List(&[30, 31, 32]);
const INFRA: Hosts = Hosts::List(&[40, 41, 42]);
const WORKSTATIONS: Hosts = Hosts::Range(100, 199);
/// Every server (interleaved by kind, so that normal pings, skewed to the first, reach
/// every kind).
const SERVER_IDS: &[u32] = &[
    1, 10, 12, 20, 30, 40, 2, 11, 13, 21, 31, 41, 3, 4, 5, 32, 42,
];
const SERVERS: Hosts = Hosts::List(SERVER_IDS);
/// Victims of floods and scans: any server, uniformly, so that attacks rarely pile up
/// on one host and blur each other's signatures.
const VICTIMS: Hosts = Hosts::Any(SERVER_IDS);
/// Hosts SYN-flooded: TCP servers with modest traffic, so the flood dominates their
/// 2-second window from the start.
const SYN_FLOOD_TARGETS: Hosts = Hosts::Any(&[30, 31, 13, 32]);
/// Address range an ipsweep walks through (workstations, then unused addresses).
const SWEEP_START: (u32, u32) = (100, 180);

// ---------------------------------------------------------------------------------
// Normal traffic
// ---------------------------------------------------------------------------------

/// Extra content features a service sets beyond bytes and duration.
#[derive(Debug, Clone, Copy)]
enum Extra {
    None,
    /// Anonymous ftp: guest logins browsing directories ("hot" indicators).
    FtpControl,
    /// Interactive sessions: now and then an admin creates files or runs su.
    Shell,
}

/// One kind of normal session.
#[derive(Debug, Clone, Copy)]
struct NormalProfile {
    /// Approximate share of normal connections.
    share: f64,
    proto: Proto,
    /// Destination ports `[lo, hi]` (one per session).
    ports: (u16, u16),
    /// Source port; `None` for an ephemeral one per connection.
    src_port: Option<u16>,
    servers: Hosts,
    flag: Flag,
    /// Connections per session, uniform in `[lo, hi]`.
    session: (u32, u32),
    /// Mean gap between a session's connections, seconds.
    gap: f64,
    duration: Dist,
    src_bytes: Dist,
    dst_bytes: Dist,
    /// Probability of logged_in = 1.
    logged_in: f64,
    extra: Extra,
}

const BASE: NormalProfile = NormalProfile {
    share: 0.0,
    proto: Proto::Tcp,
    ports: (0, 0),
    src_port: None,
    servers: INFRA,
    flag: Flag::SF,
    session: (1, 1),
    gap: 1.0,
    duration: Dist::Zero,
    src_bytes: Dist::Zero,
    dst_bytes: Dist::Zero,
    logged_in: 0.0,
    extra: Extra::None,
};

/// Normal traffic mix, shaped after the normal rows of KDD's 10% file (shares roughly
/// as there, bytes and durations at the observed medians and spreads).
const NORMAL: &[NormalProfile] = &[
    // Web browsing: bursts of page fetches, small requests, KB-sized replies.
    NormalProfile {
        share: 0.55,
        ports: (80, 80),
        servers: WEB,
        session: (1, 16),
        gap: 0.25,
        duration: Dist::Maybe(0.01, &Dist::ln(3.0, 1.5, 1440.0)),
        src_bytes: Dist::ln(240.0, 0.3, 14_600.0),
        dst_bytes: Dist::Maybe(0.98, &Dist::ln(1500.0, 1.3, 3_900_000.0)),
        logged_in: 1.0,
        ..BASE
    },
    // Clients of the dead web server: refused.
    NormalProfile {
        share: 0.025,
        ports: (80, 80),
        servers: WEB_DOWN,
        flag: Flag::REJ,
        session: (1, 10),
        gap: 0.3,
        ..BASE
    },
    // Lost SYNs.
    NormalProfile {
        share: 0.003,
        ports: (80, 80),
        servers: WEB,
        flag: Flag::S0,
        ..BASE
    },
    // Mail delivery: one message per connection.
    NormalProfile {
        share: 0.10,
        ports: (25, 25),
        servers: MAIL,
        session: (1, 2),
        gap: 2.0,
        duration: Dist::Maybe(0.5, &Dist::ln(2.0, 1.0, 470.0)),
        src_bytes: Dist::ln(1200.0, 0.7, 250_000.0),
        dst_bytes: Dist::ln(335.0, 0.1, 1870.0),
        logged_in: 1.0,
        ..BASE
    },
    // Anonymous ftp control sessions.
    NormalProfile {
        share: 0.012,
        ports: (21, 21),
        servers: FILE,
        duration: Dist::ln(26.0, 0.4, 355.0),
        src_bytes: Dist::ln(333.0, 0.6, 1535.0),
        dst_bytes: Dist::ln(1060.0, 0.6, 4150.0),
        logged_in: 1.0,
        extra: Extra::FtpControl,
        ..BASE
    },
    // ftp transfers (active mode, from port 20): bulk bytes one way.
    NormalProfile {
        share: 0.05,
        ports: (20, 20),
        src_port: Some(20),
        servers: FILE,
        session: (1, 6),
        gap: 1.0,
        src_bytes: Dist::ln(1000.0, 1.8, 2_200_000.0),
        dst_bytes: Dist::Maybe(0.01, &Dist::ln(2000.0, 1.5, 5_000_000.0)),
        logged_in: 0.8,
        ..BASE
    },
    // DNS lookups: bursts of tiny datagrams, some unanswered.
    NormalProfile {
        share: 0.06,
        proto: Proto::Udp,
        ports: (53, 53),
        servers: DNS,
        session: (1, 8),
        gap: 0.1,
        src_bytes: Dist::ln(43.0, 0.2, 137.0),
        dst_bytes: Dist::Maybe(0.84, &Dist::ln(90.0, 0.5, 493.0)),
        ..BASE
    },
    // RPC-style udp to private ports.
    NormalProfile {
        share: 0.06,
        proto: Proto::Udp,
        ports: (600, 1000),
        servers: INFRA,
        session: (1, 2),
        gap: 0.5,
        duration: Dist::Maybe(0.15, &Dist::ln(3.0, 0.8, 25.0)),
        src_bytes: Dist::ln(105.0, 0.05, 473.0),
        dst_bytes: Dist::Maybe(0.78, &Dist::ln(146.0, 0.01, 147.0)),
        ..BASE
    },
    // Long-lived udp flows on high ports.
    NormalProfile {
        share: 0.03,
        proto: Proto::Udp,
        ports: (1024, 60000),
        servers: INFRA,
        duration: Dist::Maybe(0.78, &Dist::ln(2600.0, 1.0, 33_000.0)),
        src_bytes: Dist::ln(146.0, 0.05, 88_000.0),
        dst_bytes: Dist::Maybe(0.8, &Dist::ln(105.0, 0.05, 516.0)),
        ..BASE
    },
    // Time sync.
    NormalProfile {
        share: 0.01,
        proto: Proto::Udp,
        ports: (123, 123),
        src_port: Some(123),
        servers: INFRA,
        src_bytes: Dist::Const(48.0),
        dst_bytes: Dist::Const(48.0),
        ..BASE
    },
    // Pings to servers and the replies workstations get.
    NormalProfile {
        share: 0.008,
        proto: Proto::Icmp,
        ports: (ICMP_ECHO_REQUEST, ICMP_ECHO_REQUEST),
        src_port: Some(0),
        servers: SERVERS,
        session: (1, 3),
        src_bytes: Dist::ln(30.0, 0.1, 64.0),
        ..BASE
    },
    NormalProfile {
        share: 0.008,
        proto: Proto::Icmp,
        ports: (ICMP_ECHO_REPLY, ICMP_ECHO_REPLY),
        src_port: Some(0),
        servers: WORKSTATIONS,
        session: (1, 3),
        src_bytes: Dist::ln(30.0, 0.1, 64.0),
        ..BASE
    },
    NormalProfile {
        share: 0.01,
        proto: Proto::Icmp,
        ports: (ICMP_UNREACHABLE, ICMP_UNREACHABLE),
        src_port: Some(0),
        servers: WORKSTATIONS,
        src_bytes: Dist::ln(180.0, 0.05, 183.0),
        ..BASE
    },
    NormalProfile {
        share: 0.01,
        ports: (79, 79),
        servers: SHELL,
        src_bytes: Dist::ln(8.0, 0.3, 13.0),
        dst_bytes: Dist::ln(200.0, 0.5, 731.0),
        ..BASE
    },
    // ident look-ups from servers back to workstations.
    NormalProfile {
        share: 0.005,
        ports: (113, 113),
        servers: WORKSTATIONS,
        src_bytes: Dist::Int(9, 14),
        dst_bytes: Dist::Int(34, 41),
        logged_in: 0.75,
        ..BASE
    },
    // Interactive logins: long, asymmetric, occasionally privileged.
    NormalProfile {
        share: 0.01,
        ports: (23, 23),
        servers: SHELL,
        duration: Dist::ln(60.0, 2.0, 18_800.0),
        src_bytes: Dist::ln(400.0, 1.0, 9160.0),
        dst_bytes: Dist::ln(24_000.0, 1.8, 3_850_000.0),
        logged_in: 0.93,
        extra: Extra::Shell,
        ..BASE
    },
    NormalProfile {
        share: 0.004,
        ports: (22, 22),
        servers: SHELL,
        duration: Dist::ln(120.0, 1.5, 18_000.0),
        src_bytes: Dist::ln(2000.0, 1.0, 50_000.0),
        dst_bytes: Dist::ln(8000.0, 1.5, 2_000_000.0),
        logged_in: 1.0,
        ..BASE
    },
    NormalProfile {
        share: 0.004,
        ports: (110, 110),
        servers: MAIL,
        src_bytes: Dist::ln(30.0, 0.3, 200.0),
        dst_bytes: Dist::ln(800.0, 1.2, 100_000.0),
        logged_in: 1.0,
        ..BASE
    },
    // Stray attempts at closed ports (X11 forwarding, IRC): refused.
    NormalProfile {
        share: 0.004,
        ports: (6000, 6000),
        servers: WORKSTATIONS,
        flag: Flag::REJ,
        ..BASE
    },
    NormalProfile {
        share: 0.002,
        ports: (6667, 6667),
        servers: INFRA,
        flag: Flag::REJ,
        ..BASE
    },
];

impl NormalProfile {
    fn mean_session(&self) -> f64 {
        f64::from(self.session.0 + self.session.1) / 2.0
    }

    fn draft(&self, rng: &mut ChaCha8Rng, dst: u32, port: u16) -> Draft {
        let src_port = self.src_port.unwrap_or_else(|| ephemeral_port(rng));
        let mut d = Draft::new(dst, self.proto, port, self.flag).sent_from(src_port);
        let c = &mut d.content;
        c.duration = self.duration.sample(rng);
        c.src_bytes = self.src_bytes.sample(rng);
        c.dst_bytes = self.dst_bytes.sample(rng);
        c.logged_in = indicator(rng.random_bool(self.logged_in));
        match self.extra {
            Extra::None => {}
            Extra::FtpControl => {
                c.hot = Dist::Int(4, 24).sample(rng);
                c.is_guest_login = indicator(rng.random_bool(0.95));
            }
            Extra::Shell => {
                c.num_file_creations = Dist::Maybe(0.10, &Dist::Int(1, 5)).sample(rng);
                c.num_access_files = Dist::Maybe(0.04, &Dist::Int(1, 3)).sample(rng);
                c.hot = Dist::Maybe(0.04, &Dist::Int(1, 6)).sample(rng);
                c.num_compromised = Dist::Maybe(0.2, &Dist::Int(1, 5)).sample(rng);
                if rng.random_bool(0.04) {
                    c.su_attempted = 1.0;
                    c.root_shell = 1.0;
                    c.num_root = Dist::Int(1, 20).sample(rng);
                }
            }
        }
        // A few established TCP connections end untidily.
        if self.proto == Proto::Tcp && self.flag == Flag::SF && rng.random_bool(0.004) {
            d.flag = choose(
                rng,
                &[
                    (Flag::S1, 1.0),
                    (Flag::S2, 1.0),
                    (Flag::RSTO, 1.0),
                    (Flag::RSTR, 1.0),
                ],
            );
        }
        if d.flag == Flag::REJ || d.flag == Flag::S0 {
            d.content = Content::default();
        }
        d
    }
}

/// Normal sessions at uniform random start times until `quota` connections exist.
fn normal_sessions(rng: &mut ChaCha8Rng, quota: usize, horizon: f64, out: &mut Vec<Conn>) {
    let weights: Vec<f64> = NORMAL.iter().map(|p| p.share / p.mean_session()).collect();
    let mut made = 0;
    while made < quota {
        let profile = &NORMAL[pick_weighted(rng, &weights)];
        let dst = profile.servers.pick(rng);
        let port = rng.random_range(profile.ports.0..=profile.ports.1);
        let len = rng.random_range(profile.session.0..=profile.session.1) as usize;
        let mut time = rng.random::<f64>() * horizon;
        for _ in 0..len.min(quota - made) {
            out.push(Conn {
                time,
                label: "normal",
                record: true,
                draft: profile.draft(rng, dst, port),
            });
            time += exp_gap(rng, profile.gap);
            made += 1;
        }
    }
}

// ---------------------------------------------------------------------------------
// Attacks
// ---------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attack {
    Smurf,
    Neptune,
    Back,
    Teardrop,
    Pod,
    Portsweep,
    Ipsweep,
    Nmap,
    Satan,
    GuessPasswd,
    Warezclient,
    BufferOverflow,
}

/// How much of an attack there is and how it arrives.
#[derive(Debug, Clone, Copy)]
struct AttackProfile {
    attack: Attack,
    label: &'static str,
    /// Share of attack rows.
    share: f64,
    /// Recorded rows per burst, uniform in `[lo, hi]`.
    burst: (u32, u32),
    /// Simulated connections per second within a burst.
    rate: f64,
    /// Probability that a simulated connection becomes a row.
    record: f64,
}

const fn attack(
    attack: Attack,
    label: &'static str,
    share: f64,
    burst: (u32, u32),
    rate: f64,
    record: f64,
) -> AttackProfile {
    AttackProfile {
        attack,
        label,
        share,
        burst,
        rate,
        record,
    }
}

/// The attack mix: dos dominates as in KDD (smurf and neptune above all), probes are a
/// visible minority, r2l and u2r are rare. Floods run at hundreds of connections per
/// second, so `count` saturates at 511 like KDD's smurf; only a sample is recorded.
#[rustfmt::skip]
const ATTACKS: [AttackProfile; 12] = [
    //     attack                   label              share   burst rows   conn/s  recorded
    attack(Attack::Smurf,          "smurf",           0.42,  (150, 800), 1500.0, 0.10),
    attack(Attack::Neptune,        "neptune",         0.25,  (100, 500),  130.0, 0.25),
    attack(Attack::Back,           "back",            0.04,  (20, 120),     2.0, 1.0),
    attack(Attack::Teardrop,       "teardrop",        0.03,  (20, 100),    25.0, 1.0),
    attack(Attack::Pod,            "pod",             0.01,  (5, 30),       3.0, 1.0),
    attack(Attack::Portsweep,      "portsweep",       0.04,  (15, 120),    10.0, 1.0),
    attack(Attack::Ipsweep,        "ipsweep",         0.045, (20, 120),     8.0, 1.0),
    attack(Attack::Nmap,           "nmap",            0.015, (10, 60),     10.0, 1.0),
    attack(Attack::Satan,          "satan",           0.05,  (50, 300),   300.0, 0.25),
    attack(Attack::GuessPasswd,    "guess_passwd",    0.02,  (5, 30),       0.5, 1.0),
    attack(Attack::Warezclient,    "warezclient",     0.055, (10, 60),      0.3, 1.0),
    attack(Attack::BufferOverflow, "buffer_overflow", 0.025, (1, 3),       0.05, 1.0),
];

/// Per-burst choices: who is hit, from which port, with what payload.
#[derive(Debug, Clone)]
struct Burst {
    victim: u32,
    src_port: u16,
    /// Target ports (neptune's port set, teardrop's port, a scan's first port).
    ports: Vec<u16>,
    /// Connections made so far (scans walk ports or addresses with it).
    cursor: u32,
    /// Payload size (smurf, ipsweep).
    payload: f64,
    /// Variant of the attack (nmap: ping sweep, SYN scan, UDP scan).
    mode: usize,
}

impl Attack {
    fn start(self, rng: &mut ChaCha8Rng) -> Burst {
        let mut b = Burst {
            victim: VICTIMS.pick(rng),
            src_port: ephemeral_port(rng),
            ports: Vec::new(),
            cursor: 0,
            payload: 0.0,
            mode: 0,
        };
        match self {
            Attack::Smurf => {
                if rng.random_bool(0.3) {
                    b.victim = WORKSTATIONS.pick(rng);
                }
                // Each smurf run uses one echo size; 1032 and 520 are KDD's two.
                b.payload = if rng.random_bool(0.6) { 1032.0 } else { 520.0 };
            }
            Attack::Neptune => {
                b.victim = SYN_FLOOD_TARGETS.pick(rng);
                let n = rng.random_range(20..=40);
                b.ports = (0..n).map(|_| rng.random_range(1..1024)).collect();
            }
            Attack::Back => b.victim = Hosts::Any(WEB_IDS).pick(rng),
            Attack::Teardrop => b.ports = vec![rng.random_range(600..1024)],
            Attack::Pod => {
                if rng.random_bool(0.5) {
                    b.victim = WORKSTATIONS.pick(rng);
                }
            }
            Attack::Portsweep => b.ports = vec![rng.random_range(1..=900)],
            Attack::Ipsweep => {
                b.victim = rng.random_range(SWEEP_START.0..=SWEEP_START.1);
                b.payload = if rng.random_bool(0.5) { 8.0 } else { 18.0 };
            }
            Attack::Nmap => {
                b.mode = pick_weighted(rng, &[0.45, 0.45, 0.10]);
                if b.mode == 0 {
                    b.victim = rng.random_range(SWEEP_START.0..=SWEEP_START.1);
                }
            }
            Attack::Satan => {}
            Attack::GuessPasswd | Attack::BufferOverflow => b.victim = SHELL.pick(rng),
            Attack::Warezclient => b.victim = FILE.pick(rng),
        }
        b
    }

    fn next(self, b: &mut Burst, rng: &mut ChaCha8Rng) -> Draft {
        use Proto::*;
        let step = b.cursor;
        b.cursor += 1;
        let d = match self {
            // Echo replies from a whole broadcast network, all to the victim.
            Attack::Smurf => {
                let mut d = Draft::new(b.victim, Icmp, ICMP_ECHO_REPLY, Flag::SF);
                d.content.src_bytes = b.payload;
                d
            }
            // SYN flood from spoofed sources over a set of ports: half-open, no bytes.
            Attack::Neptune => {
                let port = b.ports[rng.random_range(0..b.ports.len())];
                Draft::new(b.victim, Tcp, port, Flag::S0).sent_from(ephemeral_port(rng))
            }
            // Apache "back": huge request of slashes, fixed-size reply.
            Attack::Back => {
                let flag = either(rng, 0.96, Flag::SF, Flag::RSTR);
                let mut d = Draft::new(b.victim, Tcp, 80, flag).sent_from(ephemeral_port(rng));
                let c = &mut d.content;
                let truncated = Dist::Int(13_140, 54_540).sample(rng);
                c.src_bytes = either(rng, 0.97, 54_540.0, truncated);
                c.dst_bytes = either(rng, 0.97, 8314.0, 8315.0);
                c.duration = Dist::Maybe(0.02, &Dist::Int(1, 14)).sample(rng);
                c.hot = 2.0;
                c.num_compromised = indicator(rng.random_bool(0.97));
                c.logged_in = 1.0;
                d
            }
            // Overlapping UDP fragments.
            Attack::Teardrop => {
                let mut d = Draft::new(b.victim, Udp, b.ports[0], Flag::SF).sent_from(b.src_port);
                d.content.src_bytes = 28.0;
                d.content.wrong_fragment = 3.0;
                d
            }
            // Ping of death: oversized fragmented echo.
            Attack::Pod => {
                let mut d = Draft::new(b.victim, Icmp, ICMP_ECHO_REPLY, Flag::SF);
                d.content.src_bytes = 1480.0;
                d.content.wrong_fragment = 1.0;
                d
            }
            // Walks consecutive ports of one host from one source port; most are closed.
            Attack::Portsweep => {
                let port = (u32::from(b.ports[0]) + step).min(65535) as u16;
                let flag = choose(
                    rng,
                    &[
                        (Flag::REJ, 0.7),
                        (Flag::RSTR, 0.2),
                        (Flag::RSTOS0, 0.05),
                        (Flag::S0, 0.05),
                    ],
                );
                let mut d = Draft::new(b.victim, Tcp, port, flag).sent_from(b.src_port);
                d.content.duration = Dist::Maybe(0.05, &Dist::Int(1, 20)).sample(rng);
                d
            }
            // Pings consecutive addresses; a few TCP probes on the way.
            Attack::Ipsweep => {
                let dst = b.victim + step;
                if rng.random_bool(0.93) {
                    let mut d = Draft::new(dst, Icmp, ICMP_ECHO_REQUEST, Flag::SF);
                    d.content.src_bytes = b.payload;
                    d
                } else {
                    let port = rng.random_range(1..1024);
                    Draft::new(dst, Tcp, port, Flag::REJ).sent_from(b.src_port)
                }
            }
            // Three nmap modes: ping sweep, SYN scan, UDP scan.
            Attack::Nmap => match b.mode {
                0 => {
                    let mut d = Draft::new(b.victim + step, Icmp, ICMP_ECHO_REQUEST, Flag::SF);
                    d.content.src_bytes = 8.0;
                    d
                }
                1 => {
                    let flag = either(rng, 0.6, Flag::SH, Flag::S0);
                    let port = rng.random_range(1..1024);
                    Draft::new(b.victim, Tcp, port, flag).sent_from(b.src_port)
                }
                _ => {
                    let port = rng.random_range(1..1024);
                    let mut d = Draft::new(b.victim, Udp, port, Flag::SF).sent_from(b.src_port);
                    d.content.src_bytes = Dist::Int(0, 100).sample(rng);
                    d
                }
            },
            // Fast scan of many services, mostly refused, a few answered with banners.
            Attack::Satan => {
                let port = rng.random_range(1..=1500);
                let src_port = ephemeral_port(rng);
                if rng.random_bool(0.1) {
                    let mut d = Draft::new(b.victim, Udp, port, Flag::SF).sent_from(src_port);
                    d.content.src_bytes = Dist::Int(0, 2).sample(rng);
                    d
                } else {
                    let flag = choose(
                        rng,
                        &[
                            (Flag::REJ, 0.78),
                            (Flag::S0, 0.11),
                            (Flag::SF, 0.08),
                            (Flag::RSTO, 0.03),
                        ],
                    );
                    let mut d = Draft::new(b.victim, Tcp, port, flag).sent_from(src_port);
                    if flag == Flag::SF {
                        d.content.src_bytes = Dist::Int(0, 10).sample(rng);
                        d.content.dst_bytes = Dist::Int(0, 375).sample(rng);
                    }
                    d
                }
            }
            // Telnet login attempts, each failing and reset.
            Attack::GuessPasswd => {
                let flag = choose(
                    rng,
                    &[(Flag::RSTO, 0.85), (Flag::SF, 0.1), (Flag::RSTR, 0.05)],
                );
                let mut d = Draft::new(b.victim, Tcp, 23, flag).sent_from(ephemeral_port(rng));
                let c = &mut d.content;
                c.duration = Dist::Maybe(0.08, &Dist::Int(1, 60)).sample(rng);
                c.src_bytes = Dist::Int(104, 126).sample(rng);
                let banner = Dist::Int(180, 2053).sample(rng);
                c.dst_bytes = either(rng, 0.95, 179.0, banner);
                c.hot = 1.0;
                c.num_failed_logins = 1.0;
                d
            }
            // Downloading warez left on an anonymous ftp server: guest logins touching
            // "hot" directories, then large transfers.
            Attack::Warezclient => {
                if rng.random_bool(0.3) {
                    let mut d =
                        Draft::new(b.victim, Tcp, 21, Flag::SF).sent_from(ephemeral_port(rng));
                    let c = &mut d.content;
                    c.duration = Dist::ln(60.0, 1.5, 15_000.0).sample(rng);
                    c.src_bytes = Dist::ln(1267.0, 0.3, 5000.0).sample(rng);
                    c.dst_bytes = Dist::ln(2451.0, 0.02, 2500.0).sample(rng);
                    c.hot = Dist::Int(20, 28).sample(rng);
                    c.is_guest_login = 1.0;
                    c.logged_in = 1.0;
                    d
                } else {
                    const TRANSFER_TIME: Dist = Dist::Maybe(0.2, &Dist::ln(10.0, 1.5, 15_000.0));
                    let mut d = Draft::new(b.victim, Tcp, 20, Flag::SF).sent_from(20);
                    let c = &mut d.content;
                    c.duration = TRANSFER_TIME.sample(rng);
                    c.src_bytes = Dist::ln(60_000.0, 2.0, 5_100_000.0).sample(rng).max(30.0);
                    c.logged_in = 1.0;
                    d
                }
            }
            // A user session that overflows a setuid binary and gets a root shell.
            Attack::BufferOverflow => {
                let mut d = Draft::new(b.victim, Tcp, 23, Flag::SF).sent_from(ephemeral_port(rng));
                let c = &mut d.content;
                c.duration = Dist::ln(80.0, 0.7, 400.0).sample(rng);
                c.src_bytes = Dist::ln(1500.0, 0.6, 6300.0).sample(rng);
                c.dst_bytes = Dist::ln(3800.0, 0.7, 70_000.0).sample(rng);
                c.hot = Dist::Int(1, 5).sample(rng);
                c.logged_in = 1.0;
                c.root_shell = indicator(rng.random_bool(0.85));
                c.num_file_creations = Dist::Maybe(0.7, &Dist::Int(1, 4)).sample(rng);
                c.num_compromised = Dist::Maybe(0.7, &Dist::Int(1, 4)).sample(rng);
                c.num_root = Dist::Maybe(0.1, &Dist::Int(1, 4)).sample(rng);
                d
            }
        };
        // ICMP has no ports: every echo shares "source port" 0, which is what makes
        // KDD's dst_host_same_src_port_rate 1 for smurf.
        if d.proto == Icmp { d.sent_from(0) } else { d }
    }
}

/// A SYN flood on one host, from its first to its last connection.
#[derive(Debug, Clone, Copy)]
struct Flood {
    victim: u32,
    start: f64,
    end: f64,
}

/// Bursts of one attack at random times until `quota` rows of it are recorded; SYN
/// floods are noted in `floods`.
fn attack_bursts(
    rng: &mut ChaCha8Rng,
    profile: &AttackProfile,
    quota: usize,
    horizon: f64,
    out: &mut Vec<Conn>,
    floods: &mut Vec<Flood>,
) {
    let mut made = 0;
    while made < quota {
        let target =
            (rng.random_range(profile.burst.0..=profile.burst.1) as usize).min(quota - made);
        let mut burst = profile.attack.start(rng);
        // Attackers differ in speed: ±30% around the profile rate.
        let rate = profile.rate * (0.3 * standard_normal(rng)).exp();
        let start = rng.random::<f64>() * horizon;
        let mut time = start;
        let mut recorded = 0;
        while recorded < target {
            let record = rng.random_bool(profile.record);
            out.push(Conn {
                time,
                label: profile.label,
                record,
                draft: profile.attack.next(&mut burst, rng),
            });
            recorded += usize::from(record);
            time += exp_gap(rng, 1.0 / rate);
        }
        if profile.attack == Attack::Neptune {
            floods.push(Flood {
                victim: burst.victim,
                start,
                end: time,
            });
        }
        made += target;
    }
}

/// What a SYN flood does to everyone else: the victim's backlog is full, so normal TCP
/// connections to it during the flood stay half-open (S0, no bytes). It is also why
/// KDD's neptune rows show serror_rate 1 even on busy hosts.
fn deny_service(conns: &mut [Conn], floods: &[Flood]) {
    for c in conns
        .iter_mut()
        .filter(|c| c.label == "normal" && c.draft.proto == Proto::Tcp)
    {
        let hit = floods
            .iter()
            .any(|f| f.victim == c.draft.dst && (f.start..=f.end).contains(&c.time));
        if hit {
            c.draft.flag = Flag::S0;
            c.draft.content = Content::default();
        }
    }
}

// ---------------------------------------------------------------------------------
// Window features
// ---------------------------------------------------------------------------------

/// Connections and error counts of one group (a host, a service) in a window.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    n: u32,
    serror: u32,
    rerror: u32,
}

/// Counts over a sliding set of connections, grouped as KDD's features need them.
#[derive(Debug, Default)]
struct Window {
    members: VecDeque<usize>,
    host: HashMap<u32, Tally>,
    service: HashMap<u32, Tally>,
    host_service: HashMap<(u32, u32), u32>,
    host_src_port: HashMap<(u32, u16), u32>,
}

/// What a window knows about the groups of one connection.
struct Groups {
    host: Tally,
    service: Tally,
    host_service: u32,
    host_src_port: u32,
}

fn bump<K: Hash + Eq>(map: &mut HashMap<K, u32>, key: K, add: bool) {
    if add {
        *map.entry(key).or_default() += 1;
    } else if let Some(v) = map.get_mut(&key) {
        *v -= 1;
        if *v == 0 {
            map.remove(&key);
        }
    }
}

fn bump_tally<K: Hash + Eq>(map: &mut HashMap<K, Tally>, key: K, flag: Flag, add: bool) {
    let (s, r) = (u32::from(flag.is_serror()), u32::from(flag.is_rerror()));
    if add {
        let t = map.entry(key).or_default();
        t.n += 1;
        t.serror += s;
        t.rerror += r;
    } else if let Some(t) = map.get_mut(&key) {
        t.n -= 1;
        t.serror -= s;
        t.rerror -= r;
        if t.n == 0 {
            map.remove(&key);
        }
    }
}

impl Window {
    fn update(&mut self, c: &Conn, add: bool) {
        let (host, svc) = (c.draft.dst, c.service_key());
        bump_tally(&mut self.host, host, c.draft.flag, add);
        bump_tally(&mut self.service, svc, c.draft.flag, add);
        bump(&mut self.host_service, (host, svc), add);
        bump(&mut self.host_src_port, (host, c.draft.src_port), add);
    }

    fn push(&mut self, index: usize, conns: &[Conn]) {
        self.members.push_back(index);
        self.update(&conns[index], true);
    }

    fn pop(&mut self, conns: &[Conn]) {
        if let Some(i) = self.members.pop_front() {
            self.update(&conns[i], false);
        }
    }

    fn groups(&self, c: &Conn) -> Groups {
        let host = c.draft.dst;
        let svc = c.service_key();
        Groups {
            host: self.host.get(&host).copied().unwrap_or_default(),
            service: self.service.get(&svc).copied().unwrap_or_default(),
            host_service: self.host_service.get(&(host, svc)).copied().unwrap_or(0),
            host_src_port: self
                .host_src_port
                .get(&(host, c.draft.src_port))
                .copied()
                .unwrap_or(0),
        }
    }
}

/// `part / whole` with KDD's two decimals.
fn rate(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (f64::from(part) / f64::from(whole) * 100.0).round() / 100.0
    }
}

/// The 19 traffic features (count … dst_host_srv_rerror_rate) from the groups of the
/// 2-second window `t` and the host window `h`; both include the connection itself.
fn traffic_features(t: &Groups, h: &Groups) -> [f64; N_NUMERIC - CONTENT_SLOTS] {
    [
        f64::from(t.host.n.min(MAX_COUNT)),
        f64::from(t.service.n.min(MAX_COUNT)),
        rate(t.host.serror, t.host.n),
        rate(t.service.serror, t.service.n),
        rate(t.host.rerror, t.host.n),
        rate(t.service.rerror, t.service.n),
        rate(t.host_service, t.host.n),
        rate(t.host.n - t.host_service, t.host.n),
        rate(t.service.n - t.host_service, t.service.n),
        f64::from(h.host.n),
        f64::from(h.service.n),
        rate(h.host_service, h.host.n),
        rate(h.host.n - h.host_service, h.host.n),
        rate(h.host_src_port, h.host.n),
        rate(h.service.n - h.host_service, h.service.n),
        rate(h.host.serror, h.host.n),
        rate(h.service.serror, h.service.n),
        rate(h.host.rerror, h.host.n),
        rate(h.service.rerror, h.service.n),
    ]
}

/// Replays the time-sorted connections, computing the traffic features, and pushes
/// the recorded ones.
fn replay(conns: &[Conn], dataset: &mut Dataset) {
    let mut recent = Window::default();
    let mut last = Window::default();
    for (i, c) in conns.iter().enumerate() {
        while let Some(&first) = recent.members.front() {
            if conns[first].time > c.time - TIME_WINDOW {
                break;
            }
            recent.pop(conns);
        }
        recent.push(i, conns);
        if last.members.len() == HOST_WINDOW {
            last.pop(conns);
        }
        last.push(i, conns);
        if !c.record {
            continue;
        }
        let mut numeric = [0.0; N_NUMERIC];
        numeric[..CONTENT_SLOTS].copy_from_slice(&c.draft.content.slots());
        numeric[CONTENT_SLOTS..]
            .copy_from_slice(&traffic_features(&recent.groups(c), &last.groups(c)));
        dataset.push(&RawRecord {
            numeric,
            categorical: [
                Some(c.draft.proto.name()),
                Some(service_name(c.draft.proto, c.draft.port)),
                Some(c.draft.flag.name()),
            ],
            label: Some(c.label),
            difficulty: None,
            line: 0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::schema::{self, FEATURES, Family, numeric_feature};

    #[rustfmt::skip]
    const KDD_SERVICES: &[&str] = &[
        "aol", "auth", "bgp", "courier", "csnet_ns", "ctf", "daytime", "discard", "domain",
        "domain_u", "echo", "eco_i", "ecr_i", "efs", "exec", "finger", "ftp", "ftp_data",
        "gopher", "harvest", "hostnames", "http", "http_2784", "http_443", "http_8001",
        "icmp", "imap4", "IRC", "iso_tsap", "klogin", "kshell", "ldap", "link", "login",
        "mtp", "name", "netbios_dgm", "netbios_ns", "netbios_ssn", "netstat", "nnsp",
        "nntp", "ntp_u", "other", "pm_dump", "pop_2", "pop_3", "printer", "private",
        "red_i", "remote_job", "rje", "shell", "smtp", "sql_net", "ssh", "sunrpc", "supdup",
        "systat", "telnet", "tftp_u", "tim_i", "time", "urh_i", "urp_i", "uucp",
        "uucp_path", "vmnet", "whois", "X11", "Z39_50",
    ];
    const KDD_FLAGS: &[&str] = &[
        "OTH", "REJ", "RSTO", "RSTOS0", "RSTR", "S0", "S1", "S2", "S3", "SF", "SH",
    ];

    fn small() -> Dataset {
        generate(&SynthConfig {
            rows: 5000,
            seed: 11,
            attack_fraction: 0.2,
        })
    }

    /// The product default, generated once: signatures are checked on many bursts.
    fn demo() -> &'static Dataset {
        static DEMO: std::sync::OnceLock<Dataset> = std::sync::OnceLock::new();
        DEMO.get_or_init(|| generate(&SynthConfig::default()))
    }

    fn feature(name: &str) -> usize {
        schema::feature_index(name).unwrap()
    }

    fn value(d: &Dataset, row: usize, name: &str) -> f64 {
        d.numeric_feature(row, feature(name)).unwrap()
    }

    fn rows_labelled<'a>(d: &'a Dataset, label: &'a str) -> impl Iterator<Item = usize> + 'a {
        (0..d.len()).filter(move |&r| d.label(r) == Some(label))
    }

    fn mean(d: &Dataset, rows: &[usize], name: &str) -> f64 {
        rows.iter().map(|&r| value(d, r, name)).sum::<f64>() / rows.len() as f64
    }

    #[test]
    fn content_slots_follow_the_schema() {
        #[rustfmt::skip]
        let names = [
            "duration", "src_bytes", "dst_bytes", "land", "wrong_fragment", "urgent", "hot",
            "num_failed_logins", "logged_in", "num_compromised", "root_shell",
            "su_attempted", "num_root", "num_file_creations", "num_shells",
            "num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login",
        ];
        for (slot, name) in names.iter().enumerate() {
            assert_eq!(FEATURES[numeric_feature(slot)].name, *name);
        }
        assert_eq!(FEATURES[numeric_feature(CONTENT_SLOTS)].name, "count");
    }

    #[test]
    fn same_seed_same_data_other_seed_differs() {
        let config = SynthConfig {
            rows: 3000,
            ..SynthConfig::default()
        };
        let a = generate(&config);
        let b = generate(&config);
        let c = generate(&SynthConfig { seed: 8, ..config });
        let lines = |d: &Dataset| {
            let mut out = Vec::new();
            for r in 0..d.len() {
                d.write_kdd_line(r, &mut out).unwrap();
            }
            out
        };
        assert_eq!(lines(&a), lines(&b));
        assert_ne!(lines(&a), lines(&c));
        assert_eq!(a.source, "built-in demo traffic (seed 7, 3000 rows)");
    }

    #[test]
    fn exact_rows_and_attack_fraction() {
        for (rows, fraction) in [(5000, 0.2), (1234, 0.35), (200, 0.0), (150, 1.0), (1, 0.5)] {
            let d = generate(&SynthConfig {
                rows,
                seed: 3,
                attack_fraction: fraction,
            });
            assert_eq!(d.len(), rows);
            let attacks = d.attack_mask().unwrap().iter().filter(|&&a| a).count();
            let share = attacks as f64 / rows as f64;
            assert!(
                (share - fraction).abs() <= 0.5 / rows as f64 + 1e-9,
                "{rows} {share}"
            );
        }
        assert!(
            generate(&SynthConfig {
                rows: 0,
                ..SynthConfig::default()
            })
            .is_empty()
        );
    }

    #[test]
    fn default_size_has_every_family_and_dos_dominates() {
        let d = demo();
        assert_eq!(d.len(), 20_000);
        let counts: HashMap<Family, usize> = d.family_counts().into_iter().collect();
        for family in [
            Family::Normal,
            Family::Dos,
            Family::Probe,
            Family::R2l,
            Family::U2r,
        ] {
            assert!(counts[&family] > 0, "{family} missing");
        }
        assert_eq!(counts[&Family::Unknown], 0);
        assert!(counts[&Family::Dos] > counts[&Family::Probe]);
        assert!(counts[&Family::Probe] > counts[&Family::R2l]);
        assert!(counts[&Family::R2l] > counts[&Family::U2r]);
        let labels: Vec<String> = d.label_counts().into_iter().map(|(l, _)| l).collect();
        for profile in &ATTACKS {
            assert!(
                labels.iter().any(|l| l == profile.label),
                "{}",
                profile.label
            );
        }
    }

    #[test]
    fn values_stay_in_kdd_ranges() {
        let d = &small();
        for r in 0..d.len() {
            for (f, spec) in FEATURES.iter().enumerate() {
                let Some(v) = d.numeric_feature(r, f) else {
                    continue;
                };
                assert!(v.is_finite() && v >= 0.0, "row {r} {}={v}", spec.name);
                match spec.kind {
                    schema::FeatureKind::Rate => {
                        assert!(v <= 1.0, "row {r} {}={v}", spec.name);
                        assert!((v * 100.0 - (v * 100.0).round()).abs() < 1e-4, "{v}"); // stored as f32
                    }
                    schema::FeatureKind::Binary => assert!(v == 0.0 || v == 1.0),
                    _ => assert_eq!(v.fract(), 0.0, "row {r} {}={v}", spec.name),
                }
            }
            for name in ["count", "srv_count"] {
                assert!(value(d, r, name) <= 511.0);
            }
            for name in ["dst_host_count", "dst_host_srv_count"] {
                assert!(value(d, r, name) <= 255.0);
            }
            for name in ["count", "srv_count", "dst_host_count", "dst_host_srv_count"] {
                assert!(value(d, r, name) >= 1.0, "the connection counts itself");
            }
        }
    }

    #[test]
    fn categories_are_kdd_names_and_lines_are_valid() {
        let d = &small();
        for r in 0..d.len() {
            assert!(["tcp", "udp", "icmp"].contains(&d.category(r, 0).unwrap()));
            assert!(KDD_SERVICES.contains(&d.category(r, 1).unwrap()));
            assert!(KDD_FLAGS.contains(&d.category(r, 2).unwrap()));
        }
        let mut out = Vec::new();
        for r in 0..d.len() {
            d.write_kdd_line(r, &mut out).unwrap();
        }
        for line in String::from_utf8(out).unwrap().lines() {
            let fields: Vec<&str> = line.split(',').collect();
            assert_eq!(fields.len(), 42, "{line}");
            assert!(fields[41].ends_with('.'));
            assert!(!line.contains('?'));
        }
    }

    #[test]
    fn smurf_and_neptune_have_their_signatures() {
        let d = demo();
        let smurf: Vec<usize> = rows_labelled(d, "smurf").collect();
        assert!(!smurf.is_empty());
        for &r in &smurf {
            assert_eq!(d.category(r, 0), Some("icmp"));
            assert_eq!(d.category(r, 1), Some("ecr_i"));
            assert!([520.0, 1032.0].contains(&value(d, r, "src_bytes")));
        }
        let saturated = smurf
            .iter()
            .filter(|&&r| value(d, r, "count") == 511.0)
            .count();
        assert!(
            saturated * 10 > smurf.len() * 6,
            "{saturated}/{}",
            smurf.len()
        );
        // Each burst ramps up for a fraction of a second before saturating.
        assert!(mean(d, &smurf, "dst_host_srv_count") > 200.0);

        let neptune: Vec<usize> = rows_labelled(d, "neptune").collect();
        assert!(!neptune.is_empty());
        for &r in &neptune {
            assert_eq!(d.category(r, 2), Some("S0"));
            assert_eq!(value(d, r, "src_bytes") + value(d, r, "dst_bytes"), 0.0);
        }
        // A normal connection to the victim in the 2 s before a flood dilutes its first
        // SYNs (0.5, 0.67, …), and another attack on the same host can overlap; once
        // the flood fills the window the rate is 1.
        let full = neptune
            .iter()
            .filter(|&&r| value(d, r, "serror_rate") == 1.0)
            .count();
        assert!(full * 10 >= neptune.len() * 7, "{full}/{}", neptune.len());
        assert!(mean(d, &neptune, "serror_rate") > 0.95);
        assert!(mean(d, &neptune, "count") > 100.0);
        assert!(mean(d, &neptune, "same_srv_rate") < 0.2);
    }

    #[test]
    fn other_attacks_have_their_signatures() {
        let d = demo();
        for r in rows_labelled(d, "teardrop") {
            assert_eq!(value(d, r, "wrong_fragment"), 3.0);
        }
        for r in rows_labelled(d, "pod") {
            assert_eq!(value(d, r, "wrong_fragment"), 1.0);
            assert_eq!(value(d, r, "src_bytes"), 1480.0);
        }
        for r in rows_labelled(d, "guess_passwd") {
            assert_eq!(d.category(r, 1), Some("telnet"));
            assert_eq!(value(d, r, "num_failed_logins"), 1.0);
        }
        let probes: Vec<usize> = ["portsweep", "satan"]
            .iter()
            .flat_map(|l| rows_labelled(d, l).collect::<Vec<_>>())
            .collect();
        assert!(mean(d, &probes, "rerror_rate") > 0.6);
        assert!(mean(d, &probes, "dst_host_diff_srv_rate") > 0.6);
        let bo: Vec<usize> = rows_labelled(d, "buffer_overflow").collect();
        assert!(mean(d, &bo, "root_shell") > 0.5);
    }

    #[test]
    fn attacks_come_in_bursts_between_normal_traffic() {
        let d = &small();
        let mask = d.attack_mask().unwrap();
        let first = mask.iter().position(|&a| a).unwrap();
        let last = mask.iter().rposition(|&a| a).unwrap();
        assert!(
            first < d.len() / 4 && last > d.len() * 3 / 4,
            "{first} {last}"
        );
        // Bursts: an attack row is usually followed by another attack row.
        let runs = mask.windows(2).filter(|w| w[0] && !w[1]).count();
        let attacks = mask.iter().filter(|&&a| a).count();
        assert!(runs * 3 < attacks, "{runs} runs for {attacks} attacks");
    }

    #[test]
    fn normal_and_attack_rows_separate_clearly() {
        let d = demo();
        let mask = d.attack_mask().unwrap();
        let normal: Vec<usize> = (0..d.len()).filter(|&r| !mask[r]).collect();
        let attack: Vec<usize> = (0..d.len()).filter(|&r| mask[r]).collect();
        assert!(mean(d, &attack, "count") > 10.0 * mean(d, &normal, "count"));
        let dos: Vec<usize> = rows_labelled(d, "neptune").collect();
        assert!(mean(d, &dos, "serror_rate") > mean(d, &normal, "serror_rate") + 0.5);
        // Normal traffic is not spotless.
        assert!(mean(d, &normal, "rerror_rate") > 0.005);
        assert!(normal.iter().any(|&r| d.category(r, 2) == Some("S0")));
        let http: Vec<usize> = normal
            .iter()
            .copied()
            .filter(|&r| d.category(r, 1) == Some("http") && d.category(r, 2) == Some("SF"))
            .collect();
        assert!(mean(d, &http, "same_srv_rate") > 0.9);
        assert!(mean(d, &http, "count") < 20.0);
    }
}
