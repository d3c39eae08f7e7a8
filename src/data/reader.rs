//! Streaming reader for KDD Cup 99 and NSL-KDD files, plain or gzip.
//!
//! The format is detected from the first record: 41 fields (unlabelled), 42 (KDD Cup 99:
//! label last, usually with a trailing dot) or 43 (NSL-KDD: label, then difficulty).
//! gzip is recognised by its magic bytes, not the file name. The input is read in chunks
//! of whole lines with a length bound per line, so neither a huge file nor a runaway line
//! is ever held in memory whole; the chunks are parsed in parallel and appended in file
//! order. KDD files never quote fields, so a line is split on commas; that keeps exact
//! line and column numbers for every error.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};

use rustc_hash::FxHashMap;
use serde::Serialize;

use super::chunk::{Chunk, LineChunks};
use super::dataset::{Block, Dataset, MISSING, RawRecord};
use super::schema::{self, FEATURES, N_FEATURES, N_NUMERIC};

/// What to do with a missing value (an empty field, `?` or `NA`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum MissingPolicy {
    /// Keep the row; the encoder fills in the training median (numeric) or an explicit
    /// missing category (categorical).
    #[default]
    Impute,
    /// Drop the row and count it.
    Skip,
    /// Stop with an error naming the place.
    Error,
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Skip malformed rows (and report how many) instead of failing on the first one.
    pub skip_bad_rows: bool,
    pub missing: MissingPolicy,
    /// Longest accepted line, in bytes. A real KDD line is about 150 bytes.
    pub max_line_bytes: usize,
    /// Size of the chunks of text parsed in parallel. The default suits any file; small
    /// values exercise the chunk boundaries in tests.
    pub chunk_bytes: usize,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            skip_bad_rows: false,
            missing: MissingPolicy::Impute,
            max_line_bytes: 64 * 1024,
            chunk_bytes: 1 << 20,
        }
    }
}

/// The layout of a file, decided by its first record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileFormat {
    /// 41 features, no label: can be scored, not evaluated.
    Unlabeled,
    /// KDD Cup 99: 41 features and a label.
    Kdd99,
    /// NSL-KDD: 41 features, a label and a difficulty level.
    NslKdd,
}

impl FileFormat {
    fn from_field_count(n: usize) -> Option<Self> {
        match n {
            41 => Some(FileFormat::Unlabeled),
            42 => Some(FileFormat::Kdd99),
            43 => Some(FileFormat::NslKdd),
            _ => None,
        }
    }

    pub fn field_count(self) -> usize {
        match self {
            FileFormat::Unlabeled => 41,
            FileFormat::Kdd99 => 42,
            FileFormat::NslKdd => 43,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FileFormat::Unlabeled => "unlabelled KDD records (41 fields)",
            FileFormat::Kdd99 => "KDD Cup 99 (41 fields + label)",
            FileFormat::NslKdd => "NSL-KDD (41 fields + label + difficulty)",
        }
    }
}

/// What went wrong with one row. Always carries the 1-based line number.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub line: u64,
    pub kind: RowErrorKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowErrorKind {
    /// The row has a different number of fields than the file's first record.
    FieldCount { found: usize, expected: usize },
    /// Before any record: a field count that fits no layout.
    UnknownLayout { found: usize },
    /// A field could not be used; `column` is 1-based.
    Field {
        column: usize,
        field: &'static str,
        value: String,
        expected: &'static str,
    },
    /// A line longer than the limit.
    LineTooLong { limit: usize },
    /// A missing value under `--missing error`.
    Missing { column: usize, field: &'static str },
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match &self.kind {
            RowErrorKind::FieldCount { found, expected } => write!(
                f,
                "line {line}: expected {expected} comma-separated fields (like the first record), found {found}"
            ),
            RowErrorKind::UnknownLayout { found } => write!(
                f,
                "line {line}: expected 41 comma-separated fields (unlabelled), 42 (KDD Cup 99) or 43 (NSL-KDD), found {found}"
            ),
            RowErrorKind::Field {
                column,
                field,
                value,
                expected,
            } => write!(
                f,
                "line {line}, column {column} ({field}): expected {expected}, found \"{value}\""
            ),
            RowErrorKind::LineTooLong { limit } => write!(
                f,
                "line {line}: longer than {limit} bytes; a KDD record is about 150 bytes, is this the right file?"
            ),
            RowErrorKind::Missing { column, field } => write!(
                f,
                "line {line}, column {column} ({field}): value is missing; use --missing impute or --missing skip to accept it"
            ),
        }
    }
}

