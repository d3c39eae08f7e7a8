//! The KDD connection record the tracker emits: basic (intrinsic) features of one
//! connection plus its 19 traffic features.

use std::net::IpAddr;

use super::kddfeat::TrafficFeatures;
use super::packet::{NANOS_PER_SEC, Nanos};

/// KDD `protocol_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
        }
    }
}

/// KDD `flag`: Bro/Zeek's `conn_state`, restricted to the 11 values KDD uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flag {
    /// Connection attempt seen, no reply.
    S0,
    /// Established, not terminated.
    S1,
    /// Normal establishment and termination.
    SF,
    /// Connection attempt rejected (SYN answered by RST).
    REJ,
    /// Established, originator sent FIN, no FIN from the responder.
    S2,
    /// Established, responder sent FIN, no FIN from the originator.
    S3,
    /// Established, originator aborted with RST.
    RSTO,
    /// Responder sent RST.
    RSTR,
    /// Originator sent SYN then RST; no SYN-ACK seen.
    RSTOS0,
    /// Originator sent SYN then FIN; no SYN-ACK seen ("half-open").
    SH,
    /// No SYN seen: midstream traffic.
    OTH,
}

impl Flag {
    /// The exact KDD spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::S0 => "S0",
            Flag::S1 => "S1",
            Flag::SF => "SF",
            Flag::REJ => "REJ",
            Flag::S2 => "S2",
            Flag::S3 => "S3",
            Flag::RSTO => "RSTO",
            Flag::RSTR => "RSTR",
            Flag::RSTOS0 => "RSTOS0",
            Flag::SH => "SH",
            Flag::OTH => "OTH",
        }
    }

    /// "SYN error" for serror_rate & co: S0, S1, S2, S3 — the set used by the AI-IDS
    /// extractor (`Conversation::is_serror`), i.e. connections whose handshake or
    /// teardown never completed without a RST.
    pub fn is_serror(self) -> bool {
        matches!(self, Flag::S0 | Flag::S1 | Flag::S2 | Flag::S3)
    }

    /// "REJ error" for rerror_rate & co: REJ only (AI-IDS `is_rerror`).
    pub fn is_rerror(self) -> bool {
        self == Flag::REJ
    }
}

/// Why a record was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EndReason {
    /// TCP terminated: FIN both ways (+ final ACK, or the close linger ran out waiting
    /// for it), or a RST.
    Closed,
    /// Idle timeout (in packet time, or on `advance`).
    Timeout,
    /// Pushed out of the full connection table.
    Evicted,
    /// Still open at `finish()`.
    Flushed,
}

/// One KDD-style connection record.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnRecord {
    /// First packet's timestamp.
    pub start: Nanos,
    /// Last packet's timestamp.
    pub end: Nanos,
    pub orig_ip: IpAddr,
    /// TCP/UDP source port of the originator; ICMP: the message type (Zeek's convention).
    pub orig_port: u16,
    pub resp_ip: IpAddr,
    /// TCP/UDP destination port; ICMP: the message code (Zeek's convention).
    pub resp_port: u16,
    pub protocol: Protocol,
    /// KDD service name (exact spelling).
    pub service: &'static str,
    pub flag: Flag,
    /// Payload bytes sent by the originator.
    pub src_bytes: u64,
    /// Payload bytes sent by the responder.
    pub dst_bytes: u64,
    /// Same address and port on both ends (ICMP: same address).
    pub land: bool,
    /// Sum of the packets' `wrong_fragments`.
    pub wrong_fragment: u32,
    /// Packets with the URG flag.
    pub urgent: u32,
    pub orig_packets: u32,
    pub resp_packets: u32,
    pub end_reason: EndReason,
    /// The 19 traffic features, computed when the record was emitted.
    pub traffic: TrafficFeatures,
}

impl ConnRecord {
    /// KDD `duration`: whole seconds, truncated (as AI-IDS: `duration_ms / 1000`).
    pub fn duration_secs(&self) -> u64 {
        (self.end - self.start) / NANOS_PER_SEC
    }

    /// Total packets both ways.
    pub fn packets(&self) -> u32 {
        self.orig_packets + self.resp_packets
    }

    /// The 19 traffic features in KDD column order (features 23–41).
    pub fn traffic(&self) -> [f64; 19] {
        self.traffic.to_array()
    }
}
