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

use std::fmt;
use std::io::{self, Read};

use super::decode::{Decoder, FragStats, Skip};
use super::packet::{NANOS_PER_SEC, Nanos, Packet};

/// Largest captured length accepted for one record / packet block (256 KiB, as libpcap).
pub const MAX_RECORD: usize = 256 * 1024;
/// Non-packet pcapng blocks larger than this are treated as corruption.
pub const MAX_OTHER_BLOCK: u64 = 16 * 1024 * 1024;
/// Maximum input buffer size. Must hold the largest packet block (MAX_RECORD + headers +
/// options). The buffer starts at [`INITIAL_BUF_SIZE`] and grows only when a record needs it.
pub const BUF_SIZE: usize = 1024 * 1024;
/// Initial input buffer size: holds any ordinary frame (even 64 KiB TSO/GRO super-frames).
pub const INITIAL_BUF_SIZE: usize = 128 * 1024;
/// Largest pcapng block kept in the buffer whole (packet blocks, SHB, IDB).
const MAX_BUFFERED_BLOCK: usize = MAX_RECORD + 64 * 1024;
/// Upper bound on pcapng interfaces per section (each IDB costs a few bytes of memory).
const MAX_INTERFACES: usize = 65_536;

const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BOM: u32 = 0x1A2B_3C4D;

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

    fn count(&mut self, s: Skip) {
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

/// pcapng timestamp resolution (`if_tsresol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TsResol {
    /// 10^-e seconds per tick.
    Dec(u8),
    /// 2^-p seconds per tick.
    Bin(u8),
}

impl TsResol {
    fn from_option(b: u8) -> Option<TsResol> {
        if b & 0x80 == 0 {
            (b <= 19).then_some(TsResol::Dec(b))
        } else {
            let p = b & 0x7f;
            (p <= 63).then_some(TsResol::Bin(p))
        }
    }

