//! Every kind of bad input gets its own clear error (file, line, column, field, value),
//! or is skipped and counted under --skip-bad-rows. Never a panic.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use netanomaly::data::{MissingPolicy, ReadOptions, read_path};

const NORMAL: &str = "0,tcp,http,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.";
const SMURF: &str = "0,icmp,ecr_i,SF,1032,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,511,511,0.00,0.00,0.00,0.00,1.00,0.00,0.00,255,255,1.00,0.00,1.00,0.00,0.00,0.00,0.00,0.00,smurf.";

/// A KDD line with field `index` (0-based) replaced.
fn with_field(line: &str, index: usize, value: &str) -> String {
    let mut fields: Vec<&str> = line.split(',').collect();
    fields[index] = value;
    fields.join(",")
}

fn without_last_field(line: &str) -> String {
    line.rsplit_once(',').unwrap().0.to_owned()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn lines(rows: &[String]) -> Vec<u8> {
    let mut text = rows.join("\n");
    text.push('\n');
    text.into_bytes()
}

/// Two label-less (41-field) copies of the normal record.
fn unlabelled_file(dir: &Path) -> PathBuf {
    let unlabelled = without_last_field(NORMAL);
    write(dir, "u.csv", &lines(&[unlabelled.clone(), unlabelled]))
}

fn read_err(path: &Path, options: &ReadOptions) -> String {
    match read_path(path, options) {
        Ok((d, _)) => panic!("expected an error, read {} rows", d.len()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn wrong_field_count_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let short = format!(
        "{},normal.",
        without_last_field(&without_last_field(NORMAL))
    );
    let path = write(
        dir.path(),
        "f.csv",
        &lines(&[NORMAL.into(), SMURF.into(), short]),
    );
    let err = read_err(&path, &ReadOptions::default());
    assert!(err.starts_with(&path.display().to_string()), "{err}");
    assert!(
        err.contains(
            "line 3: expected 42 comma-separated fields (like the first record), found 41"
        ),
        "{err}"
    );
    let extra = format!("{NORMAL},x");
    let path = write(dir.path(), "g.csv", &lines(&[NORMAL.into(), extra]));
    assert!(
        read_err(&path, &ReadOptions::default()).contains(
            "line 2: expected 42 comma-separated fields (like the first record), found 43"
        )
    );
}

#[test]
fn unknown_layout_is_reported_from_the_first_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "f.csv", b"1,2,3\n4,5,6\n");
    let err = read_err(&path, &ReadOptions::default());
    assert!(
        err.contains(
            "line 1 has 3 fields; expected 41 (unlabelled), 42 (KDD Cup 99) or 43 (NSL-KDD)"
        ),
        "{err}"
    );
}

#[test]
fn non_numeric_nan_infinite_and_negative_values() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            4,
            "abc",
            "line 2, column 5 (src_bytes): expected a number, found \"abc\"",
        ),
        (
            5,
            "NaN",
            "line 2, column 6 (dst_bytes): expected a finite number, found \"NaN\"",
        ),
        (
            0,
            "inf",
            "line 2, column 1 (duration): expected a finite number, found \"inf\"",
        ),
        (
            24,
            "1e309",
            "line 2, column 25 (serror_rate): expected a finite number, found \"1e309\"",
        ),
        (
            22,
            "-3",
            "line 2, column 23 (count): expected a non-negative number, found \"-3\"",
        ),
    ];
    for (i, (field, value, expected)) in cases.into_iter().enumerate() {
        let path = write(
            dir.path(),
            &format!("f{i}.csv"),
            &lines(&[NORMAL.into(), with_field(NORMAL, field, value)]),
        );
        let err = read_err(&path, &ReadOptions::default());
        assert!(err.contains(expected), "{value}: {err}");
    }
}

