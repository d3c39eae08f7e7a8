//! Connection tracking: decoded packets → KDD connection records.
//!
//! # Connections
//! * TCP and UDP: one connection per 5-tuple; both directions map to it (the key is
//!   the tuple with its two endpoints in canonical order). The originator is the sender
//!   of the first packet seen — except that a TCP connection whose first packet is a
//!   SYN-ACK is flipped so the SYN-ACK's sender is the responder, as Zeek does (this is
//!   what makes Zeek's RSTRH/SHR states meaningful).
//! * ICMP: one flow per (src, dst, type, code), unidirectional. KDD's ICMP services are
//!   per message type (`eco_i`, `ecr_i`, …) and in the KDD data ICMP records carry
//!   `dst_bytes = 0` (e.g. smurf `0,icmp,ecr_i,SF,1032,0,…`); the AI-IDS extractor
//!   likewise emits a ping as an `eco_i` record plus an `ecr_i` record. So by default
//!   an echo reply is its **own** `ecr_i` flow. With
//!   [`TrackerConfig::icmp_pair_replies`] a reply (0/14/16/18) is instead added, as
//!   responder bytes, to the open request flow (8/13/15/17) of the opposite direction
//!   if there is one; unanswered requests and unsolicited replies (smurf) are
//!   unaffected. Record ports for ICMP are (type, code), Zeek's convention.
//!
//! # TCP state machine and KDD flags
//! Each endpoint has a state as in Bro/Zeek's TCP analyzer — inactive, SYN sent,
//! SYN-ACK sent (by an originator), partial (data without a SYN), established, closed
//! (FIN sent), reset (RST sent) — and the flag is Bro's `conn_state()` of the pair,
//! transcribed from Bro's `conn.bro` (the Zeek `conn.log` documentation gives the same
//! meanings). Endpoint transitions (after Zeek's `TCP_Analyzer::UpdateInactiveState` /
//! `UpdateClosedState`):
//! * SYN from an inactive originator → SYN sent (SYN-ACK sent if it carries ACK).
//! * SYN (with or without ACK) from an inactive responder → responder established, and
//!   an originator in SYN sent becomes established too. So a SYN-ACK alone makes the
//!   connection S1 (the final ACK is not needed), and simultaneous open is S1.
//!   Retransmitted SYNs change nothing.
//! * FIN → closed (unless reset). RST → reset, except from a closed endpoint whose peer
//!   is also closed (Zeek: "this connection has already seen a FIN exchange").
//! * Anything else from an inactive endpoint → partial.
//!
//! `conn_state` then gives: REJ (responder reset while the originator was still in SYN
//! sent, or both reset with no payload), RSTR, RSTO, RSTOS0 (originator reset, responder
//! silent), SF (both closed), S2 / SH (originator closed, responder active / silent),
//! S3 (responder closed), S0 (SYN sent, responder silent), S1 (both established), OTH
//! (everything else, e.g. midstream). Zeek's two extra states map to the nearest KDD
//! flag: **RSTRH** (responder SYN-ACK then RST, no SYN seen) → `RSTR` (the responder
//! did reset); **SHR** (responder SYN-ACK then FIN, no SYN seen) → `OTH` (no handshake
//! from the originator, so not S3 — which would also count as a SYN error).
//!
//! Note the AI-IDS extractor's bug this avoids: it moves a first SYN to S1, so an
//! unanswered SYN is never S0 and a refused one never REJ.
//!
//! UDP and ICMP records always carry `SF`, as in the KDD data (Bro's UDP S0/SHR states
//! do not occur there).
//!
//! # When records are emitted
//! * TCP close: on the final ACK after FINs both ways, or on a RST. The entry then
//!   stays for a short *linger* ([`TrackerConfig::tcp_linger`]) as a tombstone that
//!   absorbs retransmitted ACK/FIN/RST packets, so they do not start a new (OTH)
//!   connection; a fresh SYN (no ACK) on a tombstone starts a new connection (port
//!   reuse). If the final ACK never comes, the record is emitted when the linger runs
//!   out.
//! * Idle timeouts, in packet time (each `push` first expires what is due at the
//!   packet's timestamp; [`Tracker::advance`] does the same from a wall-clock tick):
//!   half-open TCP (a side never heard from: S0, SH, one-sided traffic), established
//!   TCP (incl. S2/S3), UDP, ICMP — see [`TrackerConfig`].
//! * [`Tracker::finish`] flushes everything at EOF.
//!
//! Expiry is amortised O(1): connections live in one intrusive LRU list per timeout
//! class (half-open, established, closing, tombstone, UDP, ICMP); within a class all
//! share one timeout, so list order is deadline order and only list heads are checked.
//!
//! # Bounded table
//! At most [`TrackerConfig::max_connections`] entries (tombstones included). When full,
//! a new connection first drops the oldest tombstone (no record lost), else **emits**
//! the oldest half-open connection as an `Evicted` record — under a SYN flood these are
//! the flood, and reporting them keeps it visible to the traffic features — else emits
//! the least recently active connection of any other class. Counted in
//! [`TrackerStats::evicted_half_open`] / [`TrackerStats::evicted_other`]. All O(1).
//!
//! # Basic features
//! `duration` is whole seconds, truncated ([`ConnRecord::duration_secs`], as AI-IDS);
//! `src_bytes`/`dst_bytes` sum `payload_len` per direction; `land` = same address and
//! port both ends (ICMP: same address); `wrong_fragment` sums `wrong_fragments`;
//! `urgent` counts packets with URG.

use std::net::{IpAddr, Ipv6Addr};

use rustc_hash::FxHashMap;

use super::packet::{NANOS_PER_SEC, Nanos, Packet, TcpFlags, Transport};
use super::record::{ConnRecord, EndReason};
use crate::kdd::window::{ServiceKey, ip_bits};
use crate::kdd::{Flag, ProtocolType, Service, TrafficWindows, WindowConfig, WindowInput};

