//! Frame → [`Packet`]: link layer, IPv4/IPv6, TCP/UDP/ICMP, and IP fragment attribution.
//!
//! Design choices:
//! - Header parsing is done by `etherparse`'s *lax* slicers (`LaxSlicedPacket`), which accept
//!   frames cut short by the capture snaplen. Only the Linux cooked headers (SLL/SLL2) and the
//!   BSD loopback header are read by hand: they are fixed-offset fields, etherparse has no SLL2,
//!   and its SLL parser rejects ARPHRD/packet-type values it does not know.
//! - `payload_len` comes from the IP header's length fields, never from the captured length,
//!   so `tcpdump -s 96` captures still count bytes correctly and Ethernet padding is ignored.
//!   A frame too short to hold the IP and transport headers is skipped as [`Skip::Truncated`].
//! - IP fragments (IPv4, and IPv6 fragment headers) go through a bounded [`FragTable`] keyed by
//!   (src, dst, id, protocol). Non-first fragments are attributed to the transport header of
//!   their datagram's first fragment. A fragment that arrives *before* its first fragment is not
//!   emitted ([`Skip::FragmentHeld`]); its payload bytes and wrong-fragment count are held in the
//!   table entry and credited to the first fragment's packet when that arrives, so byte and
//!   `wrong_fragment` totals survive reordering without buffering packets. If the first
//!   fragment never comes (entry evicted or expired), the held fragments are counted as
//!   orphaned ([`FragStats::orphaned`]).
//! - No heap allocation per packet: the fragment table is a fixed ring of slots plus a hash
//!   index pre-sized so it never grows or rehashes into a new allocation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    EtherType, IpNumber, LaxNetSlice, LaxSlicedPacket, LenSource, TransportSlice,
    err::{LenError, packet::SliceError},
};
use rustc_hash::FxHashMap;

use super::packet::{NANOS_PER_SEC, Nanos, Packet, TcpFlags, Transport};

/// Link-layer header types (pcap `LINKTYPE_*` values) the decoder understands.
pub mod linktype {
    /// BSD loopback: 4-byte address family in the capturing host's byte order.
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// `DLT_RAW` as written by some OSes (12 on most BSDs, 14 on OpenBSD).
    pub const RAW_12: u32 = 12;
    pub const RAW_14: u32 = 14;
    /// `LINKTYPE_RAW`: the frame starts with an IPv4 or IPv6 header.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback: like NULL but the address family is big-endian.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1 (`tcpdump -i any`).
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;

    /// Whether [`super::Decoder::decode`] can decode frames of this link type.
    pub fn is_supported(lt: u32) -> bool {
        matches!(
            lt,
            NULL | ETHERNET | RAW_12 | RAW_14 | RAW | LOOP | LINUX_SLL | IPV4 | IPV6 | LINUX_SLL2
        )
    }
}

/// Why a frame produced no [`Packet`]. Each reason has its own counter in the reader stats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// Not an IP packet (ARP, LLDP, STP, non-IP loopback family, ...).
    #[error("not an IP packet")]
    NotIp,
    /// IP, but not TCP, UDP or ICMP (GRE, ESP, IGMP, OSPF, ...).
    #[error("IP protocol other than TCP/UDP/ICMP")]
    OtherProtocol,
    /// The captured bytes end before the IP + transport headers do (snaplen too small).
    #[error("frame truncated before the end of the IP/transport headers")]
    Truncated,
    /// Header contents are invalid (bad IP version/IHL, TCP data offset < 5, ...).
    #[error("malformed header")]
    Malformed,
    /// The frame's link-layer type is not one the decoder knows.
    #[error("unsupported link-layer type {0}")]
    UnsupportedLinkType(u32),
    /// A non-first IP fragment seen before its first fragment: its bytes are held and credited
    /// to the first fragment's packet when it arrives.
    #[error("IP fragment held until its first fragment arrives")]
    FragmentHeld,
}

/// Counters of the fragment table (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FragStats {
    /// Fragments processed (first and non-first).
    pub fragments: u64,
    /// Fragments held because their first fragment had not been seen yet.
    pub held: u64,
    /// Held fragments whose first fragment never arrived (entry expired or evicted).
    pub orphaned: u64,
    /// Entries evicted because the table was full (a fragment flood, or a huge burst).
    pub evicted: u64,
    /// Fragments found wrong (overlap, beyond 65535, non-final length not a multiple of 8).
    pub wrong: u64,
}

/// Default number of datagrams the fragment table tracks at once.
pub const DEFAULT_FRAG_CAPACITY: usize = 4096;
/// Fragment entries older than this (packet time) are forgotten, like a reassembly timeout.
pub const FRAG_TIMEOUT: Nanos = 30 * NANOS_PER_SEC;

