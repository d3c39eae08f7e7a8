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
//!
//! # Files
//! `endpoint` (endpoint states, Zeek's `conn_state` and the KDD flag), `tcp` (TCP
//! packets driving the endpoint states), `table` (the connection slab, its keys, the
//! per-class timeout lists, expiry, eviction and emitting records); the tracker's
//! configuration, counters, public API and ICMP pairing are here.

use rustc_hash::FxHashMap;

use super::packet::{NANOS_PER_SEC, Nanos, Packet, Transport};
use super::record::{ConnRecord, EndReason};
use crate::kdd::window::ip_bits;
use crate::kdd::{ProtocolType, Service, TrafficWindows, WindowConfig};

mod endpoint;
mod table;
mod tcp;

use table::{Class, Conn, Key, List, N_CLASSES, NIL, PROTO_UDP};

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
        while let Some((_, cl)) = self.earliest_head(|_, last| last) {
            let idx = self.lists[cl as usize].head;
            if cl == Class::Tomb {
                self.remove(idx);
            } else {
                self.emit(idx, EndReason::Flushed, false, out);
            }
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
}

#[cfg(test)]
mod tests;
