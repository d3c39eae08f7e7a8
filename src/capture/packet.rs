//! The decoded packet: what the pcap reader + decoder hand to the connection tracker.
//!
//! Interface shared by `capture::pcap`/`capture::decode` (producers) and
//! `capture::conntrack` (consumer). Plain data, `Copy`, no allocation,
//! so decoding a packet and tracking it never touch the heap.

use std::net::IpAddr;

pub use crate::kdd::{NANOS_PER_SEC, Nanos};

/// TCP header flag bits, as on the wire (byte 13 of the TCP header).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;

    pub fn fin(self) -> bool {
        self.0 & Self::FIN != 0
    }
    pub fn syn(self) -> bool {
        self.0 & Self::SYN != 0
    }
    pub fn rst(self) -> bool {
        self.0 & Self::RST != 0
    }
    pub fn ack(self) -> bool {
        self.0 & Self::ACK != 0
    }
    pub fn urg(self) -> bool {
        self.0 & Self::URG != 0
    }
}

/// The transport layer of a packet, as far as KDD records need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp {
        src_port: u16,
        dst_port: u16,
        flags: TcpFlags,
    },
    Udp {
        src_port: u16,
        dst_port: u16,
    },
    /// ICMPv4 or ICMPv6 (KDD has one `icmp` protocol_type).
    Icmp {
        icmp_type: u8,
        code: u8,
    },
}

/// One IP packet (or one IP fragment attributed to its datagram's transport header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    pub ts: Nanos,
    pub src: IpAddr,
    pub dst: IpAddr,
    pub transport: Transport,
    /// Application payload bytes carried by this packet: TCP/UDP payload, or the ICMP
    /// message after its 8-byte header. For a fragment, the bytes of the datagram's
    /// payload this fragment carries. KDD's src_bytes/dst_bytes sum these.
    pub payload_len: u32,
    /// Wrong fragments this packet represents (KDD `wrong_fragment`): a fragment that
    /// overlaps an earlier one of the same datagram, whose offset + length exceeds 65535,
    /// or a non-final fragment whose length is not a multiple of 8. 0 for almost all
    /// packets.
    pub wrong_fragments: u8,
}
