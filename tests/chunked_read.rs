//! The reader cuts its input into chunks of whole lines and parses them in parallel.
//! Wherever the cuts fall, the result must be exactly that of a single chunk: the same
//! rows, line numbers, category codes, report, and the same first error.

mod common;

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use netanomaly::data::reader::{DataError, LoadReport, read_from};
use netanomaly::data::{Dataset, MissingPolicy, ReadOptions, read_path};

const NORMAL: &str = "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.";
const SMURF: &str = "0,icmp,ecr_i,SF,1032,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,511,511,0.00,0.00,0.00,0.00,1.00,0.00,0.00,255,255,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00,smurf.";

/// Longest accepted line in these tests: long lines stay cheap to make.
const LIMIT: usize = 300;

fn with_field(line: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[index] = value;
    fields.join(",")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Every quirk the reader handles, spread over a few kB: a header after blank lines,
/// too-long lines, bad values and field counts, missing values, CRLF, trailing spaces,
/// large integers, numbers only the general parser takes, and no final newline.
fn quirky_file() -> String {
    let header = format!("duration,{}", vec!["x"; 41].join(","));
    let mut lines = vec![String::new(), "  ".into(), header, NORMAL.into()];
    let variants = [
        with_field(NORMAL, 4, "99999999999"),
        with_field(SMURF, 5, "16777217"),
        with_field(NORMAL, 4, "?"),
        with_field(SMURF, 2, ""),
        with_field(NORMAL, 22, "NA"),
        "7".repeat(LIMIT + 1),
        with_field(NORMAL, 4, "abc"),
        format!("{NORMAL}\r"),
        with_field(SMURF, 0, " 5 "),
        format!("{NORMAL},extra"),
        with_field(NORMAL, 41, "neptune."),
        "y".repeat(5 * LIMIT),
        with_field(NORMAL, 24, "1e-2"),
        with_field(SMURF, 1, " udp"),
        String::new(),
        format!("{SMURF} \t"),
        with_field(NORMAL, 41, "..."),
        with_field(SMURF, 4, "-0"),
        "x".repeat(LIMIT),
        with_field(NORMAL, 2, "ht\u{e9}tp"),
    ];
    for i in 0..60 {
        lines.push(if i % 3 == 0 { SMURF } else { NORMAL }.into());
        lines.push(variants[i % variants.len()].clone());
    }
    lines.push(SMURF.into());
    lines.join("\n")
}

/// Everything a read produced, as text: the error, or the report and every row.
fn snapshot(result: Result<(Dataset, LoadReport), DataError>) -> String {
    let (d, report) = match result {
        Ok(read) => read,
        Err(e) => return format!("error: {e}"),
    };
    let mut out = serde_json::to_string(&report).unwrap();
    for k in 0..3 {
        out += &format!("\nvocabulary {k}: {:?}", d.vocabulary(k).names());
    }
    for r in 0..d.len() {
        let bits: Vec<u32> = d.numeric(r).iter().map(|v| v.to_bits()).collect();
        let codes: Vec<u32> = (0..3).map(|k| d.category_code(r, k)).collect();
        out += &format!(
            "\nline {} {:?} {:?} {:?} {:?} {:?} {:?}",
            d.line(r),
            d.fields(r),
            bits,
            codes,
            d.label(r),
            d.family(r),
            d.difficulty(r)
        );
    }
    out
}

fn option_sets() -> Vec<ReadOptions> {
    let mut sets = Vec::new();
    for skip_bad_rows in [false, true] {
        for missing in [
            MissingPolicy::Impute,
            MissingPolicy::Skip,
            MissingPolicy::Error,
        ] {
            sets.push(ReadOptions {
                skip_bad_rows,
                missing,
                max_line_bytes: LIMIT,
                ..ReadOptions::default()
            });
        }
    }
    sets
}

fn read_bytes(bytes: &[u8], options: &ReadOptions, chunk_bytes: usize) -> String {
    let options = ReadOptions {
        chunk_bytes,
        ..options.clone()
    };
    snapshot(read_from(bytes, "f", &options))
}

#[test]
fn any_chunk_size_reads_exactly_like_one_chunk() {
    let text = quirky_file();
    let gz = gzip(text.as_bytes());
    // Every cut position within a record or two, then sizes spanning many records.
    let sizes: Vec<usize> = (1..=320).chain([500, 1000, 4096, 20_000]).collect();
    for options in option_sets() {
        let whole = read_bytes(text.as_bytes(), &options, usize::MAX);
        for &size in &sizes {
            assert_eq!(
                read_bytes(text.as_bytes(), &options, size),
                whole,
                "chunk_bytes {size}, {options:?}"
            );
        }
        for size in [1, 100, 151, 1000] {
            assert_eq!(read_bytes(&gz, &options, size), whole, "gzip, {size}");
        }
    }
}

#[test]
fn the_first_error_wins_and_skipped_rows_keep_their_order_across_chunks() {
    let text = quirky_file();
    let strict = ReadOptions {
        max_line_bytes: LIMIT,
        ..ReadOptions::default()
    };
    let skip = ReadOptions {
        skip_bad_rows: true,
        ..strict.clone()
    };
    for size in [1, 37, 152, 700, usize::MAX] {
        // Line 16 is the first too-long line, line 18 the first bad number.
        assert_eq!(
            read_bytes(text.as_bytes(), &strict, size),
            "error: f: line 16: longer than 300 bytes; a KDD record is about 150 bytes, is this the right file?"
        );
        let skipped = read_bytes(text.as_bytes(), &skip, size);
        assert!(
            skipped.contains(r#""skipped_bad_rows":18,"#),
            "{}",
            &skipped[..400]
        );
        assert!(
            skipped.contains(
                r#""first_bad_rows":["line 16: longer than 300 bytes; a KDD record is about 150 bytes, is this the right file?","line 18, column 5 (src_bytes): expected a number, found \"abc\"","#
            ),
            "{}",
            &skipped[..600]
        );
    }
}

#[test]
fn a_long_line_straddling_chunks_is_never_buffered_whole_and_still_reported() {
    // Far longer than any chunk: the chunker must cut it, and the row must still be
    // reported as too long, at its own line number.
    let mut bytes = format!("{NORMAL}\n{SMURF}\n").into_bytes();
    bytes.extend(std::iter::repeat_n(b'9', 3_000_000));
    bytes.extend_from_slice(format!("\n{NORMAL}\n").as_bytes());
    let strict = ReadOptions::default();
    for size in [100, 4096, 1 << 20] {
        let err = read_bytes(&bytes, &strict, size);
        assert!(err.contains("line 3: longer than 65536 bytes"), "{err}");
        let skip = ReadOptions {
            skip_bad_rows: true,
            ..strict.clone()
        };
        let options = ReadOptions {
            chunk_bytes: size,
            ..skip
        };
        let (d, report) = read_from(&bytes[..], "f", &options).unwrap();
        assert_eq!((d.len(), report.skipped_bad_rows), (3, 1));
        assert_eq!(d.line(2), 4);
    }
}

#[test]
fn truncated_gzip_names_the_same_line_whatever_the_chunks() {
    let rows: Vec<&str> = (0..3000)
        .map(|i| if i % 2 == 0 { NORMAL } else { SMURF })
        .collect();
    let full = gzip(rows.join("\n").as_bytes());
    let cut = &full[..full.len() / 2];
    let whole = read_bytes(cut, &ReadOptions::default(), usize::MAX);
    assert!(
        whole.contains("corrupt or truncated after line "),
        "{whole}"
    );
    for size in [1, 150, 151, 4096, 65536] {
        assert_eq!(read_bytes(cut, &ReadOptions::default(), size), whole);
    }
    // A bad row before the truncation is the first error.
    let mut rows: Vec<String> = rows.iter().map(|r| r.to_string()).collect();
    rows[10] = with_field(NORMAL, 4, "bad");
    let full = gzip(rows.join("\n").as_bytes());
    let cut = &full[..full.len() / 2];
    for size in [1, 4096, usize::MAX] {
        let err = read_bytes(cut, &ReadOptions::default(), size);
        assert!(err.contains("line 11, column 5 (src_bytes)"), "{err}");
    }
}

#[test]
fn nsl_kdd_and_unlabelled_layouts_read_alike_in_chunks() {
    let nsl: Vec<String> = (0..200)
        .map(|i| format!("{},{}", NORMAL.replace("normal.", "normal"), i % 22))
        .collect();
    let unlabelled: Vec<String> = (0..200)
        .map(|_| NORMAL.rsplit_once(',').unwrap().0.to_owned())
        .collect();
    for rows in [nsl, unlabelled] {
        let text = rows.join("\n") + "\n";
        let whole = read_bytes(text.as_bytes(), &ReadOptions::default(), usize::MAX);
        assert!(!whole.starts_with("error"), "{whole}");
        for size in [1, 64, 1000] {
            assert_eq!(
                read_bytes(text.as_bytes(), &ReadOptions::default(), size),
                whole
            );
        }
    }
}

/// A hash of everything a dataset holds (the real file is too big to compare as text).
fn fingerprint(d: &Dataset) -> u64 {
    let mut h = DefaultHasher::new();
    for r in 0..d.len() {
        for v in d.numeric(r) {
            v.to_bits().hash(&mut h);
        }
        for s in 0..38 {
            d.numeric_exact(r, s).to_bits().hash(&mut h);
        }
        for k in 0..3 {
            d.category_code(r, k).hash(&mut h);
        }
        (d.label(r), d.family(r), d.difficulty(r), d.line(r)).hash(&mut h);
    }
    for k in 0..3 {
        d.vocabulary(k).names().hash(&mut h);
    }
    d.label_counts().hash(&mut h);
    h.finish()
}

#[test]
fn the_real_file_reads_the_same_in_small_chunks_and_in_one() {
    let Some(path) = common::real_data(common::KDD10) else {
        return;
    };
    let read = |chunk_bytes| {
        let options = ReadOptions {
            chunk_bytes,
            ..ReadOptions::default()
        };
        let (d, report) = read_path(&path, &options).unwrap();
        (fingerprint(&d), serde_json::to_string(&report).unwrap())
    };
    assert_eq!(read(4096), read(usize::MAX));
}

#[test]
fn reading_from_inside_the_rayon_pool_neither_deadlocks_nor_differs() {
    use rayon::prelude::*;
    let text = quirky_file();
    let options = ReadOptions {
        skip_bad_rows: true,
        max_line_bytes: LIMIT,
        ..ReadOptions::default()
    };
    let whole = read_bytes(text.as_bytes(), &options, usize::MAX);
    // More reads than workers, each from a worker thread, in a one-thread pool too.
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let reads: Vec<String> = pool.install(|| {
            (0..8)
                .into_par_iter()
                .map(|i| read_bytes(text.as_bytes(), &options, 100 + i))
                .collect()
        });
        assert!(reads.iter().all(|r| *r == whole));
    }
}
