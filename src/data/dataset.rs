//! An in-memory table of KDD connection records.
//!
//! Numeric features are kept as `f32` in one row-major buffer (half the memory of `f64`,
//! and what the matrix is made of anyway). Integers beyond `f32`'s exact range (2^24,
//! i.e. byte counts over 16 MB) are also kept exactly in a small side table, so a record
//! written back out is the record that was read. Categorical values are interned per
//! feature. A missing value is
//! `NaN` for a numeric feature and [`MISSING`] for a categorical one: the encoder decides
//! what to do with it (impute, by default).

use rustc_hash::FxHashMap;

use super::schema::{self, CATEGORICAL, Family, N_NUMERIC};
use crate::kdd::ConnId;

/// Code of a missing categorical value.
pub const MISSING: u32 = u32::MAX;

/// Interned strings of one categorical column (or of the labels).
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    names: Vec<String>,
    index: FxHashMap<String, u32>,
}

impl Vocabulary {
    pub fn intern(&mut self, value: &str) -> u32 {
        if let Some(&code) = self.index.get(value) {
            return code;
        }
        let code = self.names.len() as u32;
        self.names.push(value.to_owned());
        self.index.insert(value.to_owned(), code);
        code
    }

    pub fn name(&self, code: u32) -> Option<&str> {
        self.names.get(code as usize).map(String::as_str)
    }

    pub fn code(&self, value: &str) -> Option<u32> {
        self.index.get(value).copied()
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// One record as produced by a reader or a generator, borrowed for pushing.
#[derive(Debug, Clone)]
pub struct RawRecord<'a> {
    /// The 38 numeric features in schema order (`NaN` = missing).
    pub numeric: [f64; N_NUMERIC],
    /// protocol_type, service, flag (`None` = missing).
    pub categorical: [Option<&'a str>; 3],
    /// The label as written in the file (normalised on push).
    pub label: Option<&'a str>,
    /// NSL-KDD's difficulty level.
    pub difficulty: Option<u8>,
    /// 1-based line number in the source (0 when generated).
    pub line: u64,
}

/// Rows parsed from one stretch of a file, with category and label codes local to it, so
/// that stretches can be parsed in parallel and then appended in file order
/// ([`Dataset::append`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Block {
    /// 38 values per row, as in [`Dataset`].
    pub numeric: Vec<f32>,
    /// Exact values of integers `f32` cannot hold, keyed by `row * 38 + slot` within the
    /// block, ascending.
    pub exact: Vec<(u64, f64)>,
    /// Codes into `vocab` ([`MISSING`] = missing).
    pub categorical: Vec<[u32; 3]>,
    /// Values of each categorical feature, in order of first appearance in the block.
    pub vocab: [Vec<String>; 3],
    /// Labels as written, in order of first appearance, and each row's code into them.
    pub labels: Option<(Vec<String>, Vec<u32>)>,
    pub difficulty: Option<Vec<u8>>,
    /// Source line of each row, counted from the block's first line (1).
    pub lines: Vec<u64>,
}

impl Block {
    /// Empties the block, keeping its allocations: fresh memory costs a page fault per
    /// 4 kB on first touch, a real share of reading time.
    pub fn clear(&mut self) {
        self.numeric.clear();
        self.exact.clear();
        self.categorical.clear();
        self.vocab.iter_mut().for_each(Vec::clear);
        if let Some((names, codes)) = &mut self.labels {
            names.clear();
            codes.clear();
        }
        if let Some(d) = &mut self.difficulty {
            d.clear();
        }
        self.lines.clear();
    }
}

/// The records of one file (or of the demo generator).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// Where the rows came from, for messages ("kddcup.data_10_percent.gz").
    pub source: String,
    numeric: Vec<f32>,
    /// Exact values of integers `f32` cannot hold, keyed by `row * 38 + slot`, ascending.
    exact: Vec<(u64, f64)>,
    categorical: Vec<[u32; 3]>,
    vocab: [Vocabulary; 3],
    labels: Option<(Vocabulary, Vec<u32>)>,
    /// Raw label as written (e.g. `smurf.`) → code of its normalised form, so the
    /// normalisation runs once per distinct label, not once per row.
    raw_labels: FxHashMap<String, u32>,
    label_families: Vec<Family>,
    difficulty: Option<Vec<u8>>,
    lines: Vec<u64>,
    /// Each row's connection, for records read from connection logs (else empty).
    conns: Vec<ConnId>,
}

