//! Minimal capture writer (classic pcap and pcapng), for tests, benchmarks and the demo.
//!
//! Classic pcap: either byte order, µs or ns timestamps. pcapng: either byte order, one
//! Section Header Block, any number of interfaces each with its own link type, snaplen,
//! `if_tsresol` (raw option byte: `6` = µs, `9` = ns, `0x80 | p` = 2^-p s) and `if_tsoffset`;
//! packets as Enhanced Packet Blocks, or Simple Packet Blocks on request. Frames longer than
//! the interface snaplen are cut, with the original length recorded, like `tcpdump -s`.

use std::io::{self, Write};

use super::packet::{NANOS_PER_SEC, Nanos};

/// Container format and timestamp encoding to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteFormat {
    Pcap {
        big_endian: bool,
        nanos: bool,
    },
    PcapNg {
        big_endian: bool,
        /// Raw `if_tsresol` byte of the first interface (6 = µs is the pcapng default).
        tsresol: u8,
        /// `if_tsoffset` of the first interface, in seconds.
        tsoffset_secs: i64,
    },
}

impl WriteFormat {
    pub const PCAP_US: WriteFormat = WriteFormat::Pcap {
        big_endian: false,
        nanos: false,
    };
    pub const PCAPNG_US: WriteFormat = WriteFormat::PcapNg {
        big_endian: false,
        tsresol: 6,
        tsoffset_secs: 0,
    };
}

struct NgIface {
    snaplen: u32,
    tsresol: u8,
    tsoffset_secs: i64,
}

/// Writes a capture to any `Write`. Call [`CaptureWriter::finish`] (or `into_inner`) to flush.
pub struct CaptureWriter<W: Write> {
    out: W,
    format: WriteFormat,
    big_endian: bool,
    /// Classic pcap snaplen (pcapng keeps one per interface).
    snaplen: u32,
    ifaces: Vec<NgIface>,
    scratch: Vec<u8>,
}

