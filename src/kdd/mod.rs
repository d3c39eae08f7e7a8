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

impl ConnId {
    /// The start time as Zeek writes it: epoch seconds with microseconds.
    pub fn zeek_ts(&self) -> String {
        format!(
            "{}.{:06}",
            self.ts / NANOS_PER_SEC,
            self.ts % NANOS_PER_SEC / 1_000
        )
    }
}

impl std::fmt::Display for ConnId {
    /// `uid CHL4nt3VUD2UYJLH01 · 10.0.6.49:5353 → 224.0.0.251:5353 udp` (ICMP: no ports;
    /// IPv6 addresses in brackets).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(uid) = &self.uid {
            write!(f, "uid {uid} · ")?;
        }
        if self.protocol == ProtocolType::Icmp {
            write!(f, "{} → {}", self.orig, self.resp)?;
        } else {
            let end = |ip, port| std::net::SocketAddr::new(ip, port);
            write!(
                f,
                "{} → {}",
                end(self.orig, self.orig_port),
                end(self.resp, self.resp_port)
            )?;
        }
        write!(f, " {}", self.protocol.as_str())
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_reads_as_uid_and_endpoints() {
        let mut id = ConnId {
            uid: Some("CHL4nt3VUD2UYJLH01".into()),
            ts: 0,
            orig: "10.0.6.49".parse().unwrap(),
            orig_port: 5353,
            resp: "fe80::1".parse().unwrap(),
            resp_port: 53,
            protocol: ProtocolType::Udp,
        };
        assert_eq!(
            id.to_string(),
            "uid CHL4nt3VUD2UYJLH01 · 10.0.6.49:5353 → [fe80::1]:53 udp"
        );
        id.protocol = ProtocolType::Icmp;
        id.uid = None;
        assert_eq!(id.to_string(), "10.0.6.49 → fe80::1 icmp");
    }
}