    #[inline]
    fn to_nanos(self, ticks: u64) -> u64 {
        match self {
            TsResol::Dec(6) => ticks.saturating_mul(1000),
            TsResol::Dec(9) => ticks,
            TsResol::Dec(e) if e < 9 => ticks.saturating_mul(10u64.pow(u32::from(9 - e))),
            TsResol::Dec(e) => ticks / 10u64.pow(u32::from(e - 9)),
            TsResol::Bin(p) => {
                let ns = (u128::from(ticks) * u128::from(NANOS_PER_SEC)) >> p;
                ns.min(u128::from(u64::MAX)) as u64
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Iface {
    link_type: u32,
    snaplen: u32,
    resol: TsResol,
    offset_secs: i64,
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

/// Fixed input buffer over a `Read`; tracks the absolute offset of its first unread byte.
struct Input<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Absolute input offset of `buf[start]`.
    pos: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn avail(&self) -> usize {
        self.end - self.start
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Reads until `n` bytes are buffered; false if the input ended first. `n ≤ BUF_SIZE`.
    fn fill_to(&mut self, n: usize) -> Result<bool, CaptureError> {
        debug_assert!(n <= BUF_SIZE);
        if n > self.buf.len() {
            // Grow (rarely: only for records larger than any seen so far), up to BUF_SIZE.
            let mut bigger = vec![0u8; n.max(self.buf.len() * 2).min(BUF_SIZE)];
            bigger[..self.avail()].copy_from_slice(self.data());
            self.end -= self.start;
            self.start = 0;
            self.buf = bigger.into_boxed_slice();
        }
        while self.avail() < n {
            if self.eof {
                return Ok(false);
            }
            if self.buf.len() - self.start < n {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(CaptureError::Io {
                        offset: self.pos + self.avail() as u64,
                        source: e,
                    });
                }
            }
        }
        Ok(true)
    }

    fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.avail());
        self.start += n;
        self.pos += n as u64;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Discards `n` bytes, reading through the input without buffering them all.
    /// Returns false (with everything available consumed) if the input ended first.
    fn skip(&mut self, mut n: u64) -> Result<bool, CaptureError> {
        loop {
            let k = (self.avail() as u64).min(n) as usize;
            self.consume(k);
            n -= k as u64;
            if n == 0 {
                return Ok(true);
            }
            if !self.fill_to(1)? {
                return Ok(false);
            }
        }
    }
}

fn rd16(b: &[u8], at: usize, be: bool) -> u16 {
    let v = [b[at], b[at + 1]];
    if be {
        u16::from_be_bytes(v)
    } else {
        u16::from_le_bytes(v)
    }
}

fn rd32(b: &[u8], at: usize, be: bool) -> u32 {
    let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
    if be {
        u32::from_be_bytes(v)
    } else {
        u32::from_le_bytes(v)
    }
}

fn rd64(b: &[u8], at: usize, be: bool) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[at..at + 8]);
    if be {
        u64::from_be_bytes(v)
    } else {
        u64::from_le_bytes(v)
    }
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

    fn read_pcap_record(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
        let State::Pcap {
            big_endian: be,
            nanos,
            rec_hdr,
            link_type,
        } = self.state
        else {
            unreachable!()
        };
        if !self.input.fill_to(rec_hdr)? {
            return self.tail(rec_hdr as u64);
        }
        let h = self.input.data();
        let sec = u64::from(rd32(h, 0, be));
        let frac = u64::from(rd32(h, 4, be));
        let incl = rd32(h, 8, be) as usize;
        let orig_len = rd32(h, 12, be);
        if incl > MAX_RECORD {
            return Err(CaptureError::RecordTooLarge {
                frame: self.stats.frames + 1,
                offset: self.input.pos,
                len: incl as u64,
                max: MAX_RECORD,
            });
        }
        let total = rec_hdr + incl;
        if !self.input.fill_to(total)? {
            return self.tail(total as u64);
        }
        let ts = sec * NANOS_PER_SEC + if nanos { frac } else { frac * 1000 };
        Ok(Some(FrameMeta {
            link_type,
            ts,
            orig_len,
            interface: 0,
            data_at: rec_hdr,
            data_len: incl,
            record_len: total,
        }))
    }

    fn bad_block(&self, what: impl Into<String>) -> CaptureError {
        CaptureError::BadBlock {
            offset: self.input.pos,
            what: what.into(),
        }
    }

    fn read_pcapng_packet(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
        loop {
            if !self.input.fill_to(8)? {
                return self.tail(8);
            }
            let State::PcapNg { big_endian, .. } = self.state else {
                unreachable!()
            };
            let mut be = big_endian;
            let btype_raw = rd32(self.input.data(), 0, be);
            if btype_raw == SHB {
                // A new section may switch byte order: read it from the byte-order magic.
                if !self.input.fill_to(12)? {
                    return self.tail(12);
                }
                be = bom_order(self.input.data(), self.input.pos)?;
            }
            let btype = btype_raw;
            let len = rd32(self.input.data(), 4, be);
            if len < 12 || !len.is_multiple_of(4) {
                return Err(self.bad_block(format!(
                    "block type 0x{btype:08x} has invalid length {len} (must be ≥ 12 and a multiple of 4)"
                )));
            }
            let len_us = len as usize;
            let keep = matches!(btype, SHB | IDB | EPB | SPB | OPB);
            if !keep {
                if u64::from(len) > MAX_OTHER_BLOCK {
                    return Err(self.bad_block(format!(
                        "block type 0x{btype:08x} claims {len} bytes (limit {MAX_OTHER_BLOCK})"
                    )));
                }
                let at = self.input.pos;
                let frame = self.stats.frames + 1;
                if !self.input.skip(u64::from(len))? {
                    self.stats.truncated_tail = Some(TruncatedTail {
                        frame,
                        offset: at,
                        have: self.input.pos - at,
                        need: u64::from(len),
                    });
                    return Ok(None);
                }
                self.stats.other_blocks += 1;
                continue;
            }
            if len_us > MAX_BUFFERED_BLOCK {
                return Err(if matches!(btype, EPB | SPB | OPB) {
                    CaptureError::RecordTooLarge {
                        frame: self.stats.frames + 1,
                        offset: self.input.pos,
                        len: u64::from(len),
                        max: MAX_RECORD,
                    }
                } else {
                    self.bad_block(format!(
                        "block type {btype} claims {len} bytes (limit {MAX_BUFFERED_BLOCK})"
                    ))
                });
            }
            if !self.input.fill_to(len_us)? {
                return self.tail(u64::from(len));
            }
            let b = self.input.data();
            let trailer = rd32(b, len_us - 4, be);
            if trailer != len {
                return Err(self.bad_block(format!(
                    "leading length {len} differs from trailing length {trailer}"
                )));
            }
            match btype {
                SHB => {
                    if len < 28 {
                        return Err(self.bad_block("section header block shorter than 28 bytes"));
                    }
                    let (major, minor) = (rd16(b, 12, be), rd16(b, 14, be));
                    if major != 1 {
                        return Err(CaptureError::UnsupportedVersion {
                            format: "pcapng",
                            major,
                            minor,
                        });
                    }
                    if let State::PcapNg {
                        big_endian, ifaces, ..
                    } = &mut self.state
                    {
                        *big_endian = be;
                        ifaces.clear();
                    }
                    self.input.consume(len_us);
                }
                IDB => {
                    let iface = self.parse_idb(be, len_us)?;
                    let State::PcapNg { ifaces, .. } = &mut self.state else {
                        unreachable!()
                    };
                    if ifaces.len() >= MAX_INTERFACES {
                        return Err(self.bad_block("more than 65536 interfaces in one section"));
                    }
                    ifaces.push(iface);
                    self.input.consume(len_us);
                }
                _ => return self.packet_block(btype, be, len_us).map(Some),
            }
        }
    }

    fn parse_idb(&self, be: bool, len: usize) -> Result<Iface, CaptureError> {
        let b = self.input.data();
        if len < 20 {
            return Err(self.bad_block("interface description block shorter than 20 bytes"));
        }
        let mut iface = Iface {
            link_type: u32::from(rd16(b, 8, be)),
            snaplen: rd32(b, 12, be),
            resol: TsResol::Dec(6),
            offset_secs: 0,
        };
        // Options: code(2) len(2) value padded to 4, until opt_endofopt or the trailer.
        let mut at = 16;
        let end = len - 4;
        while at + 4 <= end {
            let code = rd16(b, at, be);
            let olen = usize::from(rd16(b, at + 2, be));
            let val = at + 4;
            if code == 0 {
                break;
            }
            if val + olen > end {
                return Err(self.bad_block(format!(
                    "interface option {code} of {olen} bytes runs past the block end"
                )));
            }
            match (code, olen) {
                (9, 1..) => {
                    iface.resol = TsResol::from_option(b[val]).ok_or_else(|| {
                        self.bad_block(format!(
                            "unsupported if_tsresol 0x{:02x} (max 10^-19 or 2^-63 s)",
                            b[val]
                        ))
                    })?;
                }
                (14, 8..) => iface.offset_secs = rd64(b, val, be) as i64,
                _ => {}
            }
            at = val + olen.next_multiple_of(4);
        }
        Ok(iface)
    }

    fn packet_block(
        &mut self,
        btype: u32,
        be: bool,
        len: usize,
    ) -> Result<FrameMeta, CaptureError> {
        let b = self.input.data();
        let State::PcapNg {
            ifaces, last_ts, ..
        } = &self.state
        else {
            unreachable!()
        };
        let (if_id, ts_ticks, caplen, orig_len, data_at) = match btype {
            SPB => {
                if len < 16 {
                    return Err(self.bad_block("simple packet block shorter than 16 bytes"));
                }
                let orig = rd32(b, 8, be);
                let mut cap = (len - 16).min(orig as usize);
                if let Some(i) = ifaces.first()
                    && i.snaplen != 0
                {
                    cap = cap.min(i.snaplen as usize);
                }
                (0u32, None, cap, orig, 12)
            }
            _ => {
                if len < 32 {
                    return Err(self.bad_block("packet block shorter than 32 bytes"));
                }
                let if_id = if btype == OPB {
                    u32::from(rd16(b, 8, be))
                } else {
                    rd32(b, 8, be)
                };
                let ticks = (u64::from(rd32(b, 12, be)) << 32) | u64::from(rd32(b, 16, be));
                let cap = rd32(b, 20, be) as usize;
                if cap > MAX_RECORD {
                    return Err(CaptureError::RecordTooLarge {
                        frame: self.stats.frames + 1,
                        offset: self.input.pos,
                        len: cap as u64,
                        max: MAX_RECORD,
                    });
                }
                if 28 + cap > len - 4 {
                    return Err(self.bad_block(format!(
                        "captured length {cap} does not fit in a block of {len} bytes"
                    )));
                }
                (if_id, Some(ticks), cap, rd32(b, 24, be), 28)
            }
        };
        let Some(iface) = ifaces.get(if_id as usize) else {
            return Err(self.bad_block(format!(
                "packet refers to interface {if_id}, but the section describes {}",
                ifaces.len()
            )));
        };
        let ts = match ts_ticks {
            Some(t) => {
                let ns = i128::from(iface.resol.to_nanos(t))
                    + i128::from(iface.offset_secs) * i128::from(NANOS_PER_SEC);
                ns.clamp(0, i128::from(u64::MAX)) as u64
            }
            None => *last_ts,
        };
        let link_type = iface.link_type;
        if let State::PcapNg { last_ts, .. } = &mut self.state {
            *last_ts = ts;
        }
        Ok(FrameMeta {
            link_type,
            ts,
            orig_len,
            interface: if_id,
            data_at,
            data_len: caplen,
            record_len: len,
        })
    }
}

/// Byte order of a section from its byte-order magic at `b[8..12]`.
fn bom_order(b: &[u8], offset: u64) -> Result<bool, CaptureError> {
    let raw = [b[8], b[9], b[10], b[11]];
    if u32::from_le_bytes(raw) == BOM {
        Ok(false)
    } else if u32::from_be_bytes(raw) == BOM {
        Ok(true)
    } else {
        Err(CaptureError::BadBlock {
            offset,
            what: format!(
                "section header byte-order magic is 0x{:08x}, expected 0x1a2b3c4d",
                u32::from_be_bytes(raw)
            ),
        })
    }
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
mod tests {
    use super::super::decode::linktype;
    use super::super::packet::Transport;
    use super::super::writer::{CaptureWriter, WriteFormat};
    use super::*;
    use etherparse::PacketBuilder;

    /// A reader that returns 1..=7 bytes per `read()`, like a slow pipe.
    struct Trickle<'a> {
        data: &'a [u8],
        n: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.n = self.n % 7 + 1;
            let k = self.n.min(buf.len()).min(self.data.len());
            buf[..k].copy_from_slice(&self.data[..k]);
            self.data = &self.data[k..];
            Ok(k)
        }
    }

