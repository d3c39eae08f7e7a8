//! Where each detector's ROC AUC goes on the 10% file's profile protocol (seed 0): the
//! AUC lost is the share of (attack, normal) pairs a normal row wins, and this sums it
//! by attack label, largest first.
//!
//! `cargo run --release --example auc_loss` (data from `NETANOMALY_DATA`, default
//! `../shared/data`).

use std::path::PathBuf;

use netanomaly::data::{ReadOptions, read_paths};
use netanomaly::eval::evaluate::{EvaluateConfig, evaluate};
use netanomaly::model::pipeline::{Protocol, Purpose, RowSplit};
fn main() {
    let dir = std::env::var_os("NETANOMALY_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    let path = dir.join("kddcup.data_10_percent.gz");
    let (data, _) = read_paths(&[path], &ReadOptions::default()).unwrap();
    let report = evaluate(&data, None, &EvaluateConfig::default()).unwrap();
    let split = RowSplit::new(&data, Protocol::Profile, Purpose::Evaluate, 0).unwrap();
    for name in ["iforest", "autoencoder", "fused"] {
        let d = &report.detectors[name];
        let mut normals: Vec<f64> = split
            .held_out
            .iter()
            .zip(&d.test_scores)
            .filter(|(r, _)| data.is_attack(**r) == Some(false))
            .map(|(_, s)| *s)
            .collect();
        normals.sort_by(f64::total_cmp);
        let n = normals.len() as f64;
        let p = split
            .held_out
            .iter()
            .filter(|r| data.is_attack(**r) == Some(true))
            .count() as f64;
        let mut by: std::collections::BTreeMap<String, f64> = Default::default();
        for (r, s) in split.held_out.iter().zip(&d.test_scores) {
            if data.is_attack(*r) != Some(true) {
                continue;
            }
            let above = n - normals.partition_point(|x| x < s) as f64;
            let label = data.label(*r).unwrap_or("?").to_string();
            *by.entry(label).or_default() += above / n / p;
        }
        let mut v: Vec<_> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        let total: f64 = v.iter().map(|x| x.1).sum();
        println!(
            "{name}: AUC {:.4} loss {:.4}: {:?}",
            d.roc_auc.unwrap(),
            total,
            v.iter()
                .take(6)
                .map(|(l, x)| format!("{l} {x:.4}"))
                .collect::<Vec<_>>()
        );
    }
}
