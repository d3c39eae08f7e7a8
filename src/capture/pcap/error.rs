//! Errors that stop reading a capture.

use std::io;

/// Errors that stop reading. Per-frame problems (non-IP, truncated by snaplen, ...) are
/// never errors: they are counted in [`CaptureStats`].
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("reading capture input at byte {offset}: {source}")]
    Io {
        offset: u64,
        #[source]
        source: io::Error,
    },
    #[error(
        "capture input is empty (no pcap/pcapng header); did the capture command fail to start?"
    )]
    Empty,
    #[error(
        "not a packet capture: magic 0x{magic:08x} at byte {offset} (expected pcap or pcapng){hint}"
    )]
    BadMagic {
        magic: u32,
        offset: u64,
        hint: &'static str,
    },
    #[error("capture header truncated: input ended after {have} of {need} header bytes")]
    TruncatedHeader { have: usize, need: usize },
    #[error("unsupported {format} version {major}.{minor}")]
    UnsupportedVersion {
        format: &'static str,
        major: u16,
        minor: u16,
    },
    #[error(
        "packet {frame} at byte {offset} claims {len} captured bytes (limit {max}): the capture is corrupt or not aligned"
    )]
    RecordTooLarge {
        frame: u64,
        offset: u64,
        len: u64,
        max: usize,
    },
    #[error("corrupt pcapng block at byte {offset}: {what}")]
    BadBlock { offset: u64, what: String },
}