    fn udp_frame(sport: u16, payload: usize) -> Vec<u8> {
        let mut v = Vec::new();
        PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([192, 168, 0, 1], [192, 168, 0, 2], 64)
            .udp(sport, 53)
            .write(&mut v, &vec![0u8; payload])
            .unwrap();
        v
    }

    const T0: Nanos = 1_700_000_000_123_456_789;

    fn capture(format: WriteFormat, n: u16) -> Vec<u8> {
        let mut w = CaptureWriter::new(Vec::new(), format, linktype::ETHERNET, 0).unwrap();
        for i in 0..n {
            w.write_frame(
                T0 + u64::from(i) * 1_000_001,
                &udp_frame(1000 + i, 10 + i as usize),
            )
            .unwrap();
        }
        w.finish().unwrap()
    }

    fn read_all<R: Read>(r: R) -> (Vec<Packet>, CaptureStats, CaptureFormat) {
        let mut pr = PacketReader::new(r).unwrap();
        let mut v = Vec::new();
        while let Some(p) = pr.next_packet().unwrap() {
            v.push(p);
        }
        (v, pr.stats().clone(), pr.format())
    }

    #[test]
    fn classic_byte_orders_and_resolutions() {
        for (be, nanos, name) in [
            (false, false, "pcap (little-endian, µs)"),
            (true, false, "pcap (big-endian, µs)"),
            (false, true, "pcap (little-endian, ns)"),
            (true, true, "pcap (big-endian, ns)"),
        ] {
            let data = capture(
                WriteFormat::Pcap {
                    big_endian: be,
                    nanos,
                },
                5,
            );
            let (pk, st, fmt) = read_all(&data[..]);
            assert_eq!(fmt.to_string(), name);
            assert_eq!(pk.len(), 5);
            assert_eq!(st.frames, 5);
            for (i, p) in pk.iter().enumerate() {
                let exact = T0 + i as u64 * 1_000_001;
                let want = if nanos { exact } else { exact / 1000 * 1000 };
                assert_eq!(p.ts, want, "{name} #{i}");
                assert_eq!(p.payload_len, 10 + i as u32);
                assert!(
                    matches!(p.transport, Transport::Udp { src_port, .. } if src_port == 1000 + i as u16)
                );
            }
        }
    }

