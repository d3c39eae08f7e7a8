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
use crate::features::{Column, ColumnSource, NormalRange};
use crate::format::{significant, thousands};

/// One original feature's share of a row's evidence, with the row's value and what
/// normal rows hold there.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contribution {
    /// `src_bytes`, or `service=ecr_i` for a categorical feature.
    pub feature: String,
    /// Fraction of the row's total evidence, in [0, 1]; all shares sum to 1.
    pub share: f64,
    /// The row's value of a numeric feature (`511`, `0.33`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What the training rows hold: `≤ 12`, `0`, `147–1,032` for a number, `2.1% of
    /// rows` for a category (`None` for a bundle made before this was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normal: Option<String>,
    /// The value lies outside that (a number outside the training rows' 1st–99th
    /// percentile, a category in under 1% of them): evidence a person can check.
    pub unusual: bool,
}

impl Contribution {
    /// `count 511 (normal ≤ 12)`, `service=ecr_i (normal 0.1% of rows)`, `src_bytes`.
    pub fn reading(&self) -> String {
        self.read_as("normal ")
    }

    /// [`reading`](Self::reading) for narrow places: `count 511 (≤ 12)`.
    pub fn short_reading(&self) -> String {
        self.read_as("")
    }

    fn read_as(&self, normal_word: &str) -> String {
        let mut text = String::with_capacity(64);
        self.write_reading(&mut text, normal_word);
        text
    }

    /// Appends the reading to `out` (no string of its own: the monitor writes three
    /// per flagged record and detector).
    fn write_reading(&self, out: &mut String, normal_word: &str) {
        out.push_str(&self.feature);
        if let Some(v) = &self.value {
            out.push(' ');
            out.push_str(v);
        }
        if let Some(n) = &self.normal {
            out.push_str(" (");
            out.push_str(normal_word);
            out.push_str(n);
            out.push(')');
        }
    }
}

/// Folds per-column evidence into per-feature shares, unusual values first, then by
/// share (ties by name).
///
/// `encoded_row` names the categorical value (its hot column) and gives the numeric
/// values; `raw_categories` (protocol_type, service, flag as read) names a value the
/// encoder had not seen.
pub fn by_feature(
    evidence: &[f64],
    columns: &[Column],
    encoded_row: &[f32],
    raw_categories: Option<[Option<&str>; 3]>,
) -> Vec<Contribution> {
    top_features(evidence, columns, encoded_row, raw_categories, usize::MAX)
}

/// The first `k` contributions of [`by_feature`], without naming (allocating) the
/// others: the folding is done on the stack and only the `k` kept are named.
/// `evidence` may be `f32` (the autoencoder's errors), widened exactly to `f64`.
///
/// A detector's evidence can sit on a feature whose value is typical: an autoencoder
/// that meets a strange row reconstructs other columns badly too (a teardrop row's
/// error lands on num_failed_logins at 0). So features whose value normal rows do not
/// hold come first, each with its share; typical ones follow.
pub fn top_features<E: Copy + Into<f64>>(
    evidence: &[E],
    columns: &[Column],
    encoded_row: &[f32],
    raw_categories: Option<[Option<&str>; 3]>,
    k: usize,
) -> Vec<Contribution> {
    let mut totals = [0.0f64; 41];
    // The last hot column of each feature names a categorical value; a numeric
    // feature's column gives its value.
    let mut hot: [Option<&Column>; 41] = [None; 41];
    let mut numeric: [Option<(&NormalRange, f32)>; 41] = [None; 41];
    for ((column, &e), &x) in columns.iter().zip(evidence).zip(encoded_row) {
        totals[column.feature] += e.into().max(0.0);
        match (&column.source, &column.normal) {
            (ColumnSource::Numeric { .. }, Some(range)) => {
                numeric[column.feature] = Some((range, x));
            }
            (ColumnSource::Numeric { .. }, None) => {}
            _ if x >= 0.5 => hot[column.feature] = Some(column),
            _ => {}
        }
    }
    let sum: f64 = totals.iter().sum();
    if !(sum > 0.0 && sum.is_finite()) || k == 0 {
        return Vec::new();
    }
    let mut candidates = [(0u8, false, 0.0f64); 41];
    let mut n = 0;
    for (f, &t) in totals.iter().enumerate() {
        if t > 0.0 {
            candidates[n] = (f as u8, is_unusual(numeric[f], hot[f]), t / sum);
            n += 1;
        }
    }
    let candidates = &mut candidates[..n];
    let name = |f: u8| -> Name<'_> {
        let f = f as usize;
        let raw = [1, 2, 3]
            .iter()
            .position(|&c| c == f)
            .and_then(|slot| raw_categories.and_then(|r| r[slot]));
        Name::of(f, hot[f].map(|c| &c.source), raw)
    };
    // Unusual first, shares descending, then names ascending: a total order (names are
    // unique), so an unstable selection and sort give the stable sort's order.
    let order = |a: &(u8, bool, f64), b: &(u8, bool, f64)| {
        b.1.cmp(&a.1)
            .then_with(|| b.2.total_cmp(&a.2))
            .then_with(|| name(a.0).cmp_text(&name(b.0)))
    };
    let k = k.min(n);
    if k < n {
        candidates.select_nth_unstable_by(k - 1, order);
    }
    let kept = &mut candidates[..k];
    kept.sort_unstable_by(order);
    kept.iter()
        .map(|&(f, unusual, share)| {
            let (value, normal) = reading(f as usize, numeric[f as usize], hot[f as usize]);
            Contribution {
                feature: name(f).to_text(),
                share,
                value,
                normal,
                unusual,
            }
        })
        .collect()
}

