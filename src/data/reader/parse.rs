//! Parsing a chunk's lines into a block: finding the first record (which decides the
//! layout), then each line by the fast path or the general parser, which words the
//! errors.

use crate::data::chunk::Chunk;
use crate::data::dataset::{Block, RawRecord};
use crate::data::schema::{self, FEATURES, N_FEATURES, N_NUMERIC};

use super::block::BlockBuilder;
use super::error::{RowError, RowErrorKind};
use super::fields::{MAX_FIELDS, is_header, is_missing, lines, split_fields, trim_line};
use super::number::parse_number;
use super::options::{MissingPolicy, ReadOptions, Rules};
use super::plain::{PlainRow, parse_plain};
use super::report::FileFormat;

/// How many skipped-row reasons to keep for the report.
pub(crate) const KEEP_REASONS: usize = 5;

/// What parsing one chunk found. Line numbers (of rows and errors) count from the
/// chunk's first line, as 1: the merger knows where the chunk starts in the file.
pub(crate) struct Parsed {
    pub(crate) block: Block,
    /// Lines in the chunk, blank and bad ones included.
    pub(crate) lines: u64,
    pub(super) header_skipped: bool,
    pub(super) skipped_bad: usize,
    /// The first bad rows; when not skipping, the one that ends the read.
    pub(crate) bad: Vec<RowError>,
    pub(crate) skipped_missing: usize,
    pub(super) missing: [usize; N_FEATURES],
    /// The buffer the chunk was read into, handed back for reuse.
    pub(super) buffer: Vec<u8>,
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
    pub(super) fn unused(buffer: Vec<u8>, block: Block) -> Self {
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

fn too_long(line: u64, limit: usize) -> RowError {
    RowError {
        line,
        kind: RowErrorKind::LineTooLong { limit },
    }
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