/// A file that cannot be read as connection records.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot open {path}: {source}")]
    Open { path: String, source: io::Error },
    #[error("{path}: read failed after line {line}: {source}")]
    Io {
        path: String,
        line: u64,
        source: io::Error,
    },
    #[error("{path}: the gzip data is corrupt or truncated after line {line} ({source})")]
    Gzip {
        path: String,
        line: u64,
        source: io::Error,
    },
    #[error(
        "{path}: the file is empty; expected KDD connection records (41 comma-separated features, optionally a label)"
    )]
    Empty { path: String },
    #[error(
        "{path}: line {line} has {found} fields; expected 41 (unlabelled), 42 (KDD Cup 99) or 43 (NSL-KDD)"
    )]
    UnknownFormat {
        path: String,
        line: u64,
        found: usize,
    },
    #[error("{path}: {error}")]
    BadRow { path: String, error: RowError },
    #[error("{path}: no usable rows ({skipped} skipped; first: {first})")]
    NoRows {
        path: String,
        skipped: usize,
        first: String,
    },
}

/// What the reader saw besides the rows it kept.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub source: String,
    pub format: FileFormat,
    pub rows: usize,
    /// Malformed rows skipped under `--skip-bad-rows`.
    pub skipped_bad_rows: usize,
    /// The first few reasons rows were skipped.
    pub first_bad_rows: Vec<String>,
    /// Rows dropped under `--missing skip`.
    pub skipped_missing_rows: usize,
    /// Missing values kept for imputation, per feature name (only features with any).
    #[serde(serialize_with = "crate::json::counts")]
    pub missing_values: Vec<(String, usize)>,
    /// Whether a header line was recognised and skipped.
    pub header_skipped: bool,
}

impl LoadReport {
    pub fn missing_total(&self) -> usize {
        self.missing_values.iter().map(|(_, n)| n).sum()
    }
}

/// More fields than any valid layout has; beyond this only the count matters.
const MAX_FIELDS: usize = 44;

/// How many skipped-row reasons to keep for the report.
pub(crate) const KEEP_REASONS: usize = 5;

/// Reads a file (or `-` for standard input).
pub fn read_path(path: &Path, options: &ReadOptions) -> Result<(Dataset, LoadReport), DataError> {
    let name = path.display().to_string();
    if name == "-" {
        return read_from(io::stdin().lock(), &name, options);
    }
    let file = File::open(path).map_err(|source| DataError::Open {
        path: name.clone(),
        source,
    })?;
    read_from(file, &name, options)
}

/// Reads records from any byte stream; `name` is used in messages.
///
/// The calling thread reads (and decompresses) the input and cuts it into chunks of whole
/// lines; the rayon pool parses the chunks in parallel and appends them to the dataset in
/// file order. Rows, line numbers, category codes, the first error and the report are
/// exactly those of reading line by line.
pub fn read_from(
    input: impl Read,
    name: &str,
    options: &ReadOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    let (input, gzip) = decompressed(input, 1 << 16).map_err(|source| DataError::Io {
        path: name.to_owned(),
        line: 0,
        source,
    })?;
    read_chunks(input, name, gzip, options)
}

/// `input`, decompressed when it starts with gzip's magic bytes (every member, as
/// `zcat` does), whatever the file is called; and whether it was gzip. Reads through a
/// buffer of `buffer` bytes.
pub fn decompressed<'a>(
    input: impl Read + 'a,
    buffer: usize,
) -> io::Result<(Box<dyn Read + 'a>, bool)> {
    let mut raw = BufReader::with_capacity(buffer, input);
    if raw.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
        Ok((Box::new(flate2::bufread::MultiGzDecoder::new(raw)), true))
    } else {
        Ok((Box::new(raw), false))
    }
}

