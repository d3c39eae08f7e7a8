//! TCP packets through the tracker: finding or creating the connection (flipping a
//! SYN-ACK-first one), and the endpoint transitions each segment causes.

use super::super::packet::{Packet, TcpFlags};
use super::super::record::{ConnRecord, EndReason};
use super::Tracker;
use super::endpoint::EndpointState;
use super::table::{Class, Key, PROTO_TCP};
use crate::kdd::{ProtocolType, Service};

impl Tracker {
    pub(super) fn tcp(
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
            } else if fresh_syn && c.os == EndpointState::Closed && c.rs == EndpointState::Closed {
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

    pub(super) fn tcp_update(
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
        if flags.syn() && ep == EndpointState::Inactive {
            if from_orig {
                ep = if flags.ack() {
                    EndpointState::SynAckSent
                } else {
                    EndpointState::SynSent
                };
            } else {
                // SYN-ACK, or the second SYN of a simultaneous open.
                if matches!(peer, EndpointState::SynSent | EndpointState::SynAckSent) {
                    peer = EndpointState::Established;
                }
                ep = EndpointState::Established;
            }
        }
        if flags.fin() && ep != EndpointState::Reset {
            ep = EndpointState::Closed;
        }
        if flags.rst() && !(ep == EndpointState::Closed && peer == EndpointState::Closed) {
            ep = EndpointState::Reset;
        }
        if !flags.syn() && !flags.fin() && !flags.rst() && ep == EndpointState::Inactive {
            ep = EndpointState::Partial;
        }
        if from_orig {
            (c.os, c.rs) = (ep, peer);
        } else {
            (c.rs, c.os) = (ep, peer);
        }
        let (os, rs) = (c.os, c.rs);
        if os == EndpointState::Reset || rs == EndpointState::Reset {
            self.emit(idx, EndReason::Closed, true, out);
        } else if os == EndpointState::Closed && rs == EndpointState::Closed {
            if flags.fin() {
                self.touch(idx, Class::Closing); // wait for the final ACK
            } else {
                self.emit(idx, EndReason::Closed, true, out);
            }
        } else if os == EndpointState::Inactive || rs == EndpointState::Inactive {
            self.touch(idx, Class::HalfOpen);
        } else {
            self.touch(idx, Class::Established);
        }
    }
}
