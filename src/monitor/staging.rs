//! Turning input into records: the pieces that arrived together, KDD lines parsed, or
//! packets tracked into connections.

use std::time::Instant;

use crate::capture::conntrack::Tracker;
use crate::capture::packet::Nanos;
use crate::capture::pcap::CaptureStats;
use crate::capture::record::ConnRecord;
use crate::capture::{CaptureSummary, push_record, raw_record};
use crate::data::Dataset;
use crate::data::reader::RowError;
use crate::data::reader::report::ZeekReport;
use crate::data::stream::StreamParser;
use crate::kdd::WindowConfig;
use crate::zeek::order::ZeekRecord;
use crate::zeek::{ZeekFeed, ZeekLabel, ZeekRecords};

use super::config::{Input, MonitorConfig};
use super::error::MonitorError;
use super::input;

/// Pieces that arrived together.
#[derive(Default)]
pub(super) struct Gathered {
    pub(super) text: Vec<u8>,
    /// Offsets in `text` where a followed log's next file starts.
    pub(super) switches: Vec<usize>,
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
            input::Piece::Switched => self.switches.push(self.text.len()),
            input::Piece::Failed(failure) => self.failure = Some(failure),
        }
    }
}

/// Records ready to score, and the bad input skipped on the way.
pub(super) struct Batch {
    pub(super) records: Dataset,
    pub(super) connections: Vec<ConnRecord>,
    /// Why each skipped record was skipped: `file:line: …` or `file: line N, …`.
    pub(super) skipped: Vec<String>,
}

impl Batch {
    fn empty() -> Batch {
        Batch {
            records: Dataset::new(""),
            connections: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn kdd(name: &str, parsed: crate::data::stream::Parsed) -> Batch {
        Batch {
            records: parsed.records,
            connections: Vec::new(),
            skipped: rows_skipped(name, parsed.bad_rows),
        }
    }
}

fn rows_skipped(name: &str, rows: Vec<RowError>) -> Vec<String> {
    rows.into_iter().map(|e| format!("{name}: {e}")).collect()
}

/// Turns input into records: lines parsed, or packets tracked into connections.
pub(super) enum Stage {
    Kdd(StreamParser),
    Pcap(Box<PcapStage>),
    Zeek(Box<ZeekStage>),
}

impl Stage {
    pub(super) fn ingest(&mut self, gathered: &Gathered) -> Result<Batch, MonitorError> {
        match self {
            Stage::Kdd(parser) => {
                let name = parser.name().to_owned();
                Ok(Batch::kdd(&name, parser.feed(&gathered.text)?))
            }
            Stage::Zeek(z) => z.ingest(gathered),
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
            Stage::Kdd(_) => Batch::empty(),
            Stage::Zeek(z) => z.tick(),
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
                let name = parser.name().to_owned();
                Ok(Batch::kdd(&name, parser.finish()?))
            }
            Stage::Zeek(z) => z.finish(),
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
            skipped: Vec::new(),
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

/// A Zeek conn.log: lines parsed (in parallel), rows put in connection-end order and
/// given their traffic features.
pub(super) struct ZeekStage {
    name: String,
    feed: ZeekFeed,
    records: ZeekRecords,
    parsed: crate::zeek::feed::Parsed,
    ready: Vec<ZeekRecord>,
    skip_bad_rows: bool,
    /// A live log (followed, or a pipe): rows waiting for late ones are let go when
    /// the log goes quiet.
    live: bool,
    /// When the last row arrived.
    last_row: Option<Instant>,
    other_transport: u64,
}

impl ZeekStage {
    pub(super) fn new(name: &str, config: &MonitorConfig) -> Self {
        ZeekStage {
            name: name.to_owned(),
            feed: ZeekFeed::new(name, config.read.max_line_bytes),
            records: ZeekRecords::new(config.read.zeek, WindowConfig::default()),
            parsed: Vec::new(),
            ready: Vec::new(),
            skip_bad_rows: config.read.skip_bad_rows,
            live: !matches!(config.input, Input::File { follow: false, .. }),
            last_row: None,
            other_transport: 0,
        }
    }

    fn ingest(&mut self, gathered: &Gathered) -> Result<Batch, MonitorError> {
        let mut start = 0;
        for &switch in &gathered.switches {
            self.feed
                .feed(&gathered.text[start..switch], &mut self.parsed);
            self.feed.restart(&mut self.parsed);
            start = switch;
        }
        self.feed.feed(&gathered.text[start..], &mut self.parsed);
        self.take()
    }

    fn tick(&mut self) -> Batch {
        if self.live
            && let Some(at) = self.last_row
        {
            let quiet = at.elapsed().as_nanos().min(u128::from(u64::MAX)) as u64;
            self.records.advance(quiet, &mut self.ready);
        }
        // Nothing parsed since the last piece: this cannot fail.
        self.take().unwrap_or_else(|_| Batch::empty())
    }

    fn finish(&mut self) -> Result<Batch, MonitorError> {
        self.feed.finish(&mut self.parsed);
        self.take_all(true)
    }

    /// Reading failed: the rows waiting are whole, the cut last line is not.
    pub(super) fn finish_cut(&mut self) -> Result<Batch, MonitorError> {
        self.feed.drop_cut_line();
        self.take_all(true)
    }

    fn take(&mut self) -> Result<Batch, MonitorError> {
        self.take_all(false)
    }

    /// The rows parsed so far into records (at the end, every row still waiting); bad
    /// lines skipped (or the error).
    fn take_all(&mut self, end: bool) -> Result<Batch, MonitorError> {
        let mut skipped = Vec::new();
        for row in self.parsed.drain(..) {
            match row {
                Ok(row) => {
                    self.last_row = Some(Instant::now());
                    self.records.push(row, &mut self.ready);
                }
                Err(e) if e.other_transport => self.other_transport += 1,
                Err(e) if self.skip_bad_rows => skipped.push(e.to_string()),
                Err(e) => return Err(e.into()),
            }
        }
        if end {
            self.records.finish(&mut self.ready);
        }
        let mut records = Dataset::new(self.name.clone());
        let mut connections = Vec::with_capacity(self.ready.len());
        for r in self.ready.drain(..) {
            let label = r.label.as_ref().map(ZeekLabel::kdd_label);
            records.push(&raw_record(&r.conn, label, r.line));
            connections.push(r.conn);
        }
        Ok(Batch {
            records,
            connections,
            skipped,
        })
    }

    pub(super) fn summary(&self) -> ZeekReport {
        let stats = self.records.stats();
        ZeekReport {
            other_transport_rows: self.other_transport as usize,
            unlabelled_rows: Vec::new(),
            late_rows: stats.late,
            max_late_seconds: stats.max_late_nanos as f64 / 1e9,
        }
    }
}
