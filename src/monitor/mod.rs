//! Live monitoring: a saved bundle scores records as they arrive.
//!
//! An input thread reads the stream (a file, standard input, a followed file) and hands
//! pieces to the scoring loop over a bounded channel; the loop gathers whatever has
//! arrived into one batch, parses, encodes and scores it with both detectors, explains
//! the flagged records, and hands the scored batch to a sink (the `monitor` command's
//! printer, or the dashboard's Live tab). Under load the batches grow, which is what
//! keeps the throughput up; when records trickle in, each is scored as soon as it is
//! complete. The loop wakes at least every 100 ms, so a stop request or (for packets) a
//! connection timeout is acted on without waiting for input.

pub mod alerts;
pub mod follow;
mod input;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::capture::conntrack::{Tracker, TrackerConfig};
use crate::capture::packet::Nanos;
use crate::capture::pcap::{CaptureError, CaptureStats};
use crate::capture::record::ConnRecord;
use crate::capture::{CaptureSummary, push_record};
use crate::data::reader::{DataError, FileFormat, ReadOptions, RowError};
use crate::data::stream::StreamParser;
use crate::data::{Dataset, FeatureSet};
use crate::detect::autoencoder::AutoencoderError;
use crate::detect::explain::Contribution;
use crate::model::ModelBundle;
use crate::model::scorer::{self, Explainer};

pub use follow::Follow;

/// Where records come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    File { path: PathBuf, follow: bool },
}

impl Input {
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "standard input".to_owned(),
            Input::File { path, .. } => path.display().to_string(),
        }
    }
}

/// What the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// KDD connection records, one per line.
    Kdd,
    /// A packet capture (pcap or pcapng), turned into connection records.
    Pcap,
}

/// How the monitor reads and explains.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    pub input: Input,
    pub format: Format,
    /// Connection tracking, for packets.
    pub tracker: TrackerConfig,
    /// Score packets with a model that needs content features (they are 0 from packets).
    pub allow_content_features_zero: bool,
    /// Bad lines are skipped and counted unless `read.skip_bad_rows` is false.
    pub read: ReadOptions,
    /// "Why" features named per flagged record and detector (0: no explanations).
    pub why: usize,
}

/// One detector's verdicts on a batch.
#[derive(Debug, Clone)]
pub struct Verdicts {
    pub name: &'static str,
    pub threshold: f64,
    pub scores: Vec<f64>,
    /// The top features of each flagged record (empty for the others).
    pub why: Vec<Vec<Contribution>>,
}

impl Verdicts {
    pub fn flagged(&self, row: usize) -> bool {
        self.scores[row] >= self.threshold
    }
}

/// Records scored together.
#[derive(Debug)]
pub struct ScoredBatch {
    pub records: Dataset,
    /// For records made from packets: the connection behind each record (else empty).
    pub connections: Vec<ConnRecord>,
    pub detectors: Vec<Verdicts>,
    /// When the batch was scored (nanoseconds since the Unix epoch).
    pub scored_at: u64,
    /// Records with a categorical value the model never saw.
    pub unseen_rows: usize,
}

impl ScoredBatch {
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn any_flagged(&self, row: usize) -> bool {
        self.detectors.iter().any(|d| d.flagged(row))
    }
}

/// What the scoring loop reports.
#[derive(Debug)]
pub enum MonitorEvent {
    Batch(Box<ScoredBatch>),
    /// A record that could not be used and was skipped.
    Skipped(String),
}

/// Running totals.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Counts {
    pub records: u64,
    /// Flagged by each detector, in the bundle's order.
    #[serde(serialize_with = "crate::json::named")]
    pub flagged: Vec<(String, u64)>,
    /// Flagged by at least one detector.
    pub flagged_any: u64,
    pub skipped_bad_records: u64,
    pub unseen_category_records: u64,
}

