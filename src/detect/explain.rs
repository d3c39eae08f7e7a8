//! "Why was this row flagged": per-column evidence folded back onto original features.
//!
//! Both detectors produce one non-negative number per matrix column for a row: the
//! autoencoder its squared reconstruction error, the Isolation Forest how strongly each
//! column isolated the row ([`IsolationForest::path_features`]). One-hot columns of a
//! categorical feature are summed into that feature and named by the row's value
//! (`service=ecr_i`), so the explanation speaks of the 41 KDD features, not of columns.
//!
//! [`IsolationForest::path_features`]: crate::detect::iforest::IsolationForest::path_features

use serde::Serialize;

use crate::data::schema::{FEATURES, FeatureKind};
use crate::features::{Column, ColumnSource};

/// One original feature's share of a row's evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// `src_bytes`, or `service=ecr_i` for a categorical feature.
    pub feature: String,
    /// Fraction of the row's total evidence, in [0, 1]; all shares sum to 1.
    pub share: f64,
}

/// Folds per-column evidence into per-feature shares, largest first.
///
/// `encoded_row` names the categorical value (its hot column); `raw_categories`
/// (protocol_type, service, flag as read) names a value the encoder had not seen.
pub fn by_feature(
    evidence: &[f64],
    columns: &[Column],
    encoded_row: &[f32],
    raw_categories: Option<[Option<&str>; 3]>,
) -> Vec<Contribution> {
    let mut totals = [0.0f64; 41];
    let mut value_of: [Option<String>; 41] = std::array::from_fn(|_| None);
    for ((column, &e), &x) in columns.iter().zip(evidence).zip(encoded_row) {
        totals[column.feature] += e.max(0.0);
        if x >= 0.5 {
            let slot = [1, 2, 3].iter().position(|&f| f == column.feature);
            let raw = slot.and_then(|k| raw_categories.and_then(|r| r[k]));
            value_of[column.feature] = match &column.source {
                ColumnSource::Category(v) => Some(v.clone()),
                ColumnSource::Missing => Some("<missing>".to_owned()),
                ColumnSource::Unseen => {
                    Some(raw.map_or("<unseen>".to_owned(), |v| format!("{v} (unseen)")))
                }
                ColumnSource::Numeric { .. } => None,
            };
        }
    }
    let sum: f64 = totals.iter().sum();
    if !(sum > 0.0 && sum.is_finite()) {
        return Vec::new();
    }
    let mut out: Vec<Contribution> = totals
        .iter()
        .enumerate()
        .filter(|(_, t)| **t > 0.0)
        .map(|(f, &t)| {
            let name = FEATURES[f].name;
            let feature = match (&value_of[f], FEATURES[f].kind) {
                (Some(v), FeatureKind::Categorical) => format!("{name}={v}"),
                _ => name.to_owned(),
            };
            Contribution {
                feature,
                share: t / sum,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.share
            .total_cmp(&a.share)
            .then_with(|| a.feature.cmp(&b.feature))
    });
    out
}

/// `src_bytes (+62%), service=ecr_i (+21%), count (+9%)`: the top `k`.
pub fn summary(contributions: &[Contribution], k: usize) -> String {
    contributions
        .iter()
        .take(k)
        .map(|c| format!("{} (+{:.0}%)", c.feature, c.share * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Dataset;
    use crate::data::dataset::RawRecord;
    use crate::data::schema::{N_NUMERIC, numeric_slot};
    use crate::features::{Encoder, EncoderConfig};

    fn dataset() -> Dataset {
        let mut d = Dataset::new("t");
        for (service, bytes) in [
            ("http", 200.0),
            ("ecr_i", 1032.0),
            ("http", 300.0),
            ("gopher", 5.0),
        ] {
            let mut numeric = [0.0; N_NUMERIC];
            numeric[numeric_slot(4).unwrap()] = bytes;
            d.push(&RawRecord {
                numeric,
                categorical: [Some("tcp"), Some(service), Some("SF")],
                label: None,
                difficulty: None,
                line: 0,
            });
        }
        d
    }

    #[test]
    fn one_hot_columns_fold_into_their_feature_named_by_the_value() {
        let d = dataset();
        let enc = Encoder::fit(&d, &[0, 1, 2], &EncoderConfig::default()).unwrap();
        let (m, _) = enc.transform_all(&d);
        let columns = enc.columns();
        // Evidence: 3 on src_bytes, 0.5 on each of the 4 service columns (http, ecr_i,
        // <missing>, <unseen>), 0.25 on count.
        let evidence: Vec<f64> = columns
            .iter()
            .map(|c| match c.feature {
                4 => 3.0,
                2 => 0.5,
                22 => 0.25,
                _ => 0.0,
            })
            .collect();
        let services = 0.5 * columns.iter().filter(|c| c.feature == 2).count() as f64;
        assert_eq!(services, 2.0);
        let total = 3.0 + services + 0.25;
        let why = by_feature(&evidence, columns, m.row(1), None);
        assert_eq!(
            why[0],
            Contribution {
                feature: "src_bytes".into(),
                share: 3.0 / total
            }
        );
        assert_eq!(why[1].feature, "service=ecr_i");
        assert!((why[1].share - services / total).abs() < 1e-12);
        assert_eq!(why[2].feature, "count");
        assert!((why.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(
            summary(&why, 2),
            format!(
                "src_bytes (+{:.0}%), service=ecr_i (+{:.0}%)",
                300.0 / total,
                services * 100.0 / total
            )
        );
        // A service the encoder never saw is named from the raw record.
        let why = by_feature(
            &evidence,
            columns,
            m.row(3),
            Some([Some("tcp"), Some("gopher"), Some("SF")]),
        );
        assert!(
            why.iter().any(|c| c.feature == "service=gopher (unseen)"),
            "{why:?}"
        );
    }

    #[test]
    fn no_evidence_explains_nothing() {
        let d = dataset();
        let enc = Encoder::fit(&d, &[0, 1], &EncoderConfig::default()).unwrap();
        let (m, _) = enc.transform_all(&d);
        let zeros = vec![0.0; enc.n_columns()];
        assert!(by_feature(&zeros, enc.columns(), m.row(0), None).is_empty());
        let nan = vec![f64::NAN; enc.n_columns()];
        assert!(by_feature(&nan, enc.columns(), m.row(0), None).is_empty());
    }
}
