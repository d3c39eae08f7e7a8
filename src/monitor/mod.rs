//! Live monitoring: a saved bundle scores records as they arrive.
//!
//! An input thread reads the stream (a file, standard input, a followed file) and hands
//! pieces to the scoring loop over a bounded channel; the loop gathers whatever has
//! arrived into one batch, parses, encodes and scores it with every detector, explains
//! the flagged records, and hands the scored batch to a sink (the `monitor` command's
//! printer, or the dashboard's Live tab). Under load the batches grow, which is what
//! keeps the throughput up; when records trickle in, each is scored as soon as it is
//! complete. The loop wakes at least every 100 ms, so a stop request or (for packets) a
//! connection timeout is acted on without waiting for input.
//!
//! The parts: [`config`] (what to read and how), [`pipeline`] (the staging, scoring and
//! sink threads and what passes between them), [`staging`] (input pieces into records:
//! lines parsed, packets tracked, Zeek rows reordered), [`score`] (a batch scored and
//! explained), [`summary`] (running counts and the run's summary), [`error`] (what ends
//! a run), and the input thread ([`input`], [`follow`]) and [`alerts`].

pub mod alerts;
mod config;
mod error;
pub mod follow;
mod input;
mod pipeline;
mod score;
mod staging;
mod summary;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use crate::data::FeatureSet;
use crate::data::stream::StreamParser;
use crate::model::ModelBundle;

use pipeline::{Ready, Staged, receive, score_loop, stage_loop};
use staging::{PcapStage, Stage, ZeekStage};

pub use config::{Format, Input, MonitorConfig};
pub use error::MonitorError;
pub use follow::Follow;
pub use score::{MonitorEvent, ScoredBatch, Verdicts, detector_names, score_batch};
pub use summary::{Counts, Summary};

/// Pieces of input in flight between the reader thread and the scoring loop: enough to
/// keep scoring busy, few enough to bound memory (and to slow a fast writer down).
const CHANNEL_PIECES: usize = 16;

/// Runs the monitor until the input ends or `stop` is set, handing every scored batch
/// (and every skipped record) to `sink`.
pub fn run(
    bundle: &ModelBundle,
    config: &MonitorConfig,
    stop: &Arc<AtomicBool>,
    sink: &mut dyn FnMut(MonitorEvent) -> io::Result<()>,
) -> Result<Summary, MonitorError> {
    if !config.format.has_content_features()
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
            Format::Zeek => input::read_logs(opened, &tx),
        })
        .map_err(|source| MonitorError::Read {
            path: config.input.name(),
            source,
        })?;

    let stage = match config.format {
        Format::Kdd => Stage::Kdd(StreamParser::new(source.clone(), config.read.clone())),
        Format::Pcap => Stage::Pcap(Box::new(PcapStage::new(&source, config))),
        Format::Zeek => Stage::Zeek(Box::new(ZeekStage::new(&source, config))),
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
        zeek: end.zeek,
    })
}