    #[test]
    fn pcapng_resolutions_and_offset() {
        // (tsresol, offset, expected ts of the first packet)
        for (resol, off, want) in [
            (6u8, 0i64, T0 / 1000 * 1000),
            (9, 0, T0),
            (3, 0, T0 / 1_000_000 * 1_000_000),
            (0x80 | 20, 0, 0), // 2^-20 s; checked approximately below
            (9, 1_600_000_000, T0),
            (6, -5, T0 / 1000 * 1000),
        ] {
            for be in [false, true] {
                let f = WriteFormat::PcapNg {
                    big_endian: be,
                    tsresol: resol,
                    tsoffset_secs: off,
                };
                let data = capture(f, 3);
                let (pk, _, fmt) = read_all(&data[..]);
                assert_eq!(pk.len(), 3);
                assert_eq!(
                    fmt.to_string(),
                    if be {
                        "pcapng (big-endian)"
                    } else {
                        "pcapng (little-endian)"
                    }
                );
                if resol & 0x80 != 0 {
                    // One tick is ~954 ns; floor both ways loses at most 2 ticks.
                    assert!(T0 - pk[0].ts < 2 * 954, "{} vs {}", pk[0].ts, T0);
                } else {
                    assert_eq!(pk[0].ts, want, "resol {resol} off {off}");
                }
            }
        }
    }

