//! One simulated connection: what a traffic source decides about it (its content
//! features, ports and flag) and where it sits on the timeline.

use crate::kdd::window::ServiceKey;
use crate::kdd::{Flag, NANOS_PER_SEC, Nanos, ProtocolType, Service, WindowInput};

pub(super) const ICMP_ECHO_REPLY: u16 = 0;
pub(super) const ICMP_UNREACHABLE: u16 = 3;
pub(super) const ICMP_ECHO_REQUEST: u16 = 8;

/// The per-connection ("intrinsic" and content) features: numeric slots 0..19.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Content {
    pub(super) duration: f64,
    pub(super) src_bytes: f64,
    pub(super) dst_bytes: f64,
    pub(super) land: f64,
    pub(super) wrong_fragment: f64,
    pub(super) urgent: f64,
    pub(super) hot: f64,
    pub(super) num_failed_logins: f64,
    pub(super) logged_in: f64,
    pub(super) num_compromised: f64,
    pub(super) root_shell: f64,
    pub(super) su_attempted: f64,
    pub(super) num_root: f64,
    pub(super) num_file_creations: f64,
    pub(super) num_shells: f64,
    pub(super) num_access_files: f64,
    pub(super) num_outbound_cmds: f64,
    pub(super) is_host_login: f64,
    pub(super) is_guest_login: f64,
}

/// Number of numeric slots filled from [`Content`]; the rest are window features.
pub(super) const CONTENT_SLOTS: usize = 19;

impl Content {
    /// In schema order (checked by a test against `schema::FEATURES`).
    pub(super) fn slots(&self) -> [f64; CONTENT_SLOTS] {
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
pub(super) struct Draft {
    pub(super) dst: u32,
    pub(super) src_port: u16,
    pub(super) proto: ProtocolType,
    pub(super) port: u16,
    pub(super) flag: Flag,
    pub(super) content: Content,
}

impl Draft {
    pub(super) fn new(dst: u32, proto: ProtocolType, port: u16, flag: Flag) -> Self {
        Draft {
            dst,
            src_port: 0,
            proto,
            port,
            flag,
            content: Content::default(),
        }
    }

    pub(super) fn sent_from(mut self, src_port: u16) -> Self {
        self.src_port = src_port;
        self
    }
}

/// A connection on the timeline.
#[derive(Debug, Clone, Copy)]
pub(super) struct Conn {
    pub(super) time: f64,
    pub(super) label: &'static str,
    /// Whether it becomes a row (flood connections are sampled).
    pub(super) record: bool,
    pub(super) draft: Draft,
}

impl Conn {
    /// The KDD service: the destination port's (ICMP: the message type's, kept in
    /// `port`).
    pub(super) fn service(&self) -> Service {
        let d = &self.draft;
        match d.proto {
            ProtocolType::Icmp => Service::of(d.proto, d.port, 0),
            _ => Service::of(d.proto, d.src_port, d.port),
        }
    }

    /// What the traffic windows need to know about this connection.
    pub(super) fn window_input(&self) -> WindowInput {
        let d = &self.draft;
        WindowInput {
            ts: (self.time * NANOS_PER_SEC as f64).round() as Nanos,
            dst: u128::from(d.dst),
            src_port: d.src_port,
            service: ServiceKey::new(d.proto, self.service(), d.port),
            flag: d.flag,
        }
    }
}
