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

use std::io::{self, BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::data::Dataset;
use crate::data::reader::{DataError, FileFormat, ReadOptions, RowError};
use crate::data::stream::StreamParser;
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

/// How the monitor reads and explains.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    pub input: Input,
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
}

#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path}: read failed: {source}")]
    Read { path: String, source: io::Error },
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
/// Bytes read at a time.
const READ_BYTES: usize = 256 * 1024;
/// Most input gathered into one batch (about 25k KDD records).
const BATCH_BYTES: usize = 4 << 20;
/// The loop wakes at least this often.
const TICK: Duration = Duration::from_millis(100);

/// Scores one batch with every detector in the bundle and explains its flagged records.
pub fn score_batch(
    bundle: &ModelBundle,
    records: Dataset,
    why: usize,
) -> Result<ScoredBatch, AutoencoderError> {
    let scored = scorer::score(bundle, &records)?;
    let explainer = Explainer::for_bundle(bundle, &scored.matrix, &records);
    let mut detectors = Vec::with_capacity(scored.detectors.len());
    for d in &scored.detectors {
        let mut reasons = vec![Vec::new(); records.len()];
        if why > 0 {
            let flagged: Vec<(usize, usize)> = (0..records.len())
                .filter(|&r| d.flagged(r))
                .map(|r| (r, r))
                .collect();
            for (&(r, _), mut list) in flagged.iter().zip(explainer.explain(d.name, &flagged)?) {
                list.truncate(why);
                reasons[r] = list;
            }
        }
        detectors.push(Verdicts {
            name: d.name,
            threshold: d.threshold,
            scores: d.scores.clone(),
            why: reasons,
        });
    }
    Ok(ScoredBatch {
        detectors,
        scored_at: crate::clock::now_nanos(),
        unseen_rows: scored.unseen.rows,
        records,
    })
}

/// What the reader thread sends.
enum Piece {
    Bytes(Vec<u8>),
    Failed(io::Error),
}

/// Runs the monitor until the input ends or `stop` is set, handing every scored batch
/// (and every skipped record) to `sink`.
pub fn run(
    bundle: &ModelBundle,
    config: &MonitorConfig,
    stop: &Arc<AtomicBool>,
    sink: &mut dyn FnMut(MonitorEvent) -> io::Result<()>,
) -> Result<Summary, MonitorError> {
    let started = Instant::now();
    let source = config.input.name();
    let input = open(&config.input, stop)?;
    let (tx, rx) = mpsc::sync_channel(CHANNEL_PIECES);
    // Detached: a reader blocked on a silent pipe must not hold up the end of the run.
    std::thread::Builder::new()
        .name("monitor-input".into())
        .spawn(move || read_pieces(input, &tx))
        .map_err(|source| MonitorError::Read {
            path: source_name(&config.input),
            source,
        })?;

    let mut parser = StreamParser::new(source.clone(), config.read.clone());
    let mut counts = Counts {
        flagged: detector_names(bundle)
            .into_iter()
            .map(|n| (n.to_owned(), 0))
            .collect(),
        ..Counts::default()
    };
    let deliver = |parsed: crate::data::stream::Parsed,
                   counts: &mut Counts,
                   sink: &mut dyn FnMut(MonitorEvent) -> io::Result<()>|
     -> Result<(), MonitorError> {
        for error in parsed.bad_rows {
            counts.skipped_bad_records += 1;
            sink(MonitorEvent::Skipped(skipped_message(&source, &error)))
                .map_err(MonitorError::Output)?;
        }
        if parsed.records.is_empty() {
            return Ok(());
        }
        let batch = score_batch(bundle, parsed.records, config.why)?;
        tally(&batch, counts);
        sink(MonitorEvent::Batch(Box::new(batch))).map_err(MonitorError::Output)
    };

    let ended = loop {
        if stop.load(Ordering::Relaxed) {
            break "stopped";
        }
        let first = match rx.recv_timeout(TICK) {
            Ok(piece) => piece,
            Err(RecvTimeoutError::Timeout) => continue,
            // A followed file ends only when stopped.
            Err(RecvTimeoutError::Disconnected) if stop.load(Ordering::Relaxed) => break "stopped",
            Err(RecvTimeoutError::Disconnected) => break "end of input",
        };
        let mut text = Vec::new();
        let mut failure = None;
        let mut next = Some(first);
        while let Some(piece) = next.take() {
            match piece {
                Piece::Bytes(bytes) => {
                    if text.is_empty() {
                        text = bytes;
                    } else {
                        text.extend_from_slice(&bytes);
                    }
                }
                Piece::Failed(error) => failure = Some(error),
            }
            if text.len() < BATCH_BYTES && failure.is_none() {
                next = rx.try_recv().ok();
            }
        }
        deliver(parser.feed(&text)?, &mut counts, sink)?;
        if let Some(source) = failure {
            deliver(parser.finish()?, &mut counts, sink)?;
            return Err(MonitorError::Read {
                path: source_name(&config.input),
                source,
            });
        }
    };
    deliver(parser.finish()?, &mut counts, sink)?;
    let seconds = started.elapsed().as_secs_f64();
    Ok(Summary {
        source,
        format: parser.format(),
        records_per_second: counts.records as f64 / seconds.max(1e-9),
        counts,
        seconds,
        ended,
    })
}

