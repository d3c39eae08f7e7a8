//! `monitor`: a saved bundle scores records as they arrive, through the real binary.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::{netanomaly, read_csv, stderr};
use serde_json::Value;

use common::DEMO;

fn train(out: &Path) {
    common::train(DEMO, out, &["--epochs", "3"]);
}

fn monitor(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netanomaly"));
    command.arg("monitor").args(args);
    command
}

fn next_json(rx: &mpsc::Receiver<String>) -> Value {
    let line = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("monitor printed a line in time");
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// Every record `monitor` prints carries the scores and flags `score --all` writes for
/// the same record; bad lines are skipped, named and counted; the summary adds up.
#[test]
fn monitor_scores_each_record_as_score_does() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    train(&model);
    let csv = dir.path().join("all.csv");
    let run = netanomaly(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        DEMO,
        "--out",
        csv.to_str().unwrap(),
        "--all",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, rows) = read_csv(&csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();

    // The demo file with a malformed line slipped in after line 500.
    let text = std::fs::read_to_string(DEMO).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let bad = lines[500].replacen(",tcp,", ",tcp,x,", 1);
    lines.insert(500, &bad);
    let input = lines.join("\n") + "\n";
    let mut child = monitor(&["--model", model.to_str().unwrap(), "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{err}");
    assert!(
        err.contains("skipped a record: standard input: line 501"),
        "{err}"
    );
    let printed: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, records) = printed.split_last().unwrap();
    assert_eq!(records.len(), rows.len());
    let mut flagged = [0u64; 3];
    for (record, row) in records.iter().zip(&rows) {
        assert_eq!(record["kind"], "record");
        // Line numbers count the inserted line: records after it are one further on.
        let line: u64 = row[col("line")].parse().unwrap();
        let expected_line = if line > 500 { line + 1 } else { line };
        assert_eq!(record["line"], expected_line);
        assert_eq!(record["service"], row[col("service")]);
        // The fused detector too, restored from the bundle: its scores are `score`'s.
        for (k, name) in ["iforest", "autoencoder", "fused"].iter().enumerate() {
            let score = record[name]["score"].as_f64().unwrap();
            let csv_score: f64 = row[col(&format!("{name}_score"))].parse().unwrap();
            assert!(
                (score - csv_score).abs() <= 6e-7 + 1e-6 * csv_score.abs(),
                "{name} line {line}: {score} vs {csv_score}"
            );
            let flag = record[name]["flagged"].as_bool().unwrap();
            assert_eq!(flag, &row[col(&format!("{name}_flag"))] == "1");
            let why = record[name]["why"].as_array().unwrap();
            assert_eq!(why.is_empty(), !flag, "{record}");
            // Each feature with what normal rows hold there; unusual values first.
            let unusual: Vec<bool> = why
                .iter()
                .map(|w| {
                    assert!(w["normal"].is_string(), "{w}");
                    w["unusual"].as_bool().unwrap()
                })
                .collect();
            assert!(unusual.windows(2).all(|p| p[0] >= p[1]), "{record}");
            flagged[k] += u64::from(flag);
        }
    }
    assert!(flagged.iter().all(|&n| n > 0), "{flagged:?}");
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["counts"]["records"], rows.len() as u64);
    assert_eq!(summary["counts"]["skipped_bad_records"], 1);
    assert_eq!(summary["counts"]["flagged"]["iforest"], flagged[0]);
    assert_eq!(summary["counts"]["flagged"]["autoencoder"], flagged[1]);
    assert_eq!(summary["counts"]["flagged"]["fused"], flagged[2]);

    // --strict stops at the bad line, naming it.
    let strict = netanomaly(&[
        "monitor",
        "--model",
        model.to_str().unwrap(),
        "--input",
        dir.path().join("bad.csv").to_str().unwrap(),
    ]);
    assert!(!strict.status.success());
    std::fs::write(dir.path().join("bad.csv"), format!("{}\n{bad}\n", lines[0])).unwrap();
    let strict = netanomaly(&[
        "monitor",
        "--model",
        model.to_str().unwrap(),
        "--input",
        dir.path().join("bad.csv").to_str().unwrap(),
        "--strict",
    ]);
    let err = stderr(&strict);
    assert!(!strict.status.success());
    assert!(err.contains("bad.csv: line 2"), "{err}");
}

