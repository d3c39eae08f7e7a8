//! The Zeek conn.log reader: any bytes, as TSV (with header directives) or JSON lines,
//! plain or gzip, must give records or an error naming the line, never a panic; and
//! the line parser fed the same lines one by one, then reordered and featurised, keeps
//! exactly the rows the whole-input reader keeps.
//!
//! Input: [options byte][text...]. Options: bit 0 skip_bad_rows, bit 1 a zero lateness.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netanomaly::data::reader::{ReadOptions, SourceFormat, read_from};
use netanomaly::kdd::WindowConfig;
use netanomaly::zeek::{ZeekOptions, ZeekParser, ZeekRecords};
use netanomaly_fuzz::Bytes;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let flags = input.u8();
    let text = input.data;
    let zeek = ZeekOptions {
        lateness: if flags & 2 != 0 { 0 } else { 10_000_000_000 },
    };
    let options = ReadOptions {
        skip_bad_rows: flags & 1 != 0,
        format: SourceFormat::Zeek,
        zeek,
        max_line_bytes: 1 << 20,
        ..ReadOptions::default()
    };
    let whole = read_from(text, "fuzz", &options);

    // Line by line, every row that parses reordered and featurised.
    let mut parser = ZeekParser::new("fuzz");
    let mut records = ZeekRecords::new(zeek, WindowConfig::default());
    let mut out = Vec::new();
    let mut failed = false;
    for line in text.split(|&b| b == b'\n') {
        match parser.line(line) {
            Ok(Some(row)) => records.push(row, &mut out),
            Ok(None) => {}
            Err(e) if e.other_transport => {}
            Err(_) => failed = true,
        }
    }
    records.finish(&mut out);
    let ends: Vec<u64> = out.iter().map(|r| r.conn.end).collect();
    // Released in end order, except rows later than the lateness.
    if records.stats().late == 0 {
        assert!(ends.windows(2).all(|w| w[0] <= w[1]), "records out of end order");
    }
    if let Ok((dataset, report)) = &whole
        && !failed
        && !text.starts_with(&[0x1f, 0x8b])
        && report.format == netanomaly::data::reader::FileFormat::ZeekConn
    {
        assert_eq!(dataset.len(), out.len(), "reader and line parser disagree");
    }
});