/// Chunks between the reader and the dataset (being parsed, or parsed and waiting for an
/// earlier one): enough to keep every worker busy, few enough to bound memory.
const MAX_IN_FLIGHT: usize = 6;

fn read_chunks(
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

/// How to parse the lines of a chunk, once the layout is known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) format: FileFormat,
    pub(crate) missing: MissingPolicy,
    pub(crate) skip_bad_rows: bool,
    pub(crate) max_line_bytes: usize,
}

/// What parsing one chunk found. Line numbers (of rows and errors) count from the
/// chunk's first line, as 1: the merger knows where the chunk starts in the file.
pub(crate) struct Parsed {
    pub(crate) block: Block,
    /// Lines in the chunk, blank and bad ones included.
    pub(crate) lines: u64,
    header_skipped: bool,
    skipped_bad: usize,
    /// The first bad rows; when not skipping, the one that ends the read.
    pub(crate) bad: Vec<RowError>,
    pub(crate) skipped_missing: usize,
    missing: [usize; N_FEATURES],
    /// The buffer the chunk was read into, handed back for reuse.
    buffer: Vec<u8>,
}

impl Parsed {
    fn new() -> Self {
        Parsed {
            block: Block::default(),
            lines: 0,
            header_skipped: false,
            skipped_bad: 0,
            bad: Vec::new(),
            skipped_missing: 0,
            missing: [0; N_FEATURES],
            buffer: Vec::new(),
        }
    }

    /// A chunk left unparsed because the read already failed.
    fn unused(buffer: Vec<u8>, block: Block) -> Self {
        Parsed {
            buffer,
            block,
            ..Parsed::new()
        }
    }

    /// Records a bad row; returns whether reading goes on (only when skipping them).
    fn bad_row(&mut self, error: RowError, skip: bool) -> bool {
        if self.bad.len() < KEEP_REASONS {
            self.bad.push(error);
        }
        self.skipped_bad += usize::from(skip);
        skip
    }
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
        };
        Ok((self.dataset, report))
    }
}

/// The start of the file's first record.
pub(crate) enum FirstRecord {
    At {
        offset: usize,
        format: FileFormat,
    },
    /// Its field count fits no layout.
    Unknown {
        found: usize,
    },
}

/// Scans a chunk for the file's first record: blank and header lines before it are
/// skipped, too-long ones are bad rows. The first other line decides the layout.
/// Returns what came before it and, once found, where it starts.
pub(crate) fn find_first_record(
    text: &[u8],
    options: &ReadOptions,
) -> (Parsed, Option<FirstRecord>) {
    let mut before = Parsed::new();
    for (start, raw) in lines(text) {
        before.lines += 1;
        if raw.len() > options.max_line_bytes {
            let error = too_long(before.lines, options.max_line_bytes);
            if !before.bad_row(error, options.skip_bad_rows) {
                return (before, None);
            }
            continue;
        }
        let line = trim_line(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (storage, count) = split_fields(line);
        if is_header(&storage[..count.min(MAX_FIELDS)]) {
            before.header_skipped = true;
            continue;
        }
        before.lines -= 1;
        let first = match FileFormat::from_field_count(count) {
            Some(format) => FirstRecord::At {
                offset: start,
                format,
            },
            None => FirstRecord::Unknown { found: count },
        };
        return (before, Some(first));
    }
    (before, None)
}

/// The lines of a chunk with their start offsets, without the newline.
fn lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        pos = end + 1;
        Some((start, &text[start..end]))
    })
}

fn too_long(line: u64, limit: usize) -> RowError {
    RowError {
        line,
        kind: RowErrorKind::LineTooLong { limit },
    }
}

/// Splits a line on commas. Fields go on the stack; the count keeps going past the array
/// so a wrong field count is still reported exactly.
fn split_fields(line: &[u8]) -> ([&[u8]; MAX_FIELDS], usize) {
    let mut storage: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
    let mut count = 0;
    for field in line.split(|&b| b == b',') {
        if count < MAX_FIELDS {
            storage[count] = field;
        }
        count += 1;
    }
    (storage, count)
}

