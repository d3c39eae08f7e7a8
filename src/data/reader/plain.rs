//! The one-pass fast path for a record whose every field has its plain form (nearly
//! every real line).

use crate::data::schema::N_NUMERIC;

use super::fields::is_missing;
use super::number::plain_number;
use super::options::Rules;
use super::report::FileFormat;

/// A record read by [`parse_plain`]. Kept from line to line: a text field equal to the
/// previous line's was checked (and interned) already.
pub(super) struct PlainRow<'t> {
    pub(super) numeric: [f32; N_NUMERIC],
    /// Integers `f32` cannot hold, by numeric slot.
    pub(super) exact: Vec<(usize, f64)>,
    pub(super) categorical: [Kept<'t>; 3],
    /// The label, when the layout has one.
    pub(super) label: Kept<'t>,
    /// The difficulty, when the layout has one.
    pub(super) difficulty: u8,
}

impl Default for PlainRow<'_> {
    fn default() -> Self {
        PlainRow {
            numeric: [0.0; N_NUMERIC],
            exact: Vec::new(),
            categorical: Default::default(),
            label: Kept::default(),
            difficulty: 0,
        }
    }
}

/// A text field as last seen, with its local code once interned.
#[derive(Default)]
pub(super) struct Kept<'t> {
    pub(super) text: &'t str,
    pub(super) code: Option<u32>,
}

/// Sets `kept` to `field` when `check` accepts it. A non-empty field equal to `kept` was
/// accepted before, so the check (UTF-8 validation mostly) and the interning are skipped.
fn keep_text<'t>(kept: &mut Kept<'t>, field: &'t [u8], check: fn(&[u8]) -> Option<&str>) -> bool {
    if !field.is_empty() && field == kept.text.as_bytes() {
        return true;
    }
    match check(field) {
        Some(text) => {
            *kept = Kept { text, code: None };
            true
        }
        None => false,
    }
}

/// Reads the record starting at `start` of `text` in one pass, when every field has its
/// plain form: numbers of at most 15 digits and one point (`181`, `0.00`), text fields
/// non-empty UTF-8 without surrounding spaces, the layout's number of fields, and the
/// line no longer than the limit and without trailing spaces. Nearly every real line is
/// like that. Returns where the next line starts. Any other line returns `None` and goes
/// through [`parse_record`], which accepts the other forms and words the errors; on the
/// lines this accepts, both give the same values. Finding the line's end along the way
/// saves a separate search for the newline.
pub(super) fn parse_plain<'t>(
    text: &'t [u8],
    start: usize,
    rules: &Rules,
    row: &mut PlainRow<'t>,
) -> Option<usize> {
    row.exact.clear();
    let mut pos = plain_numeric(text, start, 0, row)?;
    for kept in &mut row.categorical {
        let end = text_end(text, pos)?;
        if text.get(end) != Some(&b',') || !keep_text(kept, &text[pos..end], plain_text) {
            return None;
        }
        pos = end + 1;
    }
    for slot in 1..N_NUMERIC - 1 {
        pos = plain_numeric(text, pos, slot, row)?;
    }
    let end = match rules.format {
        FileFormat::ZeekConn | FileFormat::ZeekConnLabeled => return None,
        FileFormat::Unlabeled => {
            let (end, terminator) = plain_number_into(text, pos, N_NUMERIC - 1, row)?;
            (terminator != Some(b',')).then_some(end)?
        }
        FileFormat::Kdd99 => {
            pos = plain_numeric(text, pos, N_NUMERIC - 1, row)?;
            let end = text_end(text, pos)?;
            if text.get(end) == Some(&b',')
                || !keep_text(&mut row.label, &text[pos..end], plain_label)
            {
                return None;
            }
            end
        }
        FileFormat::NslKdd => {
            pos = plain_numeric(text, pos, N_NUMERIC - 1, row)?;
            let label_end = text_end(text, pos)?;
            if text.get(label_end) != Some(&b',') {
                return None;
            }
            let end = text_end(text, label_end + 1)?;
            if text.get(end) == Some(&b',') {
                return None;
            }
            row.difficulty = plain_difficulty(&text[label_end + 1..end])?;
            if !keep_text(&mut row.label, &text[pos..label_end], plain_label) {
                return None;
            }
            end
        }
    };
    (end - start <= rules.max_line_bytes).then_some(end + 1)
}

/// Reads a plain number into numeric `slot`, keeping a large integer exactly; it must end
/// at a comma. Returns where the next field starts.
#[inline(always)]
fn plain_numeric(text: &[u8], start: usize, slot: usize, row: &mut PlainRow<'_>) -> Option<usize> {
    let (end, terminator) = plain_number_into(text, start, slot, row)?;
    (terminator == Some(b',')).then_some(end + 1)
}

#[inline(always)]
fn plain_number_into(
    text: &[u8],
    start: usize,
    slot: usize,
    row: &mut PlainRow<'_>,
) -> Option<(usize, Option<u8>)> {
    let (value, end) = plain_number(text, start)?;
    let narrow = value as f32;
    // Below 2^24 an integer is exact in `f32`; only larger ones need checking.
    if value >= 16_777_216.0 && f64::from(narrow) != value && value.fract() == 0.0 {
        row.exact.push((slot, value));
    }
    row.numeric[slot] = narrow;
    Some((end, text.get(end).copied()))
}

/// End of the text field starting at `start`: the next comma, newline or the end.
#[inline(always)]
fn text_end(text: &[u8], start: usize) -> Option<usize> {
    let rest = text.get(start..)?;
    Some(
        rest.iter()
            .position(|&b| b == b',' || b == b'\n')
            .map_or(text.len(), |i| start + i),
    )
}

/// A text field that [`parse_record`] would take as it is.
fn plain_text(field: &[u8]) -> Option<&str> {
    let (first, last) = (field.first()?, field.last()?);
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() || is_missing(field) {
        return None;
    }
    std::str::from_utf8(field).ok()
}

/// A label that [`parse_record`] would accept as it is (not missing, not only dots).
fn plain_label(field: &[u8]) -> Option<&str> {
    plain_text(field).filter(|label| !label.bytes().all(|b| b == b'.'))
}

/// A difficulty of one to three digits, up to 255.
fn plain_difficulty(field: &[u8]) -> Option<u8> {
    if field.is_empty() || field.len() > 3 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = field
        .iter()
        .fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
    u8::try_from(value).ok()
}
