//! Lines and fields: KDD files never quote fields, so a line is split on commas.

/// More fields than any valid layout has; beyond this only the count matters.
pub(super) const MAX_FIELDS: usize = 44;

/// The lines of a chunk with their start offsets, without the newline.
pub(super) fn lines(text: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= text.len() {
            return None;
        }
        let start = pos;
        let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
        pos = end + 1;
        Some((start, &text[start..end]))
    })
}

/// Splits a line on commas. Fields go on the stack; the count keeps going past the array
/// so a wrong field count is still reported exactly.
pub(super) fn split_fields(line: &[u8]) -> ([&[u8]; MAX_FIELDS], usize) {
    let mut storage: [&[u8]; MAX_FIELDS] = [&[]; MAX_FIELDS];
    let mut count = 0;
    for field in line.split(|&b| b == b',') {
        if count < MAX_FIELDS {
            storage[count] = field;
        }
        count += 1;
    }
    (storage, count)
}

pub(super) fn trim_line(line: &[u8]) -> &[u8] {
    let mut end = line.len();
    while end > 0 && (line[end - 1] == b'\r' || line[end - 1] == b' ' || line[end - 1] == b'\t') {
        end -= 1;
    }
    &line[..end]
}

/// A first line naming the features (as exported by pandas and many tools).
pub(super) fn is_header(fields: &[&[u8]]) -> bool {
    fields
        .first()
        .is_some_and(|f| f.trim_ascii().eq_ignore_ascii_case(b"duration"))
}

pub(super) fn is_missing(field: &[u8]) -> bool {
    matches!(field, b"" | b"?" | b"NA")
}
