//! pcap/pcapng reader → packet decoder → connection tracker → KDD records.
//!
//! Input: [config byte][read-size byte][capture bytes...]. The capture is read through a
//! reader that returns at most 1..=256 bytes per `read` (a pipe), every packet goes into
//! the tracker (a small table cap and ICMP options from the config byte), the tracker is
//! finished, and every record is appended to a dataset (`push_record`) and written as a
//! KDD line (`write_kdd_line`). The written lines must read back as unlabelled records.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use netanomaly::capture::conntrack::{Tracker, TrackerConfig};
use netanomaly::capture::packet::NANOS_PER_SEC;
use netanomaly::capture::pcap::PacketReader;
use netanomaly::capture::{CaptureSummary, push_record, write_kdd_line};
use netanomaly::data::Dataset;
use netanomaly::data::reader::ReadOptions;
use netanomaly::data::stream::StreamParser;
use netanomaly_fuzz::Bytes;

struct Trickle<'a> {
    data: &'a [u8],
    step: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let flags = input.u8();
    let step = match input.u8() {
        0 => usize::MAX,
        n => usize::from(n),
    };
    let mut config = TrackerConfig::default();
    if flags & 1 != 0 {
        config.max_connections = 1 + usize::from(flags >> 4);
    }
    config.icmp_pair_replies = flags & 2 != 0;
    if flags & 4 != 0 {
        config.icmp_timeout = 3 * NANOS_PER_SEC;
    }

    let Ok(mut reader) = PacketReader::new(Trickle {
        data: input.data,
        step,
    }) else {
        return;
    };
    let mut tracker = Tracker::new(config);
    let mut records = Vec::new();
    loop {
        match reader.next_packet() {
            Ok(Some(packet)) => tracker.push(&packet, &mut records),
            Ok(None) | Err(_) => break,
        }
    }
    tracker.finish(&mut records);
    let _ = CaptureSummary::of(&reader.format(), reader.stats(), &tracker.stats());
    let _ = reader.link_types();

    let mut dataset = Dataset::new("fuzz");
    let mut lines = Vec::new();
    for (i, record) in records.iter().enumerate() {
        push_record(&mut dataset, record, i as u64 + 1);
        write_kdd_line(record, &mut lines).expect("writing to a Vec");
    }
    assert_eq!(dataset.len(), records.len());

    let mut parser = StreamParser::new("fuzz", ReadOptions::default());
    let parsed = parser
        .feed(&lines)
        .unwrap_or_else(|e| panic!("a record written by write_kdd_line does not read back: {e}"));
    assert_eq!(parsed.records.len(), records.len());
});