/// Parses the lines of one chunk (after the first record's layout is known).
pub(crate) fn parse_chunk(chunk: Chunk, block: Block, rules: Rules) -> Parsed {
    let text = chunk.text();
    let mut parsed = Parsed::new();
    let mut builder = BlockBuilder::new(block);
    let mut plain = PlainRow::default();
    let labelled = rules.format != FileFormat::Unlabeled;
    let with_difficulty = rules.format == FileFormat::NslKdd;
    let mut pos = 0;
    while pos < text.len() {
        parsed.lines += 1;
        let line_no = parsed.lines;
        if let Some(next) = parse_plain(text, pos, &rules, &mut plain) {
            builder.push_plain(&mut plain, labelled, with_difficulty, line_no);
            pos = next;
            continue;
        }
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        let raw = &text[pos..end];
        pos = end + 1;
        if raw.len() > rules.max_line_bytes {
            let error = too_long(line_no, rules.max_line_bytes);
            if parsed.bad_row(error, rules.skip_bad_rows) {
                continue;
            }
            break;
        }
        let line = trim_line(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let (storage, count) = split_fields(line);
        let fields = &storage[..count.min(MAX_FIELDS)];
        match parse_record(fields, count, rules.format, line_no, rules.missing) {
            Ok(Some((record, row_missing))) => {
                builder.push_record(&record);
                for (total, m) in parsed.missing.iter_mut().zip(row_missing) {
                    *total += m;
                }
            }
            Ok(None) => parsed.skipped_missing += 1,
            Err(error) => {
                if !parsed.bad_row(error, rules.skip_bad_rows) {
                    break;
                }
            }
        }
    }
    parsed.block = builder.finish();
    parsed.buffer = chunk.into_buffer();
    parsed
}

/// Fills a [`Block`], interning categorical values and labels locally.
struct BlockBuilder<'t> {
    block: Block,
    vocab: [Interner<'t>; 3],
    labels: Interner<'t>,
    label_codes: Vec<u32>,
    /// Scratch for one record's exact values.
    exact: Vec<(usize, f64)>,
}

impl<'t> BlockBuilder<'t> {
    /// Fills `block` (empty, allocations kept from an earlier chunk).
    fn new(mut block: Block) -> Self {
        let mut label_codes = block.labels.take().map(|(_, c)| c).unwrap_or_default();
        label_codes.clear();
        BlockBuilder {
            block,
            vocab: Default::default(),
            labels: Interner::default(),
            label_codes,
            exact: Vec::new(),
        }
    }

    /// Appends a record from the general parser, keeping large integers exactly as
    /// [`Dataset::push`] does.
    fn push_record(&mut self, record: &RawRecord<'t>) {
        let mut numeric = [0f32; N_NUMERIC];
        let mut exact = std::mem::take(&mut self.exact);
        exact.clear();
        for (slot, &v) in record.numeric.iter().enumerate() {
            let narrow = v as f32;
            if f64::from(narrow) != v && v.fract() == 0.0 {
                exact.push((slot, v));
            }
            numeric[slot] = narrow;
        }
        let mut codes = [MISSING; 3];
        for ((code, value), vocab) in codes
            .iter_mut()
            .zip(record.categorical)
            .zip(&mut self.vocab)
        {
            if let Some(value) = value {
                *code = vocab.code(value);
            }
        }
        let label = record.label.map(|label| self.labels.code(label));
        self.push(
            &numeric,
            &exact,
            codes,
            label,
            record.difficulty,
            record.line,
        );
        self.exact = exact;
    }

    /// Appends a record from [`parse_plain`]; a text field repeated from the previous
    /// plain line reuses its code.
    fn push_plain(
        &mut self,
        row: &mut PlainRow<'t>,
        labelled: bool,
        with_difficulty: bool,
        line: u64,
    ) {
        let mut codes = [0; 3];
        for ((code, kept), vocab) in codes
            .iter_mut()
            .zip(&mut row.categorical)
            .zip(&mut self.vocab)
        {
            *code = *kept.code.get_or_insert_with(|| vocab.code(kept.text));
        }
        let label = labelled.then(|| {
            let kept = &mut row.label;
            *kept.code.get_or_insert_with(|| self.labels.code(kept.text))
        });
        self.push(
            &row.numeric,
            &row.exact,
            codes,
            label,
            with_difficulty.then_some(row.difficulty),
            line,
        );
    }

    fn push(
        &mut self,
        numeric: &[f32; N_NUMERIC],
        exact: &[(usize, f64)],
        codes: [u32; 3],
        label: Option<u32>,
        difficulty: Option<u8>,
        line: u64,
    ) {
        let row = self.block.categorical.len();
        self.block.exact.extend(
            exact
                .iter()
                .map(|&(slot, v)| ((row * N_NUMERIC + slot) as u64, v)),
        );
        self.block.numeric.extend_from_slice(numeric);
        self.block.categorical.push(codes);
        if let Some(label) = label {
            self.label_codes.push(label);
        }
        if let Some(d) = difficulty {
            self.block.difficulty.get_or_insert_with(Vec::new).push(d);
        }
        self.block.lines.push(line);
    }

    fn finish(self) -> Block {
        let mut block = self.block;
        block.vocab = self.vocab.map(Interner::into_names);
        if !self.label_codes.is_empty() {
            block.labels = Some((self.labels.into_names(), self.label_codes));
        }
        block
    }
}

/// Codes, local to one chunk, for the values of one column. Consecutive rows very often
/// repeat a value (runs of smurf or neptune records), so the last one is checked first.
#[derive(Default)]
struct Interner<'t> {
    names: Vec<&'t str>,
    index: FxHashMap<&'t str, u32>,
    last: Option<(&'t str, u32)>,
}

impl<'t> Interner<'t> {
    fn code(&mut self, value: &'t str) -> u32 {
        if let Some((last, code)) = self.last
            && last == value
        {
            return code;
        }
        let names = &mut self.names;
        let code = *self.index.entry(value).or_insert_with(|| {
            names.push(value);
            (names.len() - 1) as u32
        });
        self.last = Some((value, code));
        code
    }

    fn into_names(self) -> Vec<String> {
        self.names.into_iter().map(str::to_owned).collect()
    }
}

/// A record read by [`parse_plain`]. Kept from line to line: a text field equal to the
/// previous line's was checked (and interned) already.
struct PlainRow<'t> {
    numeric: [f32; N_NUMERIC],
    /// Integers `f32` cannot hold, by numeric slot.
    exact: Vec<(usize, f64)>,
    categorical: [Kept<'t>; 3],
    /// The label, when the layout has one.
    label: Kept<'t>,
    /// The difficulty, when the layout has one.
    difficulty: u8,
}

impl Default for PlainRow<'_> {
    fn default() -> Self {
        PlainRow {
            numeric: [0.0; N_NUMERIC],
            exact: Vec::new(),
            categorical: Default::default(),
            label: Kept::default(),
            difficulty: 0,
        }
    }
}

