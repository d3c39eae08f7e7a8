//! The chunked, parallel read: the calling thread cuts the input into chunks of whole
//! lines, the rayon pool parses them, and the parsed chunks are merged into the dataset
//! in file order, with the report's tallies.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};

use crate::data::chunk::LineChunks;
use crate::data::dataset::{Block, Dataset};
use crate::data::schema::{FEATURES, N_FEATURES};

use super::error::DataError;
use super::options::{ReadOptions, Rules};
use super::parse::{FirstRecord, KEEP_REASONS, Parsed, find_first_record, parse_chunk};
use super::report::{FileFormat, LoadReport};

/// Chunks between the reader and the dataset (being parsed, or parsed and waiting for an
/// earlier one): enough to keep every worker busy, few enough to bound memory.
const MAX_IN_FLIGHT: usize = 6;

pub(super) fn read_chunks(
    input: impl Read,
    name: &str,
    gzip: bool,
    options: &ReadOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    let mut chunks = LineChunks::new(input, options.chunk_bytes, options.max_line_bytes);
    let (recycle, recycled) = mpsc::channel();
    let assembly = Assembly {
        queue: Mutex::new(Queue::default()),
        merger: Mutex::new(Merger::new(name, options.skip_bad_rows)),
        failed: AtomicBool::new(false),
        recycle,
    };
    // On a rayon worker, blocking to wait for jobs could starve the pool: parse in place.
    let inline = rayon::current_thread_index().is_some();
    let mut format = None;
    let mut read_error = None;
    rayon::in_place_scope(|scope| {
        let mut buffers = 0;
        let mut submitted = 0;
        while !assembly.failed.load(Ordering::Relaxed) {
            let (spare, block) = match recycled.try_recv() {
                Ok(buffers) => buffers,
                Err(_) if buffers < MAX_IN_FLIGHT => {
                    buffers += 1;
                    Default::default()
                }
                Err(_) => recycled
                    .recv()
                    .expect("every chunk in flight hands its buffers back"),
            };
            let mut chunk = match chunks.next_chunk(spare) {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => {
                    read_error = Some(error);
                    break;
                }
            };
            let format = match format {
                Some(format) => format,
                None => {
                    // Before the first record no chunk is in flight: merge right here.
                    let (before, first) = find_first_record(chunk.text(), options);
                    let mut merger = lock(&assembly.merger);
                    merger.merge(before)?;
                    match first {
                        None => {
                            let _ = assembly.recycle.send((chunk.into_buffer(), block));
                            continue;
                        }
                        Some(FirstRecord::Unknown { found }) => {
                            return Err(DataError::UnknownFormat {
                                path: name.to_owned(),
                                line: merger.lines + 1,
                                found,
                            });
                        }
                        Some(FirstRecord::At { offset, format: f }) => {
                            chunk.skip(offset);
                            *format.insert(f)
                        }
                    }
                }
            };
            let rules = Rules {
                format,
                missing: options.missing,
                skip_bad_rows: options.skip_bad_rows,
                max_line_bytes: options.max_line_bytes,
            };
            let seq = submitted;
            submitted += 1;
            if inline {
                assembly.deliver(seq, parse_chunk(chunk, block, rules));
            } else {
                let assembly = &assembly;
                scope.spawn(move |_| {
                    let parsed = if assembly.failed.load(Ordering::Relaxed) {
                        Parsed::unused(chunk.into_buffer(), block)
                    } else {
                        parse_chunk(chunk, block, rules)
                    };
                    assembly.deliver(seq, parsed);
                });
            }
        }
        Ok(())
    })?;
    // Every chunk is merged now: the scope waited for the last job.
    let mut merger = assembly
        .merger
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    if let Some(error) = merger.error.take() {
        return Err(error);
    }
    if let Some(source) = read_error {
        // After the rows before the failure, which had no error.
        let (path, line) = (name.to_owned(), merger.lines);
        return Err(if gzip {
            DataError::Gzip { path, line, source }
        } else {
            DataError::Io { path, line, source }
        });
    }
    merger.finish(format)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Parsed chunks on their way into the dataset. Whichever thread delivers the next chunk
/// in file order merges it (and any later ones already waiting), so the appending (page
/// faults of the dataset's memory, mostly) is shared by the workers instead of loading
/// the reading thread.
struct Assembly<'a> {
    queue: Mutex<Queue>,
    merger: Mutex<Merger<'a>>,
    /// A chunk had an error that ends the read: stop reading, drop later chunks.
    failed: AtomicBool,
    /// Text buffers and blocks of merged chunks, back to the reader to be filled again:
    /// reused memory saves the page faults of fresh allocations.
    recycle: mpsc::Sender<(Vec<u8>, Block)>,
}