/// Whether a feature's value is one normal rows do not hold: its numeric value (as
/// encoded) against the range, or its hot category's share of the training rows.
fn is_unusual(numeric: Option<(&NormalRange, f32)>, hot: Option<&Column>) -> bool {
    match (numeric, hot.and_then(|c| c.normal.as_ref())) {
        (Some((range, x)), _) => range.is_unusual(x),
        // A hot one-hot column holds 1.
        (None, Some(category)) => category.is_unusual(1.0),
        (None, None) => false,
    }
}

/// A feature's value and normal range in words, as [`Contribution`] holds them.
fn reading(
    feature: usize,
    numeric: Option<(&NormalRange, f32)>,
    hot: Option<&Column>,
) -> (Option<String>, Option<String>) {
    let kind = FEATURES[feature].kind;
    match (numeric, hot.and_then(|c| c.normal)) {
        (Some((range, x)), _) => {
            let NormalRange::Numeric { low, high, .. } = *range else {
                return (None, None);
            };
            let value = range.raw(x).map(|v| number(v, kind));
            let normal = if number(low, kind) == number(high, kind) {
                number(low, kind)
            } else if low <= 0.0 {
                format!("≤ {}", number(high, kind))
            } else {
                format!("{}–{}", number(low, kind), number(high, kind))
            };
            (value, Some(normal))
        }
        (None, Some(NormalRange::Category { share })) => {
            let normal = if share == 0.0 {
                "never".to_owned()
            } else {
                format!("{}% of rows", significant(share * 100.0, 2))
            };
            (None, Some(normal))
        }
        _ => (None, None),
    }
}

/// A raw value as the data writes it: rates with two decimals, counts whole (a value
/// read back from the f32 matrix is a rounding error off its integer: 3,851,730, not
/// 3851729.8).
fn number(v: f64, kind: FeatureKind) -> String {
    match kind {
        FeatureKind::Rate => format!("{v:.2}"),
        _ if v.is_finite() && v.abs() < 1e15 => {
            let r = v.round();
            if r < 0.0 {
                format!("-{}", thousands(r.abs() as u64))
            } else {
                thousands(r as u64)
            }
        }
        _ => significant(v, 4),
    }
}

/// A feature's display name in pieces: `src_bytes`, `service` `=` `ecr_i`,
/// `service` `=` `gopher` ` (unseen)`.
struct Name<'a>([&'a str; 4]);

impl<'a> Name<'a> {
    fn of(feature: usize, hot: Option<&'a ColumnSource>, raw: Option<&'a str>) -> Self {
        let name = FEATURES[feature].name;
        let value: Option<[&'a str; 2]> = match hot {
            Some(ColumnSource::Category(v)) => Some([v.as_str(), ""]),
            Some(ColumnSource::Missing) => Some(["<missing>", ""]),
            Some(ColumnSource::Unseen) => Some(match raw {
                Some(v) => [v, " (unseen)"],
                None => ["<unseen>", ""],
            }),
            Some(ColumnSource::Numeric { .. }) | None => None,
        };
        match (value, FEATURES[feature].kind) {
            (Some([v, suffix]), FeatureKind::Categorical) => Name([name, "=", v, suffix]),
            _ => Name([name, "", "", ""]),
        }
    }

    /// Compares as the joined strings would (bytewise, as `String`'s `Ord`).
    fn cmp_text(&self, other: &Name<'_>) -> std::cmp::Ordering {
        let a = self.0.iter().flat_map(|p| p.bytes());
        a.cmp(other.0.iter().flat_map(|p| p.bytes()))
    }

    fn to_text(&self) -> String {
        self.0.concat()
    }
}

