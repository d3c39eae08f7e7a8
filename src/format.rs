//! Numbers as every output prints them (the CLI, the report, the dashboard), and the
//! columns of the metrics table they all show. The lowest floor: it knows nothing of
//! any other module.

/// 1234567 → "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `42 s`, `3 min 05 s`, `1 h 02 min`.
pub fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

/// `v` with `digits` significant digits, trailing zeros dropped: 0.04521, 0.6121, 35.2.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0) as usize;
    // The monitor prints two of these per record: scaled integers spare it the exact
    // float formatter, which is several times slower. They differ from it only when
    // the value sits within a rounding error of a half, far below what is printed.
    if decimals <= 15 && v.abs() < 1e15 / 10f64.powi(decimals as i32) {
        let x = v.abs() * 10f64.powi(decimals as i32);
        // Ties to even, as the formatter rounds an exact half.
        let scaled = if x.fract() == 0.5 {
            let t = x.trunc();
            if t % 2.0 == 0.0 { t } else { t + 1.0 }
        } else {
            x.round()
        } as u64;
        let mut text = String::with_capacity(24);
        if v < 0.0 && scaled > 0 {
            text.push('-');
        }
        let digits_text = scaled.to_string();
        if decimals == 0 {
            text.push_str(&digits_text);
            return text;
        }
        let padded = format!("{digits_text:0>width$}", width = decimals + 1);
        let (whole, fraction) = padded.split_at(padded.len() - decimals);
        text.push_str(whole);
        let fraction = fraction.trim_end_matches('0');
        if !fraction.is_empty() {
            text.push('.');
            text.push_str(fraction);
        }
        return text;
    }
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Time left as an estimate, never a promise: `about 13 s left`, or `under 1 s left`
/// at the end (an epoch's time varies, so a bound would not hold).
pub fn time_left(seconds: f64) -> String {
    if seconds < 1.0 {
        "under 1 s left".to_owned()
    } else {
        format!("about {} left", duration(seconds))
    }
}

/// An optional figure with four decimals, or `missing` when there is none (ROC AUC
/// without both classes).
pub fn four_decimals(v: Option<f64>, missing: &str) -> String {
    v.map_or_else(|| missing.to_owned(), |v| format!("{v:.4}"))
}

/// The first columns of every metrics table (`evaluate`, the report, the dashboard's
/// Overview), in this order; each table adds its own after them.
pub const METRICS_HEADER: [&str; 6] =
    ["detector", "ROC AUC", "PR AUC", "precision", "recall", "F1"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(445_382), "445,382");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(185.0), "3 min 05 s");
        assert_eq!(duration(3720.0), "1 h 02 min");
    }

    #[test]
    fn significant_drops_trailing_zeros() {
        assert_eq!(significant(0.045213, 4), "0.04521");
        assert_eq!(significant(35.2, 3), "35.2");
        assert_eq!(significant(2.0, 3), "2");
        assert_eq!(significant(0.0, 3), "0");
        // The fast path prints what the float formatter prints.
        for v in [
            1.125f64,
            0.25,
            2.5,
            0.375,
            0.6121,
            0.57697,
            0.0000123456,
            123456.7,
            -0.25,
            0.99995,
            9.9996,
            1e-9,
        ] {
            for digits in [3, 4, 6] {
                let decimals = (digits - 1 - v.abs().log10().floor() as i32).max(0) as usize;
                let exact = format!("{v:.decimals$}");
                let exact = if exact.contains('.') {
                    exact.trim_end_matches('0').trim_end_matches('.').to_owned()
                } else {
                    exact
                };
                assert_eq!(significant(v, digits), exact, "{v} to {digits}");
            }
        }
    }

    #[test]
    fn four_decimals_or_the_missing_mark() {
        assert_eq!(four_decimals(Some(0.99816), "n/a"), "0.9982");
        assert_eq!(four_decimals(None, "–"), "–");
    }
}
