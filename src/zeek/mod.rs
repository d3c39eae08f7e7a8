//! Zeek (Bro) `conn.log` as a traffic source: each row is one connection, which becomes
//! one KDD connection record with the same 19 traffic features the packet path computes
//! ([`crate::kdd::window`]).
//!
//! # Mapping to the 41 features
//! * `duration`: Zeek's `duration`, truncated to whole seconds (as for packets); unset → 0.
//! * `protocol_type`: `proto` (`tcp`, `udp`, `icmp`; ICMPv6 is Zeek's `icmp` too). Rows of
//!   other transports (`unknown_transport`) are skipped and counted.
//! * `service`: the one KDD port table ([`Service::of`]) on the responder's port (ICMP:
//!   Zeek keeps the message type and code in the port fields). When the table has no
//!   name for the port (`private`/`other`), Zeek's `service` is a hint: a Zeek name with a
//!   KDD counterpart (`http` on port 8080 → `http`) is used.
//! * `flag`: `conn_state`. TCP states KDD has are kept; `RSTRH` → `RSTR` and `SHR` → `OTH`
//!   ([`Flag::from_conn_state`], the packet tracker's mapping). KDD writes every UDP and
//!   ICMP row as `SF` (all 304,000 of them in the 10% file), so non-TCP rows are `SF`
//!   whatever Zeek's state.
//! * `src_bytes`/`dst_bytes`: `orig_bytes`/`resp_bytes` (unset → 0); `land`: same
//!   address and port both ways (ICMP: same address); `wrong_fragment`, `urgent` and the
//!   13 content features: 0 — Zeek models use the `header` feature set, as packet models do.
//!
//! # Time order
//! Zeek writes a row when its connection **ends** (or times out), so `ts` (the start) is
//! not in order. The windows' reference time is the connection's end, `ts + duration`,
//! as for packets, and rows are put in that order through a reorder buffer that waits
//! [`ZeekOptions::lateness`] (default 10 s) of log time; a row that arrives later than
//! that is still used (the window counts it as ending "now") and counted as late.
//!
//! The parts: [`parse`] (header directives, TSV and JSON lines, labels, errors) and
//! [`feed`] (a byte stream into runs of whole lines), [`order`] (reordering and
//! featurising), [`read`] (whole files into a dataset).

pub mod feed;
pub mod order;
pub mod parse;
pub mod read;

use std::net::IpAddr;

use crate::kdd::{Flag, Nanos, ProtocolType};

pub use feed::ZeekFeed;
pub use order::{ZeekRecords, ZeekStats};
pub use parse::{ZeekError, ZeekParser};
pub use read::{read_zeek, read_zeek_from, zeek_files};

/// How Zeek logs are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZeekOptions {
    /// How long (log time) the reorder buffer waits for rows that end earlier.
    pub lateness: Nanos,
}

impl ZeekOptions {
    /// With a lateness of `seconds` (as the command line gives it).
    pub fn with_lateness(seconds: f64) -> Self {
        ZeekOptions {
            lateness: (seconds * 1e9).round() as Nanos,
        }
    }
}

impl Default for ZeekOptions {
    fn default() -> Self {
        ZeekOptions {
            lateness: 10 * crate::kdd::NANOS_PER_SEC,
        }
    }
}

/// A row's label, in labelled files (Stratosphere / IoT-23 `label`, `detailed-label`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZeekLabel {
    Benign,
    /// The attack's name: the detailed label (`C&C`, `PartOfAHorizontalPortScan`, …), or
    /// `malicious` when there is none.
    Malicious(String),
    /// `Background` or anything else: neither normal nor an attack, left out of metrics.
    Other(String),
}

impl ZeekLabel {
    /// The label as a KDD record carries it: `normal`, the attack's name, or (neither
    /// class) the label as written, `Background`.
    pub fn kdd_label(&self) -> &str {
        match self {
            ZeekLabel::Benign => "normal",
            ZeekLabel::Malicious(name) | ZeekLabel::Other(name) => name,
        }
    }
}

/// One `conn.log` row.
#[derive(Debug, Clone, PartialEq)]
pub struct ZeekConn {
    /// Start time.
    pub ts: Nanos,
    pub uid: Box<str>,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    pub proto: ProtocolType,
    /// The KDD service Zeek's `service` names (its first entry when it is a set), if
    /// it names one: a hint for ports the KDD table has no name for.
    pub service: Option<crate::kdd::Service>,
    pub duration: Nanos,
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    /// Packets each way (`orig_pkts`, `resp_pkts`; unset → 0).
    pub orig_pkts: u32,
    pub resp_pkts: u32,
    pub flag: Flag,
    pub label: Option<ZeekLabel>,
    /// 1-based line in its file.
    pub line: u64,
}

impl ZeekConn {
    pub fn end(&self) -> Nanos {
        self.ts.saturating_add(self.duration)
    }
}
