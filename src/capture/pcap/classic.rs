//! Classic pcap (and Kuznetzov's modified pcap): one record at a time.

use std::io::Read;

use super::super::packet::NANOS_PER_SEC;
use super::error::CaptureError;
use super::input::rd32;
use super::{FrameMeta, MAX_RECORD, PacketReader, State};

impl<R: Read> PacketReader<R> {
    pub(super) fn read_pcap_record(&mut self) -> Result<Option<FrameMeta>, CaptureError> {
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
            return Err(self.record_too_large(incl as u64));
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
}
