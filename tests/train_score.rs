//! `train` → bundle → `score` → CSV, through the real binary.

mod common;

use std::path::Path;

use common::{NSL20, SCORED_COLUMNS, netanomaly, read_csv, real_data, stderr};

use common::DEMO;

fn train(out: &Path, extra: &[&str]) {
    common::train(DEMO, out, extra);
}

/// Runs `score --model MODEL --data DATA --out OUT EXTRA…`.
fn score(model: &Path, data: &str, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "score",
        "--model",
        model.to_str().unwrap(),
        "--data",
        data,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    netanomaly(&args)
}

/// Column index by name.
fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// Checks a why cell: `feature [value] (normal …) N%, …`, each a KDD feature (or
/// `feature=value` for a categorical one) with what normal rows hold there, shares
/// summing to at most 100%.
fn assert_why_names_real_features(why: &str) {
    let names: Vec<&str> = netanomaly::data::schema::FEATURES
        .iter()
        .map(|f| f.name)
        .collect();
    let mut shares = Vec::new();
    for item in why.split(", ") {
        let (reading, share) = item
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("malformed why item {item:?} in {why:?}"));
        let feature = reading.split(' ').next().unwrap();
        let name = feature.split('=').next().unwrap();
        assert!(names.contains(&name), "{name} is not a KDD feature ({why})");
        if feature.contains('=') {
            assert!(
                ["protocol_type", "service", "flag"].contains(&name),
                "{feature}"
            );
        }
        // A model trained here records what normal rows hold for every feature.
        assert!(
            reading.contains(" (normal "),
            "{item:?} lacks its normal range"
        );
        shares.push(
            share
                .strip_suffix('%')
                .unwrap_or_else(|| panic!("{item:?}: no share"))
                .parse::<f64>()
                .unwrap(),
        );
    }
    // Rounded to whole percent, so allow a little over 100.
    assert!(shares.iter().sum::<f64>() <= 101.5, "{why}");
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
        "autoencoder.bpk",
        "fused.json",
        "SHA256SUMS",
    ] {
        assert!(model.join(file).is_file(), "{file}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    let threshold = |d: &str| {
        manifest["detectors"][d]["threshold"]["value"]
            .as_f64()
            .unwrap()
    };
    let out = dir.path().join("flagged.csv");
    let run = score(&model, DEMO, &out, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, rows) = read_csv(&out);
    assert_eq!(&header[..3], ["row", "line", "duration"]);
    assert_eq!(header[42], "dst_host_srv_rerror_rate");
    assert_eq!(&header[43..], SCORED_COLUMNS);
    // The announced count is the count written, and every written row is flagged by a
    // detector that says why; the other detector's why is empty.
    let announced = format!("wrote {} rows to", rows.len());
    assert!(stderr(&run).contains(&announced), "{}", stderr(&run));
    assert!(!rows.is_empty());
    let mut flags = [0usize; 3];
    for row in &rows {
        let mut any = false;
        for (k, d) in ["iforest", "autoencoder", "fused"].into_iter().enumerate() {
            let flagged = &row[col(&header, &format!("{d}_flag"))] == "1";
            let why = &row[col(&header, &format!("{d}_why"))];
            let score: f64 = row[col(&header, &format!("{d}_score"))].parse().unwrap();
            assert!(score > 0.0 && score.is_finite());
            if d == "iforest" {
                assert!(score < 1.0);
            }
            // The flag is the saved threshold applied (away from rounding).
            if (score - threshold(d)).abs() > 1e-5 {
                assert_eq!(flagged, score > threshold(d), "{d} {score}");
            }
            if flagged {
                assert_why_names_real_features(why);
            } else {
                assert!(why.is_empty(), "{why}");
            }
            any |= flagged;
            flags[k] += usize::from(flagged);
        }
        assert!(any, "row {} is written but not flagged", &row[0]);
    }
    assert!(flags.iter().all(|&n| n > 0), "{flags:?}");
    // The demo traffic's attacks dominate what is flagged.
    let family = col(&header, "family");
    let attacks = rows.iter().filter(|r| &r[family] != "normal").count();
    assert!(attacks * 2 > rows.len(), "{attacks} of {}", rows.len());

    // --all writes every row; the flagged ones agree with the first run.
    let all = dir.path().join("all.csv");
    let run = score(&model, DEMO, &all, &["--all"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (_, every) = read_csv(&all);
    assert_eq!(every.len(), 1000);
    let flagged: Vec<_> = every
        .iter()
        .filter(|r| {
            ["iforest", "autoencoder", "fused"]
                .iter()
                .any(|d| r[col(&header, &format!("{d}_flag"))] == *"1")
        })
        .map(|r| r[0].to_owned())
        .collect();
    assert_eq!(
        flagged,
        rows.iter().map(|r| r[0].to_owned()).collect::<Vec<_>>()
    );

    // No silent overwrite.
    let again = score(&model, DEMO, &out, &[]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists; pass --force"));
}

#[test]
fn the_reference_preset_trains_alone_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(
        &model,
        &[
            "--detectors",
            "autoencoder",
            "--preset",
            "reference",
            "--epochs",
            "3",
            "--ae-threshold",
            "mean-std:2",
        ],
    );
    assert!(!model.join("iforest.json").exists());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    let ae = &manifest["detectors"]["autoencoder"];
    assert_eq!(
        ae["details"]["architecture"]["hidden"],
        serde_json::json!([14, 7, 7])
    );
    assert_eq!(ae["details"]["architecture"]["output_activation"], "relu");
    assert_eq!(ae["details"]["training"]["config"]["batch_size"], 32);
    assert_eq!(ae["details"]["training"]["epochs_run"], 3);
    assert_eq!(ae["threshold"]["rule"]["rule"], "mean-std");
    // mean + 2σ of the errors of the calibration rows, held out of the fit.
    let summary = &ae["calibration_scores"];
    let expected = summary["mean"].as_f64().unwrap() + 2.0 * summary["std"].as_f64().unwrap();
    let value = ae["threshold"]["value"].as_f64().unwrap();
    assert!(
        (value - expected).abs() < 1e-9 * expected.max(1.0),
        "{value} vs {expected}"
    );

    let out = dir.path().join("all.csv");
    let run = score(&model, DEMO, &out, &["--all"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, rows) = read_csv(&out);
    assert_eq!(
        &header[45..],
        ["autoencoder_score", "autoencoder_flag", "autoencoder_why"]
    );
    assert_eq!(rows.len(), 1000);
}

#[test]
fn unseen_values_and_unlabelled_data_score() {
    let Some(nsl) = real_data(NSL20) else { return };
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(&model, &["--feature-set", "header"]);
    let out = dir.path().join("f.csv");
    let run = score(&model, nsl.to_str().unwrap(), &out, &[]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("rows carry categorical values the model never saw"),
        "{}",
        stderr(&run)
    );
    let (header, rows) = read_csv(&out);
    for d in ["iforest_why", "autoencoder_why"] {
        assert!(
            rows.iter().any(|r| r[col(&header, d)].contains("(unseen)")),
            "unseen values are named in the {d} column"
        );
    }
}

#[test]
fn damaged_bundles_and_wrong_protocols_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    train(&model, &[]);
    let forest = std::fs::read(model.join("iforest.json")).unwrap();
    std::fs::write(model.join("iforest.json"), &forest[..forest.len() - 100]).unwrap();
    let out = dir.path().join("f.csv");
    let run = score(&model, DEMO, &out, &[]);
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
    let run = score(&m2, unlabelled.to_str().unwrap(), &out, &["--all"]);
    assert!(run.status.success(), "{}", stderr(&run));
    let (header, rows) = read_csv(&out);
    assert_eq!(rows.len(), 1000);
    assert!(!header.contains(&"label".to_owned()));
}

/// A reader that stops early (`… --out - | head`) ends the writer quietly, as `cat`
/// does: exit status 0 and no error on stderr.
#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    train(&model, &["--epochs", "2"]);
    let model = model.to_str().unwrap().to_owned();
    let commands: [&[&str]; 3] = [
        &["demo-data", "--out", "-"],
        &["demo-capture", "--out", "-"],
        &[
            "score", "--model", &model, "--data", DEMO, "--out", "-", "--all",
        ],
    ];
    for args in commands {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_netanomaly"))
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 10];
        child.stdout.take().unwrap().read_exact(&mut head).unwrap();
        // The pipe is closed here, long before the output's end.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {err}");
        assert!(!err.contains("error"), "{args:?}: {err}");
    }
}
