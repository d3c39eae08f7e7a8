//! Streaming packet-capture reader: classic pcap and pcapng from any `std::io::Read`.
//!
//! Design choices:
//! - **Hand-written container parsing** (not `pcap-parser`): the formats are small, and
//!   pcap-parser 0.17 gets several things wrong for a live pipe — its pcapng reader checks the
//!   section header from a single `read()` (fails when a pipe delivers a few bytes at a time),
//!   rejects every power-of-2 `if_tsresol`, reads `if_tsoffset` little-endian in big-endian
//!   sections, and allocates an options `Vec` per packet block that has options. Doing it here
//!   also gives errors with exact byte offsets and full control of allocation.
//! - **No Seek, bounded memory**: one buffer (128 KiB, grown to at most [`BUF_SIZE`] by a
//!   rare huge record) refilled from the reader;
//!   a record is parsed once it is wholly in the buffer. Data arriving in small pieces just
//!   means more `read()` calls. Non-packet pcapng blocks are skipped without buffering them.
//! - **Absurd lengths are errors, never allocations**: a record or packet block claiming more
//!   than [`MAX_RECORD`] captured bytes stops the read with [`CaptureError::RecordTooLarge`]
//!   (libpcap's own limit is 256 KiB for Ethernet, and such a value almost always means the
//!   stream is corrupt or misaligned, so skipping it would only produce garbage).
//! - **A record cut off at EOF is not an error**: `tcpdump` killed with Ctrl-C (or a capture
//!   copied while being written) commonly ends mid-record. The reader returns end-of-stream
//!   and records where and how it was cut in [`CaptureStats::truncated_tail`], so the caller
//!   can warn without losing the packets before it. A truncated *file header* is an error,
//!   since nothing can be read.
//! - pcapng Simple Packet Blocks have no timestamp: they get the timestamp of the previous
//!   packet of the section (0 if none), which keeps packet time monotonic.
//!
//! Files: `error` ([`CaptureError`]), `stats` ([`CaptureStats`]), `input` (the refilled
//! buffer over the `Read` and byte-order helpers), `classic` (pcap records), `pcapng`
//! (blocks, interfaces, timestamp resolution); the reader and header sniffing are here.

use std::fmt;
use std::io::Read;

use super::decode::Decoder;
use super::packet::{Nanos, Packet};

mod classic;
mod error;
mod input;
mod pcapng;
mod stats;

pub use error::CaptureError;
use input::{Input, rd16, rd32};
use pcapng::{Iface, SHB, bom_order};
pub use stats::{CaptureStats, TruncatedTail};

/// Largest captured length accepted for one record / packet block (256 KiB, as libpcap).
pub const MAX_RECORD: usize = 256 * 1024;
/// Non-packet pcapng blocks larger than this are treated as corruption.
pub const MAX_OTHER_BLOCK: u64 = 16 * 1024 * 1024;
/// Maximum input buffer size. Must hold the largest packet block (MAX_RECORD + headers +
/// options). The buffer starts at [`INITIAL_BUF_SIZE`] and grows only when a record needs it.
pub const BUF_SIZE: usize = 1024 * 1024;
/// Initial input buffer size: holds any ordinary frame (even 64 KiB TSO/GRO super-frames).
pub const INITIAL_BUF_SIZE: usize = 128 * 1024;

/// The detected container format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFormat {
    Pcap {
        big_endian: bool,
        nanos: bool,
        /// Kuznetzov's "modified pcap" (magic 0xa1b2cd34, 24-byte record headers).
        modified: bool,
    },
    /// Byte order of the first section.
    PcapNg { big_endian: bool },
}

impl fmt::Display for CaptureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = |be: bool| if be { "big-endian" } else { "little-endian" };
        match *self {
            CaptureFormat::Pcap {
                big_endian,
                nanos,
                modified,
            } => write!(
                f,
                "pcap ({}{}, {})",
                if modified { "modified, " } else { "" },
                order(big_endian),
                if nanos { "ns" } else { "µs" }
            ),
            CaptureFormat::PcapNg { big_endian } => write!(f, "pcapng ({})", order(big_endian)),
        }
    }
}

