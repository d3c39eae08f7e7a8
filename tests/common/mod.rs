//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub const KDD10: &str = "kddcup.data_10_percent.gz";
pub const NSL20: &str = "KDDTrain+_20Percent.txt.gz";

/// The folder holding the real data files: `$NETANOMALY_DATA`, or `../shared/data`
/// beside the repository.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("NETANOMALY_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"),
    }
}

/// Path of a real data file, or `None` (with a clear note) when it is absent. With
/// `NETANOMALY_REQUIRE_DATA=1` (as in CI) an absent file fails the test instead.
pub fn real_data(name: &str) -> Option<PathBuf> {
    let path = data_dir().join(name);
    if path.is_file() {
        return Some(path);
    }
    let message = format!(
        "real data file {} is absent: set NETANOMALY_DATA to the folder holding {name}",
        path.display()
    );
    if std::env::var("NETANOMALY_REQUIRE_DATA").is_ok_and(|v| v == "1") {
        panic!("{message} (required because NETANOMALY_REQUIRE_DATA=1)");
    }
    eprintln!("SKIPPED: {message}");
    None
}

/// Runs the real binary.
pub fn netanomaly(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netanomaly"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("the netanomaly binary runs")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The columns of a scored CSV after `row`, `line` and the 41 features, for labelled
/// data scored by both detectors (README: `train` and `score`).
pub const SCORED_COLUMNS: [&str; 8] = [
    "label",
    "family",
    "iforest_score",
    "iforest_flag",
    "iforest_why",
    "autoencoder_score",
    "autoencoder_flag",
    "autoencoder_why",
];

/// A CSV file's header and records.
pub fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<csv::StringRecord>) {
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
