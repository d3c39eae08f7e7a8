//! What the monitor reads ([`Input`], [`Format`]) and how ([`MonitorConfig`]).

use std::path::PathBuf;

use crate::capture::conntrack::TrackerConfig;
use crate::data::reader::ReadOptions;

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

/// What the input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// KDD connection records, one per line.
    Kdd,
    /// A packet capture (pcap or pcapng), turned into connection records.
    Pcap,
    /// A Zeek `conn.log` (TSV with its header, or JSON lines), one connection per row.
    Zeek,
}

impl Format {
    /// Records made from connections (packets or a conn.log) have no content features.
    pub fn has_content_features(self) -> bool {
        self == Format::Kdd
    }
}

/// How the monitor reads and explains.
#[derive(Debug, Clone)]
pub struct MonitorConfig {
    pub input: Input,
    pub format: Format,
    /// Connection tracking, for packets.
    pub tracker: TrackerConfig,
    /// Score packets with a model that needs content features (they are 0 from packets).
    pub allow_content_features_zero: bool,
    /// Bad lines are skipped and counted unless `read.skip_bad_rows` is false; Zeek's
    /// reorder lateness is `read.zeek`.
    pub read: ReadOptions,
    /// "Why" features named per flagged record and detector (0: no explanations).
    pub why: usize,
}
