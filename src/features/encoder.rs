//! The fitted encoder: records → the dense matrix both detectors read.
//!
//! Fitted on training rows only. Categorical features become one-hot columns over the
//! training vocabulary plus two explicit columns, `<missing>` and `<unseen>`, so a value
//! never seen at fit time is visible to the detectors instead of crashing or silently
//! landing in another category's column. Heavy-tailed counts go through `log1p`, numeric
//! columns are standardised with the training mean and σ, and missing numeric values are
//! imputed with the training median. Everything needed to do this again at scoring time
//! is in the (serde) struct, so it travels inside every saved model.

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::matrix::Matrix;
use crate::data::dataset::{Dataset, MISSING};
use crate::data::schema::{self, FEATURES, FeatureKind, FeatureSet, N_NUMERIC};

/// Encoder format version, bumped whenever a fitted encoder would transform differently.
pub const ENCODER_VERSION: u32 = 1;

/// Choices made when fitting.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EncoderConfig {
    pub feature_set: FeatureSet,
    /// Drop numeric columns that are constant on the training rows. Off by default: a
    /// feature that never varies in normal traffic (wrong_fragment, say) is exactly one
    /// whose change should raise an alarm, so it is kept, centred and left unscaled.
    pub drop_constant: bool,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig {
            feature_set: FeatureSet::All,
            drop_constant: false,
        }
    }
}

/// Where a matrix column comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ColumnSource {
    /// A numeric feature, possibly `log1p`-transformed, standardised.
    Numeric { log1p: bool },
    /// One category of a categorical feature.
    Category(String),
    /// The categorical value was missing.
    Missing,
    /// The categorical value was not seen when fitting.
    Unseen,
}

/// One matrix column, traceable to its original feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// Display name: `src_bytes`, `service=http`, `service=<unseen>`.
    pub name: String,
    /// Index of the original feature in the 41-feature schema.
    pub feature: usize,
    pub source: ColumnSource,
    /// What the training rows hold there, for explanations (`None` in bundles made
    /// before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal: Option<NormalRange>,
}

/// What the training rows (the normal profile) hold in a column: for a numeric feature
/// its 1st–99th percentile in raw units, with what reads a raw value back from the
/// matrix; for a category, its share of the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum NormalRange {
    Numeric {
        low: f64,
        high: f64,
        log1p: bool,
        mean: f64,
        std: f64,
        /// `low` and `high` as the matrix holds them: a value is compared there,
        /// with no logarithm per row.
        encoded_low: f32,
        encoded_high: f32,
    },
    Category {
        share: f64,
    },
}

/// Lowest and highest percentiles of the training rows that count as normal.
const NORMAL_LOW: f64 = 0.01;
const NORMAL_HIGH: f64 = 0.99;

/// A category rarer than this among the training rows is unusual.
pub const RARE_CATEGORY: f64 = 0.01;

impl NormalRange {
    /// The raw value behind an encoded one (numeric columns).
    pub fn raw(&self, encoded: f32) -> Option<f64> {
        match *self {
            NormalRange::Numeric {
                log1p, mean, std, ..
            } => {
                let t = f64::from(encoded) * std + mean;
                Some(if log1p { t.exp_m1() } else { t })
            }
            NormalRange::Category { .. } => None,
        }
    }

