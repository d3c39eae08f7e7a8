//! The run's threads after the input thread: staging (pieces into batches of records),
//! scoring, and the sink (this thread), with what passes between them.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::capture::CaptureSummary;
use crate::data::reader::FileFormat;
use crate::data::reader::report::ZeekReport;
use crate::model::ModelBundle;

use super::error::MonitorError;
use super::input;
use super::score::{MonitorEvent, ScoredBatch, score_batch};
use super::staging::{Batch, Gathered, Stage};
use super::summary::{Counts, tally};

/// Most input gathered into one batch (about 25k KDD records).
const BATCH_BYTES: usize = 4 << 20;
/// The loop wakes at least this often.
const TICK: Duration = Duration::from_millis(100);

/// How the input ended.
pub(super) struct End {
    pub(super) ended: &'static str,
    pub(super) format: Option<FileFormat>,
    pub(super) capture: Option<CaptureSummary>,
    pub(super) zeek: Option<ZeekReport>,
}

/// From the staging thread to the scoring thread.
pub(super) enum Staged {
    Batch(Box<Batch>),
    End(End),
    Failed(MonitorError),
}

/// From the scoring thread to the sink.
pub(super) enum Ready {
    Batch {
        skipped: Vec<String>,
        scored: Option<Box<ScoredBatch>>,
    },
    End(End),
    Failed(MonitorError),
}

/// Hands every skipped record and scored batch to the sink, in input order, until the
/// input ends.
pub(super) fn receive(
    ready: &mpsc::Receiver<Ready>,
    counts: &mut Counts,
    source: &str,
    sink: &mut dyn FnMut(MonitorEvent) -> io::Result<()>,
) -> Result<End, MonitorError> {
    loop {
        match ready.recv() {
            Ok(Ready::Batch { skipped, scored }) => {
                for why in skipped {
                    counts.skipped_bad_records += 1;
                    sink(MonitorEvent::Skipped(format!("skipped a record: {why}")))
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
pub(super) fn score_loop(
    bundle: &ModelBundle,
    why: usize,
    staged: &mpsc::Receiver<Staged>,
    ready: &mpsc::SyncSender<Ready>,
) {
    for item in staged {
        let out = match item {
            Staged::Batch(batch) if batch.records.is_empty() => Ready::Batch {
                skipped: batch.skipped,
                scored: None,
            },
            Staged::Batch(batch) => {
                let Batch {
                    records,
                    connections,
                    skipped,
                } = *batch;
                match score_batch(bundle, records, connections, why) {
                    Ok(scored) => Ready::Batch {
                        skipped,
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
pub(super) fn stage_loop(
    mut stage: Stage,
    rx: &mpsc::Receiver<input::Piece>,
    out: &mpsc::SyncSender<Staged>,
    stop: &AtomicBool,
    abandoned: &AtomicBool,
    path: &str,
) {
    // False when the receiving side is gone.
    let send = |batch: Result<Batch, MonitorError>| match batch {
        Ok(batch) if batch.records.is_empty() && batch.skipped.is_empty() => true,
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
            // Packets: the connections still open are whole records; so are the Zeek
            // rows waiting for their turn. Text: what follows the last newline was cut
            // by the failure, not a malformed record.
            let flushed = match &mut stage {
                Stage::Kdd(_) => true,
                Stage::Zeek(z) => send(z.finish_cut()),
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
    let (format, capture, zeek) = match &stage {
        Stage::Kdd(parser) => (parser.format(), None, None),
        Stage::Pcap(p) => (None, Some(p.summary()), None),
        Stage::Zeek(z) => (Some(FileFormat::ZeekConn), None, Some(z.summary())),
    };
    let _ = out.send(Staged::End(End {
        ended,
        format,
        capture,
        zeek,
    }));
}