fn source_name(input: &Input) -> String {
    input.name()
}

fn skipped_message(source: &str, error: &RowError) -> String {
    format!("skipped a record: {source}: {error}")
}

/// The detectors a bundle scores with, in scoring order (as `scorer::score`).
pub fn detector_names(bundle: &ModelBundle) -> Vec<&'static str> {
    let mut names = Vec::new();
    let has = |name: &str| bundle.manifest.detectors.contains_key(name);
    if bundle.iforest.is_some() && has("iforest") {
        names.push("iforest");
    }
    if bundle.autoencoder.is_some() && has("autoencoder") {
        names.push("autoencoder");
    }
    names
}

fn tally(batch: &ScoredBatch, counts: &mut Counts) {
    counts.records += batch.len() as u64;
    counts.unseen_category_records += batch.unseen_rows as u64;
    for (d, (_, n)) in batch.detectors.iter().zip(counts.flagged.iter_mut()) {
        *n += d.scores.iter().filter(|&&s| s >= d.threshold).count() as u64;
    }
    counts.flagged_any += (0..batch.len()).filter(|&r| batch.any_flagged(r)).count() as u64;
}

type Source = Box<dyn Read + Send>;

fn open(input: &Input, stop: &Arc<AtomicBool>) -> Result<Source, MonitorError> {
    let error = |source| MonitorError::Open {
        path: input.name(),
        source,
    };
    Ok(match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::File { path, follow: true } => {
            Box::new(Follow::open(path, stop.clone()).map_err(error)?)
        }
        Input::File {
            path,
            follow: false,
        } => Box::new(std::fs::File::open(path).map_err(error)?),
    })
}

/// The reader thread: pieces of input, as they come (a gzip stream decompressed).
fn read_pieces(input: Source, tx: &mpsc::SyncSender<Piece>) {
    let mut input = BufReader::with_capacity(READ_BYTES, input);
    let gzip = match input.fill_buf() {
        Ok(head) => head.starts_with(&[0x1f, 0x8b]),
        Err(error) => {
            let _ = tx.send(Piece::Failed(error));
            return;
        }
    };
    let mut input: Box<dyn Read> = if gzip {
        Box::new(flate2::bufread::MultiGzDecoder::new(input))
    } else {
        Box::new(input)
    };
    loop {
        let mut buf = vec![0u8; READ_BYTES];
        match input.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => {
                buf.truncate(n);
                if tx.send(Piece::Bytes(buf)).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => {
                let _ = tx.send(Piece::Failed(error));
                return;
            }
        }
    }
}