    /// Whether a row's value lies outside what normal rows hold: a numeric value
    /// outside the range (compared encoded, as encoding is monotone), a rare category.
    pub fn is_unusual(&self, encoded: f32) -> bool {
        match *self {
            NormalRange::Numeric {
                encoded_low,
                encoded_high,
                ..
            } => encoded < encoded_low || encoded > encoded_high,
            NormalRange::Category { share } => share < RARE_CATEGORY,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct NumericEncoding {
    feature: usize,
    /// Slot among the dataset's 38 numeric values.
    slot: usize,
    log1p: bool,
    /// Training median of the raw value, used for missing values.
    median: f64,
    /// Mean and σ of the transformed value.
    mean: f64,
    std: f64,
    /// Constant on the training rows: centred, not divided (or dropped).
    constant: bool,
    /// Matrix column, or `None` when dropped.
    column: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct CategoricalEncoding {
    feature: usize,
    /// 0 protocol_type, 1 service, 2 flag.
    slot: usize,
    /// Training vocabulary, sorted.
    values: Vec<String>,
    /// Column of `values[0]`; then one per value, then `<missing>`, then `<unseen>`.
    first_column: usize,
}

impl CategoricalEncoding {
    fn missing_column(&self) -> usize {
        self.first_column + self.values.len()
    }

    fn unseen_column(&self) -> usize {
        self.first_column + self.values.len() + 1
    }
}

/// A fitted encoder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Encoder {
    pub version: u32,
    pub config: EncoderConfig,
    numeric: Vec<NumericEncoding>,
    categorical: Vec<CategoricalEncoding>,
    columns: Vec<Column>,
    /// Rows the encoder was fitted on.
    pub fitted_rows: usize,
}

/// Categorical values met at transform time that the encoder had not seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnseenValues {
    /// Rows with at least one unseen categorical value.
    pub rows: usize,
    /// `feature=value` and its row count, most frequent first.
    #[serde(serialize_with = "crate::json::counts")]
    pub values: Vec<(String, usize)>,
}

/// Fitting needs at least one row.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EncoderError {
    #[error("cannot fit the encoder on zero rows")]
    NoRows,
}

impl Encoder {
    /// Fits on `rows` of `dataset` (indices; only these rows are looked at).
    pub fn fit(
        dataset: &Dataset,
        rows: &[usize],
        config: &EncoderConfig,
    ) -> Result<Self, EncoderError> {
        if rows.is_empty() {
            return Err(EncoderError::NoRows);
        }
        let (stats, counts) = rayon::join(
            || numeric_stats(dataset, rows, config.feature_set),
            || category_counts(dataset, rows),
        );
        let ranges = numeric_ranges(dataset, rows, config.feature_set);
        let mut columns = Vec::new();
        let mut numeric = Vec::new();
        let mut categorical = Vec::new();
        for feature in config.feature_set.features() {
            let spec = FEATURES[feature];
            if spec.kind == FeatureKind::Categorical {
                let slot = categorical_slot(feature);
                let vocab = dataset.vocabulary(slot);
                // The values the rows hold, with their counts, sorted by name.
                let mut held: Vec<(&String, u64)> = vocab
                    .names()
                    .iter()
                    .zip(counts[slot].iter().copied())
                    .filter(|&(_, n)| n > 0)
                    .collect();
                held.sort();
                let first_column = columns.len();
                let share = |n: u64| n as f64 / rows.len() as f64;
                for &(v, n) in &held {
                    columns.push(Column {
                        name: format!("{}={v}", spec.name),
                        feature,
                        source: ColumnSource::Category(v.clone()),
                        normal: Some(NormalRange::Category { share: share(n) }),
                    });
                }
                let values: Vec<String> = held.into_iter().map(|(v, _)| v.clone()).collect();
                let missing = rows.len() as u64 - counts[slot].iter().sum::<u64>();
                columns.push(Column {
                    name: format!("{}=<missing>", spec.name),
                    feature,
                    source: ColumnSource::Missing,
                    normal: Some(NormalRange::Category {
                        share: share(missing),
                    }),
                });
                columns.push(Column {
                    name: format!("{}=<unseen>", spec.name),
                    feature,
                    source: ColumnSource::Unseen,
                    normal: Some(NormalRange::Category { share: 0.0 }),
                });
                categorical.push(CategoricalEncoding {
                    feature,
                    slot,
                    values,
                    first_column,
                });
            } else {
                let slot = schema::numeric_slot(feature).unwrap_or_default();
                let log1p = spec.kind == FeatureKind::HeavyCount;
                let (median, mean, std) = stats[slot];
                // Relative guard: a column whose spread is rounding noise is constant.
                let constant = std.is_nan() || std <= 1e-9 * mean.abs().max(1.0);
                let column = if constant && config.drop_constant {
                    None
                } else {
                    columns.push(Column {
                        name: spec.name.to_owned(),
                        feature,
                        source: ColumnSource::Numeric { log1p },
                        normal: ranges[slot].map(|(low, high)| {
                            let std = if constant { 1.0 } else { std };
                            NormalRange::Numeric {
                                low,
                                high,
                                log1p,
                                mean,
                                std,
                                encoded_low: encode(log1p, mean, std, low),
                                encoded_high: encode(log1p, mean, std, high),
                            }
                        }),
                    });
                    Some(columns.len() - 1)
                };
                numeric.push(NumericEncoding {
                    feature,
                    slot,
                    log1p,
                    median,
                    mean,
                    std: if constant { 1.0 } else { std },
                    constant,
                    column,
                });
            }
        }
        Ok(Encoder {
            version: ENCODER_VERSION,
            config: config.clone(),
            numeric,
            categorical,
            columns,
            fitted_rows: rows.len(),
        })
    }

