//! What can go wrong: one row ([`RowError`], with its line and column) or the whole file
//! ([`DataError`], with the file's name).

use std::fmt;
use std::io;

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
        "{path}: several data paths are read together only as Zeek conn logs (rotated logs, or directories of them), and this one holds KDD records; give one KDD file (e.g. `cat a.csv b.csv > all.csv`)"
    )]
    SeveralNotZeek { path: String },
    #[error("{path}: a directory with no Zeek conn logs in it (conn*.log, conn.*.log.gz)")]
    NoLogs { path: String },
    #[error(
        "{path} is a packet capture, not connection records: turn it into records with `netanomaly pcap2kdd --input {path} --out records.kdd`, or score it with `netanomaly monitor --input {path}`"
    )]
    IsCapture { path: String },
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
    /// A bad Zeek conn.log row (the message names file, line and field).
    #[error("{0}")]
    Zeek(#[from] crate::zeek::ZeekError),
    #[error("{path}: no usable rows ({skipped} skipped; first: {first})")]
    NoRows {
        path: String,
        skipped: usize,
        first: String,
    },
}