/// One raw captured frame, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    pub link_type: u32,
    pub ts: Nanos,
    /// Length on the wire (≥ `data.len()` when the snaplen cut the frame).
    pub orig_len: u32,
    /// pcapng interface id (0 for classic pcap).
    pub interface: u32,
    pub data: &'a [u8],
}

enum State {
    Pcap {
        big_endian: bool,
        nanos: bool,
        rec_hdr: usize,
        link_type: u32,
    },
    PcapNg {
        big_endian: bool,
        ifaces: Vec<Iface>,
        last_ts: Nanos,
    },
}

/// Position of the current frame's data in the input buffer (relative to `start`).
#[derive(Debug, Clone, Copy)]
struct FrameMeta {
    link_type: u32,
    ts: Nanos,
    orig_len: u32,
    interface: u32,
    data_at: usize,
    data_len: usize,
    /// Bytes to consume before reading the next frame.
    record_len: usize,
}

/// Reads packets from a pcap or pcapng stream and decodes them. See the module docs.
pub struct PacketReader<R: Read> {
    input: Input<R>,
    state: State,
    format: CaptureFormat,
    decoder: Decoder,
    stats: CaptureStats,
    /// Bytes of the previously returned frame still in the buffer.
    pending: usize,
}

impl<R: Read> PacketReader<R> {
    /// Reads the file header (sniffing the format from its magic) and prepares to read.
    pub fn new(input: R) -> Result<Self, CaptureError> {
        Self::with_decoder(input, Decoder::new())
    }

    /// Like [`PacketReader::new`] with a custom decoder (e.g. another fragment-table size).
    pub fn with_decoder(input: R, decoder: Decoder) -> Result<Self, CaptureError> {
        let mut input = Input {
            inner: input,
            buf: vec![0u8; INITIAL_BUF_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            pos: 0,
            eof: false,
        };
        if !input.fill_to(4)? {
            return Err(match input.avail() {
                0 => CaptureError::Empty,
                have => CaptureError::TruncatedHeader { have, need: 4 },
            });
        }
        let d = input.data();
        let magic = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
        let (state, format) = match magic {
            SHB => {
                // The section header is parsed by the block loop like any later SHB; only
                // check here that it is one, so garbage fails at construction.
                if !input.fill_to(12)? {
                    return Err(CaptureError::TruncatedHeader {
                        have: input.avail(),
                        need: 12,
                    });
                }
                let big_endian = bom_order(input.data(), 0)?;
                (
                    State::PcapNg {
                        big_endian,
                        ifaces: Vec::new(),
                        last_ts: 0,
                    },
                    CaptureFormat::PcapNg { big_endian },
                )
            }
            _ => {
                let (big_endian, nanos, modified) = match magic {
                    0xa1b2_c3d4 => (true, false, false),
                    0xd4c3_b2a1 => (false, false, false),
                    0xa1b2_3c4d => (true, true, false),
                    0x4d3c_b2a1 => (false, true, false),
                    0xa1b2_cd34 => (true, false, true),
                    0x34cd_b2a1 => (false, false, true),
                    _ => {
                        return Err(CaptureError::BadMagic {
                            magic,
                            offset: 0,
                            hint: magic_hint(magic),
                        });
                    }
                };
                if !input.fill_to(24)? {
                    return Err(CaptureError::TruncatedHeader {
                        have: input.avail(),
                        need: 24,
                    });
                }
                let h = input.data();
                let (major, minor) = (rd16(h, 4, big_endian), rd16(h, 6, big_endian));
                if major != 2 {
                    return Err(CaptureError::UnsupportedVersion {
                        format: "pcap",
                        major,
                        minor,
                    });
                }
                // Upper bits of the link-type field carry FCS info; the FCS (if any) sits
                // after the IP datagram, which the decoder bounds by the IP length anyway.
                let link_type = rd32(h, 20, big_endian) & 0xffff;
                input.consume(24);
                (
                    State::Pcap {
                        big_endian,
                        nanos,
                        rec_hdr: if modified { 24 } else { 16 },
                        link_type,
                    },
                    CaptureFormat::Pcap {
                        big_endian,
                        nanos,
                        modified,
                    },
                )
            }
        };
        Ok(PacketReader {
            input,
            state,
            format,
            decoder,
            stats: CaptureStats::default(),
            pending: 0,
        })
    }

    /// The detected container format, e.g. "pcap (little-endian, µs)" via `Display`.
    pub fn format(&self) -> CaptureFormat {
        self.format
    }

    pub fn stats(&self) -> &CaptureStats {
        &self.stats
    }

    /// Link type of classic pcap, or of each pcapng interface of the current section.
    pub fn link_types(&self) -> Vec<u32> {
        match &self.state {
            State::Pcap { link_type, .. } => vec![*link_type],
            State::PcapNg { ifaces, .. } => ifaces.iter().map(|i| i.link_type).collect(),
        }
    }

    /// Next decodable packet; frames that decode to nothing are counted and skipped.
    /// `Ok(None)` at end of input (see [`CaptureStats::truncated_tail`]).
    pub fn next_packet(&mut self) -> Result<Option<Packet>, CaptureError> {
        loop {
            let Some(m) = self.read_frame()? else {
                return Ok(None);
            };
            let data = &self.input.data()[m.data_at..m.data_at + m.data_len];
            let r = self.decoder.decode(m.link_type, m.ts, data);
            self.stats.fragments = *self.decoder.frag_stats();
            match r {
                Ok(p) => {
                    self.stats.packets += 1;
                    return Ok(Some(p));
                }
                Err(s) => self.stats.count(s),
            }
        }
    }

    /// Next raw frame, undecoded (for tools and fuzzing). Counts `frames` but not packets.
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        let Some(m) = self.read_frame()? else {
            return Ok(None);
        };
        Ok(Some(Frame {
            link_type: m.link_type,
            ts: m.ts,
            orig_len: m.orig_len,
            interface: m.interface,
            data: &self.input.data()[m.data_at..m.data_at + m.data_len],
        }))
    }

