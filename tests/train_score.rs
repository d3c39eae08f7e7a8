//! `train` → bundle → `score` → CSV, through the real binary.

mod common;

use std::path::Path;

use common::{NSL20, netanomaly, real_data, stderr};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo-1000.csv");

fn train(out: &Path, extra: &[&str]) {
    let mut args = vec!["train", "--data", DEMO, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    let run = netanomaly(&args);
    assert!(run.status.success(), "{}", stderr(&run));
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader.records().map(Result::unwrap).collect();
    (header, rows)
}

#[test]
fn train_then_score_writes_the_documented_csv() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(&model, &[]);
    for file in [
        "manifest.json",
        "encoder.json",
        "iforest.json",
        "SHA256SUMS",
    ] {
        assert!(model.join(file).is_file(), "{file}");
    }
    let out = dir.path().join("flagged.csv");
    let run = netanomaly(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        DEMO,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, rows) = read_csv(&out);
    assert_eq!(&header[..3], ["row", "line", "duration"]);
    assert_eq!(header[42], "dst_host_srv_rerror_rate");
    assert_eq!(
        &header[43..],
        [
            "label",
            "family",
            "iforest_score",
            "iforest_flag",
            "iforest_why"
        ]
    );
    // The announced count is the count written, and every written row is flagged.
    let announced = format!("wrote {} rows to", rows.len());
    assert!(stderr(&run).contains(&announced), "{}", stderr(&run));
    assert!(!rows.is_empty());
    for row in &rows {
        assert_eq!(&row[46], "1");
        assert!(!row[47].is_empty(), "a flagged row says why");
        let score: f64 = row[45].parse().unwrap();
        assert!(score > 0.0 && score < 1.0);
    }
    // The demo traffic's attacks dominate what is flagged.
    let attacks = rows.iter().filter(|r| &r[44] != "normal").count();
    assert!(attacks * 2 > rows.len(), "{attacks} of {}", rows.len());

    // --all writes every row; the flagged ones agree with the first run.
    let all = dir.path().join("all.csv");
    let run = netanomaly(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        DEMO,
        "--out",
        all.to_str().unwrap(),
        "--all",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (_, every) = read_csv(&all);
    assert_eq!(every.len(), 1000);
    let flagged: Vec<_> = every
        .iter()
        .filter(|r| &r[46] == "1")
        .map(|r| r[0].to_owned())
        .collect();
    assert_eq!(
        flagged,
        rows.iter().map(|r| r[0].to_owned()).collect::<Vec<_>>()
    );

    // No silent overwrite.
    let again = netanomaly(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        DEMO,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists; pass --force"));
}

#[test]
fn unseen_values_and_unlabelled_data_score() {
    let Some(nsl) = real_data(NSL20) else { return };
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(&model, &["--feature-set", "header"]);
    let out = dir.path().join("f.csv");
    let run = netanomaly(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        nsl.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("rows carry categorical values the model never saw"),
        "{}",
        stderr(&run)
    );
    let (_, rows) = read_csv(&out);
    assert!(
        rows.iter().any(|r| r[47].contains("(unseen)")),
        "unseen values are named in the why column"
    );
}

#[test]
fn damaged_bundles_and_wrong_protocols_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(&model, &[]);
    let forest = std::fs::read(model.join("iforest.json")).unwrap();
    std::fs::write(model.join("iforest.json"), &forest[..forest.len() - 100]).unwrap();
    let out = dir.path().join("f.csv");
    let run = netanomaly(&[
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        DEMO,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        stderr(&run).contains("iforest.json is truncated or was modified (checksum mismatch)"),
        "{}",
        stderr(&run)
    );
    assert!(!out.exists(), "no output on failure");

    let unlabelled = dir.path().join("u.csv");
    let text: String = std::fs::read_to_string(DEMO)
        .unwrap()
        .lines()
        .map(|l| format!("{}\n", l.rsplit_once(',').unwrap().0))
        .collect();
    std::fs::write(&unlabelled, text).unwrap();
    let m2 = dir.path().join("m2");
    let run = netanomaly(&[
        "train",
        "--data",
        unlabelled.to_str().unwrap(),
        "--out",
        m2.to_str().unwrap(),
    ]);
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains(
        "has no labels, so it has no normal rows to profile; use --protocol unsupervised"
    ));
    let run = netanomaly(&[
        "train",
        "--data",
        unlabelled.to_str().unwrap(),
        "--out",
        m2.to_str().unwrap(),
        "--protocol",
        "unsupervised",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    // Unlabelled data scores too; the CSV then has no label columns.
    let run = netanomaly(&[
        "score",
        "--model",
        m2.to_str().unwrap(),
        "--data",
        unlabelled.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--all",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, rows) = read_csv(&out);
    assert_eq!(rows.len(), 1000);
    assert!(!header.contains(&"label".to_owned()));
}
