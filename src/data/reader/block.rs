//! Filling a [`Block`] from parsed records, interning categorical values and labels
//! locally to the chunk.

use rustc_hash::FxHashMap;

use crate::data::dataset::{Block, MISSING, RawRecord};
use crate::data::schema::N_NUMERIC;

use super::plain::PlainRow;

/// Fills a [`Block`], interning categorical values and labels locally.
pub(super) struct BlockBuilder<'t> {
    block: Block,
    vocab: [Interner<'t>; 3],
    labels: Interner<'t>,
    label_codes: Vec<u32>,
    /// Scratch for one record's exact values.
    exact: Vec<(usize, f64)>,
}

impl<'t> BlockBuilder<'t> {
    /// Fills `block` (empty, allocations kept from an earlier chunk).
    pub(super) fn new(mut block: Block) -> Self {
        let mut label_codes = block.labels.take().map(|(_, c)| c).unwrap_or_default();
        label_codes.clear();
        BlockBuilder {
            block,
            vocab: Default::default(),
            labels: Interner::default(),
            label_codes,
            exact: Vec::new(),
        }
    }

    /// Appends a record from the general parser, keeping large integers exactly as
    /// [`Dataset::push`] does.
    pub(super) fn push_record(&mut self, record: &RawRecord<'t>) {
        let mut numeric = [0f32; N_NUMERIC];
        let mut exact = std::mem::take(&mut self.exact);
        exact.clear();
        for (slot, &v) in record.numeric.iter().enumerate() {
            let narrow = v as f32;
            if f64::from(narrow) != v && v.fract() == 0.0 {
                exact.push((slot, v));
            }
            numeric[slot] = narrow;
        }
        let mut codes = [MISSING; 3];
        for ((code, value), vocab) in codes
            .iter_mut()
            .zip(record.categorical)
            .zip(&mut self.vocab)
        {
            if let Some(value) = value {
                *code = vocab.code(value);
            }
        }
        let label = record.label.map(|label| self.labels.code(label));
        self.push(
            &numeric,
            &exact,
            codes,
            label,
            record.difficulty,
            record.line,
        );
        self.exact = exact;
    }

    /// Appends a record from [`parse_plain`]; a text field repeated from the previous
    /// plain line reuses its code.
    pub(super) fn push_plain(
        &mut self,
        row: &mut PlainRow<'t>,
        labelled: bool,
        with_difficulty: bool,
        line: u64,
    ) {
        let mut codes = [0; 3];
        for ((code, kept), vocab) in codes
            .iter_mut()
            .zip(&mut row.categorical)
            .zip(&mut self.vocab)
        {
            *code = *kept.code.get_or_insert_with(|| vocab.code(kept.text));
        }
        let label = labelled.then(|| {
            let kept = &mut row.label;
            *kept.code.get_or_insert_with(|| self.labels.code(kept.text))
        });
        self.push(
            &row.numeric,
            &row.exact,
            codes,
            label,
            with_difficulty.then_some(row.difficulty),
            line,
        );
    }

    fn push(
        &mut self,
        numeric: &[f32; N_NUMERIC],
        exact: &[(usize, f64)],
        codes: [u32; 3],
        label: Option<u32>,
        difficulty: Option<u8>,
        line: u64,
    ) {
        let row = self.block.categorical.len();
        self.block.exact.extend(
            exact
                .iter()
                .map(|&(slot, v)| ((row * N_NUMERIC + slot) as u64, v)),
        );
        self.block.numeric.extend_from_slice(numeric);
        self.block.categorical.push(codes);
        if let Some(label) = label {
            self.label_codes.push(label);
        }
        if let Some(d) = difficulty {
            self.block.difficulty.get_or_insert_with(Vec::new).push(d);
        }
        self.block.lines.push(line);
    }

    pub(super) fn finish(self) -> Block {
        let mut block = self.block;
        block.vocab = self.vocab.map(Interner::into_names);
        if !self.label_codes.is_empty() {
            block.labels = Some((self.labels.into_names(), self.label_codes));
        }
        block
    }
}

/// Codes, local to one chunk, for the values of one column. Consecutive rows very often
/// repeat a value (runs of smurf or neptune records), so the last one is checked first.
#[derive(Default)]
struct Interner<'t> {
    names: Vec<&'t str>,
    index: FxHashMap<&'t str, u32>,
    last: Option<(&'t str, u32)>,
}

impl<'t> Interner<'t> {
    fn code(&mut self, value: &'t str) -> u32 {
        if let Some((last, code)) = self.last
            && last == value
        {
            return code;
        }
        let names = &mut self.names;
        let code = *self.index.entry(value).or_insert_with(|| {
            names.push(value);
            (names.len() - 1) as u32
        });
        self.last = Some((value, code));
        code
    }

    fn into_names(self) -> Vec<String> {
        self.names.into_iter().map(str::to_owned).collect()
    }
}
