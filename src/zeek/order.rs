//! conn.log rows into KDD connection records, in connection-end order: a reorder
//! buffer bounded by [`ZeekOptions::lateness`], then the shared traffic windows.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{ZeekConn, ZeekLabel, ZeekOptions};
use crate::capture::record::{ConnRecord, EndReason};
use crate::kdd::window::{ServiceKey, ip_bits};
use crate::kdd::{Nanos, ProtocolType, Service, TrafficWindows, WindowConfig, WindowInput};

/// What became of the rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ZeekStats {
    pub rows: u64,
    /// Rows that ended more than the lateness before a row already passed on.
    pub late: u64,
    /// The most a row was late by, in nanoseconds of log time.
    pub max_late_nanos: u64,
}

/// A record made from a row, with the row's label and line.
#[derive(Debug, Clone)]
pub struct ZeekRecord {
    pub conn: ConnRecord,
    pub label: Option<ZeekLabel>,
    pub line: u64,
}

/// A waiting row, ordered by (end, arrival): ties keep the log's order.
struct Pending {
    end: Nanos,
    arrival: u64,
    conn: Box<ZeekConn>,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.end, self.arrival) == (other.end, other.arrival)
    }
}

impl Eq for Pending {}

impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.end, self.arrival).cmp(&(other.end, other.arrival))
    }
}

/// Reorders rows by connection end and computes their traffic features.
pub struct ZeekRecords {
    options: ZeekOptions,
    windows: TrafficWindows,
    /// Rows waiting, by (end, arrival number).
    pending: BinaryHeap<Reverse<Pending>>,
    arrivals: u64,
    /// The latest end seen.
    newest: Nanos,
    /// The end of the last row passed on.
    released: Option<Nanos>,
    stats: ZeekStats,
}

impl ZeekRecords {
    pub fn new(options: ZeekOptions, windows: WindowConfig) -> Self {
        ZeekRecords {
            options,
            windows: TrafficWindows::new(windows),
            pending: BinaryHeap::new(),
            arrivals: 0,
            newest: 0,
            released: None,
            stats: ZeekStats::default(),
        }
    }

    pub fn stats(&self) -> ZeekStats {
        self.stats
    }

    /// Takes a row; appends to `out` the records whose turn has come.
    pub fn push(&mut self, conn: ZeekConn, out: &mut Vec<ZeekRecord>) {
        self.stats.rows += 1;
        let end = conn.end();
        if let Some(released) = self.released
            && end < released
        {
            // Too late to be put in order: used now, counted.
            self.stats.late += 1;
            self.stats.max_late_nanos = self.stats.max_late_nanos.max(released - end);
            out.push(self.record(conn));
            return;
        }
        self.newest = self.newest.max(end);
        self.arrivals += 1;
        self.pending.push(Reverse(Pending {
            end,
            arrival: self.arrivals,
            conn: Box::new(conn),
        }));
        let horizon = self.newest.saturating_sub(self.options.lateness);
        while let Some(Reverse(first)) = self.pending.peek()
            && first.end <= horizon
        {
            self.release(out);
        }
    }

    /// Log time has moved on by `elapsed` past the newest row with no new rows (a live
    /// log gone quiet): the rows whose wait is over are passed on.
    pub fn advance(&mut self, elapsed: Nanos, out: &mut Vec<ZeekRecord>) {
        let horizon = self
            .newest
            .saturating_add(elapsed)
            .saturating_sub(self.options.lateness);
        while let Some(Reverse(first)) = self.pending.peek()
            && first.end <= horizon
        {
            self.release(out);
        }
    }

    /// Passes every waiting row on (end of input).
    pub fn finish(&mut self, out: &mut Vec<ZeekRecord>) {
        while !self.pending.is_empty() {
            self.release(out);
        }
    }

    fn release(&mut self, out: &mut Vec<ZeekRecord>) {
        if let Some(Reverse(Pending { end, conn, .. })) = self.pending.pop() {
            self.released = Some(self.released.map_or(end, |r| r.max(end)));
            out.push(self.record(*conn));
        }
    }

    fn record(&mut self, z: ZeekConn) -> ZeekRecord {
        let service = service_of(&z);
        // ICMP keeps its type in the originator's port field.
        let service_port = if z.proto == ProtocolType::Icmp {
            z.orig_p
        } else {
            z.resp_p
        };
        let end = z.end();
        let traffic = self.windows.observe(&WindowInput {
            ts: end,
            dst: ip_bits(z.resp_h),
            src_port: z.orig_p,
            service: ServiceKey::new(z.proto, service, service_port),
            flag: z.flag,
        });
        let land = z.orig_h == z.resp_h && (z.proto == ProtocolType::Icmp || z.orig_p == z.resp_p);
        ZeekRecord {
            conn: ConnRecord {
                start: z.ts,
                end,
                orig_ip: z.orig_h,
                orig_port: z.orig_p,
                resp_ip: z.resp_h,
                resp_port: z.resp_p,
                protocol: z.proto,
                service: service.name(),
                flag: z.flag,
                src_bytes: z.orig_bytes,
                dst_bytes: z.resp_bytes,
                land,
                wrong_fragment: 0,
                urgent: 0,
                orig_packets: z.orig_pkts,
                resp_packets: z.resp_pkts,
                end_reason: EndReason::Logged,
                traffic,
                uid: Some(z.uid),
            },
            label: z.label,
            line: z.line,
        }
    }
}

/// The KDD service: the port table, with Zeek's `service` as a hint where the table
/// has no name for the port.
pub fn service_of(z: &ZeekConn) -> Service {
    let by_port = Service::of(z.proto, z.orig_p, z.resp_p);
    if by_port != Service::PRIVATE && by_port != Service::OTHER {
        return by_port;
    }
    z.service.unwrap_or(by_port)
}

/// The KDD service Zeek's `service` names, where KDD has one (`ssl` → `http_443`).
pub fn service_hint(proto: ProtocolType, zeek: &str) -> Option<Service> {
    let name = match (proto, zeek) {
        (ProtocolType::Tcp, "http") => "http",
        (ProtocolType::Tcp, "ssl") => "http_443",
        (ProtocolType::Tcp, "ftp") => "ftp",
        (ProtocolType::Tcp, "ftp-data") => "ftp_data",
        (ProtocolType::Tcp, "smtp") => "smtp",
        (ProtocolType::Tcp, "ssh") => "ssh",
        (ProtocolType::Tcp, "irc") => "IRC",
        (ProtocolType::Tcp, "pop3") => "pop_3",
        (ProtocolType::Tcp, "imap") => "imap4",
        (ProtocolType::Tcp, "dns") => "domain",
        (ProtocolType::Tcp, "krb_tcp") => "kerberos",
        (ProtocolType::Udp, "dns") => "domain_u",
        (ProtocolType::Udp, "ntp") => "ntp_u",
        _ => return None,
    };
    Service::from_name(name)
}