#[derive(Default)]
struct Queue {
    /// Parsed chunks that arrived before an earlier one, by sequence number.
    waiting: BTreeMap<usize, Parsed>,
    /// Sequence number of the next chunk to merge.
    next: usize,
    /// A thread is merging: others just leave their chunk in `waiting`.
    merging: bool,
}

impl Assembly<'_> {
    fn deliver(&self, seq: usize, parsed: Parsed) {
        let mut queue = lock(&self.queue);
        queue.waiting.insert(seq, parsed);
        if queue.merging {
            return;
        }
        queue.merging = true;
        loop {
            let next = queue.next;
            let Some(parsed) = queue.waiting.remove(&next) else {
                break;
            };
            queue.next += 1;
            drop(queue);
            let buffers = self.merge(parsed);
            // The reader is gone only if it stopped early; the buffers are not needed.
            let _ = self.recycle.send(buffers);
            queue = lock(&self.queue);
        }
        queue.merging = false;
    }

    fn merge(&self, parsed: Parsed) -> (Vec<u8>, Block) {
        let mut merger = lock(&self.merger);
        if merger.error.is_some() {
            return (parsed.buffer, parsed.block);
        }
        match merger.merge(parsed) {
            Ok(buffers) => buffers,
            Err(error) => {
                merger.error = Some(error);
                self.failed.store(true, Ordering::Relaxed);
                Default::default()
            }
        }
    }
}

/// Appends parsed chunks to the dataset in file order and keeps the report's tallies.
struct Merger<'a> {
    name: &'a str,
    skip_bad_rows: bool,
    dataset: Dataset,
    /// Lines merged so far: the next chunk starts at line `lines + 1`.
    lines: u64,
    skipped_bad: usize,
    first_bad: Vec<String>,
    skipped_missing: usize,
    missing: [usize; N_FEATURES],
    header_skipped: bool,
    /// The error that ended the read, once met.
    error: Option<DataError>,
}

impl<'a> Merger<'a> {
    fn new(name: &'a str, skip_bad_rows: bool) -> Self {
        Merger {
            name,
            skip_bad_rows,
            dataset: Dataset::new(name),
            lines: 0,
            skipped_bad: 0,
            first_bad: Vec::new(),
            skipped_missing: 0,
            missing: [0; N_FEATURES],
            header_skipped: false,
            error: None,
        }
    }

    /// Appends the next chunk; returns its buffer and (emptied) block for reuse.
    fn merge(&mut self, parsed: Parsed) -> Result<(Vec<u8>, Block), DataError> {
        for mut error in parsed.bad {
            error.line += self.lines;
            if !self.skip_bad_rows {
                return Err(DataError::BadRow {
                    path: self.name.to_owned(),
                    error,
                });
            }
            if self.first_bad.len() < KEEP_REASONS {
                self.first_bad.push(error.to_string());
            }
        }
        self.skipped_bad += parsed.skipped_bad;
        self.skipped_missing += parsed.skipped_missing;
        for (total, n) in self.missing.iter_mut().zip(parsed.missing) {
            *total += n;
        }
        self.header_skipped |= parsed.header_skipped;
        let mut block = parsed.block;
        self.dataset.append(&mut block, self.lines);
        self.lines += parsed.lines;
        Ok((parsed.buffer, block))
    }

    fn finish(self, format: Option<FileFormat>) -> Result<(Dataset, LoadReport), DataError> {
        let name = self.name;
        let Some(format) = format else {
            return Err(if self.skipped_bad > 0 {
                DataError::NoRows {
                    path: name.to_owned(),
                    skipped: self.skipped_bad,
                    first: self.first_bad.first().cloned().unwrap_or_default(),
                }
            } else {
                DataError::Empty {
                    path: name.to_owned(),
                }
            });
        };
        if self.dataset.is_empty() {
            return Err(DataError::NoRows {
                path: name.to_owned(),
                skipped: self.skipped_bad + self.skipped_missing,
                first: self
                    .first_bad
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "every row had a missing value (--missing skip)".to_owned()),
            });
        }
        let report = LoadReport {
            source: name.to_owned(),
            format,
            rows: self.dataset.len(),
            skipped_bad_rows: self.skipped_bad,
            first_bad_rows: self.first_bad,
            skipped_missing_rows: self.skipped_missing,
            missing_values: FEATURES
                .iter()
                .zip(self.missing)
                .filter(|(_, n)| *n > 0)
                .map(|(f, n)| (f.name.to_owned(), n))
                .collect(),
            header_skipped: self.header_skipped,
            zeek: None,
        };
        Ok((self.dataset, report))
    }
}
