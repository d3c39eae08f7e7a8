//! Zeek logs read whole into a [`Dataset`]: one file, several (rotated logs), or a
//! directory of them, in time order, with one set of traffic windows across them.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::feed::{Parsed, ZeekFeed};
use super::order::ZeekRecord;
use super::{ZeekConn, ZeekError, ZeekLabel, ZeekOptions, ZeekParser, ZeekRecords};
use crate::capture::raw_record;
use crate::data::Dataset;
use crate::data::reader::report::ZeekReport;
use crate::data::reader::{DataError, FileFormat, LoadReport, ReadOptions, decompressed};
use crate::kdd::WindowConfig;

/// Bytes read at a time (runs of whole lines are parsed in parallel).
const READ_BYTES: usize = 1 << 20;

/// Reads and parses the logs, handing the rows on block by block; stops early (with
/// `Ok`) when the receiver has stopped.
fn read_parsed<'r>(
    logs: &mut dyn Iterator<Item = Result<Log<'r>, DataError>>,
    max_line_bytes: usize,
    tx: &std::sync::mpsc::SyncSender<(Parsed, std::sync::Arc<str>)>,
) -> Result<(), DataError> {
    let mut buf = vec![0u8; READ_BYTES];
    for log in logs {
        let (mut input, name, gzip) = log?;
        let shared: std::sync::Arc<str> = name.as_str().into();
        let mut feed = ZeekFeed::new(name.as_str(), max_line_bytes);
        loop {
            let n = match input.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    let (path, line) = (name, feed.line_number());
                    return Err(if gzip {
                        DataError::Gzip { path, line, source }
                    } else {
                        DataError::Io { path, line, source }
                    });
                }
            };
            let mut parsed = Vec::new();
            if n == 0 {
                feed.finish(&mut parsed);
            } else {
                feed.feed(&buf[..n], &mut parsed);
            }
            if tx.send((parsed, shared.clone())).is_err() {
                return Ok(());
            }
            if n == 0 {
                break;
            }
        }
    }
    Ok(())
}

/// The conn logs of `paths`: files, or directories whose `conn*` files are taken. Files
/// are read in the order of their first row's time.
pub fn zeek_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DataError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|source| DataError::Open {
                path: path.display().to_string(),
                source,
            })?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_file()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("conn") || n.contains(".conn."))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    let mut keyed = Vec::with_capacity(files.len());
    for file in files {
        keyed.push((first_ts(&file)?, file));
    }
    // Stable: files with no rows keep their place among equals.
    keyed.sort_by_key(|(ts, _)| *ts);
    Ok(keyed.into_iter().map(|(_, f)| f).collect())
}

/// A log opened for reading, decompressed; and whether it was gzip.
fn open(path: &Path) -> Result<(Box<dyn BufRead>, bool), DataError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| DataError::Open {
        path: name.clone(),
        source,
    })?;
    let (input, gzip) = decompressed(file, 1 << 16).map_err(|source| DataError::Io {
        path: name,
        line: 0,
        source,
    })?;
    Ok((Box::new(BufReader::with_capacity(1 << 16, input)), gzip))
}

/// Time of a file's first row (0 when it has none or it cannot be read here; reading
/// it later reports why).
fn first_ts(path: &Path) -> Result<u64, DataError> {
    let (mut input, _) = open(path)?;
    let mut parser = ZeekParser::new(path.display().to_string());
    let mut line = Vec::new();
    for _ in 0..64 {
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if let Ok(Some(row)) = parser.line(line.strip_suffix(b"\n").unwrap_or(&line)) {
            return Ok(row.ts);
        }
    }
    Ok(0)
}

/// Reads conn logs into one dataset. Rows of labelled files that are neither Benign nor
/// Malicious are left out (and counted); their connections still count in the windows.
pub fn read_zeek(
    paths: &[PathBuf],
    options: &ReadOptions,
    zeek: ZeekOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    let files = zeek_files(paths)?;
    if files.is_empty() {
        return Err(DataError::NoLogs {
            path: crate::data::reader::describe_paths(paths),
        });
    }
    let source = match files.as_slice() {
        [one] => one.display().to_string(),
        _ => format!(
            "{} conn logs ({} …)",
            files.len(),
            files
                .first()
                .map(|f| f.display().to_string())
                .unwrap_or_default()
        ),
    };
    let mut reader = ZeekReader::new(&source, options, zeek);
    let mut logs = files.iter().map(|file| {
        let (input, gzip) = open(file)?;
        Ok((input, file.display().to_string(), gzip))
    });
    reader.read_logs(&mut logs)?;
    reader.finish()
}

/// A log to read: its lines (decompressed), its name, and whether it was gzip.
type Log<'r> = (Box<dyn BufRead + 'r>, String, bool);

/// Reads conn logs from a stream already decompressed (by `data::reader::read_from`);
/// `gzip` says whether it was.
pub fn read_zeek_from(
    input: impl BufRead,
    name: &str,
    gzip: bool,
    options: &ReadOptions,
    zeek: ZeekOptions,
) -> Result<(Dataset, LoadReport), DataError> {
    let mut reader = ZeekReader::new(name, options, zeek);
    let log: Log<'_> = (Box::new(input), name.to_owned(), gzip);
    reader.read_logs(&mut std::iter::once(Ok(log)))?;
    reader.finish()
}

