//! Streaming reader for KDD Cup 99 and NSL-KDD files, plain or gzip.
//!
//! The format is detected from the first record: 41 fields (unlabelled), 42 (KDD Cup 99:
//! label last, usually with a trailing dot) or 43 (NSL-KDD: label, then difficulty).
//! gzip is recognised by its magic bytes, not the file name. Lines are read one at a time
//! with a length bound, so neither a huge file nor a runaway line is ever held in memory
//! whole. KDD files never quote fields, so a line is split on commas; that keeps exact
//! line and column numbers for every error.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;

use super::dataset::{Dataset, RawRecord};
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
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            skip_bad_rows: false,
            missing: MissingPolicy::Impute,
            max_line_bytes: 64 * 1024,
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
const KEEP_REASONS: usize = 5;

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
pub fn read_from(
    input: impl Read,
    name: &str,
    options: &ReadOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    let mut raw = BufReader::with_capacity(1 << 16, input);
    let gzip = {
        let head = raw.fill_buf().map_err(|source| DataError::Io {
            path: name.to_owned(),
            line: 0,
            source,
        })?;
        head.starts_with(&[0x1f, 0x8b])
    };
    if gzip {
        let decoder = flate2::bufread::MultiGzDecoder::new(raw);
        parse_lines(
            BufReader::with_capacity(1 << 16, decoder),
            name,
            true,
            options,
        )
    } else {
        parse_lines(raw, name, false, options)
    }
}

fn parse_lines(
    mut input: impl BufRead,
    name: &str,
    gzip: bool,
    options: &ReadOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    let mut dataset = Dataset::new(name);
    let mut format: Option<FileFormat> = None;
    let mut line_no: u64 = 0;
    let mut buf = Vec::with_capacity(256);
    let mut skipped_bad = 0usize;
    let mut first_bad = Vec::new();
    let mut skipped_missing = 0usize;
    let mut missing = [0usize; N_FEATURES];
    let mut header_skipped = false;

    loop {
        let read = read_line_bounded(&mut input, &mut buf, options.max_line_bytes);
        let outcome = match read {
            Ok(LineRead::Eof) => break,
            Ok(outcome) => outcome,
            Err(source) => {
                let path = name.to_owned();
                return Err(if gzip {
                    DataError::Gzip {
                        path,
                        line: line_no,
                        source,
                    }
                } else {
                    DataError::Io {
                        path,
                        line: line_no,
                        source,
                    }
                });
            }
        };
        line_no += 1;
        let row_result: Result<Option<[usize; N_FEATURES]>, RowError> = match outcome {
            LineRead::TooLong => Err(RowError {
                line: line_no,
                kind: RowErrorKind::LineTooLong {
                    limit: options.max_line_bytes,
                },
            }),
            LineRead::Line => {
                let line = trim_line(&buf);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                // Fields on the stack; the count keeps going past the array so a wrong
                // field count is still reported exactly.
                let mut storage: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
                let mut count = 0;
                for field in line.split(|&b| b == b',') {
                    if count < MAX_FIELDS {
                        storage[count] = field;
                    }
                    count += 1;
                }
                let fields = &storage[..count.min(MAX_FIELDS)];
                let fmt = match format {
                    Some(f) => f,
                    None => {
                        if is_header(fields) {
                            header_skipped = true;
                            continue;
                        }
                        let Some(f) = FileFormat::from_field_count(count) else {
                            return Err(DataError::UnknownFormat {
                                path: name.to_owned(),
                                line: line_no,
                                found: count,
                            });
                        };
                        format = Some(f);
                        f
                    }
                };
                parse_record(fields, count, fmt, line_no, options.missing).map(|parsed| {
                    parsed.map(|(record, row_missing)| {
                        dataset.push(&record);
                        row_missing
                    })
                })
            }
            LineRead::Eof => unreachable!("handled above"),
        };
        match row_result {
            Ok(Some(row_missing)) => {
                for (total, m) in missing.iter_mut().zip(row_missing) {
                    *total += m;
                }
            }
            Ok(None) => skipped_missing += 1,
            Err(error) if options.skip_bad_rows => {
                skipped_bad += 1;
                if first_bad.len() < KEEP_REASONS {
                    first_bad.push(error.to_string());
                }
            }
            Err(error) => {
                return Err(DataError::BadRow {
                    path: name.to_owned(),
                    error,
                });
            }
        }
    }

    let Some(format) = format else {
        return Err(if skipped_bad > 0 {
            DataError::NoRows {
                path: name.to_owned(),
                skipped: skipped_bad,
                first: first_bad.first().cloned().unwrap_or_default(),
            }
        } else {
            DataError::Empty {
                path: name.to_owned(),
            }
        });
    };
    if dataset.is_empty() {
        return Err(DataError::NoRows {
            path: name.to_owned(),
            skipped: skipped_bad + skipped_missing,
            first: first_bad
                .first()
                .cloned()
                .unwrap_or_else(|| "every row had a missing value (--missing skip)".to_owned()),
        });
    }
    let report = LoadReport {
        source: name.to_owned(),
        format,
        rows: dataset.len(),
        skipped_bad_rows: skipped_bad,
        first_bad_rows: first_bad,
        skipped_missing_rows: skipped_missing,
        missing_values: FEATURES
            .iter()
            .zip(missing)
            .filter(|(_, n)| *n > 0)
            .map(|(f, n)| (f.name.to_owned(), n))
            .collect(),
        header_skipped,
    };
    Ok((dataset, report))
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Reads one line into `buf` (without the newline). A line longer than `limit` is
/// consumed to its end but not stored, so memory stays bounded whatever the input.
fn read_line_bounded(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<LineRead> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (any, too_long) {
                (false, _) => LineRead::Eof,
                (true, true) => LineRead::TooLong,
                (true, false) => LineRead::Line,
            });
        }
        any = true;
        let (chunk, done) = match memchr::memchr(b'\n', available) {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if !too_long {
            if buf.len() + chunk.len() > limit {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(available.len());
        input.consume(used);
        if done.is_some() {
            return Ok(if too_long {
                LineRead::TooLong
            } else {
                LineRead::Line
            });
        }
    }
}

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
    const POW10: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
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

    #[test]
    fn bounded_line_reader_skips_long_lines_whole() {
        let data = b"short\nthis line is too long\nok\r\nlast";
        let mut input = BufReader::with_capacity(4, &data[..]);
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        loop {
            match read_line_bounded(&mut input, &mut buf, 8).unwrap() {
                LineRead::Eof => break,
                LineRead::TooLong => seen.push("<too long>".to_owned()),
                LineRead::Line => seen.push(String::from_utf8_lossy(trim_line(&buf)).into_owned()),
            }
        }
        assert_eq!(seen, ["short", "<too long>", "ok", "last"]);
    }
}
