//! The KDD Cup 99 connection-record domain that every traffic source shares: the
//! `protocol_type`, `flag` and `service` vocabularies and the traffic-feature windows.
//! The packet path (`capture`), the demo generator (`data::demo`) and any other reader
//! of connection logs turn their connections into [`window::WindowInput`]s and get the
//! same 19 traffic features; nothing here knows where a connection came from.

pub mod flag;
pub mod service;
pub mod window;

pub use flag::Flag;
pub use service::Service;
pub use window::{TrafficFeatures, TrafficWindows, WindowConfig, WindowInput};

/// Nanoseconds since the Unix epoch (connection time).
pub type Nanos = u64;

pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// Who talked to whom, and when: what ties a record back to its connection (and, for
/// Zeek logs, to Zeek's other logs by `uid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnId {
    pub uid: Option<Box<str>>,
    /// Start time.
    pub ts: Nanos,
    pub orig: std::net::IpAddr,
    /// ICMP: the message type.
    pub orig_port: u16,
    pub resp: std::net::IpAddr,
    /// ICMP: the message code.
    pub resp_port: u16,
    pub protocol: ProtocolType,
}

/// KDD `protocol_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolType {
    Tcp,
    Udp,
    Icmp,
}

impl ProtocolType {
    /// The exact KDD spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ProtocolType::Tcp => "tcp",
            ProtocolType::Udp => "udp",
            ProtocolType::Icmp => "icmp",
        }
    }
}
