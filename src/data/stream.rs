//! Parsing connection records as they arrive (`monitor`): bytes come in pieces of any
//! size, records go out in small datasets as soon as their line is complete.
//!
//! The parsing itself is the file reader's (same fast path, same errors, same line
//! numbers); only the framing differs. A stream does not stop at a bad line by default:
//! the monitor skips it, counts it and names it, because one malformed record must not
//! blind a live monitor.

use super::chunk::Chunk;
use super::dataset::{Block, Dataset};
use super::reader::options::Rules;
use super::reader::parse::{self, KEEP_REASONS};
use super::reader::{DataError, FileFormat, ReadOptions, RowError, RowErrorKind};

/// Incremental parser of a stream of KDD lines.
pub struct StreamParser {
    name: String,
    options: ReadOptions,
    format: Option<FileFormat>,
    /// Lines completed so far (blank, header and bad ones included).
    lines: u64,
    /// The incomplete last line.
    carry: Vec<u8>,
    /// Discarding the rest of an over-long line, up to its newline.
    skipping_long_line: bool,
    report: StreamReport,
}

/// What the parser has seen besides the records it returned.
#[derive(Debug, Clone, Default)]
pub struct StreamReport {
    pub lines: u64,
    pub records: u64,
    pub skipped_bad_rows: u64,
    pub skipped_missing_rows: u64,
    /// The first few bad rows, for the user.
    pub first_bad_rows: Vec<String>,
    pub format: Option<FileFormat>,
}

/// Records parsed from one piece of the stream, and the bad rows skipped in it.
#[derive(Debug)]
pub struct Parsed {
    pub records: Dataset,
    pub bad_rows: Vec<RowError>,
}

impl StreamParser {
    pub fn new(name: impl Into<String>, options: ReadOptions) -> Self {
        StreamParser {
            name: name.into(),
            options,
            format: None,
            lines: 0,
            carry: Vec::new(),
            skipping_long_line: false,
            report: StreamReport::default(),
        }
    }