    /// Checks what `transform` relies on in an encoder read from a file: each encoding's
    /// slot is its feature's, every column it writes exists and belongs to that feature,
    /// and each column is written by exactly one encoding. A damaged `encoder.json` is
    /// then refused with a reason instead of indexing out of bounds while scoring.
    pub fn check(&self) -> Result<(), String> {
        if self.version != ENCODER_VERSION {
            return Err(format!(
                "encoder version {} (this program writes {ENCODER_VERSION})",
                self.version
            ));
        }
        let n = self.columns.len();
        let mut owner: Vec<Option<usize>> = vec![None; n];
        let mut claim = |col: usize, feature: usize| -> Result<(), String> {
            let name = FEATURES[feature].name;
            match owner.get_mut(col) {
                None => Err(format!(
                    "{name} writes column {col}, but there are only {n}"
                )),
                Some(Some(_)) => Err(format!("column {col} is written twice")),
                Some(_) if self.columns[col].feature != feature => Err(format!(
                    "column {col} ({}) is written by {name}",
                    self.columns[col].name
                )),
                Some(free) => {
                    *free = Some(feature);
                    Ok(())
                }
            }
        };
        let mut seen = [false; schema::N_FEATURES];
        let mut once = |feature: usize| -> Result<(), String> {
            match seen.get_mut(feature) {
                None => Err(format!("feature index {feature} is out of range")),
                Some(true) => Err(format!("{} is encoded twice", FEATURES[feature].name)),
                Some(s) => {
                    *s = true;
                    Ok(())
                }
            }
        };
        for e in &self.numeric {
            once(e.feature)?;
            let name = FEATURES[e.feature].name;
            if schema::numeric_slot(e.feature) != Some(e.slot) {
                return Err(format!("{name} is read from the wrong slot {}", e.slot));
            }
            if !(e.std.is_finite() && e.std > 0.0) {
                return Err(format!("{name} has scale {} (expected > 0)", e.std));
            }
            if let Some(col) = e.column {
                claim(col, e.feature)?;
            }
        }
        for e in &self.categorical {
            once(e.feature)?;
            let name = FEATURES[e.feature].name;
            if schema::CATEGORICAL.get(e.slot) != Some(&e.feature) {
                return Err(format!("{name} is read from the wrong slot {}", e.slot));
            }
            if !e.values.windows(2).all(|w| w[0] < w[1]) {
                return Err(format!("{name}'s values are not sorted and distinct"));
            }
            // One column per value, then <missing> and <unseen>.
            let end = e
                .first_column
                .saturating_add(e.values.len())
                .saturating_add(2);
            if end > n {
                return Err(format!(
                    "{name} writes up to column {end}, but there are only {n}"
                ));
            }
            for col in e.first_column..end {
                claim(col, e.feature)?;
            }
        }
        if let Some(col) = owner.iter().position(Option::is_none) {
            return Err(format!("column {col} is written by no feature"));
        }
        Ok(())
    }

    /// The matrix columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Names of numeric features dropped as constant.
    pub fn dropped_features(&self) -> Vec<&'static str> {
        self.numeric
            .iter()
            .filter(|n| n.column.is_none())
            .map(|n| FEATURES[n.feature].name)
            .collect()
    }

