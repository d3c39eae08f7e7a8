//! The KDD record parser, both ways in: `StreamParser` (the monitor's: bytes in pieces of
//! any size, then `finish`) and `read_from` (whole input, gzip detected by its magic).
//!
//! Input: [options byte][piece-size seed byte][text...]. Options: bit 0 skip_bad_rows,
//! bits 1-2 the missing-value policy, bit 3 a 200-byte line limit, bit 4 64-byte chunks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netanomaly::data::reader::{MissingPolicy, ReadOptions, SourceFormat, read_from};
use netanomaly::data::stream::StreamParser;
use netanomaly_fuzz::Bytes;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes::new(data);
    let flags = input.u8();
    let mut seed = u32::from(input.u8()) | 1;
    let text = input.data;
    let options = ReadOptions {
        skip_bad_rows: flags & 1 != 0,
        missing: match (flags >> 1) & 3 {
            0 => MissingPolicy::Impute,
            1 => MissingPolicy::Skip,
            _ => MissingPolicy::Error,
        },
        max_line_bytes: if flags & 8 != 0 { 200 } else { 64 * 1024 },
        chunk_bytes: if flags & 16 != 0 { 64 } else { 1 << 20 },
        // KDD only: the stream parser reads nothing else (Zeek logs have their own target).
        format: SourceFormat::Kdd,
        ..ReadOptions::default()
    };

    // The stream, in pieces of 1..=64 bytes chosen by a xorshift from the seed.
    let mut parser = StreamParser::new("fuzz", options.clone());
    let mut rest = text;
    let mut stream_records = 0usize;
    let mut stream_ok = true;
    while !rest.is_empty() {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let n = (1 + seed as usize % 64).min(rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        match parser.feed(piece) {
            Ok(parsed) => stream_records += parsed.records.len(),
            Err(_) => {
                stream_ok = false;
                break;
            }
        }
    }
    if stream_ok {
        match parser.finish() {
            Ok(parsed) => stream_records += parsed.records.len(),
            Err(_) => stream_ok = false,
        }
    }
    let _ = parser.report();

    // The whole input.
    let whole = read_from(text, "fuzz", &options);

    // Both read the same lines with the same rules: when neither failed (and the input is
    // text, which the stream does not decompress), they keep the same records.
    if let Ok((dataset, _report)) = &whole
        && stream_ok
        && !text.starts_with(&[0x1f, 0x8b])
    {
        assert_eq!(
            dataset.len(),
            stream_records,
            "read_from and StreamParser disagree on the number of records"
        );
    }
});
