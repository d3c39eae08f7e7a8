//! Attacks: the mix, how each one arrives (bursts, floods, scans) and what its
//! connections look like.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::connection::{Conn, Content, Draft, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST};
use super::hosts::{
    FILE, Hosts, SHELL, SWEEP_START, SYN_FLOOD_TARGETS, VICTIMS, WEB_IDS, WORKSTATIONS,
};
use super::random::{
    Dist, choose, either, ephemeral_port, exp_gap, indicator, pick_weighted, standard_normal,
};
use crate::kdd::{Flag, ProtocolType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Attack {
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
pub(super) struct AttackProfile {
    pub(super) attack: Attack,
    pub(super) label: &'static str,
    /// Share of attack rows.
    pub(super) share: f64,
    /// Recorded rows per burst, uniform in `[lo, hi]`.
    pub(super) burst: (u32, u32),
    /// Simulated connections per second within a burst.
    pub(super) rate: f64,
    /// Probability that a simulated connection becomes a row.
    pub(super) record: f64,
}

pub(super) const fn attack(
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
pub(super) const ATTACKS: [AttackProfile; 12] = [
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
pub(super) struct Burst {
    pub(super) victim: u32,
    pub(super) src_port: u16,
    /// Target ports (neptune's port set, teardrop's port, a scan's first port).
    pub(super) ports: Vec<u16>,
    /// Connections made so far (scans walk ports or addresses with it).
    pub(super) cursor: u32,
    /// Payload size (smurf, ipsweep).
    pub(super) payload: f64,
    /// Variant of the attack (nmap: ping sweep, SYN scan, UDP scan).
    pub(super) mode: usize,
}

impl Attack {
    pub(super) fn start(self, rng: &mut ChaCha8Rng) -> Burst {
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

    pub(super) fn next(self, b: &mut Burst, rng: &mut ChaCha8Rng) -> Draft {
        use ProtocolType::*;
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
pub(super) struct Flood {
    pub(super) victim: u32,
    pub(super) start: f64,
    pub(super) end: f64,
}

/// Bursts of one attack at random times until `quota` rows of it are recorded; SYN
/// floods are noted in `floods`.
pub(super) fn attack_bursts(
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
pub(super) fn deny_service(conns: &mut [Conn], floods: &[Flood]) {
    for c in conns
        .iter_mut()
        .filter(|c| c.label == "normal" && c.draft.proto == ProtocolType::Tcp)
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