#[test]
fn empty_and_blank_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [("empty.csv", &b""[..]), ("blank.csv", &b"\n\n  \n"[..])] {
        let path = write(dir.path(), name, bytes);
        let err = read_err(&path, &ReadOptions::default());
        assert!(
            err.contains("the file is empty; expected KDD connection records"),
            "{err}"
        );
    }
    let path = write(dir.path(), "empty.gz", &gzip(b""));
    assert!(read_err(&path, &ReadOptions::default()).contains("the file is empty"));
}

#[test]
fn truncated_gzip_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<String> = (0..2000)
        .map(|i| {
            if i % 2 == 0 {
                NORMAL.into()
            } else {
                SMURF.into()
            }
        })
        .collect();
    let full = gzip(&lines(&rows));
    let path = write(dir.path(), "t.gz", &full[..full.len() / 2]);
    let err = read_err(&path, &ReadOptions::default());
    assert!(
        err.contains("the gzip data is corrupt or truncated after line"),
        "{err}"
    );
    // Truncation is an I/O fault, not a bad row: --skip-bad-rows does not hide it.
    let skip = ReadOptions {
        skip_bad_rows: true,
        ..ReadOptions::default()
    };
    assert!(read_err(&path, &skip).contains("corrupt or truncated"));
}

#[test]
fn gzip_is_detected_by_magic_bytes_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let data = lines(&[NORMAL.into(), SMURF.into()]);
    let gz_named_txt = write(dir.path(), "data.txt", &gzip(&data));
    let txt_named_gz = write(dir.path(), "data.gz", &data);
    for path in [gz_named_txt, txt_named_gz] {
        let (d, _) = read_path(&path, &ReadOptions::default()).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.label(1), Some("smurf"));
    }
}

#[test]
fn gzip_of_binary_junk_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let path = write(dir.path(), "junk.gz", &gzip(&junk));
    let err = read_err(&path, &ReadOptions::default());
    assert!(err.contains("line 1"), "{err}");
}

#[test]
fn non_utf8_bytes_name_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = lines(&[NORMAL.into()]);
    bytes.extend_from_slice(b"0,tcp,ht\xfftp,SF,181,5450,0,0,0,0,0,1,0,0,0,0,0,0,0,0,0,0,8,8,0.00,0.00,0.00,0.00,1.00,0.00,0.00,9,9,1.00,0.00,0.11,0.00,0.00,0.00,0.00,0.00,normal.\n");
    let path = write(dir.path(), "f.csv", &bytes);
    let err = read_err(&path, &ReadOptions::default());
    assert!(
        err.contains("line 2, column 3 (service): expected UTF-8 text, found \"ht\u{FFFD}tp\""),
        "{err}"
    );
}

#[test]
fn absurdly_long_line_is_refused_without_reading_it_into_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = lines(&[NORMAL.into()]);
    bytes.extend(std::iter::repeat_n(b'7', 10 * 1024 * 1024));
    bytes.extend_from_slice(b"\n");
    let path = write(dir.path(), "f.csv", &bytes);
    let err = read_err(&path, &ReadOptions::default());
    assert!(err.contains("line 2: longer than 65536 bytes"), "{err}");
    let skip = ReadOptions {
        skip_bad_rows: true,
        ..ReadOptions::default()
    };
    let (d, report) = read_path(&path, &skip).unwrap();
    assert_eq!((d.len(), report.skipped_bad_rows), (1, 1));
}

#[test]
fn skip_bad_rows_counts_and_keeps_the_first_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows: Vec<String> = vec![NORMAL.into()];
    for i in 0..8 {
        rows.push(with_field(NORMAL, 4, &format!("bad{i}")));
        rows.push(SMURF.into());
    }
    let path = write(dir.path(), "f.csv", &lines(&rows));
    let options = ReadOptions {
        skip_bad_rows: true,
        ..ReadOptions::default()
    };
    let (d, report) = read_path(&path, &options).unwrap();
    assert_eq!(d.len(), 9);
    assert_eq!(report.skipped_bad_rows, 8);
    assert_eq!(report.first_bad_rows.len(), 5);
    assert!(
        report.first_bad_rows[0]
            .contains("line 2, column 5 (src_bytes): expected a number, found \"bad0\"")
    );
    assert_eq!(d.line(1), 3, "rows keep their source line numbers");
    // Nothing usable at all is still an error.
    let path = write(dir.path(), "g.csv", &lines(&[with_field(NORMAL, 4, "x")]));
    assert!(read_err(&path, &options).contains("no usable rows (1 skipped; first: line 1"));
}