impl<W: Write> CaptureWriter<W> {
    /// Writes the file header (pcap) or SHB + first IDB (pcapng). `snaplen` 0 = unlimited.
    pub fn new(out: W, format: WriteFormat, link_type: u32, snaplen: u32) -> io::Result<Self> {
        let big_endian = match format {
            WriteFormat::Pcap { big_endian, .. } | WriteFormat::PcapNg { big_endian, .. } => {
                big_endian
            }
        };
        let mut w = CaptureWriter {
            out,
            format,
            big_endian,
            snaplen,
            ifaces: Vec::new(),
            scratch: Vec::with_capacity(2048),
        };
        match format {
            WriteFormat::Pcap { nanos, .. } => {
                let mut b = std::mem::take(&mut w.scratch);
                w.put32(&mut b, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
                w.put16(&mut b, 2);
                w.put16(&mut b, 4);
                w.put32(&mut b, 0); // thiszone
                w.put32(&mut b, 0); // sigfigs
                w.put32(&mut b, if snaplen == 0 { 262_144 } else { snaplen });
                w.put32(&mut b, link_type);
                w.out.write_all(&b)?;
                b.clear();
                w.scratch = b;
            }
            WriteFormat::PcapNg {
                tsresol,
                tsoffset_secs,
                ..
            } => {
                let mut b = std::mem::take(&mut w.scratch);
                w.put32(&mut b, 0x0A0D_0D0A);
                w.put32(&mut b, 28);
                w.put32(&mut b, 0x1A2B_3C4D);
                w.put16(&mut b, 1);
                w.put16(&mut b, 0);
                w.put64(&mut b, u64::MAX); // section length unknown (streaming)
                w.put32(&mut b, 28);
                w.out.write_all(&b)?;
                b.clear();
                w.scratch = b;
                w.add_interface(link_type, snaplen, tsresol, tsoffset_secs)?;
            }
        }
        Ok(w)
    }

    /// pcapng only: describes another interface; returns its id for
    /// [`CaptureWriter::write_frame_on`].
    pub fn add_interface(
        &mut self,
        link_type: u32,
        snaplen: u32,
        tsresol: u8,
        tsoffset_secs: i64,
    ) -> io::Result<u32> {
        if !matches!(self.format, WriteFormat::PcapNg { .. }) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "classic pcap has exactly one interface",
            ));
        }
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        self.put32(&mut b, 1);
        self.put32(&mut b, 0); // length, patched below
        self.put16(&mut b, link_type as u16);
        self.put16(&mut b, 0);
        self.put32(&mut b, snaplen);
        // if_tsresol (code 9, 1 byte, padded to 4)
        self.put16(&mut b, 9);
        self.put16(&mut b, 1);
        b.extend_from_slice(&[tsresol, 0, 0, 0]);
        if tsoffset_secs != 0 {
            self.put16(&mut b, 14);
            self.put16(&mut b, 8);
            self.put64(&mut b, tsoffset_secs as u64);
        }
        self.put16(&mut b, 0); // opt_endofopt
        self.put16(&mut b, 0);
        let len = b.len() as u32 + 4;
        self.put32(&mut b, len);
        self.patch32(&mut b, 4, len);
        self.out.write_all(&b)?;
        self.scratch = b;
        self.ifaces.push(NgIface {
            snaplen,
            tsresol,
            tsoffset_secs,
        });
        Ok(self.ifaces.len() as u32 - 1)
    }

    /// Writes one frame (on interface 0 for pcapng) with timestamp `ts`.
    pub fn write_frame(&mut self, ts: Nanos, frame: &[u8]) -> io::Result<()> {
        self.write_frame_on(0, ts, frame)
    }

    /// pcapng: writes a frame as an Enhanced Packet Block on interface `if_id`.
    /// Classic pcap: `if_id` must be 0.
    pub fn write_frame_on(&mut self, if_id: u32, ts: Nanos, frame: &[u8]) -> io::Result<()> {
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        let orig_len = frame.len() as u32;
        match self.format {
            WriteFormat::Pcap { nanos, .. } => {
                if if_id != 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "classic pcap has exactly one interface",
                    ));
                }
                let data = cut(frame, self.snaplen);
                let frac = ts % NANOS_PER_SEC;
                self.put32(&mut b, (ts / NANOS_PER_SEC) as u32);
                self.put32(&mut b, if nanos { frac } else { frac / 1000 } as u32);
                self.put32(&mut b, data.len() as u32);
                self.put32(&mut b, orig_len);
                b.extend_from_slice(data);
            }
            WriteFormat::PcapNg { .. } => {
                let iface = self.ifaces.get(if_id as usize).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "no such interface")
                })?;
                let data = cut(frame, iface.snaplen);
                let ticks = ticks_for(ts, iface.tsresol, iface.tsoffset_secs);
                let padded = data.len().next_multiple_of(4);
                let len = (32 + padded) as u32;
                self.put32(&mut b, 6);
                self.put32(&mut b, len);
                self.put32(&mut b, if_id);
                self.put32(&mut b, (ticks >> 32) as u32);
                self.put32(&mut b, ticks as u32);
                self.put32(&mut b, data.len() as u32);
                self.put32(&mut b, orig_len);
                b.extend_from_slice(data);
                b.resize(b.len() + padded - data.len(), 0);
                self.put32(&mut b, len);
            }
        }
        let r = self.out.write_all(&b);
        self.scratch = b;
        r
    }

    /// pcapng only: writes a Simple Packet Block (interface 0, no timestamp).
    pub fn write_simple_packet(&mut self, frame: &[u8]) -> io::Result<()> {
        let Some(iface) = self.ifaces.first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "simple packet blocks exist only in pcapng",
            ));
        };
        let data = cut(frame, iface.snaplen);
        let mut b = std::mem::take(&mut self.scratch);
        b.clear();
        let padded = data.len().next_multiple_of(4);
        let len = (16 + padded) as u32;
        self.put32(&mut b, 3);
        self.put32(&mut b, len);
        self.put32(&mut b, frame.len() as u32);
        b.extend_from_slice(data);
        b.resize(b.len() + padded - data.len(), 0);
        self.put32(&mut b, len);
        let r = self.out.write_all(&b);
        self.scratch = b;
        r
    }

    /// Flushes and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }

    fn put16(&self, b: &mut Vec<u8>, v: u16) {
        b.extend_from_slice(&if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn put32(&self, b: &mut Vec<u8>, v: u32) {
        b.extend_from_slice(&if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn put64(&self, b: &mut Vec<u8>, v: u64) {
        b.extend_from_slice(&if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    fn patch32(&self, b: &mut [u8], at: usize, v: u32) {
        let bytes = if self.big_endian {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        };
        b[at..at + 4].copy_from_slice(&bytes);
    }
}

fn cut(frame: &[u8], snaplen: u32) -> &[u8] {
    if snaplen != 0 && frame.len() > snaplen as usize {
        &frame[..snaplen as usize]
    } else {
        frame
    }
}

/// Nanoseconds → pcapng timestamp units for a raw `if_tsresol` byte and `if_tsoffset`.
pub fn ticks_for(ts: Nanos, tsresol: u8, tsoffset_secs: i64) -> u64 {
    let ns = i128::from(ts) - i128::from(tsoffset_secs) * i128::from(NANOS_PER_SEC);
    let ns = ns.max(0) as u128;
    let units: u128 = if tsresol & 0x80 == 0 {
        10u128.pow(u32::from(tsresol.min(38)))
    } else {
        1u128 << u32::from((tsresol & 0x7f).min(127))
    };
    let t = ns.saturating_mul(units) / u128::from(NANOS_PER_SEC);
    t.min(u128::from(u64::MAX)) as u64
}