    #[test]
    fn pcapng_two_interfaces_and_spb() {
        let mut w = CaptureWriter::new(
            Vec::new(),
            WriteFormat::PcapNg {
                big_endian: false,
                tsresol: 9,
                tsoffset_secs: 0,
            },
            linktype::ETHERNET,
            0,
        )
        .unwrap();
        let raw = w.add_interface(linktype::RAW, 0, 3, 0).unwrap();
        let eth = udp_frame(1, 20);
        w.write_frame_on(0, T0, &eth).unwrap();
        w.write_frame_on(raw, T0 + 5_000_000, &eth[14..]).unwrap();
        w.write_simple_packet(&eth).unwrap();
        let data = w.finish().unwrap();
        let (pk, st, _) = read_all(&data[..]);
        assert_eq!(pk.len(), 3);
        assert_eq!(pk[0].ts, T0);
        assert_eq!(pk[1].ts, (T0 + 5_000_000) / 1_000_000 * 1_000_000);
        assert_eq!(pk[2].ts, pk[1].ts); // SPB: previous timestamp
        assert!(pk.iter().all(|p| p.payload_len == 20));
        assert_eq!(st.frames, 3);
    }

    #[test]
    fn pcapng_skips_other_blocks_and_new_section() {
        let mut data = capture(WriteFormat::PCAPNG_US, 2);
        // An Interface Statistics Block-like unknown block (type 5), 16 bytes.
        for v in [5u32, 16, 0, 16] {
            data.extend_from_slice(&v.to_le_bytes());
        }
        // A second, big-endian section appended (cat a.pcapng b.pcapng).
        data.extend(capture(
            WriteFormat::PcapNg {
                big_endian: true,
                tsresol: 9,
                tsoffset_secs: 0,
            },
            2,
        ));
        let (pk, st, _) = read_all(&data[..]);
        assert_eq!(pk.len(), 4);
        assert_eq!(pk[3].ts, T0 + 1_000_001);
        assert_eq!(st.other_blocks, 1);
    }

    #[test]
    fn trickling_pipe_reads_same_packets() {
        for f in [WriteFormat::PCAP_US, WriteFormat::PCAPNG_US] {
            let data = capture(f, 50);
            let (a, _, _) = read_all(&data[..]);
            let (b, st, _) = read_all(Trickle { data: &data, n: 0 });
            assert_eq!(a, b);
            assert_eq!(st.truncated_tail, None);
        }
    }

    #[test]
    fn bad_magic_and_empty() {
        let e = PacketReader::new(&b"<html><body>"[..]).err().unwrap();
        assert_eq!(
            e.to_string(),
            "not a packet capture: magic 0x3c68746d at byte 0 (expected pcap or pcapng); the input looks like text: use the matching --format"
        );
        let e = PacketReader::new(&[0x1f, 0x8b, 8, 0][..]).err().unwrap();
        assert!(e.to_string().contains("gzip"), "{e}");
        assert!(matches!(
            PacketReader::new(&[][..]).err().unwrap(),
            CaptureError::Empty
        ));
        // pcapng magic with a broken byte-order magic.
        let mut ng = capture(WriteFormat::PCAPNG_US, 1);
        ng[8] = 0;
        let e = PacketReader::new(&ng[..]).err().unwrap();
        assert!(e.to_string().contains("byte-order magic"), "{e}");
    }

