//! The connection table: keys (endpoints in canonical order), the connection slab,
//! one LRU timeout list per class, creation, expiry, eviction, and emitting records.

use std::net::{IpAddr, Ipv6Addr};

use super::super::packet::{Nanos, Packet};
use super::super::record::{ConnRecord, EndReason};
use super::Tracker;
use super::endpoint::{EndpointState, kdd_flag, zeek_state};
use crate::kdd::window::ServiceKey;
use crate::kdd::{Flag, ProtocolType, Service, WindowInput};

/// Timeout classes, one LRU list each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    HalfOpen = 0,
    Established = 1,
    Closing = 2,
    Tomb = 3,
    Udp = 4,
    Icmp = 5,
}
pub(super) const N_CLASSES: usize = 6;
pub(super) const CLASSES: [Class; N_CLASSES] = [
    Class::HalfOpen,
    Class::Established,
    Class::Closing,
    Class::Tomb,
    Class::Udp,
    Class::Icmp,
];

pub(super) const NIL: u32 = u32::MAX;
pub(super) const PROTO_ICMP: u8 = 1;
pub(super) const PROTO_TCP: u8 = 6;
pub(super) const PROTO_UDP: u8 = 17;

/// Table key: addresses and ports of endpoints `a` and `b` (canonical order for
/// TCP/UDP; ICMP: a = src, b = dst, ports = type << 16 | code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Key {
    pub(super) a: u128,
    pub(super) b: u128,
    pub(super) ports: u32,
    pub(super) proto: u8,
}

impl Key {
    pub(super) fn pair(proto: u8, src: u128, sp: u16, dst: u128, dp: u16) -> Key {
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
    pub(super) fn icmp(src: u128, dst: u128, icmp_type: u8, code: u8) -> Key {
        Key {
            a: src,
            b: dst,
            ports: (icmp_type as u32) << 16 | code as u32,
            proto: PROTO_ICMP,
        }
    }
    pub(super) fn a_port(&self) -> u16 {
        (self.ports >> 16) as u16
    }
    pub(super) fn b_port(&self) -> u16 {
        self.ports as u16
    }
}

#[derive(Debug, Clone)]
pub(super) struct Conn {
    pub(super) key: Key,
    pub(super) start: Nanos,
    pub(super) last: Nanos,
    pub(super) src_bytes: u64,
    pub(super) dst_bytes: u64,
    pub(super) orig_pkts: u32,
    pub(super) resp_pkts: u32,
    pub(super) wrong_fragment: u32,
    pub(super) urgent: u32,
    pub(super) prev: u32,
    pub(super) next: u32,
    pub(super) service: Service,
    pub(super) os: EndpointState,
    pub(super) rs: EndpointState,
    pub(super) class: Class,
    /// Originator is key endpoint `a` (else `b`).
    pub(super) orig_is_a: bool,
}

impl Conn {
    pub(super) fn orig(&self) -> (u128, u16) {
        if self.orig_is_a {
            (self.key.a, self.key.a_port())
        } else {
            (self.key.b, self.key.b_port())
        }
    }
    pub(super) fn resp(&self) -> (u128, u16) {
        if self.orig_is_a {
            (self.key.b, self.key.b_port())
        } else {
            (self.key.a, self.key.a_port())
        }
    }
    pub(super) fn protocol(&self) -> ProtocolType {
        match self.key.proto {
            PROTO_TCP => ProtocolType::Tcp,
            PROTO_UDP => ProtocolType::Udp,
            _ => ProtocolType::Icmp,
        }
    }
    pub(super) fn flag(&self) -> Flag {
        match self.key.proto {
            PROTO_TCP => kdd_flag(zeek_state(self.os, self.rs, self.src_bytes, self.dst_bytes)),
            _ => Flag::SF,
        }
    }
    pub(super) fn count(&mut self, p: &Packet, from_orig: bool) {
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
pub(super) struct List {
    pub(super) head: u32,
    pub(super) tail: u32,
}

pub(super) fn bits_ip(b: u128) -> IpAddr {
    let v6 = Ipv6Addr::from(b);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

impl Tracker {
    /// The open request flow a reply belongs to, with `icmp_pair_replies`.
    pub(super) fn request_of(&self, src: u128, dst: u128, icmp_type: u8) -> Option<u32> {
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
    pub(super) fn count(&mut self, idx: u32, p: &Packet, src: u128, sp: u16) -> bool {
        let c = &mut self.slots[idx as usize];
        let from_orig = c.orig() == (src, sp);
        c.count(p, from_orig);
        from_orig
    }

    pub(super) fn create(
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
            os: EndpointState::Inactive,
            rs: EndpointState::Inactive,
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

    pub(super) fn evict_one(&mut self, out: &mut Vec<ConnRecord>) {
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

    /// The class whose oldest connection has the smallest `key(class, last activity)`,
    /// with that key (each class's list is kept in activity order, so only heads count).
    pub(super) fn earliest_head(
        &self,
        key: impl Fn(Class, Nanos) -> Nanos,
    ) -> Option<(Nanos, Class)> {
        let mut best: Option<(Nanos, Class)> = None;
        for cl in CLASSES {
            let h = self.lists[cl as usize].head;
            if h == NIL {
                continue;
            }
            let k = key(cl, self.slots[h as usize].last);
            if best.is_none_or(|(b, _)| k < b) {
                best = Some((k, cl));
            }
        }
        best
    }

    /// Emits due connections in deadline order.
    pub(super) fn expire(&mut self, now: Nanos, out: &mut Vec<ConnRecord>) {
        loop {
            let due =
                self.earliest_head(|cl, last| last.saturating_add(self.timeouts[cl as usize]));
            let Some((_, cl)) = due.filter(|&(due, _)| due <= now) else {
                return;
            };
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
    pub(super) fn emit(
        &mut self,
        idx: u32,
        reason: EndReason,
        tombstone: bool,
        out: &mut Vec<ConnRecord>,
    ) {
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
            uid: None,
        });
        self.stats.records += 1;
        match reason {
            EndReason::Closed => self.stats.closed += 1,
            EndReason::Timeout => self.stats.timed_out += 1,
            // Evicted: counted by the caller, per class; Logged: not made here.
            EndReason::Evicted | EndReason::Logged => {}
            EndReason::Flushed => self.stats.flushed += 1,
        }
        if tombstone {
            self.touch(idx, Class::Tomb);
        } else {
            self.remove(idx);
        }
    }

    pub(super) fn remove(&mut self, idx: u32) {
        self.unlink(idx);
        let key = self.slots[idx as usize].key;
        self.map.remove(&key);
        self.free.push(idx);
    }

    /// Moves the entry to the tail (most recent) of `class`'s list.
    pub(super) fn touch(&mut self, idx: u32, class: Class) {
        let c = &self.slots[idx as usize];
        if c.class == class && self.lists[class as usize].tail == idx {
            return;
        }
        self.unlink(idx);
        self.link(idx, class);
    }

    pub(super) fn link(&mut self, idx: u32, class: Class) {
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

    pub(super) fn unlink(&mut self, idx: u32) {
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