#[test]
fn missing_values_follow_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        NORMAL.to_owned(),
        with_field(NORMAL, 4, "?"),
        with_field(NORMAL, 2, ""),
        with_field(SMURF, 22, "NA"),
    ];
    let path = write(dir.path(), "f.csv", &lines(&rows));
    let (d, report) = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(d.len(), 4);
    assert_eq!(report.missing_total(), 3);
    assert_eq!(
        report.missing_values,
        vec![
            ("service".to_owned(), 1),
            ("src_bytes".to_owned(), 1),
            ("count".to_owned(), 1)
        ]
    );
    assert!(d.numeric_feature(1, 4).unwrap().is_nan());
    assert_eq!(d.category(2, 1), None);

    let skip = ReadOptions {
        missing: MissingPolicy::Skip,
        ..ReadOptions::default()
    };
    let (d, report) = read_path(&path, &skip).unwrap();
    assert_eq!((d.len(), report.skipped_missing_rows), (1, 3));

    let strict = ReadOptions {
        missing: MissingPolicy::Error,
        ..ReadOptions::default()
    };
    let err = read_err(&path, &strict);
    assert!(
        err.contains(
            "line 2, column 5 (src_bytes): value is missing; use --missing impute or --missing skip"
        ),
        "{err}"
    );
}

#[test]
fn crlf_header_and_label_variants() {
    let dir = tempfile::tempdir().unwrap();
    let header = "duration,protocol_type,service,flag,src_bytes,dst_bytes,land,wrong_fragment,urgent,hot,num_failed_logins,logged_in,num_compromised,root_shell,su_attempted,num_root,num_file_creations,num_shells,num_access_files,num_outbound_cmds,is_host_login,is_guest_login,count,srv_count,serror_rate,srv_serror_rate,rerror_rate,srv_rerror_rate,same_srv_rate,diff_srv_rate,srv_diff_host_rate,dst_host_count,dst_host_srv_count,dst_host_same_srv_rate,dst_host_diff_srv_rate,dst_host_same_src_port_rate,dst_host_srv_diff_host_rate,dst_host_serror_rate,dst_host_srv_serror_rate,dst_host_rerror_rate,dst_host_srv_rerror_rate,label";
    let text = format!(
        "{header}\r\n{NORMAL}\r\n{}\r\n{}\r\n",
        NORMAL.replace("normal.", "normal"),
        SMURF.replace("smurf.", "mscan")
    );
    let path = write(dir.path(), "f.csv", text.as_bytes());
    let (d, report) = read_path(&path, &ReadOptions::default()).unwrap();
    assert!(report.header_skipped);
    assert_eq!(d.len(), 3);
    assert_eq!(d.label(0), d.label(1), "normal. and normal are one class");
    assert_eq!(d.family(2), Some(netanomaly::data::Family::Probe));
    assert_eq!(d.line(0), 2);
}

#[test]
fn unlabelled_and_nsl_kdd_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let path = unlabelled_file(dir.path());
    let (d, report) = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(
        report.format,
        netanomaly::data::reader::FileFormat::Unlabeled
    );
    assert!(!d.has_labels());
    let nsl = format!("{},21", NORMAL.replace("normal.", "normal"));
    let path = write(
        dir.path(),
        "n.csv",
        &lines(&[nsl.clone(), with_field(&nsl, 42, "x")]),
    );
    let err = read_err(&path, &ReadOptions::default());
    assert!(err.contains("line 2, column 43 (difficulty): expected a difficulty level (integer 0-255), found \"x\""), "{err}");
}

