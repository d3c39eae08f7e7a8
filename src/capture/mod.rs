//! Packets → KDD connection records: the capture reader and decoder produce
//! [`packet::Packet`]s, the tracker turns them into [`record::ConnRecord`]s with the
//! KDD basic and traffic features.

pub mod conntrack;
pub mod decode;
pub mod demo_capture;
pub mod packet;
pub mod pcap;
pub mod record;
pub mod writer;

use std::io::Read;

use crate::data::Dataset;
use crate::data::dataset::RawRecord;
use crate::data::schema::{FEATURES, FeatureKind, N_NUMERIC, numeric_slot};

use conntrack::{Tracker, TrackerConfig, TrackerStats};
use pcap::{CaptureError, CaptureFormat, CaptureStats, PacketReader};
use record::ConnRecord;

/// Index of the first traffic feature (`count`) among the 41.
const FIRST_TRAFFIC_FEATURE: usize = 22;

/// The 38 numeric KDD features of a connection record, in schema order.
///
/// Content features (hot … is_guest_login) need payload inspection and are 0. Rates are
/// rounded to two decimals, as the KDD files print them, so a record made from packets
/// looks like the records models are trained on.
pub fn numeric_features(record: &ConnRecord) -> [f64; N_NUMERIC] {
    let mut numeric = [0.0; N_NUMERIC];
    let mut set = |feature: usize, value: f64| {
        let slot = numeric_slot(feature).expect("a numeric feature");
        numeric[slot] = value;
    };
    set(0, record.duration_secs() as f64);
    set(4, record.src_bytes as f64);
    set(5, record.dst_bytes as f64);
    set(6, f64::from(u8::from(record.land)));
    set(7, f64::from(record.wrong_fragment));
    set(8, f64::from(record.urgent));
    for (i, value) in record.traffic.rounded().to_array().into_iter().enumerate() {
        set(FIRST_TRAFFIC_FEATURE + i, value);
    }
    numeric
}

/// Appends a connection record to a dataset as an unlabelled KDD record; `line` is its
/// 1-based position in the stream of records.
pub fn push_record(dataset: &mut Dataset, record: &ConnRecord, line: u64) {
    dataset.push(&raw_record(record, None, line));
}

/// A connection record as a dataset row: its 41 features, with `label` and `line`.
pub fn raw_record<'a>(record: &'a ConnRecord, label: Option<&'a str>, line: u64) -> RawRecord<'a> {
    RawRecord {
        numeric: numeric_features(record),
        categorical: [
            Some(record.protocol.as_str()),
            Some(record.service),
            Some(record.flag.as_str()),
        ],
        label,
        difficulty: None,
        line,
    }
}

/// Packets from a capture turned into connection records, on the calling thread
/// (`pcap2kdd`, tests, benchmarks).
pub struct CaptureRecords<R: Read> {
    reader: PacketReader<R>,
    tracker: Tracker,
    finished: bool,
}

impl<R: Read> CaptureRecords<R> {
    /// Reads the capture's header; fails on input that is not a capture.
    pub fn new(input: R, config: TrackerConfig) -> Result<Self, CaptureError> {
        Ok(CaptureRecords {
            reader: PacketReader::new(input)?,
            tracker: Tracker::new(config),
            finished: false,
        })
    }

    /// Appends the records completed by the next packets (at least one record unless
    /// the capture is over); returns false once everything has been flushed.
    pub fn next_records(&mut self, out: &mut Vec<ConnRecord>) -> Result<bool, CaptureError> {
        if self.finished {
            return Ok(false);
        }
        let before = out.len();
        while out.len() == before {
            match self.reader.next_packet()? {
                Some(packet) => self.tracker.push(&packet, out),
                None => {
                    self.tracker.finish(out);
                    self.finished = true;
                    break;
                }
            }
        }
        Ok(true)
    }

    pub fn format(&self) -> CaptureFormat {
        self.reader.format()
    }

    pub fn capture_stats(&self) -> &CaptureStats {
        self.reader.stats()
    }

    pub fn tracker_stats(&self) -> TrackerStats {
        self.tracker.stats()
    }

    pub fn summary(&self) -> CaptureSummary {
        CaptureSummary::of(&self.format(), self.capture_stats(), &self.tracker.stats())
    }
}

/// What a capture held and what became of it, for summaries (text and JSON).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CaptureSummary {
    pub format: String,
    pub frames: u64,
    pub packets: u64,
    /// Frames that gave no packet, by reason.
    pub skipped_frames: std::collections::BTreeMap<&'static str, u64>,
    pub wrong_fragments: u64,
    pub connections: u64,
    pub records: u64,
    /// Connections reported early because the table was full: half-open ones (a flood)
    /// first, then the least recently active.
    pub evicted_half_open: u64,
    pub evicted_other: u64,
    /// Where the input stopped mid-record, if it did (e.g. tcpdump killed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truncated_tail: Option<String>,
}

impl CaptureSummary {
    pub fn of(
        format: &dyn std::fmt::Display,
        capture: &CaptureStats,
        tracker: &TrackerStats,
    ) -> Self {
        let skipped = [
            ("not_ip", capture.skipped_not_ip),
            ("other_protocol", capture.skipped_other_protocol),
            ("truncated", capture.skipped_truncated),
            ("malformed", capture.skipped_malformed),
            ("unsupported_link_type", capture.skipped_unsupported_link),
            ("orphan_fragments", capture.fragments.orphaned),
        ];
        CaptureSummary {
            format: format.to_string(),
            frames: capture.frames,
            packets: capture.packets,
            skipped_frames: skipped.into_iter().filter(|(_, n)| *n > 0).collect(),
            wrong_fragments: capture.fragments.wrong,
            connections: tracker.connections,
            records: tracker.records,
            evicted_half_open: tracker.evicted_half_open,
            evicted_other: tracker.evicted_other,
            truncated_tail: capture.truncated_tail.map(|t| {
                format!(
                    "frame {} at byte {} is cut off ({} of {} bytes)",
                    t.frame, t.offset, t.have, t.need
                )
            }),
        }
    }
}

/// Writes a connection record as one unlabelled KDD line (41 fields), formatted as the
/// KDD files are: counts as integers, rates with two decimals.
pub fn write_kdd_line(
    record: &ConnRecord,
    out: &mut (impl std::io::Write + ?Sized),
) -> std::io::Result<()> {
    let numeric = numeric_features(record);
    let categories = [
        record.protocol.as_str(),
        record.service,
        record.flag.as_str(),
    ];
    for (feature, f) in FEATURES.iter().enumerate() {
        if feature > 0 {
            out.write_all(b",")?;
        }
        match numeric_slot(feature) {
            None => out.write_all(categories[feature - 1].as_bytes())?,
            Some(slot) if f.kind == FeatureKind::Rate => write!(out, "{:.2}", numeric[slot])?,
            Some(slot) => write!(out, "{}", numeric[slot] as u64)?,
        }
    }
    out.write_all(b"\n")
}