/// `count 511 (normal ≤ 12) 62%, service=ecr_i (normal 0.1% of rows) 21%`: the top
/// `k`, each with its value, what normal rows hold, and its share of the evidence.
pub fn summary(contributions: &[Contribution], k: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(64 * k.min(contributions.len()));
    for (i, c) in contributions.iter().take(k).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        c.write_reading(&mut out, "normal ");
        // Writing to a String cannot fail.
        let _ = write!(out, " {:.0}%", c.share * 100.0);
    }
    out
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
        // Row 1 (ecr_i, 1,032 bytes) is one of the three fitted rows: its src_bytes lies
        // in the normal range, and ecr_i is a third of the rows, so nothing is unusual
        // and shares decide.
        assert_eq!(
            why[0],
            Contribution {
                feature: "src_bytes".into(),
                share: 3.0 / total,
                value: Some("1,032".into()),
                normal: Some("200–1,032".into()),
                unusual: false,
            }
        );
        assert_eq!(why[1].feature, "service=ecr_i");
        assert_eq!(why[1].normal.as_deref(), Some("33% of rows"));
        assert!((why[1].share - services / total).abs() < 1e-12);
        assert_eq!(why[2].feature, "count");
        assert!((why.iter().map(|c| c.share).sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(
            summary(&why, 2),
            format!(
                "src_bytes 1,032 (normal 200–1,032) {:.0}%, service=ecr_i (normal 33% of rows) {:.0}%",
                300.0 / total,
                services * 100.0 / total
            )
        );
        // Row 3 (gopher, 5 bytes) was not fitted on: both values are unusual, so they
        // come before count, whatever the shares.
        let why = by_feature(&evidence, columns, m.row(3), None);
        assert!(
            why[0].unusual && why[1].unusual && !why[2].unusual,
            "{why:?}"
        );
        assert_eq!(why[0].reading(), "src_bytes 5 (normal 200–1,032)");
        assert_eq!(why[2].feature, "count");
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

    /// The fold and full sort `by_feature` had before `top_features`: every feature
    /// named, all sorted (unusual values first).
    fn reference(
        evidence: &[f64],
        columns: &[Column],
        encoded_row: &[f32],
        raw_categories: Option<[Option<&str>; 3]>,
    ) -> Vec<Contribution> {
        let mut totals = [0.0f64; 41];
        let mut value_of: [Option<String>; 41] = std::array::from_fn(|_| None);
        let mut hot: [Option<&Column>; 41] = [None; 41];
        let mut numeric: [Option<(&NormalRange, f32)>; 41] = [None; 41];
        for ((column, &e), &x) in columns.iter().zip(evidence).zip(encoded_row) {
            totals[column.feature] += e.max(0.0);
            if let (ColumnSource::Numeric { .. }, Some(range)) = (&column.source, &column.normal) {
                numeric[column.feature] = Some((range, x));
                continue;
            }
            if x >= 0.5 {
                hot[column.feature] = Some(column);
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
                let unusual = is_unusual(numeric[f], hot[f]);
                let (value, normal) = reading(f, numeric[f], hot[f]);
                Contribution {
                    feature,
                    share: t / sum,
                    value,
                    normal,
                    unusual,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.unusual
                .cmp(&a.unusual)
                .then_with(|| b.share.total_cmp(&a.share))
                .then_with(|| a.feature.cmp(&b.feature))
        });
        out
    }

    /// The top `k` are the full sort's first `k`, ties (equal shares, ordered by name)
    /// included, for every `k`, whatever the evidence; `f32` evidence gives what its
    /// widening to `f64` gives.
    #[test]
    fn top_k_is_the_full_sorts_first_k_ties_included() {
        use rand::{RngExt, SeedableRng};
        let mut d = dataset();
        // A missing service and an unseen flag, for the `<missing>` and raw names.
        d.push(&RawRecord {
            numeric: [1.0; N_NUMERIC],
            categorical: [Some("udp"), None, Some("S0")],
            label: None,
            difficulty: None,
            line: 0,
        });
        let enc = Encoder::fit(&d, &[0, 1, 2, 3], &EncoderConfig::default()).unwrap();
        let (m, _) = enc.transform_all(&d);
        let columns = enc.columns();
        let raws = [
            None,
            Some([Some("tcp"), Some("gopher"), Some("SF")]),
            Some([Some("icmp"), None, Some("REJ")]),
        ];
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        // Few distinct values, so that many features tie; some negative, some zero.
        let values = [0.0, 0.0, -1.0, 0.25, 0.5, 0.5, 1.0, 3.0];
        for trial in 0..400 {
            let row = trial % d.len();
            let raw = raws[trial % raws.len()];
            let evidence: Vec<f64> = (0..columns.len())
                .map(|_| {
                    if trial % 5 == 0 {
                        rng.random::<f64>()
                    } else {
                        values[rng.random_range(0..values.len())]
                    }
                })
                .collect();
            let full = reference(&evidence, columns, m.row(row), raw);
            assert_eq!(by_feature(&evidence, columns, m.row(row), raw), full);
            let narrow: Vec<f32> = evidence.iter().map(|&e| e as f32).collect();
            let widened: Vec<f64> = narrow.iter().map(|&e| f64::from(e)).collect();
            let full_narrow = reference(&widened, columns, m.row(row), raw);
            for k in 0..=full.len() + 1 {
                let top = top_features(&evidence, columns, m.row(row), raw, k);
                assert_eq!(top, full[..k.min(full.len())], "trial {trial}, k {k}");
                let top = top_features(&narrow, columns, m.row(row), raw, k);
                assert_eq!(top, full_narrow[..k.min(full_narrow.len())]);
            }
        }
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