impl Dataset {
    pub fn new(source: impl Into<String>) -> Self {
        Dataset {
            source: source.into(),
            ..Default::default()
        }
    }

    /// Appends a record. The first record decides whether the dataset is labelled; the
    /// reader guarantees every later record agrees.
    pub fn push(&mut self, record: &RawRecord<'_>) {
        let n = self.len();
        for (slot, &v) in record.numeric.iter().enumerate() {
            let narrow = v as f32;
            if f64::from(narrow) != v && v.fract() == 0.0 {
                self.exact.push(((n * N_NUMERIC + slot) as u64, v));
            }
            self.numeric.push(narrow);
        }
        let mut codes = [MISSING; 3];
        for (k, value) in record.categorical.iter().enumerate() {
            if let Some(v) = value {
                codes[k] = self.vocab[k].intern(v);
            }
        }
        self.categorical.push(codes);
        if let Some(label) = record.label {
            let code = self.label_code(label);
            let (_, codes) = self
                .labels
                .get_or_insert_with(|| (Vocabulary::default(), Vec::new()));
            debug_assert_eq!(codes.len(), n, "labelled and unlabelled records mixed");
            codes.push(code);
        }
        if let Some(d) = record.difficulty {
            self.difficulty.get_or_insert_with(Vec::new).push(d);
        }
        self.lines.push(record.line);
    }

    /// Appends a record with its connection's identity. A dataset holds identities for
    /// all its rows or for none.
    pub fn push_conn(&mut self, record: &RawRecord<'_>, conn: ConnId) {
        debug_assert_eq!(
            self.conns.len(),
            self.len(),
            "rows with and without identity"
        );
        self.push(record);
        self.conns.push(conn);
    }

    /// The connection behind a row, when the source names it.
    pub fn conn(&self, row: usize) -> Option<&ConnId> {
        self.conns.get(row)
    }

    pub fn has_conns(&self) -> bool {
        !self.conns.is_empty()
    }

    /// Code of the normalised form of a label as written, interning it when new.
    fn label_code(&mut self, raw: &str) -> u32 {
        if let Some(&code) = self.raw_labels.get(raw) {
            return code;
        }
        let (vocab, _) = self
            .labels
            .get_or_insert_with(|| (Vocabulary::default(), Vec::new()));
        let normalised = schema::normalize_label(raw);
        let code = vocab.intern(&normalised);
        if code as usize == self.label_families.len() {
            self.label_families.push(schema::family_of(&normalised));
        }
        self.raw_labels.insert(raw.to_owned(), code);
        code
    }

    /// Appends the rows of a block whose first line is line `first_line + 1` of the
    /// source. Appending blocks in file order gives exactly the dataset that pushing their
    /// records one by one would: local codes are interned in order of first appearance,
    /// so every global code is assigned in the same order.
    ///
    /// The block is left empty, its allocations kept for reuse.
    pub(crate) fn append(&mut self, block: &mut Block, first_line: u64) {
        let n = self.len();
        debug_assert_eq!(block.numeric.len(), block.categorical.len() * N_NUMERIC);
        let key_base = (n * N_NUMERIC) as u64;
        self.exact
            .extend(block.exact.iter().map(|&(key, v)| (key + key_base, v)));
        self.numeric.extend_from_slice(&block.numeric);
        let maps: [Vec<u32>; 3] = std::array::from_fn(|k| {
            block.vocab[k]
                .iter()
                .map(|v| self.vocab[k].intern(v))
                .collect()
        });
        let remap = |k: usize, code: u32| {
            if code == MISSING {
                MISSING
            } else {
                maps[k][code as usize]
            }
        };
        self.categorical.extend(
            block
                .categorical
                .iter()
                .map(|row| [remap(0, row[0]), remap(1, row[1]), remap(2, row[2])]),
        );
        if let Some((raw, local)) = &block.labels
            && !local.is_empty()
        {
            let map: Vec<u32> = raw.iter().map(|r| self.label_code(r)).collect();
            let (_, codes) = self
                .labels
                .get_or_insert_with(|| (Vocabulary::default(), Vec::new()));
            debug_assert_eq!(codes.len(), n, "labelled and unlabelled records mixed");
            codes.extend(local.iter().map(|&c| map[c as usize]));
        }
        if let Some(d) = &block.difficulty
            && !d.is_empty()
        {
            self.difficulty
                .get_or_insert_with(Vec::new)
                .extend_from_slice(d);
        }
        self.lines
            .extend(block.lines.iter().map(|&l| first_line + l));
        block.clear();
    }