/// `--follow` keeps reading a file as it grows and across a rotation; Ctrl-C ends the
/// run with a summary; `--alerts` holds exactly the flagged records, as JSON lines.
#[test]
#[cfg(unix)]
fn follow_tails_a_rotating_file_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    train(&model);
    let text = std::fs::read_to_string(DEMO).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let chunk = |range: std::ops::Range<usize>| lines[range].join("\n") + "\n";
    let log = dir.path().join("records.log");
    let alerts = dir.path().join("alerts.jsonl");
    std::fs::write(&log, chunk(0..300)).unwrap();
    let mut child = monitor(&[
        "--model",
        model.to_str().unwrap(),
        "--input",
        log.to_str().unwrap(),
        "--follow",
        "--json",
        "--alerts",
        alerts.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let rx = common::lines_of(&mut child);
    let mut flagged = 0;
    let mut read = |n: usize, first_line: u64| {
        for i in 0..n {
            let record = next_json(&rx);
            assert_eq!(record["kind"], "record");
            assert_eq!(record["line"], first_line + i as u64);
            flagged += usize::from(record["flagged"].as_bool().unwrap());
        }
    };
    read(300, 1);
    // Growth.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    file.write_all(chunk(300..600).as_bytes()).unwrap();
    read(300, 301);
    // Rotation: renamed away, a new file under the same name.
    std::fs::rename(&log, dir.path().join("records.log.1")).unwrap();
    std::fs::write(&log, chunk(600..1000)).unwrap();
    read(400, 601);

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let summary = next_json(&rx);
    assert_eq!(summary["kind"], "summary");
    assert_eq!(summary["ended"], "stopped");
    assert_eq!(summary["counts"]["records"], 1000);
    assert_eq!(summary["counts"]["flagged_any"], flagged as u64);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");

    let alerts = std::fs::read_to_string(&alerts).unwrap();
    assert!(alerts.ends_with('\n'));
    let alerts: Vec<Value> = alerts
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(alerts.len(), flagged);
    assert!(flagged > 0);
    assert!(alerts.iter().all(|a| a["flagged"] == true));
}

/// Input that is plainly not what `--format` names stops at once with a hint, instead
/// of skipping every record; and however many records are skipped, stderr names only
/// the first 100 (the summary counts them all).
#[test]
fn a_wrong_format_is_refused_and_skip_messages_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    train(&model);
    let capture = dir.path().join("capture.pcap");
    let made = netanomaly(&[
        "demo-capture",
        "--seconds",
        "5",
        "--out",
        capture.to_str().unwrap(),
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    let run = netanomaly(&[
        "monitor",
        "--model",
        model.to_str().unwrap(),
        "--input",
        capture.to_str().unwrap(),
        "--format",
        "kdd",
    ]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(err.contains("holds a packet capture"), "{err}");
    assert!(err.contains("use --format pcap"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let bad = dir.path().join("bad.kdd");
    std::fs::write(&bad, "1,2,3\n".repeat(500)).unwrap();
    let run = netanomaly(&[
        "monitor",
        "--model",
        model.to_str().unwrap(),
        "--input",
        bad.to_str().unwrap(),
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    assert_eq!(err.matches("skipped a record").count(), 100, "{err}");
    assert!(err.contains("skipped 500 malformed records"), "{err}");
    let summary: Value =
        serde_json::from_str(common::stdout(&run).lines().last().unwrap()).unwrap();
    assert_eq!(summary["counts"]["skipped_bad_records"], 500);
}
