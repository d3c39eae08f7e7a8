//! What a read finds out: the file's layout ([`FileFormat`]) and what it saw besides the
//! rows it kept ([`LoadReport`]).

use serde::Serialize;

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
    /// Zeek `conn.log` rows (TSV or JSON), turned into KDD records.
    ZeekConn,
    /// A labelled Zeek `conn.log` (`label`, `detailed-label` columns).
    ZeekConnLabeled,
}

impl FileFormat {
    pub(super) fn from_field_count(n: usize) -> Option<Self> {
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
            // Read by column name, not by count.
            FileFormat::ZeekConn | FileFormat::ZeekConnLabeled => 0,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            FileFormat::Unlabeled => "unlabelled KDD records (41 fields)",
            FileFormat::Kdd99 => "KDD Cup 99 (41 fields + label)",
            FileFormat::NslKdd => "NSL-KDD (41 fields + label + difficulty)",
            FileFormat::ZeekConn => "Zeek conn.log, unlabelled",
            FileFormat::ZeekConnLabeled => "Zeek conn.log, labelled",
        }
    }
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
    /// Zeek logs: what the rows held besides the records kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zeek: Option<ZeekReport>,
}

/// What a Zeek log held besides the records kept.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ZeekReport {
    /// Rows of another transport than TCP, UDP or ICMP, skipped.
    pub other_transport_rows: usize,
    /// Labelled files: rows neither Benign nor Malicious (Background, …), left out of
    /// the data (their connections still count in the traffic windows), by label.
    #[serde(serialize_with = "crate::json::counts")]
    pub unlabelled_rows: Vec<(String, usize)>,
    /// Rows that ended more than the lateness before a row already used.
    pub late_rows: u64,
    pub max_late_seconds: f64,
}

impl LoadReport {
    pub fn missing_total(&self) -> usize {
        self.missing_values.iter().map(|(_, n)| n).sum()
    }
}