/// A text field as last seen, with its local code once interned.
#[derive(Default)]
struct Kept<'t> {
    text: &'t str,
    code: Option<u32>,
}

/// Sets `kept` to `field` when `check` accepts it. A non-empty field equal to `kept` was
/// accepted before, so the check (UTF-8 validation mostly) and the interning are skipped.
fn keep_text<'t>(kept: &mut Kept<'t>, field: &'t [u8], check: fn(&[u8]) -> Option<&str>) -> bool {
    if !field.is_empty() && field == kept.text.as_bytes() {
        return true;
    }
    match check(field) {
        Some(text) => {
            *kept = Kept { text, code: None };
            true
        }
        None => false,
    }
}

/// Reads the record starting at `start` of `text` in one pass, when every field has its
/// plain form: numbers of at most 15 digits and one point (`181`, `0.00`), text fields
/// non-empty UTF-8 without surrounding spaces, the layout's number of fields, and the
/// line no longer than the limit and without trailing spaces. Nearly every real line is
/// like that. Returns where the next line starts. Any other line returns `None` and goes
/// through [`parse_record`], which accepts the other forms and words the errors; on the
/// lines this accepts, both give the same values. Finding the line's end along the way
/// saves a separate search for the newline.
fn parse_plain<'t>(
    text: &'t [u8],
    start: usize,
    rules: &Rules,
    row: &mut PlainRow<'t>,
) -> Option<usize> {
    row.exact.clear();
    let mut pos = plain_numeric(text, start, 0, row)?;
    for kept in &mut row.categorical {
        let end = text_end(text, pos)?;
        if text.get(end) != Some(&b',') || !keep_text(kept, &text[pos..end], plain_text) {
            return None;
        }
        pos = end + 1;
    }
    for slot in 1..N_NUMERIC - 1 {
        pos = plain_numeric(text, pos, slot, row)?;
    }
    let end = match rules.format {
        FileFormat::Unlabeled => {
            let (end, terminator) = plain_number_into(text, pos, N_NUMERIC - 1, row)?;
            (terminator != Some(b',')).then_some(end)?
        }
        FileFormat::Kdd99 => {
            pos = plain_numeric(text, pos, N_NUMERIC - 1, row)?;
            let end = text_end(text, pos)?;
            if text.get(end) == Some(&b',')
                || !keep_text(&mut row.label, &text[pos..end], plain_label)
            {
                return None;
            }
            end
        }
        FileFormat::NslKdd => {
            pos = plain_numeric(text, pos, N_NUMERIC - 1, row)?;
            let label_end = text_end(text, pos)?;
            if text.get(label_end) != Some(&b',') {
                return None;
            }
            let end = text_end(text, label_end + 1)?;
            if text.get(end) == Some(&b',') {
                return None;
            }
            row.difficulty = plain_difficulty(&text[label_end + 1..end])?;
            if !keep_text(&mut row.label, &text[pos..label_end], plain_label) {
                return None;
            }
            end
        }
    };
    (end - start <= rules.max_line_bytes).then_some(end + 1)
}

