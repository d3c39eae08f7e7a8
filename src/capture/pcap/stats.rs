//! What a capture read produced and skipped, and where a truncated input ended.

use super::super::decode::{FragStats, Skip};

/// Where the input ended in the middle of a record (see module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TruncatedTail {
    /// 1-based number of the incomplete frame (record or packet block).
    pub frame: u64,
    /// Byte offset where the incomplete record starts.
    pub offset: u64,
    /// Bytes present / bytes the record needed.
    pub have: u64,
    pub need: u64,
}

/// Counters of what was read and why frames were skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaptureStats {
    /// Packet records / packet blocks read.
    pub frames: u64,
    /// Captured bytes in those frames.
    pub captured_bytes: u64,
    /// `Packet`s produced.
    pub packets: u64,
    pub skipped_not_ip: u64,
    pub skipped_other_protocol: u64,
    /// Frames too short (snaplen) to hold the IP + transport headers.
    pub skipped_truncated: u64,
    pub skipped_malformed: u64,
    pub skipped_unsupported_link: u64,
    /// Non-first fragments seen before their first fragment (bytes credited later).
    pub skipped_fragment_held: u64,
    /// Fragment table counters (orphans, evictions, wrong fragments).
    pub fragments: FragStats,
    /// pcapng blocks other than SHB/IDB/EPB/SPB/OPB (statistics, name resolution, ...).
    pub other_blocks: u64,
    /// Set if the input ended in the middle of a record.
    pub truncated_tail: Option<TruncatedTail>,
}

impl CaptureStats {
    /// Frames that produced no packet, all reasons together.
    pub fn skipped(&self) -> u64 {
        self.skipped_not_ip
            + self.skipped_other_protocol
            + self.skipped_truncated
            + self.skipped_malformed
            + self.skipped_unsupported_link
            + self.skipped_fragment_held
    }

    pub(super) fn count(&mut self, s: Skip) {
        let c = match s {
            Skip::NotIp => &mut self.skipped_not_ip,
            Skip::OtherProtocol => &mut self.skipped_other_protocol,
            Skip::Truncated => &mut self.skipped_truncated,
            Skip::Malformed => &mut self.skipped_malformed,
            Skip::UnsupportedLinkType(_) => &mut self.skipped_unsupported_link,
            Skip::FragmentHeld => &mut self.skipped_fragment_held,
        };
        *c += 1;
    }
}