/// Tracker parameters. Times are packet-time nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Table cap (default 2^17 = 131 072 entries ≈ 30 MB: slab slot ~112 B + hash
    /// entry ~65 B at ≤ 7/8 load). Well above the concurrent flows of a busy site link,
    /// and a flood only ever displaces half-open entries first.
    pub max_connections: usize,
    /// Idle timeout for TCP with a silent side (S0, SH, one-sided): 5 s. Short so a
    /// SYN flood is reported within seconds; long enough that the first two SYN
    /// retransmissions (1 s, then 2 s later) keep an attempt alive.
    pub tcp_half_open_timeout: Nanos,
    /// Idle timeout for TCP with both sides seen (S1, S2, S3, OTH): 300 s (Zeek's
    /// `tcp_inactivity_timeout`).
    pub tcp_established_timeout: Nanos,
    /// Linger after a TCP close / RST, and the wait for the final ACK after FINs both
    /// ways: 2 s (covers delayed-ACK and one retransmission of the last segment).
    pub tcp_linger: Nanos,
    /// UDP idle timeout: 60 s (Zeek's `udp_inactivity_timeout`).
    pub udp_timeout: Nanos,
    /// ICMP idle timeout: 0 by default, one record per message, as in the KDD data
    /// (its 280,790 smurf rows are single echo replies of 520 or 1032 bytes); a few
    /// seconds makes a `ping` session at 1/s one flow instead.
    pub icmp_timeout: Nanos,
    /// Pair ICMP replies with the request flow (default false, see module docs).
    pub icmp_pair_replies: bool,
    /// Traffic-feature windows.
    pub window: WindowConfig,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            max_connections: 1 << 17,
            tcp_half_open_timeout: 5 * NANOS_PER_SEC,
            tcp_established_timeout: 300 * NANOS_PER_SEC,
            tcp_linger: 2 * NANOS_PER_SEC,
            udp_timeout: 60 * NANOS_PER_SEC,
            icmp_timeout: 0,
            icmp_pair_replies: false,
            window: WindowConfig::default(),
        }
    }
}

/// Counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TrackerStats {
    pub packets: u64,
    /// Connections created.
    pub connections: u64,
    /// Records emitted (= closed + timed_out + evicted_* + flushed).
    pub records: u64,
    pub closed: u64,
    pub timed_out: u64,
    /// Half-open connections emitted early because the table was full.
    pub evicted_half_open: u64,
    /// Other connections emitted early because the table was full.
    pub evicted_other: u64,
    pub flushed: u64,
    /// Tombstones dropped early because the table was full.
    pub tombstones_dropped: u64,
    /// Packets absorbed by a closed connection's linger.
    pub absorbed_after_close: u64,
    /// SYNs that reopened a closed 5-tuple.
    pub reused: u64,
    /// ICMP replies added to their request's flow (`icmp_pair_replies`).
    pub icmp_paired: u64,
}

/// Endpoint state (Bro/Zeek's `TCP_ENDPOINT_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ep {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
}

/// Zeek's `conn_state` values (13), before mapping to KDD's 11.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ZeekState {
    Kdd(Flag),
    Rstrh,
    Shr,
}

/// Bro `conn.bro` `conn_state()` for TCP.
fn zeek_state(os: Ep, rs: Ep, orig_bytes: u64, resp_bytes: u64) -> ZeekState {
    use Ep::*;
    use ZeekState::*;
    let o_inactive = matches!(os, Inactive | Partial);
    let r_inactive = matches!(rs, Inactive | Partial);
    if rs == Reset {
        if matches!(os, SynSent | SynAckSent) || (os == Reset && orig_bytes == 0 && resp_bytes == 0)
        {
            Kdd(Flag::REJ)
        } else if o_inactive {
            Rstrh
        } else {
            Kdd(Flag::RSTR)
        }
    } else if os == Reset {
        Kdd(if r_inactive { Flag::RSTOS0 } else { Flag::RSTO })
    } else if rs == Closed && os == Closed {
        Kdd(Flag::SF)
    } else if os == Closed {
        Kdd(if r_inactive { Flag::SH } else { Flag::S2 })
    } else if rs == Closed {
        if o_inactive { Shr } else { Kdd(Flag::S3) }
    } else if os == SynSent && rs == Inactive {
        Kdd(Flag::S0)
    } else if os == Established && rs == Established {
        Kdd(Flag::S1)
    } else {
        Kdd(Flag::OTH)
    }
}

fn kdd_flag(z: ZeekState) -> Flag {
    match z {
        ZeekState::Kdd(f) => f,
        ZeekState::Rstrh => Flag::RSTR,
        ZeekState::Shr => Flag::OTH,
    }
}

/// Timeout classes, one LRU list each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    HalfOpen = 0,
    Established = 1,
    Closing = 2,
    Tomb = 3,
    Udp = 4,
    Icmp = 5,
}
const N_CLASSES: usize = 6;
const CLASSES: [Class; N_CLASSES] = [
    Class::HalfOpen,
    Class::Established,
    Class::Closing,
    Class::Tomb,
    Class::Udp,
    Class::Icmp,
];

const NIL: u32 = u32::MAX;
const PROTO_ICMP: u8 = 1;
const PROTO_TCP: u8 = 6;
const PROTO_UDP: u8 = 17;

/// Table key: addresses and ports of endpoints `a` and `b` (canonical order for
/// TCP/UDP; ICMP: a = src, b = dst, ports = type << 16 | code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    a: u128,
    b: u128,
    ports: u32,
    proto: u8,
}

impl Key {
    fn pair(proto: u8, src: u128, sp: u16, dst: u128, dp: u16) -> Key {
        if (src, sp) <= (dst, dp) {
            Key {
                a: src,
                b: dst,
                ports: (sp as u32) << 16 | dp as u32,
                proto,
            }
        } else {
            Key {
                a: dst,
                b: src,
                ports: (dp as u32) << 16 | sp as u32,
                proto,
            }
        }
    }
    fn icmp(src: u128, dst: u128, icmp_type: u8, code: u8) -> Key {
        Key {
            a: src,
            b: dst,
            ports: (icmp_type as u32) << 16 | code as u32,
            proto: PROTO_ICMP,
        }
    }
    fn a_port(&self) -> u16 {
        (self.ports >> 16) as u16
    }
    fn b_port(&self) -> u16 {
        self.ports as u16
    }
}

#[derive(Debug, Clone)]
struct Conn {
    key: Key,
    start: Nanos,
    last: Nanos,
    src_bytes: u64,
    dst_bytes: u64,
    orig_pkts: u32,
    resp_pkts: u32,
    wrong_fragment: u32,
    urgent: u32,
    prev: u32,
    next: u32,
    service: Service,
    os: Ep,
    rs: Ep,
    class: Class,
    /// Originator is key endpoint `a` (else `b`).
    orig_is_a: bool,
}

impl Conn {
    fn orig(&self) -> (u128, u16) {
        if self.orig_is_a {
            (self.key.a, self.key.a_port())
        } else {
            (self.key.b, self.key.b_port())
        }
    }
    fn resp(&self) -> (u128, u16) {
        if self.orig_is_a {
            (self.key.b, self.key.b_port())
        } else {
            (self.key.a, self.key.a_port())
        }
    }
    fn protocol(&self) -> ProtocolType {
        match self.key.proto {
            PROTO_TCP => ProtocolType::Tcp,
            PROTO_UDP => ProtocolType::Udp,
            _ => ProtocolType::Icmp,
        }
    }
    fn flag(&self) -> Flag {
        match self.key.proto {
            PROTO_TCP => kdd_flag(zeek_state(self.os, self.rs, self.src_bytes, self.dst_bytes)),
            _ => Flag::SF,
        }
    }
    fn count(&mut self, p: &Packet, from_orig: bool) {
        if from_orig {
            self.src_bytes += p.payload_len as u64;
            self.orig_pkts += 1;
        } else {
            self.dst_bytes += p.payload_len as u64;
            self.resp_pkts += 1;
        }
        self.wrong_fragment += p.wrong_fragments as u32;
        self.last = self.last.max(p.ts);
    }
}