/// The end of a monitoring run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<FileFormat>,
    pub counts: Counts,
    pub seconds: f64,
    pub records_per_second: f64,
    /// Why the run ended: `end of input` or `stopped`.
    pub ended: &'static str,
    /// For packets: what the capture held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capture: Option<CaptureSummary>,
}

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path}: read failed: {source}")]
    Read { path: String, source: io::Error },
    #[error("{path}: {source}")]
    Capture { path: String, source: CaptureError },
    #[error(
        "the model uses the content features (hot … is_guest_login), which packets cannot give (they would all be 0); train a model for packets with `--feature-set header`, or pass --allow-content-features-zero"
    )]
    NeedsContentFeatures,
    #[error(transparent)]
    Data(#[from] DataError),
    #[error(transparent)]
    Autoencoder(#[from] AutoencoderError),
    /// The sink failed (e.g. standard output was closed).
    #[error("writing the output failed: {0}")]
    Output(io::Error),
}

/// Pieces of input in flight between the reader thread and the scoring loop: enough to
/// keep scoring busy, few enough to bound memory (and to slow a fast writer down).
const CHANNEL_PIECES: usize = 16;
/// Most input gathered into one batch (about 25k KDD records).
const BATCH_BYTES: usize = 4 << 20;
/// The loop wakes at least this often.
const TICK: Duration = Duration::from_millis(100);

/// Scores one batch with every detector in the bundle and explains its flagged records.
pub fn score_batch(
    bundle: &ModelBundle,
    records: Dataset,
    connections: Vec<ConnRecord>,
    why: usize,
) -> Result<ScoredBatch, AutoencoderError> {
    let scored = scorer::score(bundle, &records)?;
    let explainer = Explainer::for_bundle(bundle, &scored.matrix, &records);
    let mut detectors = Vec::with_capacity(scored.detectors.len());
    for d in scored.detectors {
        let mut reasons = vec![Vec::new(); records.len()];
        if why > 0 {
            let flagged: Vec<(usize, usize)> = (0..records.len())
                .filter(|&r| d.flagged(r))
                .map(|r| (r, r))
                .collect();
            let lists = explainer.explain_top(d.name, &flagged, why)?;
            for (&(r, _), list) in flagged.iter().zip(lists) {
                reasons[r] = list;
            }
        }
        detectors.push(Verdicts {
            name: d.name,
            threshold: d.threshold,
            scores: d.scores,
            why: reasons,
        });
    }
    Ok(ScoredBatch {
        connections,
        detectors,
        scored_at: crate::clock::now_nanos(),
        unseen_rows: scored.unseen.rows,
        records,
    })
}

/// Runs the monitor until the input ends or `stop` is set, handing every scored batch
/// (and every skipped record) to `sink`.
pub fn run(
    bundle: &ModelBundle,
    config: &MonitorConfig,
    stop: &Arc<AtomicBool>,
    sink: &mut dyn FnMut(MonitorEvent) -> io::Result<()>,
) -> Result<Summary, MonitorError> {
    if config.format == Format::Pcap
        && bundle.manifest.schema.feature_set == FeatureSet::All
        && !config.allow_content_features_zero
    {
        return Err(MonitorError::NeedsContentFeatures);
    }
    let started = Instant::now();
    let source = config.input.name();
    let opened = input::open(&config.input, stop)?;
    let (tx, rx) = mpsc::sync_channel(CHANNEL_PIECES);
    let format = config.format;
    // Detached: a reader blocked on a silent pipe must not hold up the end of the run.
    std::thread::Builder::new()
        .name("monitor-input".into())
        .spawn(move || match format {
            Format::Kdd => input::read_bytes(opened, &tx),
            Format::Pcap => input::read_packets(opened, &tx),
        })
        .map_err(|source| MonitorError::Read {
            path: config.input.name(),
            source,
        })?;

    let stage = match config.format {
        Format::Kdd => Stage::Kdd(StreamParser::new(source.clone(), config.read.clone())),
        Format::Pcap => Stage::Pcap(Box::new(PcapStage::new(&source, config))),
    };
    let mut counts = Counts {
        flagged: detector_names(bundle)
            .into_iter()
            .map(|n| (n.to_owned(), 0))
            .collect(),
        ..Counts::default()
    };
    // Three stages overlap: this thread hands scored batches to the sink while the
    // scoring thread scores the next batch and the staging thread parses the one after.
    let abandoned = AtomicBool::new(false);
    let end = std::thread::scope(|scope| {
        let (staged_tx, staged_rx) = mpsc::sync_channel::<Staged>(1);
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Ready>(1);
        let spawned = std::thread::Builder::new()
            .name("monitor-stage".into())
            .spawn_scoped(scope, {
                let (source, abandoned) = (source.clone(), &abandoned);
                move || stage_loop(stage, &rx, &staged_tx, stop, abandoned, &source)
            })
            .and_then(|_| {
                std::thread::Builder::new()
                    .name("monitor-score".into())
                    .spawn_scoped(scope, move || {
                        score_loop(bundle, config.why, &staged_rx, &ready_tx)
                    })
            });
        if let Err(source) = spawned {
            abandoned.store(true, Ordering::Relaxed);
            return Err(MonitorError::Read {
                path: config.input.name(),
                source,
            });
        }
        let end = receive(&ready_rx, &mut counts, &source, sink);
        if end.is_err() {
            // The staging thread notices within a tick and ends; the scoring thread
            // ends when its channels close.
            abandoned.store(true, Ordering::Relaxed);
        }
        drop(ready_rx);
        end
    })?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Summary {
        source,
        format: end.format,
        records_per_second: counts.records as f64 / seconds.max(1e-9),
        counts,
        seconds,
        ended: end.ended,
        capture: end.capture,
    })
}