    fn read_frame(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
        self.input.consume(self.pending);
        self.pending = 0;
        let m = match self.state {
            State::Pcap { .. } => self.read_pcap_record()?,
            State::PcapNg { .. } => self.read_pcapng_packet()?,
        };
        if let Some(m) = &m {
            self.pending = m.record_len;
            self.stats.frames += 1;
            self.stats.captured_bytes += m.data_len as u64;
        }
        Ok(m)
    }

    /// The error for a record claiming `len` captured bytes, past [`MAX_RECORD`].
    pub(super) fn record_too_large(&self, len: u64) -> CaptureError {
        CaptureError::RecordTooLarge {
            frame: self.stats.frames + 1,
            offset: self.input.pos,
            len,
            max: MAX_RECORD,
        }
    }

    /// Records an incomplete last record and reports end of stream.
    fn tail(&mut self, need: u64) -> Result<Option<FrameMeta>, CaptureError> {
        if self.input.avail() > 0 {
            self.stats.truncated_tail = Some(TruncatedTail {
                frame: self.stats.frames + 1,
                offset: self.input.pos,
                have: self.input.avail() as u64,
                need,
            });
            let n = self.input.avail();
            self.input.consume(n);
        }
        Ok(None)
    }
}

/// Whether bytes start like a capture (a pcap magic, either order and resolution, or a
/// pcapng section header).
pub fn is_capture(start: &[u8]) -> bool {
    let Some(magic) = start.get(..4) else {
        return false;
    };
    matches!(
        u32::from_be_bytes([magic[0], magic[1], magic[2], magic[3]]),
        SHB | 0xa1b2_c3d4 | 0xd4c3_b2a1 | 0xa1b2_3c4d | 0x4d3c_b2a1 | 0xa1b2_cd34 | 0x34cd_b2a1
    )
}

/// A hint for common non-capture inputs, appended to the bad-magic error.
fn magic_hint(magic: u32) -> &'static str {
    match magic {
        m if m >> 16 == 0x1f8b => "; the input looks gzip-compressed: decompress it first",
        m if m >> 8 == 0x425a68 => "; the input looks bzip2-compressed: decompress it first",
        0xfd37_7a58 => "; the input looks xz-compressed: decompress it first",
        0x28b5_2ffd => "; the input looks zstd-compressed: decompress it first",
        m if m
            .to_be_bytes()
            .iter()
            .all(|c| c.is_ascii_graphic() || *c == b' ') =>
        {
            "; the input looks like text: use the matching --format"
        }
        _ => "",
    }
}

#[cfg(test)]
mod tests;