    /// Names of numeric features constant on the training rows (kept or dropped).
    pub fn constant_features(&self) -> Vec<&'static str> {
        self.numeric
            .iter()
            .filter(|n| n.constant)
            .map(|n| FEATURES[n.feature].name)
            .collect()
    }

    /// Encodes `rows` of `dataset` (in that order) into a matrix, in parallel.
    pub fn transform(&self, dataset: &Dataset, rows: &[usize]) -> (Matrix, UnseenValues) {
        // Dataset category code → encoder column, computed once per call.
        let lookups: Vec<Vec<usize>> = self
            .categorical
            .iter()
            .map(|c| {
                dataset
                    .vocabulary(c.slot)
                    .names()
                    .iter()
                    .map(|name| match c.values.binary_search(name) {
                        Ok(i) => c.first_column + i,
                        Err(_) => c.unseen_column(),
                    })
                    .collect()
            })
            .collect();
        let cols = self.columns.len();
        let mut data = vec![0f32; rows.len() * cols];
        const CHUNK: usize = 4096;
        data.par_chunks_mut(CHUNK * cols.max(1))
            .zip(rows.par_chunks(CHUNK))
            .for_each(|(out, chunk)| {
                let mut last = vec![None; self.numeric.len()];
                for (dst, &r) in out.chunks_exact_mut(cols.max(1)).zip(chunk) {
                    self.encode_row(dataset, r, &lookups, &mut last, dst);
                }
            });
        let unseen = self.unseen_values(dataset, rows, &lookups);
        (Matrix::new(rows.len(), cols, data), unseen)
    }

    /// Encodes every row of `dataset`.
    pub fn transform_all(&self, dataset: &Dataset) -> (Matrix, UnseenValues) {
        let rows: Vec<usize> = (0..dataset.len()).collect();
        self.transform(dataset, &rows)
    }

    /// Encodes one row. `last` holds each numeric column's previous raw value (as bits)
    /// and its encoding: consecutive rows very often repeat a value (runs of smurf or
    /// neptune records), and then the logarithm and division are skipped.
    fn encode_row(
        &self,
        dataset: &Dataset,
        row: usize,
        lookups: &[Vec<usize>],
        last: &mut [Option<(u32, f32)>],
        dst: &mut [f32],
    ) {
        let values = dataset.numeric(row);
        for (n, last) in self.numeric.iter().zip(last) {
            let Some(col) = n.column else { continue };
            let bits = values[n.slot].to_bits();
            dst[col] = match *last {
                Some((seen, encoded)) if seen == bits => encoded,
                _ => {
                    let raw = f64::from(values[n.slot]);
                    let raw = if raw.is_nan() { n.median } else { raw };
                    let encoded = encode(n.log1p, n.mean, n.std, raw);
                    *last = Some((bits, encoded));
                    encoded
                }
            };
        }
        for (c, lookup) in self.categorical.iter().zip(lookups) {
            let code = dataset.category_code(row, c.slot);
            let col = if code == MISSING {
                c.missing_column()
            } else {
                lookup[code as usize]
            };
            dst[col] = 1.0;
        }
    }

    fn unseen_values(
        &self,
        dataset: &Dataset,
        rows: &[usize],
        lookups: &[Vec<usize>],
    ) -> UnseenValues {
        let mut report = UnseenValues::default();
        let mut counts: Vec<Vec<usize>> = lookups.iter().map(|l| vec![0; l.len()]).collect();
        let any_unseen = self
            .categorical
            .iter()
            .zip(lookups)
            .any(|(c, l)| l.contains(&c.unseen_column()));
        if !any_unseen {
            return report;
        }
        for &r in rows {
            let mut row_unseen = false;
            for ((c, lookup), count) in self.categorical.iter().zip(lookups).zip(&mut counts) {
                let code = dataset.category_code(r, c.slot);
                if code != MISSING && lookup[code as usize] == c.unseen_column() {
                    count[code as usize] += 1;
                    row_unseen = true;
                }
            }
            report.rows += usize::from(row_unseen);
        }
        for (c, count) in self.categorical.iter().zip(&counts) {
            let vocab = dataset.vocabulary(c.slot);
            for (code, &n) in count.iter().enumerate() {
                if n > 0 {
                    let value = vocab.name(code as u32).unwrap_or("?");
                    report
                        .values
                        .push((format!("{}={value}", FEATURES[c.feature].name), n));
                }
            }
        }
        report
            .values
            .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        report
    }

    /// Per matrix column: `Some((mean, std))` when the column holds
    /// `(log1p(x) − mean) / std`, so a detector can work on the original scale.
    pub fn log_columns(&self) -> Vec<Option<(f64, f64)>> {
        let mut out = vec![None; self.columns.len()];
        for n in &self.numeric {
            if let (Some(col), true) = (n.column, n.log1p) {
                out[col] = Some((n.mean, n.std));
            }
        }
        out
    }

    /// Imputation value (training median) of a numeric feature, for reports.
    pub fn median(&self, feature: usize) -> Option<f64> {
        self.numeric
            .iter()
            .find(|n| n.feature == feature)
            .map(|n| n.median)
    }
}

/// Per numeric slot: the median of the present raw values, then mean and σ of the
/// transformed values with missing ones imputed by that median.
///
/// The figures are exactly those of gathering each column and summing it in row order
/// (the sums are order-sensitive in their last bits, so they stay sequential), but
/// without copying the table: the slots are split into groups walked in parallel, each
/// group reading the rows in order. The first pass counts each column's distinct values
/// (a KDD column has a few thousand at most, and long runs of one value), which gives the
/// median by counting and computes `log1p` once per distinct value instead of per cell;
/// the second pass sums the squared deviations.
fn numeric_stats(dataset: &Dataset, rows: &[usize], set: FeatureSet) -> Vec<(f64, f64, f64)> {
    let slots: Vec<usize> = (0..N_NUMERIC)
        .filter(|&slot| set.includes(schema::numeric_feature(slot)))
        .collect();
    // Contiguous slots per group: a group then reads only its part of each row.
    let groups = rayon::current_num_threads().clamp(1, slots.len().max(1));
    let per_group = slots.len().div_ceil(groups).max(1);
    let mut columns: Vec<Vec<ColumnCounts>> = slots
        .chunks(per_group)
        .map(|group| group.iter().map(|&slot| ColumnCounts::new(slot)).collect())
        .collect();
    let n = rows.len() as f64;
    let Some(&first) = rows.first() else {
        return vec![(0.0, 0.0, 0.0); N_NUMERIC];
    };
    columns.par_iter_mut().for_each(|group| {
        let mut runs: Vec<Run> = group
            .iter_mut()
            .map(|column| {
                let v = dataset.numeric(first)[column.slot];
                let i = column.position(v);
                Run::new(v, i, column.transformed[i])
            })
            .collect();
        for &r in rows {
            let values = dataset.numeric(r);
            for (run, column) in runs.iter_mut().zip(group.iter_mut()) {
                let v = values[column.slot];
                if v.to_bits() != run.bits {
                    column.counts[run.index] += run.length;
                    let i = column.position(v);
                    *run = Run {
                        acc: run.acc,
                        ..Run::new(v, i, column.transformed[i])
                    };
                }
                run.length += 1;
                run.acc += run.t;
            }
        }
        for (run, column) in runs.iter_mut().zip(group.iter_mut()) {
            column.counts[run.index] += run.length;
            column.sum = run.acc;
            column.impute_and_sum_missing(dataset, rows);
            let v = dataset.numeric(first)[column.slot];
            *run = Run::new(v, 0, column.transformed(v));
        }
        let means: Vec<f64> = group.iter().map(|c| c.sum / n).collect();
        for &r in rows {
            let values = dataset.numeric(r);
            for ((run, column), mean) in runs.iter_mut().zip(group.iter_mut()).zip(&means) {
                let v = values[column.slot];
                if v.to_bits() != run.bits {
                    run.bits = v.to_bits();
                    run.t = f64::from(column.transformed(v));
                }
                run.acc += (run.t - mean).powi(2);
            }
        }
        for ((run, column), mean) in runs.iter().zip(group.iter_mut()).zip(means) {
            column.result = (column.median, mean, (run.acc / n).sqrt());
        }
    });
    let mut stats = vec![(0.0, 0.0, 0.0); N_NUMERIC];
    for column in columns.into_iter().flatten() {
        stats[column.slot] = column.result;
    }
    stats
}