/// How the input ended.
struct End {
    ended: &'static str,
    format: Option<FileFormat>,
    capture: Option<CaptureSummary>,
}

/// From the staging thread to the scoring thread.
enum Staged {
    Batch(Box<Batch>),
    End(End),
    Failed(MonitorError),
}

/// From the scoring thread to the sink.
enum Ready {
    Batch {
        bad_rows: Vec<RowError>,
        scored: Option<Box<ScoredBatch>>,
    },
    End(End),
    Failed(MonitorError),
}

/// Hands every skipped record and scored batch to the sink, in input order, until the
/// input ends.
fn receive(
    ready: &mpsc::Receiver<Ready>,
    counts: &mut Counts,
    source: &str,
    sink: &mut dyn FnMut(MonitorEvent) -> io::Result<()>,
) -> Result<End, MonitorError> {
    loop {
        match ready.recv() {
            Ok(Ready::Batch { bad_rows, scored }) => {
                for error in bad_rows {
                    counts.skipped_bad_records += 1;
                    sink(MonitorEvent::Skipped(format!(
                        "skipped a record: {source}: {error}"
                    )))
                    .map_err(MonitorError::Output)?;
                }
                if let Some(scored) = scored {
                    tally(&scored, counts);
                    sink(MonitorEvent::Batch(scored)).map_err(MonitorError::Output)?;
                }
            }
            Ok(Ready::End(end)) => return Ok(end),
            Ok(Ready::Failed(error)) => return Err(error),
            // Only if a stage panicked (the scope then re-raises the panic).
            Err(_) => {
                return Err(MonitorError::Read {
                    path: source.to_owned(),
                    source: io::Error::other("the monitor's scoring stage ended early"),
                });
            }
        }
    }
}

/// The scoring thread: scores and explains each staged batch.
fn score_loop(
    bundle: &ModelBundle,
    why: usize,
    staged: &mpsc::Receiver<Staged>,
    ready: &mpsc::SyncSender<Ready>,
) {
    for item in staged {
        let out = match item {
            Staged::Batch(batch) if batch.records.is_empty() => Ready::Batch {
                bad_rows: batch.bad_rows,
                scored: None,
            },
            Staged::Batch(batch) => {
                let Batch {
                    records,
                    connections,
                    bad_rows,
                } = *batch;
                match score_batch(bundle, records, connections, why) {
                    Ok(scored) => Ready::Batch {
                        bad_rows,
                        scored: Some(Box::new(scored)),
                    },
                    Err(error) => Ready::Failed(error.into()),
                }
            }
            Staged::End(end) => Ready::End(end),
            Staged::Failed(error) => Ready::Failed(error),
        };
        let last = !matches!(out, Ready::Batch { .. });
        if ready.send(out).is_err() || last {
            return;
        }
    }
}