    pub fn len(&self) -> usize {
        self.categorical.len()
    }

    pub fn is_empty(&self) -> bool {
        self.categorical.is_empty()
    }

    /// The 38 numeric features of a row as `f32` (`NaN` = missing): what encoding needs.
    pub fn numeric(&self, row: usize) -> &[f32] {
        &self.numeric[row * N_NUMERIC..(row + 1) * N_NUMERIC]
    }

    /// Exact value of numeric slot `slot` (0..38) of a row.
    pub fn numeric_exact(&self, row: usize, slot: usize) -> f64 {
        let key = (row * N_NUMERIC + slot) as u64;
        match self.exact.binary_search_by_key(&key, |&(k, _)| k) {
            Ok(i) => self.exact[i].1,
            Err(_) => f64::from(self.numeric[row * N_NUMERIC + slot]),
        }
    }

    /// Exact value of raw feature `feature` (0..41) of a row, or `None` for categorical
    /// features.
    pub fn numeric_feature(&self, row: usize, feature: usize) -> Option<f64> {
        schema::numeric_slot(feature).map(|s| self.numeric_exact(row, s))
    }

    /// Category code of categorical `k` (0 protocol_type, 1 service, 2 flag) of a row.
    pub fn category_code(&self, row: usize, k: usize) -> u32 {
        self.categorical[row][k]
    }

    /// Category value of categorical `k` of a row (`None` = missing).
    pub fn category(&self, row: usize, k: usize) -> Option<&str> {
        self.vocab[k].name(self.categorical[row][k])
    }

    /// The vocabulary of categorical `k` as seen in this dataset.
    pub fn vocabulary(&self, k: usize) -> &Vocabulary {
        &self.vocab[k]
    }

    pub fn has_labels(&self) -> bool {
        self.labels.is_some()
    }

    pub fn has_difficulty(&self) -> bool {
        self.difficulty.is_some()
    }

    /// Normalised label of a row.
    pub fn label(&self, row: usize) -> Option<&str> {
        self.labels
            .as_ref()
            .and_then(|(vocab, codes)| vocab.name(codes[row]))
    }

    /// Attack family of a row, when labelled.
    pub fn family(&self, row: usize) -> Option<Family> {
        self.labels
            .as_ref()
            .map(|(_, codes)| self.label_families[codes[row] as usize])
    }

    /// Whether a row is an attack, when labelled.
    pub fn is_attack(&self, row: usize) -> Option<bool> {
        self.family(row).map(Family::is_attack)
    }

    /// Ground truth for every row (`true` = attack), when labelled.
    pub fn attack_mask(&self) -> Option<Vec<bool>> {
        let (_, codes) = self.labels.as_ref()?;
        Some(
            codes
                .iter()
                .map(|&c| self.label_families[c as usize].is_attack())
                .collect(),
        )
    }

    /// NSL-KDD difficulty of a row.
    pub fn difficulty(&self, row: usize) -> Option<u8> {
        self.difficulty.as_ref().map(|d| d[row])
    }

    /// 1-based source line of a row (0 for generated rows).
    pub fn line(&self, row: usize) -> u64 {
        self.lines[row]
    }

