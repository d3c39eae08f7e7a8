//! Streaming reader for KDD Cup 99 and NSL-KDD files, plain or gzip.
//!
//! The format is detected from the first record: 41 fields (unlabelled), 42 (KDD Cup 99:
//! label last, usually with a trailing dot) or 43 (NSL-KDD: label, then difficulty).
//! gzip is recognised by its magic bytes, not the file name. The input is read in chunks
//! of whole lines with a length bound per line, so neither a huge file nor a runaway line
//! is ever held in memory whole; the chunks are parsed in parallel and appended in file
//! order. KDD files never quote fields, so a line is split on commas; that keeps exact
//! line and column numbers for every error.
//!
//! The parts: [`options`] (how to read) and [`report`] (the layout found and what was
//! skipped); [`error`] (row and file errors, with line and column); [`assemble`] (the
//! chunked, parallel read and the merge in file order); [`parse`] (a chunk's lines into a
//! block), with [`fields`] (lines and commas), [`plain`] (the one-pass fast path),
//! [`block`] (interning into a block) and [`number`] (decimal numbers).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::dataset::Dataset;
use assemble::read_chunks;

mod assemble;
mod block;
pub mod error;
mod fields;
mod number;
pub mod options;
pub(super) mod parse;
mod plain;
pub mod report;

pub use error::{DataError, RowError, RowErrorKind};
pub use number::parse_number;
pub use options::{MissingPolicy, ReadOptions, SourceFormat};
pub use report::{FileFormat, LoadReport};

/// Reads a file (or `-` for standard input): KDD records, or a Zeek conn.log (told
/// from its `#separator`/`#fields` header or its JSON keys). A directory is read as a
/// set of rotated Zeek conn logs.
pub fn read_path(path: &Path, options: &ReadOptions) -> Result<(Dataset, LoadReport), DataError> {
    let name = path.display().to_string();
    if path.is_dir() {
        return crate::zeek::read_zeek(&[path.to_owned()], options, options.zeek);
    }
    if name == "-" {
        return read_from(io::stdin().lock(), &name, options);
    }
    let file = File::open(path).map_err(|source| DataError::Open {
        path: name.clone(),
        source,
    })?;
    read_from(file, &name, options)
}

/// Reads one path as [`read_path`] does, or several: Zeek conn logs (rotated files,
/// directories of them) read as one log in time order.
pub fn read_paths(
    paths: &[std::path::PathBuf],
    options: &ReadOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    match paths {
        [] => Err(DataError::Empty {
            path: "(no path given)".into(),
        }),
        [one] => read_path(one, options),
        several => {
            for path in several {
                if !path.is_dir() && !is_zeek(path, options)? {
                    return Err(DataError::SeveralNotZeek {
                        path: path.display().to_string(),
                    });
                }
            }
            crate::zeek::read_zeek(several, options, options.zeek)
        }
    }
}

/// How the user named the paths: `a.log`, or `a.log and 3 more`.
pub fn describe_paths(paths: &[std::path::PathBuf]) -> String {
    match paths {
        [] => String::new(),
        [one] => one.display().to_string(),
        [first, rest @ ..] => format!("{} and {} more", first.display(), rest.len()),
    }
}

/// `describe_paths` with each path tidied for a heading: `..` and symlinks resolved,
/// and shown relative to the working folder when it lies inside it
/// (`/x/../shared/a.gz` reads `/shared/a.gz`). A path that cannot be resolved is
/// shown as given.
pub fn describe_paths_tidily(paths: &[std::path::PathBuf]) -> String {
    let cwd = std::env::current_dir().ok();
    let tidy: Vec<std::path::PathBuf> = paths
        .iter()
        .map(|p| match std::fs::canonicalize(p) {
            Ok(full) => cwd
                .as_deref()
                .and_then(|cwd| full.strip_prefix(cwd).ok())
                .filter(|rel| !rel.as_os_str().is_empty())
                .map_or_else(|| full.clone(), Path::to_path_buf),
            Err(_) => p.clone(),
        })
        .collect();
    describe_paths(&tidy)
}

/// Whether a file holds a Zeek conn.log (by its header or JSON keys, or the format
/// asked for).
fn is_zeek(path: &Path, options: &ReadOptions) -> Result<bool, DataError> {
    match options.format {
        SourceFormat::Kdd => Ok(false),
        SourceFormat::Zeek => Ok(true),
        SourceFormat::Auto => Content::of_file(path)
            .map(|c| c == Some(Content::Zeek))
            .map_err(|source| DataError::Open {
                path: path.display().to_string(),
                source,
            }),
    }
}

/// What a stream holds, told from its first bytes: the one sniffing the readers, the
/// monitor and the dashboard share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Kdd,
    Zeek,
    /// A packet capture (a pcap magic, or a pcapng section header).
    Capture,
}

/// Bytes looked at to tell what a file holds.
const PEEK: usize = 8192;

impl Content {
    /// Of a stream's first bytes, already decompressed.
    pub fn of(start: &[u8]) -> Content {
        if crate::capture::pcap::is_capture(start) {
            Content::Capture
        } else if crate::zeek::ZeekParser::sniff(start) {
            Content::Zeek
        } else {
            Content::Kdd
        }
    }

    /// Of a stream's first bytes as they are, gzip decompressed as far as the prefix
    /// goes (its cut end is expected).
    pub fn of_prefix(start: &[u8]) -> Content {
        if !start.starts_with(&[0x1f, 0x8b]) {
            return Content::of(start);
        }
        let mut text = Vec::with_capacity(PEEK);
        let _ = flate2::read::MultiGzDecoder::new(start)
            .take(PEEK as u64)
            .read_to_end(&mut text);
        Content::of(&text)
    }

    /// Of a file's first bytes; `None` when it is empty.
    pub fn of_file(path: &Path) -> io::Result<Option<Content>> {
        let mut start = Vec::with_capacity(PEEK);
        File::open(path)?
            .take(PEEK as u64)
            .read_to_end(&mut start)?;
        Ok((!start.is_empty()).then(|| Content::of_prefix(&start)))
    }
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
    let io_error = |source| DataError::Io {
        path: name.to_owned(),
        line: 0,
        source,
    };
    let (input, gzip) = decompressed(input, 1 << 16).map_err(io_error)?;
    let mut input = BufReader::with_capacity(1 << 16, input);
    let content = Content::of(input.fill_buf().map_err(io_error)?);
    if content == Content::Capture {
        return Err(DataError::IsCapture {
            path: name.to_owned(),
        });
    }
    let zeek = match options.format {
        SourceFormat::Kdd => false,
        SourceFormat::Zeek => true,
        SourceFormat::Auto => content == Content::Zeek,
    };
    if zeek {
        return crate::zeek::read_zeek_from(input, name, gzip, options, options.zeek);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_show_paths_without_dot_dot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("x")).unwrap();
        std::fs::write(dir.path().join("a.csv"), "").unwrap();
        let given = dir.path().join("x").join("..").join("a.csv");
        let shown = describe_paths_tidily(std::slice::from_ref(&given));
        assert!(!shown.contains(".."), "{shown}");
        assert!(shown.ends_with("a.csv"), "{shown}");
        // A path that does not resolve is shown as given.
        let missing = dir.path().join("x").join("..").join("gone.csv");
        assert_eq!(
            describe_paths_tidily(std::slice::from_ref(&missing)),
            missing.display().to_string()
        );
    }
}