/// Reads a plain number into numeric `slot`, keeping a large integer exactly; it must end
/// at a comma. Returns where the next field starts.
#[inline(always)]
fn plain_numeric(text: &[u8], start: usize, slot: usize, row: &mut PlainRow<'_>) -> Option<usize> {
    let (end, terminator) = plain_number_into(text, start, slot, row)?;
    (terminator == Some(b',')).then_some(end + 1)
}

#[inline(always)]
fn plain_number_into(
    text: &[u8],
    start: usize,
    slot: usize,
    row: &mut PlainRow<'_>,
) -> Option<(usize, Option<u8>)> {
    let (value, end) = plain_number(text, start)?;
    let narrow = value as f32;
    // Below 2^24 an integer is exact in `f32`; only larger ones need checking.
    if value >= 16_777_216.0 && f64::from(narrow) != value && value.fract() == 0.0 {
        row.exact.push((slot, value));
    }
    row.numeric[slot] = narrow;
    Some((end, text.get(end).copied()))
}

/// End of the text field starting at `start`: the next comma, newline or the end.
#[inline(always)]
fn text_end(text: &[u8], start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    Some(
        rest.iter()
            .position(|&b| b == b',' || b == b'\n')
            .map_or(text.len(), |i| start + i),
    )
}

/// A text field that [`parse_record`] would take as it is.
fn plain_text(field: &[u8]) -> Option<&str> {
    let (first, last) = (field.first()?, field.last()?);
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() || is_missing(field) {
        return None;
    }
    std::str::from_utf8(field).ok()
}

/// A label that [`parse_record`] would accept as it is (not missing, not only dots).
fn plain_label(field: &[u8]) -> Option<&str> {
    plain_text(field).filter(|label| !label.bytes().all(|b| b == b'.'))
}

/// A difficulty of one to three digits, up to 255.
fn plain_difficulty(field: &[u8]) -> Option<u8> {
    if field.is_empty() || field.len() > 3 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = field
        .iter()
        .fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
    u8::try_from(value).ok()
}

