//! What the monitor reads ([`Input`], [`Format`]) and how ([`MonitorConfig`]).

use std::io::{self, BufRead};
use std::path::PathBuf;

use crate::capture::conntrack::TrackerConfig;
use crate::data::reader::{Content, ReadOptions};

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

    /// What an input holds, told from its first bytes (decompressed if gzip): a capture
    /// by its magic, a Zeek conn.log by its header or JSON keys, else KDD records.
    /// Standard input is peeked, not consumed (it waits for the first bytes). An empty
    /// file, or one to follow that does not exist yet, is told by its name (`conn*.log`
    /// is Zeek's).
    pub fn detect(input: &Input) -> io::Result<Format> {
        let (path, follow) = match input {
            Input::Stdin => return Ok(Format::of(io::stdin().lock().fill_buf()?)),
            Input::File { path, follow } => (path, *follow),
        };
        let by_name = || {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let zeek = name.starts_with("conn") && name.contains(".log");
            if zeek { Format::Zeek } else { Format::Kdd }
        };
        match Content::of_file(path) {
            Ok(Some(content)) => Ok(Format::from(content)),
            Ok(None) => Ok(by_name()),
            Err(e) if follow && e.kind() == io::ErrorKind::NotFound => Ok(by_name()),
            Err(e) => Err(e),
        }
    }

    /// The format of a stream that starts with `start` (gzip decompressed as far as
    /// it goes).
    pub fn of(start: &[u8]) -> Format {
        Format::from(Content::of_prefix(start))
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Kdd => "kdd",
            Format::Pcap => "pcap",
            Format::Zeek => "zeek",
        }
    }
}

impl From<Content> for Format {
    fn from(content: Content) -> Format {
        match content {
            Content::Kdd => Format::Kdd,
            Content::Zeek => Format::Zeek,
            Content::Capture => Format::Pcap,
        }
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

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn formats_are_told_from_the_first_bytes() {
        let zeek = b"#separator \\x09\n#fields\tts\tuid\n";
        assert_eq!(Format::of(zeek), Format::Zeek);
        assert_eq!(
            Format::of(br#"{"ts":1.5,"uid":"C1","id.orig_h":"10.0.0.1"}"#),
            Format::Zeek
        );
        assert_eq!(Format::of(b"0,tcp,http,SF,181,5450,0"), Format::Kdd);
        assert_eq!(Format::of(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Format::Pcap);
        assert_eq!(Format::of(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0]), Format::Pcap);
        assert_eq!(Format::of(b""), Format::Kdd);
        // gzip: what the first bytes decompress to, even cut short.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        for _ in 0..2000 {
            gz.write_all(zeek).unwrap();
        }
        let gz = gz.finish().unwrap();
        assert_eq!(Format::of(&gz[..gz.len() / 2]), Format::Zeek);
        // A followed log that does not exist yet, by its name.
        let dir = tempfile::tempdir().unwrap();
        let follow = |name: &str| Input::File {
            path: dir.path().join(name),
            follow: true,
        };
        assert_eq!(Format::detect(&follow("conn.log")).unwrap(), Format::Zeek);
        assert_eq!(Format::detect(&follow("records.kdd")).unwrap(), Format::Kdd);
        let missing = Input::File {
            path: dir.path().join("conn.log"),
            follow: false,
        };
        assert!(Format::detect(&missing).is_err());
    }
}
