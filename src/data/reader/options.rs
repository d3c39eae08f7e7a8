//! How to read a file ([`ReadOptions`]), and how to parse a chunk's lines once the
//! layout is known ([`Rules`]).

use serde::Serialize;

use super::report::FileFormat;

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

/// What a data file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// Told from the content: a Zeek header or JSON keys, else KDD records.
    #[default]
    Auto,
    /// KDD Cup 99 / NSL-KDD records.
    Kdd,
    /// Zeek conn.log (TSV or JSON lines).
    Zeek,
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub format: SourceFormat,
    /// Zeek logs: how long the reorder buffer waits.
    pub zeek: crate::zeek::ZeekOptions,
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
            format: SourceFormat::Auto,
            zeek: crate::zeek::ZeekOptions::default(),
            skip_bad_rows: false,
            missing: MissingPolicy::Impute,
            max_line_bytes: 64 * 1024,
            chunk_bytes: 1 << 20,
        }
    }
}

/// How to parse the lines of a chunk, once the layout is known.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rules {
    pub(crate) format: FileFormat,
    pub(crate) missing: MissingPolicy,
    pub(crate) skip_bad_rows: bool,
    pub(crate) max_line_bytes: usize,
}