/// `i / 100` for the two-decimal rates (`0.00` … `1.00`) that fill most KDD columns:
/// the same correctly rounded quotient as dividing at run time, without the division.
const HUNDREDTHS: [f64; 101] = {
    let mut table = [0.0; 101];
    let mut i = 0;
    while i < 101 {
        table[i] = i as f64 / 100.0;
        i += 1;
    }
    table
};

/// The exact fast path of [`parse_number`] on the field starting at `start`, which ends
/// at a comma, a newline or the end of the text. Returns the value and where it ends.
#[inline(always)]
fn plain_number(line: &[u8], start: usize) -> Option<(f64, usize)> {
    // The two forms that fill most of a KDD line, `7` and `0.25`, without the loop.
    let digit = |i: usize| line.get(i).filter(|b| b.is_ascii_digit()).map(|b| b - b'0');
    let ends = |i: usize| line.get(i).is_none_or(|&b| b == b',' || b == b'\n');
    let first = digit(start)?;
    if ends(start + 1) {
        return Some((f64::from(first), start + 1));
    }
    if line.get(start + 1) == Some(&b'.')
        && let (Some(d1), Some(d2)) = (digit(start + 2), digit(start + 3))
        && ends(start + 4)
    {
        let hundredths = usize::from(first) * 100 + usize::from(d1) * 10 + usize::from(d2);
        let value = match HUNDREDTHS.get(hundredths) {
            Some(&v) => v,
            None => hundredths as f64 / 100.0,
        };
        return Some((value, start + 4));
    }
    let mut mantissa: u64 = 0;
    let mut point = None;
    let mut end = start;
    while let Some(&b) = line.get(end) {
        match b {
            // Wrapping: a field too long to be exact is refused below anyway.
            b'0'..=b'9' => {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            }
            b'.' if point.is_none() => point = Some(end),
            b',' | b'\n' => break,
            _ => return None,
        }
        end += 1;
    }
    let len = end - start;
    let digits = len - usize::from(point.is_some());
    if len > 16 || digits == 0 || digits > 15 {
        return None;
    }
    let value = match point.map_or(0, |p| end - p - 1) {
        0 => mantissa as f64,
        2 if mantissa <= 100 => HUNDREDTHS[mantissa as usize],
        decimals => mantissa as f64 / POW10[decimals],
    };
    Some((value, end))
}

const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && (line[end - 1] == b'\r' || line[end - 1] == b' ' || line[end - 1] == b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// A first line naming the features (as exported by pandas and many tools).
fn is_header(fields: &[&[u8]]) -> bool {
    fields
        .first()
        .is_some_and(|f| f.trim_ascii().eq_ignore_ascii_case(b"duration"))
}

fn is_missing(field: &[u8]) -> bool {
    matches!(field, b"" | b"?" | b"NA")
}

/// Parses one record. `Ok(None)` = dropped under `--missing skip`; otherwise the record
/// and, per feature, whether its value was missing.
fn parse_record<'a>(
    fields: &[&'a [u8]],
    count: usize,
    format: FileFormat,
    line: u64,
    policy: MissingPolicy,
) -> Result<Option<(RawRecord<'a>, [usize; N_FEATURES])>, RowError> {
    if count != format.field_count() {
        return Err(RowError {
            line,
            kind: RowErrorKind::FieldCount {
                found: count,
                expected: format.field_count(),
            },
        });
    }
    let field_error = |column: usize, value: &[u8], expected: &'static str| RowError {
        line,
        kind: RowErrorKind::Field {
            column: column + 1,
            field: column_name(column),
            value: shorten(&String::from_utf8_lossy(value)),
            expected,
        },
    };
    let mut record = RawRecord {
        numeric: [f64::NAN; N_NUMERIC],
        categorical: [None; 3],
        label: None,
        difficulty: None,
        line,
    };
    let mut row_missing = [0usize; N_FEATURES];
    let mut numeric_slot = 0;
    let mut categorical_slot = 0;
    for (i, raw) in fields[..N_FEATURES].iter().enumerate() {
        let value = raw.trim_ascii();
        let categorical = FEATURES[i].kind == schema::FeatureKind::Categorical;
        if is_missing(value) {
            match policy {
                MissingPolicy::Impute => row_missing[i] = 1,
                MissingPolicy::Skip => return Ok(None),
                MissingPolicy::Error => {
                    return Err(RowError {
                        line,
                        kind: RowErrorKind::Missing {
                            column: i + 1,
                            field: FEATURES[i].name,
                        },
                    });
                }
            }
        } else if categorical {
            let text =
                std::str::from_utf8(value).map_err(|_| field_error(i, value, "UTF-8 text"))?;
            record.categorical[categorical_slot] = Some(text);
        } else {
            let number = parse_number(value).ok_or_else(|| field_error(i, value, "a number"))?;
            if !number.is_finite() {
                return Err(field_error(i, value, "a finite number"));
            }
            // Values are kept as f32: a larger one would become infinite.
            if number > f64::from(f32::MAX) {
                return Err(field_error(i, value, "a number up to 3.4e38"));
            }
            if number < 0.0 {
                return Err(field_error(i, value, "a non-negative number"));
            }
            record.numeric[numeric_slot] = number;
        }
        if categorical {
            categorical_slot += 1;
        } else {
            numeric_slot += 1;
        }
    }
    if format != FileFormat::Unlabeled {
        let label = fields[41].trim_ascii();
        let text = std::str::from_utf8(label).map_err(|_| field_error(41, label, "UTF-8 text"))?;
        if is_missing(label) || text.trim_end_matches('.').is_empty() {
            return Err(field_error(41, label, "a label such as normal or smurf"));
        }
        record.label = Some(text);
    }
    if format == FileFormat::NslKdd {
        let raw = fields[42].trim_ascii();
        let difficulty = std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse::<u8>().ok())
            .ok_or_else(|| field_error(42, raw, "a difficulty level (integer 0-255)"))?;
        record.difficulty = Some(difficulty);
    }
    Ok(Some((record, row_missing)))
}