    #[test]
    fn truncated_header() {
        let data = capture(WriteFormat::PCAP_US, 1);
        for cut in [2, 10, 23] {
            assert!(matches!(
                PacketReader::new(&data[..cut]).err().unwrap(),
                CaptureError::TruncatedHeader { .. }
            ));
        }
        let ng = capture(WriteFormat::PCAPNG_US, 1);
        assert!(matches!(
            PacketReader::new(&ng[..7]).err().unwrap(),
            CaptureError::TruncatedHeader { .. }
        ));
    }

    #[test]
    fn truncated_last_record_stops_with_count() {
        for f in [WriteFormat::PCAP_US, WriteFormat::PCAPNG_US] {
            let data = capture(f, 3);
            let full = read_all(&data[..]).0.len();
            assert_eq!(full, 3);
            for cut in 1..20 {
                let (pk, st, _) = read_all(&data[..data.len() - cut]);
                assert_eq!(pk.len(), 2, "cut {cut}");
                let t = st.truncated_tail.expect("tail recorded");
                assert_eq!(t.frame, 3);
                assert!(t.have < t.need);
            }
        }
    }

    #[test]
    fn absurd_record_length_is_an_error() {
        let mut data = capture(WriteFormat::PCAP_US, 2);
        // Second record's incl_len: header 24 + first record (16 + 52) + 8.
        let first_len = 16 + udp_frame(0, 10).len();
        let at = 24 + first_len + 8;
        data[at..at + 4].copy_from_slice(&0x7fff_ffffu32.to_le_bytes());
        let mut r = PacketReader::new(&data[..]).unwrap();
        assert!(r.next_packet().unwrap().is_some());
        let e = r.next_packet().unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "packet 2 at byte {} claims 2147483647 captured bytes (limit 262144): the capture is corrupt or not aligned",
                24 + first_len
            )
        );

        let mut ng = capture(WriteFormat::PCAPNG_US, 1);
        let n = ng.len();
        // EPB is last; claim a 100 MB block.
        let epb = n - (32 + udp_frame(0, 10).len().next_multiple_of(4));
        ng[epb + 4..epb + 8].copy_from_slice(&100_000_000u32.to_le_bytes());
        let mut r = PacketReader::new(&ng[..]).unwrap();
        assert!(matches!(
            r.next_packet().unwrap_err(),
            CaptureError::RecordTooLarge { .. }
        ));
    }

    #[test]
    fn snaplen_shorter_than_headers() {
        let mut w =
            CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, linktype::ETHERNET, 30).unwrap();
        w.write_frame(T0, &udp_frame(7, 100)).unwrap();
        let data = w.finish().unwrap();
        let (pk, st, _) = read_all(&data[..]);
        assert!(pk.is_empty());
        assert_eq!(st.skipped_truncated, 1);

        // snaplen 96 keeps headers: payload counted from the IP length.
        let mut w =
            CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, linktype::ETHERNET, 96).unwrap();
        w.write_frame(T0, &udp_frame(7, 1000)).unwrap();
        let (pk, _, _) = read_all(&w.finish().unwrap()[..]);
        assert_eq!(pk[0].payload_len, 1000);
    }

    #[test]
    fn unsupported_link_type_counted() {
        let mut w = CaptureWriter::new(Vec::new(), WriteFormat::PCAP_US, 147, 0).unwrap();
        w.write_frame(T0, &[1, 2, 3]).unwrap();
        let (pk, st, _) = read_all(&w.finish().unwrap()[..]);
        assert!(pk.is_empty());
        assert_eq!(st.skipped_unsupported_link, 1);
    }

    #[test]
    fn large_records_grow_the_buffer() {
        for f in [WriteFormat::PCAP_US, WriteFormat::PCAPNG_US] {
            let mut w = CaptureWriter::new(Vec::new(), f, linktype::ETHERNET, 0).unwrap();
            w.write_frame(T0, &udp_frame(1, 60_000)).unwrap();
            w.write_frame(T0, &vec![0xab; MAX_RECORD]).unwrap();
            w.write_frame(T0, &udp_frame(2, 10)).unwrap();
            let data = w.finish().unwrap();
            let mut r = PacketReader::new(Trickle { data: &data, n: 3 }).unwrap();
            let lens: Vec<usize> =
                std::iter::from_fn(|| r.next_frame().unwrap().map(|f| f.data.len())).collect();
            assert_eq!(lens, [60_042, MAX_RECORD, 52]);
        }
    }

    fn splitmix(s: &mut u64) -> u64 {
        *s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *s;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn fuzz_reader_never_panics() {
        let seeds = [
            capture(WriteFormat::PCAP_US, 4),
            capture(
                WriteFormat::Pcap {
                    big_endian: true,
                    nanos: true,
                },
                4,
            ),
            capture(WriteFormat::PCAPNG_US, 4),
            capture(
                WriteFormat::PcapNg {
                    big_endian: true,
                    tsresol: 0x85,
                    tsoffset_secs: 3,
                },
                4,
            ),
        ];
        let mut s = 42u64;
        for i in 0..4000 {
            let mut buf = seeds[i % seeds.len()].clone();
            if i % 10 == 0 {
                let n = (splitmix(&mut s) % 200) as usize;
                buf = (0..n).map(|_| splitmix(&mut s) as u8).collect();
            } else {
                for _ in 0..=(splitmix(&mut s) % 8) {
                    let at = (splitmix(&mut s) as usize) % buf.len();
                    buf[at] = splitmix(&mut s) as u8;
                }
                let keep = (splitmix(&mut s) as usize) % (buf.len() + 1);
                if i % 3 == 0 {
                    buf.truncate(keep);
                }
            }
            if let Ok(mut r) = PacketReader::new(Trickle { data: &buf, n: i }) {
                let mut guard = 0;
                while let Ok(Some(_)) = r.next_packet() {
                    guard += 1;
                    assert!(guard < 1000);
                }
            }
        }
    }

    // Tiny captures made on the development machine, not by this crate's writer:
    // NG_TWO_IF_BE by an independent Python pcapng writer (big-endian; interface 0 with
    // if_tsresol 2^-10, interface 1 µs with if_tsoffset 1600000000 s), TCPDUMP_SLL2_SNAP60
    // by `tcpdump -i any -s 60 -w -` (Linux cooked v2). Expected timestamps are what
    // `tcpdump -tt --nano -r` (libpcap 1.10.3) prints for them.
    const NG_TWO_IF_BE: &[u8] = b"\
        \x0a\x0d\x0d\x0a\x00\x00\x00\x1c\x1a\x2b\x3c\x4d\x00\x01\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\
        \x00\x00\x00\x1c\x00\x00\x00\x01\x00\x00\x00\x20\x00\x01\x00\x00\x00\x00\xff\xff\x00\x09\x00\x01\
        \x8a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x20\x00\x00\x00\x01\x00\x00\x00\x2c\x00\x01\x00\x00\
        \x00\x00\xff\xff\x00\x09\x00\x01\x06\x00\x00\x00\x00\x0e\x00\x08\x00\x00\x00\x00\x5f\x5e\x10\x00\
        \x00\x00\x00\x00\x00\x00\x00\x2c\x00\x00\x00\x06\x00\x00\x00\x58\x00\x00\x00\x00\x00\x00\x01\x95\
        \x4f\xc4\x00\x7e\x00\x00\x00\x36\x00\x00\x00\x36\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\
        \x08\x00\x45\x00\x00\x28\x00\x01\x00\x00\x40\x06\x63\xca\x0a\x01\x01\x01\x0a\x02\x02\x02\x04\x57\
        \x00\x50\x00\x00\x00\x00\x00\x00\x00\x00\x50\x02\x20\x00\x74\x36\x00\x00\x00\x00\x00\x00\x00\x58\
        \x00\x00\x00\x06\x00\x00\x00\x6c\x00\x00\x00\x01\x00\x00\x5a\xf3\x10\x89\x82\x40\x00\x00\x00\x4b\
        \x00\x00\x00\x4b\x02\xfc\x00\x00\x00\x05\x02\xfc\x00\x00\x00\x01\x08\x00\x45\x00\x00\x3d\x00\x01\
        \x00\x00\x40\x11\x63\xaa\x0a\x01\x01\x01\x0a\x02\x02\x02\x08\xae\x00\x35\x00\x29\xe0\x2b\x78\x78\
        \x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\x78\
        \x78\x78\x78\x78\x78\x78\x78\x00\x00\x00\x00\x6c\x00\x00\x00\x06\x00\x00\x00\x84\x00\x00\x00\x00\
        \x00\x00\x01\x95\x4f\xc4\x0b\xff\x00\x00\x00\x62\x00\x00\x00\x62\x02\xfc\x00\x00\x00\x05\x02\xfc\
        \x00\x00\x00\x01\x08\x00\x45\x00\x00\x54\x00\x01\x00\x00\x40\x01\x63\xa3\x0a\x01\x01\x01\x0a\x02\
        \x02\x02\x08\x00\xae\xb6\x00\x00\x00\x00\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\
        \x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\
        \x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x79\x00\x00\x00\x00\x00\x84\
    ";
    const TCPDUMP_SLL2_SNAP60: &[u8] = b"\
        \xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x3c\x00\x00\x00\x14\x01\x00\x00\
        \x7d\x9c\x05\x6b\x22\xe8\x07\x00\x3c\x00\x00\x00\xc0\x01\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\
        \x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x45\x00\x01\xac\xba\x65\x40\x00\x40\x11\x80\xd9\
        \x7f\x00\x00\x01\x7f\x00\x00\x01\x8c\xa7\x14\xe9\x01\x98\xff\xab\x71\x71\x71\x71\x71\x71\x71\x71\
        \x71\x71\x71\x71\x7d\x9c\x05\x6b\x2f\xe8\x07\x00\x3c\x00\x00\x00\xdc\x01\x00\x00\x08\x00\x00\x00\
        \x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x45\xc0\x01\xc8\xaa\xe1\x00\x00\
        \x40\x01\xcf\x91\x7f\x00\x00\x01\x7f\x00\x00\x01\x03\x03\xb9\x87\x00\x00\x00\x00\x45\x00\x01\xac\
        \xba\x65\x40\x00\x40\x11\x80\xd9\x7d\x9c\x05\x6b\x6d\xe8\x07\x00\x3c\x00\x00\x00\x2c\x04\x00\x00\
        \x86\xdd\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\x60\x0c\xf6\xde\
        \x03\xf0\x11\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\
        \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x7d\x9c\x05\x6b\x0d\xe9\x07\x00\x3c\x00\x00\x00\
        \x5c\x04\x00\x00\x86\xdd\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\x00\x00\x00\x00\
        \x60\x06\x7a\xe0\x04\x20\x3a\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\
        \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x7d\x9c\x05\x6b\x2e\xe9\x07\x00\
        \x3c\x00\x00\x00\x50\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\x00\x00\x00\x00\
        \x00\x00\x00\x00\x45\x00\x00\x3c\x25\xad\x40\x00\x40\x06\x17\x0d\x7f\x00\x00\x01\x7f\x00\x00\x01\
        \xce\xa0\x00\x09\xde\xbe\x53\x2b\x00\x00\x00\x00\xa0\x02\xff\xd7\xfe\x30\x00\x00\x7d\x9c\x05\x6b\
        \x97\xe9\x07\x00\x3c\x00\x00\x00\x3c\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x01\x03\x04\x00\x06\
        \x00\x00\x00\x00\x00\x00\x00\x00\x45\x00\x00\x28\x00\x00\x40\x00\x40\x06\x3c\xce\x7f\x00\x00\x01\
        \x7f\x00\x00\x01\x00\x09\xce\xa0\x00\x00\x00\x00\xde\xbe\x53\x2c\x50\x14\x00\x00\xb1\x39\x00\x00\
    ";

    #[test]
    fn timestamps_match_libpcap_on_foreign_captures() {
        let (pk, _, fmt) = read_all(NG_TWO_IF_BE);
        assert_eq!(fmt.to_string(), "pcapng (big-endian)");
        let ts: Vec<_> = pk.iter().map(|p| p.ts).collect();
        assert_eq!(
            ts,
            [
                1_700_000_000_123_046_875,
                1_700_000_001_000_000_000,
                1_700_000_002_999_023_437
            ]
        );
        assert_eq!(pk[1].payload_len, 33);

        let (pk, st, fmt) = read_all(TCPDUMP_SLL2_SNAP60);
        assert_eq!(fmt.to_string(), "pcap (little-endian, µs)");
        assert_eq!(st.frames, 6);
        // Two IPv6 frames cut before their UDP/ICMPv6 header; the SYN's 40-byte TCP header
        // is cut in its options but ports and flags survive.
        assert_eq!(st.skipped_truncated, 2);
        let ts: Vec<_> = pk.iter().map(|p| p.ts).collect();
        assert_eq!(
            ts,
            [
                1_795_529_853_518_178_000,
                1_795_529_853_518_191_000,
                1_795_529_853_518_446_000,
                1_795_529_853_518_551_000
            ]
        );
        assert_eq!(pk[0].payload_len, 400);
        assert!(matches!(
            pk[0].transport,
            Transport::Udp { dst_port: 5353, .. }
        ));
        assert!(
            matches!(pk[2].transport, Transport::Tcp { dst_port: 9, flags, .. } if flags.syn())
        );
    }
}
