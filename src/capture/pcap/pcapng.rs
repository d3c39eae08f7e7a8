//! pcapng: section headers, interface descriptions (link type, snaplen, timestamp
//! resolution and offset), packet blocks (EPB, SPB, OPB); other blocks are skipped.

use std::io::Read;

use super::super::packet::NANOS_PER_SEC;
use super::error::CaptureError;
use super::input::{rd16, rd32, rd64};
use super::stats::TruncatedTail;
use super::{FrameMeta, MAX_OTHER_BLOCK, MAX_RECORD, PacketReader, State};

/// Largest pcapng block kept in the buffer whole (packet blocks, SHB, IDB).
const MAX_BUFFERED_BLOCK: usize = MAX_RECORD + 64 * 1024;
/// Upper bound on pcapng interfaces per section (each IDB costs a few bytes of memory).
const MAX_INTERFACES: usize = 65_536;

pub(super) const SHB: u32 = 0x0A0D_0D0A;
const IDB: u32 = 1;
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;
const BOM: u32 = 0x1A2B_3C4D;

/// pcapng timestamp resolution (`if_tsresol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TsResol {
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
pub(super) struct Iface {
    pub(super) link_type: u32,
    pub(super) snaplen: u32,
    pub(super) resol: TsResol,
    pub(super) offset_secs: i64,
}

impl<R: Read> PacketReader<R> {
    fn bad_block(&self, what: impl Into<String>) -> CaptureError {
        CaptureError::BadBlock {
            offset: self.input.pos,
            what: what.into(),
        }
    }

    pub(super) fn read_pcapng_packet(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
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
                    self.record_too_large(u64::from(len))
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
                    return Err(self.record_too_large(cap as u64));
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
pub(super) fn bom_order(b: &[u8], offset: u64) -> Result<bool, CaptureError> {
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