#[derive(Debug, Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

fn bits_ip(b: u128) -> IpAddr {
    let v6 = Ipv6Addr::from(b);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// The connection tracker. Feed packets in capture order.
#[derive(Debug)]
pub struct Tracker {
    cfg: TrackerConfig,
    timeouts: [Nanos; N_CLASSES],
    map: FxHashMap<Key, u32>,
    slots: Vec<Conn>,
    free: Vec<u32>,
    lists: [List; N_CLASSES],
    now: Nanos,
    windows: TrafficWindows,
    stats: TrackerStats,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        let mut timeouts = [0; N_CLASSES];
        timeouts[Class::HalfOpen as usize] = cfg.tcp_half_open_timeout;
        timeouts[Class::Established as usize] = cfg.tcp_established_timeout;
        timeouts[Class::Closing as usize] = cfg.tcp_linger;
        timeouts[Class::Tomb as usize] = cfg.tcp_linger;
        timeouts[Class::Udp as usize] = cfg.udp_timeout;
        timeouts[Class::Icmp as usize] = cfg.icmp_timeout;
        Tracker {
            cfg,
            timeouts,
            map: FxHashMap::default(),
            slots: Vec::new(),
            free: Vec::new(),
            lists: [List {
                head: NIL,
                tail: NIL,
            }; N_CLASSES],
            now: 0,
            windows: TrafficWindows::new(cfg.window),
            stats: TrackerStats::default(),
        }
    }

    pub fn config(&self) -> &TrackerConfig {
        &self.cfg
    }

    pub fn stats(&self) -> TrackerStats {
        self.stats
    }

    /// Entries in the table (open connections plus lingering tombstones); never above
    /// `max_connections` between calls.
    pub fn open_connections(&self) -> usize {
        self.map.len()
    }

    /// Tracks one packet; records that end (closed, timed out at this packet's time,
    /// evicted) are appended to `out` with their traffic features filled in.
    pub fn push(&mut self, p: &Packet, out: &mut Vec<ConnRecord>) {
        self.stats.packets += 1;
        // A packet older than the clock (reordered capture) does not move it back.
        self.now = self.now.max(p.ts);
        self.expire(self.now, out);
        let src = ip_bits(p.src);
        let dst = ip_bits(p.dst);
        match p.transport {
            Transport::Tcp {
                src_port,
                dst_port,
                flags,
            } => self.tcp(p, (src, src_port), (dst, dst_port), flags, out),
            Transport::Udp { src_port, dst_port } => {
                let key = Key::pair(PROTO_UDP, src, src_port, dst, dst_port);
                let idx = match self.map.get(&key) {
                    Some(&i) => i,
                    None => {
                        let svc = Service::of(ProtocolType::Udp, src_port, dst_port);
                        self.create(key, (src, src_port), svc, p.ts, out)
                    }
                };
                self.count(idx, p, src, src_port);
                self.touch(idx, Class::Udp);
            }
            Transport::Icmp { icmp_type, code } => self.icmp(p, src, dst, icmp_type, code, out),
        }
    }

    /// Expires what is due at `now` (e.g. a wall-clock tick when no packets arrive).
    pub fn advance(&mut self, now: Nanos, out: &mut Vec<ConnRecord>) {
        self.now = self.now.max(now);
        self.expire(self.now, out);
    }

    /// Emits every open connection (reason `Flushed`), oldest activity first, and
    /// empties the table.
    pub fn finish(&mut self, out: &mut Vec<ConnRecord>) {
        loop {
            let mut best: Option<(Nanos, Class)> = None;
            for cl in CLASSES {
                let h = self.lists[cl as usize].head;
                if h == NIL {
                    continue;
                }
                let last = self.slots[h as usize].last;
                if best.is_none_or(|(b, _)| last < b) {
                    best = Some((last, cl));
                }
            }
            let Some((_, cl)) = best else { break };
            let idx = self.lists[cl as usize].head;
            if cl == Class::Tomb {
                self.remove(idx);
            } else {
                self.emit(idx, EndReason::Flushed, false, out);
            }
        }
    }

    fn tcp(
        &mut self,
        p: &Packet,
        (src, sp): (u128, u16),
        (dst, dp): (u128, u16),
        flags: TcpFlags,
        out: &mut Vec<ConnRecord>,
    ) {
        let key = Key::pair(PROTO_TCP, src, sp, dst, dp);
        let fresh_syn = flags.syn() && !flags.ack();
        if let Some(&idx) = self.map.get(&key) {
            let c = &self.slots[idx as usize];
            if c.class == Class::Tomb {
                if !fresh_syn {
                    self.stats.absorbed_after_close += 1;
                    let c = &mut self.slots[idx as usize];
                    c.last = c.last.max(p.ts);
                    self.touch(idx, Class::Tomb);
                    return;
                }
                // Port reuse after close: a new connection.
                self.remove(idx);
                self.stats.reused += 1;
            } else if fresh_syn && c.os == Ep::Closed && c.rs == Ep::Closed {
                // FINs both ways but no final ACK yet, and already a new SYN.
                self.emit(idx, EndReason::Closed, false, out);
                self.stats.reused += 1;
            } else {
                self.tcp_update(idx, p, src, sp, flags, out);
                return;
            }
        }
        // Zeek flips a connection first seen as a SYN-ACK: its sender is the responder.
        let flip = flags.syn() && flags.ack();
        let (orig, resp) = if flip {
            ((dst, dp), (src, sp))
        } else {
            ((src, sp), (dst, dp))
        };
        let svc = Service::of(ProtocolType::Tcp, orig.1, resp.1);
        let idx = self.create(key, orig, svc, p.ts, out);
        self.tcp_update(idx, p, src, sp, flags, out);
    }

    fn tcp_update(
        &mut self,
        idx: u32,
        p: &Packet,
        src: u128,
        sp: u16,
        flags: TcpFlags,
        out: &mut Vec<ConnRecord>,
    ) {
        let from_orig = self.count(idx, p, src, sp);
        let c = &mut self.slots[idx as usize];
        c.urgent += flags.urg() as u32;
        let (mut ep, mut peer) = if from_orig {
            (c.os, c.rs)
        } else {
            (c.rs, c.os)
        };
        if flags.syn() && ep == Ep::Inactive {
            if from_orig {
                ep = if flags.ack() {
                    Ep::SynAckSent
                } else {
                    Ep::SynSent
                };
            } else {
                // SYN-ACK, or the second SYN of a simultaneous open.
                if matches!(peer, Ep::SynSent | Ep::SynAckSent) {
                    peer = Ep::Established;
                }
                ep = Ep::Established;
            }
        }
        if flags.fin() && ep != Ep::Reset {
            ep = Ep::Closed;
        }
        if flags.rst() && !(ep == Ep::Closed && peer == Ep::Closed) {
            ep = Ep::Reset;
        }
        if !flags.syn() && !flags.fin() && !flags.rst() && ep == Ep::Inactive {
            ep = Ep::Partial;
        }
        if from_orig {
            (c.os, c.rs) = (ep, peer);
        } else {
            (c.rs, c.os) = (ep, peer);
        }
        let (os, rs) = (c.os, c.rs);
        if os == Ep::Reset || rs == Ep::Reset {
            self.emit(idx, EndReason::Closed, true, out);
        } else if os == Ep::Closed && rs == Ep::Closed {
            if flags.fin() {
                self.touch(idx, Class::Closing); // wait for the final ACK
            } else {
                self.emit(idx, EndReason::Closed, true, out);
            }
        } else if os == Ep::Inactive || rs == Ep::Inactive {
            self.touch(idx, Class::HalfOpen);
        } else {
            self.touch(idx, Class::Established);
        }
    }

    fn icmp(
        &mut self,
        p: &Packet,
        src: u128,
        dst: u128,
        icmp_type: u8,
        code: u8,
        out: &mut Vec<ConnRecord>,
    ) {
        let key = Key::icmp(src, dst, icmp_type, code);
        let idx = if let Some(&i) = self.map.get(&key) {
            i
        } else if let Some(i) = self.request_of(src, dst, icmp_type) {
            self.stats.icmp_paired += 1;
            i
        } else {
            let svc = Service::for_icmp(icmp_type, code);
            self.create(key, (src, icmp_type as u16), svc, p.ts, out)
        };
        let c = &mut self.slots[idx as usize];
        // Originator iff the packet has the flow's own type from its source (a paired
        // reply has the reply type and comes from the flow's destination).
        let from_orig = c.key.a == src && c.key.a_port() == icmp_type as u16;
        c.count(p, from_orig);
        self.touch(idx, Class::Icmp);
    }

    /// The open request flow a reply belongs to, with `icmp_pair_replies`.
    fn request_of(&self, src: u128, dst: u128, icmp_type: u8) -> Option<u32> {
        if !self.cfg.icmp_pair_replies {
            return None;
        }
        let req = match icmp_type {
            0 => 8,
            14 => 13,
            16 => 15,
            18 => 17,
            _ => return None,
        };
        self.map.get(&Key::icmp(dst, src, req, 0)).copied()
    }

    /// Counts the packet; returns whether it came from the originator.
    fn count(&mut self, idx: u32, p: &Packet, src: u128, sp: u16) -> bool {
        let c = &mut self.slots[idx as usize];
        let from_orig = c.orig() == (src, sp);
        c.count(p, from_orig);
        from_orig
    }

    fn create(
        &mut self,
        key: Key,
        orig: (u128, u16),
        service: Service,
        ts: Nanos,
        out: &mut Vec<ConnRecord>,
    ) -> u32 {
        while self.map.len() >= self.cfg.max_connections.max(1) {
            self.evict_one(out);
        }
        self.stats.connections += 1;
        let conn = Conn {
            key,
            start: ts,
            last: ts,
            src_bytes: 0,
            dst_bytes: 0,
            orig_pkts: 0,
            resp_pkts: 0,
            wrong_fragment: 0,
            urgent: 0,
            prev: NIL,
            next: NIL,
            service,
            os: Ep::Inactive,
            rs: Ep::Inactive,
            // Placeholder class; the caller's `touch` links it into its real list.
            class: Class::HalfOpen,
            orig_is_a: (key.a, key.a_port()) == orig,
        };
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = conn;
                i
            }
            None => {
                self.slots.push(conn);
                (self.slots.len() - 1) as u32
            }
        };
        self.map.insert(key, idx);
        self.link(idx, Class::HalfOpen);
        idx
    }

    fn evict_one(&mut self, out: &mut Vec<ConnRecord>) {
        let tomb = self.lists[Class::Tomb as usize].head;
        if tomb != NIL {
            self.stats.tombstones_dropped += 1;
            self.remove(tomb);
            return;
        }
        let half = self.lists[Class::HalfOpen as usize].head;
        if half != NIL {
            self.stats.evicted_half_open += 1;
            self.emit(half, EndReason::Evicted, false, out);
            return;
        }
        let mut best: Option<(Nanos, u32)> = None;
        for cl in [Class::Established, Class::Closing, Class::Udp, Class::Icmp] {
            let h = self.lists[cl as usize].head;
            if h != NIL {
                let last = self.slots[h as usize].last;
                if best.is_none_or(|(b, _)| last < b) {
                    best = Some((last, h));
                }
            }
        }
        if let Some((_, h)) = best {
            self.stats.evicted_other += 1;
            self.emit(h, EndReason::Evicted, false, out);
        }
    }

    /// Emits due connections in deadline order.
    fn expire(&mut self, now: Nanos, out: &mut Vec<ConnRecord>) {
        loop {
            let mut best: Option<(Nanos, Class)> = None;
            for cl in CLASSES {
                let h = self.lists[cl as usize].head;
                if h == NIL {
                    continue;
                }
                let due = self.slots[h as usize]
                    .last
                    .saturating_add(self.timeouts[cl as usize]);
                if due <= now && best.is_none_or(|(b, _)| due < b) {
                    best = Some((due, cl));
                }
            }
            let Some((_, cl)) = best else { return };
            let idx = self.lists[cl as usize].head;
            match cl {
                Class::Tomb => self.remove(idx),
                Class::Closing => self.emit(idx, EndReason::Closed, false, out),
                _ => self.emit(idx, EndReason::Timeout, false, out),
            }
        }
    }

    /// Builds the record (with traffic features) and either frees the entry or turns it
    /// into a lingering tombstone.
    fn emit(&mut self, idx: u32, reason: EndReason, tombstone: bool, out: &mut Vec<ConnRecord>) {
        let c = &self.slots[idx as usize];
        let flag = c.flag();
        let (oip, oport) = c.orig();
        let (rip, rport) = c.resp();
        let protocol = c.protocol();
        // ICMP keeps its type in the originator's port field.
        let service_port = if protocol == ProtocolType::Icmp {
            oport
        } else {
            rport
        };
        let traffic = self.windows.observe(&WindowInput {
            ts: c.last,
            dst: rip,
            src_port: oport,
            service: ServiceKey::new(protocol, c.service, service_port),
            flag,
        });
        let land = oip == rip && (protocol == ProtocolType::Icmp || oport == rport);
        out.push(ConnRecord {
            start: c.start,
            end: c.last,
            orig_ip: bits_ip(oip),
            orig_port: oport,
            resp_ip: bits_ip(rip),
            resp_port: rport,
            protocol,
            service: c.service.name(),
            flag,
            src_bytes: c.src_bytes,
            dst_bytes: c.dst_bytes,
            land,
            wrong_fragment: c.wrong_fragment,
            urgent: c.urgent,
            orig_packets: c.orig_pkts,
            resp_packets: c.resp_pkts,
            end_reason: reason,
            traffic,
        });
        self.stats.records += 1;
        match reason {
            EndReason::Closed => self.stats.closed += 1,
            EndReason::Timeout => self.stats.timed_out += 1,
            EndReason::Evicted => {} // counted by the caller, per class
            EndReason::Flushed => self.stats.flushed += 1,
        }
        if tombstone {
            self.touch(idx, Class::Tomb);
        } else {
            self.remove(idx);
        }
    }

    fn remove(&mut self, idx: u32) {
        self.unlink(idx);
        let key = self.slots[idx as usize].key;
        self.map.remove(&key);
        self.free.push(idx);
    }

    /// Moves the entry to the tail (most recent) of `class`'s list.
    fn touch(&mut self, idx: u32, class: Class) {
        let c = &self.slots[idx as usize];
        if c.class == class && self.lists[class as usize].tail == idx {
            return;
        }
        self.unlink(idx);
        self.link(idx, class);
    }

    fn link(&mut self, idx: u32, class: Class) {
        let list = &mut self.lists[class as usize];
        let tail = list.tail;
        list.tail = idx;
        if tail == NIL {
            list.head = idx;
        } else {
            self.slots[tail as usize].next = idx;
        }
        let c = &mut self.slots[idx as usize];
        c.prev = tail;
        c.next = NIL;
        c.class = class;
    }

    fn unlink(&mut self, idx: u32) {
        let c = &self.slots[idx as usize];
        let (prev, next, class) = (c.prev, c.next, c.class);
        let list = &mut self.lists[class as usize];
        if prev == NIL {
            list.head = next;
        } else {
            self.slots[prev as usize].next = next;
        }
        if next == NIL {
            self.lists[class as usize].tail = prev;
        } else {
            self.slots[next as usize].prev = prev;
        }
        let c = &mut self.slots[idx as usize];
        c.prev = NIL;
        c.next = NIL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    /// Window features in these cases are hand-computed over earlier connections only,
    /// and ICMP messages within 2 s form one flow (the default is one record each,
    /// tested in `one_icmp_record_per_message_by_default`).
    fn tracker_config() -> TrackerConfig {
        TrackerConfig {
            icmp_timeout: 2 * NANOS_PER_SEC,
            window: WindowConfig {
                include_current: false,
                ..WindowConfig::default()
            },
            ..TrackerConfig::default()
        }
    }

    const MS: Nanos = 1_000_000;
    const SEC: Nanos = NANOS_PER_SEC;
    const FIN: u8 = TcpFlags::FIN;
    const SYN: u8 = TcpFlags::SYN;
    const RST: u8 = TcpFlags::RST;
    const ACK: u8 = TcpFlags::ACK;
    const PSH: u8 = TcpFlags::PSH;
    const URG: u8 = TcpFlags::URG;

    const CLI: (u8, u16) = (1, 40000);
    const SRV: (u8, u16) = (2, 80);

    fn ip(x: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, x))
    }

    fn tcp(ts: Nanos, from: (u8, u16), to: (u8, u16), flags: u8, len: u32) -> Packet {
        Packet {
            ts,
            src: ip(from.0),
            dst: ip(to.0),
            transport: Transport::Tcp {
                src_port: from.1,
                dst_port: to.1,
                flags: TcpFlags(flags),
            },
            payload_len: len,
            wrong_fragments: 0,
        }
    }

    fn udp(ts: Nanos, from: (u8, u16), to: (u8, u16), len: u32) -> Packet {
        Packet {
            ts,
            src: ip(from.0),
            dst: ip(to.0),
            transport: Transport::Udp {
                src_port: from.1,
                dst_port: to.1,
            },
            payload_len: len,
            wrong_fragments: 0,
        }
    }

    fn icmp(ts: Nanos, from: u8, to: u8, icmp_type: u8, len: u32) -> Packet {
        Packet {
            ts,
            src: ip(from),
            dst: ip(to),
            transport: Transport::Icmp { icmp_type, code: 0 },
            payload_len: len,
            wrong_fragments: 0,
        }
    }

    /// Runs a sequence of (ms, from_client, flags, payload) on CLI↔SRV, then finishes.
    fn run(seq: &[(u64, bool, u8, u32)]) -> Vec<ConnRecord> {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        for &(ms, c2s, flags, len) in seq {
            let p = if c2s {
                tcp(ms * MS, CLI, SRV, flags, len)
            } else {
                tcp(ms * MS, SRV, CLI, flags, len)
            };
            t.push(&p, &mut out);
        }
        t.finish(&mut out);
        out
    }

    fn flag_of(seq: &[(u64, bool, u8, u32)]) -> Flag {
        let out = run(seq);
        assert_eq!(out.len(), 1, "{out:?}");
        out[0].flag
    }

    const HS: [(u64, bool, u8, u32); 3] = [
        (0, true, SYN, 0),
        (1, false, SYN | ACK, 0),
        (2, true, ACK, 0),
    ];

    fn hs_then(rest: &[(u64, bool, u8, u32)]) -> Vec<(u64, bool, u8, u32)> {
        let mut v = HS.to_vec();
        v.extend_from_slice(rest);
        v
    }

    #[test]
    fn flag_s0() {
        assert_eq!(flag_of(&[(0, true, SYN, 0)]), Flag::S0);
    }

    #[test]
    fn flag_s1() {
        assert_eq!(flag_of(&hs_then(&[(3, true, PSH | ACK, 10)])), Flag::S1);
        // SYN-ACK alone establishes (Zeek).
        assert_eq!(flag_of(&HS[..2]), Flag::S1);
    }

    #[test]
    fn flag_sf_http_exchange() {
        let out = run(&hs_then(&[
            (3, true, PSH | ACK, 120),
            (10, false, ACK, 0),
            (20, false, PSH | ACK, 1400),
            (21, false, PSH | ACK, 600),
            (22, true, ACK, 0),
            (1500, true, FIN | ACK, 0),
            (1501, false, FIN | ACK, 0),
            (1502, true, ACK, 0),
        ]));
        assert_eq!(out.len(), 1);
        let r = &out[0];
        assert_eq!(r.flag, Flag::SF);
        assert_eq!(r.end_reason, EndReason::Closed);
        assert_eq!(r.protocol, ProtocolType::Tcp);
        assert_eq!(r.service, "http");
        assert_eq!((r.src_bytes, r.dst_bytes), (120, 2000));
        assert_eq!((r.orig_packets, r.resp_packets), (6, 5));
        assert_eq!(r.orig_ip, ip(1));
        assert_eq!((r.orig_port, r.resp_port), (40000, 80));
        assert_eq!(r.resp_ip, ip(2));
        assert_eq!(r.duration_secs(), 1);
        assert!(!r.land);
        assert_eq!(r.traffic(), [0.0; 19]);
    }

    #[test]
    fn sf_is_emitted_on_final_ack_not_at_finish() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        for &(ms, c2s, f, l) in &hs_then(&[
            (3, true, FIN | ACK, 0),
            (4, false, FIN | ACK, 0),
            (5, true, ACK, 0),
        ]) {
            let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
            t.push(&tcp(ms * MS, a, b, f, l), &mut out);
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::SF);
        assert_eq!(out[0].end_reason, EndReason::Closed);
    }

    #[test]
    fn flag_rej() {
        let out = run(&[(0, true, SYN, 0), (1, false, RST | ACK, 0)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::REJ);
        assert_eq!(out[0].end_reason, EndReason::Closed);
    }

    #[test]
    fn flag_s2_s3() {
        assert_eq!(flag_of(&hs_then(&[(3, true, FIN | ACK, 0)])), Flag::S2);
        assert_eq!(flag_of(&hs_then(&[(3, false, FIN | ACK, 0)])), Flag::S3);
    }

    #[test]
    fn flag_rsto_rstr() {
        assert_eq!(flag_of(&hs_then(&[(3, true, RST, 0)])), Flag::RSTO);
        assert_eq!(flag_of(&hs_then(&[(3, false, RST | ACK, 0)])), Flag::RSTR);
        // SYN scan with SYN-ACK answered by the scanner's RST: RSTO.
        assert_eq!(
            flag_of(&[
                (0, true, SYN, 0),
                (1, false, SYN | ACK, 0),
                (2, true, RST, 0)
            ]),
            Flag::RSTO
        );
    }

    #[test]
    fn flag_rstos0_sh() {
        assert_eq!(
            flag_of(&[(0, true, SYN, 0), (1, true, RST, 0)]),
            Flag::RSTOS0
        );
        assert_eq!(flag_of(&[(0, true, SYN, 0), (1, true, FIN, 0)]), Flag::SH);
        // SYN|FIN in one packet (a classic probe).
        assert_eq!(flag_of(&[(0, true, SYN | FIN, 0)]), Flag::SH);
    }

    #[test]
    fn flag_oth_midstream() {
        let seq = [
            (0, true, PSH | ACK, 100),
            (1, false, ACK, 0),
            (2, false, PSH | ACK, 50),
        ];
        let out = run(&seq);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::OTH);
        assert_eq!((out[0].src_bytes, out[0].dst_bytes), (100, 50));
    }

    #[test]
    fn zeek_only_states_are_mapped() {
        // First packet a SYN-ACK: flipped, its sender (the server) is the responder.
        let out = run(&[(0, false, SYN | ACK, 0), (1, false, RST, 0)]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].orig_ip, ip(1));
        assert_eq!(out[0].resp_port, 80);
        assert_eq!(out[0].service, "http");
        assert_eq!(zeek_state(Ep::Inactive, Ep::Reset, 0, 0), ZeekState::Rstrh);
        assert_eq!(out[0].flag, Flag::RSTR); // Zeek: RSTRH
        let out = run(&[(0, false, SYN | ACK, 0), (1, false, FIN, 0)]);
        assert_eq!(out[0].flag, Flag::OTH); // Zeek: SHR
        assert_eq!(zeek_state(Ep::Inactive, Ep::Closed, 0, 0), ZeekState::Shr);
    }

    #[test]
    fn simultaneous_open() {
        let seq = [
            (0, true, SYN, 0),
            (1, false, SYN, 0),
            (2, true, SYN | ACK, 0),
            (3, false, SYN | ACK, 0),
            (4, true, ACK, 5),
        ];
        assert_eq!(flag_of(&seq), Flag::S1);
    }

    #[test]
    fn retransmitted_syn_stays_one_s0() {
        let out = run(&[
            (0, true, SYN, 0),
            (1000, true, SYN, 0),
            (3000, true, SYN, 0),
        ]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::S0);
        assert_eq!(out[0].orig_packets, 3);
        assert_eq!(out[0].duration_secs(), 3);
    }

    #[test]
    fn rst_after_fin() {
        // Originator half-closed, then aborted: RSTO.
        assert_eq!(
            flag_of(&hs_then(&[(3, true, FIN | ACK, 0), (4, true, RST, 0)])),
            Flag::RSTO
        );
        // After FINs both ways a RST changes nothing (Zeek `UpdateClosedState`).
        let out = run(&hs_then(&[
            (3, true, FIN | ACK, 0),
            (4, false, FIN | ACK, 0),
            (5, true, RST, 0),
        ]));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::SF);
    }

    #[test]
    fn data_before_handshake() {
        // SYN with data, more data before the SYN-ACK, then a normal close.
        let seq = [
            (0, true, SYN, 20),
            (1, true, PSH | ACK, 30),
            (2, false, SYN | ACK, 0),
            (3, true, ACK, 0),
            (4, true, FIN | ACK, 0),
            (5, false, FIN | ACK, 0),
            (6, true, ACK, 0),
        ];
        let out = run(&seq);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::SF);
        assert_eq!(out[0].src_bytes, 50);
        // ...and with no reply at all it is still S0.
        assert_eq!(flag_of(&[(0, true, SYN, 20), (1, true, ACK, 30)]), Flag::S0);
    }

    #[test]
    fn linger_absorbs_trailing_packets_then_expires() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        t.push(&tcp(0, CLI, SRV, SYN, 0), &mut out);
        t.push(&tcp(MS, SRV, CLI, RST | ACK, 0), &mut out);
        assert_eq!(out.len(), 1);
        // Retransmitted RST and a late ACK within the linger: absorbed.
        t.push(&tcp(500 * MS, SRV, CLI, RST | ACK, 0), &mut out);
        t.push(&tcp(600 * MS, CLI, SRV, ACK, 0), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(t.stats().absorbed_after_close, 2);
        assert_eq!(t.open_connections(), 1);
        // Linger over (2 s after the last absorbed packet): the tombstone goes quietly.
        t.advance(2700 * MS, &mut out);
        assert_eq!(t.open_connections(), 0);
        // A stray ACK now is a new (midstream) connection.
        t.push(&tcp(3 * SEC, CLI, SRV, ACK, 0), &mut out);
        t.finish(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].flag, Flag::OTH);
    }

    #[test]
    fn syn_on_tombstone_reopens() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        t.push(&tcp(0, CLI, SRV, SYN, 0), &mut out);
        t.push(&tcp(MS, SRV, CLI, RST | ACK, 0), &mut out);
        t.push(&tcp(2 * MS, CLI, SRV, SYN, 0), &mut out);
        t.push(&tcp(3 * MS, SRV, CLI, RST | ACK, 0), &mut out);
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|r| r.flag == Flag::REJ));
        assert_eq!(t.stats().reused, 1);
        // The second REJ sees the first in its windows.
        assert_eq!(out[1].traffic.count, 1);
        assert_eq!(out[1].traffic.rerror_rate, 1.0);
    }

    #[test]
    fn closing_without_final_ack_expires_as_closed() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        for &(ms, c2s, f, l) in &hs_then(&[(3, true, FIN | ACK, 0), (4, false, FIN | ACK, 0)]) {
            let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
            t.push(&tcp(ms * MS, a, b, f, l), &mut out);
        }
        assert!(out.is_empty());
        t.advance(3 * SEC, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::SF);
        assert_eq!(out[0].end_reason, EndReason::Closed);
    }

    #[test]
    fn s0_times_out_fast_in_packet_time() {
        let cfg = tracker_config();
        let mut t = Tracker::new(cfg);
        let mut out = Vec::new();
        // An established connection and an unanswered SYN at t = 0.
        for &(ms, c2s, f, l) in &HS {
            let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
            t.push(&tcp(ms * MS, a, b, f, l), &mut out);
        }
        t.push(&tcp(3 * MS, (1, 40001), (3, 22), SYN, 0), &mut out);
        // Unrelated traffic 4.9 s later: nothing due yet.
        t.push(&udp(4900 * MS, (5, 1000), (6, 53), 40), &mut out);
        assert!(out.is_empty());
        // At 5.1 s the S0 is reported by packet time; the established one is not.
        t.push(&udp(5100 * MS, (5, 1000), (6, 53), 40), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].flag, Flag::S0);
        assert_eq!(out[0].service, "ssh");
        assert_eq!(out[0].end_reason, EndReason::Timeout);
        // The established one goes after its own 300 s idle timeout.
        t.advance(301 * SEC, &mut out);
        let s1: Vec<_> = out.iter().filter(|r| r.flag == Flag::S1).collect();
        assert_eq!(s1.len(), 1);
        assert_eq!(s1[0].end_reason, EndReason::Timeout);
    }

    #[test]
    fn udp_flow_and_timeout() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        t.push(&udp(0, (1, 5353), (2, 53), 40), &mut out);
        t.push(&udp(MS, (2, 53), (1, 5353), 200), &mut out);
        t.advance(59 * SEC, &mut out);
        assert!(out.is_empty());
        t.advance(61 * SEC, &mut out);
        assert_eq!(out.len(), 1);
        let r = &out[0];
        assert_eq!(r.protocol, ProtocolType::Udp);
        assert_eq!(r.service, "domain_u");
        assert_eq!(r.flag, Flag::SF);
        assert_eq!((r.src_bytes, r.dst_bytes), (40, 200));
        assert_eq!(r.end_reason, EndReason::Timeout);
    }

    #[test]
    fn icmp_unpaired_by_default() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        t.push(&icmp(0, 1, 2, 8, 56), &mut out);
        t.push(&icmp(MS, 2, 1, 0, 56), &mut out);
        t.finish(&mut out);
        assert_eq!(out.len(), 2);
        let eco = out.iter().find(|r| r.service == "eco_i").unwrap();
        let ecr = out.iter().find(|r| r.service == "ecr_i").unwrap();
        assert_eq!((eco.src_bytes, eco.dst_bytes), (56, 0));
        assert_eq!((ecr.src_bytes, ecr.dst_bytes), (56, 0));
        assert_eq!(ecr.orig_ip, ip(2));
        assert_eq!((eco.orig_port, eco.resp_port), (8, 0));
        assert!(
            out.iter()
                .all(|r| r.flag == Flag::SF && r.protocol == ProtocolType::Icmp)
        );
    }

    #[test]
    fn one_icmp_record_per_message_by_default() {
        let mut t = Tracker::new(TrackerConfig::default());
        let mut out = Vec::new();
        for i in 0..3 {
            t.push(&icmp(i * 500 * MS, 1, 2, 8, 56), &mut out);
            t.push(&icmp(i * 500 * MS + MS, 2, 1, 0, 56), &mut out);
        }
        t.finish(&mut out);
        assert_eq!(out.len(), 6);
        let services: Vec<&str> = out.iter().map(|r| r.service).collect();
        assert_eq!(services.iter().filter(|s| **s == "eco_i").count(), 3);
        assert_eq!(services.iter().filter(|s| **s == "ecr_i").count(), 3);
        assert!(out.iter().all(|r| r.src_bytes == 56 && r.dst_bytes == 0));
    }

    #[test]
    fn icmp_paired_when_configured() {
        let cfg = TrackerConfig {
            icmp_pair_replies: true,
            ..tracker_config()
        };
        let mut t = Tracker::new(cfg);
        let mut out = Vec::new();
        for i in 0..3 {
            t.push(&icmp(i * 500 * MS, 1, 2, 8, 56), &mut out);
            t.push(&icmp(i * 500 * MS + MS, 2, 1, 0, 56), &mut out);
        }
        // An unsolicited reply (smurf-like) stays its own ecr_i flow.
        t.push(&icmp(1600 * MS, 3, 1, 0, 1032), &mut out);
        t.finish(&mut out);
        assert_eq!(out.len(), 2);
        let eco = out.iter().find(|r| r.service == "eco_i").unwrap();
        assert_eq!((eco.src_bytes, eco.dst_bytes), (168, 168));
        assert_eq!((eco.orig_packets, eco.resp_packets), (3, 3));
        let ecr = out.iter().find(|r| r.service == "ecr_i").unwrap();
        assert_eq!(ecr.src_bytes, 1032);
        assert_eq!(t.stats().icmp_paired, 3);
    }

    #[test]
    fn icmp_services_per_type() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        for (i, ty) in [3u8, 5, 11, 13].into_iter().enumerate() {
            t.push(&icmp(i as u64 * MS, 1, 2, ty, 28), &mut out);
        }
        t.finish(&mut out);
        let names: Vec<_> = out.iter().map(|r| r.service).collect();
        assert_eq!(names, ["urp_i", "red_i", "tim_i", "tim_i"]);
    }

    #[test]
    fn land_urgent_wrong_fragment() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        let mut p = tcp(0, (9, 139), (9, 139), SYN | URG, 0);
        p.wrong_fragments = 2;
        t.push(&p, &mut out);
        let mut p = tcp(MS, (9, 139), (9, 139), ACK | URG, 10);
        p.wrong_fragments = 1;
        t.push(&p, &mut out);
        t.finish(&mut out);
        assert_eq!(out.len(), 1);
        let r = &out[0];
        assert!(r.land);
        assert_eq!(r.urgent, 2);
        assert_eq!(r.wrong_fragment, 3);
        assert_eq!(r.service, "netbios_ssn");
    }

    #[test]
    fn syn_scan_gives_rej_with_high_count_and_rerror() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        let attacker = (66, 55555);
        for port in 1..=1000u16 {
            let ts = port as u64 * MS; // 1000 probes in 1 s
            t.push(&tcp(ts, attacker, (2, port), SYN, 0), &mut out);
            t.push(
                &tcp(ts + 100_000, (2, port), attacker, RST | ACK, 0),
                &mut out,
            );
        }
        t.finish(&mut out);
        assert_eq!(out.len(), 1000);
        assert!(out.iter().all(|r| r.flag == Flag::REJ));
        let last = out.last().unwrap();
        assert_eq!(last.traffic.count, 511);
        assert_eq!(last.traffic.rerror_rate, 1.0);
        assert_eq!(last.traffic.serror_rate, 0.0);
        // Each unnamed port is a service of its own, as in KDD's scans: no earlier probe
        // shares the last one's (`tracker_config` counts earlier connections only).
        assert_eq!(last.traffic.srv_count, 0);
        assert_eq!(last.traffic.dst_host_count, 255);
        assert_eq!(last.traffic.dst_host_rerror_rate, 1.0);
        // Most of the 1000 ports are unnamed low ports.
        let private = out.iter().filter(|r| r.service == "private").count();
        assert!(private > 900, "{private}");
    }

    #[test]
    fn spoofed_syn_flood_stays_bounded() {
        let cap = 10_000;
        let cfg = TrackerConfig {
            max_connections: cap,
            ..tracker_config()
        };
        let mut t = Tracker::new(cfg);
        let mut out = Vec::new();
        let mut emitted = 0u64;
        let n = 1_000_000u64;
        let mut x: u32 = 0x1234_5678;
        for i in 0..n {
            // xorshift: random spoofed sources and ports, one target.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let p = Packet {
                ts: i * 1000, // 1 M packets/s
                src: IpAddr::V4(Ipv4Addr::from(x)),
                dst: ip(2),
                transport: Transport::Tcp {
                    src_port: (x >> 7) as u16,
                    dst_port: 80,
                    flags: TcpFlags(SYN),
                },
                payload_len: 0,
                wrong_fragments: 0,
            };
            t.push(&p, &mut out);
            assert!(t.open_connections() <= cap);
            emitted += out.len() as u64;
            if let Some(r) = out.last() {
                assert_eq!(r.flag, Flag::S0);
            }
            out.clear();
        }
        let s = t.stats();
        assert!(s.evicted_half_open >= n - cap as u64 - 10, "{s:?}");
        assert_eq!(s.evicted_other, 0);
        assert_eq!(emitted, s.records);
        t.finish(&mut out);
        assert_eq!(t.open_connections(), 0);
        assert_eq!(s.records + out.len() as u64, s.connections);
    }

    #[test]
    fn eviction_prefers_tombstones_then_half_open() {
        let cfg = TrackerConfig {
            max_connections: 3,
            ..tracker_config()
        };
        let mut t = Tracker::new(cfg);
        let mut out = Vec::new();
        // Established connection.
        for &(ms, c2s, f, l) in &HS {
            let (a, b) = if c2s { (CLI, SRV) } else { (SRV, CLI) };
            t.push(&tcp(ms * MS, a, b, f, l), &mut out);
        }
        // A REJ (tombstone) and an S0.
        t.push(&tcp(10 * MS, (1, 1), (2, 1), SYN, 0), &mut out);
        t.push(&tcp(11 * MS, (2, 1), (1, 1), RST | ACK, 0), &mut out);
        t.push(&tcp(12 * MS, (1, 2), (2, 2), SYN, 0), &mut out);
        assert_eq!(out.len(), 1);
        // Full: a new one drops the tombstone first.
        t.push(&tcp(13 * MS, (1, 3), (2, 3), SYN, 0), &mut out);
        assert_eq!(t.stats().tombstones_dropped, 1);
        assert_eq!(out.len(), 1);
        // Then the oldest half-open is emitted as Evicted.
        t.push(&tcp(14 * MS, (1, 4), (2, 4), SYN, 0), &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].end_reason, EndReason::Evicted);
        assert_eq!(out[1].flag, Flag::S0);
        assert_eq!(out[1].resp_port, 2);
        assert_eq!(t.stats().evicted_half_open, 1);
        assert_eq!(t.open_connections(), 3);
    }

    #[test]
    fn finish_flushes_in_activity_order() {
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        t.push(&udp(0, (1, 1000), (2, 2000), 1), &mut out);
        t.push(&tcp(MS, CLI, SRV, SYN, 0), &mut out);
        t.push(&icmp(2 * MS, 1, 2, 8, 1), &mut out);
        t.push(&udp(3 * MS, (1, 1000), (2, 2000), 1), &mut out);
        t.finish(&mut out);
        let order: Vec<_> = out.iter().map(|r| r.protocol).collect();
        assert_eq!(
            order,
            [ProtocolType::Tcp, ProtocolType::Icmp, ProtocolType::Udp]
        );
        assert!(out.iter().all(|r| r.end_reason == EndReason::Flushed));
        assert_eq!(t.stats().flushed, 3);
    }

    #[test]
    fn window_features_flow_through_the_tracker() {
        // 5 connections to one host within 2 s, 3 of them S0 (via timeout/eviction
        // ordering kept simple: all emitted by finish in activity order), then a 6th.
        let mut t = Tracker::new(tracker_config());
        let mut out = Vec::new();
        for i in 0..5u16 {
            let cli = (1, 1000 + i);
            let ts = i as u64 * 100 * MS;
            t.push(&tcp(ts, cli, SRV, SYN, 0), &mut out);
            if i % 2 == 1 {
                // Answered and closed: SF.
                t.push(&tcp(ts + MS, SRV, cli, SYN | ACK, 0), &mut out);
                t.push(&tcp(ts + 2 * MS, cli, SRV, FIN | ACK, 0), &mut out);
                t.push(&tcp(ts + 3 * MS, SRV, cli, FIN | ACK, 0), &mut out);
                t.push(&tcp(ts + 4 * MS, cli, SRV, ACK, 0), &mut out);
            }
        }
        t.finish(&mut out);
        let cli = (1, 2000);
        t.push(&tcp(600 * MS, cli, SRV, SYN, 0), &mut out);
        t.push(&tcp(601 * MS, SRV, cli, RST | ACK, 0), &mut out);
        assert_eq!(out.len(), 6);
        let f = &out[5].traffic;
        assert_eq!(f.count, 5);
        assert!((f.serror_rate - 0.6).abs() < 1e-9);
        assert_eq!(f.same_srv_rate, 1.0);
        assert_eq!(f.dst_host_count, 5);
        assert!((f.dst_host_serror_rate - 0.6).abs() < 1e-9);
    }
}
