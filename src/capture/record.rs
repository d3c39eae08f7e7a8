//! The KDD connection record the tracker emits: basic (intrinsic) features of one
//! connection plus its 19 traffic features.

use std::net::IpAddr;

use crate::kdd::{ConnId, Flag, NANOS_PER_SEC, Nanos, ProtocolType, TrafficFeatures};

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
    /// Read from a connection log (Zeek's `conn.log`), which says when it ended.
    Logged,
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
    pub protocol: ProtocolType,
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
    /// Zeek's connection id, for records read from a conn.log (pivot to its other logs).
    pub uid: Option<Box<str>>,
}

impl ConnRecord {
    /// KDD `duration`: whole seconds, truncated (as AI-IDS: `duration_ms / 1000`).
    pub fn duration_secs(&self) -> u64 {
        (self.end - self.start) / NANOS_PER_SEC
    }

    /// Who talked to whom, and when.
    pub fn id(&self) -> ConnId {
        ConnId {
            uid: self.uid.clone(),
            ts: self.start,
            orig: self.orig_ip,
            orig_port: self.orig_port,
            resp: self.resp_ip,
            resp_port: self.resp_port,
            protocol: self.protocol,
        }
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
