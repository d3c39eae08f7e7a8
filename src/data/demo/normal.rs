//! Normal traffic: the session mix, shaped after the normal rows of KDD's 10% file.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::connection::{
    Conn, Content, Draft, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, ICMP_UNREACHABLE,
};
use super::hosts::*;
use super::random::{Dist, choose, ephemeral_port, exp_gap, indicator, pick_weighted};
use crate::kdd::{Flag, ProtocolType};

/// Extra content features a service sets beyond bytes and duration.
#[derive(Debug, Clone, Copy)]
pub(super) enum Extra {
    None,
    /// Anonymous ftp: guest logins browsing directories ("hot" indicators).
    FtpControl,
    /// Interactive sessions: now and then an admin creates files or runs su.
    Shell,
}

/// One kind of normal session.
#[derive(Debug, Clone, Copy)]
pub(super) struct NormalProfile {
    /// Approximate share of normal connections.
    pub(super) share: f64,
    pub(super) proto: ProtocolType,
    /// Destination ports `[lo, hi]` (one per session).
    pub(super) ports: (u16, u16),
    /// Source port; `None` for an ephemeral one per connection.
    pub(super) src_port: Option<u16>,
    pub(super) servers: Hosts,
    pub(super) flag: Flag,
    /// Connections per session, uniform in `[lo, hi]`.
    pub(super) session: (u32, u32),
    /// Mean gap between a session's connections, seconds.
    pub(super) gap: f64,
    pub(super) duration: Dist,
    pub(super) src_bytes: Dist,
    pub(super) dst_bytes: Dist,
    /// Probability of logged_in = 1.
    pub(super) logged_in: f64,
    pub(super) extra: Extra,
}

pub(super) const BASE: NormalProfile = NormalProfile {
    share: 0.0,
    proto: ProtocolType::Tcp,
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
pub(super) const NORMAL: &[NormalProfile] = &[
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
        proto: ProtocolType::Udp,
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
        proto: ProtocolType::Udp,
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
        proto: ProtocolType::Udp,
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
        proto: ProtocolType::Udp,
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
        proto: ProtocolType::Icmp,
        ports: (ICMP_ECHO_REQUEST, ICMP_ECHO_REQUEST),
        src_port: Some(0),
        servers: SERVERS,
        session: (1, 3),
        src_bytes: Dist::ln(30.0, 0.1, 64.0),
        ..BASE
    },
    NormalProfile {
        share: 0.008,
        proto: ProtocolType::Icmp,
        ports: (ICMP_ECHO_REPLY, ICMP_ECHO_REPLY),
        src_port: Some(0),
        servers: WORKSTATIONS,
        session: (1, 3),
        src_bytes: Dist::ln(30.0, 0.1, 64.0),
        ..BASE
    },
    NormalProfile {
        share: 0.01,
        proto: ProtocolType::Icmp,
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
    pub(super) fn mean_session(&self) -> f64 {
        f64::from(self.session.0 + self.session.1) / 2.0
    }

    pub(super) fn draft(&self, rng: &mut ChaCha8Rng, dst: u32, port: u16) -> Draft {
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
        if self.proto == ProtocolType::Tcp && self.flag == Flag::SF && rng.random_bool(0.004) {
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
pub(super) fn normal_sessions(
    rng: &mut ChaCha8Rng,
    quota: usize,
    horizon: f64,
    out: &mut Vec<Conn>,
) {
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