/// A column's current run of one value, walking the rows: within a run the count, the
/// transform and the hash lookup are all known already.
struct Run {
    bits: u32,
    /// Index of the value in its [`ColumnCounts`].
    index: usize,
    /// Rows in the run not yet added to the counts.
    length: u64,
    /// The value's transform.
    t: f64,
    /// The sum being accumulated in row order, starting like `Iterator::sum` (−0.0).
    acc: f64,
}

impl Run {
    fn new(v: f32, index: usize, t: f32) -> Self {
        Run {
            bits: v.to_bits(),
            index,
            length: 0,
            t: f64::from(t),
            acc: -0.0,
        }
    }
}

/// One numeric column's distinct values, counted in row order.
struct ColumnCounts {
    slot: usize,
    log1p: bool,
    /// Raw value bits → index into the vectors below.
    index: FxHashMap<u32, u32>,
    values: Vec<f32>,
    counts: Vec<u64>,
    /// `transform(value) as f32`; for a missing value, of the median once it is known.
    transformed: Vec<f32>,
    /// Σ transformed in row order. Not valid when a value is missing, as their
    /// imputation is known only at the end.
    sum: f64,
    any_missing: bool,
    median: f64,
    result: (f64, f64, f64),
}

impl ColumnCounts {
    fn new(slot: usize) -> Self {
        ColumnCounts {
            slot,
            log1p: FEATURES[schema::numeric_feature(slot)].kind == FeatureKind::HeavyCount,
            index: FxHashMap::default(),
            values: Vec::new(),
            counts: Vec::new(),
            transformed: Vec::new(),
            sum: -0.0,
            any_missing: false,
            median: 0.0,
            result: (0.0, 0.0, 0.0),
        }
    }

    fn position(&mut self, v: f32) -> usize {
        let bits = v.to_bits();
        let next = self.values.len() as u32;
        let i = *self.index.entry(bits).or_insert(next);
        if i == next {
            self.values.push(v);
            self.counts.push(0);
            self.transformed.push(if v.is_nan() {
                self.any_missing = true;
                f32::NAN
            } else {
                transform(self.log1p, f64::from(v)) as f32
            });
        }
        i as usize
    }

    fn transformed(&mut self, v: f32) -> f32 {
        if !v.is_nan() && (!self.log1p || v == 0.0) {
            return v; // `transform(_, v) as f32` is `v` itself
        }
        let i = self.position(v);
        self.transformed[i]
    }

    /// Finds the median (the mean of the two middles for an even count, as selecting
    /// them from the gathered column did), imputes
    /// it for missing values and, if there were any, redoes the sum with them.
    fn impute_and_sum_missing(&mut self, dataset: &Dataset, rows: &[usize]) {
        let mut order: Vec<usize> = (0..self.values.len())
            .filter(|&i| !self.values[i].is_nan())
            .collect();
        order.sort_unstable_by(|&a, &b| self.values[a].total_cmp(&self.values[b]));
        let present: u64 = order.iter().map(|&i| self.counts[i]).sum();
        // The value at 0-based position `k` of the sorted present values.
        let at = |k: u64| {
            let mut seen = 0;
            for &i in &order {
                seen += self.counts[i];
                if seen > k {
                    return self.values[i];
                }
            }
            unreachable!("k < present")
        };
        self.median = if present == 0 {
            0.0
        } else if present % 2 == 1 {
            f64::from(at(present / 2))
        } else {
            f64::from((at(present / 2 - 1) + at(present / 2)) / 2.0)
        };
        if self.any_missing {
            let imputed = transform(self.log1p, self.median) as f32;
            for (t, v) in self.transformed.iter_mut().zip(&self.values) {
                if v.is_nan() {
                    *t = imputed;
                }
            }
            self.sum = -0.0;
            for &r in rows {
                let t = self.transformed(dataset.numeric(r)[self.slot]);
                self.sum += f64::from(t);
            }
        }
    }
}