    /// The stream's name, as errors give it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn report(&self) -> &StreamReport {
        &self.report
    }

    pub fn format(&self) -> Option<FileFormat> {
        self.format
    }

    /// Parses the complete lines in `bytes` (after what earlier calls left incomplete).
    /// Fails on a bad row only when the options say not to skip bad rows.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<Parsed, DataError> {
        let mut bad_rows = Vec::new();
        if self.skipping_long_line {
            match memchr::memchr(b'\n', bytes) {
                Some(i) => {
                    bytes = &bytes[i + 1..];
                    self.skipping_long_line = false;
                }
                None => return Ok(self.empty(bad_rows)),
            }
        }
        let Some(last_newline) = memchr::memrchr(b'\n', bytes) else {
            self.carry.extend_from_slice(bytes);
            if self.carry.len() > self.options.max_line_bytes {
                // Report the line now and drop it as it streams past: memory stays
                // bounded whatever the input.
                self.carry.clear();
                self.skipping_long_line = true;
                self.lines += 1;
                let error = RowError {
                    line: self.lines,
                    kind: RowErrorKind::LineTooLong {
                        limit: self.options.max_line_bytes,
                    },
                };
                self.bad_row(error, &mut bad_rows)?;
            }
            return Ok(self.empty(bad_rows));
        };
        let mut text = std::mem::take(&mut self.carry);
        text.extend_from_slice(&bytes[..=last_newline]);
        self.carry.extend_from_slice(&bytes[last_newline + 1..]);
        self.parse(text, bad_rows)
    }

    /// End of the stream: parses an unterminated last line.
    pub fn finish(&mut self) -> Result<Parsed, DataError> {
        let text = std::mem::take(&mut self.carry);
        if self.skipping_long_line || text.is_empty() {
            self.skipping_long_line = false;
            return Ok(self.empty(Vec::new()));
        }
        self.parse(text, Vec::new())
    }

    fn empty(&self, bad_rows: Vec<RowError>) -> Parsed {
        Parsed {
            records: Dataset::new(self.name.clone()),
            bad_rows,
        }
    }

    fn bad_row(&mut self, error: RowError, bad_rows: &mut Vec<RowError>) -> Result<(), DataError> {
        if !self.options.skip_bad_rows {
            return Err(DataError::BadRow {
                path: self.name.clone(),
                error,
            });
        }
        self.report.skipped_bad_rows += 1;
        if self.report.first_bad_rows.len() < KEEP_REASONS {
            self.report.first_bad_rows.push(error.to_string());
        }
        bad_rows.push(error);
        Ok(())
    }

    /// Parses whole lines (ending in a newline, except at the end of the stream).
    fn parse(&mut self, text: Vec<u8>, mut bad_rows: Vec<RowError>) -> Result<Parsed, DataError> {
        let mut chunk = Chunk::from_text(text);
        let format = loop {
            if let Some(format) = self.format {
                break format;
            }
            let (before, first) = parse::find_first_record(chunk.text(), &self.options);
            let consumed = before.lines;
            for mut error in before.bad {
                error.line += self.lines;
                self.bad_row(error, &mut bad_rows)?;
            }
            self.lines += consumed;
            match first {
                None => return Ok(self.empty(bad_rows)),
                Some(parse::FirstRecord::At { offset, format }) => {
                    chunk.skip(offset);
                    self.format = Some(format);
                    self.report.format = Some(format);
                }
                Some(parse::FirstRecord::Unknown { found }) => {
                    // Its field count fits no layout: a bad row, then look again.
                    self.lines += 1;
                    let error = RowError {
                        line: self.lines,
                        kind: RowErrorKind::UnknownLayout { found },
                    };
                    if !self.options.skip_bad_rows {
                        return Err(DataError::UnknownFormat {
                            path: self.name.clone(),
                            line: self.lines,
                            found,
                        });
                    }
                    self.bad_row(error, &mut bad_rows)?;
                    let text = chunk.text();
                    let next = memchr::memchr(b'\n', text).map_or(text.len(), |i| i + 1);
                    chunk.skip(next);
                }
            }
        };
        let rules = Rules {
            format,
            missing: self.options.missing,
            skip_bad_rows: self.options.skip_bad_rows,
            max_line_bytes: self.options.max_line_bytes,
        };
        let parsed = parse::parse_chunk(chunk, Block::default(), rules);
        for mut error in parsed.bad {
            error.line += self.lines;
            self.bad_row(error, &mut bad_rows)?;
        }
        self.report.skipped_missing_rows += parsed.skipped_missing as u64;
        let mut records = Dataset::new(self.name.clone());
        let mut block = parsed.block;
        records.append(&mut block, self.lines);
        self.lines += parsed.lines;
        self.report.lines = self.lines;
        self.report.records += records.len() as u64;
        Ok(Parsed { records, bad_rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NORMAL: &str = "0,tcp,http,SF,215,45076,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,1,1,0.00,0.00,0.00,0.00,1.00,0.00,0.00,0,0,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00,normal.";

    fn skipping() -> ReadOptions {
        ReadOptions {
            skip_bad_rows: true,
            ..ReadOptions::default()
        }
    }

    /// Feeding a stream in pieces of any size gives the records and line numbers of
    /// reading it whole.
    #[test]
    fn pieces_of_any_size_give_the_same_records() {
        let mut text = String::from("\n");
        for i in 0..40 {
            text.push_str(&NORMAL.replace(",215,", &format!(",{},", 200 + i)));
            text.push('\n');
        }
        text.push_str(NORMAL); // unterminated last line
        for step in [1, 3, 7, 64, 150, 100_000] {
            let mut parser = StreamParser::new("s", ReadOptions::default());
            let mut rows = Vec::new();
            for piece in text.as_bytes().chunks(step) {
                let parsed = parser.feed(piece).unwrap();
                for r in 0..parsed.records.len() {
                    rows.push((parsed.records.line(r), parsed.records.numeric(r)[1]));
                }
            }
            let last = parser.finish().unwrap();
            for r in 0..last.records.len() {
                rows.push((last.records.line(r), last.records.numeric(r)[1]));
            }
            assert_eq!(rows.len(), 41, "step {step}");
            assert_eq!(rows[0], (2, 200.0));
            assert_eq!(rows[39], (41, 239.0));
            assert_eq!(rows[40], (42, 215.0));
            assert_eq!(parser.report().records, 41);
        }
    }

    #[test]
    fn bad_lines_are_skipped_and_named_or_stop_the_stream() {
        let text = format!(
            "garbage\n{NORMAL}\n{}\n{NORMAL}\n",
            NORMAL.replace("215", "x")
        );
        let mut parser = StreamParser::new("s", skipping());
        let parsed = parser.feed(text.as_bytes()).unwrap();
        assert_eq!(parsed.records.len(), 2);
        assert_eq!(parsed.records.line(0), 2);
        assert_eq!(parsed.records.line(1), 4);
        let lines: Vec<u64> = parsed.bad_rows.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 3]);
        assert_eq!(parser.report().skipped_bad_rows, 2);
        assert!(parser.report().first_bad_rows[1].contains("src_bytes"));

        let mut strict = StreamParser::new("s", ReadOptions::default());
        let error = strict.feed(text.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("line 1 has 1 fields"), "{error}");
        let mut strict = StreamParser::new("s", ReadOptions::default());
        let later = format!("{NORMAL}\n{}\n", NORMAL.replace("215", "x"));
        let error = strict.feed(later.as_bytes()).unwrap_err().to_string();
        assert!(
            error.contains("line 2") && error.contains("src_bytes"),
            "{error}"
        );
    }

    /// A line without a newline cannot grow memory without bound.
    #[test]
    fn an_endless_line_is_reported_and_dropped() {
        let options = ReadOptions {
            max_line_bytes: 1000,
            ..skipping()
        };
        let mut parser = StreamParser::new("s", options);
        let junk = vec![b'7'; 600];
        let mut reported = 0;
        for _ in 0..100 {
            reported += parser.feed(&junk).unwrap().bad_rows.len();
        }
        assert_eq!(reported, 1);
        assert!(parser.carry.len() <= 1000);
        let mut tail = b"\n".to_vec();
        tail.extend_from_slice(NORMAL.as_bytes());
        tail.push(b'\n');
        let parsed = parser.feed(&tail).unwrap();
        assert_eq!(parsed.records.len(), 1);
        assert_eq!(parsed.records.line(0), 2);
    }
}