fn column_name(column: usize) -> &'static str {
    match column {
        0..N_FEATURES => FEATURES[column].name,
        41 => "label",
        42 => "difficulty",
        _ => "extra field",
    }
}

/// Keeps error messages readable when a field is huge or binary.
fn shorten(value: &str) -> String {
    const MAX: usize = 40;
    if value.chars().count() <= MAX {
        value.to_owned()
    } else {
        let head: String = value.chars().take(MAX).collect();
        format!("{head}…")
    }
}

/// Parses a decimal number. Plain integers and `d.dd`-style decimals (nearly every KDD
/// value) take an exact fast path: an integer below 2^53 divided by a power of ten is
/// correctly rounded by IEEE division, so it equals what `str::parse` returns. Anything
/// else (exponents, signs, `inf`, `NaN`) falls back to the standard parser.
pub fn parse_number(bytes: &[u8]) -> Option<f64> {
    if !bytes.is_empty() && bytes.len() <= 16 {
        let mut mantissa: u64 = 0;
        let mut digits = 0usize;
        let mut decimals: Option<usize> = None;
        let mut ok = true;
        for &b in bytes {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    digits += 1;
                    if let Some(d) = decimals.as_mut() {
                        *d += 1;
                    }
                }
                b'.' if decimals.is_none() => decimals = Some(0),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && digits > 0 && digits <= 15 {
            let value = mantissa as f64;
            return Some(match decimals {
                Some(d) if d > 0 => value / POW10[d],
                _ => value,
            });
        }
    }
    std::str::from_utf8(bytes).ok()?.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_number_path_matches_std() {
        for s in [
            "0",
            "181",
            "5450",
            "0.00",
            "1.00",
            "0.11",
            "0.05",
            "693375640",
            "12.5",
            "3.",
            "0.1",
            "123456789012345",
            "0.333333",
            "7.07",
        ] {
            assert_eq!(parse_number(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
        }
        assert_eq!(parse_number(b"1e3"), Some(1000.0));
        assert!(parse_number(b"NaN").unwrap().is_nan());
        assert_eq!(parse_number(b"1e309"), Some(f64::INFINITY));
        assert_eq!(parse_number(b"abc"), None);
        assert_eq!(parse_number(b"."), None);
        assert_eq!(parse_number(b"1.2.3"), None);
    }
}
