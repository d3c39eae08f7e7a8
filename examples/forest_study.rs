//! Issue 14, item 4, the forest's side: how the Isolation Forest reads the categorical
//! features and how many rows each tree sees. Splits and encodes as `evaluate` does
//! (profile protocol, calibrated thresholds), then fits on the same rows:
//!
//! - `iforest`: the default, one-hot columns for protocol_type, service and flag, ψ = 2048;
//! - `iforest ψ N`: N rows per tree;
//! - `iforest, category shares`: each categorical feature as one column holding the
//!   share of the training rows with that value (rare and unseen values near 0), so a
//!   random split on it separates rare values from common ones instead of one value
//!   from the rest;
//! - `iforest, numeric only`: without the categorical features;
//! - `iforest, mixed scales`: each split on a `log1p` column drawn on the original
//!   scale or on the log scale, half the time each (`SplitScale::Mixed`), so mid-range
//!   values of a heavy-tailed column (a `back` row's src_bytes 54,540) can be cut off
//!   as well as floods.
//!
//! Figures at the 99th percentile of the calibration scores; nothing is tuned on the
//! test rows.
//!
//! `cargo run --release --example forest_study -- [--seeds 0,1,2] [--runs kdd,nsl,nsl-kdd,kdd-nsl]`

#[path = "common/study.rs"]
mod study;

use netanomaly::data::schema::{CATEGORICAL, FEATURES};
use netanomaly::detect::iforest::{IsolationForest, IsolationForestConfig, MaxSamples, SplitScale};
use netanomaly::eval::threshold::ThresholdRule;
use netanomaly::features::{ColumnSource, Encoder, Matrix, NormalRange};
use study::{Options, Table};

/// How the forest's matrix is made from the encoder's.
#[derive(Clone, Copy, PartialEq)]
enum Categories {
    OneHot,
    Shares,
    Dropped,
    /// One-hot, and the log1p columns split on either scale.
    MixedScales,
}

/// The encoder's matrix with its categorical one-hot groups replaced: by one column of
/// the hot value's training share, or by nothing. Returns the split scale of each column.
fn recode(encoder: &Encoder, m: &Matrix, how: Categories) -> (Matrix, Vec<SplitScale>) {
    let scales = SplitScale::for_encoder(encoder);
    if how == Categories::OneHot {
        return (m.clone(), scales);
    }
    if how == Categories::MixedScales {
        let mixed = scales
            .into_iter()
            .map(|s| match s {
                SplitScale::Log1p { mean, std } => SplitScale::Mixed { mean, std },
                other => other,
            })
            .collect();
        return (m.clone(), mixed);
    }
    let columns = encoder.columns();
    let numeric: Vec<usize> = (0..columns.len())
        .filter(|&c| matches!(columns[c].source, ColumnSource::Numeric { .. }))
        .collect();
    // Per categorical feature, its columns and the share of each.
    let groups: Vec<Vec<(usize, f32)>> = if how == Categories::Shares {
        CATEGORICAL
            .iter()
            .map(|&f| {
                (0..columns.len())
                    .filter(|&c| columns[c].feature == f)
                    .map(|c| {
                        let share = match columns[c].normal {
                            Some(NormalRange::Category { share }) => share as f32,
                            _ => 0.0,
                        };
                        (c, share)
                    })
                    .collect()
            })
            .collect()
    } else {
        Vec::new()
    };
    let cols = numeric.len() + groups.len();
    let mut data = Vec::with_capacity(m.rows() * cols);
    for r in 0..m.rows() {
        let row = m.row(r);
        data.extend(numeric.iter().map(|&c| row[c]));
        for group in &groups {
            let hot = group.iter().find(|&&(c, _)| row[c] > 0.5);
            data.push(hot.map_or(0.0, |&(_, share)| share));
        }
    }
    let mut kept: Vec<SplitScale> = numeric.iter().map(|&c| scales[c]).collect();
    kept.extend(groups.iter().map(|_| SplitScale::Linear));
    (Matrix::new(m.rows(), cols, data), kept)
}

fn main() {
    let options = Options::parse(&["kdd", "nsl", "nsl-kdd", "kdd-nsl"]);
    let names: Vec<&str> = CATEGORICAL.iter().map(|&f| FEATURES[f].name).collect();
    eprintln!("categorical features recoded: {}", names.join(", "));
    let mut table = Table::start("variant");
    study::each_split(&options, |s| {
        let (run, seed, base, encoder) = (s.run.as_str(), s.seed, &s.base, &s.encoder);
        let (fit, calibration, test_matrix, truth) = (&s.fit, &s.calibration, &s.test, &s.truth);
        let variants: Vec<(String, Categories, usize)> = vec![
            ("iforest".into(), Categories::OneHot, 2048),
            ("iforest ψ 256".into(), Categories::OneHot, 256),
            ("iforest ψ 1024".into(), Categories::OneHot, 1024),
            ("iforest ψ 4096".into(), Categories::OneHot, 4096),
            ("iforest, category shares".into(), Categories::Shares, 2048),
            ("iforest, numeric only".into(), Categories::Dropped, 2048),
            (
                "iforest, mixed scales".into(),
                Categories::MixedScales,
                2048,
            ),
        ];
        for (name, how, psi) in variants {
            let (fit_m, scales) = recode(encoder, fit, how);
            let config = IsolationForestConfig {
                seed,
                max_samples: MaxSamples::Count(psi),
                ..base.iforest.clone()
            };
            let forest = IsolationForest::fit_with_scales(&fit_m, &config, &scales).unwrap();
            let score = |m: &Matrix| forest.score(&recode(encoder, m, how).0);
            let figures = study::figures(
                &score(test_matrix),
                &score(calibration),
                truth,
                ThresholdRule::Percentile { percentile: 99.0 },
            );
            table.row(run, seed, name, figures);
        }
    });
    table.print_medians("variant");
}
