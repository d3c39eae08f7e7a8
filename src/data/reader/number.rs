//! Decimal numbers: the exact fast paths and the fallback to the standard parser.

/// `i / 100` for the two-decimal rates (`0.00` … `1.00`) that fill most KDD columns:
/// the same correctly rounded quotient as dividing at run time, without the division.
const HUNDREDTHS: [f64; 101] = {
    let mut table = [0.0; 101];
    let mut i = 0;
    while i < 101 {
        table[i] = i as f64 / 100.0;
        i += 1;
    }
    table
};

/// The exact fast path of [`parse_number`] on the field starting at `start`, which ends
/// at a comma, a newline or the end of the text. Returns the value and where it ends.
#[inline(always)]
pub(super) fn plain_number(line: &[u8], start: usize) -> Option<(f64, usize)> {
    // The two forms that fill most of a KDD line, `7` and `0.25`, without the loop.
    let digit = |i: usize| line.get(i).filter(|b| b.is_ascii_digit()).map(|b| b - b'0');
    let ends = |i: usize| line.get(i).is_none_or(|&b| b == b',' || b == b'\n');
    let first = digit(start)?;
    if ends(start + 1) {
        return Some((f64::from(first), start + 1));
    }
    if line.get(start + 1) == Some(&b'.')
        && let (Some(d1), Some(d2)) = (digit(start + 2), digit(start + 3))
        && ends(start + 4)
    {
        let hundredths = usize::from(first) * 100 + usize::from(d1) * 10 + usize::from(d2);
        let value = match HUNDREDTHS.get(hundredths) {
            Some(&v) => v,
            None => hundredths as f64 / 100.0,
        };
        return Some((value, start + 4));
    }
    let mut mantissa: u64 = 0;
    let mut point = None;
    let mut end = start;
    while let Some(&b) = line.get(end) {
        match b {
            // Wrapping: a field too long to be exact is refused below anyway.
            b'0'..=b'9' => {
                mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            }
            b'.' if point.is_none() => point = Some(end),
            b',' | b'\n' => break,
            _ => return None,
        }
        end += 1;
    }
    let len = end - start;
    let digits = len - usize::from(point.is_some());
    if len > 16 || digits == 0 || digits > 15 {
        return None;
    }
    let value = match point.map_or(0, |p| end - p - 1) {
        0 => mantissa as f64,
        2 if mantissa <= 100 => HUNDREDTHS[mantissa as usize],
        decimals => mantissa as f64 / POW10[decimals],
    };
    Some((value, end))
}

const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Parses a decimal number. Plain integers and `d.dd`-style decimals (nearly every KDD
/// value) take an exact fast path: an integer below 2^53 divided by a power of ten is
/// correctly rounded by IEEE division, so it equals what `str::parse` returns. Anything
/// else (exponents, signs, `inf`, `NaN`) falls back to the standard parser.
pub fn parse_number(bytes: &[u8]) -> Option<f64> {
    if !bytes.is_empty() && bytes.len() <= 16 {
        let mut mantissa: u64 = 0;
        let mut digits = 0usize;
        let mut decimals: Option<usize> = None;
        let mut ok = true;
        for &b in bytes {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    digits += 1;
                    if let Some(d) = decimals.as_mut() {
                        *d += 1;
                    }
                }
                b'.' if decimals.is_none() => decimals = Some(0),
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if ok && digits > 0 && digits <= 15 {
            let value = mantissa as f64;
            return Some(match decimals {
                Some(d) if d > 0 => value / POW10[d],
                _ => value,
            });
        }
    }
    std::str::from_utf8(bytes).ok()?.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_number_path_matches_std() {
        for s in [
            "0",
            "181",
            "5450",
            "0.00",
            "1.00",
            "0.11",
            "0.05",
            "693375640",
            "12.5",
            "3.",
            "0.1",
            "123456789012345",
            "0.333333",
            "7.07",
        ] {
            assert_eq!(parse_number(s.as_bytes()), s.parse::<f64>().ok(), "{s}");
        }
        assert_eq!(parse_number(b"1e3"), Some(1000.0));
        assert!(parse_number(b"NaN").unwrap().is_nan());
        assert_eq!(parse_number(b"1e309"), Some(f64::INFINITY));
        assert_eq!(parse_number(b"abc"), None);
        assert_eq!(parse_number(b"."), None);
        assert_eq!(parse_number(b"1.2.3"), None);
    }
}