#[test]
fn the_binary_reports_bad_input_as_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.csv",
        &lines(&[NORMAL.into(), with_field(NORMAL, 4, "12x")]),
    );
    let out = common::netanomaly(&["evaluate", "--train", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = common::stderr(&out);
    assert!(
        err.contains(&format!(
            "error: {}: line 2, column 5 (src_bytes): expected a number, found \"12x\"",
            path.display()
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn evaluate_on_an_unlabelled_file_says_why_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = unlabelled_file(dir.path());
    let out = common::netanomaly(&["evaluate", "--train", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        common::stderr(&out).contains("has no labels; the profile protocol needs labelled rows"),
        "{}",
        common::stderr(&out)
    );
}

/// Mistakes on the command line are told before any work, naming what the user gave:
/// a model that does not exist, an output that is a directory or in a missing folder,
/// a directory with no conn logs, a capture given as records.
#[test]
fn command_line_mistakes_name_what_was_given_before_the_work() {
    use common::{netanomaly, stderr};
    let dir = tempfile::tempdir().unwrap();
    let demo = common::DEMO;
    let missing = dir.path().join("no-model");
    let run = netanomaly(&[
        "score",
        "--model",
        missing.to_str().unwrap(),
        "--data",
        demo,
        "--out",
        "x.csv",
    ]);
    assert!(
        stderr(&run).contains("no-model does not exist"),
        "{}",
        stderr(&run)
    );
    let model = dir.path().join("m");
    common::train(demo, &model, &["--epochs", "1", "--detectors", "iforest"]);
    for (out, says) in [
        (
            dir.path().to_path_buf(),
            "is a directory; give the name of a file".to_owned(),
        ),
        (
            dir.path().join("nowhere/x.csv"),
            format!(
                "the folder {} does not exist",
                dir.path().join("nowhere").display()
            ),
        ),
    ] {
        let run = netanomaly(&[
            "score",
            "--model",
            model.to_str().unwrap(),
            "--data",
            demo,
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = stderr(&run);
        assert!(!run.status.success());
        assert!(err.contains(&says), "{err}");
        assert!(
            !err.contains("reading"),
            "checked before reading the data: {err}"
        );
        assert!(!err.contains(".partial"), "{err}");
    }
    let empty = tempfile::tempdir().unwrap();
    let run = netanomaly(&["evaluate", "--train", empty.path().to_str().unwrap()]);
    assert!(
        stderr(&run).contains("a directory with no Zeek conn logs"),
        "{}",
        stderr(&run)
    );
    let capture = dir.path().join("c.pcap");
    let made = netanomaly(&[
        "demo-capture",
        "--seconds",
        "2",
        "--out",
        capture.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let run = netanomaly(&["evaluate", "--train", capture.to_str().unwrap()]);
    let err = stderr(&run);
    assert!(
        err.contains("is a packet capture, not connection records"),
        "{err}"
    );
    assert!(err.contains("netanomaly pcap2kdd --input"), "{err}");
}

/// Every command's `--help` ends with an example, and no rustdoc markup leaks into it.
#[test]
fn every_command_help_has_an_example_and_reads_as_text() {
    use common::{netanomaly, stdout};
    for command in [
        "dashboard",
        "evaluate",
        "train",
        "score",
        "monitor",
        "pcap2kdd",
        "demo-capture",
        "demo-data",
    ] {
        let run = netanomaly(&[command, "--help"]);
        assert!(run.status.success());
        let help = stdout(&run);
        assert!(help.contains("Example"), "{command}: {help}");
        assert!(
            help.contains(&format!("netanomaly {command} ")),
            "{command}: {help}"
        );
        assert!(!help.contains("[`"), "{command}: {help}");
    }
    let help = stdout(&netanomaly(&["train", "--help"]));
    assert!(
        help.contains("[default: iforest,autoencoder,fused]"),
        "{help}"
    );
}