/// The straightforward form of [`numeric_stats`]: gather each column, select the median,
/// sum in row order. The tests hold the fast form to it, bit for bit.
#[cfg(test)]
fn numeric_stats_reference(
    dataset: &Dataset,
    rows: &[usize],
    set: FeatureSet,
) -> Vec<(f64, f64, f64)> {
    let mut columns: Vec<Vec<f32>> = (0..N_NUMERIC)
        .map(|_| Vec::with_capacity(rows.len()))
        .collect();
    for &r in rows {
        for (column, &v) in columns.iter_mut().zip(dataset.numeric(r)) {
            column.push(v);
        }
    }
    columns
        .into_par_iter()
        .enumerate()
        .map(|(slot, mut values)| {
            let feature = schema::numeric_feature(slot);
            if !set.includes(feature) {
                return (0.0, 0.0, 0.0);
            }
            let log1p = FEATURES[feature].kind == FeatureKind::HeavyCount;
            let mut present: Vec<f32> = values.iter().copied().filter(|v| !v.is_nan()).collect();
            let median = median(&mut present).map_or(0.0, f64::from);
            let n = values.len() as f64;
            for v in &mut values {
                let raw = if v.is_nan() { median } else { f64::from(*v) };
                *v = transform(log1p, raw) as f32;
            }
            let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = values
                .iter()
                .map(|&v| (f64::from(v) - mean).powi(2))
                .sum::<f64>()
                / n;
            (median, mean, var.sqrt())
        })
        .collect()
}

/// Per categorical feature, how many of `rows` hold each code of the dataset's
/// vocabulary.
fn category_counts(dataset: &Dataset, rows: &[usize]) -> [Vec<u64>; 3] {
    let mut counts: [Vec<u64>; 3] = std::array::from_fn(|k| vec![0; dataset.vocabulary(k).len()]);
    for &r in rows {
        for (k, counts) in counts.iter_mut().enumerate() {
            let code = dataset.category_code(r, k);
            if code != MISSING {
                counts[code as usize] += 1;
            }
        }
    }
    counts
}

/// Per numeric slot, the 1st and 99th percentiles of the present values of `rows`
/// (`None` for a slot outside the feature set or with no value).
fn numeric_ranges(dataset: &Dataset, rows: &[usize], set: FeatureSet) -> Vec<Option<(f64, f64)>> {
    (0..N_NUMERIC)
        .into_par_iter()
        .map(|slot| {
            if !set.includes(schema::numeric_feature(slot)) {
                return None;
            }
            let mut values: Vec<f32> = rows
                .iter()
                .map(|&r| dataset.numeric(r)[slot])
                .filter(|v| !v.is_nan())
                .collect();
            if values.is_empty() {
                return None;
            }
            let last = values.len() - 1;
            let mut at = |q: f64| {
                let k = ((last as f64) * q).round() as usize;
                *values.select_nth_unstable_by(k, f32::total_cmp).1
            };
            let (low, high) = (at(NORMAL_LOW), at(NORMAL_HIGH));
            Some((f64::from(low), f64::from(high)))
        })
        .collect()
}

/// A raw numeric value as the matrix holds it. Clamped: a huge raw value over a small σ
/// must not become inf. NaN (a column missing in every training row has no median or
/// mean) is the centre, as for a constant column.
fn encode(log1p: bool, mean: f64, std: f64, raw: f64) -> f32 {
    let z = (transform(log1p, raw) - mean) / std;
    if z.is_nan() {
        0.0
    } else {
        z.clamp(-f64::from(f32::MAX), f64::from(f32::MAX)) as f32
    }
}

/// `log1p` where asked; zero (most counts) skips the logarithm.
fn transform(log1p: bool, v: f64) -> f64 {
    if log1p && v != 0.0 { v.ln_1p() } else { v }
}

fn categorical_slot(feature: usize) -> usize {
    schema::CATEGORICAL
        .iter()
        .position(|&c| c == feature)
        .unwrap_or_default()
}

/// Median (lower middle for even counts is avoided: the mean of the two middles).
#[cfg(test)]
fn median(values: &mut [f32]) -> Option<f32> {
    if values.is_empty() {
        return None;
    }
    let mid = values.len() / 2;
    let (_, &mut upper, _) = values.select_nth_unstable_by(mid, f32::total_cmp);
    if values.len() % 2 == 1 {
        Some(upper)
    } else {
        let lower = values[..mid]
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        Some((lower + upper) / 2.0)
    }
}