    /// Row counts per normalised label, most frequent first.
    pub fn label_counts(&self) -> Vec<(String, usize)> {
        let Some((vocab, codes)) = &self.labels else {
            return Vec::new();
        };
        let mut counts = vec![0usize; vocab.len()];
        for &c in codes {
            counts[c as usize] += 1;
        }
        let mut out: Vec<(String, usize)> = vocab.names().iter().cloned().zip(counts).collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Row counts per family (all six families, zero where absent).
    pub fn family_counts(&self) -> Vec<(Family, usize)> {
        let mut counts = [0usize; 6];
        if let Some((_, codes)) = &self.labels {
            for &c in codes {
                let fam = self.label_families[c as usize];
                counts[Family::ALL.iter().position(|&f| f == fam).unwrap_or(5)] += 1;
            }
        }
        Family::ALL.iter().copied().zip(counts).collect()
    }

    /// The raw 41 fields of a row as text, as they would appear in a KDD file
    /// (missing values as `?`).
    pub fn fields(&self, row: usize) -> Vec<String> {
        (0..schema::N_FEATURES)
            .map(|i| match schema::numeric_slot(i) {
                Some(s) => {
                    let v = self.numeric_exact(row, s);
                    match schema::FEATURES[i].kind {
                        // KDD writes every rate with two decimals (`1.00`, `0.07`).
                        schema::FeatureKind::Rate
                            if !v.is_nan() && (v * 100.0 - (v * 100.0).round()).abs() < 1e-4 =>
                        {
                            format!("{v:.2}")
                        }
                        _ => format_number(v),
                    }
                }
                None => {
                    let k = CATEGORICAL.iter().position(|&c| c == i).unwrap_or(0);
                    self.category(row, k).unwrap_or("?").to_owned()
                }
            })
            .collect()
    }

    /// Writes a row as one KDD Cup 99 line (label with the trailing dot, when labelled).
    pub fn write_kdd_line(&self, row: usize, out: &mut impl std::io::Write) -> std::io::Result<()> {
        let fields = self.fields(row);
        out.write_all(fields.join(",").as_bytes())?;
        if let Some(label) = self.label(row) {
            write!(out, ",{label}.")?;
        }
        out.write_all(b"\n")
    }
}

/// Formats a numeric value as KDD files do: integers without a fraction, rates with two
/// decimals where that is exact (at `f32` precision), otherwise the shortest form that
/// reads back as the same `f32`.
pub fn format_number(v: f64) -> String {
    if v.is_nan() {
        "?".to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if ((v * 100.0).round() / 100.0 - v).abs() < 1e-6 {
        format!("{v:.2}")
    } else {
        format!("{}", v as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(src_bytes: f64, rate: f64) -> RawRecord<'static> {
        let mut numeric = [0.0; N_NUMERIC];
        numeric[schema::numeric_slot(4).unwrap()] = src_bytes;
        numeric[schema::numeric_slot(24).unwrap()] = rate;
        RawRecord {
            numeric,
            categorical: [Some("tcp"), Some("http"), Some("SF")],
            label: Some("smurf."),
            difficulty: None,
            line: 7,
        }
    }

    #[test]
    fn large_integers_and_rates_survive_the_f32_store() {
        let mut d = Dataset::new("t");
        d.push(&record(693_375_640.0, 0.07));
        d.push(&record(181.0, 0.333));
        assert_eq!(d.numeric_feature(0, 4), Some(693_375_640.0));
        let fields = d.fields(0);
        assert_eq!(fields[4], "693375640");
        assert_eq!(fields[24], "0.07");
        assert_eq!(d.fields(1)[24], "0.333");
        assert_eq!(d.label(0), Some("smurf"));
        assert_eq!(d.family(1), Some(Family::Dos));
        let mut line = Vec::new();
        d.write_kdd_line(0, &mut line).unwrap();
        let text = String::from_utf8(line).unwrap();
        assert!(text.starts_with("0,tcp,http,SF,693375640,0,"), "{text}");
        assert!(text.ends_with(",smurf.\n"));
    }
}