/// Stateful frame decoder. State = the fragment table only; everything else is per frame.
pub struct Decoder {
    frags: FragTable,
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Decoder {
    pub fn new() -> Self {
        Self::with_frag_capacity(DEFAULT_FRAG_CAPACITY)
    }

    /// A decoder whose fragment table tracks at most `cap` datagrams (minimum 1).
    pub fn with_frag_capacity(cap: usize) -> Self {
        Decoder {
            frags: FragTable::new(cap.max(1)),
        }
    }

    pub fn frag_stats(&self) -> &FragStats {
        &self.frags.stats
    }

    /// Datagrams currently tracked in the fragment table (≤ its capacity).
    pub fn frag_table_len(&self) -> usize {
        self.frags.index.len()
    }

    /// Decodes one captured frame of link type `link_type` (a pcap `LINKTYPE_*` value).
    /// Never panics, whatever the bytes.
    pub fn decode(&mut self, link_type: u32, ts: Nanos, frame: &[u8]) -> Result<Packet, Skip> {
        use linktype::*;
        let sliced = match link_type {
            ETHERNET => LaxSlicedPacket::from_ethernet(frame).map_err(|_| Skip::Truncated)?,
            LINUX_SLL => {
                // 16-byte header; protocol (an EtherType for IP) at offset 14.
                let (hdr, rest) = frame.split_at_checked(16).ok_or(Skip::Truncated)?;
                let proto = u16::from_be_bytes([hdr[14], hdr[15]]);
                LaxSlicedPacket::from_ether_type(EtherType(proto), rest)
            }
            LINUX_SLL2 => {
                // 20-byte header; protocol at offset 0.
                let (hdr, rest) = frame.split_at_checked(20).ok_or(Skip::Truncated)?;
                let proto = u16::from_be_bytes([hdr[0], hdr[1]]);
                LaxSlicedPacket::from_ether_type(EtherType(proto), rest)
            }
            RAW | RAW_12 | RAW_14 | IPV4 | IPV6 => from_ip(frame)?,
            NULL | LOOP => {
                let (hdr, rest) = frame.split_at_checked(4).ok_or(Skip::Truncated)?;
                let raw = [hdr[0], hdr[1], hdr[2], hdr[3]];
                // NULL is in the writer's byte order, LOOP big-endian; families are small
                // numbers, so whichever reading is small is the right one.
                let le = u32::from_le_bytes(raw);
                let af = if le <= 0xffff {
                    le
                } else {
                    u32::from_be_bytes(raw)
                };
                // AF_INET = 2; AF_INET6 = 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD),
                // 30 (macOS).
                if !matches!(af, 2 | 10 | 24 | 28 | 30) {
                    return Err(Skip::NotIp);
                }
                from_ip(rest)?
            }
            other => return Err(Skip::UnsupportedLinkType(other)),
        };
        self.decode_sliced(ts, &sliced)
    }

    fn decode_sliced(&mut self, ts: Nanos, p: &LaxSlicedPacket<'_>) -> Result<Packet, Skip> {
        let Some(net) = &p.net else {
            return Err(match &p.stop_err {
                Some((e, _)) => slice_err(e),
                None => Skip::NotIp,
            });
        };
        // Per IP version: addresses, declared payload length (from the header, not the
        // capture), and fragment info (offset in bytes, more-fragments, id, ip header len).
        let (src, dst, decl_len, frag, payload) = match net {
            LaxNetSlice::Arp(_) => return Err(Skip::NotIp),
            LaxNetSlice::Ipv4(ip) => {
                let h = ip.header();
                let pl = ip.payload();
                let hl = h.slice().len();
                let total = usize::from(h.total_len());
                let auth = ip.extensions().auth.map_or(0, |a| a.slice().len());
                let decl = if pl.len_source == LenSource::Slice && !pl.incomplete {
                    // total_len smaller than the header (e.g. TSO-offloaded 0): use the bytes.
                    pl.payload.len()
                } else {
                    total.saturating_sub(hl + auth)
                };
                let frag = if pl.fragmented {
                    Some(FragInfo {
                        offset: u32::from(h.fragments_offset().value()) * 8,
                        more: h.more_fragments(),
                        id: u32::from(h.identification()),
                        hdr_len: (hl + auth) as u32,
                    })
                } else {
                    None
                };
                (
                    IpAddr::V4(Ipv4Addr::from(h.source())),
                    IpAddr::V4(Ipv4Addr::from(h.destination())),
                    decl,
                    frag,
                    pl,
                )
            }
            LaxNetSlice::Ipv6(ip) => {
                let h = ip.header();
                let pl = ip.payload();
                let exts = ip.extensions();
                let decl = if pl.len_source == LenSource::Slice && !pl.incomplete {
                    pl.payload.len() // payload_length 0 (jumbogram / offload)
                } else {
                    usize::from(h.payload_length()).saturating_sub(exts.slice().len())
                };
                let frag = if pl.fragmented {
                    ipv6_fragment(h.next_header(), exts.slice())
                } else {
                    None
                };
                (
                    IpAddr::V6(Ipv6Addr::from(h.source())),
                    IpAddr::V6(Ipv6Addr::from(h.destination())),
                    decl,
                    frag,
                    pl,
                )
            }
        };
        let proto = payload.ip_number;
        if !matches!(
            proto,
            IpNumber::TCP | IpNumber::UDP | IpNumber::ICMP | IpNumber::IPV6_ICMP
        ) {
            // A truncated/garbled extension header leaves ip_number at the extension.
            if let Some((e, _)) = &p.stop_err {
                return Err(slice_err(e));
            }
            return Err(Skip::OtherProtocol);
        }

        if let Some(frag) = frag {
            return self.decode_fragment(ts, src, dst, proto, decl_len, frag, payload);
        }

        // Hot path: unfragmented, etherparse already sliced the transport header.
        let (transport, hdr_len) = match &p.transport {
            Some(TransportSlice::Tcp(t)) => (
                Transport::Tcp {
                    src_port: t.source_port(),
                    dst_port: t.destination_port(),
                    flags: TcpFlags(t.header_slice()[13]),
                },
                t.header_slice().len(),
            ),
            Some(TransportSlice::Udp(u)) => (
                Transport::Udp {
                    src_port: u.source_port(),
                    dst_port: u.destination_port(),
                },
                8,
            ),
            Some(TransportSlice::Icmpv4(i)) => (
                Transport::Icmp {
                    icmp_type: i.type_u8(),
                    code: i.code_u8(),
                },
                8,
            ),
            Some(TransportSlice::Icmpv6(i)) => (
                Transport::Icmp {
                    icmp_type: i.type_u8(),
                    code: i.code_u8(),
                },
                8,
            ),
            Some(TransportSlice::Igmp(_)) => return Err(Skip::OtherProtocol),
            // A small snaplen can cut TCP options (SYNs carry 20 bytes of them) while ports
            // and flags, in the first 14 bytes, are intact: use those.
            None if proto == IpNumber::TCP
                && payload.incomplete
                && payload.payload.len() >= 14
                && payload.payload[12] >> 4 >= 5 =>
            {
                let d = payload.payload;
                (
                    Transport::Tcp {
                        src_port: u16::from_be_bytes([d[0], d[1]]),
                        dst_port: u16::from_be_bytes([d[2], d[3]]),
                        flags: TcpFlags(d[13]),
                    },
                    usize::from(d[12] >> 4) * 4,
                )
            }
            None => {
                return Err(match &p.stop_err {
                    Some((e, _)) => slice_err(e),
                    None => Skip::Malformed,
                });
            }
        };
        Ok(Packet {
            ts,
            src,
            dst,
            transport,
            payload_len: decl_len.saturating_sub(hdr_len) as u32,
            wrong_fragments: 0,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn decode_fragment(
        &mut self,
        ts: Nanos,
        src: IpAddr,
        dst: IpAddr,
        proto: IpNumber,
        data_len: usize,
        frag: FragInfo,
        payload: &etherparse::LaxIpPayloadSlice<'_>,
    ) -> Result<Packet, Skip> {
        let data_len = data_len as u32;
        // The first fragment carries the transport header; parse it from the fragment data.
        let first = if frag.offset == 0 {
            Some(
                parse_transport(proto, payload.payload).ok_or(if payload.incomplete {
                    Skip::Truncated
                } else {
                    Skip::Malformed
                })?,
            )
        } else {
            None
        };
        let key = FragKey {
            src,
            dst,
            id: frag.id,
            proto: proto.0,
        };
        let end = frag.offset + data_len;
        let mut wrong = 0u8;
        if frag.more && !data_len.is_multiple_of(8) {
            wrong = 1;
        }
        if end + frag.hdr_len > 65535 {
            wrong = 1;
        }
        let e = self.frags.entry(key, ts);
        if e.add_range(frag.offset, end) {
            wrong = 1;
        }
        self.frags.stats.fragments += 1;
        self.frags.stats.wrong += u64::from(wrong);
        let e = self.frags.current();
        match first {
            Some((transport, hdr_len)) => {
                e.transport = Some(transport);
                let payload_len = data_len.saturating_sub(hdr_len) + e.pending_bytes;
                let wrong_fragments = wrong.saturating_add(e.pending_wrong);
                e.pending_bytes = 0;
                e.pending_wrong = 0;
                e.pending_frags = 0;
                Ok(Packet {
                    ts,
                    src,
                    dst,
                    transport,
                    payload_len,
                    wrong_fragments,
                })
            }
            None => match e.transport {
                Some(mut transport) => {
                    // Keep only ACK on TCP continuation fragments: repeating SYN/FIN/RST
                    // would make the tracker see extra handshakes or teardowns.
                    if let Transport::Tcp { flags, .. } = &mut transport {
                        *flags = TcpFlags(flags.0 & TcpFlags::ACK);
                    }
                    Ok(Packet {
                        ts,
                        src,
                        dst,
                        transport,
                        payload_len: data_len,
                        wrong_fragments: wrong,
                    })
                }
                None => {
                    e.pending_bytes = e.pending_bytes.saturating_add(data_len);
                    e.pending_wrong = e.pending_wrong.saturating_add(wrong);
                    e.pending_frags = e.pending_frags.saturating_add(1);
                    self.frags.stats.held += 1;
                    Err(Skip::FragmentHeld)
                }
            },
        }
    }
}

fn from_ip(frame: &[u8]) -> Result<LaxSlicedPacket<'_>, Skip> {
    use etherparse::err::ip::LaxHeaderSliceError as E;
    LaxSlicedPacket::from_ip(frame).map_err(|e| match e {
        E::Len(_) => Skip::Truncated,
        E::Content(_) => Skip::Malformed,
    })
}

/// A length error caused by the end of the captured bytes is truncation; anything else
/// (a length field contradicting another, bad contents) is malformed.
fn slice_err(e: &SliceError) -> Skip {
    match e {
        SliceError::Len(LenError {
            len_source: LenSource::Slice,
            ..
        }) => Skip::Truncated,
        _ => Skip::Malformed,
    }
}

/// Parses the transport header at the start of a first fragment's data.
/// Returns the transport and its header length.
fn parse_transport(proto: IpNumber, data: &[u8]) -> Option<(Transport, u32)> {
    match proto {
        IpNumber::TCP => {
            let t = etherparse::TcpHeaderSlice::from_slice(data).ok()?;
            Some((
                Transport::Tcp {
                    src_port: t.source_port(),
                    dst_port: t.destination_port(),
                    flags: TcpFlags(t.slice()[13]),
                },
                t.slice().len() as u32,
            ))
        }
        IpNumber::UDP => {
            let u = etherparse::UdpHeaderSlice::from_slice(data).ok()?;
            Some((
                Transport::Udp {
                    src_port: u.source_port(),
                    dst_port: u.destination_port(),
                },
                8,
            ))
        }
        _ => {
            // ICMPv4 / ICMPv6: type and code, 8-byte header.
            if data.len() < 8 {
                return None;
            }
            Some((
                Transport::Icmp {
                    icmp_type: data[0],
                    code: data[1],
                },
                8,
            ))
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct FragInfo {
    /// Offset of this fragment's data in the datagram payload, in bytes.
    offset: u32,
    more: bool,
    id: u32,
    /// IPv4 header length counted against the 65535-byte datagram limit (0 for IPv6).
    hdr_len: u32,
}

/// The (last) fragment header in an IPv6 extension chain, walked by hand with bounds
/// checks. Not etherparse 0.21's extension iterator: when a lax parse stopped inside the
/// chain (a header cut short after a fragment header), the iterator follows the last
/// header's next-header into bytes that are not in its slice (out-of-bounds
/// `get_unchecked`, undefined behaviour; found by fuzzing).
fn ipv6_fragment(first: IpNumber, mut exts: &[u8]) -> Option<FragInfo> {
    let mut next = first;
    let mut frag = None;
    loop {
        let len = match next {
            IpNumber::IPV6_HEADER_HOP_BY_HOP
            | IpNumber::IPV6_ROUTE_HEADER
            | IpNumber::IPV6_DESTINATION_OPTIONS => (usize::from(*exts.get(1)?) + 1) * 8,
            IpNumber::AUTHENTICATION_HEADER => (usize::from(*exts.get(1)?) + 2) * 4,
            IpNumber::IPV6_FRAGMENTATION_HEADER => {
                let h = exts.get(..8)?;
                let offset_flags = u16::from_be_bytes([h[2], h[3]]);
                frag = Some(FragInfo {
                    offset: u32::from(offset_flags >> 3) * 8,
                    more: offset_flags & 1 != 0,
                    id: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
                    // v6: the 65535 limit is on the payload, not incl. the header.
                    hdr_len: 0,
                });
                8
            }
            _ => return frag,
        };
        let Some(rest) = exts.get(len..) else {
            return frag;
        };
        next = IpNumber(exts[0]);
        exts = rest;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    proto: u8,
}

/// Byte ranges of a datagram seen so far, kept in a few inline slots (no allocation).
/// In-order fragments extend one range; when more disjoint ranges appear than fit, later
/// ones are not remembered (overlap detection becomes best-effort for that datagram).
const RANGES: usize = 6;

#[derive(Debug, Clone)]
struct FragEntry {
    key: FragKey,
    created: Nanos,
    transport: Option<Transport>,
    ranges: [(u32, u32); RANGES],
    n_ranges: u8,
    pending_bytes: u32,
    pending_wrong: u8,
    pending_frags: u32,
}

impl FragEntry {
    fn new(key: FragKey, created: Nanos) -> Self {
        FragEntry {
            key,
            created,
            transport: None,
            ranges: [(0, 0); RANGES],
            n_ranges: 0,
            pending_bytes: 0,
            pending_wrong: 0,
            pending_frags: 0,
        }
    }

    /// Records `[start, end)`; returns true if it overlaps a range seen before.
    fn add_range(&mut self, start: u32, end: u32) -> bool {
        let n = usize::from(self.n_ranges);
        // A zero-length fragment overlaps nothing but is still odd; treat start==end as 1 byte
        // so duplicates of it are caught.
        let probe_end = end.max(start + 1);
        let overlap = self.ranges[..n]
            .iter()
            .any(|&(s, e)| start < e && s < probe_end);
        if let Some(r) = self.ranges[..n]
            .iter_mut()
            .find(|r| r.1 == start || r.0 == end)
        {
            r.0 = r.0.min(start);
            r.1 = r.1.max(end);
        } else if n < RANGES {
            self.ranges[n] = (start, end);
            self.n_ranges += 1;
        }
        overlap
    }
}

/// Bounded fragment table: a FIFO ring of `cap` slots (oldest entry evicted when full, which
/// also approximates expiry order) plus a hash index from key to slot. The index is sized at
/// twice the capacity so that hashbrown's tombstone clean-ups always rehash in place and never
/// allocate.
struct FragTable {
    slots: Vec<Option<FragEntry>>,
    index: FxHashMap<FragKey, u32>,
    next: usize,
    cur: usize,
    stats: FragStats,
}

impl FragTable {
    fn new(cap: usize) -> Self {
        let mut index = FxHashMap::default();
        index.reserve(cap * 2);
        FragTable {
            slots: vec![None; cap],
            index,
            next: 0,
            cur: 0,
            stats: FragStats::default(),
        }
    }

    /// Finds or creates the entry for `key`, makes it current and returns it.
    fn entry(&mut self, key: FragKey, ts: Nanos) -> &mut FragEntry {
        if let Some(&slot) = self.index.get(&key) {
            let slot = slot as usize;
            let expired = self.slots[slot]
                .as_ref()
                .is_some_and(|e| ts.saturating_sub(e.created) > FRAG_TIMEOUT);
            if expired {
                // Same key reused after the timeout: a new datagram in the old slot.
                let old = self.slots[slot].replace(FragEntry::new(key, ts));
                self.count_orphans(old.as_ref());
            }
            self.cur = slot;
            return self.slots[slot].as_mut().expect("indexed slot is occupied");
        }
        let slot = self.next;
        self.next = (self.next + 1) % self.slots.len();
        if let Some(old) = self.slots[slot].take() {
            self.index.remove(&old.key);
            if ts.saturating_sub(old.created) <= FRAG_TIMEOUT {
                self.stats.evicted += 1;
            }
            self.count_orphans(Some(&old));
        }
        self.index.insert(key, slot as u32);
        self.cur = slot;
        self.slots[slot].insert(FragEntry::new(key, ts))
    }

    fn current(&mut self) -> &mut FragEntry {
        self.slots[self.cur]
            .as_mut()
            .expect("current slot is occupied")
    }

    fn count_orphans(&mut self, old: Option<&FragEntry>) {
        if let Some(old) = old
            && old.transport.is_none()
        {
            self.stats.orphaned += u64::from(old.pending_frags);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{Ethernet2Header, IpFragOffset, Ipv4Header, PacketBuilder};

    const MAC_A: [u8; 6] = [2, 0, 0, 0, 0, 1];
    const MAC_B: [u8; 6] = [2, 0, 0, 0, 0, 2];
    const A: [u8; 4] = [10, 0, 0, 1];
    const B: [u8; 4] = [10, 0, 0, 2];

    fn tcp_eth(payload: usize, flags_syn: bool) -> Vec<u8> {
        let b = PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(A, B, 64)
            .tcp(1234, 80, 1000, 65535);
        let b = if flags_syn { b.syn() } else { b.ack(5).psh() };
        let mut v = Vec::new();
        b.write(&mut v, &vec![0u8; payload]).unwrap();
        v
    }

    fn ip_of(v: &[u8]) -> Vec<u8> {
        v[14..].to_vec()
    }

    #[test]
    fn ethernet_tcp() {
        let mut d = Decoder::new();
        let p = d
            .decode(linktype::ETHERNET, 7, &tcp_eth(100, true))
            .unwrap();
        assert_eq!(p.ts, 7);
        assert_eq!(p.src, IpAddr::from(A));
        assert_eq!(p.dst, IpAddr::from(B));
        assert_eq!(p.payload_len, 100);
        match p.transport {
            Transport::Tcp {
                src_port,
                dst_port,
                flags,
            } => {
                assert_eq!((src_port, dst_port), (1234, 80));
                assert!(flags.syn() && !flags.ack());
            }
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn ethernet_padding_not_counted() {
        // A 0-payload TCP segment is padded to 60 bytes on Ethernet; padding is not payload.
        let mut f = tcp_eth(0, false);
        f.resize(60, 0);
        let p = Decoder::new().decode(linktype::ETHERNET, 0, &f).unwrap();
        assert_eq!(p.payload_len, 0);
    }

    #[test]
    fn vlan_and_qinq() {
        let mut v = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .single_vlan(etherparse::VlanId::try_new(42).unwrap())
            .ipv4(A, B, 64)
            .udp(5353, 53)
            .write(&mut v, &[0; 33])
            .unwrap();
        let p = Decoder::new().decode(linktype::ETHERNET, 0, &v).unwrap();
        assert_eq!(p.payload_len, 33);
        assert!(matches!(p.transport, Transport::Udp { dst_port: 53, .. }));

        let mut v = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .double_vlan(
                etherparse::VlanId::try_new(1).unwrap(),
                etherparse::VlanId::try_new(2).unwrap(),
            )
            .ipv4(A, B, 64)
            .udp(5353, 53)
            .write(&mut v, &[0; 12])
            .unwrap();
        let p = Decoder::new().decode(linktype::ETHERNET, 0, &v).unwrap();
        assert_eq!(p.payload_len, 12);
    }

    #[test]
    fn ipv6_with_ext_header_and_icmpv6() {
        let s6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let d6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let mut v = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv6(s6, d6, 64)
            .icmpv6_echo_request(1, 2)
            .write(&mut v, &[0; 56])
            .unwrap();
        let p = Decoder::new().decode(linktype::ETHERNET, 0, &v).unwrap();
        assert_eq!(p.src, IpAddr::from(s6));
        assert_eq!(
            p.transport,
            Transport::Icmp {
                icmp_type: 128,
                code: 0
            }
        );
        assert_eq!(p.payload_len, 56);

        // Raw IPv6 with a hop-by-hop extension header (8 bytes) before UDP.
        let mut ip = Vec::new();
        PacketBuilder::ipv6(s6, d6, 64)
            .udp(1000, 53)
            .write(&mut ip, &[0; 20])
            .unwrap();
        // Insert the ext header: next header UDP(17), hdr ext len 0, PadN 6 bytes.
        let mut withext = ip[..40].to_vec();
        withext[6] = 0; // next header = hop-by-hop
        let plen = u16::from_be_bytes([ip[4], ip[5]]) + 8;
        withext[4..6].copy_from_slice(&plen.to_be_bytes());
        withext.extend_from_slice(&[17, 0, 1, 4, 0, 0, 0, 0]);
        withext.extend_from_slice(&ip[40..]);
        let p = Decoder::new().decode(linktype::RAW, 0, &withext).unwrap();
        assert_eq!(p.payload_len, 20);
        assert!(matches!(p.transport, Transport::Udp { dst_port: 53, .. }));
    }

    #[test]
    fn every_link_type() {
        let eth = tcp_eth(10, false);
        let ip = ip_of(&eth);
        let mut d = Decoder::new();
        let check = |d: &mut Decoder, lt: u32, f: &[u8]| {
            let p = d
                .decode(lt, 0, f)
                .unwrap_or_else(|e| panic!("lt {lt}: {e}"));
            assert_eq!(p.payload_len, 10, "lt {lt}");
        };
        check(&mut d, linktype::ETHERNET, &eth);
        for lt in [
            linktype::RAW,
            linktype::RAW_12,
            linktype::RAW_14,
            linktype::IPV4,
        ] {
            check(&mut d, lt, &ip);
        }
        // SLL: packet type, ARPHRD_ETHER, addr len, addr[8], protocol.
        let mut sll = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(&ip);
        check(&mut d, linktype::LINUX_SLL, &sll);
        // SLL2: protocol, reserved, ifindex, ARPHRD, pkttype, addr len, addr[8].
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        sll2.extend_from_slice(&ip);
        check(&mut d, linktype::LINUX_SLL2, &sll2);
        // NULL in both host byte orders, LOOP big-endian.
        for hdr in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = hdr.to_vec();
            f.extend_from_slice(&ip);
            check(&mut d, linktype::NULL, &f);
            check(&mut d, linktype::LOOP, &f);
        }
        // Non-IP family on loopback, ARP on Ethernet, unknown link type.
        let mut f = vec![17, 0, 0, 0];
        f.extend_from_slice(&ip);
        assert_eq!(d.decode(linktype::NULL, 0, &f), Err(Skip::NotIp));
        let mut arp = eth.clone();
        arp[12..14].copy_from_slice(&[0x08, 0x06]);
        assert!(matches!(
            d.decode(linktype::ETHERNET, 0, &arp),
            Err(Skip::NotIp | Skip::Truncated | Skip::Malformed)
        ));
        assert_eq!(
            d.decode(9999, 0, &eth),
            Err(Skip::UnsupportedLinkType(9999))
        );
    }

    #[test]
    fn snaplen_truncation_counts_declared_payload() {
        let f = tcp_eth(1400, false);
        let p = Decoder::new()
            .decode(linktype::ETHERNET, 0, &f[..96])
            .unwrap();
        assert_eq!(p.payload_len, 1400);
        // Too short for ports + flags: truncated, not malformed.
        assert_eq!(
            Decoder::new().decode(linktype::ETHERNET, 0, &f[..45]),
            Err(Skip::Truncated)
        );
        // TCP options cut off, ports and flags present: still decoded.
        let mut syn = Vec::new();
        PacketBuilder::ethernet2(MAC_A, MAC_B)
            .ipv4(A, B, 64)
            .tcp(1234, 80, 1, 1000)
            .syn()
            .options_raw(&[1; 20])
            .unwrap()
            .write(&mut syn, &[])
            .unwrap();
        let p = Decoder::new()
            .decode(linktype::ETHERNET, 0, &syn[..48])
            .unwrap();
        assert_eq!(p.payload_len, 0);
        assert!(matches!(p.transport, Transport::Tcp { flags, .. } if flags.syn()));
        assert_eq!(
            Decoder::new().decode(linktype::ETHERNET, 0, &f[..10]),
            Err(Skip::Truncated)
        );
        assert_eq!(
            Decoder::new().decode(linktype::ETHERNET, 0, &f[..20]),
            Err(Skip::Truncated)
        );
    }

    #[test]
    fn other_protocol() {
        let mut f = tcp_eth(0, true);
        f[14 + 9] = 47; // GRE
        assert_eq!(
            Decoder::new().decode(linktype::ETHERNET, 0, &f),
            Err(Skip::OtherProtocol)
        );
    }

    /// Builds an Ethernet IPv4 fragment with raw fragment data.
    fn frag(id: u16, proto: u8, offset_bytes: u16, more: bool, data: &[u8]) -> Vec<u8> {
        let mut h = Ipv4Header::new(data.len() as u16, 64, IpNumber(proto), A, B).unwrap();
        h.identification = id;
        h.more_fragments = more;
        h.fragment_offset = IpFragOffset::try_new(offset_bytes / 8).unwrap();
        let mut v = Vec::new();
        Ethernet2Header {
            source: MAC_A,
            destination: MAC_B,
            ether_type: EtherType::IPV4,
        }
        .write(&mut v)
        .unwrap();
        h.write(&mut v).unwrap();
        v.extend_from_slice(data);
        v
    }

    fn udp_hdr_then(n: usize) -> Vec<u8> {
        let mut d = vec![0x13, 0x88, 0x00, 0x35, 0, 0, 0, 0];
        d.resize(8 + n, 0xaa);
        d
    }

    #[test]
    fn fragments_attributed_to_first() {
        let mut d = Decoder::new();
        let p1 = d
            .decode(
                linktype::ETHERNET,
                0,
                &frag(7, 17, 0, true, &udp_hdr_then(1472)),
            )
            .unwrap();
        assert_eq!(p1.payload_len, 1472);
        assert!(matches!(
            p1.transport,
            Transport::Udp {
                src_port: 5000,
                dst_port: 53
            }
        ));
        let p2 = d
            .decode(linktype::ETHERNET, 1, &frag(7, 17, 1480, false, &[0; 100]))
            .unwrap();
        assert_eq!(p2.transport, p1.transport);
        assert_eq!(p2.payload_len, 100);
        assert_eq!(p2.wrong_fragments, 0);
        assert_eq!(d.frag_stats().wrong, 0);
    }

    #[test]
    fn fragment_before_first_is_held_and_credited() {
        let mut d = Decoder::new();
        assert_eq!(
            d.decode(linktype::ETHERNET, 0, &frag(9, 17, 1480, false, &[0; 100])),
            Err(Skip::FragmentHeld)
        );
        let p = d
            .decode(
                linktype::ETHERNET,
                1,
                &frag(9, 17, 0, true, &udp_hdr_then(1472)),
            )
            .unwrap();
        assert_eq!(p.payload_len, 1572);
        assert_eq!(d.frag_stats().held, 1);
    }

    #[test]
    fn teardrop_overlap_is_wrong() {
        let mut d = Decoder::new();
        let p1 = d
            .decode(
                linktype::ETHERNET,
                0,
                &frag(3, 17, 0, true, &udp_hdr_then(24)),
            )
            .unwrap();
        assert_eq!(p1.wrong_fragments, 0);
        let p2 = d
            .decode(linktype::ETHERNET, 1, &frag(3, 17, 24, false, &[0; 4]))
            .unwrap();
        assert_eq!(p2.wrong_fragments, 1);
        assert_eq!(d.frag_stats().wrong, 1);
    }

    #[test]
    fn ping_of_death_and_odd_length_are_wrong() {
        let mut d = Decoder::new();
        let mut icmp = vec![8, 0, 0, 0, 0, 1, 0, 1];
        icmp.resize(1480, 0);
        let p = d
            .decode(linktype::ETHERNET, 0, &frag(5, 1, 0, true, &icmp))
            .unwrap();
        assert_eq!(p.wrong_fragments, 0);
        assert_eq!(
            p.transport,
            Transport::Icmp {
                icmp_type: 8,
                code: 0
            }
        );
        let p = d
            .decode(linktype::ETHERNET, 1, &frag(5, 1, 65520, false, &[0; 100]))
            .unwrap();
        assert_eq!(p.wrong_fragments, 1);
        // Non-final fragment with a length that is not a multiple of 8.
        let p = d
            .decode(
                linktype::ETHERNET,
                2,
                &frag(6, 17, 0, true, &udp_hdr_then(13)),
            )
            .unwrap();
        assert_eq!(p.wrong_fragments, 1);
    }

    #[test]
    fn fragment_flood_stays_bounded() {
        let mut d = Decoder::with_frag_capacity(64);
        let mut held = 0;
        for i in 0..10_000u32 {
            let f = frag(i as u16, 17, 8, true, &[0; 16]);
            if d.decode(linktype::ETHERNET, u64::from(i), &f) == Err(Skip::FragmentHeld) {
                held += 1;
            }
            assert!(d.frag_table_len() <= 64);
        }
        assert_eq!(held, 10_000);
        assert_eq!(d.frag_stats().evicted, 10_000 - 64);
        assert_eq!(d.frag_stats().orphaned, 10_000 - 64);
    }

    #[test]
    fn fragment_entries_expire() {
        let mut d = Decoder::new();
        d.decode(
            linktype::ETHERNET,
            0,
            &frag(1, 17, 0, true, &udp_hdr_then(24)),
        )
        .unwrap();
        // Same id 31 s later: treated as a new datagram, so a non-first fragment is held.
        let late = FRAG_TIMEOUT + NANOS_PER_SEC;
        assert_eq!(
            d.decode(linktype::ETHERNET, late, &frag(1, 17, 32, false, &[0; 8])),
            Err(Skip::FragmentHeld)
        );
    }

    #[test]
    fn ipv6_fragments_attributed() {
        let s6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let d6 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let frag6 = |offset: u16, more: bool, data: &[u8]| {
            let mut v = Vec::new();
            etherparse::Ipv6Header {
                payload_length: (8 + data.len()) as u16,
                next_header: IpNumber::IPV6_FRAGMENTATION_HEADER,
                hop_limit: 64,
                source: s6,
                destination: d6,
                ..Default::default()
            }
            .write(&mut v)
            .unwrap();
            let off = (offset / 8) << 3 | u16::from(more);
            v.extend_from_slice(&[17, 0]);
            v.extend_from_slice(&off.to_be_bytes());
            v.extend_from_slice(&0xdead_beefu32.to_be_bytes());
            v.extend_from_slice(data);
            v
        };
        let mut d = Decoder::new();
        let p1 = d
            .decode(linktype::RAW, 0, &frag6(0, true, &udp_hdr_then(1224)))
            .unwrap();
        assert_eq!(p1.payload_len, 1224);
        let p2 = d
            .decode(linktype::RAW, 1, &frag6(1232, false, &[0; 300]))
            .unwrap();
        assert_eq!(p2.transport, p1.transport);
        assert_eq!((p2.payload_len, p2.wrong_fragments), (300, 0));
        // Overlapping retransmission of the tail is wrong.
        let p3 = d
            .decode(linktype::RAW, 2, &frag6(1224, false, &[0; 16]))
            .unwrap();
        assert_eq!(p3.wrong_fragments, 1);
    }

    #[test]
    fn ipv6_chain_cut_after_fragment_header() {
        // Found by fuzzing: a fragment header whose next header (hop-by-hop) is cut
        // short. etherparse's lax parse stops there; its extension iterator then read past
        // the end of the chain (out-of-bounds get_unchecked). The fragment is still found.
        let mut v = Vec::new();
        etherparse::Ipv6Header {
            payload_length: 16,
            next_header: IpNumber::IPV6_FRAGMENTATION_HEADER,
            hop_limit: 64,
            source: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
            destination: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
            ..Default::default()
        }
        .write(&mut v)
        .unwrap();
        v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 7]); // fragment: next hop-by-hop, M=1
        v.extend_from_slice(&[17, 5, 0, 0, 0, 0, 0, 0]); // hop-by-hop claiming 48 bytes
        let mut d = Decoder::new();
        assert!(d.decode(linktype::RAW, 0, &v).is_err());
        let frag = ipv6_fragment(IpNumber::IPV6_FRAGMENTATION_HEADER, &v[40..]).unwrap();
        assert_eq!((frag.offset, frag.more, frag.id), (0, true, 7));
        // A whole chain: hop-by-hop, then the fragment header (offset 1232, last).
        let chain = [44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0x04, 0xd0, 0, 0, 0, 9];
        let frag = ipv6_fragment(IpNumber::IPV6_HEADER_HOP_BY_HOP, &chain).unwrap();
        assert_eq!((frag.offset, frag.more, frag.id), (1232, false, 9));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut d = Decoder::with_frag_capacity(16);
        let mut s = 0x1234_5678_9abc_def0u64;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let seeds = [
            tcp_eth(40, false),
            frag(2, 17, 0, true, &udp_hdr_then(16)),
            frag(2, 6, 8, true, &[0; 16]),
        ];
        let lts = [0, 1, 12, 101, 108, 113, 228, 229, 276, 5];
        for i in 0..20_000 {
            let mut buf = seeds[i % seeds.len()].clone();
            if i % 4 == 0 {
                let n = (next() % 120) as usize;
                buf = (0..n).map(|_| next() as u8).collect();
            } else {
                for _ in 0..(next() % 6) {
                    let at = (next() as usize) % buf.len();
                    buf[at] = next() as u8;
                }
                buf.truncate((next() as usize) % (buf.len() + 1));
            }
            let lt = lts[(next() as usize) % lts.len()];
            let _ = d.decode(lt, next() % 100 * NANOS_PER_SEC, &buf);
        }
    }
}