struct ZeekReader<'a> {
    options: &'a ReadOptions,
    records: ZeekRecords,
    dataset: Dataset,
    out: Vec<ZeekRecord>,
    labelled: Option<bool>,
    report: ZeekReport,
    unlabelled: BTreeMap<String, usize>,
    skipped_bad: usize,
    first_bad: Vec<String>,
}

impl<'a> ZeekReader<'a> {
    fn new(source: &str, options: &'a ReadOptions, zeek: ZeekOptions) -> Self {
        ZeekReader {
            options,
            records: ZeekRecords::new(zeek, WindowConfig::default()),
            dataset: Dataset::new(source),
            out: Vec::new(),
            labelled: None,
            report: ZeekReport::default(),
            unlabelled: BTreeMap::new(),
            skipped_bad: 0,
            first_bad: Vec::new(),
        }
    }

    /// Reads the logs in turn. This thread reads and parses them (runs of lines in
    /// parallel); a second thread puts the rows in order, computes their windows and
    /// fills the dataset, so the two overlap. The first error in the input's order wins.
    fn read_logs<'r>(
        &mut self,
        logs: &mut dyn Iterator<Item = Result<Log<'r>, DataError>>,
    ) -> Result<(), DataError> {
        let max_line_bytes = self.options.max_line_bytes;
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(Parsed, std::sync::Arc<str>)>(2);
            let ordering = std::thread::Builder::new()
                .name("zeek-order".into())
                .spawn_scoped(scope, move || -> Result<(), DataError> {
                    for (mut parsed, name) in rx {
                        self.rows(&mut parsed, &name)?;
                    }
                    Ok(())
                })
                .map_err(|source| DataError::Io {
                    path: "(a reader thread)".into(),
                    line: 0,
                    source,
                })?;
            let read = read_parsed(logs, max_line_bytes, &tx);
            drop(tx);
            let ordered = ordering
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            // Rows the second thread refused came before where reading stopped.
            ordered.and(read)
        })
    }

    /// Parsed rows into records, in order; bad ones skipped or the error.
    fn rows(
        &mut self,
        parsed: &mut Vec<Result<ZeekConn, ZeekError>>,
        name: &str,
    ) -> Result<(), DataError> {
        for row in parsed.drain(..) {
            match row {
                Ok(row) => {
                    let labelled = row.label.is_some();
                    match self.labelled {
                        None => self.labelled = Some(labelled),
                        Some(l) if l != labelled => {
                            return Err(ZeekError {
                                path: name.to_owned(),
                                line: row.line,
                                place: String::new(),
                                message:
                                    "labelled and unlabelled conn logs mixed: read them separately"
                                        .into(),
                                other_transport: false,
                            }
                            .into());
                        }
                        Some(_) => {}
                    }
                    self.records.push(row, &mut self.out);
                    self.drain();
                }
                Err(e) if e.other_transport => self.report.other_transport_rows += 1,
                Err(e) => self.bad(e)?,
            }
        }
        Ok(())
    }

    fn bad(&mut self, error: ZeekError) -> Result<(), DataError> {
        if !self.options.skip_bad_rows {
            return Err(error.into());
        }
        self.skipped_bad += 1;
        if self.first_bad.len() < 5 {
            self.first_bad.push(error.to_string());
        }
        Ok(())
    }

    fn drain(&mut self) {
        let labelled = self.labelled == Some(true);
        for mut r in self.out.drain(..) {
            let label = match (&r.label, labelled) {
                (_, false) => None,
                (Some(ZeekLabel::Other(other)), true) => {
                    *self.unlabelled.entry(other.clone()).or_default() += 1;
                    continue;
                }
                (Some(label), true) => Some(label.kdd_label()),
                (None, true) => {
                    *self.unlabelled.entry("(unset)".into()).or_default() += 1;
                    continue;
                }
            };
            // The uid moves into the dataset's identity, not copied.
            let id = {
                let uid = r.conn.uid.take();
                crate::kdd::ConnId { uid, ..r.conn.id() }
            };
            self.dataset
                .push_conn(&raw_record(&r.conn, label, r.line), id);
        }
    }

    fn finish(mut self) -> Result<(Dataset, LoadReport), DataError> {
        self.records.finish(&mut self.out);
        self.drain();
        let stats = self.records.stats();
        let source = self.dataset.source.clone();
        if self.dataset.is_empty() {
            return Err(match self.first_bad.first().cloned() {
                Some(first) => DataError::NoRows {
                    path: source,
                    skipped: self.skipped_bad,
                    first,
                },
                None => DataError::Empty { path: source },
            });
        }
        let report = LoadReport {
            source,
            format: if self.labelled == Some(true) {
                FileFormat::ZeekConnLabeled
            } else {
                FileFormat::ZeekConn
            },
            rows: self.dataset.len(),
            skipped_bad_rows: self.skipped_bad,
            first_bad_rows: self.first_bad,
            skipped_missing_rows: 0,
            missing_values: Vec::new(),
            header_skipped: false,
            zeek: Some(ZeekReport {
                unlabelled_rows: self.unlabelled.into_iter().collect(),
                late_rows: stats.late,
                max_late_seconds: stats.max_late_nanos as f64 / 1e9,
                ..self.report
            }),
        };
        Ok((self.dataset, report))
    }
}