const _: () = assert!(N_NUMERIC == 38);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::dataset::RawRecord;

    fn record<'a>(
        proto: Option<&'a str>,
        service: &'a str,
        src_bytes: f64,
        wrong_fragment: f64,
    ) -> RawRecord<'a> {
        let mut numeric = [0.0; N_NUMERIC];
        numeric[schema::numeric_slot(4).unwrap()] = src_bytes;
        numeric[schema::numeric_slot(7).unwrap()] = wrong_fragment;
        numeric[schema::numeric_slot(22).unwrap()] = 3.0; // count
        RawRecord {
            numeric,
            categorical: [proto, Some(service), Some("SF")],
            label: Some("normal."),
            difficulty: None,
            line: 0,
        }
    }

    fn small() -> Dataset {
        let mut d = Dataset::new("test");
        d.push(&record(Some("tcp"), "http", 100.0, 0.0));
        d.push(&record(Some("tcp"), "http", 300.0, 0.0));
        d.push(&record(Some("udp"), "domain_u", 50.0, 0.0));
        d.push(&record(Some("icmp"), "ecr_i", f64::NAN, 0.0));
        // Not used for fitting: an unseen service and a missing protocol.
        d.push(&record(None, "gopher", 1e6, 3.0));
        d
    }

    #[test]
    fn one_hot_with_unseen_and_missing_columns() {
        let d = small();
        let enc = Encoder::fit(&d, &[0, 1, 2, 3], &EncoderConfig::default()).unwrap();
        let names: Vec<&str> = enc.columns().iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains(&"protocol_type=tcp"));
        assert!(names.contains(&"service=<unseen>"));
        assert!(
            !names.contains(&"service=gopher"),
            "fitted on training rows only"
        );
        let (m, unseen) = enc.transform(&d, &[0, 4]);
        let col = |n: &str| names.iter().position(|c| *c == n).unwrap();
        assert_eq!(m.get(0, col("service=http")), 1.0);
        assert_eq!(m.get(0, col("service=<unseen>")), 0.0);
        assert_eq!(m.get(1, col("service=<unseen>")), 1.0);
        assert_eq!(m.get(1, col("protocol_type=<missing>")), 1.0);
        // Exactly one hot column per categorical feature per row.
        for r in 0..2 {
            for feature in schema::CATEGORICAL {
                let hot: f32 = enc
                    .columns()
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.feature == feature)
                    .map(|(i, _)| m.get(r, i))
                    .sum();
                assert_eq!(hot, 1.0);
            }
        }
        assert_eq!(unseen.rows, 1);
        assert_eq!(unseen.values, vec![("service=gopher".to_owned(), 1)]);
    }

    #[test]
    fn check_refuses_a_damaged_encoder() {
        let d = small();
        for drop_constant in [false, true] {
            let config = EncoderConfig {
                drop_constant,
                ..EncoderConfig::default()
            };
            let enc = Encoder::fit(&d, &[0, 1, 2, 3], &config).unwrap();
            assert_eq!(enc.check(), Ok(()), "a fitted encoder passes");
        }
        let enc = Encoder::fit(&d, &[0, 1, 2, 3], &EncoderConfig::default()).unwrap();
        let damaged = |f: &dyn Fn(&mut Encoder)| {
            let mut e = enc.clone();
            f(&mut e);
            e.check().unwrap_err()
        };
        // What the fuzzer found: a numeric slot past the 38 values a record holds.
        let err = damaged(&|e| e.numeric[3].slot = 600);
        assert!(err.contains("wrong slot 600"), "{err}");
        let err = damaged(&|e| e.numeric[0].slot = 5);
        assert!(
            err.contains("duration is read from the wrong slot 5"),
            "{err}"
        );
        let err = damaged(&|e| e.categorical[1].slot = 7);
        assert!(err.contains("service"), "{err}");
        let err = damaged(&|e| e.categorical[1].first_column = usize::MAX - 1);
        assert!(err.contains("only"), "{err}");
        let err = damaged(&|e| e.numeric[2].column = Some(10_000));
        assert!(err.contains("only"), "{err}");
        let err = damaged(&|e| e.numeric[2].column = e.numeric[1].column);
        assert!(err.contains("written twice"), "{err}");
        let err = damaged(&|e| e.numeric[2].column = None);
        assert!(err.contains("written by no feature"), "{err}");
        let err = damaged(&|e| e.categorical[1].values.reverse());
        assert!(err.contains("not sorted"), "{err}");
        let err = damaged(&|e| e.numeric[4].std = 0.0);
        assert!(err.contains("scale 0"), "{err}");
        let err = damaged(&|e| e.numeric[4].feature = 99);
        assert!(err.contains("out of range"), "{err}");
        let err = damaged(&|e| e.columns.truncate(3));
        assert!(err.contains("only 3"), "{err}");
    }

    #[test]
    fn log_scaling_imputation_and_constant_guard() {
        let d = small();
        let enc = Encoder::fit(&d, &[0, 1, 2, 3], &EncoderConfig::default()).unwrap();
        // Median of the three present src_bytes (50, 100, 300) imputes the missing one.
        assert_eq!(enc.median(4), Some(100.0));
        let (m, _) = enc.transform(&d, &[0, 1, 2, 3, 4]);
        let src = enc
            .columns()
            .iter()
            .position(|c| c.name == "src_bytes")
            .unwrap();
        let train: Vec<f32> = (0..4).map(|r| m.get(r, src)).collect();
        let mean: f32 = train.iter().sum::<f32>() / 4.0;
        let var: f32 = train.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4.0;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "standardised: {mean} {var}"
        );
        // log1p before scaling: the gap between rows is a ratio of logs, not of bytes.
        let gap = |a: f64, b: f64| a.ln_1p() - b.ln_1p();
        let ratio = (m.get(1, src) - m.get(0, src)) / (m.get(0, src) - m.get(2, src));
        assert!((ratio as f64 - gap(300.0, 100.0) / gap(100.0, 50.0)).abs() < 1e-4);
        // wrong_fragment is constant on training rows: kept, centred, unscaled.
        assert!(enc.constant_features().contains(&"wrong_fragment"));
        assert!(!enc.constant_features().contains(&"src_bytes"));
        let wf = enc
            .columns()
            .iter()
            .position(|c| c.name == "wrong_fragment")
            .unwrap();
        assert_eq!(m.get(0, wf), 0.0);
        assert_eq!(m.get(4, wf), 3.0);
        assert!(m.as_slice().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn drop_constant_removes_columns_and_header_set_excludes_content() {
        let d = small();
        let config = EncoderConfig {
            feature_set: FeatureSet::Header,
            drop_constant: true,
        };
        let enc = Encoder::fit(&d, &[0, 1, 2, 3], &config).unwrap();
        assert!(enc.dropped_features().contains(&"wrong_fragment"));
        assert!(enc.columns().iter().all(|c| !FEATURES[c.feature].content));
        assert!(enc.columns().iter().any(|c| c.name == "src_bytes"));
        let (m, _) = enc.transform(&d, &[4]);
        assert_eq!(m.cols(), enc.n_columns());
    }

    #[test]
    fn serde_round_trip_gives_identical_matrix() {
        let d = small();
        let enc = Encoder::fit(&d, &[0, 1, 2, 3], &EncoderConfig::default()).unwrap();
        let json = serde_json::to_string(&enc).unwrap();
        let back: Encoder = serde_json::from_str(&json).unwrap();
        assert_eq!(back, enc);
        assert_eq!(back.transform_all(&d).0, enc.transform_all(&d).0);
    }

    /// Columns of every shape: constant, few values in long runs, many distinct values,
    /// missing values (some columns entirely), signed zeros, huge and fractional values.
    fn varied(rows: usize, seed: u64) -> Dataset {
        let mut state = seed;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state >> 33
        };
        let mut d = Dataset::new("varied");
        let mut run = [0.0f64; N_NUMERIC];
        for _ in 0..rows {
            let mut numeric = [0.0; N_NUMERIC];
            for (slot, v) in numeric.iter_mut().enumerate() {
                let r = next();
                *v = match slot % 9 {
                    0 => 0.0,
                    1 => (r % 3) as f64,
                    2 => {
                        if r % 10 == 0 {
                            run[slot] = (r % 1000) as f64;
                        }
                        run[slot]
                    }
                    3 => (r % 100_000) as f64 * 1.5,
                    4 => (r % 101) as f64 / 100.0,
                    5 if r % 7 == 0 => f64::NAN,
                    5 => (r % 50) as f64,
                    6 => f64::NAN,
                    7 => [0.0, -0.0, 1e30, 3e38, 0.1][(r % 5) as usize],
                    _ => (r % 2) as f64 * 16_777_217.0 + (r % 11) as f64,
                };
            }
            d.push(&RawRecord {
                numeric,
                categorical: [Some("tcp"), Some("http"), Some("SF")],
                label: Some("normal."),
                difficulty: None,
                line: 0,
            });
        }
        d
    }

    fn bits(stats: &[(f64, f64, f64)]) -> Vec<[u64; 3]> {
        stats
            .iter()
            .map(|&(a, b, c)| [a.to_bits(), b.to_bits(), c.to_bits()])
            .collect()
    }

    #[test]
    fn column_statistics_equal_the_gathered_ones_bit_for_bit() {
        for (n, seed) in [(1, 1), (2, 2), (3, 3), (10, 4), (1001, 5), (20_000, 6)] {
            let d = varied(n, seed);
            let all: Vec<usize> = (0..n).collect();
            let mixed: Vec<usize> = (0..n).rev().step_by(3).chain(0..n / 2).collect();
            for rows in [&all, &mixed] {
                for set in [FeatureSet::All, FeatureSet::Header] {
                    assert_eq!(
                        bits(&numeric_stats(&d, rows, set)),
                        bits(&numeric_stats_reference(&d, rows, set)),
                        "{n} rows, {set:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn fit_on_no_rows_is_an_error() {
        assert_eq!(
            Encoder::fit(&small(), &[], &EncoderConfig::default()),
            Err(EncoderError::NoRows)
        );
    }
}