/// The staging thread: gathers the input's pieces into batches and turns them into
/// records (parsed lines, or packets tracked into connections). It wakes at least every
/// tick, for a stop request or (packets) connection timeouts.
fn stage_loop(
    mut stage: Stage,
    rx: &mpsc::Receiver<input::Piece>,
    out: &mpsc::SyncSender<Staged>,
    stop: &AtomicBool,
    abandoned: &AtomicBool,
    path: &str,
) {
    // False when the receiving side is gone.
    let send = |batch: Result<Batch, MonitorError>| match batch {
        Ok(batch) if batch.records.is_empty() && batch.bad_rows.is_empty() => true,
        Ok(batch) => out.send(Staged::Batch(Box::new(batch))).is_ok(),
        Err(error) => {
            let _ = out.send(Staged::Failed(error));
            false
        }
    };
    let ended = loop {
        if abandoned.load(Ordering::Relaxed) {
            return;
        }
        if stop.load(Ordering::Relaxed) {
            // Take what the reader hands over as it winds down (a followed file ends at
            // once, with its capture's statistics), but never wait on a silent pipe for
            // more than a second.
            let deadline = Instant::now() + Duration::from_secs(1);
            let mut gathered = Gathered::default();
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match rx.recv_timeout(left) {
                    Ok(piece) => gathered.add(piece),
                    Err(_) => break,
                }
            }
            if !send(stage.ingest(&gathered)) {
                return;
            }
            break "stopped";
        }
        let first = match rx.recv_timeout(TICK) {
            Ok(piece) => piece,
            Err(RecvTimeoutError::Timeout) => {
                if !send(Ok(stage.tick())) {
                    return;
                }
                continue;
            }
            // A followed file ends only when stopped.
            Err(RecvTimeoutError::Disconnected) if stop.load(Ordering::Relaxed) => {
                break "stopped";
            }
            Err(RecvTimeoutError::Disconnected) => break "end of input",
        };
        // Gather what has arrived into one batch.
        let mut gathered = Gathered::default();
        let mut next = Some(first);
        while let Some(piece) = next.take() {
            gathered.add(piece);
            if gathered.size < BATCH_BYTES && gathered.failure.is_none() {
                next = rx.try_recv().ok();
            }
        }
        if !send(stage.ingest(&gathered)) {
            return;
        }
        if let Some(failure) = gathered.failure {
            // Packets: the connections still open are whole records. KDD text: what
            // follows the last newline was cut by the failure, not a malformed record.
            let flushed = match stage {
                Stage::Kdd(_) => true,
                Stage::Pcap(_) => send(stage.finish()),
            };
            if flushed {
                let _ = out.send(Staged::Failed(match failure {
                    input::Failure::Io(source) => MonitorError::Read {
                        path: path.to_owned(),
                        source,
                    },
                    input::Failure::Capture(source) => MonitorError::Capture {
                        path: path.to_owned(),
                        source,
                    },
                }));
            }
            return;
        }
    };
    if !send(stage.finish()) {
        return;
    }
    let (format, capture) = match &stage {
        Stage::Kdd(parser) => (parser.format(), None),
        Stage::Pcap(p) => (None, Some(p.summary())),
    };
    let _ = out.send(Staged::End(End {
        ended,
        format,
        capture,
    }));
}

/// Pieces that arrived together.
#[derive(Default)]
struct Gathered {
    text: Vec<u8>,
    packets: Vec<crate::capture::packet::Packet>,
    captures_ended: Vec<input::CaptureEnd>,
    failure: Option<input::Failure>,
    /// Bytes (or packets × 64) gathered, to bound the batch.
    size: usize,
}

impl Gathered {
    fn add(&mut self, piece: input::Piece) {
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
struct Batch {
    records: Dataset,
    connections: Vec<ConnRecord>,
    bad_rows: Vec<RowError>,
}

/// Turns input into records: lines parsed, or packets tracked into connections.
enum Stage {
    Kdd(StreamParser),
    Pcap(Box<PcapStage>),
}

impl Stage {
    fn ingest(&mut self, gathered: &Gathered) -> Result<Batch, MonitorError> {
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
    fn tick(&mut self) -> Batch {
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

    fn finish(&mut self) -> Result<Batch, MonitorError> {
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

struct PcapStage {
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
    fn new(name: &str, config: &MonitorConfig) -> Self {
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

    fn summary(&self) -> CaptureSummary {
        CaptureSummary::of(
            &self.format.as_deref().unwrap_or("no capture header read"),
            &self.capture,
            &self.tracker.stats(),
        )
    }
}

/// The detectors a bundle scores with, in scoring order (as `scorer::score`).
pub fn detector_names(bundle: &ModelBundle) -> Vec<&'static str> {
    bundle
        .detectors
        .iter()
        .map(|d| d.kind().name())
        .filter(|name| bundle.manifest.detectors.contains_key(*name))
        .collect()
}

fn tally(batch: &ScoredBatch, counts: &mut Counts) {
    counts.records += batch.len() as u64;
    counts.unseen_category_records += batch.unseen_rows as u64;
    for (d, (_, n)) in batch.detectors.iter().zip(counts.flagged.iter_mut()) {
        *n += d.scores.iter().filter(|&&s| s >= d.threshold).count() as u64;
    }
    counts.flagged_any += (0..batch.len()).filter(|&r| batch.any_flagged(r)).count() as u64;
}
