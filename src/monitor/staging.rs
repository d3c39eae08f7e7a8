//! Turning input into records: the pieces that arrived together, KDD lines parsed, or
//! packets tracked into connections.

use std::time::Instant;

use crate::capture::conntrack::Tracker;
use crate::capture::packet::Nanos;
use crate::capture::pcap::CaptureStats;
use crate::capture::record::ConnRecord;
use crate::capture::{CaptureSummary, push_record};
use crate::data::Dataset;
use crate::data::reader::RowError;
use crate::data::stream::StreamParser;

use super::config::{Input, MonitorConfig};
use super::error::MonitorError;
use super::input;

/// Pieces that arrived together.
#[derive(Default)]
pub(super) struct Gathered {
    pub(super) text: Vec<u8>,
    pub(super) packets: Vec<crate::capture::packet::Packet>,
    pub(super) captures_ended: Vec<input::CaptureEnd>,
    pub(super) failure: Option<input::Failure>,
    /// Bytes (or packets × 64) gathered, to bound the batch.
    pub(super) size: usize,
}

impl Gathered {
    pub(super) fn add(&mut self, piece: input::Piece) {
        match piece {
            input::Piece::Bytes(bytes) => {
                self.size += bytes.len();
                if self.text.is_empty() {
                    self.text = bytes;
                } else {
                    self.text.extend_from_slice(&bytes);
                }
            }
            input::Piece::Packets(packets) => {
                self.size += packets.len() * 64;
                if self.packets.is_empty() {
                    self.packets = packets;
                } else {
                    self.packets.extend_from_slice(&packets);
                }
            }
            input::Piece::CaptureEnd(end) => self.captures_ended.push(end),
            input::Piece::Failed(failure) => self.failure = Some(failure),
        }
    }
}

/// Records ready to score, and the bad input skipped on the way.
pub(super) struct Batch {
    pub(super) records: Dataset,
    pub(super) connections: Vec<ConnRecord>,
    pub(super) bad_rows: Vec<RowError>,
}

/// Turns input into records: lines parsed, or packets tracked into connections.
pub(super) enum Stage {
    Kdd(StreamParser),
    Pcap(Box<PcapStage>),
}

impl Stage {
    pub(super) fn ingest(&mut self, gathered: &Gathered) -> Result<Batch, MonitorError> {
        match self {
            Stage::Kdd(parser) => {
                let parsed = parser.feed(&gathered.text)?;
                Ok(Batch {
                    records: parsed.records,
                    connections: Vec::new(),
                    bad_rows: parsed.bad_rows,
                })
            }
            Stage::Pcap(p) => {
                for end in &gathered.captures_ended {
                    p.capture_ended(end);
                }
                for packet in &gathered.packets {
                    p.tracker.push(packet, &mut p.pending);
                }
                if let Some(last) = gathered.packets.last() {
                    p.last_packet = Some((last.ts, Instant::now()));
                }
                Ok(p.take())
            }
        }
    }

    /// No input for a while: connections of a live capture time out on the clock.
    pub(super) fn tick(&mut self) -> Batch {
        match self {
            Stage::Kdd(_) => Batch {
                records: Dataset::new(""),
                connections: Vec::new(),
                bad_rows: Vec::new(),
            },
            Stage::Pcap(p) => {
                if p.live
                    && let Some((ts, at)) = p.last_packet
                {
                    let now = ts.saturating_add(at.elapsed().as_nanos() as Nanos);
                    p.tracker.advance(now, &mut p.pending);
                }
                p.take()
            }
        }
    }

    pub(super) fn finish(&mut self) -> Result<Batch, MonitorError> {
        match self {
            Stage::Kdd(parser) => {
                let parsed = parser.finish()?;
                Ok(Batch {
                    records: parsed.records,
                    connections: Vec::new(),
                    bad_rows: parsed.bad_rows,
                })
            }
            Stage::Pcap(p) => {
                p.tracker.finish(&mut p.pending);
                Ok(p.take())
            }
        }
    }
}

pub(super) struct PcapStage {
    name: String,
    tracker: Tracker,
    pending: Vec<ConnRecord>,
    /// Records made so far (their 1-based numbers are the `line`s).
    records: u64,
    /// Time of the last packet and when it arrived, to move packet time on when a live
    /// capture goes quiet.
    last_packet: Option<(Nanos, Instant)>,
    live: bool,
    capture: CaptureStats,
    format: Option<String>,
}

impl PcapStage {
    pub(super) fn new(name: &str, config: &MonitorConfig) -> Self {
        PcapStage {
            name: name.to_owned(),
            tracker: Tracker::new(config.tracker),
            pending: Vec::new(),
            records: 0,
            last_packet: None,
            live: !matches!(config.input, Input::File { follow: false, .. }),
            capture: CaptureStats::default(),
            format: None,
        }
    }

    fn capture_ended(&mut self, end: &input::CaptureEnd) {
        self.format.get_or_insert_with(|| end.format.to_string());
        let (total, s) = (&mut self.capture, &end.stats);
        total.frames += s.frames;
        total.packets += s.packets;
        total.skipped_not_ip += s.skipped_not_ip;
        total.skipped_other_protocol += s.skipped_other_protocol;
        total.skipped_truncated += s.skipped_truncated;
        total.skipped_malformed += s.skipped_malformed;
        total.skipped_unsupported_link += s.skipped_unsupported_link;
        total.fragments.orphaned += s.fragments.orphaned;
        total.fragments.wrong += s.fragments.wrong;
        if s.truncated_tail.is_some() {
            total.truncated_tail = s.truncated_tail;
        }
    }

    fn take(&mut self) -> Batch {
        let mut records = Dataset::new(self.name.clone());
        for record in &self.pending {
            self.records += 1;
            push_record(&mut records, record, self.records);
        }
        Batch {
            records,
            connections: std::mem::take(&mut self.pending),
            bad_rows: Vec::new(),
        }
    }

    pub(super) fn summary(&self) -> CaptureSummary {
        CaptureSummary::of(
            &self.format.as_deref().unwrap_or("no capture header read"),
            &self.capture,
            &self.tracker.stats(),
        )
    }
}
